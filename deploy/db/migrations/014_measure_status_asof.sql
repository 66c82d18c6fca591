-- 014_measure_status_asof: the quarter's measures are counted by their status on the quarter's
-- last day, not on the day the report or the county's summary is made.
-- Before, measures_quarterly and SubmitQuarterSummary counted each measure by its status now: a
-- report first asked (and so frozen) on its due day, a few working days after the quarter, or
-- re-opened later, counted as delivered in the quarter a measure delivered after it; the summary
-- also counted measures delivered or stopped before the quarter began.
-- A measure's status on day D: its status now if it last changed on or before D (status_on); else
-- the to_state of its last status row in plan_history on or before D (measure.added is 'planned',
-- then measure.in_progress / delivered / stopped); a measure recorded only after D (entered late
-- with an earlier start) counts as planned. Delivered and stopped are final, so a measure delivered
-- or stopped before the quarter's first day (status_on) is the same either way and stays out.

-- The status of measure p_measure (of plan p_plan: plan_history is indexed by plan) on day p_day,
-- from its history; called only for the measures that changed after p_day.
CREATE FUNCTION measure_status_on(p_plan bigint, p_measure bigint, p_day date) RETURNS text
LANGUAGE sql STABLE AS $$
SELECT coalesce((SELECT h.to_state FROM plan_history h
                  WHERE h.plan_id = p_plan AND h.measure_id = p_measure AND h.on_day <= p_day
                    AND h.to_state IN ('planned', 'in_progress', 'delivered', 'stopped')
                  ORDER BY h.on_day DESC, h.id DESC LIMIT 1), 'planned')
$$;

-- 012's measures_quarterly, each measure counted by its status on the quarter's last day.
CREATE OR REPLACE FUNCTION report_measures_quarterly_rows(p_prefix text, p_period text, p_as_of date) RETURNS jsonb
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off AS $$
BEGIN
    RETURN (
WITH q AS (SELECT ledger_period_start(p_period) AS qs, report_quarter_end(p_period) AS qe),
m AS (
    SELECT pl.village_code, m.category,
           CASE WHEN m.status_on IS NULL OR m.status_on <= q.qe THEN m.status
                ELSE measure_status_on(m.plan_id, m.id, q.qe) END AS status, c.result
      FROM plans pl CROSS JOIN q
      JOIN measures m ON m.plan_id = pl.id
      LEFT JOIN measure_checks c ON c.measure_id = m.id AND c.quarter = p_period::bpchar
     WHERE pl.village_code >= p_prefix AND pl.village_code < p_prefix || ':'
       AND m.start_on <= q.qe
       AND NOT (m.status IN ('delivered', 'stopped') AND m.status_on IS NOT NULL AND m.status_on < q.qs)
    OFFSET 0  -- status computed once per measure: inlined, each of g's FILTERs would call it again
),
g AS (
    SELECT village_code, category, count(*) AS total,
           count(*) FILTER (WHERE status = 'planned') AS planned,
           count(*) FILTER (WHERE status = 'in_progress') AS in_progress,
           count(*) FILTER (WHERE status = 'delivered') AS delivered,
           count(*) FILTER (WHERE status = 'stopped') AS stopped,
           count(result) AS checked,
           count(*) FILTER (WHERE result = 'problem') AS problem,
           count(*) FILTER (WHERE result IS NULL AND status IN ('planned', 'in_progress')) AS unchecked
      FROM m GROUP BY village_code, category
),
long AS (
    SELECT g.village_code, g.category, k.key, k.n
      FROM g CROSS JOIN LATERAL (VALUES ('total', g.total), ('planned', g.planned), ('in_progress', g.in_progress),
           ('delivered', g.delivered), ('stopped', g.stopped), ('checked', g.checked), ('problem', g.problem),
           ('unchecked', g.unchecked)) AS k(key, n)
     WHERE k.n > 0
),
keys AS (SELECT ARRAY['total', 'planned', 'in_progress', 'delivered', 'stopped', 'checked', 'problem', 'unchecked'] AS k),
catsum AS (SELECT category, key, sum(n) AS n FROM long GROUP BY 1, 2),
cat AS (
    SELECT coalesce(jsonb_agg(jsonb_build_object('label', c.name_zh, 'kind', 'category', 'code', c.code) || o.o
                              ORDER BY c.ord), '[]') AS rows
      FROM report_measure_categories() c
      CROSS JOIN LATERAL (
          SELECT jsonb_object_agg(k.key, coalesce(s.n, 0)) AS o
            FROM unnest((SELECT k FROM keys)) AS k(key)
            LEFT JOIN catsum s ON s.category = c.code AND s.key = k.key) o
)
SELECT report_rollup(p_prefix, (SELECT k FROM keys),
                     coalesce((SELECT array_agg(ROW(l.village_code, l.key, l.n)::report_count) FROM long l), '{}'),
                     (SELECT rows FROM cat))
    );
END $$;

