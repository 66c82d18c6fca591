-- 005_cases: screening's verification cases (one open case per household), the leads merged into
-- each, the audit history, and the village tasks for leads whose person is not in the ledger.
-- screen_match() is the set-based part of screening a claimed batch (services/screening/cases.c).

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


-- Screens a claimed batch of leads, inside the caller's transaction: matches each lead to a
-- present ledger member by (county, ID number); unmatched leads get status 'unmatched', a
-- village task and a lead.unmatched event; matched leads open a case for their household (or
-- merge into its open case) with history rows and case.opened / case.lead_merged events, and
-- get status 'verifying'. Leads already in a case or already unmatched are skipped, so running
-- it twice changes nothing. Returns the facts of every case touched, for the rules (in C).
CREATE FUNCTION screen_match(p_ids bigint[])
RETURNS TABLE (case_id bigint, village_code text, opened_on text, household_type text,
               wage_fen bigint, wage_public_job_fen bigint, operating_fen bigint, property_fen bigint,
               pension_fen bigint, family_planning_fen bigint, eco_compensation_fen bigint, dibao_fen bigint,
               tekun_fen bigint, other_transfer_fen bigint, production_cost_fen bigint, medical_oop_fen bigint,
               lead_medical_fen bigint,
               education_ok boolean, education_reason text, medical_ok boolean, medical_reason text,
               housing_ok boolean, housing_reason text, water_ok boolean, water_reason text,
               members integer, with_labour integer, disabled integer, uninsured integer, dropped_out integer,
               lead_kinds text, line_fen bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS screen_stage (
        lead_id bigint, county_code varchar(6), lead_village varchar(12), kind text, occurred_on date,
        household_no varchar(32), hh_village varchar(12), first_in_batch boolean, case_id bigint,
        opened boolean NOT NULL DEFAULT false) ON COMMIT DELETE ROWS;
    DELETE FROM screen_stage;

    INSERT INTO screen_stage (lead_id, county_code, lead_village, kind, occurred_on, household_no, hh_village,
                              first_in_batch)
    SELECT l.id, l.county_code, l.village_code, l.kind, l.occurred_on, m.household_no, h.village_code,
           row_number() OVER (PARTITION BY l.county_code, m.household_no ORDER BY l.occurred_on, l.id) = 1
      FROM leads l
      LEFT JOIN ledger_members m ON m.county_code = l.county_code AND m.id_number = l.id_number
                                AND m.left_on IS NULL
      LEFT JOIN ledger_households h ON h.county_code = m.county_code AND h.household_no = m.household_no
     WHERE l.id = ANY (p_ids) AND l.status <> 'unmatched'
       AND NOT EXISTS (SELECT 1 FROM case_leads cl WHERE cl.county_code = l.county_code AND cl.lead_id = l.id);
    -- fresh statistics for the batch's stage table, so the statements below plan for its real size
    ANALYZE screen_stage;

    -- not in the ledger
    UPDATE leads l SET status = 'unmatched', status_at = now(),
           status_reason = '不在乡村人口台账中：已交村核实登记或排除 / not in the rural population ledger: '
                           'the village is asked to register or refute'
      FROM screen_stage s WHERE s.household_no IS NULL AND l.id = s.lead_id;
    INSERT INTO village_tasks (county_code, village_code, lead_id, kind)
    SELECT s.county_code, s.lead_village, s.lead_id, 'register_or_refute'
      FROM screen_stage s WHERE s.household_no IS NULL ORDER BY s.lead_id
    ON CONFLICT DO NOTHING;
    INSERT INTO events (county_code, region_code, type, payload)
    SELECT s.county_code, s.lead_village, 'lead.unmatched',
           jsonb_build_object('lead_id', s.lead_id, 'kind', s.kind, 'occurred_on', s.occurred_on)
      FROM screen_stage s WHERE s.household_no IS NULL ORDER BY s.lead_id;

    -- open a case for each household without an open one (a concurrent worker's wins: DO NOTHING)
    WITH ins AS (
        INSERT INTO cases (county_code, village_code, household_no, state, opened_on, due_on)
        SELECT s.county_code, s.hh_village, s.household_no, 'opened', s.occurred_on,
               s.occurred_on + coalesce(fp_param('decision_days', s.hh_village, s.occurred_on), 15)::int
          FROM screen_stage s
         WHERE s.household_no IS NOT NULL AND s.first_in_batch
           AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.county_code = s.county_code
                            AND c.household_no = s.household_no
                            AND c.state NOT IN ('identified', 'closed_not_included'))
         ORDER BY s.county_code, s.household_no
        ON CONFLICT (county_code, household_no) WHERE state NOT IN ('identified', 'closed_not_included')
        DO NOTHING
        RETURNING cases.id, cases.county_code, cases.household_no)
    UPDATE screen_stage s SET case_id = ins.id, opened = true
      FROM ins WHERE s.first_in_batch AND s.county_code = ins.county_code AND s.household_no = ins.household_no;

    UPDATE screen_stage s SET case_id = c.id
      FROM cases c
     WHERE s.case_id IS NULL AND s.household_no IS NOT NULL AND c.county_code = s.county_code
       AND c.household_no = s.household_no AND c.state NOT IN ('identified', 'closed_not_included');

    INSERT INTO case_leads (county_code, case_id, lead_id)
    SELECT s.county_code, s.case_id, s.lead_id FROM screen_stage s WHERE s.case_id IS NOT NULL ORDER BY s.lead_id;

    INSERT INTO case_history (county_code, case_id, actor, level, event, from_state, to_state, reason)
    SELECT s.county_code, s.case_id, 'system', NULL,
           CASE WHEN s.opened THEN 'opened' ELSE 'lead_merged' END,
           CASE WHEN s.opened THEN NULL ELSE c.state END, c.state,
           concat('lead ', s.lead_id, ' ', s.kind)
      FROM screen_stage s JOIN cases c ON c.id = s.case_id
     ORDER BY s.case_id, s.opened DESC, s.lead_id;
    INSERT INTO events (county_code, region_code, type, payload)
    SELECT s.county_code, s.hh_village, CASE WHEN s.opened THEN 'case.opened' ELSE 'case.lead_merged' END,
           jsonb_build_object('case_id', s.case_id, 'lead_id', s.lead_id, 'kind', s.kind)
      FROM screen_stage s WHERE s.case_id IS NOT NULL ORDER BY s.case_id, s.opened DESC, s.lead_id;

    UPDATE leads l SET status = 'verifying', status_reason = '', status_at = now()
      FROM screen_stage s WHERE s.case_id IS NOT NULL AND l.id = s.lead_id;

    RETURN QUERY
    SELECT c.id, c.village_code::text, to_char(c.opened_on, 'YYYY-MM-DD'), h.household_type,
           h.wage_fen, h.wage_public_job_fen, h.operating_fen, h.property_fen, h.pension_fen,
           h.family_planning_fen, h.eco_compensation_fen, h.dibao_fen, h.tekun_fen, h.other_transfer_fen,
           h.production_cost_fen, h.medical_oop_fen,
           (SELECT coalesce(sum(l.amount_fen), 0)::bigint FROM case_leads cl JOIN leads l ON l.id = cl.lead_id
             WHERE cl.case_id = c.id AND l.kind = 'yibao.high_cost'),
           h.education_ok, h.education_reason, h.medical_ok, h.medical_reason, h.housing_ok, h.housing_reason,
           h.water_ok, h.water_reason,
           m.members::int, m.with_labour::int, m.disabled::int, m.uninsured::int, m.dropped_out::int,
           (SELECT string_agg(DISTINCT l.kind, ',') FROM case_leads cl JOIN leads l ON l.id = cl.lead_id
             WHERE cl.case_id = c.id),
           (fp_param('monitoring_line_yuan', c.village_code, c.opened_on) * 100)::bigint
      -- driven from this batch's few cases: a primary-key probe each, whatever the size of cases
      FROM (SELECT DISTINCT s.case_id FROM screen_stage s WHERE s.case_id IS NOT NULL) k
      JOIN cases c ON c.id = k.case_id
      JOIN ledger_households h ON h.county_code = c.county_code AND h.household_no = c.household_no
      CROSS JOIN LATERAL (
           SELECT count(*) AS members,
                  count(*) FILTER (WHERE x.labour IN ('normal', 'weak')) AS with_labour,
                  count(*) FILTER (WHERE x.health = 'disabled' OR x.disability_grade IS NOT NULL) AS disabled,
                  count(*) FILTER (WHERE NOT x.insured) AS uninsured,
                  count(*) FILTER (WHERE x.schooling = 'dropped_out') AS dropped_out
             FROM ledger_members x
            WHERE x.county_code = c.county_code AND x.household_no = c.household_no
              AND (x.left_on IS NULL OR x.left_on > c.opened_on)) m
     ORDER BY c.id;
END $$;

-- Stores the decisions the rules made (a JSON array of {id, decision, line_fen, per_capita_net_fen}).
CREATE FUNCTION screen_store_decisions(p jsonb) RETURNS integer
LANGUAGE sql AS $$
    WITH u AS (
        UPDATE cases c SET decision = d.decision,
               risk_types = ARRAY(SELECT jsonb_array_elements_text(d.decision -> 'risk_types')),
               line_fen = d.line_fen, per_capita_net_fen = d.per_capita_net_fen, updated_at = now()
          FROM jsonb_to_recordset(p) AS d(id bigint, decision jsonb, line_fen bigint, per_capita_net_fen bigint)
         WHERE c.id = d.id
        RETURNING 1)
    SELECT count(*)::int FROM u
$$;
