/* elimination_test.c: the risk elimination table (services/assistance/elimination.c): every
 * state x event x level against an independent expectation, guards (reason, objection, notice
 * 4 vs 5 days, way, criteria), undo, and each nomination criterion at its boundary (6 months vs
 * 5 months 29 days; income exactly at the line does not count; the whole-household-no-labour rule). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../services/assistance/measures.c"
#include "../../services/assistance/elimination.c"

static int32_t D(int y, int m, int d) { return fp_date_from_civil(y, m, d); }

static const assist_elim_params_t s_p = ASSIST_ELIM_PARAMS_DEFAULT;

static assist_elim_check_t s_passed(void)
{
    assist_elim_check_t c;
    memset(&c, 0, sizeof c);
    c.passed = true;
    for (int i = 0; i < ASSIST_CR_COUNT_; i++) c.c[i].met = true;
    return c;
}

static const assist_elim_check_t s_ok_criteria =
    {true, {{true, ""}, {true, ""}, {true, ""}, {true, ""}, {true, ""}, {true, ""}, {true, ""}}};

static assist_elim_event_t s_good(assist_elim_event_kind_t k, assist_level_t lv)
{
    assist_elim_event_t e;
    memset(&e, 0, sizeof e);
    e.kind = k;
    e.level = lv;
    e.text = "理由：核实情况";
    e.criteria = &s_ok_criteria;
    e.way = ASSIST_WAY_BY_ASSISTANCE;
    return e;
}

static assist_elim_t s_in(assist_elim_state_t s)
{
    assist_elim_t e;
    assist_elim_init(&e, D(2026, 3, 2));
    e.state = s;
    if (s == ASSIST_ES_NOTICE_POSTED || s == ASSIST_ES_TOWNSHIP_APPROVED || s == ASSIST_ES_COUNTY_CONFIRMED)
        e.notice_posted_on = D(2026, 3, 3);
    if (s == ASSIST_ES_ELIMINATED) {
        e.way = ASSIST_WAY_NATURAL;
        e.eliminated_on = D(2026, 3, 3);
    }
    e.step_since = D(2026, 3, 3);
    return e;
}

/* Independent expectation: target state or -1. */
static int s_expect(assist_elim_state_t s, assist_elim_event_kind_t e, assist_level_t l)
{
    bool V = l == ASSIST_LV_VILLAGE, T = l == ASSIST_LV_TOWNSHIP, C = l == ASSIST_LV_COUNTY;
    switch (s) {
    case ASSIST_ES_MONITORED: return (e == ASSIST_EE_NOMINATE && V) ? ASSIST_ES_NOMINATED : -1;
    case ASSIST_ES_NOMINATED:
        if (e == ASSIST_EE_POST_NOTICE && V) return ASSIST_ES_NOTICE_POSTED;
        if (e == ASSIST_EE_REFUSE && (V || T)) return ASSIST_ES_MONITORED;
        return -1;
    case ASSIST_ES_NOTICE_POSTED:
        if (e == ASSIST_EE_OBJECTION && V) return ASSIST_ES_NOTICE_POSTED;
        if (e == ASSIST_EE_APPROVE && T) return ASSIST_ES_TOWNSHIP_APPROVED;
        if (e == ASSIST_EE_RETURN && T) return ASSIST_ES_NOMINATED;
        if (e == ASSIST_EE_REFUSE && T) return ASSIST_ES_MONITORED;
        return -1;
    case ASSIST_ES_TOWNSHIP_APPROVED:
        if (!C) return -1;
        if (e == ASSIST_EE_CONFIRM) return ASSIST_ES_COUNTY_CONFIRMED;
        if (e == ASSIST_EE_RETURN) return ASSIST_ES_NOTICE_POSTED;
        if (e == ASSIST_EE_REFUSE) return ASSIST_ES_MONITORED;
        return -1;
    case ASSIST_ES_COUNTY_CONFIRMED:
        if (!C) return -1;
        if (e == ASSIST_EE_ANNOUNCE) return ASSIST_ES_ELIMINATED;
        if (e == ASSIST_EE_RETURN) return ASSIST_ES_TOWNSHIP_APPROVED;
        if (e == ASSIST_EE_REFUSE) return ASSIST_ES_MONITORED;
        return -1;
    case ASSIST_ES_ELIMINATED: return (e == ASSIST_EE_UNDO && C) ? ASSIST_ES_MONITORED : -1;
    default: return -1;
    }
}

static void test_every_transition(void **st)
{
    (void)st;
    int legal = 0;
    for (int s = 0; s < ASSIST_ES_COUNT_; s++)
        for (int e = 0; e < ASSIST_EE_COUNT_; e++) {
            bool any_level = false;
            for (int l = 0; l < ASSIST_LV_COUNT_; l++)
                if (s_expect((assist_elim_state_t)s, (assist_elim_event_kind_t)e, (assist_level_t)l) >= 0)
                    any_level = true;
            for (int l = 0; l < ASSIST_LV_COUNT_; l++) {
                assist_elim_t in = s_in((assist_elim_state_t)s), out;
                memset(&out, 0xAB, sizeof out);
                assist_elim_t before = out;
                assist_elim_event_t ev = s_good((assist_elim_event_kind_t)e, (assist_level_t)l);
                const char *why = "unset";
                int exp = s_expect((assist_elim_state_t)s, (assist_elim_event_kind_t)e, (assist_level_t)l);
                int got = assist_elim_apply(&in, &ev, D(2026, 4, 1), &s_p, &out, &why);
                if (got != exp)
                    fail_msg("%s x %s x %s: got %d want %d (%s)", assist_elim_state_code(s), assist_elim_event_code(e),
                             assist_level_code(l), got, exp, why ? why : "-");
                if (exp >= 0) {
                    legal++;
                    assert_null(why);
                    assert_int_equal(out.state, exp);
                } else {
                    assert_string_equal(why, any_level ? "elim.level_not_allowed" : "elim.event_not_allowed");
                    assert_memory_equal(&out, &before, sizeof out);
                }
            }
        }
    assert_int_equal(legal, (int)assist_elim_table_count);
    assert_int_equal(legal, 15);
}

static void test_full_run_and_undo(void **st)
{
    (void)st;
    assist_elim_t e;
    assist_elim_init(&e, D(2026, 1, 5));
    const char *why = NULL;
    assist_elim_event_t ev = s_good(ASSIST_EE_NOMINATE, ASSIST_LV_VILLAGE);
    assert_int_equal(assist_elim_apply(&e, &ev, D(2026, 7, 6), &s_p, &e, &why), ASSIST_ES_NOMINATED);
    ev = s_good(ASSIST_EE_POST_NOTICE, ASSIST_LV_VILLAGE);
    assert_int_equal(assist_elim_apply(&e, &ev, D(2026, 7, 7), &s_p, &e, &why), ASSIST_ES_NOTICE_POSTED);
    assert_int_equal(e.notice_posted_on, D(2026, 7, 7));
    ev = s_good(ASSIST_EE_OBJECTION, ASSIST_LV_VILLAGE);
    ev.text = "";
    assert_int_equal(assist_elim_apply(&e, &ev, D(2026, 7, 8), &s_p, &e, &why), ASSIST_ELIM_REFUSED);
    assert_string_equal(why, "elim.objection_missing");
    ev.text = "邻居反映收入不稳";
    assert_int_equal(assist_elim_apply(&e, &ev, D(2026, 7, 8), &s_p, &e, &why), ASSIST_ES_NOTICE_POSTED);
    assert_int_equal(e.objections, 1);
    ev = s_good(ASSIST_EE_APPROVE, ASSIST_LV_TOWNSHIP);
    assert_int_equal(assist_elim_apply(&e, &ev, D(2026, 7, 11), &s_p, &e, &why), ASSIST_ELIM_REFUSED);
    assert_string_equal(why, "elim.notice_too_early"); /* 4 days */
    assert_int_equal(assist_elim_apply(&e, &ev, D(2026, 7, 12), &s_p, &e, &why), ASSIST_ES_TOWNSHIP_APPROVED);
    ev = s_good(ASSIST_EE_CONFIRM, ASSIST_LV_COUNTY);
    assert_int_equal(assist_elim_apply(&e, &ev, D(2026, 7, 13), &s_p, &e, &why), ASSIST_ES_COUNTY_CONFIRMED);
    ev = s_good(ASSIST_EE_ANNOUNCE, ASSIST_LV_COUNTY);
    ev.way = ASSIST_WAY_NONE;
    assert_int_equal(assist_elim_apply(&e, &ev, D(2026, 7, 14), &s_p, &e, &why), ASSIST_ELIM_REFUSED);
    assert_string_equal(why, "elim.way_missing");
    ev.way = ASSIST_WAY_NATURAL;
    assert_int_equal(assist_elim_apply(&e, &ev, D(2026, 7, 14), &s_p, &e, &why), ASSIST_ES_ELIMINATED);
    assert_int_equal(e.way, ASSIST_WAY_NATURAL);
    assert_int_equal(e.eliminated_on, D(2026, 7, 14));
    assert_string_equal(e.last_action, "on_announce");
    ev = s_good(ASSIST_EE_UNDO, ASSIST_LV_COUNTY);
    ev.text = "  ";
    assert_int_equal(assist_elim_apply(&e, &ev, D(2026, 9, 1), &s_p, &e, &why), ASSIST_ELIM_REFUSED);
    assert_string_equal(why, "elim.reason_missing");
    ev.text = "因病返贫风险再现";
    assert_int_equal(assist_elim_apply(&e, &ev, D(2026, 7, 13), &s_p, &e, &why), ASSIST_ELIM_REFUSED);
    assert_string_equal(why, "elim.date_before_step");
    assert_int_equal(assist_elim_apply(&e, &ev, D(2026, 9, 1), &s_p, &e, &why), ASSIST_ES_MONITORED);
    assert_int_equal(e.undos, 1);
    assert_int_equal(e.way, ASSIST_WAY_NONE);
    assert_int_equal(e.eliminated_on, ASSIST_ELIM_NO_DATE);
    assert_int_equal(e.notice_posted_on, ASSIST_ELIM_NO_DATE);
}

static void test_guards(void **st)
{
    (void)st;
    const char *why = NULL;
    assist_elim_t in = s_in(ASSIST_ES_MONITORED), out;
    assist_elim_event_t ev = s_good(ASSIST_EE_NOMINATE, ASSIST_LV_VILLAGE);
    ev.criteria = NULL;
    assert_int_equal(assist_elim_apply(&in, &ev, D(2026, 4, 1), &s_p, &out, &why), ASSIST_ELIM_REFUSED);
    assert_string_equal(why, "elim.criteria_missing");
    assist_elim_check_t c = s_passed();
    c.c[ASSIST_CR_SIX_MONTHS].met = false;
    c.passed = false;
    ev.criteria = &c;
    assert_int_equal(assist_elim_apply(&in, &ev, D(2026, 4, 1), &s_p, &out, &why), ASSIST_ELIM_REFUSED);
    assert_string_equal(why, "elim.criteria_not_met");
    c = s_passed();
    c.c[ASSIST_CR_HAS_LABOUR].met = false;
    c.passed = false;
    assert_int_equal(assist_elim_apply(&in, &ev, D(2026, 4, 1), &s_p, &out, &why), ASSIST_ELIM_REFUSED);
    assert_string_equal(why, "elim.backstop_household");
    /* every guard-less-than-perfect RETURN/REFUSE needs a reason */
    assist_elim_state_t states[] = {ASSIST_ES_NOMINATED, ASSIST_ES_NOTICE_POSTED, ASSIST_ES_TOWNSHIP_APPROVED,
                                    ASSIST_ES_COUNTY_CONFIRMED};
    for (size_t i = 0; i < 4; i++) {
        in = s_in(states[i]);
        ev = s_good(ASSIST_EE_REFUSE,
                    states[i] == ASSIST_ES_NOMINATED || states[i] == ASSIST_ES_NOTICE_POSTED ? ASSIST_LV_TOWNSHIP
                                                                                             : ASSIST_LV_COUNTY);
        ev.text = NULL;
        assert_int_equal(assist_elim_apply(&in, &ev, D(2026, 4, 1), &s_p, &out, &why), ASSIST_ELIM_REFUSED);
        assert_string_equal(why, "elim.reason_missing");
        ev.text = "不符合";
        assert_int_equal(assist_elim_apply(&in, &ev, D(2026, 4, 1), &s_p, &out, &why), ASSIST_ES_MONITORED);
        assert_int_equal(out.refusals, 1);
        assert_int_equal(out.notice_posted_on, ASSIST_ELIM_NO_DATE);
    }
    in = s_in(ASSIST_ES_NOTICE_POSTED);
    ev = s_good(ASSIST_EE_RETURN, ASSIST_LV_TOWNSHIP);
    assert_int_equal(assist_elim_apply(&in, &ev, D(2026, 4, 1), &s_p, &out, &why), ASSIST_ES_NOMINATED);
    assert_int_equal(out.returns, 1);
    assert_int_equal(out.notice_posted_on, ASSIST_ELIM_NO_DATE);
    ev = s_good(ASSIST_EE_APPROVE, ASSIST_LV_TOWNSHIP);
    in.notice_posted_on = ASSIST_ELIM_NO_DATE;
    assert_int_equal(assist_elim_apply(&in, &ev, D(2026, 4, 1), &s_p, &out, &why), ASSIST_ELIM_REFUSED);
    assert_string_equal(why, "elim.notice_too_early");
    /* bad requests */
    assist_elim_params_t bad = s_p;
    bad.notice_days = 0;
    assert_int_equal(assist_elim_apply(&in, &ev, D(2026, 4, 1), &bad, &out, &why), ASSIST_ELIM_REFUSED);
    assert_string_equal(why, "elim.bad_request");
    assert_int_equal(assist_elim_apply(NULL, &ev, D(2026, 4, 1), &s_p, &out, &why), ASSIST_ELIM_REFUSED);
    ev.kind = ASSIST_EE_COUNT_;
    assert_int_equal(assist_elim_apply(&in, &ev, D(2026, 4, 1), &s_p, &out, NULL), ASSIST_ELIM_REFUSED);
    /* every reason code used by the table is in the catalog */
    const char *codes[] = {"elim.bad_request",        "elim.event_not_allowed", "elim.level_not_allowed",
                           "elim.date_before_step",   "elim.criteria_missing",  "elim.criteria_not_met",
                           "elim.backstop_household", "elim.reason_missing",    "elim.objection_missing",
                           "elim.notice_too_early",   "elim.way_missing"};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        assert_non_null(assist_reason_in(assist_elim_reasons, codes[i]));
    for (int i = 0; i < ASSIST_CR_COUNT_; i++)
        assert_non_null(assist_reason_in(assist_elim_reasons, assist_criteria[i].fail_code));
}

/* Facts meeting every criterion: identified 2026-01-15, 6 months above a 6600-yuan line. */
static int64_t s_income[8];
static assist_elim_facts_t s_facts(void)
{
    for (int i = 0; i < 8; i++) s_income[i] = 700000;
    s_income[0] = 500000;
    s_income[1] = 500000;
    assist_elim_facts_t f;
    memset(&f, 0, sizeof f);
    f.line = 660000;
    f.income_by_month = s_income;
    f.n_months = 8;
    f.rigid_costs_resolved = f.guarantees_hold = f.water_holds = true;
    f.identified_on = D(2026, 1, 15);
    f.measures_delivered = 1;
    f.members = 3;
    f.members_with_labour = 1;
    return f;
}

static void test_criteria(void **st)
{
    (void)st;
    assist_elim_check_t r;
    assist_elim_facts_t f = s_facts();
    assert_int_equal(assist_elim_criteria(&f, &s_p, D(2026, 7, 15), &r), FP_OK);
    assert_true(r.passed);
    assert_string_equal(r.c[ASSIST_CR_INCOME_STABLE].seen, "months_above=6 need=6 line=660000");
    assert_string_equal(r.c[ASSIST_CR_SIX_MONTHS].seen, "months=6 need=6");
    /* 5 months 29 days */
    assert_int_equal(assist_elim_criteria(&f, &s_p, D(2026, 7, 14), &r), FP_OK);
    assert_false(r.passed);
    assert_false(r.c[ASSIST_CR_SIX_MONTHS].met);
    for (int i = 0; i < ASSIST_CR_COUNT_; i++)
        if (i != ASSIST_CR_SIX_MONTHS) assert_true(r.c[i].met);
}

static void test_criteria_boundaries(void **st)
{
    (void)st;
    assist_elim_check_t r;
    assist_elim_facts_t f = s_facts();
    s_income[2] = 660000; /* months 3..7 above (5 months), month 2 exactly at the line */
    assert_int_equal(assist_elim_criteria(&f, &s_p, D(2026, 7, 15), &r), FP_OK);
    assert_false(r.c[ASSIST_CR_INCOME_STABLE].met);
    assert_false(r.passed);
    assert_string_equal(r.c[ASSIST_CR_INCOME_STABLE].seen, "months_above=5 need=6 line=660000");
    s_income[2] = 660001; /* one fen above */
    assert_int_equal(assist_elim_criteria(&f, &s_p, D(2026, 7, 15), &r), FP_OK);
    assert_true(r.c[ASSIST_CR_INCOME_STABLE].met);
    s_income[7] = 100; /* the latest month fell: run 0 */
    assert_int_equal(assist_elim_criteria(&f, &s_p, D(2026, 7, 15), &r), FP_OK);
    assert_string_equal(r.c[ASSIST_CR_INCOME_STABLE].seen, "months_above=0 need=6 line=660000");
    f = s_facts();
    f.n_months = 0;
    assert_int_equal(assist_elim_criteria(&f, &s_p, D(2026, 7, 15), &r), FP_OK);
    assert_false(r.c[ASSIST_CR_INCOME_STABLE].met);
    /* each bool criterion alone */
    for (int k = 0; k < 5; k++) {
        f = s_facts();
        int crit;
        switch (k) {
        case 0:
            f.rigid_costs_resolved = false;
            crit = ASSIST_CR_RIGID_RESOLVED;
            break;
        case 1:
            f.guarantees_hold = false;
            crit = ASSIST_CR_GUARANTEES;
            break;
        case 2:
            f.water_holds = false;
            crit = ASSIST_CR_WATER;
            break;
        case 3:
            f.measures_delivered = 0;
            crit = ASSIST_CR_MEASURE_DELIVERED;
            break;
        default:
            f.members_with_labour = 0;
            crit = ASSIST_CR_HAS_LABOUR;
            break;
        }
        assert_int_equal(assist_elim_criteria(&f, &s_p, D(2026, 7, 15), &r), FP_OK);
        assert_false(r.passed);
        for (int i = 0; i < ASSIST_CR_COUNT_; i++) assert_int_equal(r.c[i].met, i != crit);
    }
    /* the no-labour household is refused with the policy's reason at nomination */
    assist_elim_t e, out;
    assist_elim_init(&e, D(2026, 1, 15));
    assist_elim_event_t ev = s_good(ASSIST_EE_NOMINATE, ASSIST_LV_VILLAGE);
    ev.criteria = &r;
    const char *why = NULL;
    assert_int_equal(assist_elim_apply(&e, &ev, D(2026, 7, 15), &s_p, &out, &why), ASSIST_ELIM_REFUSED);
    assert_string_equal(why, "elim.backstop_household");
    /* parameters and bounds */
    f = s_facts();
    assist_elim_params_t p = s_p;
    p.stable_months = 5;
    s_income[2] = 660000;
    assert_int_equal(assist_elim_criteria(&f, &p, D(2026, 7, 15), &r), FP_OK);
    assert_true(r.c[ASSIST_CR_INCOME_STABLE].met);
    p.stable_months = 0;
    assert_int_equal(assist_elim_criteria(&f, &p, D(2026, 7, 15), &r), FP_ERANGE);
    f.line = 0;
    assert_int_equal(assist_elim_criteria(&f, &s_p, D(2026, 7, 15), &r), FP_ERANGE);
    f = s_facts();
    f.members_with_labour = 4;
    assert_int_equal(assist_elim_criteria(&f, &s_p, D(2026, 7, 15), &r), FP_ERANGE);
    f = s_facts();
    f.income_by_month = NULL;
    assert_int_equal(assist_elim_criteria(&f, &s_p, D(2026, 7, 15), &r), FP_EINVAL);
    assert_int_equal(assist_elim_criteria(NULL, &s_p, D(2026, 7, 15), &r), FP_EINVAL);
}

static void test_names(void **st)
{
    (void)st;
    assert_string_equal(assist_elim_state_code(ASSIST_ES_ELIMINATED), "eliminated");
    assert_string_equal(assist_elim_state_code(ASSIST_ES_COUNT_), "?");
    assert_string_equal(assist_elim_event_code(ASSIST_EE_UNDO), "undo");
    assert_string_equal(assist_level_code(ASSIST_LV_COUNTY), "county");
    assert_string_equal(assist_way_code(ASSIST_WAY_BY_ASSISTANCE), "by_assistance");
    assert_string_equal(assist_way_code(ASSIST_WAY_COUNT_), "?");
    for (int i = 0; i < ASSIST_CR_COUNT_; i++) {
        char id[8];
        snprintf(id, sizeof id, "E%02d", i + 1);
        assert_string_equal(assist_criteria[i].id, id);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_transition),
        cmocka_unit_test(test_full_run_and_undo),
        cmocka_unit_test(test_guards),
        cmocka_unit_test(test_criteria),
        cmocka_unit_test(test_criteria_boundaries),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
