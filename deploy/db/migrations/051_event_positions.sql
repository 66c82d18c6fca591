-- 051_event_positions: the relay numbers an event by INSERTing its position into a narrow table
-- instead of UPDATEing the wide events row (bench/reporting, "positions in a narrow table").
-- The UPDATE wrote a new version of the whole row (payload and all), its entries in four
-- indexes, and a row lock: about 7 WAL records and 600 bytes per event, 50-100 µs on the 2-core
-- machine. Now:
--   * events_pending: the ids of events not numbered yet, one narrow row each, written by the
--     statement trigger events_notify (functions/events.sql) in the writer's transaction; it
--     replaces the partial index events_unpublished (position IS NULL), which cost the writer one
--     index entry too;
--   * event_positions: position -> event id (and the event's region, for Replay and /events by
--     region without reading the wide rows), one row per numbered event, written only by
--     relay_number() in the statement that deletes the event's pending row. Gap-free, unique,
--     exactly once: as before, under the relay's advisory lock;
--   * events.position goes: "numbered" is "has a row in event_positions".
-- Federation (038, functions/federation.sql): the county published its events once numbered (a
-- row filter on events.position, so the numbering UPDATE made them visible). It now publishes
-- events as they are written and event_positions as they are numbered; the prefecture keeps a
-- county's event aside (federation_events_waiting) until its position arrives, then files it
-- as before: its own id, no position (its own relay numbers it), the county's id and position
-- in county_event_id and county_position. Positions arriving before their events (a new
-- subscription copies both tables at once, in no order between them) wait in
-- federation_positions_waiting. A prefecture runs `fangpinctl federation refresh` after this
-- migration (docs/federation.md), so that its subscriptions learn event_positions.
CREATE TABLE event_positions (
    position     bigint PRIMARY KEY CHECK (position > 0),
    event_id     bigint NOT NULL,        -- events.id; unique because its pending row is deleted once
    region_code  varchar(12) COLLATE "C" NOT NULL
);
CREATE INDEX event_positions_region ON event_positions (region_code, position);

CREATE TABLE events_pending (
    id bigint PRIMARY KEY                -- events.id, written with the event, deleted when numbered
);

INSERT INTO event_positions (position, event_id, region_code)
SELECT position, id, region_code FROM events WHERE position IS NOT NULL;
INSERT INTO events_pending (id) SELECT id FROM events WHERE position IS NULL;

-- At a prefecture: a county's event waiting for its position, and a position waiting for its event.
CREATE TABLE federation_events_waiting (
    county_code      varchar(6) NOT NULL,
    county_event_id  bigint NOT NULL,
    region_code      varchar(12) COLLATE "C" NOT NULL,
    type             text NOT NULL,
    payload          jsonb NOT NULL,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (county_code, county_event_id)
);
CREATE TABLE federation_positions_waiting (
    county_code      varchar(6) NOT NULL,
    county_event_id  bigint NOT NULL,
    county_position  bigint NOT NULL,
    PRIMARY KEY (county_code, county_event_id)
);
-- a county's positions already filed (a repeated copy of event_positions is ignored), and
-- federation status's last position per county
CREATE INDEX events_county_position ON events (county_code, county_position) WHERE county_position IS NOT NULL;

SET LOCAL client_min_messages = error;  -- no wal_level = logical yet: see 038
ALTER PUBLICATION fangpin_county DROP TABLE events;
ALTER TABLE events DROP COLUMN position;  -- and with it events_position, events_region_position, events_unpublished
ALTER PUBLICATION fangpin_county ADD TABLE events, event_positions;
