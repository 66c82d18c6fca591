-- 055_ledger_members_two_indexes: ledger_members keeps two indexes instead of four (issue 18).
-- Every member a census import adds was written into four b-trees: the primary key
-- (county_code, id_hmac), ledger_members_present (the same key, present members only: 036),
-- ledger_members_household (county_code, household_no) INCLUDE (left_on) (012) and
-- ledger_members_compare (county_code, household_no, id_hmac), present members only (033). Two of
-- them are keyed by a keyed hash, so each insert lands at a random page of them: at a million
-- members, past shared_buffers, the members' INSERT spent most of its time there (52-55 s with
-- the four against 27-36 s with the two below, the same 1,000,000 rows INSERTed in the import's
-- order on one cluster, load 6-10; bench/ledger/README.md).
--
-- The two kept answer what the four did, each still from the index alone:
--  * the primary key carries left_on (INCLUDE), so "is this person a present member" (the compare
--    answers' probe, 036) reads the key's index without the partial one;
--  * ledger_members_household is keyed (county_code, household_no, id_hmac) and carries left_on:
--    a household's members (reports, screening, the rules), and the data comparison's export in
--    household then person order with its cursor (033), the leavers filtered by left_on.
-- No foreign key references ledger_members, and a primary key's included column is not part of
-- the replica identity, so the federation's publications are unchanged.
ALTER TABLE ledger_members DROP CONSTRAINT ledger_members_pkey;
ALTER TABLE ledger_members ADD CONSTRAINT ledger_members_pkey PRIMARY KEY (county_code, id_hmac) INCLUDE (left_on);
DROP INDEX ledger_members_present;
DROP INDEX ledger_members_compare;
DROP INDEX ledger_members_household;
CREATE INDEX ledger_members_household ON ledger_members (county_code, household_no, id_hmac) INCLUDE (left_on);
