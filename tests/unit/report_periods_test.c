/* report_periods_test.c: the dashboard's default periods (report_default_periods): the month
 * before today's and today's quarter, across a year's and a quarter's turn. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../services/reporting/report_defs.c"

static void s_check(const char *today, const char *month, const char *quarter)
{
    int32_t d;
    char m[8], q[8];
    assert_int_equal(fp_date_parse(today, &d), FP_OK);
    report_default_periods(d, m, q);
    assert_string_equal(m, month);
    assert_string_equal(q, quarter);
}

static void test_periods(void **state)
{
    (void)state;
    s_check("2026-12-03", "2026-11", "2026Q4");
    s_check("2026-01-01", "2025-12", "2026Q1");
    s_check("2026-03-31", "2026-02", "2026Q1");
    s_check("2026-04-01", "2026-03", "2026Q2");
    s_check("2026-09-30", "2026-08", "2026Q3");
    s_check("2026-10-01", "2026-09", "2026Q4");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_periods)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
