-- events.sql: the event outbox (events, migration 001) and the one way into it.

-- Every statement that writes events puts their ids in events_pending (migration 051), in its own
-- transaction, so they become claimable when it commits, and wakes the reporting service's relay,
-- which LISTENs. At a prefecture the apply worker's rows fire no statement trigger: its own
-- triggers (functions/federation.sql) do both.
CREATE OR REPLACE FUNCTION fp_events_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO events_pending (id) SELECT n.id FROM written n;
    PERFORM pg_notify('fangpin_events', '');
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER events_notify AFTER INSERT ON events REFERENCING NEW TABLE AS written
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
--
-- events_refuse raises the error for the first event the check found; it is only called for one.
CREATE OR REPLACE FUNCTION events_refuse(p_type text, p_county text, p_region text, p_payload jsonb, p_known boolean,
                                         p_required text[], p_listed text[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT p_known THEN
        RAISE EXCEPTION 'event.unknown_type: % is not in the event catalogue (event_types)', coalesce(p_type, 'NULL')
              USING ERRCODE = 'FPE01', HINT = 'docs/events.md lists the types; a new one is a migration';
    ELSIF jsonb_typeof(p_payload) IS DISTINCT FROM 'object' OR NOT (p_payload ?& p_required) THEN
        RAISE EXCEPTION 'event.missing_field: a % event''s payload lacks %', p_type,
              CASE WHEN jsonb_typeof(p_payload) = 'object'
                   THEN (SELECT string_agg(f.field, ', ' ORDER BY f.ord) FROM event_fields f
                          WHERE f.type = p_type AND f.required AND NOT p_payload ? f.field)
                   ELSE 'every field (it is not a JSON object)' END
              USING ERRCODE = 'FPE02', HINT = 'docs/events.md lists the fields of each type';
    ELSIF (p_payload - p_listed) <> '{}'::jsonb THEN
        RAISE EXCEPTION 'event.unknown_field: a % event''s payload has % (not in event_fields)', p_type,
              (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(p_payload - p_listed) AS k)
              USING ERRCODE = 'FPE03', HINT = 'docs/events.md lists the fields of each type';
    ELSE
        RAISE EXCEPTION 'event.bad_region: a % event of county % filed under region %', p_type,
              coalesce(p_county, 'NULL'), coalesce(p_region, 'NULL')
              USING ERRCODE = 'FPE04', HINT = 'docs/events.md gives each type''s region';
    END IF;
END $$;
-- events_write is LANGUAGE sql, not plpgsql: plpgsql reads a composite array parameter row by
-- row about twice as slowly (measured: 5,000 lead.accepted events, 70-80 ms in plpgsql against
-- 40-47 ms here, 27-35 ms for a bare INSERT). Each event is checked by C operators against its
-- type's field lists, in one pass: ?& (it has every required field) and - (nothing is left once
-- the listed fields are removed); the OR keeps its order, so - never sees a non-object.
CREATE OR REPLACE FUNCTION events_write(p_events event_new[]) RETURNS integer
LANGUAGE sql AS $$
    WITH spec AS (
        SELECT t.type, t.region,
               coalesce(array_agg(f.field) FILTER (WHERE f.required), '{}') AS required,
               coalesce(array_agg(f.field) FILTER (WHERE f.field IS NOT NULL), '{}') AS listed
          FROM event_types t LEFT JOIN event_fields f ON f.type = t.type
         WHERE t.type IN (SELECT DISTINCT e.type FROM unnest(p_events) AS e)
         GROUP BY t.type, t.region)
    SELECT events_refuse(e.type, e.county_code, e.region_code, e.payload, s.type IS NOT NULL, s.required, s.listed)
      FROM (SELECT e.*, s.type AS known FROM unnest(p_events) AS e LEFT JOIN spec s ON s.type = e.type
     WHERE s.type IS NULL OR jsonb_typeof(e.payload) IS DISTINCT FROM 'object'
        OR NOT (e.payload ?& s.required) OR (e.payload - s.listed) <> '{}'::jsonb
        OR e.county_code IS NULL OR e.region_code IS NULL OR left(e.region_code, 6) <> e.county_code
        OR (s.region = 'county' AND e.region_code <> rpad(e.county_code, 12, '0'))
     LIMIT 1) e LEFT JOIN spec s ON s.type = e.type;
    WITH ins AS (
        INSERT INTO events (county_code, region_code, type, payload)
        SELECT e.county_code, e.region_code, e.type, e.payload
          FROM unnest(p_events) WITH ORDINALITY AS e(county_code, region_code, type, payload, ord)
         ORDER BY e.ord
        RETURNING 1)
    SELECT count(*)::integer FROM ins;
$$;

-- The relay's numbering transaction (services/reporting/relay.c), one statement, so one round
-- trip and one commit per batch: called on its own (autocommit), it takes the relay's advisory
-- lock, records p_mark as the published high-water mark when it is above 0 (the batch before
-- went out on the PUB), numbers up to p_limit unnumbered events in id order after the highest
-- position, and returns them in position order with the columns the relay publishes.
-- Numbering is narrow (migration 051): the events' rows in events_pending are deleted and one
-- row per event goes into event_positions; the wide events rows are only read.
-- Gap-free and unique: the claim is a statement after the lock, so (READ COMMITTED, a volatile
-- function) its snapshot sees every position committed before the lock was granted; a second
-- relay waits for the lock and numbers after the first one's commit. Exactly once: an event has
-- one pending row (its primary key), and the statement that deletes it gives the position.
-- FOR UPDATE SKIP LOCKED: a pending row whose writer has not committed is invisible and gets a
-- later position when it does; one another session holds is skipped, not waited for.
-- enable_bitmapscan off: the claim must walk events_pending's key in id order and stop after the
-- batch (bench/reporting, "relay"). Hash and merge joins off: the batch's pending rows and events
-- are found by their keys, one probe each; with statistics from before a burst of inserts the
-- planner hashed all of events_pending and all of events instead (95 of 150 ms for a batch of
-- 1,000 among 42,000 events, and it grows with the table). A custom plan for each call, as the
-- statement had when the relay sent it itself.
CREATE OR REPLACE FUNCTION relay_number(p_limit integer, p_mark bigint)
RETURNS TABLE (ev_position bigint, ev_county text, ev_region text, ev_type text, ev_payload text,
               ev_created_ms bigint)
LANGUAGE plpgsql
SET enable_bitmapscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    head bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(7105001);
    IF p_mark > 0 THEN
        UPDATE relay_state SET published = greatest(published, p_mark), published_at = now();
    END IF;
    SELECT coalesce(max(p.position), 0) INTO head FROM event_positions p;
    RETURN QUERY
    WITH c AS (DELETE FROM events_pending d
                WHERE d.id IN (SELECT q.id FROM events_pending q ORDER BY q.id LIMIT p_limit FOR UPDATE SKIP LOCKED)
               RETURNING d.id),
         n AS (SELECT head + row_number() OVER (ORDER BY e.id) AS pos, e.id, e.county_code, e.region_code, e.type,
                      e.payload, e.created_at
                 FROM c JOIN events e ON e.id = c.id),
         i AS (INSERT INTO event_positions (position, event_id, region_code)
               SELECT n.pos, n.id, n.region_code FROM n)
    SELECT n.pos, n.county_code::text, n.region_code::text, n.type, n.payload::text,
           (extract(epoch FROM n.created_at) * 1000)::bigint
      FROM n ORDER BY n.pos;
END $$;
