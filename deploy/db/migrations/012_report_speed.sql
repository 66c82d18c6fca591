-- 012_report_speed: the report functions closer to their physical limit (bench/reporting: each
-- report against a plain GROUP BY over the same rows). Same rows and numbers as 011's; only how
-- they are computed changes (the functions: deploy/db/functions/reports.sql).
-- lead_verification_monthly: decision_days is read once per call (fp_param is not inlined: it ran
-- once per lead in the overdue test), and the townships are selected by a code range.
-- measures_quarterly: the quarter is compared as char(6): the planner estimates the quarter's checks
-- right, and a nested loop can use it as the second column of the (measure_id, quarter) key.
-- scale_quarterly: ledger_members_household carries left_on (INCLUDE), so that present members are
-- counted from the index alone, and the members' join sees the quarter's days as constants.
-- elimination_quarterly: the quarter's steps and where each household stood at its end come from
-- one pass over the plans' elimination history grouped per plan (not two joins and a sort).
-- deadlines and the deadline scan: each lead's township and county steps come from one join with
-- case_leads and case_history (not two correlated probes per lead), and each township and county
-- looks its leads up in one aggregate (not three scans of the leads per unit).

-- ledger_members_household with left_on: the members present at a quarter's end, counted per
-- monitored household, come from the index alone (the import's COPY maintains one index either way).
DROP INDEX ledger_members_household;
CREATE INDEX ledger_members_household ON ledger_members (county_code, household_no) INCLUDE (left_on);
