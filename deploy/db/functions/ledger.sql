-- ledger.sql: the rule the foreign key ledger_members -> ledger_households kept until migration
-- 042, checked once per statement: no member stands in a household the ledger does not hold.
-- The errors are foreign_key_violation (23503), as the foreign key's were.

-- Raises the foreign key's error when (county, household) is not a household of the ledger.
CREATE OR REPLACE FUNCTION ledger_household_required(p_county text, p_household text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_household IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ledger_households h
                                                WHERE h.county_code = p_county AND h.household_no = p_household) THEN
        RAISE EXCEPTION 'ledger_members: household (%, %) is not in ledger_households', p_county, p_household
              USING ERRCODE = 'foreign_key_violation';
    END IF;
END $$;

-- Members inserted by one statement (its transition table): one anti-join, however many rows.
CREATE OR REPLACE FUNCTION ledger_members_household_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ledger_household_required(n.county_code, n.household_no) FROM (
        SELECT n.county_code, n.household_no FROM ledger_members_new n
         WHERE NOT EXISTS (SELECT 1 FROM ledger_households h
                            WHERE h.county_code = n.county_code AND h.household_no = n.household_no)
         LIMIT 1) n;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER ledger_members_household_ins AFTER INSERT ON ledger_members
    REFERENCING NEW TABLE AS ledger_members_new FOR EACH STATEMENT
    EXECUTE FUNCTION ledger_members_household_check();

-- A member moved to another household (a row whose key to its household changed: few).
CREATE OR REPLACE FUNCTION ledger_members_household_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ledger_household_required(NEW.county_code, NEW.household_no);
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER ledger_members_household_upd AFTER UPDATE OF county_code, household_no ON ledger_members
    FOR EACH ROW WHEN (OLD.county_code IS DISTINCT FROM NEW.county_code
                       OR OLD.household_no IS DISTINCT FROM NEW.household_no)
    EXECUTE FUNCTION ledger_members_household_moved();

-- A household members stand in is not deleted, nor given another key (the import never does
-- either; the foreign key refused both).
CREATE OR REPLACE FUNCTION ledger_households_keep_members() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM ledger_members m
                WHERE m.county_code = OLD.county_code AND m.household_no = OLD.household_no) THEN
        RAISE EXCEPTION 'ledger_households: members stand in household (%, %)', OLD.county_code,
              OLD.household_no USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER ledger_households_keep_members_del AFTER DELETE ON ledger_households
    FOR EACH ROW EXECUTE FUNCTION ledger_households_keep_members();
CREATE OR REPLACE TRIGGER ledger_households_keep_members_upd AFTER UPDATE OF county_code, household_no
    ON ledger_households
    FOR EACH ROW WHEN (OLD.county_code IS DISTINCT FROM NEW.county_code
                       OR OLD.household_no IS DISTINCT FROM NEW.household_no)
    EXECUTE FUNCTION ledger_households_keep_members();

-- ledger_changes (migration 056): the transaction that changed who the ledger's present members
-- are, once; what intake holds of them for comparison answers is not used past it
-- (compare_presence, ledger_changed_since). SECURITY DEFINER: the writers of ledger_members need
-- no right on ledger_changes.
CREATE OR REPLACE FUNCTION ledger_members_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    INSERT INTO public.ledger_changes (xid) VALUES (pg_current_xact_id()) ON CONFLICT (xid) DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER ledger_members_presence
    AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF county_code, id_hmac, left_on ON ledger_members
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_members_changed();
