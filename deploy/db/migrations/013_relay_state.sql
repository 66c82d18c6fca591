-- 013_relay_state: the relay records how far it has published in one row, not on every event.
-- Before, after sending a batch it ran UPDATE events SET published_at = now() on the batch's rows:
-- a second new version of every event (after the one that set its position), with its index
-- entries, which was about half of the relay's database time (bench/reporting, "relay").
-- relay_state.published is now the high-water mark: every position at or below it has been sent
-- on the PUB. The relay raises it in the transaction that numbers its next batch (no extra
-- commit while events stream), or on its own after the last batch. On start and reconnect it
-- republishes the positions above it. events.published_at is dropped rather than left to go
-- stale: "position <= relay_state.published" is what "published" means now.
CREATE TABLE relay_state (
    id           boolean PRIMARY KEY DEFAULT true CHECK (id),  -- one row
    published    bigint NOT NULL CHECK (published >= 0),       -- positions 1..published were sent
    published_at timestamptz NOT NULL DEFAULT now()            -- when published was last raised
);
INSERT INTO relay_state (published, published_at)
SELECT coalesce(max(position), 0), coalesce(max(published_at), now())
  FROM events WHERE position IS NOT NULL AND published_at IS NOT NULL;
ALTER TABLE events DROP COLUMN published_at;

-- Positions are unique among the numbered events only: a partial unique index, so that writers
-- no longer add a NULL entry to it for every event they insert, and so that the relay's claim
-- (position IS NULL, in id order) can only be served by events_unpublished. With the full index,
-- and statistics taken before a burst of inserts (the planner expecting a few hundred unnumbered
-- rows among a backlog of 200,000), the claim read every unnumbered row through a bitmap scan of
-- the position index and sorted them, for each batch of 1,000.
CREATE UNIQUE INDEX events_position ON events (position) WHERE position IS NOT NULL;
ALTER TABLE events DROP CONSTRAINT events_position_key;
