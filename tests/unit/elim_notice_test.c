/* elim_notice_test.c: the risk elimination notice text (domain/notice.c) and the
 * quarter helpers of the assistance shell (support.c): masked name, no long digit runs, the
 * notice period; YYYYQn parsing and formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../services/assistance/measures.c"
#include "../../services/assistance/support.c"
#include "mask.h"
#include "date.h"
#include "notice.h" /* domain/notice.c, linked */
#include <string.h>

#include <stdio.h>
#include <stdlib.h>

static int32_t D(int y, int m, int d) { return fp_date_from_civil(y, m, d); }

static void test_notice_masks_and_dates(void **state)
{
    (void)state;
    char *t = assist_elim_notice_text("张三丰", "花水村", D(2026, 12, 1), 5);
    assert_non_null(strstr(t, "张*丰"));
    assert_null(strstr(t, "张三丰"));
    assert_non_null(strstr(t, "花水村"));
    assert_non_null(strstr(t, "公示期5天（2026-12-01至2026-12-06）"));
    assert_false(fp_text_has_long_number(t));
    free(t);
}

static void test_notice_strips_codes_and_clamps(void **state)
{
    (void)state;
    /* a village name that is only a code, a name carrying an ID number, odd periods */
    char *t = assist_elim_notice_text("李13082219800101001X", "130822112201", D(2026, 1, 1), 0);
    assert_false(fp_text_has_long_number(t));
    assert_null(strstr(t, "130822112201"));
    assert_non_null(strstr(t, "公示期1天"));
    free(t);
    t = assist_elim_notice_text(NULL, NULL, D(2026, 1, 1), 999);
    assert_non_null(strstr(t, "公示期60天"));
    assert_non_null(strstr(t, "*户"));
    free(t);
}

static void test_long_digits(void **state)
{
    (void)state;
    assert_true(fp_text_has_long_number("身份证13082219800101001X"));
    assert_true(fp_text_has_long_number("电话13800138000"));
    assert_false(fp_text_has_long_number("2026-12-01 公示5天"));
    assert_false(fp_text_has_long_number(""));
    assert_false(fp_text_has_long_number(NULL));
}

static void test_quarters(void **state)
{
    (void)state;
    char q[7];
    assist_quarter_of(D(2026, 11, 24), q);
    assert_string_equal(q, "2026Q4");
    assist_quarter_of(D(2026, 1, 1), q);
    assert_string_equal(q, "2026Q1");
    assist_quarter_of(D(2026, 6, 30), q);
    assert_string_equal(q, "2026Q2");
    int32_t a, b;
    assert_true(assist_quarter_parse("2026Q3", &a, &b));
    assert_int_equal(a, D(2026, 7, 1));
    assert_int_equal(b, D(2026, 9, 30));
    assert_true(assist_quarter_parse("2024Q1", &a, &b));
    assert_int_equal(b, D(2024, 3, 31));
    assert_false(assist_quarter_parse("2026Q5", &a, &b));
    assert_false(assist_quarter_parse("2026q1", &a, &b));
    assert_false(assist_quarter_parse("26Q1", &a, &b));
    assert_false(assist_quarter_parse("1999Q1", &a, &b));
    assert_false(assist_quarter_parse(NULL, &a, &b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notice_masks_and_dates),
        cmocka_unit_test(test_notice_strips_codes_and_clamps),
        cmocka_unit_test(test_long_digits),
        cmocka_unit_test(test_quarters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
