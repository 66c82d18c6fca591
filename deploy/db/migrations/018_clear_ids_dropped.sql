-- 018_clear_ids_dropped: before this file runs, in its transaction, the migration step seals
-- every ID number still in clear (common/migrate.c, s_seal_clear_ids): it needs the county's
-- data key when there are any. Then the clear columns go, the keys and indexes that used them
-- are made on id_hmac, and the two functions that compared ID numbers compare id_hmac
-- (otherwise unchanged but for intake_apply's key check: intake_apply from 002_intake.sql,
-- screen_match from 008_death_leads.sql).
ALTER TABLE leads DROP COLUMN id_number;
ALTER TABLE leads ALTER COLUMN id_hmac SET NOT NULL, ALTER COLUMN id_sealed SET NOT NULL,
                  ALTER COLUMN id_masked SET NOT NULL,
                  ADD CONSTRAINT leads_person_key UNIQUE (county_code, sender, id_hmac, kind, occurred_on);

ALTER TABLE ledger_members DROP COLUMN id_number;
ALTER TABLE ledger_members ALTER COLUMN id_hmac SET NOT NULL, ALTER COLUMN id_sealed SET NOT NULL,
                           ALTER COLUMN id_masked SET NOT NULL,
                           ADD CONSTRAINT ledger_members_pkey PRIMARY KEY (county_code, id_hmac);

ALTER TABLE ledger_events DROP COLUMN id_number;
ALTER TABLE ledger_events ALTER COLUMN id_hmac SET NOT NULL;
CREATE INDEX ledger_events_person ON ledger_events (county_code, id_hmac, event_on);

-- intake_apply gains p_key, the check value of the data key the batch was sealed with: a batch
-- sealed with a key that is no longer the database's (rotated while intake ran with the old
-- one) is refused whole (SQLSTATE FPK01) rather than stored unmatched.
DROP FUNCTION intake_apply(text, text, text, text, text, text);
CREATE FUNCTION intake_apply(p_sender text, p_batch text, p_county text, p_period text,
                             p_hash text, p_dept text, p_key text)
RETURNS TABLE (idx integer, line_ref text, code text, reason text, lead_id bigint, duplicate_of bigint)
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    IF NOT fp_data_key_matches(p_key) THEN
        RAISE EXCEPTION 'data_key.changed: the batch was sealed with another data key than the database''s'
              USING ERRCODE = 'FPK01';
    END IF;
    INSERT INTO lead_batches AS b (county_code, sender, department_code, batch_id, period, content_hash,
                                   leads, accepted, duplicates, rejected)
    VALUES (p_county, p_sender, nullif(p_dept, ''), p_batch, p_period, p_hash, 0, 0, 0, 0)
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        RETURN QUERY SELECT -1, ''::text, ''::text, ''::text, NULL::bigint, NULL::bigint;
        RETURN;
    END IF;

    RETURN QUERY
    WITH checked AS (
        -- a scalar subquery per line is an index probe; NOT EXISTS inside CASE would hash the
        -- whole national regions table for every batch
        SELECT t.idx, t.line_ref, t.id_hmac, t.id_sealed, t.id_masked, t.name, t.village_code, t.kind,
               t.occurred_on, t.amount_fen,
               t.detail,
               CASE WHEN t.reason <> '' THEN t.reason
                    WHEN (SELECT r.level FROM regions r WHERE r.code = t.village_code) IS DISTINCT FROM 5
                    THEN 'village.unknown' ELSE '' END AS why
          FROM intake_stage t),
    ranked AS (
        SELECT c.*, CASE WHEN c.why = '' THEN first_value(c.idx) OVER
                    (PARTITION BY c.why = '', c.id_hmac, c.kind, c.occurred_on ORDER BY c.idx) END AS first_idx
          FROM checked c),
    ins AS (
        -- A lead already received from this sender (same person, kind, date) is touched rather
        -- than skipped, so RETURNING gives its id too: xmax = 0 marks the rows inserted now.
        INSERT INTO leads AS l (county_code, village_code, sender, department_code, batch_id, line_no, line_ref,
                                period, kind, id_hmac, id_sealed, id_masked, name, occurred_on, amount_fen, detail)
        SELECT p_county, r.village_code, p_sender, nullif(p_dept, ''), p_batch, r.idx, r.line_ref, p_period,
               r.kind, r.id_hmac, r.id_sealed, r.id_masked, r.name, r.occurred_on, r.amount_fen, r.detail
          FROM ranked r WHERE r.first_idx = r.idx
         -- key order: two batches committing at once lock shared keys in the same order (no deadlock)
         ORDER BY r.id_hmac, r.kind, r.occurred_on
        ON CONFLICT (county_code, sender, id_hmac, kind, occurred_on) DO UPDATE SET county_code = l.county_code
        RETURNING l.id, l.id_hmac, l.kind, l.occurred_on, l.village_code, (l.xmax = 0) AS inserted),
    ev AS (
        INSERT INTO events (county_code, region_code, type, payload)
        SELECT p_county, i.village_code, 'lead.accepted',
               jsonb_build_object('lead_id', i.id, 'kind', i.kind, 'sender', p_sender, 'batch_id', p_batch,
                                  'period', p_period, 'occurred_on', i.occurred_on)
          FROM ins i WHERE i.inserted ORDER BY i.id),
    firsts AS (
        SELECT r.idx, i.id, i.inserted
          FROM ranked r JOIN ins i ON i.id_hmac = r.id_hmac AND i.kind = r.kind AND i.occurred_on = r.occurred_on
         WHERE r.first_idx = r.idx),
    res AS (
        SELECT r.idx, r.line_ref,
               CASE WHEN r.why <> '' THEN 'BAD_REQUEST' WHEN r.first_idx = r.idx AND f.inserted THEN 'OK'
                    ELSE 'DUPLICATE' END AS code,
               CASE WHEN r.why <> '' THEN r.why WHEN r.first_idx <> r.idx THEN 'duplicate.in_batch'
                    WHEN NOT f.inserted THEN 'duplicate.earlier' ELSE '' END AS reason,
               CASE WHEN r.why = '' AND r.first_idx = r.idx AND f.inserted THEN f.id END AS lead_id,
               CASE WHEN r.why = '' AND NOT (r.first_idx = r.idx AND f.inserted) THEN f.id END AS duplicate_of
          FROM ranked r LEFT JOIN firsts f ON f.idx = r.first_idx),
    upd AS (
        UPDATE lead_batches b SET
            leads = s.leads, accepted = s.accepted, duplicates = s.duplicates, rejected = s.rejected,
            results = s.results
          FROM (SELECT count(*) AS leads, count(*) FILTER (WHERE x.code = 'OK') AS accepted,
                       count(*) FILTER (WHERE x.code = 'DUPLICATE') AS duplicates,
                       count(*) FILTER (WHERE x.code = 'BAD_REQUEST') AS rejected,
                       string_agg(concat_ws(E'\t', x.idx, x.code, x.reason, coalesce(x.lead_id, 0),
                                            coalesce(x.duplicate_of, 0), x.line_ref), E'\n' ORDER BY x.idx) AS results
                  FROM res x) s
         WHERE b.sender = p_sender AND b.batch_id = p_batch)
    SELECT x.idx, x.line_ref, x.code, x.reason, x.lead_id, x.duplicate_of FROM res x ORDER BY x.idx;
END $$;

CREATE OR REPLACE FUNCTION screen_match(p_ids bigint[])
RETURNS TABLE (case_id bigint, village_code text, opened_on text, household_type text,
               wage_fen bigint, wage_public_job_fen bigint, operating_fen bigint, property_fen bigint,
               pension_fen bigint, family_planning_fen bigint, eco_compensation_fen bigint, dibao_fen bigint,
               tekun_fen bigint, other_transfer_fen bigint, production_cost_fen bigint, medical_oop_fen bigint,
               lead_medical_fen bigint,
               education_ok boolean, education_reason text, medical_ok boolean, medical_reason text,
               housing_ok boolean, housing_reason text, water_ok boolean, water_reason text,
               members integer, with_labour integer, disabled integer, uninsured integer, dropped_out integer,
               lead_kinds text, line_fen bigint, rigid_ratio_pct integer, monitor_upper_ratio_pct integer)
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
      -- 008: a death lead also finds a member whose death is already recorded (a repeat report
      -- merges into the household's case instead of asking the village to register the person)
      LEFT JOIN ledger_members m ON m.county_code = l.county_code AND m.id_hmac = l.id_hmac
                                AND (m.left_on IS NULL OR (l.kind = 'gongan.member_death'
                                                           AND m.left_reason LIKE 'death:%'))
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

    -- 008: a public-security death lead updates the ledger too: the matched member leaves the
    -- household on the day of death, with one 'death' event from that lead. A person dies once:
    -- a member already gone, or a death already recorded, is left alone.
    WITH dead AS (
        SELECT DISTINCT ON (s.county_code, l.id_hmac) s.county_code, s.household_no, l.id_hmac,
               s.lead_id, s.occurred_on
          FROM screen_stage s JOIN leads l ON l.id = s.lead_id
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
           (fp_param('monitoring_line_yuan', c.village_code, c.opened_on) * 100)::bigint,
           fp_param('rigid_ratio_pct', c.village_code, c.opened_on)::integer,
           fp_param('monitor_upper_ratio_pct', c.village_code, c.opened_on)::integer
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
