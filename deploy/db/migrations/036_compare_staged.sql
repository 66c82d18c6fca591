-- 036_compare_staged: an answer batch of the data comparison (docs/compare.md) reaches the
-- database as COPY rows into a temporary stage (compare_stage, made by intake in the batch's
-- transaction) rather than as three arrays of parameters, and compare_answers_apply reads the
-- stage: the facts go into dept_facts in one plain INSERT (as fast as a COPY: the speculative
-- insertion of ON CONFLICT only when a fact of that person, department and day is already
-- stored). The batch keeps the persons it named who are not in the ledger (unmatched), so the
-- same batch again is answered without probing the ledger once more. The rules' runs are
-- announced (NOTIFY fangpin_compare_rules when due, fangpin_compare_rules_done when run) so
-- that the assistance service runs them at once and intake answers an import waiting for them
-- when they are done, without looking every second.

ALTER TABLE compare_batches ADD COLUMN unmatched text[];

DROP FUNCTION IF EXISTS compare_answers_apply(text, text, text, text, bigint, date, integer, bytea[], text[], text[],
                                              text, boolean);

-- An answer batch names its persons by keyed hash, and each is looked up among the county's
-- present members (matched, unmatched): by the primary key that was an index probe and a read of
-- the row (is the person present?) at a random place of the table, the largest part of a batch
-- after its insert. Over the present members only, the probe reads the index alone.
CREATE INDEX ledger_members_present ON ledger_members (county_code, id_hmac) WHERE left_on IS NULL;
