-- 005_cases: screening's verification cases (one open case per household), the leads merged into
-- each, the audit history, and the village tasks for leads whose person is not in the ledger.
-- screen_match() (deploy/db/functions/screening.sql) is the set-based part of screening a claimed
-- batch (services/screening/cases.c).

CREATE TABLE cases (
    id                 bigserial PRIMARY KEY,
    county_code        varchar(6) NOT NULL,
    village_code       varchar(12) COLLATE "C" NOT NULL,
    household_no       varchar(32) COLLATE "C" NOT NULL,
    -- the state names of services/screening/case_machine.h (screen_case_state_code)
    state              text NOT NULL DEFAULT 'opened'
                       CHECK (state IN ('opened', 'visited', 'notice_posted', 'township_reviewed',
                                        'county_approved', 'identified', 'closed_not_included')),
    kind               text CHECK (kind IN ('unstable_lifted', 'marginal', 'sudden_hardship')), -- set on identify
    risk_types         text[] NOT NULL DEFAULT '{}',  -- suggested by the rules, then decided
    decision           jsonb NOT NULL DEFAULT '{}',   -- {kind, in_range, fired: [{id, zh, seen, why_zh}], risk_types}
    line_fen           bigint,                        -- the monitoring line used
    per_capita_net_fen bigint,
    opened_on          date NOT NULL,                 -- the first lead's occurrence date
    due_on             date NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (county_code, household_no) REFERENCES ledger_households (county_code, household_no)
);
-- At most one open case per household.
CREATE UNIQUE INDEX cases_open_household ON cases (county_code, household_no)
    WHERE state NOT IN ('identified', 'closed_not_included');
CREATE INDEX cases_village ON cases (county_code, village_code, id);

-- Which leads make up each case: a lead belongs to at most one case.
CREATE TABLE case_leads (
    county_code varchar(6) NOT NULL,
    case_id     bigint NOT NULL REFERENCES cases (id),
    lead_id     bigint NOT NULL REFERENCES leads (id),
    merged_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, lead_id)
);
CREATE INDEX case_leads_case ON case_leads (case_id);

-- The audit rows of every case: who did what, from which state to which, and why.
CREATE TABLE case_history (
    county_code varchar(6) NOT NULL,
    id          bigserial PRIMARY KEY,
    case_id     bigint NOT NULL REFERENCES cases (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,          -- principal id, or 'system' for screening itself
    level       text,                   -- village | township | county; NULL for the system
    event       text NOT NULL,          -- opened | lead_merged | visit | ...
    from_state  text,
    to_state    text NOT NULL,
    reason      text NOT NULL DEFAULT ''
);
CREATE INDEX case_history_case ON case_history (case_id, id);

-- Leads whose person is not in the ledger: the village registers the person or refutes the lead.
CREATE TABLE village_tasks (
    county_code  varchar(6) NOT NULL,
    id           bigserial PRIMARY KEY,
    village_code varchar(12) COLLATE "C" NOT NULL,
    lead_id      bigint NOT NULL REFERENCES leads (id),
    kind         text NOT NULL CHECK (kind IN ('register_or_refute')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    done_at      timestamptz,
    UNIQUE (county_code, lead_id, kind)
);
CREATE INDEX village_tasks_village ON village_tasks (county_code, village_code) WHERE done_at IS NULL;
