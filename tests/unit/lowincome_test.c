/* lowincome_test.c: the low-income categories' rules (domain/lowincome.c) at their boundaries:
 * income exactly at 1.5 × the 低保 standard and one fen either side, rigid spending exactly
 * equal to income, per-capita income exactly at last year's disposable income, a standard that
 * changes between two visits, the categories that exclude each other, bad figures; and who may
 * change a membership. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "lowincome.h"

/* the 低保 standard of 6000 yuan a year, 1.5 ×, last year's disposable income 20000 yuan */
static const li_params_t P = {.dibao_standard = 600000, .edge_multiple_pct = 150, .disposable_income = 2000000};

static unsigned s_likely(li_facts_t f, li_params_t p)
{
    bool bad = true;
    unsigned r = lowincome_likely(&f, &p, &bad);
    assert_false(bad);
    return r;
}

static void test_edge_at_the_multiple(void **state)
{
    (void)state;
    li_facts_t f = {.per_capita_income = 900000, .total_income = 2700000};
    assert_int_equal(s_likely(f, P), 0); /* exactly 1.5 × 6000 yuan: not below */
    f.per_capita_income = 899999;
    assert_int_equal(s_likely(f, P), LI_LIKELY_DIBAO_EDGE); /* one fen below */
    f.per_capita_income = 900001;
    assert_int_equal(s_likely(f, P), 0);
    f.per_capita_income = 0;
    assert_int_equal(s_likely(f, P), LI_LIKELY_DIBAO_EDGE);
}

static void test_edge_multiple_is_a_parameter(void **state)
{
    (void)state;
    li_facts_t f = {.per_capita_income = 1000000};
    li_params_t p = P;
    assert_int_equal(s_likely(f, p), 0);
    p.edge_multiple_pct = 200; /* 12000 yuan */
    assert_int_equal(s_likely(f, p), LI_LIKELY_DIBAO_EDGE);
    f.per_capita_income = 1200000;
    assert_int_equal(s_likely(f, p), 0);
}

static void test_standard_changes_between_visits(void **state)
{
    (void)state;
    /* 8700 yuan per person: above 1.5 × 5700 (8550), below 1.5 × 6000 (9000) */
    li_facts_t f = {.per_capita_income = 870000, .total_income = 2610000};
    li_params_t before = P, after = P;
    before.dibao_standard = 570000;
    assert_int_equal(s_likely(f, before), 0);
    assert_int_equal(s_likely(f, after), LI_LIKELY_DIBAO_EDGE);
}

static void test_edge_not_for_assisted(void **state)
{
    (void)state;
    li_facts_t f = {.per_capita_income = 100000, .total_income = 300000, .rigid_spending = 9000000};
    assert_int_equal(s_likely(f, P), LI_LIKELY_DIBAO_EDGE); /* edge wins over rigid */
    f.in_dibao = true;
    assert_int_equal(s_likely(f, P), 0);
    f.in_dibao = false, f.in_tekun = true;
    assert_int_equal(s_likely(f, P), 0);
    f.in_tekun = false, f.in_dibao_edge = true;
    assert_int_equal(s_likely(f, P), 0); /* already there: not sent again */
}

static void test_edge_needs_a_standard(void **state)
{
    (void)state;
    li_facts_t f = {.per_capita_income = 100};
    li_params_t p = P;
    p.dibao_standard = 0;
    assert_int_equal(s_likely(f, p), 0);
    p = P, p.edge_multiple_pct = 0;
    assert_int_equal(s_likely(f, p), 0);
}

static void test_rigid_at_income(void **state)
{
    (void)state;
    /* per capita 15000 yuan: above the edge line (9000), below 20000 */
    li_facts_t f = {.per_capita_income = 1500000, .total_income = 4500000, .rigid_spending = 4500000};
    assert_int_equal(s_likely(f, P), 0); /* spending exactly equal to income */
    f.rigid_spending = 4500001;
    assert_int_equal(s_likely(f, P), LI_LIKELY_RIGID);
    f.rigid_spending = 4499999;
    assert_int_equal(s_likely(f, P), 0);
}

static void test_rigid_at_disposable_income(void **state)
{
    (void)state;
    li_facts_t f = {.per_capita_income = 2000000, .total_income = 6000000, .rigid_spending = 7000000};
    assert_int_equal(s_likely(f, P), 0); /* exactly last year's disposable income */
    f.per_capita_income = 1999999;
    assert_int_equal(s_likely(f, P), LI_LIKELY_RIGID);
    li_params_t p = P;
    p.disposable_income = 0; /* not set: the rule cannot run */
    assert_int_equal(s_likely(f, p), 0);
}

static void test_rigid_not_in_the_others(void **state)
{
    (void)state;
    li_facts_t f = {.per_capita_income = 1500000, .total_income = 4500000, .rigid_spending = 5000000};
    assert_int_equal(s_likely(f, P), LI_LIKELY_RIGID);
    li_facts_t g = f;
    g.in_dibao = true;
    assert_int_equal(s_likely(g, P), 0);
    g = f, g.in_tekun = true;
    assert_int_equal(s_likely(g, P), 0);
    g = f, g.in_dibao_edge = true;
    assert_int_equal(s_likely(g, P), 0);
    g = f, g.in_rigid = true;
    assert_int_equal(s_likely(g, P), 0);
}

static void test_bad_figures(void **state)
{
    (void)state;
    li_facts_t ok = {.per_capita_income = 100, .total_income = 300};
    bool bad = false;
    li_facts_t f = ok;
    f.per_capita_income = -1;
    assert_int_equal(lowincome_likely(&f, &P, &bad), 0);
    assert_true(bad);
    f = ok, f.rigid_spending = LI_MAX_FEN + 1;
    assert_int_equal(lowincome_likely(&f, &P, &bad), 0);
    assert_true(bad);
    f = ok, f.rigid_spending = LI_MAX_FEN; /* the largest figure still runs */
    lowincome_likely(&f, &P, &bad);
    assert_false(bad);
    li_params_t p = P;
    p.edge_multiple_pct = 99;
    assert_int_equal(lowincome_likely(&ok, &p, &bad), 0);
    assert_true(bad);
    p.edge_multiple_pct = 1001;
    lowincome_likely(&ok, &p, &bad);
    assert_true(bad);
    p.edge_multiple_pct = 1000;
    assert_int_equal(lowincome_likely(&ok, &p, &bad), LI_LIKELY_DIBAO_EDGE);
    assert_false(bad);
    p = P, p.dibao_standard = -5;
    lowincome_likely(&ok, &p, &bad);
    assert_true(bad);
    assert_int_equal(lowincome_likely(NULL, &P, NULL), 0);
    assert_int_equal(lowincome_likely(&ok, NULL, &bad), 0);
    assert_true(bad);
}

static void test_largest_figures_do_not_overflow(void **state)
{
    (void)state;
    li_facts_t f = {.per_capita_income = LI_MAX_FEN, .total_income = LI_MAX_FEN, .rigid_spending = LI_MAX_FEN};
    li_params_t p = {.dibao_standard = LI_MAX_FEN, .edge_multiple_pct = 1000, .disposable_income = LI_MAX_FEN};
    assert_int_equal(s_likely(f, p), LI_LIKELY_DIBAO_EDGE);
}

static void test_who_may_change(void **state)
{
    (void)state;
    assert_null(lowincome_may_change("minzheng", "department", "minzheng"));
    assert_string_equal(lowincome_may_change("minzheng", "department", "yibao"), "category.authority");
    assert_string_equal(lowincome_may_change("minzheng", "actor", ""), "category.authority");
    assert_string_equal(lowincome_may_change("minzheng", "admin", ""), "category.authority");
    assert_string_equal(lowincome_may_change("minzheng", NULL, NULL), "category.authority");
    assert_string_equal(lowincome_may_change("xiangcun", "department", "minzheng"), "category.by_case");
    assert_string_equal(lowincome_may_change("other", "department", "minzheng"), "category.unknown");
    assert_string_equal(lowincome_may_change(NULL, "department", "minzheng"), "category.unknown");
}

static void test_change_refusal(void **state)
{
    (void)state;
    assert_null(lowincome_change_refusal(true, true, true, false, true));
    assert_null(lowincome_change_refusal(true, true, true, true, false));
    assert_string_equal(lowincome_change_refusal(false, true, true, false, true), "category.unknown");
    assert_string_equal(lowincome_change_refusal(true, false, true, false, true), "category.household");
    assert_string_equal(lowincome_change_refusal(true, true, false, false, true), "category.mode");
    assert_string_equal(lowincome_change_refusal(true, true, false, true, false), "category.mode");
    assert_string_equal(lowincome_change_refusal(true, true, true, true, true), "category.already");
    assert_string_equal(lowincome_change_refusal(true, true, true, false, false), "category.not_member");
    /* every code has its words */
    const char *codes[] = {"category.unknown", "category.by_case", "category.authority",  "category.household",
                           "category.mode",    "category.already", "category.not_member", "category.bad_request", "category.referral", "category.referral_closed"};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const fp_reason_t *r = fp_reason_find(lowincome_reasons, codes[i]);
        assert_non_null(r);
        assert_true(strlen(r->en) > 10 && strlen(r->zh) > 4);
    }
}

/* One visit, one method: the visit's medical figure and the case's are one spending seen twice
 * (the larger counts), education and other rigid spending add; the rigid rule then runs on it. */
static void test_rigid_of_the_visit_record(void **state)
{
    (void)state;
    assert_int_equal(lowincome_rigid(500000, 100000, 20000, 300000), 620000);
    assert_int_equal(lowincome_rigid(300000, 100000, 20000, 500000), 620000); /* the hospital bill is larger */
    assert_int_equal(lowincome_rigid(400000, 0, 0, 400000), 400000);          /* equal: counted once */
    assert_int_equal(lowincome_rigid(-1, -5, 0, -7), 0);                      /* negatives count as nothing */
    assert_int_equal(lowincome_rigid(INT64_MAX, INT64_MAX, INT64_MAX, 0), 3 * LI_MAX_FEN); /* clamped, no overflow */
    /* a household of 9500 yuan a year: rigid spending of exactly its income is not above it */
    li_facts_t f = {.per_capita_income = 950000, .total_income = 950000};
    f.rigid_spending = lowincome_rigid(650000, 300000, 0, 0);
    assert_int_equal(s_likely(f, P), 0);
    f.rigid_spending = lowincome_rigid(650000, 300000, 0, 650001);
    assert_int_equal(s_likely(f, P), LI_LIKELY_RIGID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edge_at_the_multiple),
        cmocka_unit_test(test_edge_multiple_is_a_parameter),
        cmocka_unit_test(test_standard_changes_between_visits),
        cmocka_unit_test(test_edge_not_for_assisted),
        cmocka_unit_test(test_edge_needs_a_standard),
        cmocka_unit_test(test_rigid_at_income),
        cmocka_unit_test(test_rigid_at_disposable_income),
        cmocka_unit_test(test_rigid_not_in_the_others),
        cmocka_unit_test(test_bad_figures),
        cmocka_unit_test(test_largest_figures_do_not_overflow),
        cmocka_unit_test(test_who_may_change),
        cmocka_unit_test(test_change_refusal),
        cmocka_unit_test(test_rigid_of_the_visit_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
