/* calendar_test.c: the working-day calendar (domain/calendar.c): weekdays and weekends, holidays,
 * adjusted working days (调休) and a day in both lists, counting forward and back across them,
 * n = 0, the clamps, calendar days, and reading a calendar from the database's text. The dates
 * were checked against a printed calendar (2025-10-01..08 the National Day holiday, 2025-09-28
 * and 10-11 worked). Whether SQL counts the same: tests/integration/calendar_test.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "calendar.h"
#include "date.h"

#define D(y, m, d) fp_date_from_civil(y, m, d)

static void test_weekdays(void **st)
{
    /* 2026-03-02 is a Monday */
    for (int i = 0; i < 7; i++) assert_int_equal(fp_is_workday(D(2026, 3, 2) + i, NULL), i < 5);
    fp_calendar_t empty = {NULL, 0, NULL, 0};
    for (int i = 0; i < 7; i++) assert_int_equal(fp_is_workday(D(2026, 3, 2) + i, &empty), i < 5);
}

static void test_holidays_and_adjusted(void **st)
{
    int32_t hol[8], wd[2] = {D(2025, 9, 28), D(2025, 10, 11)};
    for (int i = 0; i < 8; i++) hol[i] = D(2025, 10, 1) + i;
    fp_calendar_t cal = {hol, 8, wd, 2};
    assert_false(fp_is_workday(D(2025, 10, 1), &cal)); /* a Wednesday off */
    assert_true(fp_is_workday(D(2025, 9, 28), &cal));  /* a Sunday worked */
    assert_false(fp_is_workday(D(2025, 10, 4), &cal)); /* a Saturday in the holiday */
    /* Tue 09-30 + 1 working day: the whole holiday skipped, Thu 10-09 */
    assert_int_equal(fp_workdays_add(D(2025, 9, 30), 1, &cal), D(2025, 10, 9));
    /* Fri 09-26 + 1: Sun 09-28 is worked */
    assert_int_equal(fp_workdays_add(D(2025, 9, 26), 1, &cal), D(2025, 9, 28));
    /* back from Thu 10-09 by 1: Tue 09-30; by 3: Sun 09-28, which is worked */
    assert_int_equal(fp_workdays_add(D(2025, 10, 9), -1, &cal), D(2025, 9, 30));
    assert_int_equal(fp_workdays_add(D(2025, 10, 9), -3, &cal), D(2025, 9, 28));
    assert_int_equal(fp_workdays_add(D(2025, 10, 9), 2, &cal), D(2025, 10, 11)); /* Sat worked */
    int32_t both = D(2025, 10, 2);
    fp_calendar_t two = {hol, 8, &both, 1}; /* in both lists: worked */
    assert_true(fp_is_workday(both, &two));
}

static void test_counting_edges(void **st)
{
    int32_t sat = D(2026, 3, 7);
    assert_int_equal(fp_workdays_add(sat, 0, NULL), sat); /* n = 0 is the day itself, worked or not */
    assert_int_equal(fp_workdays_add(sat, 1, NULL), D(2026, 3, 9));
    assert_int_equal(fp_workdays_add(sat, -1, NULL), D(2026, 3, 6));
    assert_int_equal(fp_workdays_add(D(2026, 3, 2), 5, NULL), D(2026, 3, 9));
    /* |n| is clamped to 36600 working days, about 140 years */
    int32_t far = fp_workdays_add(D(2026, 1, 1), 1 << 30, NULL);
    assert_int_equal(far, fp_workdays_add(D(2026, 1, 1), 36600, NULL));
    assert_int_equal(fp_workdays_add(D(2026, 1, 1), -(1 << 30), NULL), fp_workdays_add(D(2026, 1, 1), -36600, NULL));
    /* near the ends of int32 it stops instead of overflowing */
    assert_true(fp_workdays_add(INT32_MAX - 3, 10, NULL) <= INT32_MAX - 1);
    assert_true(fp_workdays_add(INT32_MIN + 3, -10, NULL) >= INT32_MIN + 1);
}

static void test_days_add(void **st)
{
    int32_t fri = D(2026, 3, 6);
    assert_int_equal(fp_days_add(fri, 3, false, NULL), D(2026, 3, 9));
    assert_int_equal(fp_days_add(fri, 3, true, NULL), D(2026, 3, 11));
    assert_int_equal(fp_days_add(fri, -6, false, NULL), D(2026, 2, 28));
    assert_int_equal(fp_days_add(INT32_MAX - 1, 10, false, NULL), INT32_MAX);
    assert_int_equal(fp_days_add(INT32_MIN + 2, -10, false, NULL), INT32_MIN + 1);
}

static void test_parse(void **st)
{
    int32_t out[4];
    assert_int_equal(fp_calendar_days_parse("2025-10-01,2025-10-02", out, 4), 2);
    assert_int_equal(out[1], D(2025, 10, 2));
    /* a malformed item is skipped; max is kept */
    assert_int_equal(fp_calendar_days_parse("2025-13-01,x,2025-10-03", out, 4), 1);
    assert_int_equal(out[0], D(2025, 10, 3));
    assert_int_equal(fp_calendar_days_parse("2025-10-01,2025-10-02,2025-10-03", out, 2), 2);
    assert_int_equal(fp_calendar_days_parse("", out, 4), 0);
    assert_int_equal(fp_calendar_days_parse(NULL, out, 4), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weekdays),       cmocka_unit_test(test_holidays_and_adjusted),
        cmocka_unit_test(test_counting_edges), cmocka_unit_test(test_days_add),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
