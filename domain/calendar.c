/* calendar.c: working days (calendar.h). */
#include "calendar.h"

#include <stdio.h>
#include <string.h>

#include "date.h"

static bool s_in(const int32_t *v, size_t n, int32_t day)
{
    for (size_t i = 0; v && i < n; i++)
        if (v[i] == day) return true;
    return false;
}

bool fp_is_workday(int32_t day, const fp_calendar_t *cal)
{
    if (cal && s_in(cal->workdays, cal->n_workdays, day)) return true;
    if (cal && s_in(cal->holidays, cal->n_holidays, day)) return false;
    return fp_date_weekday(day) < 5;
}

#define S_MAX_WORKDAYS 36600

int32_t fp_workdays_add(int32_t from, int n, const fp_calendar_t *cal)
{
    if (n > S_MAX_WORKDAYS) n = S_MAX_WORKDAYS;
    if (n < -S_MAX_WORKDAYS) n = -S_MAX_WORKDAYS;
    int step = n < 0 ? -1 : 1;
    int left = n < 0 ? -n : n;
    int32_t d = from;
    while (left > 0) {
        if ((step > 0 && d >= INT32_MAX - 1) || (step < 0 && d <= INT32_MIN + 1)) break;
        d += step;
        if (fp_is_workday(d, cal)) left--;
    }
    return d;
}

int32_t fp_days_add(int32_t from, int32_t n, bool working, const fp_calendar_t *cal)
{
    if (working) return fp_workdays_add(from, n, cal);
    int64_t d = (int64_t)from + n;
    return d > INT32_MAX ? INT32_MAX : (d < INT32_MIN + 1 ? INT32_MIN + 1 : (int32_t)d);
}

size_t fp_calendar_days_parse(const char *csv, int32_t *out, size_t max)
{
    size_t n = 0;
    for (const char *p = csv; p && *p && n < max;) {
        char day[11];
        snprintf(day, sizeof day, "%.10s", p);
        if (fp_date_parse(day, &out[n]) == FP_OK) n++;
        p = strchr(p, ',');
        if (p) p++;
    }
    return n;
}
