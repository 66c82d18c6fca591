-- federation.sql: a prefecture database holding its counties' rows by logical replication
-- (docs/federation.md; migration 038 makes the publication and the replica identities).

-- At the prefecture, an event arriving from a county (the apply worker inserts it with the
-- county's position: the publication sends only numbered events) keeps its county's id and
-- position in county_event_id and county_position, and in its payload as county_position so
-- that every reader (PUB, Replay, /events) can trace it; it takes a prefecture id, and no
-- position, so that the prefecture's own relay numbers it in the prefecture's one gap-free
-- order, in the order the events arrived (each county's in its own position order). An event
-- written at the prefecture itself (position NULL) passes unchanged. ENABLE ALWAYS: the apply
-- worker runs with session_replication_role = replica, where ordinary triggers do not fire.
CREATE OR REPLACE FUNCTION federation_event_arrives() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.position IS NULL THEN
        RETURN NEW;
    END IF;
    NEW.county_position := NEW.position;
    NEW.county_event_id := NEW.id;
    NEW.payload := NEW.payload || jsonb_build_object('county_position', NEW.position);
    -- qualified: the apply worker runs with an empty search_path
    NEW.id := nextval(pg_get_serial_sequence('public.events', 'id'));
    NEW.position := NULL;
    PERFORM pg_notify('fangpin_events', '');
    RETURN NEW;
END $$;

-- Makes this database a prefecture's (idempotent; run by fangpinctl federation add-county as a
-- superuser before the first subscription). Each published table is keyed by county code:
-- a primary key without it becomes (county_code, key) (the county's replica identity, 038);
-- foreign keys and unique constraints without the county code are dropped, because rows of
-- several counties share serial ids and the counties enforce those rules themselves (the
-- prefecture's copies are read-only). Events keep their own primary key: the trigger above
-- gives every arriving event a prefecture id.
CREATE OR REPLACE FUNCTION federation_prefecture_keys() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT c.conrelid::regclass AS tbl, c.conname
          FROM pg_constraint c
         WHERE c.contype = 'f'
           AND (c.conrelid IN (SELECT (schemaname || '.' || tablename)::regclass FROM pg_publication_tables
                                WHERE pubname = 'fangpin_county' AND tablename <> 'events')
             OR c.confrelid IN (SELECT (schemaname || '.' || tablename)::regclass FROM pg_publication_tables
                                 WHERE pubname = 'fangpin_county' AND tablename <> 'events'))
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
    END LOOP;
    FOR r IN
        SELECT i.indrelid::regclass AS tbl, i.indexrelid::regclass AS idx, i.indisprimary AS pk,
               con.conname, t.tablename
          FROM pg_publication_tables t
          JOIN pg_index i ON i.indrelid = (t.schemaname || '.' || t.tablename)::regclass
          LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
         WHERE t.pubname = 'fangpin_county' AND t.tablename <> 'events' AND i.indisunique
           AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                            WHERE a.attrelid = i.indrelid AND a.attname = 'county_code'
                              AND a.attnum = ANY (i.indkey))
    LOOP
        IF r.pk THEN
            EXECUTE format('ALTER TABLE %s REPLICA IDENTITY USING INDEX %I', r.tbl, r.tablename || '_county_key');
            EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
            EXECUTE format('ALTER TABLE %s ADD PRIMARY KEY USING INDEX %I', r.tbl, r.tablename || '_county_key');
        ELSIF r.conname IS NOT NULL THEN
            EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
        ELSE
            EXECUTE format('DROP INDEX %s', r.idx);
        END IF;
    END LOOP;
    CREATE OR REPLACE TRIGGER events_from_county BEFORE INSERT ON events
        FOR EACH ROW EXECUTE FUNCTION federation_event_arrives();
    ALTER TABLE events ENABLE ALWAYS TRIGGER events_from_county;
END $$;

-- After fangpinctl federation remove-county dropped the county's subscription: marks it removed
-- and, when p_purge, deletes its rows from every published table (events keep theirs: positions
-- already given out stay in the prefecture's stream). Returns how many rows were deleted.
CREATE OR REPLACE FUNCTION federation_forget_county(p_county text, p_purge boolean) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    n bigint;
    total bigint := 0;
BEGIN
    UPDATE federation_counties SET removed_at = now() WHERE county_code = p_county AND removed_at IS NULL;
    IF p_purge THEN
        FOR t IN SELECT schemaname, tablename FROM pg_publication_tables
                  WHERE pubname = 'fangpin_county' AND tablename <> 'events'
        LOOP
            EXECUTE format('DELETE FROM %I.%I WHERE county_code = $1', t.schemaname, t.tablename) USING p_county;
            GET DIAGNOSTICS n = ROW_COUNT;
            total := total + n;
        END LOOP;
    END IF;
    RETURN total;
END $$;
