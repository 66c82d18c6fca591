-- The plain aggregate under measures_quarterly: the measures in force in the quarter of the
-- prefix's plans by village and category, by status on the quarter's last day (014: the status
-- now unless it changed after that day), with the quarter's checks: one GROUP BY.
WITH q AS (SELECT ledger_period_start(:'quarter') AS qs, report_quarter_end(:'quarter') AS qe),
m AS (
SELECT pl.village_code, m.category,
       CASE WHEN m.status_on IS NULL OR m.status_on <= q.qe THEN m.status
            ELSE measure_status_on(m.county_code, m.plan_id, m.id, q.qe) END AS status, c.result
  FROM plans pl CROSS JOIN q
  JOIN measures m ON m.county_code = pl.county_code AND m.plan_id = pl.id
  LEFT JOIN measure_checks c ON c.county_code = m.county_code AND c.measure_id = m.id AND c.quarter = :'quarter'
 WHERE pl.village_code LIKE :'prefix' || '%' AND m.start_on <= q.qe
   AND NOT (m.status IN ('delivered', 'stopped') AND m.status_on IS NOT NULL AND m.status_on < q.qs)
OFFSET 0
)
SELECT village_code, category, count(*) AS total,
       count(*) FILTER (WHERE status = 'planned') AS planned,
       count(*) FILTER (WHERE status = 'in_progress') AS in_progress,
       count(*) FILTER (WHERE status = 'delivered') AS delivered,
       count(*) FILTER (WHERE status = 'stopped') AS stopped,
       count(result) AS checked, count(*) FILTER (WHERE result = 'problem') AS problem,
       count(*) FILTER (WHERE result IS NULL AND status IN ('planned', 'in_progress')) AS unchecked
  FROM m
 GROUP BY 1, 2
