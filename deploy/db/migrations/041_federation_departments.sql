-- 041_federation_departments: a county also publishes its departments (docs/federation.md).
-- The lead verification report names a lead's department from the county's `departments` rows
-- (made when a department's key is registered); without them at the prefecture, every county
-- department's leads fell into the row 其他来源. The table is keyed (county_code, code), so the
-- counties' rows live side by side at the prefecture. A prefecture already subscribed runs
-- `fangpinctl federation refresh` after this upgrade; the replication role, where a county has
-- already run `federation publish`, may read the table from now on.
ALTER PUBLICATION fangpin_county ADD TABLE departments;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fangpin_federation') THEN
        GRANT SELECT ON departments TO fangpin_federation;
    END IF;
END $$;
