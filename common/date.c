/* date.c: civil dates (days since 1970-01-01, proleptic Gregorian) and monthly periods.
 * The day arithmetic is Howard Hinnant's days_from_civil / civil_from_days, done in int64_t
 * so that no int32_t input can overflow; results beyond int32_t saturate. */
#include "date.h"

#include <string.h>
#include <time.h>

static int64_t s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

static int32_t s_sat32(int64_t v)
{
    if (v > INT32_MAX) return INT32_MAX;
    if (v < INT32_MIN) return INT32_MIN;
    return (int32_t)v;
}

/* Hinnant's days_from_civil, with the month normalized first (any month, any day offset). */
static int64_t s_days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t m0 = m - 1;
    y += s_floor_div(m0, 12);
    m = m0 - s_floor_div(m0, 12) * 12 + 1;
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void fp_date_civil(int32_t days, int *y, int *m, int *d)
{
    int64_t z = (int64_t)days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    yy += mm <= 2;
    if (y) *y = (int)yy;
    if (m) *m = (int)mm;
    if (d) *d = (int)dd;
}

int32_t fp_date_from_civil(int y, int m, int d) { return s_sat32(s_days_from_civil(y, m, d)); }

bool fp_date_is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int fp_date_days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12) return 0;
    return m == 2 && fp_date_is_leap(y) ? 29 : dim[m - 1];
}

bool fp_date_valid(int y, int m, int d) { return d >= 1 && d <= fp_date_days_in_month(y, m); }

int fp_date_weekday(int32_t days)
{
    /* 1970-01-01 was a Thursday (ISO index 3). */
    return (int)(((days % 7) + 7 + 3) % 7);
}

int32_t fp_date_add_months(int32_t days, int months)
{
    int y, m, d;
    fp_date_civil(days, &y, &m, &d);
    int64_t total = (int64_t)y * 12 + (m - 1) + months;
    int64_t ny = s_floor_div(total, 12);
    int nm = (int)(total - ny * 12) + 1;
    /* ny stays well inside int: |y| < 6e6 and |months| < 2^31 / 12 years. */
    int dim = fp_date_days_in_month((int)ny, nm);
    if (d > dim) d = dim;
    return s_sat32(s_days_from_civil(ny, nm, d));
}

int fp_date_months_between(int32_t from, int32_t to)
{
    int y1, m1, d1, y2, m2, d2;
    fp_date_civil(from, &y1, &m1, &d1);
    fp_date_civil(to, &y2, &m2, &d2);
    (void)d1;
    (void)d2;
    int n = (y2 - y1) * 12 + (m2 - m1);
    if (to >= from) {
        while (n > 0 && fp_date_add_months(from, n) > to) n--;
    } else {
        while (n < 0 && fp_date_add_months(from, n) < to) n++;
    }
    return n;
}

int32_t fp_date_today_utc8(void)
{
    int64_t t = (int64_t)time(NULL) + 8 * 3600;
    return s_sat32(s_floor_div(t, 86400));
}

/* Reads n ASCII digits; false if any is not a digit. */
static bool s_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

fp_err_t fp_date_parse(const char *s, int32_t *days)
{
    if (!s || !days) return FP_EINVAL;
    size_t len = strnlen(s, 11);
    int y, m, d;
    if (len == 10) {
        if ((s[4] != '-' && s[4] != '/') || s[7] != s[4]) return FP_EINVAL;
        if (!s_digits(s, 4, &y) || !s_digits(s + 5, 2, &m) || !s_digits(s + 8, 2, &d)) return FP_EINVAL;
    } else if (len == 8) {
        if (!s_digits(s, 4, &y) || !s_digits(s + 4, 2, &m) || !s_digits(s + 6, 2, &d)) return FP_EINVAL;
    } else {
        return FP_EINVAL;
    }
    if (y < FP_DATE_MIN_YEAR || y > FP_DATE_MAX_YEAR) return FP_ERANGE;
    if (!fp_date_valid(y, m, d)) return FP_EDATE;
    *days = fp_date_from_civil(y, m, d);
    return FP_OK;
}

static void s_put(char *p, int v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void fp_date_format(int32_t days, char out[11])
{
    int y, m, d;
    fp_date_civil(days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        memcpy(out, "####-##-##", 11);
        return;
    }
    s_put(out, y, 4);
    out[4] = '-';
    s_put(out + 5, m, 2);
    out[7] = '-';
    s_put(out + 8, d, 2);
    out[10] = '\0';
}

fp_err_t fp_period_parse(const char *s, fp_period_t *p)
{
    if (!s || !p) return FP_EINVAL;
    int y, m;
    if (strnlen(s, 8) != 7 || s[4] != '-' || !s_digits(s, 4, &y) || !s_digits(s + 5, 2, &m)) return FP_EINVAL;
    if (y < FP_PERIOD_MIN_YEAR || y > FP_PERIOD_MAX_YEAR) return FP_ERANGE;
    if (m < 1 || m > 12) return FP_EDATE;
    p->year = y;
    p->month = m;
    return FP_OK;
}

void fp_period_format(fp_period_t p, char out[8])
{
    if (p.year < 0 || p.year > 9999 || p.month < 1 || p.month > 12) {
        memcpy(out, "####-##", 8);
        return;
    }
    s_put(out, p.year, 4);
    out[4] = '-';
    s_put(out + 5, p.month, 2);
    out[7] = '\0';
}

static fp_period_t s_period_add(fp_period_t p, int delta)
{
    int64_t total = (int64_t)p.year * 12 + (p.month - 1) + delta;
    int64_t y = s_floor_div(total, 12);
    fp_period_t r = {(int)y, (int)(total - y * 12) + 1};
    return r;
}

fp_period_t fp_period_prev(fp_period_t p) { return s_period_add(p, -1); }
fp_period_t fp_period_next(fp_period_t p) { return s_period_add(p, 1); }

int32_t fp_period_first_day(fp_period_t p) { return s_sat32(s_days_from_civil(p.year, p.month, 1)); }

int32_t fp_period_last_day(fp_period_t p) { return s_sat32(s_days_from_civil(p.year, (int64_t)p.month + 1, 1) - 1); }

fp_period_t fp_period_of(int32_t days)
{
    fp_period_t p;
    fp_date_civil(days, &p.year, &p.month, NULL);
    return p;
}

int fp_quarter_of(fp_period_t p)
{
    if (p.month < 1 || p.month > 12) return 0;
    return (p.month - 1) / 3 + 1;
}

int fp_clock_minutes_parse(const char *s)
{
    if (!s || strlen(s) != 5 || s[2] != ':') return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9')) return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    return h < 24 && m < 60 ? h * 60 + m : -1;
}
