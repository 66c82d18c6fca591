/* income_test.c: per capita net income by the official method (services/screening/income.c):
 * each component, the sums, negative net, rounding at half a fen, household size bounds, the
 * overflow refusals and the 12-month window. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../services/screening/income.c"

static screen_income_t s_zero(int32_t members)
{
    screen_income_t in = {0};
    in.members = members;
    return in;
}

static void test_each_component(void **st)
{
    (void)st;
    int64_t *fields[11];
    screen_income_t in = s_zero(1);
    fields[0] = &in.wage_public_welfare;
    fields[1] = &in.wage_other;
    fields[2] = &in.operating;
    fields[3] = &in.property;
    fields[4] = &in.transfer_pension;
    fields[5] = &in.transfer_family_planning;
    fields[6] = &in.transfer_ecological;
    fields[7] = &in.transfer_dibao;
    fields[8] = &in.transfer_tekun;
    fields[9] = &in.transfer_other;
    fields[10] = &in.production_costs;
    for (int i = 0; i < 11; i++) {
        in = s_zero(1);
        /* pointers above point into `in`, which is reassigned in place */
        *fields[i] = 12345;
        screen_income_result_t r;
        assert_int_equal(screen_income_compute(&in, &r), FP_OK);
        assert_int_equal(r.wage, i <= 1 ? 12345 : 0);
        assert_int_equal(r.operating, i == 2 ? 12345 : 0);
        assert_int_equal(r.property, i == 3 ? 12345 : 0);
        assert_int_equal(r.transfer, (i >= 4 && i <= 9) ? 12345 : 0);
        assert_int_equal(r.total_income, i < 10 ? 12345 : 0);
        assert_int_equal(r.production_costs, i == 10 ? 12345 : 0);
        assert_int_equal(r.net, i < 10 ? 12345 : -12345);
        assert_int_equal(r.per_capita_net, r.net);
        assert_int_equal(r.members, 1);
    }
}

static void test_full_household(void **st)
{
    (void)st;
    /* 4 people: 公益岗 6000, wages 18000, operating 9000 (costs 3000), dividends 800,
     * pension 2400, ecological 600, 低保 3600 yuan -> total 40400, net 37400, pc 9350. */
    screen_income_t in = s_zero(4);
    in.wage_public_welfare = 600000;
    in.wage_other = 1800000;
    in.operating = 900000;
    in.production_costs = 300000;
    in.property = 80000;
    in.transfer_pension = 240000;
    in.transfer_ecological = 60000;
    in.transfer_dibao = 360000;
    screen_income_result_t r;
    assert_int_equal(screen_income_compute(&in, &r), FP_OK);
    assert_int_equal(r.wage, 2400000);
    assert_int_equal(r.transfer, 660000);
    assert_int_equal(r.total_income, 4040000);
    assert_int_equal(r.net, 3740000);
    assert_int_equal(r.per_capita_net, 935000);
}

static void test_negative_net(void **st)
{
    (void)st;
    screen_income_t in = s_zero(3);
    in.operating = 100000;
    in.production_costs = 400000;
    screen_income_result_t r;
    assert_int_equal(screen_income_compute(&in, &r), FP_OK);
    assert_int_equal(r.net, -300000);
    assert_int_equal(r.per_capita_net, -100000);
}

static int64_t s_pc(int64_t income, int64_t costs, int32_t members)
{
    screen_income_t in = s_zero(members);
    in.wage_other = income;
    in.production_costs = costs;
    screen_income_result_t r;
    assert_int_equal(screen_income_compute(&in, &r), FP_OK);
    return r.per_capita_net;
}

static void test_rounding(void **st)
{
    (void)st;
    assert_int_equal(s_pc(1001, 0, 2), 501);  /* 500.5 -> 501 */
    assert_int_equal(s_pc(0, 1001, 2), -501); /* -500.5 -> -501 */
    assert_int_equal(s_pc(1000, 0, 3), 333);  /* 333.33 */
    assert_int_equal(s_pc(2000, 0, 3), 667);  /* 666.67 */
    assert_int_equal(s_pc(0, 1000, 3), -333);
    assert_int_equal(s_pc(0, 2000, 3), -667);
    assert_int_equal(s_pc(1, 0, 2), 1); /* 0.5 -> 1 */
    assert_int_equal(s_pc(1, 0, 3), 0);
    assert_int_equal(s_pc(0, 1, 2), -1);
    assert_int_equal(s_pc(0, 0, 7), 0);
    assert_int_equal(s_pc(99 * 5 + 49, 0, 99), 5); /* 5.49 */
    assert_int_equal(s_pc(99 * 5 + 50, 0, 99), 6); /* 5.505 */
}

static void test_members(void **st)
{
    (void)st;
    screen_income_t in = s_zero(0);
    screen_income_result_t r = {0};
    r.net = 777;
    assert_int_equal(screen_income_compute(&in, &r), FP_EINVAL);
    assert_int_equal(r.net, 777); /* untouched */
    in.members = -1;
    assert_int_equal(screen_income_compute(&in, &r), FP_EINVAL);
    in.members = SCREEN_INCOME_MAX_MEMBERS;
    assert_int_equal(screen_income_compute(&in, &r), FP_OK);
    in.members = SCREEN_INCOME_MAX_MEMBERS + 1;
    assert_int_equal(screen_income_compute(&in, &r), FP_ERANGE);
    assert_int_equal(screen_income_compute(NULL, &r), FP_EINVAL);
    in.members = 1;
    assert_int_equal(screen_income_compute(&in, NULL), FP_EINVAL);
}

static void test_bounds_and_overflow(void **st)
{
    (void)st;
    screen_income_t in = s_zero(1);
    screen_income_result_t r;
    /* every item at the maximum: sums fine */
    int64_t M = SCREEN_INCOME_MAX_FEN;
    in.wage_public_welfare = in.wage_other = in.operating = in.property = M;
    in.transfer_pension = in.transfer_family_planning = in.transfer_ecological = M;
    in.transfer_dibao = in.transfer_tekun = in.transfer_other = M;
    in.production_costs = 0;
    assert_int_equal(screen_income_compute(&in, &r), FP_OK);
    assert_int_equal(r.total_income, 10 * M);
    in = s_zero(1);
    in.production_costs = M;
    assert_int_equal(screen_income_compute(&in, &r), FP_OK);
    assert_int_equal(r.net, -M);
    in = s_zero(1);
    in.wage_other = M + 1;
    assert_int_equal(screen_income_compute(&in, &r), FP_ERANGE);
    in.wage_other = INT64_MAX;
    assert_int_equal(screen_income_compute(&in, &r), FP_ERANGE);
    in = s_zero(1);
    in.production_costs = INT64_MAX;
    assert_int_equal(screen_income_compute(&in, &r), FP_ERANGE);
    in = s_zero(1);
    in.transfer_tekun = -1;
    assert_int_equal(screen_income_compute(&in, &r), FP_ERANGE);
    in = s_zero(1);
    in.production_costs = INT64_MIN;
    assert_int_equal(screen_income_compute(&in, &r), FP_ERANGE);
}

static void test_window(void **st)
{
    (void)st;
    int32_t a, b;
    screen_income_window(fp_date_from_civil(2021, 10, 1), &a, &b);
    assert_int_equal(a, fp_date_from_civil(2020, 10, 1));
    assert_int_equal(b, fp_date_from_civil(2021, 9, 30));
    screen_income_window(fp_date_from_civil(2024, 2, 29), &a, &b);
    assert_int_equal(a, fp_date_from_civil(2023, 2, 28));
    assert_int_equal(b, fp_date_from_civil(2024, 2, 28));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_component), cmocka_unit_test(test_full_household),
        cmocka_unit_test(test_negative_net),   cmocka_unit_test(test_rounding),
        cmocka_unit_test(test_members),        cmocka_unit_test(test_bounds_and_overflow),
        cmocka_unit_test(test_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
