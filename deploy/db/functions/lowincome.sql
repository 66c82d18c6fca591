-- The rural low-income population (docs/lowincome.md, migration 032): the county's mode, the
-- categories' parameters, a household's memberships and their changes, civil affairs' leads in
-- the unified mode, and the households screening sends to civil affairs. The rules that decide
-- are in C (domain/lowincome.c); these functions read and write.

-- The county's mode on a date: the row with the greatest effective_from <= p_on, else 'separate'.
CREATE OR REPLACE FUNCTION fp_mode(p_county text, p_on date) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT m.mode FROM fangpin_modes m
                      WHERE m.county_code = left(p_county, 6) AND m.effective_from <= p_on
                      ORDER BY m.effective_from DESC LIMIT 1), 'separate')
$$;

-- A category parameter in force for region p_region (a village, township or county code) on
-- p_on: the county's row before the province's before the national one ('00'), the latest
-- effective_from <= p_on of that region; NULL when none.
CREATE OR REPLACE FUNCTION lowincome_param(p_name text, p_region text, p_on date) RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT value FROM lowincome_params
     WHERE name = p_name AND region_code IN (left(p_region, 6), left(p_region, 2), '00') AND effective_from <= p_on
     ORDER BY length(region_code) DESC, (region_code = '00'), effective_from DESC
     LIMIT 1
$$;

-- The households of a county in a monitoring kind now, as categories (nothing re-identified):
-- the kind its latest identified verification case gave it while the case's plan is not
-- eliminated (since the plan's identification day, by 'case:<id>'), else the ledger's
-- monitored_kind as imported (no date, by 'ledger').
CREATE OR REPLACE FUNCTION lowincome_monitoring(p_county text)
RETURNS TABLE (household_no text, category text, since date, decided_by text)
LANGUAGE sql STABLE AS $$
    SELECT y.household_no, y.category, y.since, y.decided_by FROM (
    SELECT DISTINCT ON (x.household_no) x.household_no, x.category, x.since, x.decided_by, x.ended
      FROM (SELECT c.household_no::text AS household_no, c.kind AS category,
                   coalesce(p.identified_on, c.step_since, c.updated_at::date) AS since, 'case:' || c.id AS decided_by,
                   p.elim_state = 'eliminated' AS ended, 1 AS src, c.id AS ord
              FROM cases c LEFT JOIN plans p ON p.county_code = c.county_code AND p.case_id = c.id
             WHERE c.county_code = p_county AND c.state = 'identified' AND c.kind IS NOT NULL
            UNION ALL
            SELECT h.household_no::text, h.monitored_kind, NULL::date, 'ledger', false, 2, 0
              FROM ledger_households h WHERE h.county_code = p_county AND h.monitored_kind IS NOT NULL) x
     ORDER BY x.household_no, x.src, x.ord DESC) y
     WHERE NOT coalesce(y.ended, false)
$$;

-- A household's monitoring kinds as category changes (nothing copied, nothing re-identified): an
-- 'enter' on the day each verification case identified it (by 'case:<id>', the rural
-- revitalisation bureau), a 'leave' on the day its plan's risk was eliminated (by 'plan:<id>').
CREATE OR REPLACE FUNCTION lowincome_monitoring_history(p_county text, p_household text)
RETURNS TABLE (category text, change text, on_date date, actor text, department text, reason text, ord bigint)
LANGUAGE sql STABLE AS $$
    SELECT c.kind, 'enter', coalesce(p.identified_on, c.step_since, c.updated_at::date), 'case:' || c.id, 'xiangcun',
           '核实识别纳入监测', c.id
      FROM cases c LEFT JOIN plans p ON p.county_code = c.county_code AND p.case_id = c.id
     WHERE c.county_code = p_county AND c.household_no = p_household AND c.state = 'identified' AND c.kind IS NOT NULL
    UNION ALL
    SELECT c.kind, 'leave', p.eliminated_on, 'plan:' || p.id, 'xiangcun', '风险消除', c.id
      FROM plans p JOIN cases c ON c.county_code = p.county_code AND c.id = p.case_id
     WHERE p.county_code = p_county AND p.household_no = p_household AND p.elim_state = 'eliminated'
       AND c.kind IS NOT NULL
$$;

-- What a change of category needs to be judged (domain/lowincome.c): whether the category
-- exists and its authority, whether the household is in the county's ledger (its village),
-- whether the county is unified on the date, whether the household is in the category now, and
-- whether this request id was already applied. Two changes of one household and category at
-- once: the second hits household_categories' key (or the history's request id) and is refused.
CREATE OR REPLACE FUNCTION lowincome_state(p_county text, p_household text, p_category text, p_on date,
                                           p_request_id text)
RETURNS TABLE (known boolean, authority text, household boolean, village_code text, unified boolean,
               member boolean, seen boolean)
LANGUAGE sql AS $$
    SELECT c.code IS NOT NULL, coalesce(c.authority, ''), h.household_no IS NOT NULL,
           coalesce(h.village_code, ''), fp_mode(p_county, p_on) = 'unified',
           EXISTS (SELECT 1 FROM household_categories m WHERE m.county_code = p_county
                    AND m.household_no = p_household AND m.category = p_category),
           EXISTS (SELECT 1 FROM household_category_history x WHERE x.county_code = p_county
                    AND x.request_id = p_request_id)
      FROM (SELECT 1) one
      LEFT JOIN lowincome_categories c ON c.code = p_category
      LEFT JOIN ledger_households h ON h.county_code = p_county AND h.household_no = p_household
$$;

-- Records one change (already judged): the membership, its history row, its event, and on
-- entering confirms an open referral of that household and category. Returns the history
-- row's id.
CREATE OR REPLACE FUNCTION lowincome_change(p_county text, p_household text, p_village text, p_category text,
                                            p_enter boolean, p_on date, p_actor text, p_department text,
                                            p_reason text, p_request_id text)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    hid bigint;
BEGIN
    IF p_enter THEN
        INSERT INTO household_categories (county_code, household_no, category, since, decided_by)
        VALUES (p_county, p_household, p_category, p_on, p_actor);
    ELSE
        DELETE FROM household_categories
         WHERE county_code = p_county AND household_no = p_household AND category = p_category;
    END IF;
    INSERT INTO household_category_history (county_code, household_no, category, change, on_date, actor,
                                            department, reason, request_id)
    VALUES (p_county, p_household, p_category, CASE WHEN p_enter THEN 'enter' ELSE 'leave' END, p_on, p_actor,
            p_department, p_reason, nullif(p_request_id, ''))
    RETURNING id INTO hid;
    UPDATE lowincome_referrals SET status = 'confirmed', closed_by = p_actor, closed_on = p_on
     WHERE county_code = p_county AND household_no = p_household AND category = p_category AND status = 'open'
       AND p_enter;
    PERFORM events_write(ARRAY[ROW(p_county, p_village,
                                   CASE WHEN p_enter THEN 'category.entered' ELSE 'category.left' END,
                                   jsonb_build_object('household_no', p_household, 'category', p_category,
                                                      'on', to_char(p_on, 'YYYY-MM-DD'), 'by', p_actor))::event_new]);
    RETURN hid;
END $$;

-- Civil affairs' leads in the unified mode (called by screen_match on its batch's stage): on
-- the lead's date, 新纳入低保 enters the household into 低保, 新纳入特困供养 into 特困, and 退出低保
-- takes it out of 低保 (by 'lead:<id>', department minzheng). A household already in (or not
-- in) the category is left alone; a county in the separate mode on that date is untouched.
-- 临时救助 is relief, not a category: it stays a lead for the case as before.
CREATE OR REPLACE FUNCTION lowincome_from_leads() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    n integer := 0;
BEGIN
    FOR r IN
        SELECT s.county_code, s.household_no, s.hh_village, s.lead_id, s.occurred_on, k.category, k.enter
          FROM screen_stage s
          JOIN (VALUES ('minzheng.dibao_new', 'dibao', true), ('minzheng.tekun_new', 'tekun', true),
                       ('minzheng.dibao_exit', 'dibao', false)) AS k(kind, category, enter) ON k.kind = s.kind
         -- the kinds first (a cheap filter on the stage rows), the county's mode only for those
         WHERE s.household_no IS NOT NULL
           AND s.kind IN ('minzheng.dibao_new', 'minzheng.tekun_new', 'minzheng.dibao_exit')
           AND fp_mode(s.county_code, s.occurred_on) = 'unified'
         ORDER BY s.county_code, s.occurred_on, s.lead_id
    LOOP
        IF r.enter = EXISTS (SELECT 1 FROM household_categories m WHERE m.county_code = r.county_code
                              AND m.household_no = r.household_no AND m.category = r.category) THEN
            CONTINUE;
        END IF;
        PERFORM lowincome_change(r.county_code, r.household_no, r.hh_village, r.category, r.enter, r.occurred_on,
                                 concat('lead:', r.lead_id), 'minzheng',
                                 CASE WHEN r.enter THEN '民政部门报送：新纳入' ELSE '民政部门报送：退出低保' END,
                                 concat('lead:', r.lead_id));
        n := n + 1;
    END LOOP;
    RETURN n;
END $$;

-- The household's income and expense record in force for a case (one visit, one method): its
-- latest record visited on or after the first day of the quarter the case was opened in.
CREATE OR REPLACE FUNCTION lowincome_visit_of(p_county text, p_household text, p_opened date)
RETURNS SETOF household_visits
LANGUAGE sql STABLE AS $$
    SELECT * FROM household_visits v
     WHERE v.county_code = p_county AND v.household_no = p_household
       AND v.visited_on >= date_trunc('quarter', p_opened)::date
     ORDER BY v.visited_on DESC, v.id DESC LIMIT 1
$$;

-- The facts and parameters of the cases of a batch (screen_store_decisions' JSON) whose county
-- is unified on the case's date, for the low-income rules in C (services/screening/refer.c):
-- per-capita and household net income and rigid spending (the case's decision), the household's
-- categories now, the parameters in force for its village on that date (fen), and the quarter's
-- visit record when there is one (its figures replace the case's: lowincome_visit_facts()).
CREATE OR REPLACE FUNCTION lowincome_candidates(p jsonb)
RETURNS TABLE (case_id bigint, per_capita_fen bigint, net_fen bigint, rigid_fen bigint, in_dibao boolean,
               in_tekun boolean, in_edge boolean, in_rigid boolean, standard_fen bigint, multiple_pct integer,
               disposable_fen bigint, visit_id bigint, v_per_capita_fen bigint, v_net_fen bigint,
               v_medical_fen bigint, v_education_fen bigint, v_other_rigid_fen bigint)
LANGUAGE sql STABLE AS $$
    SELECT c.id, (c.decision->>'per_capita_net_fen')::bigint, (c.decision->>'net_fen')::bigint,
           coalesce((c.decision->>'rigid_fen')::bigint, 0),
           bool_or(m.category = 'dibao'), bool_or(m.category = 'tekun'), bool_or(m.category = 'dibao_edge'),
           bool_or(m.category = 'rigid_spending'),
           (lowincome_param('dibao_standard_yuan', c.village_code, c.opened_on) * 100)::bigint,
           lowincome_param('dibao_edge_multiple_pct', c.village_code, c.opened_on)::integer,
           (lowincome_param('disposable_income_yuan', c.village_code, c.opened_on) * 100)::bigint,
           v.id, v.per_capita_fen, v.net_fen, v.medical_fen, v.education_fen, v.other_rigid_fen
      FROM jsonb_to_recordset(p) AS d(id bigint)
      JOIN cases c ON c.id = d.id
      LEFT JOIN LATERAL lowincome_visit_of(c.county_code, c.household_no, c.opened_on) v ON true
      LEFT JOIN household_categories m ON m.county_code = c.county_code AND m.household_no = c.household_no
     WHERE fp_mode(c.county_code, c.opened_on) = 'unified' AND c.decision ? 'net_fen'
     GROUP BY c.county_code, c.id, v.id, v.per_capita_fen, v.net_fen, v.medical_fen, v.education_fen, v.other_rigid_fen
     ORDER BY c.id
$$;

-- What a case's visit finds for its household on p_on: whether its county is unified on that
-- day, the household's size (the case's decision, else its members now), and the household's
-- record of p_on's quarter if it has one (its id and day).
CREATE OR REPLACE FUNCTION lowincome_visit_state(p_case bigint, p_on date)
RETURNS TABLE (unified boolean, members integer, visit_id bigint, visited_on text)
LANGUAGE sql STABLE AS $$
    SELECT fp_mode(c.county_code, p_on) = 'unified',
           coalesce((c.decision->>'members')::int,
                    (SELECT count(*)::int FROM ledger_members lm WHERE lm.county_code = c.county_code
                        AND lm.household_no = c.household_no AND lm.left_on IS NULL)),
           v.id, to_char(v.visited_on, 'YYYY-MM-DD')
      FROM cases c
      LEFT JOIN household_visits v ON v.county_code = c.county_code AND v.household_no = c.household_no
                                  AND v.quarter = to_char(p_on, 'YYYY"Q"Q')
     WHERE c.id = p_case
$$;

-- A case's visit in the unified mode (services/screening/transitions.c, after the case's step is
-- written): the household's record of p_on's quarter serves the case if there is one (a use,
-- reused, and a visit.reused event; the request's own items are not recorded), else the visit's
-- figures (p_figures, made by screen_visit_figures; NULL when the visit gave no items) become the
-- quarter's record (visit.recorded). Returns the record's id and whether it was reused; no row
-- when the county is not unified on p_on or there is nothing to record.
CREATE OR REPLACE FUNCTION lowincome_visit(p_case bigint, p_on date, p_actor text, p_figures jsonb,
                                           p_asked boolean)
RETURNS TABLE (visit_id bigint, reused boolean)
LANGUAGE plpgsql AS $$
DECLARE
    c cases;
    vid bigint;
    q text := to_char(p_on, 'YYYY"Q"Q');
BEGIN
    SELECT * INTO c FROM cases WHERE id = p_case;
    IF NOT FOUND OR fp_mode(c.county_code, p_on) <> 'unified' THEN
        RETURN;
    END IF;
    SELECT v.id INTO vid FROM household_visits v
     WHERE v.county_code = c.county_code AND v.household_no = c.household_no AND v.quarter = q;
    IF vid IS NOT NULL THEN
        INSERT INTO household_visit_uses (county_code, visit_id, case_id, used_on, actor, reused, asked_items)
        VALUES (c.county_code, vid, c.id, p_on, p_actor, true, p_asked) ON CONFLICT DO NOTHING;
        PERFORM events_write(ARRAY[ROW(c.county_code, c.village_code, 'visit.reused',
            jsonb_build_object('visit_id', vid, 'household_no', c.household_no, 'case_id', c.id,
                               'asked_items', p_asked))::event_new]);
        RETURN QUERY SELECT vid, true;
        RETURN;
    END IF;
    IF p_figures IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO household_visits (county_code, household_no, village_code, quarter, visited_on, case_id, actor,
                                  income, expenses, members, net_fen, per_capita_fen, medical_fen, education_fen,
                                  other_rigid_fen)
    VALUES (c.county_code, c.household_no, c.village_code, q, p_on, c.id, p_actor, p_figures->'income',
            p_figures->'expenses', (p_figures->>'members')::int, (p_figures->>'net_fen')::bigint,
            (p_figures->>'per_capita_fen')::bigint, (p_figures->>'medical_fen')::bigint,
            (p_figures->>'education_fen')::bigint, (p_figures->>'other_rigid_fen')::bigint)
    RETURNING id INTO vid;
    INSERT INTO household_visit_uses (county_code, visit_id, case_id, used_on, actor, reused)
    VALUES (c.county_code, vid, c.id, p_on, p_actor, false);
    PERFORM events_write(ARRAY[ROW(c.county_code, c.village_code, 'visit.recorded',
        jsonb_build_object('visit_id', vid, 'household_no', c.household_no, 'case_id', c.id,
                           'quarter', q))::event_new]);
    RETURN QUERY SELECT vid, false;
END $$;

-- Civil affairs declines an open referral of its county (services/screening/categories.c): the
-- referral closes as 'declined' with who, when and why, and a lowincome.declined event. Returns
-- 'ok', 'seen' (this request id already declined it), 'not_found' (no referral of the county has
-- this id) or 'closed' (it is not open).
CREATE OR REPLACE FUNCTION lowincome_decline(p_county text, p_id bigint, p_on date, p_actor text, p_reason text,
                                             p_request_id text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    r lowincome_referrals;
BEGIN
    IF EXISTS (SELECT 1 FROM lowincome_referrals WHERE county_code = p_county AND close_request = p_request_id) THEN
        RETURN 'seen';
    END IF;
    SELECT * INTO r FROM lowincome_referrals WHERE county_code = p_county AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'not_found';
    ELSIF r.status <> 'open' THEN
        RETURN 'closed';
    END IF;
    UPDATE lowincome_referrals SET status = 'declined', closed_by = p_actor, closed_on = p_on,
           close_reason = p_reason, closed_at = now(), close_request = nullif(p_request_id, '')
     WHERE county_code = p_county AND id = p_id;
    PERFORM events_write(ARRAY[ROW(r.county_code, r.village_code, 'lowincome.declined',
        jsonb_build_object('referral_id', r.id, 'household_no', r.household_no, 'category', r.category,
                           'by', p_actor))::event_new]);
    RETURN 'ok';
END $$;

-- Sends the households the rules found (a JSON array of {case_id, category, facts}) to civil
-- affairs: one open referral per household and category (a second finding while one is open
-- adds nothing), each with a lowincome.referred event. Returns how many were opened.
CREATE OR REPLACE FUNCTION lowincome_refer(p jsonb) RETURNS integer
LANGUAGE sql AS $$
    WITH ins AS (
        INSERT INTO lowincome_referrals (county_code, household_no, village_code, category, case_id, found_on, facts)
        SELECT c.county_code, c.household_no, c.village_code, d.category, c.id, c.opened_on, d.facts
          FROM jsonb_to_recordset(p) AS d(case_id bigint, category text, facts jsonb)
          JOIN cases c ON c.id = d.case_id
         ORDER BY c.id, d.category
        ON CONFLICT (county_code, household_no, category) WHERE status = 'open' DO NOTHING
        RETURNING id, county_code, household_no, village_code, category, case_id)
    SELECT coalesce(events_write(ARRAY(
        SELECT ROW(i.county_code, i.village_code, 'lowincome.referred',
                   jsonb_build_object('referral_id', i.id, 'household_no', i.household_no,
                                      'category', i.category, 'case_id', i.case_id))::event_new
          FROM ins i ORDER BY i.id)), 0)
$$;
