-- The plain aggregate under lead_verification_monthly: the month's leads of the prefix counted by
-- status, per department, per township and in total, in one GROUP BY (no labels, no empty rows).
SELECT l.county_code, l.department_code, left(l.village_code, 9) AS township, count(*) AS received,
       count(*) FILTER (WHERE l.status IN ('verifying', 'identified', 'not_included')) AS verified,
       count(*) FILTER (WHERE l.status = 'identified') AS included,
       count(*) FILTER (WHERE l.status = 'not_included') AS not_included,
       count(*) FILTER (WHERE l.status = 'pending') AS pending,
       count(*) FILTER (WHERE l.status = 'unmatched') AS unmatched,
       count(*) FILTER (WHERE l.status IN ('pending', 'verifying')
                          AND l.received_on < :'as_of'::date - 15) AS overdue
  FROM leads l
 WHERE l.period = :'period' AND l.village_code LIKE :'prefix' || '%'
 GROUP BY GROUPING SETS ((l.county_code, l.department_code), (left(l.village_code, 9)), ())
