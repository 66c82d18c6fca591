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
         WHERE s.household_no IS NOT NULL AND fp_mode(s.county_code, s.occurred_on) = 'unified'
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

-- The facts and parameters of the cases of a batch (screen_store_decisions' JSON) whose county
-- is unified on the case's date, for the low-income rules in C (services/screening/refer.c):
-- per-capita and household net income and rigid spending (the case's decision), the household's
-- categories now, and the parameters in force for its village on that date (fen).
CREATE OR REPLACE FUNCTION lowincome_candidates(p jsonb)
RETURNS TABLE (case_id bigint, per_capita_fen bigint, net_fen bigint, rigid_fen bigint, in_dibao boolean,
               in_tekun boolean, in_edge boolean, in_rigid boolean, standard_fen bigint, multiple_pct integer,
               disposable_fen bigint)
LANGUAGE sql STABLE AS $$
    SELECT c.id, (c.decision->>'per_capita_net_fen')::bigint, (c.decision->>'net_fen')::bigint,
           coalesce((c.decision->>'rigid_fen')::bigint, 0),
           bool_or(m.category = 'dibao'), bool_or(m.category = 'tekun'), bool_or(m.category = 'dibao_edge'),
           bool_or(m.category = 'rigid_spending'),
           (lowincome_param('dibao_standard_yuan', c.village_code, c.opened_on) * 100)::bigint,
           lowincome_param('dibao_edge_multiple_pct', c.village_code, c.opened_on)::integer,
           (lowincome_param('disposable_income_yuan', c.village_code, c.opened_on) * 100)::bigint
      FROM jsonb_to_recordset(p) AS d(id bigint)
      JOIN cases c ON c.id = d.id
      LEFT JOIN household_categories m ON m.county_code = c.county_code AND m.household_no = c.household_no
     WHERE fp_mode(c.county_code, c.opened_on) = 'unified' AND c.decision ? 'net_fen'
     GROUP BY c.id
     ORDER BY c.id
$$;

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
