-- events.sql: the event outbox (events, migration 001) and the one way into it.

-- The reporting service's relay LISTENs: a statement that wrote events wakes it.
CREATE OR REPLACE FUNCTION fp_events_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('fangpin_events', '');
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER events_notify AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION fp_events_written();

-- Writes p_events to the outbox, in array order, in one statement, and returns how many (0 for
-- NULL or an empty array). Every service writes its events through here, in the transaction that
-- makes the change. Each event must be of the catalogue (event_types, migration 020; docs/events.md):
--   FPE01  the type is not in event_types;
--   FPE02  the payload lacks a required field of event_fields (or is not a JSON object);
--   FPE03  the payload has a field event_fields does not list for the type;
--   FPE04  the region is not one of the event's county, or a 'county' event is not filed under
--          the county itself.
-- A refused event refuses the whole call, and so the caller's statement and transaction.
-- A writer of one event hands a one-element array; a writer in a WITH query must read its
-- result (a SELECT in WITH that nothing reads is not run).
CREATE OR REPLACE FUNCTION events_write(p_events event_new[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    bad record;
    n integer;
BEGIN
    IF coalesce(cardinality(p_events), 0) = 0 THEN
        RETURN 0;
    END IF;
    -- one check per distinct type and set of fields: a batch of a thousand lead.accepted is one
    SELECT x.*,
           (SELECT string_agg(f.field, ', ' ORDER BY f.ord) FROM event_fields f
             WHERE f.type = x.type AND f.required AND NOT (f.field = ANY (x.keys))) AS missing,
           (SELECT string_agg(k, ', ' ORDER BY k) FROM unnest(x.keys) AS k
             WHERE NOT EXISTS (SELECT 1 FROM event_fields f WHERE f.type = x.type AND f.field = k)) AS extra
      INTO bad
      FROM (SELECT DISTINCT e.type, t.type IS NOT NULL AS known, jsonb_typeof(e.payload) = 'object' AS object,
                   CASE WHEN jsonb_typeof(e.payload) = 'object'
                        THEN ARRAY(SELECT jsonb_object_keys(e.payload) ORDER BY 1) ELSE '{}' END AS keys
              FROM unnest(p_events) AS e LEFT JOIN event_types t ON t.type = e.type) x
     WHERE NOT x.known OR NOT coalesce(x.object, false)
        OR EXISTS (SELECT 1 FROM event_fields f WHERE f.type = x.type AND f.required AND NOT (f.field = ANY (x.keys)))
        OR EXISTS (SELECT 1 FROM unnest(x.keys) AS k
                    WHERE NOT EXISTS (SELECT 1 FROM event_fields f WHERE f.type = x.type AND f.field = k))
     LIMIT 1;
    IF FOUND THEN
        IF NOT bad.known THEN
            RAISE EXCEPTION 'event.unknown_type: % is not in the event catalogue (event_types)', coalesce(bad.type, 'NULL')
                  USING ERRCODE = 'FPE01', HINT = 'docs/events.md lists the types; a new one is a migration';
        ELSIF NOT coalesce(bad.object, false) OR bad.missing IS NOT NULL THEN
            RAISE EXCEPTION 'event.missing_field: a % event''s payload lacks %', bad.type,
                  coalesce(bad.missing, 'every field (it is not a JSON object)')
                  USING ERRCODE = 'FPE02', HINT = 'docs/events.md lists the fields of each type';
        ELSE
            RAISE EXCEPTION 'event.unknown_field: a % event''s payload has % (not in event_fields)', bad.type, bad.extra
                  USING ERRCODE = 'FPE03', HINT = 'docs/events.md lists the fields of each type';
        END IF;
    END IF;
    SELECT e.type, e.county_code, e.region_code INTO bad
      FROM unnest(p_events) AS e JOIN event_types t ON t.type = e.type
     WHERE e.county_code IS NULL OR e.region_code IS NULL OR left(e.region_code, 6) <> e.county_code
        OR (t.region = 'county' AND e.region_code <> rpad(e.county_code, 12, '0'))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'event.bad_region: a % event of county % filed under region %', bad.type,
              coalesce(bad.county_code, 'NULL'), coalesce(bad.region_code, 'NULL')
              USING ERRCODE = 'FPE04', HINT = 'docs/events.md gives each type''s region';
    END IF;
    INSERT INTO events (county_code, region_code, type, payload)
    SELECT e.county_code, e.region_code, e.type, e.payload
      FROM unnest(p_events) WITH ORDINALITY AS e(county_code, region_code, type, payload, ord)
     ORDER BY e.ord;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
