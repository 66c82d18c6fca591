-- federation.sql: a prefecture database holding its counties' rows by logical replication
-- (docs/federation.md; migration 038 makes the publication and the replica identities).

-- At the prefecture, a county's event and its position arrive apart (migration 051): the county
-- publishes events as they are written and event_positions as its relay numbers them, each table
-- in the county's commit order, the two tables in no order between them while a subscription
-- first copies them. Whichever comes first waits (federation_events_waiting,
-- federation_positions_waiting); when both are there, federation_file_event() files the event:
-- it keeps its county's id and position in county_event_id and county_position, and in its
-- payload as county_position so that every reader (PUB, Replay, /events) can trace it; it takes
-- a prefecture id when its position arrives, and goes to events_pending, so that the prefecture's
-- own relay numbers it in the prefecture's one gap-free order, in the order the positions
-- arrived (each county's in its own position order). Only the apply worker's rows (the
-- subscription's: session_replication_role = replica, county_position not yet set) are caught:
-- an event written at the prefecture itself, or a position its own relay gives, passes
-- unchanged. ENABLE ALWAYS: the apply worker runs with session_replication_role = replica,
-- where ordinary triggers do not fire (and so neither does events_notify: NOTIFY is sent here).
-- Both triggers take a lock of the county first: while a subscription first copies the two
-- tables, an event and its position can arrive in two transactions at once (the copy's and the
-- apply's), each of which would not see the other's row and would keep its own waiting. With the
-- lock the second waits for the first to commit, and its next statement sees the first's row.
CREATE OR REPLACE FUNCTION federation_file_event(p_county text, p_id bigint, p_position bigint, p_region text,
                                                 p_type text, p_payload jsonb, p_created timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    filed bigint;
BEGIN
    -- a copy of a position already filed (a subscription copying event_positions again)
    IF EXISTS (SELECT 1 FROM public.events e WHERE e.county_code = p_county AND e.county_position = p_position) THEN
        RETURN;
    END IF;
    -- qualified: the apply worker runs with an empty search_path
    INSERT INTO public.events (county_code, region_code, type, payload, created_at, county_position, county_event_id)
    VALUES (p_county, p_region, p_type, p_payload || jsonb_build_object('county_position', p_position), p_created,
            p_position, p_id)
    RETURNING events.id INTO filed;
    INSERT INTO public.events_pending (id) VALUES (filed);
    PERFORM pg_notify('fangpin_events', '');
END $$;

CREATE OR REPLACE FUNCTION federation_event_arrives() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pos bigint;
BEGIN
    IF current_setting('session_replication_role') <> 'replica' OR NEW.county_position IS NOT NULL THEN
        RETURN NEW;
    END IF;
    PERFORM pg_advisory_xact_lock(7105002, hashtext(NEW.county_code));  -- see below
    DELETE FROM public.federation_positions_waiting w
     WHERE w.county_code = NEW.county_code AND w.county_event_id = NEW.id
    RETURNING w.county_position INTO pos;
    IF pos IS NULL THEN
        INSERT INTO public.federation_events_waiting (county_code, county_event_id, region_code, type, payload, created_at)
        VALUES (NEW.county_code, NEW.id, NEW.region_code, NEW.type, NEW.payload, NEW.created_at)
        ON CONFLICT DO NOTHING;
    ELSE
        PERFORM public.federation_file_event(NEW.county_code, NEW.id, pos, NEW.region_code, NEW.type, NEW.payload,
                                             NEW.created_at);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION federation_position_arrives() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    w record;
    county text := left(NEW.region_code, 6);  -- an event's region is in its county (events_write, FPE04)
BEGIN
    IF current_setting('session_replication_role') <> 'replica' THEN
        RETURN NEW;
    END IF;
    PERFORM pg_advisory_xact_lock(7105002, hashtext(county));  -- see below
    DELETE FROM public.federation_events_waiting x
     WHERE x.county_code = county AND x.county_event_id = NEW.event_id
    RETURNING x.* INTO w;
    IF NOT FOUND THEN
        IF NOT EXISTS (SELECT 1 FROM public.events e WHERE e.county_code = county AND e.county_position = NEW.position) THEN
            INSERT INTO public.federation_positions_waiting (county_code, county_event_id, county_position)
            VALUES (county, NEW.event_id, NEW.position) ON CONFLICT DO NOTHING;
        END IF;
    ELSE
        PERFORM public.federation_file_event(w.county_code, w.county_event_id, NEW.position, w.region_code, w.type,
                                             w.payload, w.created_at);
    END IF;
    RETURN NULL;  -- the county's position is not the prefecture's: its own relay numbers the event
END $$;

-- Makes this database a prefecture's (idempotent; run by fangpinctl federation add-county as a
-- superuser before the first subscription). Each published table is keyed by county code:
-- a primary key without it becomes (county_code, key) (the county's replica identity, 038; since
-- migration 046 every one already is); the foreign keys on or to published tables are dropped,
-- and any unique constraint without the county code (none since 046), because the counties
-- enforce those rules themselves (the prefecture's copies are read-only). Events keep their own
-- primary key: the trigger above gives every arriving event a prefecture id.
CREATE OR REPLACE FUNCTION federation_prefecture_keys() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT c.conrelid::regclass AS tbl, c.conname
          FROM pg_constraint c
         WHERE c.contype = 'f'
           AND (c.conrelid IN (SELECT (schemaname || '.' || tablename)::regclass FROM pg_publication_tables
                                WHERE pubname = 'fangpin_county' AND tablename NOT IN ('events', 'event_positions'))
             OR c.confrelid IN (SELECT (schemaname || '.' || tablename)::regclass FROM pg_publication_tables
                                 WHERE pubname = 'fangpin_county' AND tablename NOT IN ('events', 'event_positions')))
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
    END LOOP;
    FOR r IN
        SELECT i.indrelid::regclass AS tbl, i.indexrelid::regclass AS idx, i.indisprimary AS pk,
               con.conname, t.tablename
          FROM pg_publication_tables t
          JOIN pg_index i ON i.indrelid = (t.schemaname || '.' || t.tablename)::regclass
          LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
         WHERE t.pubname = 'fangpin_county' AND t.tablename NOT IN ('events', 'event_positions') AND i.indisunique
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
    PERFORM federation_position_trigger();
END $$;

-- The trigger on event_positions that goes with events_from_county (051): made by
-- federation_prefecture_keys(), and here for a prefecture made before 051.
CREATE OR REPLACE FUNCTION federation_position_trigger() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    CREATE OR REPLACE TRIGGER event_positions_from_county BEFORE INSERT ON event_positions
        FOR EACH ROW EXECUTE FUNCTION federation_position_arrives();
    ALTER TABLE event_positions ENABLE ALWAYS TRIGGER event_positions_from_county;
END $$;
SELECT federation_position_trigger() FROM pg_trigger
 WHERE tgrelid = 'events'::regclass AND tgname = 'events_from_county';

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
                  WHERE pubname = 'fangpin_county' AND tablename NOT IN ('events', 'event_positions')
                  -- the households last: functions/ledger.sql refuses to delete a household
                  -- its members still stand in (the foreign key's rule since migration 042)
                  ORDER BY tablename = 'ledger_households', tablename
        LOOP
            EXECUTE format('DELETE FROM %I.%I WHERE county_code = $1', t.schemaname, t.tablename) USING p_county;
            GET DIAGNOSTICS n = ROW_COUNT;
            total := total + n;
        END LOOP;
    END IF;
    RETURN total;
END $$;

-- At an upper level, after fangpinctl federation persons filled its temporary table fed_people
-- (each county's present ledger members and leads: county, source, ref, the prefecture's own
-- person_key, the county's own county_hmac): federation_found becomes exactly the places this
-- level finds now, a person in more than one of its counties, each with the other counties. A
-- place found before and no longer found is deleted, so that the county's next data-quality run
-- closes its finding; a place still found keeps its day. The rows go down to each county by its
-- publication fangpin_down_<county> (a row filter on county_code): migration 045,
-- docs/federation.md. Returns how many places this level finds. FPF01: the level's region is not
-- recorded yet (add-county --upper records it).
CREATE OR REPLACE FUNCTION federation_found_refresh(p_on date) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    lvl text := (SELECT region_code FROM federation_level);
    n   integer;
BEGIN
    IF lvl IS NULL THEN
        RAISE EXCEPTION 'this database does not know its own region: fangpinctl federation add-county --upper CODE'
            USING ERRCODE = 'FPF01';
    END IF;
    DROP TABLE IF EXISTS pg_temp.fed_found;
    CREATE TEMP TABLE fed_found ON COMMIT DROP AS
    WITH many AS (SELECT person_key, array_agg(DISTINCT county_code ORDER BY county_code) AS counties
                    FROM pg_temp.fed_people GROUP BY person_key HAVING count(DISTINCT county_code) > 1)
    SELECT DISTINCT p.county_code, p.county_hmac AS id_hmac, p.source, p.ref,
           array_remove(m.counties, p.county_code)::varchar(6)[] AS elsewhere
      FROM pg_temp.fed_people p JOIN many m USING (person_key);
    DELETE FROM federation_found f
     WHERE f.found_by = lvl
       AND NOT EXISTS (SELECT 1 FROM fed_found x WHERE x.county_code = f.county_code AND x.id_hmac = f.id_hmac
                                                  AND x.source = f.source AND x.ref = f.ref);
    INSERT INTO federation_found (county_code, found_by, id_hmac, source, ref, elsewhere, found_on)
    SELECT x.county_code, lvl, x.id_hmac, x.source, x.ref, x.elsewhere, p_on FROM fed_found x
        ON CONFLICT (county_code, found_by, id_hmac, source, ref) DO UPDATE SET elsewhere = EXCLUDED.elsewhere
     WHERE federation_found.elsewhere IS DISTINCT FROM EXCLUDED.elsewhere;
    SELECT count(*) INTO n FROM fed_found;
    RETURN n;
END $$;

-- At an upper level, the down direction to county p_county (fangpinctl federation add-county
-- --down-password-file): the role fangpin_down_<county> (LOGIN REPLICATION, its password given as
-- the SCRAM verifier p_verifier) may read federation_found, and the publication
-- fangpin_down_<county> sends it the rows of that county only. Idempotent (a second call sets the
-- password again).
CREATE OR REPLACE FUNCTION federation_down_publish(p_county text, p_verifier text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    nm text := 'fangpin_down_' || p_county;
BEGIN
    IF p_county !~ '^[0-9]{6}$' THEN
        RAISE EXCEPTION 'a county code is 6 digits: %', p_county USING ERRCODE = '22023';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = nm) THEN
        EXECUTE format('CREATE ROLE %I LOGIN REPLICATION', nm);
    END IF;
    EXECUTE format('ALTER ROLE %I LOGIN REPLICATION PASSWORD %L', nm, p_verifier);
    EXECUTE format('GRANT SELECT ON federation_found TO %I', nm);
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = nm) THEN
        SET LOCAL client_min_messages = error; -- the wal_level warning: the subscriber's error says it
        EXECUTE format('CREATE PUBLICATION %I FOR TABLE federation_found WHERE (county_code = %L)', nm, p_county);
    END IF;
END $$;

-- At an upper level, after remove-county: the county's down publication and role are dropped, and
-- the replication slot the county's subscription made here (fangpin_down_<county>) with them once
-- no one uses it (a county still subscribed is cut off: its role is gone; the county drops its
-- subscription with `fangpinctl federation unsubscribe-upper`). Returns whether a slot was dropped.
CREATE OR REPLACE FUNCTION federation_down_forget(p_county text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    nm text := 'fangpin_down_' || p_county;
BEGIN
    EXECUTE format('DROP PUBLICATION IF EXISTS %I', nm);
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = nm) THEN
        EXECUTE format('REVOKE ALL ON federation_found FROM %I', nm);
        EXECUTE format('DROP ROLE %I', nm);
    END IF;
    DELETE FROM federation_found WHERE county_code = p_county;
    -- the county's walsender, cut off, takes a moment to let go of the slot; and until this
    -- transaction commits the role is still there, so the county's subscription may connect again
    -- (its apply worker retries) and take the slot back between the two: terminated and dropped
    -- again until it is gone (pg_drop_replication_slot takes effect at once, not at the commit)
    FOR i IN 1..200 LOOP
        PERFORM pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = nm AND active;
        BEGIN
            PERFORM pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = nm AND NOT active;
            IF FOUND THEN
                RETURN true;
            END IF;
        EXCEPTION WHEN object_in_use THEN
            NULL;  -- taken again since it was seen free
        END;
        EXIT WHEN NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = nm);
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN false;
END $$;
