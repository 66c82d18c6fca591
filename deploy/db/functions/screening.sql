-- The decision due date of a case of village p_region opened on p_opened.
CREATE OR REPLACE FUNCTION screen_decision_due(p_region text, p_opened date) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT fp_add_days(p_opened, coalesce(fp_param('decision_days', p_region, p_opened), 15)::int,
                       coalesce(fp_param('decision_working_days', p_region, p_opened), 0) <> 0)
$$;

-- Screens a claimed batch of leads, inside the caller's transaction: matches each lead to a
-- present ledger member by (county, id_hmac); unmatched leads get status 'unmatched', a
-- village task and a lead.unmatched event; matched leads open a case for their household (or
-- merge into its open case) with history rows and case.opened / case.lead_merged events, and
-- get status 'verifying'. Leads already in a case or already unmatched are skipped, so running
-- it twice changes nothing. A public-security death lead (gongan.member_death) updates the ledger
-- too (docs/ledger.md "Deaths reported by public security"): the matched member gets left_on =
-- the lead's occurred_on and left_reason 'death:lead:<id>', and ledger_events one 'death' row;
-- a member already gone, or a death already recorded, is left alone. Returns the facts of every
-- case touched, for the rules (in C), with the rules' ratios in force for the case.
-- The claim (services/screening/receive.c) only locks the batch's leads (FOR UPDATE SKIP LOCKED);
-- the one UPDATE of leads here marks them screened (screened_at, screened_by = p_worker) and
-- sets their status, so each lead row is written once per batch, not twice. The policy
-- parameters (due date, line, ratios) depend on the province and the date only: each is looked
-- up once per distinct (province, date) of the batch, not once per case.
CREATE OR REPLACE FUNCTION screen_match(p_ids bigint[], p_worker text DEFAULT NULL)
RETURNS TABLE (case_id bigint, village_code text, opened_on text, household_type text,
               wage_fen bigint, wage_public_job_fen bigint, operating_fen bigint, property_fen bigint,
               pension_fen bigint, family_planning_fen bigint, eco_compensation_fen bigint, dibao_fen bigint,
               tekun_fen bigint, other_transfer_fen bigint, production_cost_fen bigint, medical_oop_fen bigint,
               lead_medical_fen bigint,
               education_ok boolean, education_reason text, medical_ok boolean, medical_reason text,
               housing_ok boolean, housing_reason text, water_ok boolean, water_reason text,
               members integer, with_labour integer, disabled integer, uninsured integer, dropped_out integer,
               lead_shocks text, lead_guarantees text, line_fen bigint, rigid_ratio_pct integer,
               monitor_upper_ratio_pct integer)
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
      -- a death lead also finds a member whose death is already recorded (a repeat report
      -- merges into the household's case instead of asking the village to register the person)
      LEFT JOIN ledger_members m ON m.county_code = l.county_code AND m.id_hmac = l.id_hmac
                                AND (m.left_on IS NULL OR (l.kind = 'gongan.member_death'
                                                           AND m.left_reason LIKE 'death:%'))
      LEFT JOIN ledger_households h ON h.county_code = m.county_code AND h.household_no = m.household_no
     WHERE l.id = ANY (p_ids) AND l.status <> 'unmatched'
       AND NOT EXISTS (SELECT 1 FROM case_leads cl WHERE cl.county_code = l.county_code AND cl.lead_id = l.id);
    -- fresh statistics for the batch's stage table, so the statements below plan for its real size
    ANALYZE screen_stage;
    -- civil affairs' leads update the categories directly where the county is unified (lowincome.sql)
    PERFORM lowincome_from_leads();

    -- not in the ledger (the lead's status: the one UPDATE of leads below)
    INSERT INTO village_tasks (county_code, village_code, lead_id, kind)
    SELECT s.county_code, s.lead_village, s.lead_id, 'register_or_refute'
      FROM screen_stage s WHERE s.household_no IS NULL ORDER BY s.lead_id
    ON CONFLICT DO NOTHING;
    PERFORM events_write(ARRAY(
        SELECT ROW(s.county_code, s.lead_village, 'lead.unmatched',
                   jsonb_build_object('lead_id', s.lead_id, 'kind', s.kind, 'occurred_on', s.occurred_on))::event_new
          FROM screen_stage s WHERE s.household_no IS NULL ORDER BY s.lead_id));

    -- open a case for each household without an open one (a concurrent worker's wins: DO NOTHING),
    -- due by the decision limit in force for its village (calendar or working days)
    -- screen_decision_due reads the province of the region only (fp_param): once per distinct
    -- (province, day) of the batch (MATERIALIZED: computed once, not per joined row)
    WITH d AS MATERIALIZED (
        SELECT p.prov, p.occurred_on, screen_decision_due(p.prov, p.occurred_on) AS due_on
          FROM (SELECT DISTINCT left(x.hh_village, 2) AS prov, x.occurred_on FROM screen_stage x
                 WHERE x.household_no IS NOT NULL AND x.first_in_batch) p),
    ins AS (
        INSERT INTO cases (county_code, village_code, household_no, state, opened_on, due_on)
        SELECT s.county_code, s.hh_village, s.household_no, 'opened', s.occurred_on, d.due_on
          FROM screen_stage s
          JOIN d ON d.prov = left(s.hh_village, 2) AND d.occurred_on = s.occurred_on
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
      FROM screen_stage s JOIN cases c ON c.county_code = s.county_code AND c.id = s.case_id
     ORDER BY s.case_id, s.opened DESC, s.lead_id;
    PERFORM events_write(ARRAY(
        SELECT ROW(s.county_code, s.hh_village, CASE WHEN s.opened THEN 'case.opened' ELSE 'case.lead_merged' END,
                   jsonb_build_object('case_id', s.case_id, 'lead_id', s.lead_id, 'kind', s.kind))::event_new
          FROM screen_stage s WHERE s.case_id IS NOT NULL ORDER BY s.case_id, s.opened DESC, s.lead_id));

    -- every claimed lead screened, once: not in the ledger -> unmatched, in a case -> verifying; a
    -- lead skipped above (already in a case or unmatched) keeps its status
    UPDATE leads l
       SET screened_at = coalesce(l.screened_at, now()), screened_by = coalesce(l.screened_by, p_worker),
           status = CASE WHEN s.lead_id IS NULL THEN l.status WHEN s.household_no IS NULL THEN 'unmatched'
                         WHEN s.case_id IS NOT NULL THEN 'verifying' ELSE l.status END,
           status_reason = CASE WHEN s.lead_id IS NULL THEN l.status_reason
                                WHEN s.household_no IS NULL
                                THEN '不在乡村人口台账中：已交村核实登记或排除 / not in the rural population ledger: '
                                     'the village is asked to register or refute'
                                WHEN s.case_id IS NOT NULL THEN '' ELSE l.status_reason END,
           status_at = CASE WHEN s.household_no IS NULL OR s.case_id IS NOT NULL THEN now() ELSE l.status_at END
      FROM unnest(p_ids) AS k(id) LEFT JOIN screen_stage s ON s.lead_id = k.id
     WHERE l.id = k.id AND (s.lead_id IS NOT NULL OR l.screened_at IS NULL);

    -- a public-security death lead updates the ledger too: the matched member leaves the
    -- household on the day of death, with one 'death' event from that lead. A person dies once:
    -- a member already gone, or a death already recorded, is left alone.
    WITH dead AS (
        SELECT DISTINCT ON (s.county_code, l.id_hmac) s.county_code, s.household_no, l.id_hmac,
               s.lead_id, s.occurred_on
          FROM screen_stage s JOIN leads l ON l.county_code = s.county_code AND l.id = s.lead_id
         WHERE s.case_id IS NOT NULL AND s.kind = 'gongan.member_death'
         ORDER BY s.county_code, l.id_hmac, s.occurred_on, s.lead_id),
    gone AS (
        UPDATE ledger_members m SET left_on = d.occurred_on, left_reason = concat('death:lead:', d.lead_id),
               updated_at = now()
          FROM dead d
         WHERE m.county_code = d.county_code AND m.id_hmac = d.id_hmac AND m.left_on IS NULL
        RETURNING m.county_code, m.household_no, m.id_hmac, d.lead_id, d.occurred_on)
    INSERT INTO ledger_events (county_code, household_no, id_hmac, kind, event_on, source)
    SELECT g.county_code, g.household_no, g.id_hmac, 'death', g.occurred_on, concat('lead:', g.lead_id)
      FROM gone g
     WHERE NOT EXISTS (SELECT 1 FROM ledger_events e WHERE e.county_code = g.county_code
                        AND e.id_hmac = g.id_hmac AND e.kind = 'death')
     ORDER BY g.county_code, g.id_hmac;

    RETURN QUERY
    -- the parameters in force, once per distinct (province, opened_on) of the batch's cases
    WITH pr AS MATERIALIZED (
        SELECT p.prov, p.opened_on,
               (fp_param('monitoring_line_yuan', p.prov, p.opened_on) * 100)::bigint AS line_fen,
               fp_param('rigid_ratio_pct', p.prov, p.opened_on)::integer AS rigid_ratio_pct,
               fp_param('monitor_upper_ratio_pct', p.prov, p.opened_on)::integer AS monitor_upper_ratio_pct
          FROM (SELECT DISTINCT left(y.village_code, 2) AS prov, y.opened_on
                  FROM cases y WHERE y.id IN (SELECT s.case_id FROM screen_stage s)) p)
    SELECT c.id, c.village_code::text, to_char(c.opened_on, 'YYYY-MM-DD'), h.household_type,
           h.wage_fen, h.wage_public_job_fen, h.operating_fen, h.property_fen, h.pension_fen,
           h.family_planning_fen, h.eco_compensation_fen, h.dibao_fen, h.tekun_fen, h.other_transfer_fen,
           h.production_cost_fen, h.medical_oop_fen, ks.lead_medical,
           h.education_ok, h.education_reason, h.medical_ok, h.medical_reason, h.housing_ok, h.housing_reason,
           h.water_ok, h.water_reason,
           m.members::int, m.with_labour::int, m.disabled::int, m.uninsured::int, m.dropped_out::int,
           ks.shocks, ks.guarantees, pr.line_fen, pr.rigid_ratio_pct, pr.monitor_upper_ratio_pct
      -- driven from this batch's few cases: a primary-key probe each, whatever the size of cases
      FROM (SELECT DISTINCT s.county_code, s.case_id FROM screen_stage s WHERE s.case_id IS NOT NULL) k
      JOIN cases c ON c.county_code = k.county_code AND c.id = k.case_id
      JOIN pr ON pr.prov = left(c.village_code, 2) AND pr.opened_on = c.opened_on
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
      -- what the case's leads say by their kinds (lead_kinds.shock, lead_kinds.guarantee)
      CROSS JOIN LATERAL (
           SELECT string_agg(DISTINCT lk.shock, ',') AS shocks, string_agg(DISTINCT lk.guarantee, ',') AS guarantees,
                  coalesce(sum(l.amount_fen) FILTER (WHERE l.kind = 'yibao.high_cost'), 0)::bigint AS lead_medical
             FROM case_leads cl JOIN leads l ON l.county_code = cl.county_code AND l.id = cl.lead_id
             JOIN lead_kinds lk ON lk.code = l.kind
            WHERE cl.county_code = c.county_code AND cl.case_id = c.id) ks
     ORDER BY c.id;
END $$;

-- Stores the decisions the rules made (a JSON array of {id, decision, line_fen, per_capita_net_fen}).
CREATE OR REPLACE FUNCTION screen_store_decisions(p jsonb) RETURNS integer
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
