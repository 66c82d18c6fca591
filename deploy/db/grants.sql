-- grants.sql: what each service's database role may do, in one place (docs/operations.md,
-- "Security"). Compiled into every binary with the migrations and applied by the migrator after
-- them, every time (fangpinctl migrate, or a service with FANGPIN_MIGRATE=true connected as the
-- database's owner), in one transaction under the migration lock. It first takes back every
-- privilege of the four roles on the schema's tables and sequences, then grants what is written
-- here: the database holds exactly this file, and a line removed here is a privilege removed.
--
-- The roles are made, with LOGIN and their passwords, by deploy/db/roles.sh (run as a
-- superuser: tools/scripts/pg.sh roles for make up, the postgres container's init script for
-- docker-compose.yml). Where they are missing (a database migrated by a superuser alone, as the
-- tests' databases are) they are made here without LOGIN; a migrator that may not make them
-- stops with a message saying what to run.
--
-- The SQL functions (deploy/db/functions/) run with the caller's rights (none is SECURITY
-- DEFINER): a service may call any of them, and the tables each one touches must be granted here
-- to the services that call it (intake_apply, screen_match, report_get, report_deadline_scan,
-- events_write...).
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['fangpin_intake', 'fangpin_screening', 'fangpin_assistance', 'fangpin_reporting'] LOOP
        CONTINUE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r);
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
            RAISE EXCEPTION 'the role % is missing: run deploy/db/roles.sh as a superuser first', r;
        END IF;
        EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE', r);
    END LOOP;
END $$;

REVOKE ALL ON ALL TABLES IN SCHEMA public
    FROM fangpin_intake, fangpin_screening, fangpin_assistance, fangpin_reporting;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public
    FROM fangpin_intake, fangpin_screening, fangpin_assistance, fangpin_reporting;

-- Every service: the schema's state, the keys and principals it authenticates (and LISTENs
-- for), the reference tables the rules read, and the event catalogue events_write() checks.
GRANT SELECT ON schema_migrations, curve_keys, principals, regions, policy_params, holidays,
                risk_types, departments, department_types, lead_kinds, event_regions, event_types, event_fields
    TO fangpin_intake, fangpin_screening, fangpin_assistance, fangpin_reporting;

-- intake: department batches and their leads (intake_apply), the submission alerts, and the
-- events it announces.
GRANT SELECT, INSERT, UPDATE ON lead_batches, leads TO fangpin_intake;
GRANT SELECT, INSERT ON submission_alerts TO fangpin_intake;
GRANT INSERT ON events, events_pending TO fangpin_intake;  -- events_pending: the events' trigger (051)
-- intake holds the data key: the first key presented becomes the database's
-- (fp_migrate_check_data_key, common/migrate.c); it may record one, never change it.
GRANT SELECT, INSERT ON data_key TO fangpin_intake;
-- the aliases of lead kinds each department may write (read per batch; fangpinctl kinds alias).
GRANT SELECT ON kind_aliases TO fangpin_intake;
-- the departments' column profiles, read by GetPushProfile (fangpinctl profile writes them).
GRANT SELECT ON push_profiles TO fangpin_intake;
-- the department desk's bearer tokens (common/httpauth.c: looked up and stamped with their
-- last use; docs/desk.md)
GRANT SELECT, UPDATE ON http_tokens TO fangpin_intake;
-- data comparison with departments (数据比对, docs/compare.md): the department's columns, the
-- audited exports of its ledger slice (compare_export_open; each page read by the statement
-- compare_page_sql makes, and counted on the export), its answers kept as dated facts
-- (compare_answers_apply), and the run of the rules that read them (quality_run over
-- the persons population: the rules, the runs and the findings it keeps). Of the ledger, only the
-- columns an export gives and that population reads (intake never reads a whole ledger row: no
-- incomes, reasons or masked numbers).
GRANT SELECT ON compare_columns, quality_rules TO fangpin_intake;
-- the persons population's elsewhere (Q008): what an upper level found, replicated down
GRANT SELECT ON federation_found TO fangpin_intake, fangpin_assistance;
GRANT SELECT (county_code, household_no, name, relation, birth_date, sex, labour, health, disability_grade, schooling,
              insured, left_on, id_hmac, id_sealed) ON ledger_members TO fangpin_intake;
GRANT SELECT (county_code, household_no, village_code, household_type, monitored_kind, dibao_fen, tekun_fen,
              housing_ok, education_ok, medical_ok, medical_oop_fen) ON ledger_households TO fangpin_intake;
GRANT SELECT, INSERT, UPDATE ON compare_exports, dept_facts, quality_runs, quality_findings TO fangpin_intake;
GRANT SELECT, INSERT ON compare_batches TO fangpin_intake;
-- the present members intake holds for a large answer file are used while no transaction that
-- changed them has committed since they were read (ledger_changed_since; the rows are written by
-- a trigger and removed by compare_presence_prune, both SECURITY DEFINER)
GRANT SELECT ON ledger_changes TO fangpin_intake;
-- an import's last batch makes its rules due; the assistance service runs them (compare_rules_run_next)
GRANT SELECT, INSERT ON compare_rules_due TO fangpin_intake;

-- screening: cases from leads (screen_match, screen_store_decisions), the village tasks, and a
-- death lead's effect on the ledger (a member left, a ledger event).
GRANT SELECT, UPDATE ON leads TO fangpin_screening;
GRANT SELECT, INSERT, UPDATE ON cases, case_leads, case_history, village_tasks TO fangpin_screening;
GRANT SELECT ON ledger_households TO fangpin_screening;
GRANT SELECT, UPDATE ON ledger_members TO fangpin_screening;
GRANT SELECT, INSERT ON ledger_events TO fangpin_screening;
GRANT INSERT ON events, events_pending TO fangpin_screening;  -- events_pending: the events' trigger (051)
-- the rural low-income population (docs/lowincome.md): the catalogue, parameters and modes read;
-- memberships, their history and the referrals to civil affairs written.
GRANT SELECT ON lowincome_categories, lowincome_params, fangpin_modes TO fangpin_screening;
GRANT SELECT, INSERT, UPDATE, DELETE ON household_categories TO fangpin_screening;
GRANT SELECT, INSERT ON household_category_history TO fangpin_screening;
GRANT SELECT, INSERT, UPDATE ON lowincome_referrals TO fangpin_screening;
-- the monitoring kinds as categories: the identified cases' plans, whether eliminated (lowincome_monitoring)
GRANT SELECT ON plans TO fangpin_screening;
-- the quarter's income and expense record of a household and the cases it served (034)
GRANT SELECT, INSERT ON household_visits, household_visit_uses TO fangpin_screening;

-- assistance: plans, measures and their checks, incomes, quarter summaries; reads the cases
-- and the ledger.
GRANT SELECT, INSERT, UPDATE ON plans, plan_history, measures, measure_checks, household_income,
                                quarter_summaries TO fangpin_assistance;
-- the low-income categories (docs/lowincome.md): a household still in one keeps its measures when
-- its monitoring ends, and the plan checks by category (P10, P11) read them
GRANT SELECT ON household_categories, fangpin_modes TO fangpin_assistance;
GRANT SELECT ON cases, ledger_households, ledger_members TO fangpin_assistance;
-- The plan opener locks the identified cases it opens (FOR UPDATE OF c SKIP LOCKED), and a
-- consolidation plan locks its household (FOR UPDATE OF h): a row lock needs UPDATE on some
-- column, here the least of them, updated_at. assistance never changes a case nor the ledger.
GRANT UPDATE (updated_at) ON cases, ledger_households TO fangpin_assistance;
GRANT INSERT ON events, events_pending TO fangpin_assistance;  -- events_pending: the events' trigger (051)
-- the data-quality findings (疑点): ListFindings reads them, a fix claim, an explanation and a
-- review change them (quality_claim_fix, quality_explain, quality_review), and the nightly runs
-- (quality_nightly_county) record runs and keep findings.
-- The nightly run evaluates every rule, Q094-Q100 too, which read the departments' facts.
GRANT SELECT ON quality_rules, dept_facts TO fangpin_assistance;
GRANT SELECT, INSERT, UPDATE ON quality_runs, quality_findings TO fangpin_assistance;
-- the rules an import made due (compare_rules_run_next): the run, recorded on the due row and its batch
-- (dept_facts analysed first through compare_facts_analyze, SECURITY DEFINER: ANALYZE is the owner's)
GRANT SELECT, UPDATE ON compare_rules_due, compare_batches TO fangpin_assistance;

-- reporting: reads everything its reports count; writes report snapshots and reopenings, the
-- deadline misses (report_deadline_scan), the event positions and relay state, and a token's
-- last use.
GRANT SELECT ON ALL TABLES IN SCHEMA public TO fangpin_reporting;
GRANT INSERT, UPDATE ON report_snapshots, report_reopenings, deadline_misses, relay_state
    TO fangpin_reporting;
-- the relay numbers by deleting events' pending rows (FOR UPDATE SKIP LOCKED: UPDATE) and
-- inserting their positions (relay_number(), 051); the deadline scan writes events
GRANT INSERT ON events, event_positions TO fangpin_reporting;
GRANT INSERT, UPDATE, DELETE ON events_pending TO fangpin_reporting;
GRANT UPDATE ON http_tokens TO fangpin_reporting;

-- The bigserial sequences of the tables a role inserts into, and no other.
DO $$
DECLARE
    s record;
BEGIN
    FOR s IN
        SELECT DISTINCT q.oid::regclass AS seq, r.rolname
          FROM pg_class q
          JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = q.oid AND d.deptype IN ('a', 'i')
          JOIN pg_class t ON t.oid = d.refobjid
          JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
          CROSS JOIN unnest(ARRAY['fangpin_intake', 'fangpin_screening', 'fangpin_assistance',
                                  'fangpin_reporting']) AS r(rolname)
         WHERE q.relkind = 'S' AND has_table_privilege(r.rolname, t.oid, 'INSERT')
    LOOP
        EXECUTE format('GRANT USAGE ON SEQUENCE %s TO %I', s.seq, s.rolname);
    END LOOP;
END $$;
