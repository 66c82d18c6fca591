-- 017_sealed_ids: ID numbers at rest (docs/operations.md, "Personal data at rest"). Each table
-- that held an ID number in clear gets, beside it:
--   id_hmac    HMAC-SHA-256 of the number with the county's matching key: equal numbers give
--              equal values, so screening, duplicates and idempotency compare these;
--   id_sealed  the number encrypted with the county's sealing key (XChaCha20-Poly1305, random
--              nonce): recoverable with the data key only;
--   id_masked  the form shown to people (1308**********1234).
-- The service that applies 018 fills them from the clear column, in C (the keys never reach
-- SQL), then 018 drops the clear column. The data key's check value is kept here, so that a
-- service started with another key refuses to work instead of matching nobody.
CREATE TABLE data_key (
    only_one    boolean PRIMARY KEY DEFAULT true CHECK (only_one),
    check_value text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE leads ADD COLUMN id_hmac bytea, ADD COLUMN id_sealed bytea, ADD COLUMN id_masked text;
ALTER TABLE ledger_members ADD COLUMN id_hmac bytea, ADD COLUMN id_sealed bytea, ADD COLUMN id_masked text;
ALTER TABLE ledger_events ADD COLUMN id_hmac bytea;
