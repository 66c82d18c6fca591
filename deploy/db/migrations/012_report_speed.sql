-- 012_report_speed: the report functions closer to their physical limit (bench/reporting: each
-- report against a plain GROUP BY over the same rows). Same rows and numbers as 011's; only how
-- they are computed changes.
-- lead_verification_monthly: decision_days is read once per call (fp_param is not inlined: it ran
-- once per lead in the overdue test), and the townships are selected by a code range.
-- measures_quarterly: the quarter is compared as char(6): the planner estimates the quarter's checks
-- right, and a nested loop can use it as the second column of the (measure_id, quarter) key.
-- scale_quarterly: ledger_members_household carries left_on (INCLUDE), so that present members are
-- counted from the index alone, and the members' join sees the quarter's days as constants.
-- elimination_quarterly: the quarter's steps and where each household stood at its end come from
-- one pass over the plans' elimination history grouped per plan (not two joins and a sort).
-- deadlines and the deadline scan: each lead's township and county steps come from one join with
-- case_leads and case_history (not two correlated probes per lead), and each township and county
-- looks its leads up in one aggregate (not three scans of the leads per unit).

-- ledger_members_household with left_on: the members present at a quarter's end, counted per
-- monitored household, come from the index alone (the import's COPY maintains one index either way).
DROP INDEX ledger_members_household;
CREATE INDEX ledger_members_household ON ledger_members (county_code, household_no) INCLUDE (left_on);

-- 011's scale_quarterly, with the quarter's days folded to constants in the members' join.
CREATE OR REPLACE FUNCTION report_scale_quarterly_rows(p_prefix text, p_period text, p_as_of date) RETURNS jsonb
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off AS $$
BEGIN
    RETURN (
WITH q AS MATERIALIZED (SELECT ledger_period_start(p_period) AS qs, report_quarter_end(p_period) AS qe),
p AS MATERIALIZED (
    SELECT pl.county_code, pl.household_no, pl.village_code, pl.monitored_kind AS mk, pl.risk_types,
           (pl.elim_state = 'eliminated' AND pl.eliminated_on <= q.qe) AS gone,
           (pl.elim_state = 'eliminated' AND pl.eliminated_on >= q.qs AND pl.eliminated_on <= q.qe) AS elim,
           pl.elim_way AS way, pl.identified_on >= q.qs AS new
      FROM plans pl CROSS JOIN q
     WHERE pl.kind = 'monitoring' AND pl.village_code >= p_prefix AND pl.village_code < p_prefix || ':'
       AND pl.identified_on <= q.qe
),
-- households: one row per plan
vh AS (
    SELECT village_code,
           count(*) FILTER (WHERE NOT gone) AS mon_hh,
           count(*) FILTER (WHERE NOT gone AND mk = 'unstable_lifted') AS ul_hh,
           count(*) FILTER (WHERE NOT gone AND mk = 'marginal') AS mg_hh,
           count(*) FILTER (WHERE NOT gone AND mk = 'sudden_hardship') AS sh_hh,
           count(*) FILTER (WHERE new) AS new_hh,
           count(*) FILTER (WHERE elim) AS elim_hh,
           count(*) FILTER (WHERE elim AND way = 'by_assistance') AS elim_assist_hh,
           count(*) FILTER (WHERE elim AND way = 'natural') AS elim_natural_hh
      FROM p GROUP BY village_code
),
-- people: one row per member present at the quarter's end: one join of the plans (not of the CTE,
-- so that the planner sees their number and hashes the smaller side) with the members; the
-- quarter's days as constants (not from q), so that it sees how many plans were identified by then
vp AS (
    SELECT x.village_code,
           count(*) FILTER (WHERE NOT gone) AS mon_people,
           count(*) FILTER (WHERE NOT gone AND mk = 'unstable_lifted') AS ul_people,
           count(*) FILTER (WHERE NOT gone AND mk = 'marginal') AS mg_people,
           count(*) FILTER (WHERE NOT gone AND mk = 'sudden_hardship') AS sh_people,
           count(*) FILTER (WHERE new) AS new_people,
           count(*) FILTER (WHERE elim) AS elim_people
      FROM (SELECT pl.village_code, pl.monitored_kind AS mk,
                   (pl.elim_state = 'eliminated' AND pl.eliminated_on <= report_quarter_end(p_period)) AS gone,
                   (pl.elim_state = 'eliminated' AND pl.eliminated_on >= ledger_period_start(p_period)
                    AND pl.eliminated_on <= report_quarter_end(p_period)) AS elim,
                   pl.identified_on >= ledger_period_start(p_period) AS new
              FROM plans pl
              JOIN ledger_members m ON m.county_code = pl.county_code AND m.household_no = pl.household_no
             WHERE pl.kind = 'monitoring' AND pl.village_code >= p_prefix AND pl.village_code < p_prefix || ':'
               AND pl.identified_on <= report_quarter_end(p_period)
               AND (m.left_on IS NULL OR m.left_on > report_quarter_end(p_period))) x
     GROUP BY x.village_code
),
rt AS (
    SELECT p.village_code, 'risk_' || t.code || '_hh' AS key, count(*) AS n
      FROM p CROSS JOIN LATERAL unnest(p.risk_types) AS t(code)
     WHERE NOT p.gone GROUP BY 1, 2
),
counts AS (
    SELECT ROW(vh.village_code, k.key, k.n)::report_count AS c
      FROM vh CROSS JOIN LATERAL (VALUES ('mon_hh', vh.mon_hh), ('ul_hh', vh.ul_hh), ('mg_hh', vh.mg_hh),
           ('sh_hh', vh.sh_hh), ('new_hh', vh.new_hh), ('elim_hh', vh.elim_hh), ('elim_assist_hh', vh.elim_assist_hh),
           ('elim_natural_hh', vh.elim_natural_hh)) AS k(key, n)
     WHERE k.n > 0
    UNION ALL
    SELECT ROW(vp.village_code, k.key, k.n)::report_count
      FROM vp CROSS JOIN LATERAL (VALUES ('mon_people', vp.mon_people), ('ul_people', vp.ul_people),
           ('mg_people', vp.mg_people), ('sh_people', vp.sh_people), ('new_people', vp.new_people),
           ('elim_people', vp.elim_people)) AS k(key, n)
     WHERE k.n > 0
    UNION ALL
    SELECT ROW(rt.village_code, rt.key, rt.n)::report_count FROM rt
)
SELECT report_rollup(p_prefix,
                     ARRAY['mon_hh', 'mon_people', 'ul_hh', 'ul_people', 'mg_hh', 'mg_people', 'sh_hh', 'sh_people']
                     || ARRAY(SELECT 'risk_' || code || '_hh' FROM risk_types ORDER BY ord)
                     || ARRAY['new_hh', 'new_people', 'elim_hh', 'elim_people', 'elim_assist_hh', 'elim_natural_hh'],
                     coalesce((SELECT array_agg(c) FROM counts), '{}'))
    );
END $$;

-- 011's monthly report, with decision_days read once and the townships selected by a code range.
CREATE OR REPLACE FUNCTION report_lead_verification_rows(p_prefix text, p_period text, p_as_of date) RETURNS jsonb
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off AS $$
DECLARE
    v_cut date := p_as_of - fp_param('decision_days', p_prefix, p_as_of)::int;
BEGIN
    RETURN (
WITH l AS (
    SELECT l.county_code, l.department_code, left(l.village_code, 9) AS township, l.status,
           (l.status IN ('pending', 'verifying')
            AND (l.received_at AT TIME ZONE 'Asia/Shanghai')::date
                < v_cut) AS overdue
      FROM leads l
     WHERE l.period = p_period AND l.village_code >= p_prefix AND l.village_code < p_prefix || ':'
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
     WHERE t.level = 4 AND t.code >= left(p_prefix, 9) AND t.code < left(p_prefix, 9) || ':'
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
    );
END $$;


-- 011's measures_quarterly, with the quarter compared as char(6) (an index condition).
CREATE OR REPLACE FUNCTION report_measures_quarterly_rows(p_prefix text, p_period text, p_as_of date) RETURNS jsonb
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off AS $$
BEGIN
    RETURN (
WITH q AS (SELECT ledger_period_start(p_period) AS qs, report_quarter_end(p_period) AS qe),
m AS (
    SELECT pl.village_code, m.category, m.status, c.result
      FROM plans pl CROSS JOIN q
      JOIN measures m ON m.plan_id = pl.id
      LEFT JOIN measure_checks c ON c.measure_id = m.id AND c.quarter = p_period::bpchar
     WHERE pl.village_code >= p_prefix AND pl.village_code < p_prefix || ':'
       AND m.start_on <= q.qe
       AND NOT (m.status IN ('delivered', 'stopped') AND m.status_on IS NOT NULL AND m.status_on < q.qs)
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

-- 011's elimination_quarterly, with the history of the prefix's plans read and grouped once.
CREATE OR REPLACE FUNCTION report_elimination_quarterly_rows(p_prefix text, p_period text, p_as_of date) RETURNS jsonb
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off AS $$
BEGIN
    RETURN (
WITH q AS (SELECT ledger_period_start(p_period) AS qs, report_quarter_end(p_period) AS qe),
-- one pass over the prefix's plans and their elimination history up to the quarter's end, one row
-- per household: the steps it took in the quarter, its refusals by level, and where it stood at the
-- quarter's end (the to_state of its last step by day and id: the largest [day, id, state] array,
-- states coded 1-4, so a hash aggregate finds it without sorting the history)
ph AS (
    SELECT pl.village_code,
           (max(ARRAY[h.on_day - DATE '2000-01-01', h.id,
                      CASE h.to_state WHEN 'nominated' THEN 1 WHEN 'notice_posted' THEN 2
                                      WHEN 'township_approved' THEN 3 WHEN 'county_confirmed' THEN 4 ELSE 0 END]))[3]
             AS at_end,
           bool_or(h.on_day >= q.qs AND h.event = 'elimination.nominate') AS nominated,
           bool_or(h.on_day >= q.qs AND h.event = 'elimination.post_notice') AS notice_posted,
           bool_or(h.on_day >= q.qs AND h.event = 'elimination.approve') AS township_approved,
           bool_or(h.on_day >= q.qs AND h.event = 'elimination.confirm') AS county_confirmed,
           bool_or(h.on_day >= q.qs AND h.event = 'elimination.return') AS returned,
           bool_or(h.on_day >= q.qs AND h.event = 'elimination.refuse') AS refused,
           count(*) FILTER (WHERE h.on_day >= q.qs AND h.event = 'elimination.refuse' AND h.level = 'village')
             AS refused_village,
           count(*) FILTER (WHERE h.on_day >= q.qs AND h.event = 'elimination.refuse' AND h.level = 'township')
             AS refused_township,
           count(*) FILTER (WHERE h.on_day >= q.qs AND h.event = 'elimination.refuse' AND h.level = 'county')
             AS refused_county,
           bool_or(h.on_day >= q.qs AND h.event = 'elimination.undo') AS undone
      FROM plan_history h CROSS JOIN q
      JOIN plans pl ON pl.id = h.plan_id
     WHERE h.event LIKE 'elimination.%' AND h.on_day <= q.qe
       AND pl.kind = 'monitoring' AND pl.village_code >= p_prefix AND pl.village_code < p_prefix || ':'
     GROUP BY pl.id
),
hv AS (
    SELECT village_code,
           count(*) FILTER (WHERE nominated) AS nominated,
           count(*) FILTER (WHERE notice_posted) AS notice_posted,
           count(*) FILTER (WHERE township_approved) AS township_approved,
           count(*) FILTER (WHERE county_confirmed) AS county_confirmed,
           count(*) FILTER (WHERE returned) AS returned,
           count(*) FILTER (WHERE refused) AS refused,
           sum(refused_village)::bigint AS refused_village,
           sum(refused_township)::bigint AS refused_township,
           sum(refused_county)::bigint AS refused_county,
           count(*) FILTER (WHERE undone) AS undone,
           count(*) FILTER (WHERE at_end = 1) AS at_nominated,
           count(*) FILTER (WHERE at_end = 2) AS at_notice,
           count(*) FILTER (WHERE at_end = 3) AS at_township_approved,
           count(*) FILTER (WHERE at_end = 4) AS at_county_confirmed
      FROM ph GROUP BY village_code
),
-- the quarter's refusals, for the rows per reason (few: read by the (on_day, plan_id) index)
h AS (
    SELECT h.plan_id, h.level, h.reason
      FROM plan_history h CROSS JOIN q
      JOIN plans pl ON pl.id = h.plan_id
     WHERE h.event LIKE 'elimination.%' AND h.event = 'elimination.refuse' AND h.on_day >= q.qs AND h.on_day <= q.qe
       AND pl.kind = 'monitoring' AND pl.village_code >= p_prefix AND pl.village_code < p_prefix || ':'
),
ev AS (
    SELECT pl.village_code, count(*) AS eliminated,
           count(*) FILTER (WHERE pl.elim_way = 'by_assistance') AS elim_assist,
           count(*) FILTER (WHERE pl.elim_way = 'natural') AS elim_natural
      FROM plans pl CROSS JOIN q
     WHERE pl.kind = 'monitoring' AND pl.village_code >= p_prefix AND pl.village_code < p_prefix || ':'
       AND pl.elim_state = 'eliminated' AND pl.eliminated_on >= q.qs AND pl.eliminated_on <= q.qe
     GROUP BY pl.village_code
),
counts AS (
    SELECT ROW(hv.village_code, k.key, k.n)::report_count AS c
      FROM hv CROSS JOIN LATERAL (VALUES ('nominated', hv.nominated), ('notice_posted', hv.notice_posted),
           ('township_approved', hv.township_approved), ('county_confirmed', hv.county_confirmed),
           ('returned', hv.returned), ('refused', hv.refused), ('refused_village', hv.refused_village),
           ('refused_township', hv.refused_township), ('refused_county', hv.refused_county),
           ('undone', hv.undone), ('at_nominated', hv.at_nominated), ('at_notice', hv.at_notice),
           ('at_township_approved', hv.at_township_approved), ('at_county_confirmed', hv.at_county_confirmed))
           AS k(key, n)
     WHERE k.n > 0
    UNION ALL
    SELECT ROW(ev.village_code, k.key, k.n)::report_count
      FROM ev CROSS JOIN LATERAL (VALUES ('eliminated', ev.eliminated), ('elim_assist', ev.elim_assist),
           ('elim_natural', ev.elim_natural)) AS k(key, n)
     WHERE k.n > 0
),
keys AS (SELECT ARRAY['nominated', 'notice_posted', 'township_approved', 'county_confirmed', 'eliminated',
                      'elim_assist', 'elim_natural', 'returned', 'refused', 'refused_village', 'refused_township',
                      'refused_county', 'undone', 'at_nominated', 'at_notice', 'at_township_approved',
                      'at_county_confirmed'] AS k),
reasons AS (
    SELECT coalesce(nullif(btrim(reason), ''), '（未填写原因）') AS why,
           count(DISTINCT plan_id) AS refused,
           count(*) FILTER (WHERE level = 'village') AS refused_village,
           count(*) FILTER (WHERE level = 'township') AS refused_township,
           count(*) FILTER (WHERE level = 'county') AS refused_county
      FROM h GROUP BY 1
),
extra AS (
    SELECT coalesce(jsonb_agg(
               (SELECT jsonb_object_agg(k.key, 0) FROM unnest((SELECT k FROM keys)) AS k(key))
               || jsonb_build_object('label', '不予消除原因：' || left(regexp_replace(r.why,
                                         '([0-9]{4})[0-9]{10}([0-9]{3}[0-9Xx])', '\1**********\2', 'g'), 200),
                                     'kind', 'reason',
                                     'code', CASE WHEN r.why ~ '^elim\.[a-z_]+$' THEN r.why ELSE '' END,
                                     'refused', r.refused, 'refused_village', r.refused_village,
                                     'refused_township', r.refused_township, 'refused_county', r.refused_county)
               ORDER BY r.refused DESC, r.why COLLATE "C"), '[]') AS rows
      FROM reasons r
)
SELECT report_rollup(p_prefix, (SELECT k FROM keys), coalesce((SELECT array_agg(c) FROM counts), '{}'),
                     (SELECT rows FROM extra))
    );
END $$;

-- 011's deadline units, with the leads' steps joined and aggregated once. The leads are selected
-- on the parameters themselves (folded per call), not through pr, so that the planner sees how
-- many there are and hashes case_leads rather than probing it per lead.
CREATE OR REPLACE FUNCTION report_deadline_units(p_prefix text, p_period text, p_as_of date)
RETURNS TABLE (deadline text, ord integer, unit_kind text, code text, name text, due_on date, done_on date,
               done boolean, late boolean)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
WITH pr AS (
    SELECT left(p_prefix, 6) AS c6, left(p_prefix, 9) AS c9, length(p_prefix) <= 6 AS wide,
           p_period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$' AS monthly,
           CASE WHEN p_period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'
                THEN ((p_period || '-01')::date + interval '1 month')::date END AS n
),
counties AS (
    SELECT r.code::text AS code, r.name
      FROM regions r CROSS JOIN pr
     WHERE length(r.code) = 6 AND r.code >= pr.c6 AND r.code < pr.c6 || ':'
       AND (EXISTS (SELECT 1 FROM departments d WHERE d.county_code = r.code)
            OR EXISTS (SELECT 1 FROM ledger_households h WHERE h.county_code = r.code))
),
l0 AS (
    SELECT l.id, l.county_code, left(l.village_code, 9) AS township, l.status,
           (l.status_at AT TIME ZONE 'Asia/Shanghai')::date AS status_on
      FROM leads l
     WHERE p_period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$' AND l.period = p_period
       AND l.village_code >= (CASE WHEN length(p_prefix) <= 6 THEN p_prefix ELSE left(p_prefix, 9) END)
       AND l.village_code < (CASE WHEN length(p_prefix) <= 6 THEN p_prefix ELSE left(p_prefix, 9) END) || ':'
       AND l.county_code IN (SELECT code FROM counties)
),
-- the first day each lead's case reached a township or a county step: one join and GROUP BY
-- (not two correlated probes of case_leads and case_history per lead)
s AS (
    SELECT l0.id,
           min((ch.at AT TIME ZONE 'Asia/Shanghai')::date)
             FILTER (WHERE ch.to_state IN ('township_reviewed', 'county_approved', 'identified', 'closed_not_included'))
             AS town_on,
           min((ch.at AT TIME ZONE 'Asia/Shanghai')::date)
             FILTER (WHERE ch.to_state IN ('county_approved', 'identified', 'closed_not_included')) AS county_on
      FROM l0 JOIN case_leads cl ON cl.county_code = l0.county_code AND cl.lead_id = l0.id
      JOIN case_history ch ON ch.case_id = cl.case_id
     WHERE l0.status <> 'unmatched'
       AND ch.to_state IN ('township_reviewed', 'county_approved', 'identified', 'closed_not_included')
     GROUP BY l0.id
),
l AS (
    SELECT l0.county_code, l0.township,
           CASE WHEN l0.status = 'unmatched' THEN l0.status_on ELSE s.town_on END AS town_on,
           CASE WHEN l0.status = 'unmatched' THEN l0.status_on ELSE s.county_on END AS county_on
      FROM l0 LEFT JOIN s ON s.id = l0.id
),
-- per township and per county: whether it has leads, how many are still open, the last step's day
lt AS (
    SELECT l.township, count(*) FILTER (WHERE l.town_on IS NULL) AS open_n, max(l.town_on) AS last_on
      FROM l GROUP BY l.township
),
lc AS (
    SELECT l.county_code, count(*) FILTER (WHERE l.county_on IS NULL) AS open_n, max(l.county_on) AS last_on
      FROM l GROUP BY l.county_code
),
u AS (
    SELECT 'lead_push' AS deadline, 1 AS ord, 'department' AS unit_kind, d.code::text AS code,
           CASE WHEN length(p_prefix) < 6 THEN c.name || ' ' ELSE '' END || d.name_zh AS name,
           pr.n + (fp_param('lead_push_day', d.county_code, pr.n)::int - 1) AS due_on,
           (SELECT min((b.received_at AT TIME ZONE 'Asia/Shanghai')::date) FROM lead_batches b
             WHERE b.county_code = d.county_code AND b.period = p_period AND b.department_code = d.code) AS done_on,
           d.county_code || ':' || d.code AS sort
      FROM pr CROSS JOIN counties c JOIN departments d ON d.county_code = c.code
     WHERE pr.monthly AND pr.wide
    UNION ALL
    SELECT 'township_report', 2, 'township', t.code, CASE WHEN length(p_prefix) < 6 THEN c.name || ' ' ELSE '' END || t.name,
           pr.n + (fp_param('township_report_day', t.code, pr.n)::int - 1),
           CASE WHEN lt.township IS NULL THEN pr.n - 1 WHEN lt.open_n = 0 THEN lt.last_on END,
           t.code
      FROM pr CROSS JOIN counties c
      JOIN regions t ON length(t.code) = 9 AND t.code >= c.code AND t.code < c.code || ':'
      LEFT JOIN lt ON lt.township = t.code
     WHERE pr.monthly AND t.code >= pr.c9 AND t.code < pr.c9 || ':'
    UNION ALL
    SELECT 'county_report', 3, 'county', c.code, c.name,
           pr.n + (fp_param('county_report_day', c.code, pr.n)::int - 1),
           CASE WHEN lc.county_code IS NULL THEN pr.n - 1 WHEN lc.open_n = 0 THEN lc.last_on END,
           c.code
      FROM pr CROSS JOIN counties c LEFT JOIN lc ON lc.county_code = c.code
     WHERE pr.monthly AND pr.wide
    UNION ALL
    SELECT 'quarter_summary', 4, 'county', c.code, c.name,
           fp_add_days(report_quarter_end(p_period),
                       fp_param('quarter_report_working_days', c.code, report_quarter_end(p_period))::int, true),
           (SELECT s.submitted_on FROM quarter_summaries s WHERE s.county_code = c.code AND s.quarter = p_period),
           c.code
      FROM pr CROSS JOIN counties c
     WHERE NOT pr.monthly AND pr.wide AND p_period ~ '^[0-9]{4}Q[1-4]$'
)
SELECT u.deadline, u.ord, u.unit_kind, u.code, u.name, u.due_on, u.done_on,
       u.done_on IS NOT NULL AND u.done_on <= p_as_of,
       u.due_on < p_as_of AND (u.done_on IS NULL OR u.done_on > u.due_on)
  FROM u ORDER BY u.ord, u.sort COLLATE "C";
END $$;

