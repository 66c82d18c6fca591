-- 010_assistance: the assistance service's store (services/assistance, docs/assistance-rules.md):
-- one plan per monitored household (一户一策) opened from its identified case, a yearly
-- consolidation plan for lifted households, the plan's measures (twelve categories), the quarterly
-- check of each measure (每季度核查), the household's monthly income follow-up (for the elimination
-- criterion E01), the counties' quarter summaries, and the audit history of all of it. The
-- elimination record (services/assistance/elimination.h, assist_elim_t) lives on the plan.

INSERT INTO policy_params (name, province_code, effective_from, value, unit, source) VALUES
  ('elimination_stable_months', '00', '2020-01-01', 6, 'months', 'seed 004 §(四): income stably above the line for at least half a year'),
  ('elimination_notice_days', '00', '2020-01-01', 5, 'days', 'seed 004 §(四): the elimination notice, as the identification notice, at least 5 days'),
  ('plan_empty_days', '00', '2020-01-01', 30, 'days', 'plan check P04: a plan with no measure this many days after it was opened')
ON CONFLICT (name, province_code, effective_from) DO NOTHING;

-- One plan per identified case ('monitoring'), or per lifted household and year ('consolidation').
-- elim_*: the elimination record of a monitoring plan (assist_elim_t), state names of
-- assist_elim_state_code.
CREATE TABLE plans (
    id                 bigserial PRIMARY KEY,
    county_code        varchar(6) NOT NULL,
    village_code       varchar(12) COLLATE "C" NOT NULL,
    household_no       varchar(32) COLLATE "C" NOT NULL,
    kind               text NOT NULL CHECK (kind IN ('monitoring', 'consolidation')),
    case_id            bigint UNIQUE REFERENCES cases (id),     -- monitoring: the identifying case
    year               integer CHECK (year BETWEEN 2020 AND 2100), -- consolidation: its year
    monitored_kind     text CHECK (monitored_kind IN ('unstable_lifted', 'marginal', 'sudden_hardship')),
    risk_types         text[] NOT NULL DEFAULT '{}',
    identified_on      date,                                    -- monitoring: day of identification
    opened_on          date NOT NULL,
    elim_state         text NOT NULL DEFAULT 'monitored'
                       CHECK (elim_state IN ('monitored', 'nominated', 'notice_posted', 'township_approved',
                                             'county_confirmed', 'eliminated')),
    elim_step_since    date,
    elim_notice_posted_on date,
    elim_notice_text   text NOT NULL DEFAULT '',   -- masked name, never an ID number
    elim_objections    integer NOT NULL DEFAULT 0,
    elim_returns       integer NOT NULL DEFAULT 0,
    elim_refusals      integer NOT NULL DEFAULT 0,
    elim_undos         integer NOT NULL DEFAULT 0,
    elim_way           text CHECK (elim_way IN ('by_assistance', 'natural')),
    eliminated_on      date,
    elim_criteria      jsonb NOT NULL DEFAULT '{}', -- the last nomination's criteria check
    backstop           boolean NOT NULL DEFAULT false, -- refused as a whole household without labour (兜底保障户)
    findings           jsonb NOT NULL DEFAULT '[]', -- the plan checks as last run: [{id, zh, seen, why_zh}]
    findings_at        timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (county_code, household_no) REFERENCES ledger_households (county_code, household_no),
    CHECK ((kind = 'monitoring') = (case_id IS NOT NULL)),
    CHECK ((kind = 'consolidation') = (year IS NOT NULL)),
    CHECK ((elim_state = 'eliminated') = (eliminated_on IS NOT NULL))
);
CREATE UNIQUE INDEX plans_consolidation ON plans (county_code, household_no, year) WHERE kind = 'consolidation';
CREATE INDEX plans_village ON plans (village_code, id);
CREATE INDEX plans_household ON plans (county_code, household_no);

-- The measures of a plan. category: codes of assist_categories; status: assist_mstatus_code.
CREATE TABLE measures (
    id               bigserial PRIMARY KEY,
    county_code      varchar(6) NOT NULL,
    plan_id          bigint NOT NULL REFERENCES plans (id),
    category         text NOT NULL CHECK (category IN ('industry', 'finance', 'employment', 'housing', 'water',
                         'health', 'education', 'social_help', 'relocation', 'backstop', 'helper', 'risk_fund')),
    title            text NOT NULL CHECK (title <> ''),
    responsible_unit text NOT NULL CHECK (responsible_unit <> ''),
    start_on         date NOT NULL,
    end_on           date,                       -- NULL: open-ended
    amount_fen       bigint NOT NULL DEFAULT 0 CHECK (amount_fen >= 0),
    status           text NOT NULL DEFAULT 'planned'
                     CHECK (status IN ('planned', 'in_progress', 'delivered', 'stopped')),
    status_on        date,                       -- day of the last status change
    stop_reason      text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (status <> 'stopped' OR stop_reason <> '')
);
CREATE INDEX measures_plan ON measures (plan_id, id);

-- One check per measure per quarter ('YYYYQn'): who, when, what was found.
CREATE TABLE measure_checks (
    id          bigserial PRIMARY KEY,
    county_code varchar(6) NOT NULL,
    measure_id  bigint NOT NULL REFERENCES measures (id),
    quarter     char(6) NOT NULL CHECK (quarter ~ '^[0-9]{4}Q[1-4]$'),
    checked_on  date NOT NULL,
    actor       text NOT NULL,
    level       text NOT NULL,
    result      text NOT NULL CHECK (result IN ('on_track', 'problem')),
    finding     text NOT NULL CHECK (finding <> ''),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (measure_id, quarter)
);
CREATE INDEX measure_checks_quarter ON measure_checks (county_code, quarter);

-- The household's per capita net income of the 12 months ending with each month (fen per person
-- per year), recorded by the village's follow-up; the elimination criterion E01 reads the months
-- before nomination.
CREATE TABLE household_income (
    county_code        varchar(6) NOT NULL,
    household_no       varchar(32) COLLATE "C" NOT NULL,
    month              date NOT NULL CHECK (extract(day FROM month) = 1),
    per_capita_net_fen bigint NOT NULL CHECK (per_capita_net_fen >= 0),
    recorded_by        text NOT NULL,
    recorded_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, household_no, month),
    FOREIGN KEY (county_code, household_no) REFERENCES ledger_households (county_code, household_no)
);

-- A county's quarter summary of measure implementation (县级季度汇总), due within
-- quarter_report_working_days working days after the quarter.
CREATE TABLE quarter_summaries (
    county_code  varchar(6) NOT NULL,
    quarter      char(6) NOT NULL CHECK (quarter ~ '^[0-9]{4}Q[1-4]$'),
    submitted_on date NOT NULL,
    due_on       date NOT NULL,
    actor        text NOT NULL,
    counts       jsonb NOT NULL,
    note         text NOT NULL DEFAULT '',
    request_id   text NOT NULL,                 -- a retry with the same request id answers the same
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, quarter)
);

-- The audit rows of plans, measures, checks and elimination; request_id makes a retry apply once.
CREATE TABLE plan_history (
    id          bigserial PRIMARY KEY,
    county_code varchar(6) NOT NULL,
    plan_id     bigint NOT NULL REFERENCES plans (id),
    measure_id  bigint REFERENCES measures (id),
    at          timestamptz NOT NULL DEFAULT now(),
    on_day      date NOT NULL,                 -- the service's today when it was done
    actor       text NOT NULL,                 -- principal id, or 'system'
    level       text,
    event       text NOT NULL,                 -- plan.opened, measure.added, elimination.nominate, ...
    from_state  text,
    to_state    text,
    reason      text NOT NULL DEFAULT '',
    request_id  text
);
CREATE INDEX plan_history_plan ON plan_history (plan_id, id);
CREATE UNIQUE INDEX plan_history_request ON plan_history (plan_id, request_id) WHERE request_id IS NOT NULL;
