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

-- The day a report of p_prefix for p_period is due: the township_report_day (a township or
-- village prefix) or county_report_day (a county or wider) of the following month.
CREATE FUNCTION report_deadline(p_prefix text, p_period text) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT n + (fp_param(CASE WHEN length(p_prefix) >= 9 THEN 'township_report_day' ELSE 'county_report_day' END,
                         p_prefix, n)::int - 1)
      FROM (SELECT ((p_period || '-01')::date + interval '1 month')::date AS n) x
$$;

-- Monthly lead verification (风险线索核实情况) of region prefix p_prefix and period p_period, as of
-- p_as_of. Leads of the period whose village starts with the prefix, counted by current status:
-- received (all), verified (verifying + identified + not_included), included (identified),
-- not_included, pending, unmatched, and overdue: pending or verifying, received (China date)
-- more than decision_days days before p_as_of. Rows: every department of the counties under
-- the prefix (of its county for a township or village prefix), then leads from no department
-- (village visits, self-reports) when there are any, then every township, then the total.
CREATE FUNCTION report_lead_verification_rows(p_prefix text, p_period text, p_as_of date) RETURNS jsonb
LANGUAGE sql STABLE AS $$
WITH l AS (
    SELECT l.county_code, l.department_code, left(l.village_code, 9) AS township, l.status,
           (l.status IN ('pending', 'verifying')
            AND (l.received_at AT TIME ZONE 'Asia/Shanghai')::date
                < p_as_of - fp_param('decision_days', p_prefix, p_as_of)::int) AS overdue
      FROM leads l
     WHERE l.period = p_period AND left(l.village_code, length(p_prefix)) = p_prefix
), c AS (
    SELECT CASE WHEN GROUPING(township) = 0 THEN 'township'
                WHEN GROUPING(county_code, department_code) = 0 THEN 'department' ELSE 'total' END AS g,
           county_code, department_code, township,
           count(*) AS received,
           count(*) FILTER (WHERE status IN ('verifying', 'identified', 'not_included')) AS verified,
           count(*) FILTER (WHERE status = 'identified') AS included,
           count(*) FILTER (WHERE status = 'not_included') AS not_included,
           count(*) FILTER (WHERE status = 'pending') AS pending,
           count(*) FILTER (WHERE status = 'unmatched') AS unmatched,
           count(*) FILTER (WHERE overdue) AS overdue
      FROM l
     GROUP BY GROUPING SETS ((county_code, department_code), (township), ())
), d AS (
    SELECT d.county_code, d.code, d.name_zh FROM departments d
     WHERE left(d.county_code, least(length(p_prefix), 6)) = left(p_prefix, 6)
), wide AS (SELECT length(p_prefix) < 6 AS yes), r AS (
    SELECT 1 AS sec, d.county_code || ':' || d.code AS ord,
           CASE WHEN (SELECT yes FROM wide) THEN coalesce(cn.name || ' ', '') ELSE '' END || d.name_zh AS label,
           'department' AS kind, d.code, c.received, c.verified, c.included, c.not_included, c.pending,
           c.unmatched, c.overdue
      FROM d LEFT JOIN c ON c.g = 'department' AND c.county_code = d.county_code AND c.department_code = d.code
      LEFT JOIN regions cn ON cn.code = d.county_code
    UNION ALL
    SELECT 2, '', '其他来源（村级走访、自主申报）', 'department', '', sum(c.received), sum(c.verified),
           sum(c.included), sum(c.not_included), sum(c.pending), sum(c.unmatched), sum(c.overdue)
      FROM c WHERE c.g = 'department'
       AND NOT EXISTS (SELECT 1 FROM d WHERE d.county_code = c.county_code AND d.code = c.department_code)
    HAVING sum(c.received) > 0
    UNION ALL
    SELECT 3, t.code,
           CASE WHEN (SELECT yes FROM wide) THEN coalesce(cn.name || ' ', '') ELSE '' END || t.name,
           'township', t.code, c.received, c.verified, c.included, c.not_included, c.pending, c.unmatched,
           c.overdue
      FROM regions t LEFT JOIN c ON c.g = 'township' AND c.township = t.code
      LEFT JOIN regions cn ON cn.code = left(t.code, 6)
     WHERE t.level = 4 AND left(t.code, least(length(p_prefix), 9)) = left(p_prefix, 9)
    UNION ALL
    SELECT 4, '', '合计', 'total', '', c.received, c.verified, c.included, c.not_included, c.pending,
           c.unmatched, c.overdue
      FROM (SELECT 1) one LEFT JOIN c ON c.g = 'total'
)
SELECT jsonb_agg(jsonb_build_object('label', label, 'kind', kind, 'code', code,
                                    'received', coalesce(received, 0), 'verified', coalesce(verified, 0),
                                    'included', coalesce(included, 0), 'not_included', coalesce(not_included, 0),
                                    'pending', coalesce(pending, 0), 'unmatched', coalesce(unmatched, 0),
                                    'overdue', coalesce(overdue, 0)) ORDER BY sec, ord)
  FROM r
$$;

-- A report as served: computed live (frozen = false, as of p_today) while p_today is on or
-- before the deadline; after it, the current snapshot, made now if there is none (as of the
-- deadline). No row when the prefix names no region.
CREATE FUNCTION report_get(p_report text, p_prefix text, p_period text, p_today date)
RETURNS TABLE (frozen boolean, generated_at_ms bigint, region_name text, deadline date, content jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    v_name text;
    v_deadline date;
BEGIN
    SELECT r.name INTO v_name FROM regions r WHERE r.code = p_prefix;
    IF v_name IS NULL OR p_report <> 'lead_verification_monthly' THEN
        RETURN;
    END IF;
    v_deadline := report_deadline(p_prefix, p_period);
    IF p_today <= v_deadline THEN
        RETURN QUERY SELECT false, (extract(epoch FROM clock_timestamp()) * 1000)::bigint, v_name, v_deadline,
                            report_lead_verification_rows(p_prefix, p_period, p_today);
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM report_snapshots s WHERE s.report_code = p_report AND s.region_prefix = p_prefix
                      AND s.period = p_period AND s.reopened_at IS NULL) THEN
        INSERT INTO report_snapshots (report_code, region_prefix, period, region_name, as_of, content)
        VALUES (p_report, p_prefix, p_period, v_name, v_deadline,
                report_lead_verification_rows(p_prefix, p_period, v_deadline))
        ON CONFLICT (report_code, region_prefix, period) WHERE reopened_at IS NULL DO NOTHING;
    END IF;
    RETURN QUERY SELECT true, (extract(epoch FROM s.frozen_at) * 1000)::bigint, s.region_name, v_deadline, s.content
                   FROM report_snapshots s
                  WHERE s.report_code = p_report AND s.region_prefix = p_prefix AND s.period = p_period
                    AND s.reopened_at IS NULL;
END $$;

-- Re-opens the current snapshot: the next request after the deadline computes a new one.
-- Returns the re-opened snapshot's id, or no row when nothing is frozen.
CREATE FUNCTION report_reopen(p_report text, p_prefix text, p_period text, p_who text, p_reason text)
RETURNS TABLE (snapshot_id bigint, reopened_at_ms bigint)
LANGUAGE sql AS $$
    WITH u AS (
        UPDATE report_snapshots SET reopened_at = now(), reopened_by = p_who, reopen_reason = p_reason
         WHERE report_code = p_report AND region_prefix = p_prefix AND period = p_period AND reopened_at IS NULL
        RETURNING id, reopened_at
    ), i AS (
        INSERT INTO report_reopenings (snapshot_id, report_code, region_prefix, period, reopened_by, reopened_at, reason)
        SELECT id, p_report, p_prefix, p_period, p_who, reopened_at, p_reason FROM u
        RETURNING snapshot_id, reopened_at
    )
    SELECT snapshot_id, (extract(epoch FROM reopened_at) * 1000)::bigint FROM i
$$;
