-- The day a report of p_prefix for p_period is due: the township_report_day (a township or
-- village prefix) or county_report_day (a county or wider) of the following month.
CREATE OR REPLACE FUNCTION report_deadline(p_prefix text, p_period text) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT n + (fp_param(CASE WHEN length(p_prefix) >= 9 THEN 'township_report_day' ELSE 'county_report_day' END,
                         p_prefix, n)::int - 1)
      FROM (SELECT ((p_period || '-01')::date + interval '1 month')::date AS n) x
$$;

-- 'YYYYQn' -> its last day; NULL for anything else (the planner folds it with a constant month
-- in a branch of report_deadline_units that the month never takes: it must not fail there).
CREATE OR REPLACE FUNCTION report_quarter_end(p text) RETURNS date
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE WHEN p ~ '^[0-9]{4}Q[1-4]$' THEN (ledger_period_start(p) + interval '3 months')::date - 1 END
$$;

-- The day the quarterly reports of p_prefix for quarter p_period are due: quarter_report_working_days
-- working days after the quarter (docs/policy.md, "Reports and deadlines": seed 004 §二(三), §二(四)).
CREATE OR REPLACE FUNCTION report_quarter_due(p_prefix text, p_period text) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT fp_add_days(report_quarter_end(p_period),
                       fp_param('quarter_report_working_days', p_prefix, report_quarter_end(p_period))::int, true)
$$;

-- The due day of a report: the monthly report as before (report_deadline); the quarterly reports:
-- report_quarter_due. The deadlines report: the day after the period's last deadline (a unit is
-- late once its due day has passed, so lateness on the last deadline is known the day after): for
-- a month, the day after county_report_day of the next month; for a quarter, the day after the
-- quarter summary's due day.
CREATE OR REPLACE FUNCTION report_due(p_report text, p_prefix text, p_period text) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_report = 'deadlines' AND n IS NULL THEN report_quarter_due(p_prefix, p_period) + 1
                WHEN p_report = 'deadlines' THEN n + fp_param('county_report_day', p_prefix, n)::int
                WHEN p_period ~ '^[0-9]{4}Q[1-4]$' THEN report_quarter_due(p_prefix, p_period)
                ELSE report_deadline(p_prefix, p_period) END
      FROM (SELECT CASE WHEN p_period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'
                        THEN ((p_period || '-01')::date + interval '1 month')::date END AS n) x
$$;

-- The levels a report of p_prefix rolls up to, as code lengths: the levels below the prefix down to
-- the township (a province: prefectures, counties, townships), and villages under a township.
CREATE OR REPLACE FUNCTION report_unit_lengths(p_prefix text) RETURNS integer[]
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE length(p_prefix) WHEN 2 THEN '{4,6,9}'::integer[] WHEN 4 THEN '{6,9}'::integer[]
                                 WHEN 6 THEN '{9}'::integer[] ELSE '{12}'::integer[] END
$$;

CREATE OR REPLACE FUNCTION report_unit_kind(p_len integer) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE p_len WHEN 2 THEN 'province' WHEN 4 THEN 'prefecture' WHEN 6 THEN 'county'
                      WHEN 9 THEN 'township' ELSE 'village' END
$$;

-- The region rows of a report: every region of the levels report_unit_lengths(p_prefix) under the
-- prefix (zeros where nothing was counted), parents before their children, the label indented by
-- depth with ideographic spaces, then the total ('合计', kind 'total'). Each row has every key of
-- p_keys. p_extra (rows already built, e.g. per category) go between the regions and the total.
-- The counts are summed once to the deepest level (deep), and the wider levels and the total from
-- those sums (a few per township), not each from every count again.
CREATE OR REPLACE FUNCTION report_rollup(p_prefix text, p_keys text[], p_counts report_count[], p_extra jsonb DEFAULT '[]')
RETURNS jsonb
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off AS $$
BEGIN
    RETURN (
WITH lens AS (SELECT len, ord FROM unnest(report_unit_lengths(p_prefix)) WITH ORDINALITY AS x(len, ord)),
deep AS (
    SELECT left(c.village, (SELECT max(len) FROM lens)) AS unit, c.key, sum(c.n) AS n
      FROM unnest(p_counts) c GROUP BY 1, 2
),
agg AS (
    SELECT left(d.unit, lens.len) AS unit, d.key, sum(d.n) AS n FROM deep d CROSS JOIN lens GROUP BY 1, 2
    UNION ALL
    SELECT '', d.key, sum(d.n) FROM deep d GROUP BY 2
),
units AS (
    SELECT r.code::text AS code, r.name, lens.ord, length(r.code) AS len
      FROM regions r JOIN lens ON length(r.code) = lens.len
     WHERE r.code >= p_prefix AND r.code < p_prefix || ':'
    UNION ALL
    SELECT '', '合计', 0, 0
),
-- each unit's numbers: a zero for every key, overwritten (||) by the keys it has counts for
nums AS (
    SELECT u.code, z.o || coalesce(a.o, '{}') AS o
      FROM units u CROSS JOIN (SELECT jsonb_object_agg(k.key, 0) AS o FROM unnest(p_keys) AS k(key)) z
      LEFT JOIN (SELECT agg.unit, jsonb_object_agg(agg.key, agg.n) AS o FROM agg
                  WHERE agg.key = ANY (p_keys) GROUP BY agg.unit) a ON a.unit = u.code
),
r AS (
    SELECT 1 AS sec, u.code,
           jsonb_build_object('label', repeat('　', (u.ord - 1)::int) || u.name, 'kind', report_unit_kind(u.len),
                              'code', u.code) || n.o AS row
      FROM units u JOIN nums n ON n.code = u.code WHERE u.code <> ''
    UNION ALL
    SELECT 2, lpad(e.ord::text, 10, '0'), e.row FROM jsonb_array_elements(p_extra) WITH ORDINALITY AS e(row, ord)
    UNION ALL
    SELECT 3, '', jsonb_build_object('label', '合计', 'kind', 'total', 'code', '') || n.o
      FROM nums n WHERE n.code = ''
)
SELECT jsonb_agg(row ORDER BY sec, code COLLATE "C") FROM r
    );
END $$;

-- A report's rows per item after its regions (the measure categories, the quality rules): one row
-- per item of p_items (a JSON array of {code, label}, in report order) of kind p_kind, with every
-- key of p_keys: the sum of p_counts whose first field is the item's code (zero where none).
CREATE OR REPLACE FUNCTION report_item_rows(p_kind text, p_keys text[], p_items jsonb, p_counts report_count[])
RETURNS jsonb LANGUAGE sql STABLE AS $$
    WITH s AS (SELECT c.village AS item, c.key, sum(c.n) AS n FROM unnest(p_counts) c GROUP BY 1, 2)
    SELECT coalesce(jsonb_agg(jsonb_build_object('label', i.item->>'label', 'kind', p_kind, 'code', i.item->>'code')
                              || o.o ORDER BY i.ord), '[]')
      FROM jsonb_array_elements(coalesce(p_items, '[]')) WITH ORDINALITY AS i(item, ord)
      CROSS JOIN LATERAL (
          SELECT jsonb_object_agg(k.key, coalesce(s.n, 0)) AS o
            FROM unnest(p_keys) AS k(key)
            LEFT JOIN s ON s.item = i.item->>'code' AND s.key = k.key) o
$$;

-- The twelve measure categories in report order, as assist_categories[] (services/assistance/measures.c).
CREATE OR REPLACE FUNCTION report_measure_categories() RETURNS TABLE (ord integer, code text, name_zh text)
LANGUAGE sql IMMUTABLE AS $$
    VALUES (1, 'industry', '产业帮扶'), (2, 'finance', '金融帮扶'), (3, 'employment', '就业帮扶'),
           (4, 'housing', '安全住房保障帮扶'), (5, 'water', '饮水安全保障帮扶'), (6, 'health', '健康帮扶'),
           (7, 'education', '教育帮扶'), (8, 'social_help', '社会帮扶'), (9, 'relocation', '搬迁帮扶'),
           (10, 'backstop', '综合保障兜底'), (11, 'helper', '专人帮扶'), (12, 'risk_fund', '防贫风险基金帮扶')
$$;

-- Monthly lead verification (风险线索核实情况) of region prefix p_prefix and period p_period, as of
-- p_as_of. Leads of the period whose village starts with the prefix, counted by current status:
-- received (all), verified (verifying + identified + not_included), included (identified),
-- not_included, pending, unmatched, and overdue: pending or verifying, received (received_on,
-- intake's day) more than decision_days days before p_as_of. Rows: every department of the counties under
-- the prefix (of its county for a township or village prefix), then leads from no department
-- (village visits, self-reports) when there are any, then every township, then the total.
-- decision_days is read once per call (fp_param is not inlined), and the leads and townships are
-- selected by a range on the village code, which leads_period_village serves. The month is compared
-- as char(7), the column's type (p_period::bpchar): as text, each lead's period was converted and
-- the planner, unable to estimate the converted column, guessed 80 leads for 11,000.
CREATE OR REPLACE FUNCTION report_lead_verification_rows(p_prefix text, p_period text, p_as_of date) RETURNS jsonb
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off AS $$
DECLARE
    v_cut date := p_as_of - fp_param('decision_days', p_prefix, p_as_of)::int;
BEGIN
    RETURN (
WITH l AS (
    SELECT l.county_code, l.department_code, left(l.village_code, 9) AS township, l.status,
           (l.status IN ('pending', 'verifying')
            AND l.received_on < v_cut) AS overdue
      FROM leads l
     WHERE l.period = p_period::bpchar AND l.village_code >= p_prefix AND l.village_code < p_prefix || ':'
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

-- The monthly report's rows under the name every other report's function follows,
-- report_<code>_rows (the benchmarks call them by report code).
CREATE OR REPLACE FUNCTION report_lead_verification_monthly_rows(p_prefix text, p_period text, p_as_of date) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT report_lead_verification_rows(p_prefix, p_period, p_as_of)
$$;

-- 规模统计表 of quarter p_period: monitoring plans (one per identified household) of villages under
-- the prefix. Monitored at the quarter's end (mon_*): identified on or before the last day and not
-- eliminated on or before it; of them by kind (ul_ unstable lifted, mg_ marginal, sh_ sudden
-- hardship) and households by each risk type (risk_<code>_hh; a household counts under each of its
-- risk types). new_*: identified in the quarter; elim_*: eliminated in the quarter by the current
-- record (an elimination undone is no longer one), elim_assist_hh / elim_natural_hh by way. People
-- (_people): the household's ledger members present at the quarter's end (not left by then).
-- p_as_of is not read: the numbers are those of the quarter; the snapshot freezes them.
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

-- 帮扶措施落实情况 of quarter p_period: the measures of plans of villages under the prefix that were
-- in force during the quarter: started on or before its last day, and not already delivered or
-- stopped before its first day (status_on). Counted by their status on the quarter's last day
-- (measure_status_on): planned, in_progress, delivered, stopped; checked: with a check for the
-- quarter (measure_checks), of which problem: the check found a problem; unchecked:
-- live (planned or in progress) without a check for the quarter (as ListUnchecked). Rows: the
-- regions, then the twelve categories over the whole prefix (kind 'category'), then the total.
CREATE OR REPLACE FUNCTION report_measures_quarterly_rows(p_prefix text, p_period text, p_as_of date) RETURNS jsonb
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off AS $$
BEGIN
    RETURN (
WITH q AS (SELECT ledger_period_start(p_period) AS qs, report_quarter_end(p_period) AS qe),
m AS (
    SELECT pl.village_code, m.category,
           CASE WHEN m.status_on IS NULL OR m.status_on <= q.qe THEN m.status
                ELSE measure_status_on(m.county_code, m.plan_id, m.id, q.qe) END AS status, c.result
      FROM plans pl CROSS JOIN q
      JOIN measures m ON m.county_code = pl.county_code AND m.plan_id = pl.id
      LEFT JOIN measure_checks c ON c.county_code = m.county_code AND c.measure_id = m.id
                                AND c.quarter = p_period::bpchar
     WHERE pl.village_code >= p_prefix AND pl.village_code < p_prefix || ':'
       AND m.start_on <= q.qe
       AND NOT (m.status IN ('delivered', 'stopped') AND m.status_on IS NOT NULL AND m.status_on < q.qs)
    OFFSET 0  -- status computed once per measure: inlined, each of g's FILTERs would call it again
),
-- counted once by village (for the regions) and once by category (for the category rows), so that
-- the roll-up sums a few counts per village, not one per village and category
g AS (
    SELECT GROUPING(category) = 1 AS by_village, coalesce(village_code, category) AS unit, count(*) AS total,
           count(*) FILTER (WHERE status = 'planned') AS planned,
           count(*) FILTER (WHERE status = 'in_progress') AS in_progress,
           count(*) FILTER (WHERE status = 'delivered') AS delivered,
           count(*) FILTER (WHERE status = 'stopped') AS stopped,
           count(result) AS checked,
           count(*) FILTER (WHERE result = 'problem') AS problem,
           count(*) FILTER (WHERE result IS NULL AND status IN ('planned', 'in_progress')) AS unchecked
      FROM m GROUP BY GROUPING SETS ((village_code), (category))
),
long AS (
    SELECT g.by_village, ROW(g.unit, k.key, k.n)::report_count AS c
      FROM g CROSS JOIN LATERAL (VALUES ('total', g.total), ('planned', g.planned), ('in_progress', g.in_progress),
           ('delivered', g.delivered), ('stopped', g.stopped), ('checked', g.checked), ('problem', g.problem),
           ('unchecked', g.unchecked)) AS k(key, n)
     WHERE k.n > 0
),
keys AS (SELECT ARRAY['total', 'planned', 'in_progress', 'delivered', 'stopped', 'checked', 'problem', 'unchecked'] AS k)
SELECT report_rollup(p_prefix, (SELECT k FROM keys),
                     coalesce((SELECT array_agg(l.c) FROM long l WHERE l.by_village), '{}'),
                     report_item_rows('category', (SELECT k FROM keys),
                                      (SELECT jsonb_agg(jsonb_build_object('code', c.code, 'label', c.name_zh) ORDER BY c.ord)
                                         FROM report_measure_categories() c),
                                      (SELECT array_agg(l.c) FROM long l WHERE NOT l.by_village)))
    );
END $$;

-- 风险消除情况 of quarter p_period, for monitoring plans of villages under the prefix. From the
-- history (plan_history, event 'elimination.<step>', dated on_day in the quarter), households that
-- took each step: nominated (提名), notice_posted (公示), township_approved (乡镇核查核准),
-- county_confirmed (县级核实确认), returned (退回); refused: households refused (any level), and the
-- refusal events by the level that refused (refused_village, refused_township, refused_county);
-- undone (回退). From the record: eliminated in the quarter (eliminated_on, current record) and by
-- way (elim_assist, elim_natural). Where households stood at the quarter's end (the to_state of
-- their last elimination step on or before it): at_nominated (提名待公示), at_notice (公示中),
-- at_township_approved, at_county_confirmed. Rows: the regions, then one row per refusal reason (kind 'reason',
-- label the reason as recorded, code the reason when it is a code such as elim.backstop_household;
-- counts in the refused columns; an ID-like number typed into a reason is masked as in the logs,
-- 1308**********123X), then the total.
CREATE OR REPLACE FUNCTION report_elimination_quarterly_rows(p_prefix text, p_period text, p_as_of date) RETURNS jsonb
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off AS $$
BEGIN
    RETURN (
WITH q AS (SELECT ledger_period_start(p_period) AS qs, report_quarter_end(p_period) AS qe),
-- one pass over the prefix's plans and their elimination history up to the quarter's end, one row
-- per household: the steps it took in the quarter (one bit each, so one bit_or rather than a
-- bool_or per step for each of the history's rows), its refusals by level, and where it stood at
-- the quarter's end (the to_state of its last step by day and id: the largest [day, id, state]
-- array, states coded 1-4, so a hash aggregate finds it without sorting the history)
ph AS (
    SELECT pl.village_code,
           (max(ARRAY[h.on_day - DATE '2000-01-01', h.id,
                      CASE h.to_state WHEN 'nominated' THEN 1 WHEN 'notice_posted' THEN 2
                                      WHEN 'township_approved' THEN 3 WHEN 'county_confirmed' THEN 4 ELSE 0 END]))[3]
             AS at_end,
           bit_or(CASE WHEN h.on_day >= q.qs THEN
                      CASE h.event WHEN 'elimination.nominate' THEN 1 WHEN 'elimination.post_notice' THEN 2
                                   WHEN 'elimination.approve' THEN 4 WHEN 'elimination.confirm' THEN 8
                                   WHEN 'elimination.return' THEN 16 WHEN 'elimination.refuse' THEN 32
                                   WHEN 'elimination.undo' THEN 64 ELSE 0 END
                  ELSE 0 END) AS steps,
           count(*) FILTER (WHERE h.on_day >= q.qs AND h.event = 'elimination.refuse' AND h.level = 'village')
             AS refused_village,
           count(*) FILTER (WHERE h.on_day >= q.qs AND h.event = 'elimination.refuse' AND h.level = 'township')
             AS refused_township,
           count(*) FILTER (WHERE h.on_day >= q.qs AND h.event = 'elimination.refuse' AND h.level = 'county')
             AS refused_county
      FROM plan_history h CROSS JOIN q
      JOIN plans pl ON pl.county_code = h.county_code AND pl.id = h.plan_id
     WHERE h.event LIKE 'elimination.%' AND h.on_day <= q.qe
       AND pl.kind = 'monitoring' AND pl.village_code >= p_prefix AND pl.village_code < p_prefix || ':'
     GROUP BY pl.county_code, pl.id
),
hv AS (
    SELECT village_code,
           count(*) FILTER (WHERE steps & 1 <> 0) AS nominated,
           count(*) FILTER (WHERE steps & 2 <> 0) AS notice_posted,
           count(*) FILTER (WHERE steps & 4 <> 0) AS township_approved,
           count(*) FILTER (WHERE steps & 8 <> 0) AS county_confirmed,
           count(*) FILTER (WHERE steps & 16 <> 0) AS returned,
           count(*) FILTER (WHERE steps & 32 <> 0) AS refused,
           sum(refused_village)::bigint AS refused_village,
           sum(refused_township)::bigint AS refused_township,
           sum(refused_county)::bigint AS refused_county,
           count(*) FILTER (WHERE steps & 64 <> 0) AS undone,
           count(*) FILTER (WHERE at_end = 1) AS at_nominated,
           count(*) FILTER (WHERE at_end = 2) AS at_notice,
           count(*) FILTER (WHERE at_end = 3) AS at_township_approved,
           count(*) FILTER (WHERE at_end = 4) AS at_county_confirmed
      FROM ph GROUP BY village_code
),
-- the quarter's refusals, for the rows per reason (few: read by the (on_day, plan_id) index)
h AS (
    SELECT h.county_code, h.plan_id, h.level, h.reason
      FROM plan_history h CROSS JOIN q
      JOIN plans pl ON pl.county_code = h.county_code AND pl.id = h.plan_id
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
           count(DISTINCT (county_code, plan_id)) AS refused,
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

-- Every unit with a deadline of period p_period inside p_prefix, as of p_as_of. A monthly period
-- ('2026-10') has three: lead_push (each county department pushes its month's leads: a batch of the
-- period received by lead_push_day of the next month), township_report (every lead of the period in
-- the township reviewed by the township — its case reached township_reviewed or beyond, or was
-- closed, or the lead was found unmatched — by township_report_day) and county_report (every lead
-- of the period in the county decided by the county — case county_approved, identified or closed,
-- or unmatched — by county_report_day). A township or county with no lead has nothing to verify and
-- is done. A quarter ('2026Q3') has quarter_summary: the county's row in quarter_summaries,
-- submitted within quarter_report_working_days working days after the quarter. Counties are those
-- that run fangpin (with a department or a ledger household); departments and counties are listed
-- for a prefix of a county or wider, townships for any prefix (a village: its township).
-- late: the due day is before p_as_of and the unit was not done by it. done_on: when it was done.
-- The leads' steps are joined and aggregated once; the leads are selected
-- on the parameters themselves (folded per call), not through pr, so that the planner sees how
-- many there are and hashes case_leads rather than probing it per lead. The month is compared as
-- char(7), the columns' type (p_period::bpchar), so that the planner can estimate the month's leads.
-- The due days are read once per call: fp_param depends on a region only through its province
-- (left(code, 2)), which every unit under the prefix shares, so each unit's day is the prefix's;
-- reading it per unit cost one policy_params query per township and department.
CREATE OR REPLACE FUNCTION report_deadline_units(p_prefix text, p_period text, p_as_of date)
RETURNS TABLE (deadline text, ord integer, unit_kind text, code text, name text, due_on date, done_on date,
               done boolean, late boolean)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off AS $$
#variable_conflict use_column
DECLARE
    v_n date := CASE WHEN p_period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'
                     THEN ((p_period || '-01')::date + interval '1 month')::date END;
    v_push_due date;
    v_town_due date;
    v_county_due date;
    v_quarter_due date;
BEGIN
    IF v_n IS NOT NULL THEN
        v_push_due := v_n + (fp_param('lead_push_day', p_prefix, v_n)::int - 1);
        v_town_due := v_n + (fp_param('township_report_day', p_prefix, v_n)::int - 1);
        v_county_due := v_n + (fp_param('county_report_day', p_prefix, v_n)::int - 1);
    ELSIF p_period ~ '^[0-9]{4}Q[1-4]$' THEN
        v_quarter_due := fp_add_days(report_quarter_end(p_period),
                                     fp_param('quarter_report_working_days', p_prefix,
                                              report_quarter_end(p_period))::int, true);
    END IF;
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
    SELECT l.id, l.county_code, left(l.village_code, 9) AS township, l.status, l.status_at
      FROM leads l
     WHERE p_period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$' AND l.period = p_period::bpchar
       AND l.village_code >= (CASE WHEN length(p_prefix) <= 6 THEN p_prefix ELSE left(p_prefix, 9) END)
       AND l.village_code < (CASE WHEN length(p_prefix) <= 6 THEN p_prefix ELSE left(p_prefix, 9) END) || ':'
       AND l.county_code IN (SELECT code FROM counties)
),
-- the first day each lead's case reached a township or a county step: one join and GROUP BY
-- (not two correlated probes of case_leads and case_history per lead)
s AS (
    SELECT l0.county_code, l0.id,
           min((ch.at AT TIME ZONE 'Asia/Shanghai')::date)
             FILTER (WHERE ch.to_state IN ('township_reviewed', 'county_approved', 'identified', 'closed_not_included'))
             AS town_on,
           min((ch.at AT TIME ZONE 'Asia/Shanghai')::date)
             FILTER (WHERE ch.to_state IN ('county_approved', 'identified', 'closed_not_included')) AS county_on
      FROM l0 JOIN case_leads cl ON cl.county_code = l0.county_code AND cl.lead_id = l0.id
      JOIN case_history ch ON ch.county_code = cl.county_code AND ch.case_id = cl.case_id
     WHERE l0.status <> 'unmatched'
       AND ch.to_state IN ('township_reviewed', 'county_approved', 'identified', 'closed_not_included')
     GROUP BY l0.county_code, l0.id
),
-- an unmatched lead's status day (China date) is converted for those leads alone: the time zone
-- conversion is a good part of the cost of a lead
l AS (
    SELECT l0.county_code, l0.township,
           CASE WHEN l0.status = 'unmatched' THEN (l0.status_at AT TIME ZONE 'Asia/Shanghai')::date
                ELSE s.town_on END AS town_on,
           CASE WHEN l0.status = 'unmatched' THEN (l0.status_at AT TIME ZONE 'Asia/Shanghai')::date
                ELSE s.county_on END AS county_on
      FROM l0 LEFT JOIN s ON s.county_code = l0.county_code AND s.id = l0.id
),
-- per township and per county: whether it has leads, how many are still open, the last step's day;
-- both from one pass over the leads (GROUPING SETS), so that l is neither stored nor read twice
lu AS (
    SELECT GROUPING(l.township) = 0 AS by_township, l.township, l.county_code,
           count(*) FILTER (WHERE l.town_on IS NULL) AS town_open, max(l.town_on) AS town_last,
           count(*) FILTER (WHERE l.county_on IS NULL) AS county_open, max(l.county_on) AS county_last
      FROM l GROUP BY GROUPING SETS ((l.township), (l.county_code))
),
lt AS (SELECT lu.township, lu.town_open AS open_n, lu.town_last AS last_on FROM lu WHERE lu.by_township),
lc AS (SELECT lu.county_code, lu.county_open AS open_n, lu.county_last AS last_on FROM lu WHERE NOT lu.by_township),
u AS (
    SELECT 'lead_push' AS deadline, 1 AS ord, 'department' AS unit_kind, d.code::text AS code,
           CASE WHEN length(p_prefix) < 6 THEN c.name || ' ' ELSE '' END || d.name_zh AS name,
           v_push_due AS due_on,
           (SELECT min(b.received_on) FROM lead_batches b
             WHERE b.county_code = d.county_code AND b.period = p_period::bpchar AND b.department_code = d.code)
             AS done_on,
           d.county_code || ':' || d.code AS sort
      FROM pr CROSS JOIN counties c JOIN departments d ON d.county_code = c.code
     WHERE pr.monthly AND pr.wide
    UNION ALL
    SELECT 'township_report', 2, 'township', t.code, CASE WHEN length(p_prefix) < 6 THEN c.name || ' ' ELSE '' END || t.name,
           v_town_due,
           CASE WHEN lt.township IS NULL THEN pr.n - 1 WHEN lt.open_n = 0 THEN lt.last_on END,
           t.code
      FROM pr CROSS JOIN counties c
      JOIN regions t ON length(t.code) = 9 AND t.code >= c.code AND t.code < c.code || ':'
      LEFT JOIN lt ON lt.township = t.code
     WHERE pr.monthly AND t.code >= pr.c9 AND t.code < pr.c9 || ':'
    UNION ALL
    SELECT 'county_report', 3, 'county', c.code, c.name,
           v_county_due,
           CASE WHEN lc.county_code IS NULL THEN pr.n - 1 WHEN lc.open_n = 0 THEN lc.last_on END,
           c.code
      FROM pr CROSS JOIN counties c LEFT JOIN lc ON lc.county_code = c.code
     WHERE pr.monthly AND pr.wide
    UNION ALL
    SELECT 'quarter_summary', 4, 'county', c.code, c.name,
           v_quarter_due,
           (SELECT s.submitted_on FROM quarter_summaries s WHERE s.county_code = c.code AND s.quarter = p_period::bpchar),
           c.code
      FROM pr CROSS JOIN counties c
     WHERE NOT pr.monthly AND pr.wide AND p_period ~ '^[0-9]{4}Q[1-4]$'
)
SELECT u.deadline, u.ord, u.unit_kind, u.code, u.name, u.due_on, u.done_on,
       u.done_on IS NOT NULL AND u.done_on <= p_as_of,
       u.due_on < p_as_of AND (u.done_on IS NULL OR u.done_on > u.due_on)
  FROM u ORDER BY u.ord, u.sort COLLATE "C";
END $$;

-- 逾期情况 of period p_period (a month or a quarter) as of p_as_of: exactly the late units, each with
-- its deadline, due day, the day it was done ('' while not done) and days late (to that day, or to
-- p_as_of while not done), late = 1; then a subtotal per deadline with late units and the total.
CREATE OR REPLACE FUNCTION report_deadlines_rows(p_prefix text, p_period text, p_as_of date) RETURNS jsonb
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off AS $$
BEGIN
    RETURN (
WITH names (deadline, ord, zh) AS (
    VALUES ('lead_push', 1, '行业部门线索推送'), ('township_report', 2, '乡镇核实上报'),
           ('county_report', 3, '县级汇总上报'), ('quarter_summary', 4, '县级季度汇总')
),
late AS (
    SELECT u.*, row_number() OVER () AS rn FROM report_deadline_units(p_prefix, p_period, p_as_of) u WHERE u.late
),
r AS (
    SELECT l.ord AS sec, 1 AS sub, l.rn,
           jsonb_build_object('label', l.name, 'kind', l.unit_kind, 'code', l.code, 'deadline', n.zh,
                              'due_on', l.due_on::text,
                              'done_on', CASE WHEN l.done_on <= p_as_of THEN l.done_on::text ELSE '' END,
                              'days_late', (CASE WHEN l.done_on <= p_as_of THEN l.done_on ELSE p_as_of END) - l.due_on,
                              'late', 1) AS row
      FROM late l JOIN names n ON n.deadline = l.deadline
    UNION ALL
    SELECT n.ord, 2, 0,
           jsonb_build_object('label', '小计：' || n.zh, 'kind', 'subtotal', 'code', n.deadline, 'deadline', n.zh,
                              'due_on', '', 'done_on', '', 'days_late', 0, 'late', count(*))
      FROM late l JOIN names n ON n.deadline = l.deadline GROUP BY n.ord, n.deadline, n.zh
    UNION ALL
    SELECT 9, 9, 0, jsonb_build_object('label', '合计', 'kind', 'total', 'code', '', 'deadline', '', 'due_on', '',
                                       'done_on', '', 'days_late', 0, 'late', (SELECT count(*) FROM late))
)
SELECT jsonb_agg(row ORDER BY sec, sub, rn) FROM r
    );
END $$;

-- 疑点问题整改情况 of period p_period (a month YYYY-MM or a quarter YYYYQn): the data-quality
-- findings (quality_findings, docs/quality-checks.md) of villages under the prefix opened in the period
-- (opened: all of them), by where each stood on p_as_of, from its record: closed (已整改销号: a
-- run no longer found it, fixed_on on or before p_as_of), else explained (explained on or before
-- p_as_of, China date), else overdue (its due day before p_as_of), else open. Rows: the regions,
-- then one row per rule in number order (kind 'rule', label number and message, zeros where it
-- found nothing), then the total.
CREATE OR REPLACE FUNCTION report_quality_findings_rows(p_prefix text, p_period text, p_as_of date) RETURNS jsonb
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off AS $$
BEGIN
    RETURN (
WITH q AS (SELECT CASE WHEN p_period ~ 'Q' THEN ledger_period_start(p_period) ELSE (p_period || '-01')::date END AS ps,
                  CASE WHEN p_period ~ 'Q' THEN report_quarter_end(p_period)
                       ELSE ((p_period || '-01')::date + interval '1 month' - interval '1 day')::date END AS pe),
f AS (
    SELECT f.village_code, f.rule_code,
           CASE WHEN f.state = 'fixed' AND f.fixed_on <= p_as_of THEN 'closed'
                WHEN f.state = 'explained' AND (f.explained_at AT TIME ZONE 'Asia/Shanghai')::date <= p_as_of
                    THEN 'explained'
                WHEN f.due_on < p_as_of THEN 'overdue'
                ELSE 'open' END AS state
      FROM quality_findings f CROSS JOIN q
     WHERE f.village_code >= p_prefix AND f.village_code < p_prefix || ':'
       AND f.opened_on BETWEEN q.ps AND q.pe
),
long AS (
    SELECT village_code, rule_code, 'opened' AS key, count(*) AS n FROM f GROUP BY 1, 2
    UNION ALL
    SELECT village_code, rule_code, state, count(*) FROM f GROUP BY 1, 2, 3
),
keys AS (SELECT ARRAY['opened', 'open', 'overdue', 'explained', 'closed'] AS k)
SELECT report_rollup(p_prefix, (SELECT k FROM keys),
                     coalesce((SELECT array_agg(ROW(l.village_code, l.key, l.n)::report_count) FROM long l), '{}'),
                     report_item_rows('rule', (SELECT k FROM keys),
                                      (SELECT jsonb_agg(jsonb_build_object('code', u.code, 'label', u.code || ' ' || u.message_zh)
                                                        ORDER BY u.code) FROM quality_rules u),
                                      (SELECT array_agg(ROW(l.rule_code, l.key, l.n)::report_count) FROM long l)))
    );
END $$;

-- 农村低收入人口分类统计 of quarter p_period (docs/lowincome.md): the households of villages under
-- the prefix in each category at the quarter's end, and their people (members present then): a
-- low-income category when the household's last change of it on or before the last day is an
-- entry (household_category_history), a monitoring kind when its monitoring plan was identified
-- by then and not eliminated by then (as scale_quarterly). total_*: in any category; overlap_hh:
-- in two or more; mon_low_hh: in a monitoring kind and a low-income category at once. entries /
-- exits: the changes of the quarter, one per household and category (a low-income entry or exit
-- dated in it; a monitoring plan identified or eliminated in it).
CREATE OR REPLACE FUNCTION report_lowincome_quarterly_rows(p_prefix text, p_period text, p_as_of date) RETURNS jsonb
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan SET jit = off AS $$
BEGIN
    RETURN (
WITH q AS MATERIALIZED (SELECT ledger_period_start(p_period) AS qs, report_quarter_end(p_period) AS qe),
x AS MATERIALIZED (
    SELECT x.county_code, x.household_no, h.village_code, x.category, x.change, x.on_date, x.id
      FROM household_category_history x
      JOIN ledger_households h ON h.county_code = x.county_code AND h.household_no = x.household_no
     WHERE h.village_code >= p_prefix AND h.village_code < p_prefix || ':'
),
pl AS MATERIALIZED (
    SELECT pl.county_code, pl.household_no, pl.village_code, pl.monitored_kind AS category, pl.identified_on,
           CASE WHEN pl.elim_state = 'eliminated' THEN pl.eliminated_on END AS gone_on
      FROM plans pl
     WHERE pl.kind = 'monitoring' AND pl.village_code >= p_prefix AND pl.village_code < p_prefix || ':'
),
li AS (
    SELECT DISTINCT ON (x.county_code, x.household_no, x.category) x.county_code, x.household_no, x.village_code,
           x.category, x.change
      FROM x CROSS JOIN q WHERE x.on_date <= q.qe
     ORDER BY x.county_code, x.household_no, x.category, x.on_date DESC, x.id DESC
),
mem AS (
    SELECT county_code, household_no, village_code, category FROM li WHERE change = 'enter'
    UNION
    SELECT pl.county_code, pl.household_no, pl.village_code, pl.category FROM pl CROSS JOIN q
     WHERE pl.identified_on <= q.qe AND (pl.gone_on IS NULL OR pl.gone_on > q.qe)
),
hh AS (
    SELECT m.county_code, m.household_no, m.village_code, array_agg(m.category::text) AS cats,
           (SELECT count(*) FROM ledger_members p CROSS JOIN q WHERE p.county_code = m.county_code
               AND p.household_no = m.household_no AND (p.left_on IS NULL OR p.left_on > q.qe)) AS people
      FROM mem m GROUP BY 1, 2, 3
),
moves AS (
    SELECT x.village_code, CASE x.change WHEN 'enter' THEN 'entries' ELSE 'exits' END AS key, count(*) AS n
      FROM x CROSS JOIN q WHERE x.on_date BETWEEN q.qs AND q.qe GROUP BY 1, 2
    UNION ALL
    SELECT pl.village_code, 'entries', count(*) FROM pl CROSS JOIN q
     WHERE pl.identified_on BETWEEN q.qs AND q.qe GROUP BY 1
    UNION ALL
    SELECT pl.village_code, 'exits', count(*) FROM pl CROSS JOIN q
     WHERE pl.gone_on BETWEEN q.qs AND q.qe GROUP BY 1
),
counts AS (
    SELECT ROW(hh.village_code, c.code || k.suffix, sum(CASE k.suffix WHEN '_hh' THEN 1 ELSE hh.people END))::report_count AS c
      FROM hh CROSS JOIN unnest(hh.cats) AS c(code) CROSS JOIN (VALUES ('_hh'), ('_people')) AS k(suffix)
     GROUP BY hh.village_code, c.code, k.suffix
    UNION ALL
    SELECT ROW(hh.village_code, k.key, sum(k.n))::report_count
      FROM hh CROSS JOIN LATERAL (VALUES
           ('total_hh', 1::bigint), ('total_people', hh.people),
           ('overlap_hh', (cardinality(hh.cats) >= 2)::int::bigint),
           ('mon_low_hh', (hh.cats && ARRAY['unstable_lifted', 'marginal', 'sudden_hardship']
                           AND hh.cats && ARRAY['dibao', 'tekun', 'dibao_edge', 'rigid_spending'])::int::bigint)) AS k(key, n)
     GROUP BY hh.village_code, k.key HAVING sum(k.n) > 0
    UNION ALL
    SELECT ROW(m.village_code, m.key, sum(m.n))::report_count FROM moves m GROUP BY m.village_code, m.key
)
SELECT report_rollup(p_prefix,
                     ARRAY['total_hh', 'total_people']
                     || ARRAY(SELECT c.code || s.suffix FROM lowincome_categories c
                                CROSS JOIN (VALUES (1, '_hh'), (2, '_people')) AS s(o, suffix) ORDER BY c.ord, s.o)
                     || ARRAY['overlap_hh', 'mon_low_hh', 'entries', 'exits'],
                     coalesce((SELECT array_agg(c) FROM counts), '{}'))
    );
END $$;

-- The rows of report p_report (NULL for an unknown report or a period of the wrong form).
CREATE OR REPLACE FUNCTION report_rows(p_report text, p_prefix text, p_period text, p_as_of date) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_report = 'lead_verification_monthly' AND p_period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$' THEN
        RETURN report_lead_verification_monthly_rows(p_prefix, p_period, p_as_of);
    ELSIF p_report = 'deadlines' AND p_period ~ '^[0-9]{4}(-(0[1-9]|1[0-2])|Q[1-4])$' THEN
        RETURN report_deadlines_rows(p_prefix, p_period, p_as_of);
    ELSIF p_report = 'quality_findings' AND p_period ~ '^[0-9]{4}(-(0[1-9]|1[0-2])|Q[1-4])$' THEN
        RETURN report_quality_findings_rows(p_prefix, p_period, p_as_of);
    ELSIF p_period !~ '^[0-9]{4}Q[1-4]$' THEN
        RETURN NULL;
    ELSIF p_report = 'scale_quarterly' THEN
        RETURN report_scale_quarterly_rows(p_prefix, p_period, p_as_of);
    ELSIF p_report = 'measures_quarterly' THEN
        RETURN report_measures_quarterly_rows(p_prefix, p_period, p_as_of);
    ELSIF p_report = 'elimination_quarterly' THEN
        RETURN report_elimination_quarterly_rows(p_prefix, p_period, p_as_of);
    ELSIF p_report = 'lowincome_quarterly' THEN
        RETURN report_lowincome_quarterly_rows(p_prefix, p_period, p_as_of);
    END IF;
    RETURN NULL;
END $$;

-- A report as served: computed live (frozen = false, as of p_today) while p_today is on or
-- before its due day (report_due); after it, the current snapshot, made now if there is none (as of the
-- deadline). No row when the prefix names no region, the report is unknown or the period is
-- not of the report's form.
CREATE OR REPLACE FUNCTION report_get(p_report text, p_prefix text, p_period text, p_today date)
RETURNS TABLE (frozen boolean, generated_at_ms bigint, region_name text, deadline date, content jsonb)
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    v_name text;
    v_deadline date;
    v_rows jsonb;
BEGIN
    SELECT r.name INTO v_name FROM regions r WHERE r.code = p_prefix;
    IF v_name IS NULL OR p_report NOT IN ('lead_verification_monthly', 'scale_quarterly', 'measures_quarterly',
                                          'elimination_quarterly', 'deadlines', 'quality_findings',
                                          'lowincome_quarterly') THEN
        RETURN;
    END IF;
    v_deadline := report_due(p_report, p_prefix, p_period);
    IF p_today <= v_deadline THEN
        v_rows := report_rows(p_report, p_prefix, p_period, p_today);
        IF v_rows IS NOT NULL THEN
            RETURN QUERY SELECT false, (extract(epoch FROM clock_timestamp()) * 1000)::bigint, v_name, v_deadline, v_rows;
        END IF;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM report_snapshots s WHERE s.report_code = p_report AND s.region_prefix = p_prefix
                      AND s.period = p_period AND s.reopened_at IS NULL) THEN
        v_rows := report_rows(p_report, p_prefix, p_period, v_deadline);
        IF v_rows IS NULL THEN
            RETURN;
        END IF;
        INSERT INTO report_snapshots (report_code, region_prefix, period, region_name, as_of, content)
        VALUES (p_report, p_prefix, p_period, v_name, v_deadline, v_rows)
        ON CONFLICT (report_code, region_prefix, period) WHERE reopened_at IS NULL DO NOTHING;
    END IF;
    RETURN QUERY SELECT true, (extract(epoch FROM s.frozen_at) * 1000)::bigint, s.region_name, v_deadline, s.content
                   FROM report_snapshots s
                  WHERE s.report_code = p_report AND s.region_prefix = p_prefix AND s.period = p_period
                    AND s.reopened_at IS NULL;
END $$;

-- Re-opens the current snapshot: the next request after the deadline computes a new one.
-- Returns the re-opened snapshot's id, or no row when nothing is frozen.
CREATE OR REPLACE FUNCTION report_reopen(p_report text, p_prefix text, p_period text, p_who text, p_reason text)
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

-- The reporting service's periodic scan as of p_today: for every county running fangpin, the late
-- units of the two months before p_today's month and of the quarter before its quarter are recorded
-- in deadline_misses and announced once each as a deadline.missed event (region: the unit's code
-- padded to 12 digits with zeros; a department's is its county's). From month p_from ('' = no
-- limit; FANGPIN_REPORTING_DEADLINES_FROM): a month before it and a quarter that ended before it
-- are not announced. Returns the events written.
CREATE OR REPLACE FUNCTION report_deadline_scan(p_today date, p_from text) RETURNS integer
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    n integer;
    m date := date_trunc('month', p_today)::date;
    qs date := date_trunc('quarter', p_today)::date - interval '3 months';
    v_from date;
BEGIN
    IF coalesce(p_from, '') <> '' THEN
        IF p_from !~ '^[0-9]{4}-(0[1-9]|1[0-2])$' THEN
            RAISE EXCEPTION 'p_from must be a month YYYY-MM or empty, not %', p_from;
        END IF;
        v_from := (p_from || '-01')::date;
    END IF;
    WITH periods AS (
        SELECT to_char(m - interval '1 month', 'YYYY-MM') AS period
        UNION ALL SELECT to_char(m - interval '2 months', 'YYYY-MM')
        UNION ALL SELECT to_char(qs, 'YYYY') || 'Q' || extract(quarter FROM qs)::int
    ), ledger_counties AS (
        -- the counties of the ledger by skipping along its primary key (no scan of every household)
        WITH RECURSIVE c AS (
            SELECT min(county_code)::text AS cc FROM ledger_households
            UNION ALL
            SELECT (SELECT min(h.county_code)::text FROM ledger_households h WHERE h.county_code > c.cc)
              FROM c WHERE c.cc IS NOT NULL
        ) SELECT cc FROM c WHERE cc IS NOT NULL
    ), counties AS (
        SELECT DISTINCT county_code::text FROM departments
        UNION SELECT cc FROM ledger_counties
    ), late AS (
        SELECT u.*, p.period, c.county_code
          FROM counties c CROSS JOIN periods p
          CROSS JOIN LATERAL report_deadline_units(c.county_code, p.period, p_today) u
         WHERE u.late
           -- at a prefecture, a federated county's misses are its own events, replicated
           AND NOT EXISTS (SELECT 1 FROM federation_counties f WHERE f.county_code = c.county_code)
    ), late_since AS (
        SELECT * FROM late l
         WHERE v_from IS NULL
            OR CASE WHEN l.period LIKE '%Q%' THEN report_quarter_end(l.period) >= v_from
                    ELSE l.period >= p_from END
    ), ins AS (
        INSERT INTO deadline_misses (deadline, unit_kind, unit_code, period, county_code, due_on, found_on)
        SELECT l.deadline, l.unit_kind, CASE WHEN l.unit_kind = 'department' THEN l.county_code || ':' || l.code
                                             ELSE l.code END,
               l.period, l.county_code, l.due_on, p_today
          FROM late_since l ORDER BY 1, 3, 4
        ON CONFLICT DO NOTHING
        RETURNING deadline, unit_kind, unit_code, period, county_code, due_on
    )
    SELECT events_write(array_agg(ROW(
               i.county_code, rpad(CASE WHEN i.unit_kind = 'department' THEN i.county_code ELSE i.unit_code END, 12, '0'),
               'deadline.missed',
               jsonb_build_object('deadline', i.deadline, 'unit_kind', i.unit_kind,
                                  'unit', CASE WHEN i.unit_kind = 'department' THEN split_part(i.unit_code, ':', 2)
                                               ELSE i.unit_code END,
                                  'period', i.period, 'due_on', i.due_on::text))::event_new
             ORDER BY i.deadline, i.unit_code))
      INTO n
      FROM ins i;
    RETURN n;
END $$;

-- The scan with no limit.
CREATE OR REPLACE FUNCTION report_deadline_scan(p_today date) RETURNS integer
LANGUAGE sql AS $$ SELECT report_deadline_scan(p_today, '') $$;
