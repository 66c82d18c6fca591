-- 056_compare_presence: a department's large answer file is checked against the ledger's present
-- members read once by intake, not one primary-key descent a person per batch (issue 14;
-- services/intake/compare_presence.c, docs/compare.md "Who is in the ledger").
--
-- ledger_changes: each transaction that changed ledger_members' present members (an insert, a
-- delete, a truncate, or an update of county_code, id_hmac or left_on), one row, written by the
-- statement trigger ledger_members_presence (functions/ledger.sql). intake reads the members with
-- the snapshot it read them in (compare_presence); a batch then takes intake's counts only when no
-- such transaction committed after that snapshot (ledger_changed_since), otherwise it asks the
-- ledger. Rows older than seven days are removed when intake reads the members
-- (compare_presence_prune): intake reads them again every ten minutes, so a row it could still
-- need is never removed.
CREATE TABLE ledger_changes (
    xid xid8 PRIMARY KEY,
    at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_changes_at ON ledger_changes (at);

-- compare_answers_apply takes intake's counts and their snapshot (three more arguments, one more
-- column): a new signature is a new function, so the old one goes.
DROP FUNCTION IF EXISTS compare_answers_apply(text, text, text, text, bigint, date, integer, text, boolean);
