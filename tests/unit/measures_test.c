/* measures_test.c: the measure categories (services/assistance/measures.c): codes, kinds and
 * run-past-elimination flags, every measure status change legal or refused with its code, the
 * risk type -> category mapping (every pair), and risk codes equal to the screening service's. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../services/assistance/measures.c"
#include "vocab.h" /* domain/vocab.c, linked */

static void test_categories(void **st)
{
    (void)st;
    static const char *const codes[] = {"industry",  "finance",     "employment", "housing",  "water",  "health",
                                        "education", "social_help", "relocation", "backstop", "helper", "risk_fund"};
    assert_int_equal(ASSIST_CAT_COUNT_, 12);
    for (int i = 0; i < ASSIST_CAT_COUNT_; i++) {
        assert_int_equal(assist_categories[i].cat, i);
        assert_string_equal(assist_category_code((assist_category_t)i), codes[i]);
        assist_category_t c = ASSIST_CAT_COUNT_;
        assert_true(assist_category_from_code(codes[i], &c));
        assert_int_equal(c, i);
        bool dev = i == ASSIST_CAT_INDUSTRY || i == ASSIST_CAT_FINANCE || i == ASSIST_CAT_EMPLOYMENT;
        assert_int_equal(assist_categories[i].kind, dev ? ASSIST_KIND_DEVELOPMENT : ASSIST_KIND_BACKSTOP);
        bool past = i == ASSIST_CAT_FINANCE || i == ASSIST_CAT_EMPLOYMENT || i == ASSIST_CAT_EDUCATION;
        assert_int_equal(assist_runs_past_elimination((assist_category_t)i), past);
        assert_non_null(assist_category((assist_category_t)i));
    }
    assert_int_equal(assist_categories[ASSIST_CAT_FINANCE].past, ASSIST_PAST_LOAN_END);
    assert_int_equal(assist_categories[ASSIST_CAT_EMPLOYMENT].past, ASSIST_PAST_AGREEMENT_END);
    assert_int_equal(assist_categories[ASSIST_CAT_EDUCATION].past, ASSIST_PAST_SCHOOL_STAGE_END);
    assert_string_equal(assist_past_code(ASSIST_PAST_SCHOOL_STAGE_END), "school_stage_end");
    assert_string_equal(assist_categories[ASSIST_CAT_BACKSTOP].zh, "综合保障兜底");
    assert_false(assist_category_from_code("nope", NULL));
    assert_false(assist_category_from_code(NULL, NULL));
    assert_null(assist_category(ASSIST_CAT_COUNT_));
    assert_string_equal(assist_category_code((assist_category_t)99), "?");
    assert_false(assist_runs_past_elimination((assist_category_t)-1));
    assert_string_equal(assist_kind_code(ASSIST_KIND_DEVELOPMENT), "development");
    assert_string_equal(assist_kind_code(ASSIST_KIND_BACKSTOP), "backstop");
}

static void test_status_changes(void **st)
{
    (void)st;
    for (int f = 0; f < ASSIST_MS_COUNT_; f++)
        for (int t = 0; t < ASSIST_MS_COUNT_; t++) {
            const char *exp;
            if (f == t) exp = "measure.same_status";
            else if (f == ASSIST_MS_DELIVERED || f == ASSIST_MS_STOPPED) exp = "measure.final";
            else if (f == ASSIST_MS_IN_PROGRESS && t == ASSIST_MS_PLANNED) exp = "measure.not_allowed";
            else exp = NULL;
            const char *got = assist_measure_change((assist_mstatus_t)f, (assist_mstatus_t)t, "理由");
            if (exp) assert_string_equal(got, exp);
            else assert_null(got);
            if (exp) assert_non_null(assist_reason_in(assist_measure_reasons, exp));
        }
    assert_string_equal(assist_measure_change(ASSIST_MS_PLANNED, ASSIST_MS_STOPPED, NULL), "measure.reason_missing");
    assert_string_equal(assist_measure_change(ASSIST_MS_IN_PROGRESS, ASSIST_MS_STOPPED, " \t"),
                        "measure.reason_missing");
    assert_null(assist_measure_change(ASSIST_MS_PLANNED, ASSIST_MS_DELIVERED, NULL));
    assert_string_equal(assist_measure_change((assist_mstatus_t)9, ASSIST_MS_PLANNED, "x"), "measure.bad_status");
    assert_string_equal(assist_measure_change(ASSIST_MS_PLANNED, (assist_mstatus_t)-1, "x"), "measure.bad_status");
    assert_string_equal(assist_mstatus_code(ASSIST_MS_IN_PROGRESS), "in_progress");
    assert_string_equal(assist_mstatus_code((assist_mstatus_t)7), "?");
    assert_null(assist_reason_in(assist_measure_reasons, "nope"));
}

/* Independent expectation of the mapping. */
static bool s_expect_answers(screen_risk_t r, assist_category_t c)
{
    switch (r) {
    case SCREEN_RISK_ILLNESS: return c == ASSIST_CAT_HEALTH;
    case SCREEN_RISK_DISABILITY:
        return c == ASSIST_CAT_HEALTH || c == ASSIST_CAT_BACKSTOP || c == ASSIST_CAT_SOCIAL_HELP;
    case SCREEN_RISK_SCHOOLING: return c == ASSIST_CAT_EDUCATION;
    case SCREEN_RISK_DISASTER:
        return c == ASSIST_CAT_HOUSING || c == ASSIST_CAT_SOCIAL_HELP || c == ASSIST_CAT_RISK_FUND;
    case SCREEN_RISK_ACCIDENT: return c == ASSIST_CAT_HEALTH || c == ASSIST_CAT_RISK_FUND;
    case SCREEN_RISK_INDUSTRY_FAILURE: return c == ASSIST_CAT_INDUSTRY || c == ASSIST_CAT_FINANCE;
    case SCREEN_RISK_UNSTABLE_WORK: return c == ASSIST_CAT_EMPLOYMENT;
    case SCREEN_RISK_LACK_OF_LABOUR: return c == ASSIST_CAT_BACKSTOP || c == ASSIST_CAT_HELPER;
    case SCREEN_RISK_HOUSING: return c == ASSIST_CAT_HOUSING;
    case SCREEN_RISK_WATER: return c == ASSIST_CAT_WATER;
    case SCREEN_RISK_OTHER: return true;
    default: return false;
    }
}

static void test_mapping(void **st)
{
    (void)st;
    assert_int_equal(assist_risk_map_count, SCREEN_RISK_COUNT_ - 1);
    for (size_t i = 0; i < assist_risk_map_count; i++)
        assert_int_equal(assist_risk_map[i].risk, (screen_risk_t)(i + 1));
    for (int r = 0; r <= SCREEN_RISK_COUNT_; r++)
        for (int c = -1; c <= ASSIST_CAT_COUNT_; c++) {
            bool exp = c >= 0 && c < ASSIST_CAT_COUNT_ && s_expect_answers((screen_risk_t)r, (assist_category_t)c);
            if (assist_answers((screen_risk_t)r, (assist_category_t)c) != exp)
                fail_msg("risk %d category %d: expected %d", r, c, exp);
        }
}

static void test_risk_codes_match_screening(void **st)
{
    (void)st;
    for (int r = 0; r < SCREEN_RISK_COUNT_; r++) {
        assert_string_equal(assist_risk_code((screen_risk_t)r), screen_risk_code((screen_risk_t)r));
        if (r > 0) assert_string_equal(assist_risk_zh((screen_risk_t)r), screen_risk_zh((screen_risk_t)r));
    }
    assert_string_equal(assist_risk_code(SCREEN_RISK_COUNT_), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_categories),
        cmocka_unit_test(test_status_changes),
        cmocka_unit_test(test_mapping),
        cmocka_unit_test(test_risk_codes_match_screening),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
