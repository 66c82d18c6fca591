-- quality.sql: the data-quality checks (疑点, migration 022, docs/quality-checks.md). Three populations
-- (one row per present person, per household, per plan of a county, with the columns the rules'
-- conditions read), the run that evaluates the rules over them and keeps the findings, and the
-- village's explanation of a finding.

-- Whole years from p_born to p_on. STABLE, not IMMUTABLE: the dates become timestamptz at the
-- session's midnight (age() of two dates is age(timestamptz, timestamptz)), so the answer depends
-- on TimeZone (in Asia/Shanghai, 1940-06-01 had no midnight: 85 years on 2026-06-01, 86 in UTC).
-- Declared IMMUTABLE over that STABLE body, it was never inlined: every reference to a person's
-- age in a rule ran the SQL function executor (with the population pulled up, below: the persons'
-- statement took 10.6 s of a 15 s run over a county of 154,570 people; bench/screening/README.md,
-- "The rules' run"). STABLE, the planner inlines the same expression.
CREATE OR REPLACE FUNCTION quality_age(p_born date, p_on date) RETURNS integer
LANGUAGE sql STABLE STRICT AS $$
    SELECT extract(year FROM age(p_on, p_born))::integer
$$;

-- The subject a finding of population p_pop names (quality_findings.subject): the person, by its
-- keyed hash in base64; the plan, by its id; or the household. Each population's subject column,
-- and the run's hits (quality_population_sql), which make it from id_hmac and plan_id for the rows
-- that fired only, not for each of a million rows. IMMUTABLE and inlined: p_pop is a constant
-- wherever it is called, and the CASE folds to the one expression.
CREATE OR REPLACE FUNCTION quality_subject(p_pop text, p_id_hmac bytea, p_plan_id bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p_pop WHEN 'person' THEN 'person:' || encode(p_id_hmac, 'base64')
                      WHEN 'plan' THEN 'plan:' || p_plan_id::text
                      ELSE 'household' END
$$;

-- The persons population: every member present in the county's ledger (left_on empty), with
-- the household's type and guarantees and the present head's age and sex, and what the
-- departments said last of the person in the data comparison (docs/compare.md): 医保 insured,
-- 民政 dibao, 教育 at_school (dept_facts, the latest as_of), and 住建 house_safe over the
-- household's present members ('no' when it said no of any, else 'yes' when yes of any). (Its
-- columns grew with housing_ok in 029 and the departments' facts in 037, each of which dropped
-- it: a function's result columns change only by a drop.) Each fact is a join of its own, made
-- set-based (one pass over the county's facts, not a lookup per person), and one a run's rules
-- do not read is left out by the planner (each is unique on its key). elsewhere (045): the other
-- counties, code and name, where an upper level found the person (federation_found, replicated
-- down from the prefecture or province: docs/federation.md), NULL where none did. The head's
-- age is computed once per head (in hd), not once per member.
CREATE OR REPLACE FUNCTION quality_persons(p_county text, p_on date)
RETURNS TABLE (village_code text, household_no text, subject text, id_hmac bytea, plan_id bigint,
               household_type text, monitored_kind text, relation text, sex text, age integer, labour text,
               health text, disability_grade integer, schooling text, insured boolean, head_age integer,
               head_sex text, education_ok boolean, medical_ok boolean, medical_oop_fen bigint,
               housing_ok boolean, yibao_insured text, minzheng_dibao text, jiaoyu_at_school text,
               zhujian_house_safe text, elsewhere text)
LANGUAGE sql STABLE AS $$
    SELECT h.village_code, m.household_no, quality_subject('person', m.id_hmac, NULL), m.id_hmac, NULL::bigint,
           h.household_type, h.monitored_kind, m.relation, m.sex, quality_age(m.birth_date, p_on), m.labour,
           m.health, m.disability_grade, m.schooling, m.insured, hd.age, hd.sex,
           h.education_ok, h.medical_ok, h.medical_oop_fen, h.housing_ok, fy.value, fm.value, fj.value, fz.value,
           fe.elsewhere
      FROM ledger_members m
      JOIN ledger_households h ON h.county_code = m.county_code AND h.household_no = m.household_no
      LEFT JOIN (SELECT DISTINCT ON (x.household_no) x.household_no, quality_age(x.birth_date, p_on) AS age, x.sex
                   FROM ledger_members x
                  WHERE x.county_code = p_county AND x.relation = 'head' AND x.left_on IS NULL
                  ORDER BY x.household_no, x.birth_date) hd ON hd.household_no = m.household_no
      LEFT JOIN (SELECT DISTINCT ON (d.id_hmac) d.id_hmac, d.value FROM dept_facts d
                  WHERE d.county_code = p_county AND d.department_code = 'yibao' AND d.fact = 'insured'
                  ORDER BY d.id_hmac, d.as_of DESC) fy ON fy.id_hmac = m.id_hmac
      LEFT JOIN (SELECT DISTINCT ON (d.id_hmac) d.id_hmac, d.value FROM dept_facts d
                  WHERE d.county_code = p_county AND d.department_code = 'minzheng' AND d.fact = 'dibao'
                  ORDER BY d.id_hmac, d.as_of DESC) fm ON fm.id_hmac = m.id_hmac
      LEFT JOIN (SELECT DISTINCT ON (d.id_hmac) d.id_hmac, d.value FROM dept_facts d
                  WHERE d.county_code = p_county AND d.department_code = 'jiaoyu' AND d.fact = 'at_school'
                  ORDER BY d.id_hmac, d.as_of DESC) fj ON fj.id_hmac = m.id_hmac
      LEFT JOIN (SELECT x.household_no, CASE WHEN bool_or(z.value = 'no') THEN 'no' WHEN bool_or(z.value = 'yes') THEN 'yes'
                                        END AS value
                   FROM ledger_members x
                   JOIN (SELECT DISTINCT ON (d.id_hmac) d.id_hmac, d.value FROM dept_facts d
                          WHERE d.county_code = p_county AND d.department_code = 'zhujian' AND d.fact = 'house_safe'
                          ORDER BY d.id_hmac, d.as_of DESC) z ON z.id_hmac = x.id_hmac
                  WHERE x.county_code = p_county AND x.left_on IS NULL
                  GROUP BY x.household_no) fz ON fz.household_no = m.household_no
      LEFT JOIN (SELECT f.id_hmac, string_agg(DISTINCT e.code || coalesce(' ' || r.name, ''), ', '
                                                   ORDER BY e.code || coalesce(' ' || r.name, '')) AS elsewhere
                   FROM federation_found f CROSS JOIN unnest(f.elsewhere) AS e(code)
                   LEFT JOIN regions r ON r.code = e.code
                  WHERE f.county_code = p_county
                  GROUP BY f.id_hmac) fe ON fe.id_hmac = m.id_hmac
     WHERE m.county_code = p_county AND m.left_on IS NULL
$$;

-- The households population: every household of the county, its present members counted, its
-- income (per capita over the present members), its guarantees, and whether it was ever
-- identified (an identified case or a monitoring plan).
CREATE OR REPLACE FUNCTION quality_households(p_county text, p_on date)
RETURNS TABLE (village_code text, household_no text, subject text, id_hmac bytea, plan_id bigint,
               household_type text, monitored_kind text, n_members integer, n_heads integer, n_spouses integer,
               n_labour integer, n_labour_normal integer, oldest_age integer, net_income_fen bigint,
               per_capita_fen bigint, wage_fen bigint, pension_fen bigint, dibao_fen bigint, tekun_fen bigint,
               food_clothing_ok boolean, education_ok boolean, medical_ok boolean, housing_ok boolean,
               water_ok boolean, identified boolean)
LANGUAGE sql STABLE AS $$
    SELECT h.village_code, h.household_no, quality_subject('household', NULL, NULL), NULL::bytea, NULL::bigint,
           h.household_type,
           h.monitored_kind, coalesce(m.n, 0), coalesce(m.heads, 0), coalesce(m.spouses, 0),
           coalesce(m.labour, 0), coalesce(m.labour_normal, 0), m.oldest, h.net_income_fen,
           h.net_income_fen / nullif(m.n, 0), h.wage_fen, h.pension_fen, h.dibao_fen, h.tekun_fen, h.food_clothing_ok,
           h.education_ok, h.medical_ok, h.housing_ok, h.water_ok,
           EXISTS (SELECT 1 FROM plans p
                    WHERE p.county_code = h.county_code AND p.household_no = h.household_no AND p.kind = 'monitoring')
           OR EXISTS (SELECT 1 FROM cases c
                       WHERE c.county_code = h.county_code AND c.household_no = h.household_no AND c.state = 'identified')
      FROM ledger_households h
      LEFT JOIN (SELECT x.household_no, count(*)::integer AS n,
                        (count(*) FILTER (WHERE x.relation = 'head'))::integer AS heads,
                        (count(*) FILTER (WHERE x.relation = 'spouse'))::integer AS spouses,
                        (count(*) FILTER (WHERE x.labour IN ('normal', 'weak')))::integer AS labour,
                        (count(*) FILTER (WHERE x.labour = 'normal'))::integer AS labour_normal,
                        quality_age(min(x.birth_date), p_on) AS oldest
                   FROM ledger_members x
                  WHERE x.county_code = p_county AND x.left_on IS NULL
                  GROUP BY x.household_no) m ON m.household_no = h.household_no
     WHERE h.county_code = p_county
$$;

-- The last finished quarter before p_on, 'YYYYQn'.
CREATE OR REPLACE FUNCTION quality_last_quarter(p_on date) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT to_char(date_trunc('quarter', p_on) - interval '1 day', 'YYYY"Q"Q')
$$;

-- The plans population: every assistance plan of the county with its household's ledger facts,
-- the identifying case's income and line, the last income follow-up on or before elimination,
-- its live (not stopped) measures and the plan checks its last scan found. current: the
-- household's latest monitoring plan.
CREATE OR REPLACE FUNCTION quality_plans(p_county text, p_on date)
RETURNS TABLE (village_code text, household_no text, subject text, id_hmac bytea, plan_id bigint,
               household_type text, monitored_kind text, plan_kind text, plan_monitored_kind text,
               current boolean, risk_types text[], n_risks integer, identified_on date, elim_state text,
               elim_way text, eliminated_on date, n_labour integer, n_in_school integer,
               case_per_capita_fen bigint, case_line_fen bigint, income_at_elim_fen bigint,
               live_categories text[], days_planned_unstarted integer, n_unchecked integer, last_quarter text,
               food_clothing_ok boolean, education_ok boolean, medical_ok boolean, housing_ok boolean,
               water_ok boolean, checks text[], checks_seen jsonb)
LANGUAGE sql STABLE AS $$
    SELECT p.village_code, p.household_no, quality_subject('plan', NULL, p.id), NULL::bytea, p.id, h.household_type,
           h.monitored_kind,
           p.kind, p.monitored_kind,
           p.kind = 'monitoring' AND p.id = max(p.id) FILTER (WHERE p.kind = 'monitoring')
                                            OVER (PARTITION BY p.household_no),
           p.risk_types, cardinality(p.risk_types), p.identified_on, p.elim_state, p.elim_way, p.eliminated_on,
           coalesce(m.labour, 0), coalesce(m.in_school, 0), c.per_capita_net_fen, c.line_fen,
           (SELECT i.per_capita_net_fen FROM household_income i
             WHERE i.county_code = p.county_code AND i.household_no = p.household_no AND i.month <= p.eliminated_on
             ORDER BY i.month DESC LIMIT 1),
           coalesce(ms.categories, '{}'), ms.unstarted, coalesce(ms.unchecked, 0), quality_last_quarter(p_on),
           h.food_clothing_ok, h.education_ok, h.medical_ok, h.housing_ok, h.water_ok,
           ARRAY(SELECT f->>'id' FROM jsonb_array_elements(p.findings) f),
           (SELECT coalesce(jsonb_object_agg(f->>'id', f - 'id'), '{}') FROM jsonb_array_elements(p.findings) f)
      FROM plans p
      JOIN ledger_households h ON h.county_code = p.county_code AND h.household_no = p.household_no
      LEFT JOIN cases c ON c.county_code = p.county_code AND c.id = p.case_id
      LEFT JOIN (SELECT x.household_no,
                        (count(*) FILTER (WHERE x.labour IN ('normal', 'weak')))::integer AS labour,
                        (count(*) FILTER (WHERE x.schooling = 'in_school'))::integer AS in_school
                   FROM ledger_members x
                  WHERE x.county_code = p_county AND x.left_on IS NULL
                  GROUP BY x.household_no) m ON m.household_no = p.household_no
      LEFT JOIN (SELECT e.county_code, e.plan_id,
                        array_agg(DISTINCT e.category ORDER BY e.category) AS categories,
                        max(p_on - e.start_on) FILTER (WHERE e.status = 'planned') AS unstarted,
                        (count(*) FILTER (WHERE e.status IN ('planned', 'in_progress')
                                            AND e.start_on < ledger_period_start(quality_last_quarter(p_on))
                                            AND NOT EXISTS (SELECT 1 FROM measure_checks k
                                                             WHERE k.county_code = e.county_code
                                                               AND k.measure_id = e.id
                                                               AND k.quarter = quality_last_quarter(p_on))))::integer
                            AS unchecked
                   FROM measures e
                  WHERE e.county_code = p_county AND e.status <> 'stopped'
                  GROUP BY e.county_code, e.plan_id) ms ON ms.county_code = p.county_code AND ms.plan_id = p.id
     WHERE p.county_code = p_county
$$;

-- p_text with each :name of p_params replaced by the parameter's value (fp_param: the county's
-- province, in force on p_on). A parameter without a value, or a :name not in p_params, stops the
-- run (FPQ02), naming the rule.
CREATE OR REPLACE FUNCTION quality_fill(p_rule text, p_text text, p_params text[], p_county text, p_on date)
RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    name text;
    v    numeric;
BEGIN
    FOREACH name IN ARRAY p_params LOOP
        v := fp_param(name, p_county, p_on);
        IF v IS NULL THEN
            RAISE EXCEPTION 'quality rule %: the parameter % has no value for province % on %',
                p_rule, name, left(p_county, 2), p_on USING ERRCODE = 'FPQ02';
        END IF;
        p_text := regexp_replace(p_text, '(^|[^:]):' || name || '\M', '\1(' || v || ')', 'g');
    END LOOP;
    IF p_text ~ '(^|[^:]):[a-z]' THEN
        RAISE EXCEPTION 'quality rule %: a parameter of "%" is not in its params', p_rule, p_text
            USING ERRCODE = 'FPQ02';
    END IF;
    RETURN p_text;
END $$;

-- The rule's two pieces of the statement its population is evaluated with: its test, an
-- expression that is the rule's code when it fires on the population's row (else NULL), and its
-- facts, the JSON object a finding keeps.
-- A rule of every household type has no type test: household_type is NOT NULL and one of
-- general, lifted, monitored in ledger_households (its CHECK, and quality_rules' own CHECK on
-- household_types), and every population's household_type is the ledger household's (an inner
-- join), so the test was true on every row, evaluated for each of a million rows and 27 rules.
CREATE OR REPLACE FUNCTION quality_rule_test(r quality_rules, p_county text, p_on date)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN r.household_types @> '{general,lifted,monitored}'
                THEN format('CASE WHEN (%s) THEN %L END', quality_fill(r.code, r.condition, r.params, p_county, p_on),
                            r.code)
                ELSE format('CASE WHEN household_type = ANY (%L::text[]) AND (%s) THEN %L END', r.household_types,
                            quality_fill(r.code, r.condition, r.params, p_county, p_on), r.code) END
$$;

CREATE OR REPLACE FUNCTION quality_rule_facts(r quality_rules, p_county text, p_on date)
RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    fact  text;
    parts text[] := '{}';
BEGIN
    FOREACH fact IN ARRAY r.facts LOOP
        IF fact ~ '^[a-z_][a-z0-9_]*$' THEN
            parts := parts || format('%L, %I', fact, fact);
        ELSE
            parts := parts || format('%L, (%s)', split_part(fact, '=', 1),
                                     quality_fill(r.code, substr(fact, strpos(fact, '=') + 1), r.params, p_county, p_on));
        END IF;
    END LOOP;
    RETURN format('jsonb_build_object(%s)', array_to_string(parts, ', '));
END $$;

-- The statement that evaluates the rules p_rules of population p_pop over county p_county as on
-- p_on ($1 county, $2 day) and writes what fired to quality_hits: one pass over the population,
-- each row's tests in one array; the facts are built for the rules that fired only. The two
-- OFFSET 0 keep the subqueries from being pulled up: pulled up, each reference to a column was
-- replaced by the expression behind it, so a person's age was computed once per rule that reads
-- it (a dozen times a row) and the array of tests twice (in the filter, then for unnest). The
-- array is made for the rows that fire at least one rule (the coalesce of the tests: a rule's test
-- is its code when it fires, else NULL), and the subject (quality_subject) for those rows' hits:
-- both were made for each of a million persons before, for the 25,656 that fire Q094/Q095 in
-- bench/compare's import (its statement 4.4-4.6 s, 3.3-3.6 s with both; bench/compare/README.md).
CREATE OR REPLACE FUNCTION quality_population_sql(p_pop text, p_rules text[], p_county text, p_on date)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('INSERT INTO quality_hits SELECT x.code, x.village_code, x.household_no,'
                  ' quality_subject(%L, x.id_hmac, x.plan_id), x.id_hmac, x.plan_id, CASE x.code %s END'
                  ' FROM (SELECT f.*, unnest(f.fired) AS code FROM'
                  ' (SELECT f.*, array_remove(ARRAY[%s], NULL) AS fired'
                  ' FROM (SELECT * FROM quality_%ss($1, $2) OFFSET 0) f WHERE coalesce(%s) IS NOT NULL OFFSET 0) f) x',
                  p_pop, r.facts, r.tests, p_pop, r.tests)
      FROM (SELECT string_agg(format('WHEN %L THEN %s', r.code, quality_rule_facts(r, p_county, p_on)), ' '
                              ORDER BY r.code) AS facts,
                   string_agg(quality_rule_test(r, p_county, p_on), ', ' ORDER BY r.code) AS tests
              FROM quality_rules r
             WHERE r.population = p_pop AND r.code = ANY (p_rules)) r
$$;

-- Evaluates the rules p_rules (NULL: all) over county p_county as on p_on, for p_actor; returns
-- the run's id. Each population is read once, all its rules evaluated on each row. A finding still
-- found keeps its id and takes the new facts (overdue once past due_on; an explained one stays
-- explained unless its facts changed, then opens again with a new due day); a new one is opened,
-- due quality_due_days later; a live finding of an evaluated rule not found again is fixed by this
-- run. A finding whose fix a village claimed (quality_claim_fix) and that is found again keeps the
-- claim and records this run as the one the fix did not hold by (fix_failed_run). Each finding
-- opened writes finding.opened, each fixed finding.closed, each claimed fix that did not hold
-- finding.fix_failed (docs/events.md), in one events_write call, in this transaction. p_reason says
-- why it ran (quality_runs.reason: on_demand, ledger_import or nightly). Runs of one county are serialized. FPQ01: an unknown rule.
-- work_mem: the heads' sort and the members' count per household of a county of 150,000 people
-- spilled to disk at the default 4 MB.
CREATE OR REPLACE FUNCTION quality_run(p_county text, p_on date, p_actor text, p_rules text[] DEFAULT NULL,
                                       p_reason text DEFAULT 'on_demand')
RETURNS bigint LANGUAGE plpgsql SET jit = off SET work_mem = '64MB' AS $$
DECLARE
    run    bigint;
    chosen text[];
    pop    text;
    due    integer := fp_param('quality_due_days', p_county, p_on);
BEGIN
    IF EXISTS (SELECT 1 FROM unnest(p_rules) x WHERE NOT EXISTS (SELECT 1 FROM quality_rules r WHERE r.code = x)) THEN
        RAISE EXCEPTION 'unknown quality rule in %', p_rules USING ERRCODE = 'FPQ01';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('quality_run:' || p_county));
    SELECT coalesce(array_agg(code ORDER BY code), '{}') INTO chosen
      FROM quality_rules WHERE p_rules IS NULL OR code = ANY (p_rules);
    INSERT INTO quality_runs (county_code, on_day, actor, rules, reason) VALUES (p_county, p_on, p_actor, chosen, p_reason)
    RETURNING id INTO run;
    DROP TABLE IF EXISTS pg_temp.quality_hits;
    CREATE TEMP TABLE quality_hits (rule_code text, village_code text, household_no text, subject text,
                                    id_hmac bytea, plan_id bigint, facts jsonb) ON COMMIT DROP;
    FOR pop IN SELECT DISTINCT population FROM quality_rules WHERE code = ANY (chosen) LOOP
        EXECUTE quality_population_sql(pop, chosen, p_county, p_on) USING p_county, p_on;
    END LOOP;
    -- the statistics the statements below join on (the run's hits by rule, household, subject); the
    -- facts' (jsonb compared and sorted for a histogram) took most of the ANALYZE's time
    ANALYZE pg_temp.quality_hits (rule_code, household_no, subject);

    UPDATE quality_findings f
       SET last_run = run, facts = h.facts,
           state = CASE WHEN f.state = 'explained' AND f.facts = h.facts THEN 'explained'
                        WHEN f.state = 'explained' THEN 'open'
                        WHEN p_on > f.due_on THEN 'overdue' ELSE 'open' END,
           due_on = CASE WHEN f.state = 'explained' AND f.facts <> h.facts THEN p_on + due ELSE f.due_on END,
           review = CASE WHEN f.state = 'explained' AND f.facts <> h.facts THEN NULL ELSE f.review END,
           reviewed_by = CASE WHEN f.state = 'explained' AND f.facts <> h.facts THEN NULL ELSE f.reviewed_by END,
           reviewed_at = CASE WHEN f.state = 'explained' AND f.facts <> h.facts THEN NULL ELSE f.reviewed_at END,
           fix_failed_run = CASE WHEN f.fix_claimed_by IS NOT NULL AND f.fix_failed_run IS NULL THEN run
                                 ELSE f.fix_failed_run END
      FROM quality_hits h
     WHERE f.county_code = p_county AND f.rule_code = h.rule_code AND f.household_no = h.household_no
       AND f.subject = h.subject AND f.state <> 'fixed';
    -- the hits of live findings (just updated) are done; the rest are new findings. (Not a NOT
    -- EXISTS in the INSERT: a statement that reads the table it fills, planned for the table as
    -- it was, scanned every row it had inserted once per hit: 17 s for 25,675 findings.)
    DELETE FROM quality_hits h USING quality_findings f
     WHERE f.county_code = p_county AND f.rule_code = h.rule_code AND f.household_no = h.household_no
       AND f.subject = h.subject AND f.state <> 'fixed';
    INSERT INTO quality_findings (county_code, rule_code, village_code, household_no, subject, id_hmac, plan_id, facts,
                                  opened_on, due_on, first_run, last_run)
    SELECT p_county, h.rule_code, h.village_code, h.household_no, h.subject, h.id_hmac, h.plan_id, h.facts,
           p_on, p_on + due, run, run
      FROM quality_hits h;
    UPDATE quality_findings f SET state = 'fixed', fixed_run = run, fixed_on = p_on
     WHERE f.county_code = p_county AND f.state <> 'fixed' AND f.rule_code = ANY (chosen) AND f.last_run <> run;
    PERFORM quality_run_events(p_county, run);

    UPDATE quality_runs SET finished_at = clock_timestamp(),
           counts = (SELECT jsonb_build_object(
                         'found', count(*) FILTER (WHERE f.last_run = run),
                         'opened', count(*) FILTER (WHERE f.first_run = run),
                         'open', count(*) FILTER (WHERE f.last_run = run AND f.state = 'open'),
                         'overdue', count(*) FILTER (WHERE f.last_run = run AND f.state = 'overdue'),
                         'explained', count(*) FILTER (WHERE f.last_run = run AND f.state = 'explained'),
                         'fixed', count(*) FILTER (WHERE f.fixed_run = run))
                       FROM quality_findings f
                      WHERE f.county_code = p_county AND (f.last_run = run OR f.fixed_run = run))
     WHERE id = run;
    RETURN run;
END $$;

-- The events of run p_run of county p_county: finding.opened for each finding it opened,
-- finding.closed for each it fixed, finding.fix_failed for each claimed fix it found again, in the
-- order of the findings' ids, written by one call. The rules' categories are read once, as one
-- object keyed by rule (a finding whose rule is not in quality_rules has no event, as with a
-- join): joined to the findings, quality_rules was scanned again for each finding, the run's
-- findings being planned as one row (the table's statistics are from before the run, often of an
-- empty table): 160 ms for the 25,656 findings of bench/compare's import, 27 ms this way.
CREATE OR REPLACE FUNCTION quality_run_events(p_county text, p_run bigint) RETURNS integer
LANGUAGE sql AS $$
    SELECT events_write(ARRAY(
        WITH u AS MATERIALIZED (SELECT jsonb_object_agg(r.code, r.category) AS categories FROM quality_rules r)
        SELECT CASE WHEN f.first_run = p_run OR f.fixed_run = p_run THEN
                   ROW(p_county, f.village_code,
                       CASE WHEN f.first_run = p_run THEN 'finding.opened' ELSE 'finding.closed' END,
                       jsonb_build_object('finding_id', f.id, 'rule', f.rule_code, 'category', u.categories ->> f.rule_code,
                                          'run_id', p_run, 'household_no', f.household_no))::event_new
               ELSE ROW(p_county, f.village_code, 'finding.fix_failed',
                        jsonb_build_object('finding_id', f.id, 'rule', f.rule_code, 'run_id', p_run,
                                           'household_no', f.household_no))::event_new END
          FROM quality_findings f CROSS JOIN u
         WHERE f.county_code = p_county AND (f.first_run = p_run OR f.fixed_run = p_run OR f.fix_failed_run = p_run)
           AND u.categories ? f.rule_code
         ORDER BY f.id))
$$;

-- One finding's event (finding.fix_claimed, finding.explained, finding.reviewed) by p_actor, with
-- the extra fields p_more, filed under the finding's village.
CREATE OR REPLACE FUNCTION quality_finding_event(f quality_findings, p_type text, p_actor text,
                                                 p_more jsonb DEFAULT '{}') RETURNS integer
LANGUAGE sql AS $$
    SELECT events_write(ARRAY[ROW(f.county_code, f.village_code, p_type,
                                  jsonb_build_object('finding_id', f.id, 'rule', f.rule_code,
                                                     'household_no', f.household_no, 'actor', p_actor) || p_more)::event_new])
$$;

-- Finding p_id, locked, for a step by p_actor: an active actor of level p_level whose region is
-- the finding's village (village) or its township (township). FPQ03: no such finding; FPQ04:
-- p_actor is not such an actor; FPQ05: the finding's state is not one of p_states.
CREATE OR REPLACE FUNCTION quality_finding_for(p_id bigint, p_actor text, p_level text, p_states text[])
RETURNS quality_findings LANGUAGE plpgsql AS $$
DECLARE
    f quality_findings;
BEGIN
    SELECT * INTO f FROM quality_findings WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no finding %', p_id USING ERRCODE = 'FPQ03';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM principals p
                    WHERE p.id = p_actor AND p.kind = 'actor' AND p.level = p_level AND p.disabled_at IS NULL
                      AND p.region_code = CASE p_level WHEN 'village' THEN f.village_code
                                                       ELSE left(f.village_code, 9) END) THEN
        RAISE EXCEPTION '% is not an active % actor of %', p_actor, p_level,
            CASE p_level WHEN 'village' THEN f.village_code ELSE left(f.village_code, 9) END
            USING ERRCODE = 'FPQ04';
    END IF;
    IF NOT (f.state = ANY (p_states)) THEN
        RAISE EXCEPTION 'finding % is %, not %', p_id, f.state, array_to_string(p_states, ' or ')
            USING ERRCODE = 'FPQ05';
    END IF;
    RETURN f;
END $$;

-- A village actor's explanation of an open or overdue finding of its village: the finding becomes
-- explained, with who and when, for the township to review (a review of an earlier explanation is
-- cleared; a rejection's reason is kept); writes finding.explained. FPQ03-FPQ05 as
-- quality_finding_for; FPQ06: no reason.
CREATE OR REPLACE FUNCTION quality_explain(p_id bigint, p_actor text, p_reason text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    f quality_findings := quality_finding_for(p_id, p_actor, 'village', '{open,overdue}');
BEGIN
    IF coalesce(btrim(p_reason), '') = '' THEN
        RAISE EXCEPTION 'an explanation needs a reason' USING ERRCODE = 'FPQ06';
    END IF;
    UPDATE quality_findings SET state = 'explained', explanation = btrim(p_reason), explained_by = p_actor,
                                explained_at = now(), review = NULL, reviewed_by = NULL, reviewed_at = NULL
     WHERE id = p_id;
    PERFORM quality_finding_event(f, 'finding.explained', p_actor);
END $$;

-- A village actor's word that an open or overdue finding of its village was corrected: the
-- finding stays live, marked with who claimed the fix and when, until the next run closes it as
-- fixed or finds it again (fix_failed_run); writes finding.fix_claimed. FPQ03-FPQ05 as
-- quality_finding_for. p_request, the request's id, is kept with the claim (fix_claim_request):
-- the same actor's retry of it (a reply lost on the way) is answered with the finding as it is,
-- claimed again by nothing, no second event, even once a run has closed it.
CREATE OR REPLACE FUNCTION quality_claim_fix(p_id bigint, p_actor text, p_request text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    f quality_findings;
BEGIN
    IF coalesce(p_request, '') <> '' AND EXISTS (SELECT 1 FROM quality_findings x WHERE x.id = p_id
                                                    AND x.fix_claimed_by = p_actor AND x.fix_claim_request = p_request) THEN
        RETURN;
    END IF;
    f := quality_finding_for(p_id, p_actor, 'village', '{open,overdue}');
    UPDATE quality_findings SET fix_claimed_by = p_actor, fix_claimed_at = now(), fix_failed_run = NULL,
                                fix_claim_request = nullif(p_request, '')
     WHERE id = p_id;
    PERFORM quality_finding_event(f, 'finding.fix_claimed', p_actor);
END $$;

-- A township actor's review of an explained finding of its township not yet reviewed: accepted,
-- it stays explained (until its facts change); rejected (p_reason required), it opens again due
-- quality_due_days after p_on, the reason kept (rejection_reason). Writes finding.reviewed.
-- FPQ03-FPQ05 as quality_finding_for (FPQ05 also for an explanation already accepted); FPQ06: a
-- rejection without a reason.
CREATE OR REPLACE FUNCTION quality_review(p_id bigint, p_actor text, p_accept boolean, p_reason text, p_on date)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    f   quality_findings := quality_finding_for(p_id, p_actor, 'township', '{explained}');
    due date;
BEGIN
    IF f.review IS NOT NULL THEN
        RAISE EXCEPTION 'the explanation of finding % was already %', p_id, f.review USING ERRCODE = 'FPQ05';
    END IF;
    IF p_accept THEN
        UPDATE quality_findings SET review = 'accepted', reviewed_by = p_actor, reviewed_at = now() WHERE id = p_id;
        PERFORM quality_finding_event(f, 'finding.reviewed', p_actor, '{"decision": "accepted"}');
        RETURN;
    END IF;
    IF coalesce(btrim(p_reason), '') = '' THEN
        RAISE EXCEPTION 'a rejection needs a reason' USING ERRCODE = 'FPQ06';
    END IF;
    due := p_on + fp_param('quality_due_days', f.county_code, p_on)::integer;
    UPDATE quality_findings SET state = 'open', due_on = due, review = 'rejected', reviewed_by = p_actor,
                                reviewed_at = now(), rejection_reason = btrim(p_reason)
     WHERE id = p_id;
    PERFORM quality_finding_event(f, 'finding.reviewed', p_actor,
                                  jsonb_build_object('decision', 'rejected', 'due_on', to_char(due, 'YYYY-MM-DD')));
END $$;

-- The findings under region prefix p_prefix (NULL: all) with the filters given (NULL: any) and an
-- id above p_after, with the household head's or the person's name (in clear: the caller masks
-- it) and the ledger's masked ID number, never the number. Callers order and limit.
CREATE OR REPLACE FUNCTION quality_list(p_prefix text, p_rule text, p_category text, p_severity text, p_state text,
                                        p_after bigint DEFAULT 0)
RETURNS TABLE (id bigint, rule text, category text, severity text, state text, village_code text,
               household_no text, name text, id_masked text, opened_on date, due_on date, message_zh text,
               message_en text, facts text, explanation text, explained_by text, fix_claimed_by text,
               fix_claimed_at timestamptz, fix_held text, review text, reviewed_by text, rejection_reason text)
LANGUAGE sql STABLE AS $$
    SELECT f.id, f.rule_code, u.category, u.severity, f.state, f.village_code, f.household_no,
           coalesce(m.name, h.head_name), coalesce(m.id_masked, ''), f.opened_on, f.due_on, u.message_zh,
           u.message_en, f.facts::text, f.explanation, coalesce(f.explained_by, ''), coalesce(f.fix_claimed_by, ''),
           f.fix_claimed_at,
           CASE WHEN f.fix_claimed_by IS NULL THEN '' WHEN f.fix_failed_run IS NOT NULL THEN 'no'
                WHEN f.state = 'fixed' THEN 'yes' ELSE '' END,
           coalesce(f.review, ''), coalesce(f.reviewed_by, ''), f.rejection_reason
      FROM quality_findings f JOIN quality_rules u ON u.code = f.rule_code
      JOIN ledger_households h ON h.county_code = f.county_code AND h.household_no = f.household_no
      LEFT JOIN ledger_members m ON m.county_code = f.county_code AND m.id_hmac = f.id_hmac
     WHERE (p_prefix IS NULL OR (f.village_code >= p_prefix AND f.village_code < p_prefix || ':'))
       AND (p_rule IS NULL OR f.rule_code = p_rule)
       AND (p_category IS NULL OR u.category = p_category) AND (p_severity IS NULL OR u.severity = p_severity)
       AND (p_state IS NULL OR f.state = p_state) AND f.id > coalesce(p_after, 0)
$$;

-- The nightly runs of day p_on (the assistance service, FANGPIN_QUALITY_NIGHTLY_AT, nightly.c):
-- quality_nightly_due() names every county of the ledger that has no nightly run for p_on yet;
-- quality_nightly_county() runs every rule over one of them as p_actor, reason 'nightly', and is
-- called in a statement (so a transaction) of its own per county: what a county found is committed
-- before the next county begins, and a county that fails loses no other's run. The runs table is
-- the record (one nightly run per county and day, quality_runs_nightly): a county already run,
-- by a restart or a second service on the same day, is not run again (NULL).
CREATE OR REPLACE FUNCTION quality_nightly_due(p_on date) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE k AS (SELECT min(county_code)::text AS code FROM ledger_households
                         UNION ALL
                         SELECT (SELECT min(h.county_code)::text FROM ledger_households h WHERE h.county_code > k.code)
                           FROM k WHERE k.code IS NOT NULL)
    SELECT k.code FROM k
     WHERE k.code IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM quality_runs r WHERE r.county_code = k.code AND r.on_day = p_on AND r.reason = 'nightly')
     ORDER BY k.code
$$;

CREATE OR REPLACE FUNCTION quality_nightly_county(p_county text, p_on date, p_actor text) RETURNS bigint
LANGUAGE plpgsql SET jit = off AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('quality_nightly:' || p_county));
    IF EXISTS (SELECT 1 FROM quality_runs r WHERE r.county_code = p_county AND r.on_day = p_on AND r.reason = 'nightly') THEN
        RETURN NULL;
    END IF;
    RETURN quality_run(p_county, p_on, p_actor, NULL, 'nightly');
END $$;
