-- The plain aggregate under scale_quarterly: the quarter's monitoring plans of the prefix by
-- village and kind (households, present members, new, eliminated by way), and households by risk
-- type, as two GROUP BYs over plans and ledger_members (no roll-up, labels or empty rows).
WITH q AS (SELECT ledger_period_start(:'quarter') AS qs, report_quarter_end(:'quarter') AS qe),
p AS (
    SELECT pl.village_code, pl.monitored_kind, pl.risk_types, pl.elim_way, pl.county_code, pl.household_no,
           (pl.elim_state = 'eliminated' AND pl.eliminated_on <= q.qe) AS gone,
           (pl.elim_state = 'eliminated' AND pl.eliminated_on >= q.qs AND pl.eliminated_on <= q.qe) AS elim,
           pl.identified_on >= q.qs AS new
      FROM plans pl CROSS JOIN q
     WHERE pl.kind = 'monitoring' AND pl.village_code LIKE :'prefix' || '%' AND pl.identified_on <= q.qe
),
m AS (
    SELECT m.county_code, m.household_no, count(*) AS people
      FROM ledger_members m CROSS JOIN q
     WHERE m.county_code LIKE left(:'prefix', 6) || '%' AND (m.left_on IS NULL OR m.left_on > q.qe)
     GROUP BY 1, 2
)
SELECT p.village_code, p.monitored_kind AS key,
       count(*) FILTER (WHERE NOT gone) AS hh, sum(m.people) FILTER (WHERE NOT gone) AS people,
       count(*) FILTER (WHERE new) AS new_hh, sum(m.people) FILTER (WHERE new) AS new_people,
       count(*) FILTER (WHERE elim) AS elim_hh, sum(m.people) FILTER (WHERE elim) AS elim_people,
       count(*) FILTER (WHERE elim AND elim_way = 'by_assistance') AS elim_assist
  FROM p LEFT JOIN m ON m.county_code = p.county_code AND m.household_no = p.household_no
 GROUP BY 1, 2
UNION ALL
SELECT p.village_code, t.code, count(*), NULL, NULL, NULL, NULL, NULL, NULL
  FROM p CROSS JOIN LATERAL unnest(p.risk_types) AS t(code)
 WHERE NOT p.gone
 GROUP BY 1, 2
