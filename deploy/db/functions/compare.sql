-- compare.sql: data comparison with departments (数据比对, migration 028, docs/compare.md): the
-- audited export of a department's ledger slice, page by page, and its answers kept as dated
-- department facts, after which the rules that read them (Q094-Q100) run. Intake calls these
-- with the sender's county and department; the ID numbers are opened and hashed in C.

-- What department p_dept said last about the person p_id_hmac of county p_county (NULL: nothing).
CREATE OR REPLACE FUNCTION compare_fact(p_county text, p_id_hmac bytea, p_dept text, p_fact text)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT value FROM dept_facts
     WHERE county_code = p_county AND id_hmac = p_id_hmac AND department_code = p_dept AND fact = p_fact
     ORDER BY as_of DESC LIMIT 1
$$;

-- What department p_dept said last about household p_household of county p_county, over its present
-- members, for a yes/no fact: 'no' when it said no of any of them, else 'yes' when it said yes of
-- any, else NULL (住建's house_safe: the house is the household's, whoever the answer named).
CREATE OR REPLACE FUNCTION compare_household_fact(p_county text, p_household text, p_dept text, p_fact text)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN bool_or(v = 'no') THEN 'no' WHEN bool_or(v = 'yes') THEN 'yes' END
      FROM (SELECT compare_fact(p_county, m.id_hmac, p_dept, p_fact) AS v FROM ledger_members m
             WHERE m.county_code = p_county AND m.household_no = p_household AND m.left_on IS NULL) x
$$;

-- Begins an export of county p_county's ledger for department p_dept: the columns p_columns (empty:
-- all of the department's), in the department's order. A column the department may not compare is
-- returned as problem (and nothing is written); else the export is recorded with the slice's size,
-- and compare.exported written, in this transaction.
CREATE OR REPLACE FUNCTION compare_export_open(p_county text, p_dept text, p_sender text, p_reason text,
                                               p_columns text[])
RETURNS TABLE (export_id bigint, problem text, columns text[], rows bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    bad  text;
    cols text[];
    n    bigint;
    id   bigint;
BEGIN
    SELECT x INTO bad FROM unnest(p_columns) x
     WHERE NOT EXISTS (SELECT 1 FROM compare_columns c WHERE c.department_code = p_dept AND c.column_name = x) LIMIT 1;
    IF bad IS NOT NULL THEN
        RETURN QUERY SELECT NULL::bigint, bad, NULL::text[], NULL::bigint;
        RETURN;
    END IF;
    SELECT array_agg(c.column_name ORDER BY c.position) INTO cols FROM compare_columns c
     WHERE c.department_code = p_dept AND (cardinality(p_columns) = 0 OR c.column_name = ANY (p_columns));
    IF cols IS NULL THEN
        RETURN QUERY SELECT NULL::bigint, '', NULL::text[], NULL::bigint;
        RETURN;
    END IF;
    SELECT count(*) INTO n FROM ledger_members m WHERE m.county_code = p_county AND m.left_on IS NULL;
    INSERT INTO compare_exports (county_code, department_code, sender, reason, columns, rows)
    VALUES (p_county, p_dept, p_sender, p_reason, cols, n) RETURNING compare_exports.id INTO id;
    PERFORM events_write(ARRAY[ROW(p_county, p_county || '000000', 'compare.exported',
        jsonb_build_object('export_id', id, 'department', p_dept, 'columns', to_jsonb(cols), 'rows', n))::event_new]);
    RETURN QUERY SELECT id, NULL::text, cols, n;
END $$;

-- The columns of export p_export if it is department p_dept's of county p_county (else NULL).
CREATE OR REPLACE FUNCTION compare_export_columns(p_county text, p_dept text, p_export bigint)
RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT columns FROM compare_exports WHERE id = p_export AND county_code = p_county AND department_code = p_dept
$$;

-- One column of the export as an SQL expression over a present member m and its household h, the
-- cell as the answer file shows it (Chinese words, yuan); the ID number is '' (intake opens
-- id_sealed in C); NULL for a column it does not know. Columns, not rows: intake may read only
-- these columns of the ledger (deploy/db/grants.sql), and a page reads only its export's.
CREATE OR REPLACE FUNCTION compare_cell_sql(p_col text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p_col
        WHEN 'name' THEN 'm.name'
        WHEN 'id_number' THEN $e$''$e$
        WHEN 'village_code' THEN 'h.village_code'
        WHEN 'household_no' THEN 'h.household_no'
        WHEN 'relation' THEN $e$CASE m.relation WHEN 'head' THEN '户主' WHEN 'spouse' THEN '配偶' WHEN 'child' THEN '子女'
                                 WHEN 'child_in_law' THEN '儿媳/女婿' WHEN 'grandchild' THEN '孙子女'
                                 WHEN 'parent' THEN '父母' WHEN 'grandparent' THEN '祖父母'
                                 WHEN 'sibling' THEN '兄弟姐妹' ELSE '其他' END$e$
        WHEN 'household_type' THEN $e$CASE h.household_type WHEN 'general' THEN '一般户' WHEN 'lifted' THEN '脱贫户'
                                       ELSE '监测户' END$e$
        WHEN 'birth_date' THEN $e$to_char(m.birth_date, 'YYYY-MM-DD')$e$
        WHEN 'insured' THEN $e$CASE WHEN m.insured THEN '是' ELSE '否' END$e$
        WHEN 'schooling' THEN $e$CASE m.schooling WHEN 'preschool' THEN '学龄前儿童' WHEN 'in_school' THEN '在校生'
                                  WHEN 'dropped_out' THEN '辍学' WHEN 'graduated' THEN '已毕业' ELSE '非在校生' END$e$
        WHEN 'dibao_yuan' THEN $e$to_char(h.dibao_fen / 100.0, 'FM999999999990.00')$e$
        WHEN 'tekun_yuan' THEN $e$to_char(h.tekun_fen / 100.0, 'FM999999999990.00')$e$
        WHEN 'housing_ok' THEN $e$CASE h.housing_ok WHEN true THEN '是' WHEN false THEN '否' ELSE '' END$e$
    END
$$;

-- The statement of a page of export p_export (NULL: no such export), which intake runs with $1
-- the county, $2 and $3 the cursor (the previous page's last row: its household_no and id_hmac;
-- '' and '\x' for the first page) and $4 the page's size: county $1's present members in the
-- tables' order, household then person, after the cursor, at most $4 of them (id_hmac, id_sealed,
-- household_no, then one text column per column of the export, the cells as compare_cell_sql
-- makes them). Intake counts the page on the export (pages, rows_sent, last_page_at) before a
-- row of it leaves. Made once per page request for the export's columns and planned for each
-- page's values: a cell computed by a function per column and row, or the generic plan chosen
-- after five pages, made a 200,000-person export run at 6-7% of COPY's speed. Pages by id_hmac
-- read the heap at random: past shared_buffers nearly every row was a buffer miss (87 us a row
-- at a million persons). The households' bound (h.household_no >= $2) is the members' cursor
-- said again for the other side of the merge join: the planner does not derive it from the row
-- comparison, and without it each page walked the county's households from the first (half the
-- county's households a page on average at a million persons). Run by intake itself rather than
-- through a PL/pgSQL function returning the rows (a tuplestore, then the array of cells taken
-- apart): that layer took several times the statement's own time a page.
-- compare_rows_sql: that statement for export p_export with the county, the cursor and the limit
-- as the SQL expressions given (p_limit NULL: no limit).
CREATE OR REPLACE FUNCTION compare_rows_sql(p_export bigint, p_county text, p_after_household text,
                                            p_after_hmac text, p_limit text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format(
        'SELECT m.id_hmac, m.id_sealed, m.household_no, %1$s'
        '  FROM ledger_members m'
        '  JOIN ledger_households h ON h.county_code = m.county_code AND h.household_no = m.household_no'
        ' WHERE m.county_code = %2$s AND m.left_on IS NULL AND (m.household_no, m.id_hmac) > (%3$s, %4$s)'
        '   AND h.household_no >= %3$s'
        ' ORDER BY m.household_no, m.id_hmac%5$s',
        (SELECT string_agg(format('(%s)::text AS c%s', compare_cell_sql(c), i), ', ' ORDER BY i)
           FROM unnest(e.columns) WITH ORDINALITY AS u(c, i)),
        p_county, p_after_household, p_after_hmac, coalesce(' LIMIT ' || p_limit, ''))
      FROM compare_exports e WHERE e.id = p_export
$$;

CREATE OR REPLACE FUNCTION compare_page_sql(p_export bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT compare_rows_sql(p_export, '$1', '$2', '$3', '$4')
$$;

-- The rows of export p_export of county p_county after the cursor (p_after_household,
-- p_after_hmac: a page's last row) to the county's last, as compare_page_sql's statement reads
-- them but without a limit, as one COPY in binary format (COPY takes no parameters: the values
-- are quoted into it). Intake streams the pages after the one it read this way on a connection
-- of its own (services/intake/compare.c): one statement instead of one a page, and COPY's rows
-- instead of a query's (the database's time for a million rows: about half).
CREATE OR REPLACE FUNCTION compare_stream_sql(p_export bigint, p_county text, p_after_household text,
                                              p_after_hmac bytea) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('COPY (%s) TO STDOUT (FORMAT binary)',
                  compare_rows_sql(p_export, quote_literal(p_county), quote_literal(p_after_household),
                                   quote_literal(p_after_hmac) || '::bytea', NULL))
$$;

-- The persons of p_hmacs not present in county p_county's ledger, as hex (for the answers' lines).
CREATE OR REPLACE FUNCTION compare_unmatched(p_county text, p_hmacs bytea[])
RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(DISTINCT encode(h, 'hex')), '{}') FROM unnest(p_hmacs) h
     WHERE NOT EXISTS (SELECT 1 FROM ledger_members m WHERE m.county_code = p_county AND m.id_hmac = h
                                                        AND m.left_on IS NULL)
$$;

-- The rules that read department p_dept's facts (NULL: none).
CREATE OR REPLACE FUNCTION compare_rules(p_dept text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p_dept WHEN 'yibao' THEN '{Q094,Q095}'::text[] WHEN 'minzheng' THEN '{Q096}'::text[]
                       WHEN 'zhujian' THEN '{Q097,Q098}'::text[] WHEN 'jiaoyu' THEN '{Q099,Q100}'::text[] END
$$;

-- Stores batch p_batch of department p_dept's answers to export p_export: the facts staged by
-- intake in this transaction (pg_temp.compare_stage: h, the person's id_hmac, says f = v), as of
-- p_on; then, p_run true (a file's last batch), records that the rules that read that
-- department's facts are due (compare_rules_due, committed with the facts, and NOTIFY
-- fangpin_compare_rules): the assistance service runs them over the county in a transaction of its
-- own (compare_rules_run_next), as a county-wide run at a million persons outlasts a request's
-- statement timeout. p_run false (SubmitCompareAnswers.defer_rules): only the facts (a run per
-- batch would make a file of n answers n/10000 runs). unmatched: the persons (hex of id_hmac) not
-- present in the ledger, kept on the batch. A batch already stored is answered with its counts
-- (replayed; run and opened once its rules have run, queued while they are due) and writes
-- nothing. problem: 'compare.export_unknown' when the export is not the department's of this
-- county, 'data_key.changed' when p_check is not the stored data key's check value (the hashes
-- would match nobody).
CREATE OR REPLACE FUNCTION compare_answers_apply(p_county text, p_dept text, p_sender text, p_batch text,
                                                 p_export bigint, p_on date, p_answers integer, p_check text,
                                                 p_run boolean)
RETURNS TABLE (problem text, replayed boolean, answers integer, matched integer, facts integer, run bigint,
               opened integer, unmatched text[], queued boolean)
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
#variable_conflict use_column
DECLARE
    b   compare_batches;
    nm  integer;
    nf  integer;
    q   boolean := false;
    um  text[];
BEGIN
    IF p_check IS DISTINCT FROM (SELECT check_value FROM data_key) THEN
        RETURN QUERY SELECT 'data_key.changed', false, 0, 0, 0, NULL::bigint, 0, NULL::text[], false;
        RETURN;
    END IF;
    IF compare_export_columns(p_county, p_dept, p_export) IS NULL THEN
        RETURN QUERY SELECT 'compare.export_unknown', false, 0, 0, 0, NULL::bigint, 0, NULL::text[], false;
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('compare_batch:' || p_county || ':' || p_dept || ':' || p_batch));
    SELECT * INTO b FROM compare_batches x
     WHERE x.county_code = p_county AND x.department_code = p_dept AND x.batch_id = p_batch;
    IF FOUND THEN
        RETURN QUERY SELECT NULL::text, true, b.answers, b.matched, b.facts, b.quality_run, b.findings_opened,
                            coalesce(b.unmatched, compare_unmatched(p_county, ARRAY(SELECT s.h FROM pg_temp.compare_stage s))),
                            EXISTS (SELECT 1 FROM compare_rules_due d WHERE d.county_code = p_county
                                       AND d.department_code = p_dept AND d.batch_id = p_batch AND d.done_at IS NULL);
        RETURN;
    END IF;
    -- matched: the batch's persons less those not in the ledger (one index probe each, in the
    -- index's order, once)
    SELECT coalesce(array_agg(encode(u.h, 'hex') ORDER BY u.h) FILTER (WHERE NOT u.present), '{}'), count(*)
      INTO um, nm
      FROM (SELECT d.h, EXISTS (SELECT 1 FROM ledger_members m
                                 WHERE m.county_code = p_county AND m.id_hmac = d.h AND m.left_on IS NULL) AS present
              FROM (SELECT DISTINCT s.h FROM pg_temp.compare_stage s ORDER BY s.h) d) u;
    nm := nm - cardinality(um);
    BEGIN
        -- the common case, a department's first answer of the day about these persons: a plain
        -- insert, in the key's order (the index is walked, not jumped about)
        INSERT INTO dept_facts (county_code, id_hmac, department_code, fact, value, as_of, export_id, batch_id)
        SELECT p_county, s.h, p_dept, s.f, s.v, p_on, p_export, p_batch FROM pg_temp.compare_stage s ORDER BY s.h, s.f;
        GET DIAGNOSTICS nf = ROW_COUNT;
    EXCEPTION WHEN unique_violation THEN
        -- a fact of the same person, department and day is stored: replaced only when it differs
        INSERT INTO dept_facts (county_code, id_hmac, department_code, fact, value, as_of, export_id, batch_id)
        SELECT p_county, s.h, p_dept, s.f, s.v, p_on, p_export, p_batch FROM pg_temp.compare_stage s ORDER BY s.h, s.f
        ON CONFLICT ON CONSTRAINT dept_facts_pkey DO UPDATE SET value = EXCLUDED.value, export_id = EXCLUDED.export_id,
                                                             batch_id = EXCLUDED.batch_id
         WHERE dept_facts.value IS DISTINCT FROM EXCLUDED.value;
        GET DIAGNOSTICS nf = ROW_COUNT;
    END;
    IF compare_rules(p_dept) IS NOT NULL AND p_run THEN
        INSERT INTO compare_rules_due (county_code, department_code, batch_id, as_of, sender)
        VALUES (p_county, p_dept, p_batch, p_on, p_sender);
        PERFORM pg_notify('fangpin_compare_rules', p_county);
        q := true;
    END IF;
    INSERT INTO compare_batches (county_code, department_code, batch_id, export_id, sender, answers, matched, facts,
                                 quality_run, findings_opened, unmatched)
    VALUES (p_county, p_dept, p_batch, p_export, p_sender, p_answers, nm, nf, NULL, 0, um);
    RETURN QUERY SELECT NULL::text, false, p_answers, nm, nf, NULL::bigint, 0, um, q;
END $$;

-- A batch's rules' state, for an import waiting for their run (intake, SubmitCompareAnswers with
-- wait_ms): the run and the findings it opened once run; queued while they are due.
CREATE OR REPLACE FUNCTION compare_batch_rules(p_county text, p_dept text, p_batch text)
RETURNS TABLE (run bigint, opened integer, queued boolean) LANGUAGE sql STABLE AS $$
    SELECT b.quality_run, b.findings_opened,
           EXISTS (SELECT 1 FROM compare_rules_due d WHERE d.county_code = b.county_code
                      AND d.department_code = b.department_code AND d.batch_id = b.batch_id AND d.done_at IS NULL)
      FROM compare_batches b WHERE b.county_code = p_county AND b.department_code = p_dept AND b.batch_id = p_batch
$$;

-- Analyses dept_facts when it changed by more than autovacuum's analyze threshold since its last
-- ANALYZE (autovacuum_analyze_threshold + autovacuum_analyze_scale_factor x its rows); true when it
-- did. Autovacuum would at its next round, up to autovacuum_naptime later; the rules' run of an
-- import plans its statement at once: with the statistics of the table from before a million
-- answers (none of the county's facts) it estimated one fact, scanned them by the primary key
-- and sorted them on disk (bench/compare/README.md: 1.48 s against 0.22 s for the seq scan, and
-- the whole run 5.5-5.6 s against 4.2-5.0 s with the ANALYZE's 0.22-0.24 s). SECURITY DEFINER:
-- ANALYZE is the table owner's (fangpin_owner), which the services are not; it only reads the
-- table. An autovacuum of the table (a million inserted rows make one due, and it often starts as
-- the import ends) holds the lock ANALYZE needs: it is cancelled by PostgreSQL once the ANALYZE
-- has waited deadlock_timeout (1 s by default), as for any lock it blocks; a wait past
-- lock_timeout (another ANALYZE, an anti-wraparound vacuum, which is not cancelled) gives up: the
-- run is planned as it is. (With SKIP_LOCKED instead, the bench's run met autovacuum's lock and
-- was planned with the stale statistics.)
CREATE OR REPLACE FUNCTION compare_facts_analyze() RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public SET lock_timeout = '3s' AS $$
BEGIN
    IF coalesce((SELECT s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::real
                        + current_setting('autovacuum_analyze_scale_factor')::real * greatest(c.reltuples, 0)
                   FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
                  WHERE s.relid = 'public.dept_facts'::regclass), false) THEN
        ANALYZE public.dept_facts;
        RETURN true;
    END IF;
    RETURN false;
EXCEPTION WHEN lock_not_available THEN
    RETURN false;
END $$;

-- Runs the oldest rules still due (compare_rules_due), if any, over its county: the run
-- (quality_run, reason 'compare_import', findings and their events as any run), recorded on the
-- due row and on the batch that made them due, in the caller's transaction (the assistance
-- service makes each call a statement of its own). Another caller skips a row being run. Returns
-- the due row's id, NULL when none is due. work_mem: the run sorts the county's facts of the
-- department (quality_persons' latest fact per person) and hashes its persons; at the default
-- 4 MB both spill to disk at 200,000 persons. One run at a time per assistance service. The
-- facts are analysed first when the import changed them more than autovacuum waits for
-- (compare_facts_analyze).
CREATE OR REPLACE FUNCTION compare_rules_run_next() RETURNS bigint LANGUAGE plpgsql SET work_mem = '64MB' AS $$
DECLARE
    d  compare_rules_due;
    r  bigint;
    no integer;
BEGIN
    SELECT * INTO d FROM compare_rules_due WHERE done_at IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM compare_facts_analyze();
    r := quality_run(d.county_code, d.as_of, d.sender, compare_rules(d.department_code), 'compare_import');
    SELECT (q.counts->>'opened')::integer INTO no FROM quality_runs q WHERE q.id = r;
    UPDATE compare_rules_due SET quality_run = r, done_at = now() WHERE id = d.id;
    UPDATE compare_batches SET quality_run = r, findings_opened = coalesce(no, 0)
     WHERE county_code = d.county_code AND department_code = d.department_code AND batch_id = d.batch_id;
    PERFORM pg_notify('fangpin_compare_rules_done', d.county_code);  -- delivered at the commit
    RETURN d.id;
END $$;
