/* date_fuzz.c: libFuzzer target for dates and periods. Invariants: a parsed date formats and
 * re-parses to the same day; a parsed period formats back to the input and steps back and
 * forth to itself; on arbitrary day numbers civil/from_civil round-trip, weekdays advance by
 * one, and months_between inverts add_months. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    int32_t days = 0, back = 0;
    char b[11];
    if (fp_date_parse(s, &days) == FP_OK) {
        int y, m, d;
        fp_date_civil(days, &y, &m, &d);
        if (y < FP_DATE_MIN_YEAR || y > FP_DATE_MAX_YEAR || !fp_date_valid(y, m, d)) abort();
        fp_date_format(days, b);
        if (fp_date_parse(b, &back) != FP_OK || back != days) abort();
        if (strlen(s) == 10 && s[4] == '-' && strcmp(b, s) != 0) abort();
    }

    fp_period_t p, q;
    if (fp_period_parse(s, &p) == FP_OK) {
        char pb[8];
        fp_period_format(p, pb);
        if (strcmp(pb, s) != 0) abort();
        q = fp_period_prev(fp_period_next(p));
        if (q.year != p.year || q.month != p.month) abort();
        int32_t a = fp_period_first_day(p), z = fp_period_last_day(p);
        if (z - a + 1 != fp_date_days_in_month(p.year, p.month)) abort();
        q = fp_period_of(z);
        if (q.year != p.year || q.month != p.month) abort();
        int qt = fp_quarter_of(p);
        if (qt < 1 || qt > 4) abort();
    }

    if (size >= 8) {
        int32_t d0;
        int32_t n0;
        memcpy(&d0, data, 4);
        memcpy(&n0, data + 4, 4);
        int y, m, d;
        fp_date_civil(d0, &y, &m, &d);
        if (!fp_date_valid(y, m, d) || fp_date_from_civil(y, m, d) != d0) abort();
        int wd = fp_date_weekday(d0);
        if (wd < 0 || wd > 6) abort();
        if (d0 < INT32_MAX && fp_date_weekday(d0 + 1) != (wd + 1) % 7) abort();
        fp_date_format(d0, b);
        if (strlen(b) != 10) abort();
        /* Month arithmetic away from saturation: days within years 0..9999, |n| < 60000. */
        int32_t dd = (int32_t)(((int64_t)d0 % 3000000 + 3000000) % 3000000) - 719162;
        int n = (int)(n0 % 60000);
        int32_t r = fp_date_add_months(dd, n);
        if (fp_date_months_between(dd, r) != n) abort();
        int ry, rm, rd;
        fp_date_civil(r, &ry, &rm, &rd);
        fp_date_civil(dd, &y, &m, &d);
        if ((int64_t)ry * 12 + rm - ((int64_t)y * 12 + m) != n) abort();
        if (rd > d || (rd < d && rd != fp_date_days_in_month(ry, rm))) abort();
    }
    free(s);
    return 0;
}
