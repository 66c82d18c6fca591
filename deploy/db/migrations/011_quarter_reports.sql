-- 011_quarter_reports: the quarterly reports (规模统计表, 帮扶措施落实情况, 风险消除情况), the
-- deadlines report (逾期情况) and the deadline.missed events, over the assistance store (010),
-- screening's cases (005) and intake's batches (002). docs/protocol.md "Reports" lists the columns.
-- Each report's rows come from one function report_<code>_rows(prefix, period, as_of) RETURNS
-- jsonb (deploy/db/functions/reports.sql: a JSON array of rows {label, kind, code, <column>:
-- value, ...}), set-based and selecting by region prefix with a range on a "C"-collated code (code >= prefix AND code < prefix || ':'),
-- which a btree serves with parameters as well as with constants. report_get() (006) now
-- dispatches on the report's code; freezing and re-opening work as for the monthly report.
-- The report functions are PL/pgSQL with plan_cache_mode = force_custom_plan: each statement is
-- planned with the call's prefix and period, so the planner sees how many rows a county (or a
-- township) selects; a SQL function's generic plan guesses, and took twice as long on a county of
-- 150k monitored households. jit = off: compiling these sub-second queries cost more (1.5 s) than
-- it saved.

-- Quarterly periods ('2026Q3') are 6 characters: store periods without char padding.
ALTER TABLE report_snapshots ALTER COLUMN period TYPE varchar(7);
ALTER TABLE report_reopenings ALTER COLUMN period TYPE varchar(7);

-- The leads of a period by village: the monthly reports and the deadlines select on them.
CREATE INDEX leads_period_village ON leads (period, village_code);
-- Elimination steps and refusals of a quarter, by day (plan_history is otherwise read by plan).
CREATE INDEX plan_history_elimination ON plan_history (on_day, plan_id) WHERE event LIKE 'elimination.%';

-- One count of one village: what a report function hands report_rollup().
CREATE TYPE report_count AS (village text, key text, n bigint);

-- Missed deadlines already announced: one row, and one deadline.missed event, per unit, deadline
-- and period.
CREATE TABLE deadline_misses (
    deadline    text NOT NULL CHECK (deadline IN ('lead_push', 'township_report', 'county_report', 'quarter_summary')),
    unit_kind   text NOT NULL,
    unit_code   text COLLATE "C" NOT NULL,
    period      varchar(7) NOT NULL,
    county_code varchar(6) NOT NULL,
    due_on      date NOT NULL,
    found_on    date NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (deadline, unit_code, period)
);
