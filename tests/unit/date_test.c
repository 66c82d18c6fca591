/* date_test.c: civil-date arithmetic and monthly periods (common/date.c). Expected day
 * numbers and weekdays were taken from an independent calendar (Python's datetime). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "date.h"

/* An independent leap rule and month table for the exhaustive walk. */
static int s_dim(int y, int m)
{
    static const int t[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 400 == 0) || (y % 4 == 0 && y % 100 != 0);
    return (m == 2 && leap) ? 29 : t[m - 1];
}

static void test_known_day_numbers(void **state)
{
    (void)state;
    assert_int_equal(fp_date_from_civil(1970, 1, 1), 0);
    assert_int_equal(fp_date_from_civil(1969, 12, 31), -1);
    assert_int_equal(fp_date_from_civil(1900, 1, 1), -25567);
    assert_int_equal(fp_date_from_civil(2000, 1, 1), 10957);
    assert_int_equal(fp_date_from_civil(2024, 2, 29), 19782);
    assert_int_equal(fp_date_from_civil(2026, 1, 1), 20454);
    assert_int_equal(fp_date_from_civil(2026, 11, 24), 20781);
    assert_int_equal(fp_date_from_civil(2199, 12, 31), 84005);
    assert_int_equal(fp_date_from_civil(1, 1, 1), -719162);
    assert_int_equal(fp_date_from_civil(9999, 12, 31), 2932896);
    int y, m, d;
    fp_date_civil(20781, &y, &m, &d);
    assert_int_equal(y, 2026);
    assert_int_equal(m, 11);
    assert_int_equal(d, 24);
    fp_date_civil(-25567, &y, &m, &d);
    assert_int_equal(y, 1900);
    assert_int_equal(m, 1);
    assert_int_equal(d, 1);
    fp_date_civil(-1, &y, &m, &d);
    assert_int_equal(y, 1969);
    assert_int_equal(m, 12);
    assert_int_equal(d, 31);
}

/* Every day from 1900-01-01 to 2199-12-31: consecutive numbers, exact round trip through
 * civil, format and parse. */
static void test_round_trip_1900_2199(void **state)
{
    (void)state;
    int32_t expect = -25567;
    long count = 0;
    char buf[11], want[32];
    for (int y = 1900; y <= 2199; y++) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= s_dim(y, m); d++) {
                int32_t days = fp_date_from_civil(y, m, d);
                assert_int_equal(days, expect);
                assert_true(fp_date_valid(y, m, d));
                int yy, mm, dd;
                fp_date_civil(days, &yy, &mm, &dd);
                assert_int_equal(yy, y);
                assert_int_equal(mm, m);
                assert_int_equal(dd, d);
                fp_date_format(days, buf);
                snprintf(want, sizeof want, "%04d-%02d-%02d", y, m, d);
                assert_string_equal(buf, want);
                int32_t back = 0;
                assert_int_equal(fp_date_parse(buf, &back), FP_OK);
                assert_int_equal(back, days);
                expect++;
                count++;
            }
            assert_false(fp_date_valid(y, m, s_dim(y, m) + 1));
        }
    }
    assert_int_equal(count, 109573);
    assert_int_equal(expect, 84006);
}

static void test_leap_and_validity(void **state)
{
    (void)state;
    assert_false(fp_date_is_leap(1900));
    assert_true(fp_date_is_leap(2000));
    assert_true(fp_date_is_leap(2024));
    assert_false(fp_date_is_leap(2026));
    assert_false(fp_date_is_leap(2100));
    assert_true(fp_date_is_leap(2400));
    assert_false(fp_date_valid(1900, 2, 29));
    assert_true(fp_date_valid(2000, 2, 29));
    assert_true(fp_date_valid(2024, 2, 29));
    assert_false(fp_date_valid(2026, 2, 29));
    assert_false(fp_date_valid(2100, 2, 29));
    assert_true(fp_date_valid(2026, 2, 28));
    assert_false(fp_date_valid(2026, 13, 1));
    assert_false(fp_date_valid(2026, 0, 1));
    assert_false(fp_date_valid(2026, 1, 0));
    assert_false(fp_date_valid(2026, 1, 32));
    assert_false(fp_date_valid(2026, 4, 31));
    assert_true(fp_date_valid(2026, 12, 31));
    assert_false(fp_date_valid(2026, -1, 1));
    assert_false(fp_date_valid(2026, 1, -1));
    assert_int_equal(fp_date_days_in_month(2024, 2), 29);
    assert_int_equal(fp_date_days_in_month(2026, 2), 28);
    assert_int_equal(fp_date_days_in_month(2026, 11), 30);
    assert_int_equal(fp_date_days_in_month(2026, 13), 0);
}

static void test_parse_forms(void **state)
{
    (void)state;
    int32_t d = 0;
    assert_int_equal(fp_date_parse("2026-11-24", &d), FP_OK);
    assert_int_equal(d, 20781);
    d = 0;
    assert_int_equal(fp_date_parse("20261124", &d), FP_OK);
    assert_int_equal(d, 20781);
    d = 0;
    assert_int_equal(fp_date_parse("2026/11/24", &d), FP_OK);
    assert_int_equal(d, 20781);
    assert_int_equal(fp_date_parse("1900-01-01", &d), FP_OK);
    assert_int_equal(d, -25567);
    assert_int_equal(fp_date_parse("2199-12-31", &d), FP_OK);
    assert_int_equal(d, 84005);
    assert_int_equal(fp_date_parse("2000-02-29", &d), FP_OK);
    assert_int_equal(d, 11016);
    assert_int_equal(fp_date_parse("2024-02-29", &d), FP_OK);
    assert_int_equal(d, 19782);
}

static void test_parse_rejects(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        fp_err_t rc;
    } cases[] = {
        {"", FP_EINVAL},
        {"2026-1-05", FP_EINVAL},
        {"2026-01-5", FP_EINVAL},
        {"2026-01/05", FP_EINVAL},
        {"2026/01-05", FP_EINVAL},
        {"2026.01.05", FP_EINVAL},
        {" 2026-01-05", FP_EINVAL},
        {"2026-01-05 ", FP_EINVAL},
        {"2026-01-05T00", FP_EINVAL},
        {"202601051", FP_EINVAL},
        {"2026015", FP_EINVAL},
        {"2026010x", FP_EINVAL},
        {"+026-01-05", FP_EINVAL},
        {"2026-0a-05", FP_EINVAL},
        {"26-01-05", FP_EINVAL},
        {"2026--1-05", FP_EINVAL},
        {"2026-13-01", FP_EDATE},
        {"2026-00-10", FP_EDATE},
        {"2026-01-00", FP_EDATE},
        {"2026-01-32", FP_EDATE},
        {"2026-04-31", FP_EDATE},
        {"2026-02-29", FP_EDATE},
        {"1900-02-29", FP_EDATE},
        {"2100-02-29", FP_EDATE},
        {"20260229", FP_EDATE},
        {"2026/02/30", FP_EDATE},
        {"1899-12-31", FP_ERANGE},
        {"2200-01-01", FP_ERANGE},
        {"0000-01-01", FP_ERANGE},
        {"9999-12-31", FP_ERANGE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int32_t d = 12345;
        fp_err_t rc = fp_date_parse(cases[i].s, &d);
        if (rc != cases[i].rc) fail_msg("\"%s\": got %d want %d", cases[i].s, rc, cases[i].rc);
        assert_int_equal(d, 12345); /* untouched on failure */
    }
    int32_t d;
    assert_int_equal(fp_date_parse(NULL, &d), FP_EINVAL);
    assert_int_equal(fp_date_parse("2026-01-01", NULL), FP_EINVAL);
}

static void test_format(void **state)
{
    (void)state;
    char b[11];
    fp_date_format(0, b);
    assert_string_equal(b, "1970-01-01");
    fp_date_format(-1, b);
    assert_string_equal(b, "1969-12-31");
    fp_date_format(19782, b);
    assert_string_equal(b, "2024-02-29");
    fp_date_format(-719162, b);
    assert_string_equal(b, "0001-01-01");
    fp_date_format(2932896, b);
    assert_string_equal(b, "9999-12-31");
    fp_date_format(2932897, b);
    assert_string_equal(b, "####-##-##");
    fp_date_format(INT32_MAX, b);
    assert_string_equal(b, "####-##-##");
    fp_date_format(INT32_MIN, b);
    assert_string_equal(b, "####-##-##");
}

static void test_weekday(void **state)
{
    (void)state;
    assert_int_equal(fp_date_weekday(fp_date_from_civil(2026, 11, 24)), 1); /* Tuesday */
    assert_int_equal(fp_date_weekday(0), 3);                                /* Thursday */
    assert_int_equal(fp_date_weekday(-1), 2);                               /* Wednesday */
    assert_int_equal(fp_date_weekday(fp_date_from_civil(1900, 1, 1)), 0);   /* Monday */
    assert_int_equal(fp_date_weekday(fp_date_from_civil(2000, 1, 1)), 5);   /* Saturday */
    assert_int_equal(fp_date_weekday(fp_date_from_civil(2026, 11, 29)), 6); /* Sunday */
    assert_int_equal(fp_date_weekday(fp_date_from_civil(2026, 1, 1)), 3);   /* Thursday */
    assert_int_equal(fp_date_weekday(fp_date_from_civil(2199, 12, 31)), 1); /* Tuesday */
    /* The cycle continues across the epoch and over negative numbers. */
    for (int32_t d = -30000; d < 30000; d++) assert_int_equal(fp_date_weekday(d + 1), (fp_date_weekday(d) + 1) % 7);
    assert_true(fp_date_weekday(INT32_MIN) >= 0 && fp_date_weekday(INT32_MIN) <= 6);
    assert_true(fp_date_weekday(INT32_MAX) >= 0 && fp_date_weekday(INT32_MAX) <= 6);
}

static void s_expect_add(int y, int m, int d, int months, int ey, int em, int ed)
{
    int32_t got = fp_date_add_months(fp_date_from_civil(y, m, d), months);
    int gy, gm, gd;
    fp_date_civil(got, &gy, &gm, &gd);
    if (gy != ey || gm != em || gd != ed)
        fail_msg("%04d-%02d-%02d %+d months: got %04d-%02d-%02d want %04d-%02d-%02d", y, m, d, months, gy, gm, gd, ey,
                 em, ed);
}

static void test_add_months(void **state)
{
    (void)state;
    s_expect_add(2026, 1, 31, 1, 2026, 2, 28);
    s_expect_add(2024, 1, 31, 1, 2024, 2, 29);
    s_expect_add(2026, 3, 31, -1, 2026, 2, 28);
    s_expect_add(2026, 8, 31, 1, 2026, 9, 30);
    s_expect_add(2026, 12, 31, 2, 2027, 2, 28);
    s_expect_add(2024, 2, 29, 12, 2025, 2, 28);
    s_expect_add(2024, 2, 29, 48, 2028, 2, 29);
    s_expect_add(2026, 1, 15, -1, 2025, 12, 15);
    s_expect_add(2026, 1, 15, 0, 2026, 1, 15);
    s_expect_add(2026, 1, 15, 6, 2026, 7, 15);
    s_expect_add(2026, 1, 15, -25, 2023, 12, 15);
    s_expect_add(2026, 5, 31, 1200, 2126, 5, 31);
    s_expect_add(1900, 3, 31, -1, 1900, 2, 28);
    s_expect_add(2000, 3, 31, -1, 2000, 2, 29);
    s_expect_add(2026, 10, 31, -12, 2025, 10, 31);
    assert_int_equal(fp_date_add_months(INT32_MAX, 1), INT32_MAX);
    assert_int_equal(fp_date_add_months(INT32_MIN, -1), INT32_MIN);
    assert_int_equal(fp_date_add_months(0, INT_MAX), INT32_MAX);
    assert_int_equal(fp_date_add_months(0, INT_MIN), INT32_MIN);
}

static int s_between(int y1, int m1, int d1, int y2, int m2, int d2)
{
    return fp_date_months_between(fp_date_from_civil(y1, m1, d1), fp_date_from_civil(y2, m2, d2));
}

static void test_months_between(void **state)
{
    (void)state;
    /* The six-month rule: 5 months 29 days is not yet 6 months. */
    assert_int_equal(s_between(2026, 1, 15, 2026, 7, 14), 5);
    assert_int_equal(s_between(2026, 1, 15, 2026, 7, 15), 6);
    assert_int_equal(s_between(2026, 1, 15, 2026, 7, 16), 6);
    assert_int_equal(s_between(2025, 8, 31, 2026, 2, 27), 5);
    assert_int_equal(s_between(2025, 8, 31, 2026, 2, 28), 6);
    assert_int_equal(s_between(2026, 1, 15, 2026, 1, 15), 0);
    assert_int_equal(s_between(2026, 1, 15, 2026, 2, 14), 0);
    assert_int_equal(s_between(2026, 1, 15, 2026, 2, 15), 1);
    /* Month ends, consistent with add_months' clamping. */
    assert_int_equal(s_between(2026, 1, 31, 2026, 2, 27), 0);
    assert_int_equal(s_between(2026, 1, 31, 2026, 2, 28), 1);
    assert_int_equal(s_between(2024, 1, 31, 2024, 2, 28), 0);
    assert_int_equal(s_between(2024, 1, 31, 2024, 2, 29), 1);
    assert_int_equal(s_between(2026, 1, 31, 2026, 3, 30), 1);
    assert_int_equal(s_between(2026, 1, 31, 2026, 3, 31), 2);
    assert_int_equal(s_between(2025, 12, 31, 2026, 1, 1), 0);
    assert_int_equal(s_between(2020, 2, 29, 2021, 2, 28), 12);
    assert_int_equal(s_between(1900, 1, 1, 2199, 12, 31), 3599);
    /* Backwards: negative, truncated toward zero. */
    assert_int_equal(s_between(2026, 7, 14, 2026, 1, 15), -5);
    assert_int_equal(s_between(2026, 7, 15, 2026, 1, 15), -6);
    assert_int_equal(s_between(2026, 3, 31, 2026, 2, 28), -1);
    assert_int_equal(s_between(2026, 3, 31, 2026, 3, 1), 0);
    /* Over a wide range: n months after any day is exactly n, one day less is n-1. */
    for (int32_t from = fp_date_from_civil(2023, 1, 1); from < fp_date_from_civil(2025, 1, 1); from++) {
        for (int n = 1; n <= 14; n++) {
            int32_t to = fp_date_add_months(from, n);
            assert_int_equal(fp_date_months_between(from, to), n);
            assert_int_equal(fp_date_months_between(from, to - 1), n - 1);
        }
    }
}

static void test_from_civil_is_total(void **state)
{
    (void)state;
    assert_int_equal(fp_date_from_civil(2026, 13, 1), fp_date_from_civil(2027, 1, 1));
    assert_int_equal(fp_date_from_civil(2026, 0, 1), fp_date_from_civil(2025, 12, 1));
    assert_int_equal(fp_date_from_civil(2026, -11, 1), fp_date_from_civil(2025, 1, 1));
    assert_int_equal(fp_date_from_civil(2026, 3, 0), fp_date_from_civil(2026, 2, 28));
    assert_int_equal(fp_date_from_civil(2026, 1, 32), fp_date_from_civil(2026, 2, 1));
    assert_int_equal(fp_date_from_civil(INT_MAX, 12, 31), INT32_MAX);
    assert_int_equal(fp_date_from_civil(INT_MIN, 1, 1), INT32_MIN);
    assert_int_equal(fp_date_from_civil(2026, INT_MAX, INT_MAX), INT32_MAX);
    int y, m, d;
    fp_date_civil(INT32_MAX, &y, &m, &d);
    assert_int_equal(fp_date_from_civil(y, m, d), INT32_MAX);
    fp_date_civil(INT32_MIN, &y, &m, &d);
    assert_int_equal(fp_date_from_civil(y, m, d), INT32_MIN);
}

static void test_today(void **state)
{
    (void)state;
    int32_t t = fp_date_today_utc8();
    int64_t now = (int64_t)time(NULL);
    int32_t want = (int32_t)((now + 8 * 3600) / 86400);
    assert_true(t == want || t == want + 1); /* the clock may tick over a midnight */
    assert_true(t >= fp_date_from_civil(2025, 1, 1));
}

static void test_period_parse(void **state)
{
    (void)state;
    fp_period_t p = {0, 0};
    assert_int_equal(fp_period_parse("2026-01", &p), FP_OK);
    assert_int_equal(p.year, 2026);
    assert_int_equal(p.month, 1);
    assert_int_equal(fp_period_parse("2000-01", &p), FP_OK);
    assert_int_equal(p.year, 2000);
    assert_int_equal(fp_period_parse("2199-12", &p), FP_OK);
    assert_int_equal(p.year, 2199);
    assert_int_equal(p.month, 12);
    static const struct {
        const char *s;
        fp_err_t rc;
    } bad[] = {
        {"", FP_EINVAL},        {"2026-1", FP_EINVAL},     {"2026-001", FP_EINVAL}, {"202601", FP_EINVAL},
        {"2026/01", FP_EINVAL}, {"2026-01-01", FP_EINVAL}, {" 2026-01", FP_EINVAL}, {"2026-01 ", FP_EINVAL},
        {"2026-0x", FP_EINVAL}, {"2026-13", FP_EDATE},     {"2026-00", FP_EDATE},   {"2026-99", FP_EDATE},
        {"1999-12", FP_ERANGE}, {"2200-01", FP_ERANGE},    {"0000-01", FP_ERANGE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fp_period_t q = {7, 7};
        fp_err_t rc = fp_period_parse(bad[i].s, &q);
        if (rc != bad[i].rc) fail_msg("\"%s\": got %d want %d", bad[i].s, rc, bad[i].rc);
        assert_int_equal(q.year, 7);
        assert_int_equal(q.month, 7);
    }
    assert_int_equal(fp_period_parse(NULL, &p), FP_EINVAL);
    assert_int_equal(fp_period_parse("2026-01", NULL), FP_EINVAL);
}

static void test_period_format(void **state)
{
    (void)state;
    char b[8];
    fp_period_format((fp_period_t){2026, 1}, b);
    assert_string_equal(b, "2026-01");
    fp_period_format((fp_period_t){2199, 12}, b);
    assert_string_equal(b, "2199-12");
    fp_period_format((fp_period_t){2026, 13}, b);
    assert_string_equal(b, "####-##");
    fp_period_format((fp_period_t){2026, 0}, b);
    assert_string_equal(b, "####-##");
    fp_period_format((fp_period_t){10000, 1}, b);
    assert_string_equal(b, "####-##");
}

static void test_period_prev_next(void **state)
{
    (void)state;
    fp_period_t p = fp_period_prev((fp_period_t){2026, 1});
    assert_int_equal(p.year, 2025);
    assert_int_equal(p.month, 12);
    p = fp_period_next((fp_period_t){2025, 12});
    assert_int_equal(p.year, 2026);
    assert_int_equal(p.month, 1);
    p = fp_period_prev((fp_period_t){2000, 1});
    assert_int_equal(p.year, 1999);
    assert_int_equal(p.month, 12);
    p = fp_period_next((fp_period_t){2026, 6});
    assert_int_equal(p.year, 2026);
    assert_int_equal(p.month, 7);
    p = fp_period_prev((fp_period_t){2026, 7});
    assert_int_equal(p.year, 2026);
    assert_int_equal(p.month, 6);
    p = (fp_period_t){2026, 3};
    for (int i = 0; i < 12; i++) p = fp_period_next(p);
    assert_int_equal(p.year, 2027);
    assert_int_equal(p.month, 3);
    for (int i = 0; i < 27; i++) p = fp_period_prev(p);
    assert_int_equal(p.year, 2024);
    assert_int_equal(p.month, 12);
    p = fp_period_next((fp_period_t){2026, 13}); /* normalized: 2027-01, then next */
    assert_int_equal(p.year, 2027);
    assert_int_equal(p.month, 2);
}

static void test_period_days(void **state)
{
    (void)state;
    assert_int_equal(fp_period_first_day((fp_period_t){2026, 1}), 20454);
    assert_int_equal(fp_period_last_day((fp_period_t){2025, 12}), 20453);
    assert_int_equal(fp_period_last_day((fp_period_t){2024, 2}), 19782);
    assert_int_equal(fp_period_last_day((fp_period_t){2026, 2}), fp_date_from_civil(2026, 2, 28));
    assert_int_equal(fp_period_last_day((fp_period_t){2100, 2}), fp_date_from_civil(2100, 2, 28));
    assert_int_equal(fp_period_last_day((fp_period_t){2000, 2}), fp_date_from_civil(2000, 2, 29));
    assert_int_equal(fp_period_last_day((fp_period_t){2026, 12}), fp_date_from_civil(2026, 12, 31));
    assert_int_equal(fp_period_first_day((fp_period_t){2026, 11}), 20781 - 23);
    fp_period_t p = fp_period_of(20781);
    assert_int_equal(p.year, 2026);
    assert_int_equal(p.month, 11);
    p = fp_period_of(-1);
    assert_int_equal(p.year, 1969);
    assert_int_equal(p.month, 12);
    /* Every month 2000..2199: the period holds exactly its days. */
    for (int y = 2000; y <= 2199; y++) {
        for (int m = 1; m <= 12; m++) {
            fp_period_t q = {y, m};
            int32_t a = fp_period_first_day(q), b = fp_period_last_day(q);
            assert_int_equal(b - a + 1, s_dim(y, m));
            fp_period_t r = fp_period_of(a), s = fp_period_of(b);
            assert_true(r.year == y && r.month == m && s.year == y && s.month == m);
            fp_period_t n = fp_period_of(b + 1);
            fp_period_t nx = fp_period_next(q);
            assert_true(n.year == nx.year && n.month == nx.month);
        }
    }
}

static void test_quarter(void **state)
{
    (void)state;
    static const int want[13] = {0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4};
    for (int m = 1; m <= 12; m++) assert_int_equal(fp_quarter_of((fp_period_t){2026, m}), want[m]);
    assert_int_equal(fp_quarter_of((fp_period_t){2026, 0}), 0);
    assert_int_equal(fp_quarter_of((fp_period_t){2026, 13}), 0);
}

static void test_clock_minutes(void **state)
{
    (void)state;
    assert_int_equal(fp_clock_minutes_parse("00:00"), 0);
    assert_int_equal(fp_clock_minutes_parse("02:30"), 150);
    assert_int_equal(fp_clock_minutes_parse("23:59"), 23 * 60 + 59);
    const char *bad[] = {"24:00", "12:60", "2:30", "02:3", "02-30", "0230", "02:30 ", " 02:30", "ab:cd", "", "off",
                         "-1:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_int_equal(fp_clock_minutes_parse(bad[i]), -1);
    assert_int_equal(fp_clock_minutes_parse(NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_day_numbers),
        cmocka_unit_test(test_round_trip_1900_2199),
        cmocka_unit_test(test_leap_and_validity),
        cmocka_unit_test(test_parse_forms),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_weekday),
        cmocka_unit_test(test_add_months),
        cmocka_unit_test(test_months_between),
        cmocka_unit_test(test_from_civil_is_total),
        cmocka_unit_test(test_today),
        cmocka_unit_test(test_period_parse),
        cmocka_unit_test(test_period_format),
        cmocka_unit_test(test_period_prev_next),
        cmocka_unit_test(test_period_days),
        cmocka_unit_test(test_quarter),
        cmocka_unit_test(test_clock_minutes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
