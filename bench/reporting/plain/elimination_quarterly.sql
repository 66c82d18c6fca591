-- The plain aggregate under elimination_quarterly: the quarter's elimination history of the
-- prefix's monitoring plans by village and step (households, events), the plans eliminated in the
-- quarter by village and way, and the households by village and the state they stood in at the
-- quarter's end (the to_state of their last elimination step on or before it: the report's at_*
-- columns, missing here before 2026-12-04): three GROUP BYs.
WITH q AS (SELECT ledger_period_start(:'quarter') AS qs, report_quarter_end(:'quarter') AS qe)
SELECT pl.village_code, h.event AS key, h.level, count(DISTINCT h.plan_id) AS households, count(*) AS events
  FROM plan_history h CROSS JOIN q
  JOIN plans pl ON pl.county_code = h.county_code AND pl.id = h.plan_id
 WHERE h.event LIKE 'elimination.%' AND h.on_day >= q.qs AND h.on_day <= q.qe
   AND pl.kind = 'monitoring' AND pl.village_code LIKE :'prefix' || '%'
 GROUP BY 1, 2, 3
UNION ALL
SELECT pl.village_code, pl.elim_way, NULL, count(*), NULL
  FROM plans pl CROSS JOIN q
 WHERE pl.kind = 'monitoring' AND pl.village_code LIKE :'prefix' || '%'
   AND pl.elim_state = 'eliminated' AND pl.eliminated_on >= q.qs AND pl.eliminated_on <= q.qe
 GROUP BY 1, 2
UNION ALL
SELECT pl.village_code, 'at_' || e.state, NULL, count(*), NULL
  FROM (SELECT DISTINCT ON (h.plan_id) h.plan_id, h.to_state AS state
          FROM plan_history h CROSS JOIN q
         WHERE h.event LIKE 'elimination.%' AND h.on_day <= q.qe
         ORDER BY h.plan_id, h.on_day DESC, h.id DESC) e
  JOIN plans pl ON pl.id = e.plan_id
 WHERE pl.kind = 'monitoring' AND pl.village_code LIKE :'prefix' || '%'
   AND e.state IN ('nominated', 'notice_posted', 'township_approved', 'county_confirmed')
 GROUP BY 1, 2
