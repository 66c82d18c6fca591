-- 042_ledger_members_fk_per_statement: a member's household is checked once per statement, not
-- once per row (issue 18). The row-level foreign key ledger_members (county_code, household_no)
-- -> ledger_households ran one lookup per inserted member: at a county's census (a million
-- members) that was a third of the import's time (bench/RESULTS.md). The same rule is kept by
-- the triggers of functions/ledger.sql: an INSERT of members is checked as one anti-join of the
-- statement's new rows against ledger_households, a member moved to another household is checked
-- row by row (few), and a household that members stand in cannot be deleted or renumbered. The
-- rows already stored satisfied the foreign key, so nothing is checked again here.
DO $$
DECLARE
    fk name;
BEGIN
    SELECT conname INTO fk FROM pg_constraint
     WHERE conrelid = 'ledger_members'::regclass AND contype = 'f'
       AND confrelid = 'ledger_households'::regclass;
    IF fk IS NOT NULL THEN
        EXECUTE format('ALTER TABLE ledger_members DROP CONSTRAINT %I', fk);
    END IF;
END $$;
