-- quality.sql: the data-quality checks (疑点, migration 022, docs/quality.md). Three populations
-- (one row per present person, per household, per plan of a county, with the columns the rules'
-- conditions read), the run that evaluates the rules over them and keeps the findings, and the
-- village's explanation of a finding.

-- Whole years from p_born to p_on.
CREATE OR REPLACE FUNCTION quality_age(p_born date, p_on date) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT extract(year FROM age(p_on, p_born))::integer
$$;

-- The persons population: every member present in the county's ledger (left_on empty), with
-- the household's type and guarantees and the present head's age and sex.
CREATE OR REPLACE FUNCTION quality_persons(p_county text, p_on date)
RETURNS TABLE (village_code text, household_no text, subject text, id_hmac bytea, plan_id bigint,
               household_type text, monitored_kind text, relation text, sex text, age integer, labour text,
               health text, disability_grade integer, schooling text, insured boolean, head_age integer,
               head_sex text, education_ok boolean, medical_ok boolean, medical_oop_fen bigint)
LANGUAGE sql STABLE AS $$
    SELECT h.village_code, m.household_no, 'person:' || encode(m.id_hmac, 'base64'), m.id_hmac, NULL::bigint,
           h.household_type, h.monitored_kind, m.relation, m.sex, quality_age(m.birth_date, p_on), m.labour,
           m.health, m.disability_grade, m.schooling, m.insured, quality_age(hd.birth_date, p_on), hd.sex,
           h.education_ok, h.medical_ok, h.medical_oop_fen
      FROM ledger_members m
      JOIN ledger_households h ON h.county_code = m.county_code AND h.household_no = m.household_no
      LEFT JOIN (SELECT DISTINCT ON (x.household_no) x.household_no, x.birth_date, x.sex
                   FROM ledger_members x
                  WHERE x.county_code = p_county AND x.relation = 'head' AND x.left_on IS NULL
                  ORDER BY x.household_no, x.birth_date) hd ON hd.household_no = m.household_no
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
    SELECT h.village_code, h.household_no, 'household', NULL::bytea, NULL::bigint, h.household_type,
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
    SELECT p.village_code, p.household_no, 'plan:' || p.id, NULL::bytea, p.id, h.household_type, h.monitored_kind,
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
      LEFT JOIN cases c ON c.id = p.case_id
      LEFT JOIN (SELECT x.household_no,
                        (count(*) FILTER (WHERE x.labour IN ('normal', 'weak')))::integer AS labour,
                        (count(*) FILTER (WHERE x.schooling = 'in_school'))::integer AS in_school
                   FROM ledger_members x
                  WHERE x.county_code = p_county AND x.left_on IS NULL
                  GROUP BY x.household_no) m ON m.household_no = p.household_no
      LEFT JOIN (SELECT e.plan_id,
                        array_agg(DISTINCT e.category ORDER BY e.category) AS categories,
                        max(p_on - e.start_on) FILTER (WHERE e.status = 'planned') AS unstarted,
                        (count(*) FILTER (WHERE e.status IN ('planned', 'in_progress')
                                            AND e.start_on < ledger_period_start(quality_last_quarter(p_on))
                                            AND NOT EXISTS (SELECT 1 FROM measure_checks k
                                                             WHERE k.measure_id = e.id
                                                               AND k.quarter = quality_last_quarter(p_on))))::integer
                            AS unchecked
                   FROM measures e
                  WHERE e.county_code = p_county AND e.status <> 'stopped'
                  GROUP BY e.plan_id) ms ON ms.plan_id = p.id
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
CREATE OR REPLACE FUNCTION quality_rule_test(r quality_rules, p_county text, p_on date)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('CASE WHEN household_type = ANY (%L::text[]) AND (%s) THEN %L END', r.household_types,
                  quality_fill(r.code, r.condition, r.params, p_county, p_on), r.code)
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
-- each row's tests in one array; the facts are built for the rules that fired only.
CREATE OR REPLACE FUNCTION quality_population_sql(p_pop text, p_rules text[], p_county text, p_on date)
RETURNS text LANGUAGE sql STABLE AS $$
    SELECT format('INSERT INTO quality_hits SELECT x.code, x.village_code, x.household_no, x.subject, x.id_hmac,'
                  ' x.plan_id, CASE x.code %s END FROM (SELECT f.*, unnest(f.fired) AS code FROM'
                  ' (SELECT f.*, array_remove(ARRAY[%s], NULL) AS fired FROM quality_%ss($1, $2) f) f'
                  ' WHERE f.fired <> ''{}'') x',
                  string_agg(format('WHEN %L THEN %s', r.code, quality_rule_facts(r, p_county, p_on)), ' ' ORDER BY r.code),
                  string_agg(quality_rule_test(r, p_county, p_on), ', ' ORDER BY r.code), p_pop)
      FROM quality_rules r
     WHERE r.population = p_pop AND r.code = ANY (p_rules)
$$;

-- Evaluates the rules p_rules (NULL: all) over county p_county as on p_on, for p_actor; returns
-- the run's id. Each population is read once, all its rules evaluated on each row. A finding still
-- found keeps its id and takes the new facts (overdue once past due_on; an explained one stays
-- explained unless its facts changed, then opens again with a new due day); a new one is opened,
-- due quality_due_days later; a live finding of an evaluated rule not found again is fixed by this
-- run. Each finding opened writes finding.opened and each fixed writes finding.closed (docs/events.md),
-- in one events_write call, in this transaction. p_reason says why it ran (quality_runs.reason:
-- on_demand or ledger_import). Runs of one county are serialized. FPQ01: an unknown rule.
CREATE OR REPLACE FUNCTION quality_run(p_county text, p_on date, p_actor text, p_rules text[] DEFAULT NULL,
                                       p_reason text DEFAULT 'on_demand')
RETURNS bigint LANGUAGE plpgsql SET jit = off AS $$
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
    ANALYZE pg_temp.quality_hits;

    UPDATE quality_findings f
       SET last_run = run, facts = h.facts,
           state = CASE WHEN f.state = 'explained' AND f.facts = h.facts THEN 'explained'
                        WHEN f.state = 'explained' THEN 'open'
                        WHEN p_on > f.due_on THEN 'overdue' ELSE 'open' END,
           due_on = CASE WHEN f.state = 'explained' AND f.facts <> h.facts THEN p_on + due ELSE f.due_on END
      FROM quality_hits h
     WHERE f.county_code = p_county AND f.rule_code = h.rule_code AND f.household_no = h.household_no
       AND f.subject = h.subject AND f.state <> 'fixed';
    INSERT INTO quality_findings (county_code, rule_code, village_code, household_no, subject, id_hmac, plan_id, facts,
                                  opened_on, due_on, first_run, last_run)
    SELECT p_county, h.rule_code, h.village_code, h.household_no, h.subject, h.id_hmac, h.plan_id, h.facts,
           p_on, p_on + due, run, run
      FROM quality_hits h
     WHERE NOT EXISTS (SELECT 1 FROM quality_findings f
                        WHERE f.county_code = p_county AND f.rule_code = h.rule_code
                          AND f.household_no = h.household_no AND f.subject = h.subject AND f.state <> 'fixed');
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
-- finding.closed for each it fixed, in the order of the findings' ids, written by one call.
CREATE OR REPLACE FUNCTION quality_run_events(p_county text, p_run bigint) RETURNS integer
LANGUAGE sql AS $$
    SELECT events_write(ARRAY(
        SELECT ROW(p_county, f.village_code, CASE WHEN f.first_run = p_run THEN 'finding.opened' ELSE 'finding.closed' END,
                   jsonb_build_object('finding_id', f.id, 'rule', f.rule_code, 'category', u.category, 'run_id', p_run,
                                      'household_no', f.household_no))::event_new
          FROM quality_findings f JOIN quality_rules u ON u.code = f.rule_code
         WHERE f.county_code = p_county AND (f.first_run = p_run OR f.fixed_run = p_run)
         ORDER BY f.id))
$$;

-- A village actor's explanation of an open or overdue finding of its village: the finding becomes
-- explained, with who and when. FPQ03: no such finding; FPQ04: p_actor is not an active village
-- actor of the finding's village; FPQ05: the finding is not open or overdue; FPQ06: no reason.
CREATE OR REPLACE FUNCTION quality_explain(p_id bigint, p_actor text, p_reason text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    f quality_findings;
BEGIN
    SELECT * INTO f FROM quality_findings WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no finding %', p_id USING ERRCODE = 'FPQ03';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM principals p
                    WHERE p.id = p_actor AND p.kind = 'actor' AND p.level = 'village'
                      AND p.region_code = f.village_code AND p.disabled_at IS NULL) THEN
        RAISE EXCEPTION '% is not an active village actor of village %', p_actor, f.village_code
            USING ERRCODE = 'FPQ04';
    END IF;
    IF f.state NOT IN ('open', 'overdue') THEN
        RAISE EXCEPTION 'finding % is %, not open or overdue', p_id, f.state USING ERRCODE = 'FPQ05';
    END IF;
    IF coalesce(btrim(p_reason), '') = '' THEN
        RAISE EXCEPTION 'an explanation needs a reason' USING ERRCODE = 'FPQ06';
    END IF;
    UPDATE quality_findings SET state = 'explained', explanation = btrim(p_reason), explained_by = p_actor,
                                explained_at = now()
     WHERE id = p_id;
END $$;
