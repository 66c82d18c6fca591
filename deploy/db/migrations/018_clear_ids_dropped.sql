-- 018_clear_ids_dropped: before this file runs, in its transaction, the migration step seals
-- every ID number still in clear (common/migrate.c, s_seal_clear_ids): it needs the county's
-- data key when there are any. Then the clear columns go, the keys and indexes that used them
-- are made on id_hmac, and the two functions that compared ID numbers (intake_apply,
-- screen_match: deploy/db/functions/) compare id_hmac.
ALTER TABLE leads DROP COLUMN id_number;
ALTER TABLE leads ALTER COLUMN id_hmac SET NOT NULL, ALTER COLUMN id_sealed SET NOT NULL,
                  ALTER COLUMN id_masked SET NOT NULL,
                  ADD CONSTRAINT leads_person_key UNIQUE (county_code, sender, id_hmac, kind, occurred_on);

ALTER TABLE ledger_members DROP COLUMN id_number;
ALTER TABLE ledger_members ALTER COLUMN id_hmac SET NOT NULL, ALTER COLUMN id_sealed SET NOT NULL,
                           ALTER COLUMN id_masked SET NOT NULL,
                           ADD CONSTRAINT ledger_members_pkey PRIMARY KEY (county_code, id_hmac);

ALTER TABLE ledger_events DROP COLUMN id_number;
ALTER TABLE ledger_events ALTER COLUMN id_hmac SET NOT NULL;
CREATE INDEX ledger_events_person ON ledger_events (county_code, id_hmac, event_on);

-- intake_apply gains p_key, the check value of the data key the batch was sealed with: a batch
-- sealed with a key that is no longer the database's (rotated while intake ran with the old
-- one) is refused whole (SQLSTATE FPK01) rather than stored unmatched. The six-argument one goes.
DROP FUNCTION IF EXISTS intake_apply(text, text, text, text, text, text);
