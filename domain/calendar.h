/* calendar.h: the working-day calendar, the one C implementation (the database's fp_add_days in
 * deploy/db does the same arithmetic; it_calendar checks that they agree). A working day is
 * Monday..Friday, minus the holidays, plus the adjusted working weekend days (调休). Pure. */
#ifndef FP_CALENDAR_H
#define FP_CALENDAR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Lists are caller-owned days (fp_date numbers), any order; a day in both lists is a working
 * day. */
typedef struct {
    const int32_t *holidays;
    size_t n_holidays;
    const int32_t *workdays;
    size_t n_workdays;
} fp_calendar_t;

/* cal may be NULL: no holidays, no adjusted days. */
bool fp_is_workday(int32_t day, const fp_calendar_t *cal);

/* The day n working days after from (from itself not counted; n = 0 gives from, n < 0 counts
 * back). |n| is clamped to 36600. */
int32_t fp_workdays_add(int32_t from, int n, const fp_calendar_t *cal);

/* n days after from: working days (fp_workdays_add) or calendar days (clamped to int32), as the
 * database's fp_add_days(from, n, working). */
int32_t fp_days_add(int32_t from, int32_t n, bool working, const fp_calendar_t *cal);

/* Parses comma-separated YYYY-MM-DD days (as the database's string_agg gives them) into out, at
 * most max; a malformed item is skipped. Returns how many. */
size_t fp_calendar_days_parse(const char *csv, int32_t *out, size_t max);

#endif
