-- SubmitLeads, the set-based part, run inside the service's transaction after it has COPYed
-- the batch into its session's intake_stage table (the pure checks already filled `reason` of
-- the lines they refused). In one statement: checks the villages exist, marks duplicates
-- inside the batch and against earlier batches (by id_hmac: ID numbers are sealed), inserts the
-- accepted leads and their lead.accepted events, stores the answer for every line in the batch
-- row, and returns it. Returns a single row with idx = -1 when the batch already exists (a
-- concurrent resend): the caller rolls back and answers from the stored batch. p_key is the
-- check value of the data key the batch was sealed with: a batch sealed with another key than
-- the database's (rotated while intake ran with the old one) is refused whole (SQLSTATE FPK01)
-- rather than stored unmatched. p_today is intake's today (FANGPIN_TODAY or the real date in
-- China), stored as the batch's and its leads' received_on, the day the reports count from.
CREATE OR REPLACE FUNCTION intake_apply(p_sender text, p_batch text, p_county text, p_period text,
                             p_hash text, p_dept text, p_key text, p_today date)
RETURNS TABLE (idx integer, line_ref text, code text, reason text, lead_id bigint, duplicate_of bigint,
               kind text, village text)
-- jit off: the planner's estimate for a batch (a regions probe per line) passes jit_above_cost, and
-- compiling the plan took about 40 ms of each 250 ms batch of 5,000 leads (auto_explain under
-- bench/intake), to evaluate expressions over a few thousand rows once. Off, 1,000,000 leads
-- took 28.9-29.7 s instead of 33.3-34.7 s.
LANGUAGE plpgsql SET jit = off AS $$
-- the result's columns (kind above all, in ON CONFLICT) name the tables' columns, never variables
#variable_conflict use_column
DECLARE
    n integer;
BEGIN
    -- the key the service recorded or checked when it started (common/migrate.c)
    IF p_key IS DISTINCT FROM (SELECT d.check_value FROM data_key d) THEN
        RAISE EXCEPTION 'data_key.changed: the batch was sealed with another data key than the database''s'
              USING ERRCODE = 'FPK01';
    END IF;
    INSERT INTO lead_batches AS b (county_code, sender, department_code, batch_id, period, content_hash,
                                   leads, accepted, duplicates, rejected, received_on)
    VALUES (p_county, p_sender, nullif(p_dept, ''), p_batch, p_period, p_hash, 0, 0, 0, 0, p_today)
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        RETURN QUERY SELECT -1, ''::text, ''::text, ''::text, NULL::bigint, NULL::bigint, NULL::text, NULL::text;
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
                                period, kind, id_hmac, id_sealed, id_masked, name, occurred_on, amount_fen, detail,
                                received_on)
        SELECT p_county, r.village_code, p_sender, nullif(p_dept, ''), p_batch, r.idx, r.line_ref, p_period,
               r.kind, r.id_hmac, r.id_sealed, r.id_masked, r.name, r.occurred_on, r.amount_fen, r.detail, p_today
          FROM ranked r WHERE r.first_idx = r.idx
         -- key order: two batches committing at once lock shared keys in the same order (no deadlock)
         ORDER BY r.id_hmac, r.kind, r.occurred_on
        ON CONFLICT (county_code, sender, id_hmac, kind, occurred_on) DO UPDATE SET county_code = l.county_code
        RETURNING l.id, l.id_hmac, l.kind, l.occurred_on, l.village_code, (l.xmax = 0) AS inserted),
    ev AS (
        -- read by the last SELECT, so that it runs (events.sql)
        SELECT events_write(array_agg(ROW(p_county, i.village_code, 'lead.accepted',
                                          jsonb_build_object('lead_id', i.id, 'kind', i.kind, 'sender', p_sender,
                                                             'batch_id', p_batch, 'period', p_period,
                                                             'occurred_on', i.occurred_on))::event_new
                                      ORDER BY i.id)) AS n
          FROM ins i WHERE i.inserted),
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
               CASE WHEN r.why = '' AND NOT (r.first_idx = r.idx AND f.inserted) THEN f.id END AS duplicate_of,
               CASE WHEN r.why = '' THEN r.kind END AS kind,
               CASE WHEN r.why = '' THEN r.village_code::text END AS village
          FROM ranked r LEFT JOIN firsts f ON f.idx = r.first_idx),
    upd AS (
        UPDATE lead_batches b SET
            leads = s.leads, accepted = s.accepted, duplicates = s.duplicates, rejected = s.rejected,
            results = s.results
          FROM (SELECT count(*) AS leads, count(*) FILTER (WHERE x.code = 'OK') AS accepted,
                       count(*) FILTER (WHERE x.code = 'DUPLICATE') AS duplicates,
                       count(*) FILTER (WHERE x.code = 'BAD_REQUEST') AS rejected,
                       string_agg(concat_ws(E'\t', x.idx, x.code, x.reason, coalesce(x.lead_id, 0),
                                            coalesce(x.duplicate_of, 0), x.line_ref, coalesce(x.kind, ''),
                                            coalesce(x.village, '')), E'\n'
                                  ORDER BY x.idx) AS results
                  FROM res x) s
         WHERE b.sender = p_sender AND b.batch_id = p_batch)
    SELECT x.idx, x.line_ref, x.code, x.reason, x.lead_id, x.duplicate_of, x.kind, x.village FROM res x CROSS JOIN ev
     ORDER BY x.idx;
END $$;

-- The stored answer of a batch as rows, for a resend and GetBatch. The service keeps line_ref
-- free of tabs and newlines (intake_check_line_ref); the kind a line resolved to (a code) follows
-- it, then the village (its 12-digit code), each empty for a refused line; the kind is absent from
-- batches stored before 023_kind_aliases, the village from those stored before 026_village_names.
CREATE OR REPLACE FUNCTION intake_batch_results(p_sender text, p_batch text)
RETURNS TABLE (idx integer, line_ref text, code text, reason text, lead_id bigint, duplicate_of bigint,
               kind text, village text)
LANGUAGE sql STABLE AS $$
    SELECT f[1]::integer, f[6], f[2], f[3], nullif(f[4], '0')::bigint, nullif(f[5], '0')::bigint,
           nullif(f[7], ''), nullif(f[8], '')
      FROM lead_batches b,
           LATERAL regexp_split_to_table(b.results, E'\n') AS line,
           LATERAL regexp_split_to_array(line, E'\t') AS f
     WHERE b.sender = p_sender AND b.batch_id = p_batch AND b.results <> ''
     ORDER BY 1
$$;
