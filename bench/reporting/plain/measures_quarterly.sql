-- The plain aggregate under measures_quarterly: the measures in force in the quarter of the
-- prefix's plans by village and category, by status, with the quarter's checks: one GROUP BY.
WITH q AS (SELECT ledger_period_start(:'quarter') AS qs, report_quarter_end(:'quarter') AS qe)
SELECT pl.village_code, m.category, count(*) AS total,
       count(*) FILTER (WHERE m.status = 'planned') AS planned,
       count(*) FILTER (WHERE m.status = 'in_progress') AS in_progress,
       count(*) FILTER (WHERE m.status = 'delivered') AS delivered,
       count(*) FILTER (WHERE m.status = 'stopped') AS stopped,
       count(c.result) AS checked, count(*) FILTER (WHERE c.result = 'problem') AS problem,
       count(*) FILTER (WHERE c.result IS NULL AND m.status IN ('planned', 'in_progress')) AS unchecked
  FROM plans pl CROSS JOIN q
  JOIN measures m ON m.plan_id = pl.id
  LEFT JOIN measure_checks c ON c.measure_id = m.id AND c.quarter = :'quarter'
 WHERE pl.village_code LIKE :'prefix' || '%' AND m.start_on <= q.qe
   AND NOT (m.status IN ('delivered', 'stopped') AND m.status_on IS NOT NULL AND m.status_on < q.qs)
 GROUP BY 1, 2
