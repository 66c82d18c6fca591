/* money_test.c: strict yuan parsing and fen formatting (common/money.c): every accepted and
 * rejected form, the 10^13-yuan limit and the int64_t extremes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "money.h"

static void s_ok(const char *s, int64_t want)
{
    int64_t v = 777;
    fp_err_t rc = fp_money_parse_yuan(s, &v);
    if (rc != FP_OK) fail_msg("\"%s\": rc %d", s, rc);
    if (v != want) fail_msg("\"%s\": got %lld want %lld", s, (long long)v, (long long)want);
}

static void s_bad(const char *s, fp_err_t want)
{
    int64_t v = 777;
    fp_err_t rc = fp_money_parse_yuan(s, &v);
    if (rc != want) fail_msg("\"%s\": got rc %d want %d", s, rc, want);
    assert_int_equal(v, 777); /* untouched on failure */
}

static void test_parse_accepts(void **state)
{
    (void)state;
    s_ok("1234.5", 123450);
    s_ok("1234", 123400);
    s_ok("1234.56", 123456);
    s_ok("0.01", 1);
    s_ok("0.1", 10);
    s_ok("0", 0);
    s_ok("0.00", 0);
    s_ok("-0", 0);
    s_ok("-0.00", 0);
    s_ok("-0.01", -1);
    s_ok("-1234.5", -123450);
    s_ok("6600", 660000);
    s_ok("8050.00", 805000);
    s_ok("007.50", 750);
    s_ok(" 12 ", 1200);
    s_ok("   -3.05", -305);
    s_ok("3.05   ", 305);
    s_ok("10000000000000", INT64_C(1000000000000000));
    s_ok("-10000000000000", -INT64_C(1000000000000000));
    s_ok("9999999999999.99", INT64_C(999999999999999));
    s_ok("000000000000000000000000000001.00", 100);
}

static void test_parse_rejects(void **state)
{
    (void)state;
    s_bad("", FP_EINVAL);
    s_bad("   ", FP_EINVAL);
    s_bad("+", FP_EINVAL);
    s_bad("+5", FP_EINVAL);
    s_bad("-", FP_EINVAL);
    s_bad("- 5", FP_EINVAL);
    s_bad("--5", FP_EINVAL);
    s_bad("abc", FP_EINVAL);
    s_bad("12a", FP_EINVAL);
    s_bad("a12", FP_EINVAL);
    s_bad("1.2.3", FP_EINVAL);
    s_bad("1e5", FP_EINVAL);
    s_bad("1E5", FP_EINVAL);
    s_bad("1,234", FP_EINVAL);
    s_bad("1,234.00", FP_EINVAL);
    s_bad("1 234", FP_EINVAL);
    s_bad("12.", FP_EINVAL);
    s_bad("-12.", FP_EINVAL);
    s_bad(".5", FP_EINVAL);
    s_bad("-.5", FP_EINVAL);
    s_bad(".", FP_EINVAL);
    s_bad("1.234", FP_EINVAL);
    s_bad("0.001", FP_EINVAL);
    s_bad("1.230", FP_EINVAL); /* three decimals even if the last is zero */
    s_bad("\t12", FP_EINVAL);
    s_bad("12\n", FP_EINVAL);
    s_bad("0x10", FP_EINVAL);
    s_bad("1.-5", FP_EINVAL);
    s_bad("5-", FP_EINVAL);
    s_bad("\xef\xbc\x91\xef\xbc\x92", FP_EINVAL); /* full-width "12" */
    s_bad("12元", FP_EINVAL);
    s_bad("¥12", FP_EINVAL);
    int64_t v;
    assert_int_equal(fp_money_parse_yuan(NULL, &v), FP_EINVAL);
    assert_int_equal(fp_money_parse_yuan("1", NULL), FP_EINVAL);
}

static void test_parse_range(void **state)
{
    (void)state;
    s_bad("10000000000000.01", FP_ERANGE);
    s_bad("-10000000000000.01", FP_ERANGE);
    s_bad("10000000000001", FP_ERANGE);
    s_bad("92233720368547758.07", FP_ERANGE);  /* INT64_MAX fen */
    s_bad("-92233720368547758.08", FP_ERANGE); /* INT64_MIN fen */
    s_bad("9223372036854775807", FP_ERANGE);
    s_bad("18446744073709551616", FP_ERANGE);  /* 2^64 yuan: no wrap-around */
    s_bad("184467440737095516.16", FP_ERANGE); /* 2^64 fen */
    s_bad("99999999999999999999999999999999999999999999", FP_ERANGE);
    /* Syntax is judged before range. */
    s_bad("99999999999999999999999999x", FP_EINVAL);
    s_bad("99999999999999999999999999.123", FP_EINVAL);
}

static void test_parse_nonneg(void **state)
{
    (void)state;
    int64_t v = 777;
    assert_int_equal(fp_money_parse_yuan_nonneg("-0.01", &v), FP_ERANGE);
    assert_int_equal(v, 777);
    assert_int_equal(fp_money_parse_yuan_nonneg("-5", &v), FP_ERANGE);
    assert_int_equal(v, 777);
    assert_int_equal(fp_money_parse_yuan_nonneg("-", &v), FP_EINVAL);
    assert_int_equal(fp_money_parse_yuan_nonneg("1.234", &v), FP_EINVAL);
    assert_int_equal(fp_money_parse_yuan_nonneg("10000000000000.01", &v), FP_ERANGE);
    assert_int_equal(v, 777);
    assert_int_equal(fp_money_parse_yuan_nonneg("-0.00", &v), FP_OK);
    assert_int_equal(v, 0);
    assert_int_equal(fp_money_parse_yuan_nonneg("6600.5", &v), FP_OK);
    assert_int_equal(v, 660050);
    assert_int_equal(fp_money_parse_yuan_nonneg(NULL, &v), FP_EINVAL);
}

static void s_fmt(int64_t fen, const char *want)
{
    char b[FP_MONEY_FMT_SIZE];
    memset(b, 'Z', sizeof b);
    fp_money_format(fen, b, sizeof b);
    assert_string_equal(b, want);
}

static void test_format(void **state)
{
    (void)state;
    s_fmt(123450, "1234.50");
    s_fmt(123456, "1234.56");
    s_fmt(123400, "1234.00");
    s_fmt(0, "0.00");
    s_fmt(1, "0.01");
    s_fmt(-1, "-0.01");
    s_fmt(-99, "-0.99");
    s_fmt(-100, "-1.00");
    s_fmt(10, "0.10");
    s_fmt(INT64_C(1000000000000000), "10000000000000.00");
    s_fmt(INT64_MAX, "92233720368547758.07");
    s_fmt(INT64_MIN, "-92233720368547758.08");
    assert_int_equal(strlen("-92233720368547758.08") + 1 <= FP_MONEY_FMT_SIZE, 1);
}

static void test_format_truncates(void **state)
{
    (void)state;
    char b[6] = "ZZZZZ";
    fp_money_format(123450, b, sizeof b);
    assert_string_equal(b, "1234.");
    char one[1] = {'Z'};
    fp_money_format(123450, one, 1);
    assert_int_equal(one[0], '\0');
    char none[1] = {'Z'};
    fp_money_format(123450, none, 0);
    assert_int_equal(none[0], 'Z');
    fp_money_format(1, NULL, 10); /* no crash */
}

static void test_round_trip(void **state)
{
    (void)state;
    /* Every cent from -20.00 to 20.00, then a walk of large values up to the limit. */
    char b[FP_MONEY_FMT_SIZE];
    for (int64_t f = -2000; f <= 2000; f++) {
        fp_money_format(f, b, sizeof b);
        int64_t back = 0;
        assert_int_equal(fp_money_parse_yuan(b, &back), FP_OK);
        assert_int_equal(back, f);
    }
    for (int64_t f = 1; f <= FP_MONEY_MAX_FEN && f > 0; f = f * 3 + 7) {
        for (int sign = -1; sign <= 1; sign += 2) {
            fp_money_format(sign * f, b, sizeof b);
            int64_t back = 0;
            assert_int_equal(fp_money_parse_yuan(b, &back), FP_OK);
            assert_int_equal(back, sign * f);
        }
    }
    fp_money_format(FP_MONEY_MAX_FEN + 1, b, sizeof b);
    int64_t back = 0;
    assert_int_equal(fp_money_parse_yuan(b, &back), FP_ERANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_accepts), cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_parse_range),   cmocka_unit_test(test_parse_nonneg),
        cmocka_unit_test(test_format),        cmocka_unit_test(test_format_truncates),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
