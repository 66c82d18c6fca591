-- 046_county_keys: every large table keyed by county code, as Citus requires of a distribution
-- column (issue 16; docs/scale.md, "Distributed by county"): the county code is in every primary
-- key, unique constraint and foreign key among the large tables, so that a county's rows can live
-- on one node and no unique or foreign-key check ever has to look at another.
--   * primary keys: (county_code, id) for the tables keyed by a serial id (the unique index
--     038_federation made, <table>_county_key, becomes the primary key; quality_runs,
--     compare_exports and compare_rules_due, unpublished, get it here), (county_code, sender,
--     batch_id) for lead_batches (the county_code each batch has carried since 002 is its
--     sender's county, intake_county_of: a principal belongs to one county, so the key keeps
--     exactly the batches apart it kept apart before), (county_code, deadline, unit_code, period)
--     for deadline_misses (unit_code begins with its county's code, so likewise);
--   * the serial id keeps a plain, not unique, index <table>_id, in place of the one its primary
--     key had, so that every lookup by id alone stays an index probe (ids still come from one
--     sequence per table); likewise lead_batches_sender (sender, batch_id), for intake's lookup of
--     a resent batch;
--   * foreign keys and unique constraints among these tables, with county_code first, under the
--     same names (REFERENCES cases (county_code, id), unique (county_code, case_id, request_id)).
--     Every referencing row already carries its referenced row's county code: each writer takes
--     it from that row (or, for compare answers, checks the export is the county's), and a
--     county writes only its own; the new foreign keys are checked against every existing row.
--   * events are the one exception (docs/scale.md): a database's one gap-free order, numbered by
--     its one relay; at a county that is the county's own sequence, and a federated upper level
--     keeps each county's as county_position.
-- At a prefecture (federation_prefecture_keys, functions/federation.sql, has already run) the
-- published tables' primary keys are already these and their foreign keys and unique
-- constraints without the county code were dropped on purpose: a constraint is made again here
-- only where its old form is still there, so the prefecture's copies keep none.
--
-- Cost: one transaction holding ACCESS EXCLUSIVE on these tables (reads and writes of the
-- services wait) while it builds the id indexes and the re-made unique indexes and checks the
-- new foreign keys. Measured on the shared 2-core test machine (nice'd, loaded by others) with
-- 1,000,000 leads, cases, case_leads and case_history rows and 200,000 plans, measures and
-- plan_history rows: 14-20 s (docs/scale.md, "What migration 046 costs"). Run it in a quiet
-- hour.
DO $$
DECLARE
    t   text;
    con text;
    fks text[][] := ARRAY[
        -- table, constraint, its definition with the county code
        ['case_leads', 'case_leads_case_id_fkey', 'FOREIGN KEY (county_code, case_id) REFERENCES cases (county_code, id)'],
        ['case_leads', 'case_leads_lead_id_fkey', 'FOREIGN KEY (county_code, lead_id) REFERENCES leads (county_code, id)'],
        ['case_history', 'case_history_case_id_fkey', 'FOREIGN KEY (county_code, case_id) REFERENCES cases (county_code, id)'],
        ['village_tasks', 'village_tasks_lead_id_fkey', 'FOREIGN KEY (county_code, lead_id) REFERENCES leads (county_code, id)'],
        ['plans', 'plans_case_id_fkey', 'FOREIGN KEY (county_code, case_id) REFERENCES cases (county_code, id)'],
        ['measures', 'measures_plan_id_fkey', 'FOREIGN KEY (county_code, plan_id) REFERENCES plans (county_code, id)'],
        ['measure_checks', 'measure_checks_measure_id_fkey',
         'FOREIGN KEY (county_code, measure_id) REFERENCES measures (county_code, id)'],
        ['plan_history', 'plan_history_plan_id_fkey', 'FOREIGN KEY (county_code, plan_id) REFERENCES plans (county_code, id)'],
        ['plan_history', 'plan_history_measure_id_fkey',
         'FOREIGN KEY (county_code, measure_id) REFERENCES measures (county_code, id)'],
        ['compare_batches', 'compare_batches_export_id_fkey',
         'FOREIGN KEY (county_code, export_id) REFERENCES compare_exports (county_code, id)'],
        ['compare_rules_due', 'compare_rules_due_quality_run_fkey',
         'FOREIGN KEY (county_code, quality_run) REFERENCES quality_runs (county_code, id)']];
    remake text[] := '{}';
    i int;
BEGIN
    -- the foreign keys first: a primary key cannot go while a foreign key stands on its index
    FOR i IN 1 .. array_length(fks, 1) LOOP
        IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = fks[i][1]::regclass AND conname = fks[i][2]) THEN
            EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', fks[i][1], fks[i][2]);
            remake := remake || i::text;
        END IF;
    END LOOP;

    FOREACH t IN ARRAY ARRAY['quality_runs', 'compare_exports', 'compare_rules_due'] LOOP
        EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS %I ON %I (county_code, id)', t || '_county_key', t);
    END LOOP;
    DROP INDEX quality_runs_county; -- the same columns as the new key

    FOREACH t IN ARRAY ARRAY['leads', 'lead_batches', 'cases', 'case_history', 'village_tasks', 'plans', 'measures',
                             'measure_checks', 'plan_history', 'quality_findings', 'quality_runs', 'compare_exports',
                             'compare_rules_due'] LOOP
        SELECT conname INTO con FROM pg_constraint WHERE conrelid = t::regclass AND contype = 'p';
        IF con = t || '_pkey' THEN -- not yet (county_code, …): a prefecture's are already
            EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I, ADD PRIMARY KEY USING INDEX %I',
                           t, con, t || '_county_key');
        END IF;
        IF t <> 'lead_batches' THEN
            EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I (id)', t || '_id', t);
        END IF;
    END LOOP;
    CREATE INDEX IF NOT EXISTS lead_batches_sender ON lead_batches (sender, batch_id);

    -- unique constraints and indexes, where they are still without the county code
    IF to_regclass('case_history_request') IS NOT NULL THEN
        DROP INDEX case_history_request;
        CREATE UNIQUE INDEX case_history_request ON case_history (county_code, case_id, request_id)
            WHERE request_id IS NOT NULL;
    END IF;
    IF to_regclass('plan_history_request') IS NOT NULL THEN
        DROP INDEX plan_history_request;
        CREATE UNIQUE INDEX plan_history_request ON plan_history (county_code, plan_id, request_id)
            WHERE request_id IS NOT NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'plans_case_id_key' AND conrelid = 'plans'::regclass) THEN
        ALTER TABLE plans DROP CONSTRAINT plans_case_id_key,
                          ADD CONSTRAINT plans_case_id_key UNIQUE (county_code, case_id);
    END IF;
    IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'measure_checks_measure_id_quarter_key'
                                              AND conrelid = 'measure_checks'::regclass) THEN
        ALTER TABLE measure_checks DROP CONSTRAINT measure_checks_measure_id_quarter_key,
              ADD CONSTRAINT measure_checks_measure_id_quarter_key UNIQUE (county_code, measure_id, quarter);
    END IF;
    ALTER TABLE deadline_misses DROP CONSTRAINT deadline_misses_pkey,
        ADD PRIMARY KEY (county_code, deadline, unit_code, period);

    FOREACH con IN ARRAY remake LOOP
        i := con::int;
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', fks[i][1], fks[i][2], fks[i][3]);
    END LOOP;
END $$;

-- measure_status_on takes the county code too now (functions/assistance.sql)
DROP FUNCTION IF EXISTS measure_status_on(bigint, bigint, date);
