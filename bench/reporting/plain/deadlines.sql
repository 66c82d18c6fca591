-- The plain aggregate under deadlines (a month): per township, the leads of the month and the day
-- the last of them was reviewed by the township and decided by the county (from case_history
-- through case_leads; unmatched leads on their status day), and per department the day its first
-- batch of the month arrived: three GROUP BYs, no due days or labels.
WITH steps AS (
    SELECT ch.county_code, ch.case_id,
           min((ch.at AT TIME ZONE 'Asia/Shanghai')::date)
             FILTER (WHERE ch.to_state IN ('township_reviewed', 'county_approved', 'identified', 'closed_not_included')) AS town_on,
           min((ch.at AT TIME ZONE 'Asia/Shanghai')::date)
             FILTER (WHERE ch.to_state IN ('county_approved', 'identified', 'closed_not_included')) AS county_on
      FROM case_history ch GROUP BY ch.county_code, ch.case_id
),
l AS (
    SELECT l.county_code, left(l.village_code, 9) AS township,
           CASE WHEN l.status = 'unmatched' THEN (l.status_at AT TIME ZONE 'Asia/Shanghai')::date ELSE s.town_on END AS town_on,
           CASE WHEN l.status = 'unmatched' THEN (l.status_at AT TIME ZONE 'Asia/Shanghai')::date ELSE s.county_on END AS county_on
      FROM leads l
      LEFT JOIN case_leads cl ON cl.county_code = l.county_code AND cl.lead_id = l.id
      LEFT JOIN steps s ON s.county_code = cl.county_code AND s.case_id = cl.case_id
     WHERE l.period = :'period' AND l.village_code LIKE :'prefix' || '%'
)
SELECT township AS unit, count(*) AS leads, count(*) FILTER (WHERE town_on IS NULL) AS open, max(town_on) AS done_on
  FROM l GROUP BY 1
UNION ALL
SELECT county_code, count(*), count(*) FILTER (WHERE county_on IS NULL), max(county_on) FROM l GROUP BY 1
UNION ALL
SELECT b.county_code || ':' || b.department_code, count(*), NULL, min(b.received_on)
  FROM lead_batches b
 WHERE b.period = :'period' AND b.county_code LIKE left(:'prefix', 6) || '%' AND b.department_code IS NOT NULL
 GROUP BY 1
