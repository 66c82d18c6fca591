-- 006_reports: the report engine's store. A report for a closed period is frozen: its content
-- is computed once, after the period's report deadline, kept here, and served unchanged until
-- someone re-opens it (recorded in report_reopenings). First report: lead_verification_monthly.

-- One row per computed snapshot. The current snapshot of (report, region, period) is the one
-- not re-opened; re-opened ones stay as history. content is format-independent: a JSON array
-- of rows {label, kind, code, received, verified, included, not_included, pending, unmatched,
-- overdue}, in report order. No ID numbers, no names of people.
CREATE TABLE report_snapshots (
    id            bigserial PRIMARY KEY,
    report_code   text NOT NULL CHECK (report_code ~ '^[a-z][a-z0-9_]{1,63}$'),
    region_prefix varchar(12) NOT NULL CHECK (region_prefix ~ '^[0-9]+$'),
    period        char(7) NOT NULL,
    region_name   text NOT NULL,
    as_of         date NOT NULL,             -- the report date used for "overdue": the deadline
    content       jsonb NOT NULL,
    frozen_at     timestamptz NOT NULL DEFAULT now(),
    reopened_at   timestamptz,
    reopened_by   text,
    reopen_reason text,
    CHECK ((reopened_at IS NULL) = (reopened_by IS NULL) AND (reopened_at IS NULL) = (reopen_reason IS NULL))
);
CREATE UNIQUE INDEX report_snapshots_current ON report_snapshots (report_code, region_prefix, period)
    WHERE reopened_at IS NULL;

-- Who re-opened which report, when and why (the snapshot row also carries the latest).
CREATE TABLE report_reopenings (
    id            bigserial PRIMARY KEY,
    snapshot_id   bigint NOT NULL REFERENCES report_snapshots (id),
    report_code   text NOT NULL,
    region_prefix varchar(12) NOT NULL,
    period        char(7) NOT NULL,
    reopened_by   text NOT NULL,
    reopened_at   timestamptz NOT NULL DEFAULT now(),
    reason        text NOT NULL CHECK (reason <> '')
);
