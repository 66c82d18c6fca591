-- 038_federation: a county database publishes what its prefecture needs, by PostgreSQL logical
-- replication (docs/federation.md). On every database, so that any county can be federated
-- without another schema step:
--   * every published table whose primary key lacks the county code gets a unique index led by
--     county_code over its key, and that index becomes its replica identity: an UPDATE or
--     DELETE reaches the prefecture keyed by (county_code, key), where several counties' rows
--     with the same serial id live side by side (the prefecture makes that its primary key);
--   * events are published only once the county's relay has numbered them (a row filter on
--     position), so the prefecture receives each event once, as an INSERT carrying the county's
--     position; a filter on an updated table needs its columns in the replica identity, so
--     events get REPLICA IDENTITY FULL (the numbering UPDATE logs the old row too);
--   * events get county_position and county_event_id, filled at the prefecture only (the
--     trigger federation_event_arrives, functions/federation.sql) with the event's position and
--     id in its county, while position and id become the prefecture's own;
--   * federation_counties: at a prefecture, the counties it subscribes to.
DO $$
DECLARE
    t text;
    pk text;
BEGIN
    FOREACH t IN ARRAY ARRAY['leads', 'lead_batches', 'cases', 'case_history', 'village_tasks', 'plans', 'measures',
                             'measure_checks', 'plan_history', 'quality_findings', 'events']
    LOOP
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord) INTO pk
          FROM pg_index i
          CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
         WHERE i.indrelid = t::regclass AND i.indisprimary;
        EXECUTE format('CREATE UNIQUE INDEX %I ON %I (county_code, %s)', t || '_county_key', t, pk);
        IF t <> 'events' THEN
            EXECUTE format('ALTER TABLE %I REPLICA IDENTITY USING INDEX %I', t, t || '_county_key');
        END IF;
    END LOOP;
END $$;

ALTER TABLE events REPLICA IDENTITY FULL;
ALTER TABLE events ADD COLUMN county_position bigint, ADD COLUMN county_event_id bigint;

-- What a county publishes: its cases, plans, ledger, leads, findings and numbered events.
-- Catalogues (regions, kinds, risk types, parameters, event types) are not published: every
-- database has them from its own migrations and region import. A database without
-- wal_level = logical warns that it cannot publish yet: true, and no fault until a prefecture
-- subscribes, so the warning is not sent to the migrating service's log.
SET LOCAL client_min_messages = error;
CREATE PUBLICATION fangpin_county FOR TABLE
    leads, lead_batches, submission_alerts,
    ledger_households, ledger_members, ledger_events,
    cases, case_leads, case_history, village_tasks,
    plans, measures, measure_checks, plan_history, household_income, quarter_summaries,
    quality_findings, household_categories, household_category_history,
    events WHERE (position IS NOT NULL);

CREATE TABLE federation_counties (
    county_code   varchar(6) PRIMARY KEY CHECK (county_code ~ '^[0-9]{6}$'),
    subscription  text NOT NULL UNIQUE,
    added_at      timestamptz NOT NULL DEFAULT now(),
    removed_at    timestamptz
);
