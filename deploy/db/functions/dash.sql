-- The dashboard's numbers (大屏, GET /dash/api/... of the reporting service: services/reporting/
-- dash_api.c, docs/dashboard.md). Every count a report has is read from that report as served
-- (report_get: live before its due day, the frozen snapshot after it), so that the page and the
-- CSV of the same region and period show the same number; what no report counts (open cases by
-- step, plans with plan-check findings) is counted here, once, for the page and its drill-down.

-- The code length one level below p_prefix's (2 -> 4 -> 6 -> 9 -> 12), NULL under a village.
CREATE OR REPLACE FUNCTION dash_child_len(p_prefix text) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE length(p_prefix) WHEN 2 THEN 4 WHEN 4 THEN 6 WHEN 6 THEN 9 WHEN 9 THEN 12 END
$$;

-- The open steps of a case, in order, with the level that must act next (docs/policy.md,
-- "Identification": the rows of S_CASE_TABLE, services/screening/case_machine.c).
CREATE OR REPLACE FUNCTION dash_case_steps() RETURNS TABLE (ord integer, state text, name_zh text, level text, level_zh text)
LANGUAGE sql IMMUTABLE AS $$
    VALUES (1, 'opened', '已立案', 'village', '村级'), (2, 'visited', '已入户核实', 'village', '村级'),
           (3, 'notice_posted', '公示中', 'township', '乡镇'), (4, 'township_reviewed', '乡镇已审核', 'county', '县级'),
           (5, 'county_approved', '县级已审批', 'county', '县级')
$$;

-- Open cases of villages under p_prefix per unit one level down (the village itself under a
-- village) and step: open, and overdue (the step that screening's overdue scan reported is the
-- step the case is still at: overdue_step = state, as fangpin_cases_overdue counts them).
CREATE OR REPLACE FUNCTION dash_case_counts(p_prefix text) RETURNS TABLE (unit text, state text, open bigint, overdue bigint)
LANGUAGE sql STABLE AS $$
    SELECT left(c.village_code, coalesce(dash_child_len(p_prefix), 12)), c.state, count(*),
           count(*) FILTER (WHERE c.overdue_step = c.state)
      FROM cases c
     WHERE c.village_code >= p_prefix AND c.village_code < p_prefix || ':'
       AND (length(p_prefix) < 6 OR c.county_code = left(p_prefix, 6))
       AND c.state NOT IN ('identified', 'closed_not_included')
     GROUP BY 1, 2
$$;

-- Plans of villages under p_prefix whose plan check (services/assistance/plan_check.c, as last run:
-- plans.findings) found something, per unit one level down and per check.
CREATE OR REPLACE FUNCTION dash_plan_findings(p_prefix text) RETURNS TABLE (unit text, check_id text, name_zh text, plans bigint)
LANGUAGE sql STABLE AS $$
    SELECT x.unit, x.check_id, min(x.name_zh), count(DISTINCT (x.county_code, x.id))
      FROM (SELECT left(p.village_code, coalesce(dash_child_len(p_prefix), 12)) AS unit, f->>'id' AS check_id,
                   f->>'zh' AS name_zh, p.county_code, p.id
              FROM plans p CROSS JOIN LATERAL jsonb_array_elements(p.findings) AS f
             WHERE p.village_code >= p_prefix AND p.village_code < p_prefix || ':' AND p.findings <> '[]') x
     GROUP BY GROUPING SETS ((x.unit, x.check_id), (x.unit))
$$;

-- The cases part of the summary: {open, overdue, steps: [{state, name_zh, level, level_zh, open,
-- overdue}], levels: [{level, level_zh, open, overdue}]}.
CREATE OR REPLACE FUNCTION dash_cases(p_prefix text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    WITH c AS (SELECT state, sum(open) AS open, sum(overdue) AS overdue FROM dash_case_counts(p_prefix) GROUP BY 1),
    s AS (SELECT st.*, coalesce(c.open, 0) AS open, coalesce(c.overdue, 0) AS overdue
            FROM dash_case_steps() st LEFT JOIN c ON c.state = st.state)
    SELECT jsonb_build_object(
        'open', (SELECT sum(open) FROM s), 'overdue', (SELECT sum(overdue) FROM s),
        'steps', (SELECT jsonb_agg(jsonb_build_object('state', state, 'name_zh', name_zh, 'level', level,
                                                      'level_zh', level_zh, 'open', open, 'overdue', overdue) ORDER BY ord) FROM s),
        'levels', (SELECT jsonb_agg(jsonb_build_object('level', level, 'level_zh', level_zh, 'open', open,
                                                       'overdue', overdue) ORDER BY o)
                     FROM (SELECT level, level_zh, min(ord) AS o, sum(open) AS open, sum(overdue) AS overdue
                             FROM s GROUP BY 1, 2) l))
$$;

-- The plans part of the summary: {with_findings, checks: [{id, name_zh, plans}]}.
CREATE OR REPLACE FUNCTION dash_plans(p_prefix text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    WITH f AS (SELECT * FROM dash_plan_findings(p_prefix))
    SELECT jsonb_build_object(
        'with_findings', (SELECT count(*) FROM plans p
                           WHERE p.village_code >= p_prefix AND p.village_code < p_prefix || ':' AND p.findings <> '[]'),
        'checks', coalesce((SELECT jsonb_agg(jsonb_build_object('id', check_id, 'name_zh', name_zh, 'plans', n) ORDER BY check_id)
                              FROM (SELECT check_id, min(name_zh) AS name_zh, sum(plans) AS n FROM f
                                     WHERE check_id IS NOT NULL GROUP BY 1) x), '[]'))
$$;

-- The region's name, kind and the path down to it ({code, name} from the province on, itself last).
CREATE OR REPLACE FUNCTION dash_region(p_prefix text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('code', p_prefix, 'name', (SELECT name FROM regions WHERE code = p_prefix),
                              'kind', report_unit_kind(length(p_prefix)),
                              'child_kind', report_unit_kind(dash_child_len(p_prefix)),
                              'path', (SELECT jsonb_agg(jsonb_build_object('code', r.code, 'name', r.name) ORDER BY length(r.code))
                                         FROM regions r WHERE r.code IN (left(p_prefix, 2), left(p_prefix, 4), left(p_prefix, 6),
                                                                         left(p_prefix, 9), p_prefix)))
$$;

-- A served report in the summary's form: {report, period, frozen, deadline, total: its 合计 row,
-- rows: its rows of kind p_kind (NULL: none)}.
CREATE OR REPLACE FUNCTION dash_report(p_report text, p_prefix text, p_period text, p_today date, p_kind text DEFAULT NULL)
RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('report', p_report, 'period', p_period, 'frozen', g.frozen, 'deadline', g.deadline,
                              'total', (SELECT e FROM jsonb_array_elements(g.content) e WHERE e->>'kind' = 'total'),
                              'rows', coalesce((SELECT jsonb_agg(e) FROM jsonb_array_elements(g.content) e
                                                 WHERE e->>'kind' = p_kind), '[]'))
      FROM report_get(p_report, p_prefix, p_period, p_today) g
$$;

-- The dashboard's summary of region p_prefix on p_today: the quarterly scale report of p_quarter
-- (monitored households and people by kind, by risk type, eliminations of the quarter), the
-- monthly lead report of p_month (its departments' rows: what each pushed), when p_deadlines the
-- deadlines report of p_month (who is late), the elimination report of p_quarter, open cases and
-- plans with findings. NULL when p_prefix names no region.
CREATE OR REPLACE FUNCTION dash_summary(p_prefix text, p_month text, p_quarter text, p_today date, p_deadlines boolean)
RETURNS jsonb LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    v_scale jsonb := dash_report('scale_quarterly', p_prefix, p_quarter, p_today);
BEGIN
    IF v_scale IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN jsonb_build_object(
        'region', dash_region(p_prefix), 'month', p_month, 'quarter', p_quarter, 'today', p_today::text,
        'scale', v_scale,
        'risks', (SELECT jsonb_agg(jsonb_build_object('code', t.code, 'name_zh', t.name_zh,
                                                      'hh', v_scale->'total'->('risk_' || t.code || '_hh')) ORDER BY t.ord)
                    FROM risk_types t),
        'leads', dash_report('lead_verification_monthly', p_prefix, p_month, p_today, 'department'),
        'late', CASE WHEN p_deadlines THEN dash_report('deadlines', p_prefix, p_month, p_today, 'department') END,
        'elimination', dash_report('elimination_quarterly', p_prefix, p_quarter, p_today),
        'cases', dash_cases(p_prefix), 'plans', dash_plans(p_prefix));
END $$;

-- The units one level below p_prefix for the drill-down, in code order: {code, name, kind}, the
-- scale report's numbers of p_quarter (its row of the unit), the lead report's of p_month where it
-- has a row for the unit (townships), open and overdue cases, plans with findings. '[]' under a
-- village; NULL when p_prefix names no region.
CREATE OR REPLACE FUNCTION dash_children(p_prefix text, p_month text, p_quarter text, p_today date)
RETURNS jsonb LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    v_kind text := report_unit_kind(dash_child_len(p_prefix));
    v_scale jsonb := dash_report('scale_quarterly', p_prefix, p_quarter, p_today, v_kind);
    v_leads jsonb := dash_report('lead_verification_monthly', p_prefix, p_month, p_today, v_kind);
BEGIN
    IF v_scale IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN (
WITH s AS (SELECT e FROM jsonb_array_elements(v_scale->'rows') e WHERE length(e->>'code') = dash_child_len(p_prefix)),
l AS (SELECT e FROM jsonb_array_elements(coalesce(v_leads->'rows', '[]')) e),
c AS (SELECT unit, sum(open) AS open, sum(overdue) AS overdue FROM dash_case_counts(p_prefix) GROUP BY 1),
f AS (SELECT unit, plans FROM dash_plan_findings(p_prefix) WHERE check_id IS NULL)
SELECT coalesce(jsonb_agg(s.e - 'label' || jsonb_build_object('name', r.name,
                              'received', l.e->'received', 'overdue_leads', l.e->'overdue',
                              'open_cases', coalesce(c.open, 0), 'overdue_cases', coalesce(c.overdue, 0),
                              'plans_with_findings', coalesce(f.plans, 0))
                          ORDER BY s.e->>'code' COLLATE "C"), '[]')
  FROM s JOIN regions r ON r.code = s.e->>'code'
  LEFT JOIN l ON l.e->>'code' = s.e->>'code'
  LEFT JOIN c ON c.unit = s.e->>'code'
  LEFT JOIN f ON f.unit = s.e->>'code'
    );
END $$;
