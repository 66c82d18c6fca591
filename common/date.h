/* date.h: civil dates as days since 1970-01-01 (proleptic Gregorian, int32_t) and monthly
 * reporting periods ("YYYY-MM"). Pure functions; the one exception is fp_date_today_utc8(). */
#ifndef FP_DATE_H
#define FP_DATE_H
#include <stdbool.h>
#include <stdint.h>

#include "err.h"

/* Bounds accepted by the parsers (the arithmetic itself works on any int32_t day). */
#define FP_DATE_MIN_YEAR 1900
#define FP_DATE_MAX_YEAR 2199
#define FP_PERIOD_MIN_YEAR 2000
#define FP_PERIOD_MAX_YEAR 2199

/* Parses "YYYY-MM-DD", "YYYYMMDD" or "YYYY/MM/DD" exactly (no spaces, no mixed separators,
 * always 2-digit month and day). FP_EINVAL: syntax; FP_ERANGE: year outside 1900..2199;
 * FP_EDATE: no such day (month 00/13, day 00, Feb 29 of a common year, ...).
 * *days is written only on FP_OK. */
fp_err_t fp_date_parse(const char *s, int32_t *days);

/* Writes "YYYY-MM-DD" (always NUL-terminated); a day outside years 0000..9999 gives
 * "####-##-##". */
void fp_date_format(int32_t days, char out[11]);

/* Year, month (1..12) and day (1..31) of a day number. Any int32_t is accepted. */
void fp_date_civil(int32_t days, int *y, int *m, int *d);

/* Day number of y-m-d. Meant for valid dates; it is total nonetheless: a month outside
 * 1..12 rolls into neighbouring years (month 13 = January of y+1, month 0 = December of
 * y-1), the day is an offset from the 1st (day 0 = last day of the previous month), and
 * a result beyond int32_t saturates at INT32_MIN/INT32_MAX. */
int32_t fp_date_from_civil(int y, int m, int d);

/* Minutes after midnight of a time of day "HH:MM" (00:00..23:59, two digits each); -1 otherwise. */
int fp_clock_minutes_parse(const char *s);

bool fp_date_is_leap(int y);
/* Days in month m (1..12) of year y; 0 for a month outside 1..12. */
int fp_date_days_in_month(int y, int m);
/* True if y-m-d is a real date of the proleptic Gregorian calendar (any year). */
bool fp_date_valid(int y, int m, int d);

/* ISO weekday: 0 = Monday .. 6 = Sunday. */
int fp_date_weekday(int32_t days);

/* The same day `months` later (or earlier if negative), clamped to the end of the target
 * month: Jan 31 + 1 month = Feb 28 (Feb 29 in a leap year). Saturates like from_civil. */
int32_t fp_date_add_months(int32_t days, int months);

/* Whole months completed from `from` to `to`, consistent with fp_date_add_months:
 * for to >= from the largest n >= 0 with add_months(from, n) <= to
 * (2026-01-15 -> 2026-07-14 is 5, -> 2026-07-15 is 6; 2026-01-31 -> 2026-02-28 is 1);
 * for to < from the negative count, truncated toward zero
 * (the smallest-magnitude n <= 0 with add_months(from, n) >= to). */
int fp_date_months_between(int32_t from, int32_t to);

/* Today in China (UTC+8) from the system clock. The only non-pure function here. */
int32_t fp_date_today_utc8(void);

/* A monthly reporting period. */
typedef struct {
    int year;
    int month;
} fp_period_t;

/* Parses "YYYY-MM" exactly. FP_EINVAL: syntax; FP_ERANGE: year outside 2000..2199;
 * FP_EDATE: month outside 01..12. *p is written only on FP_OK. */
fp_err_t fp_period_parse(const char *s, fp_period_t *p);
/* Writes "YYYY-MM"; "####-##" if the year is outside 0..9999 or the month outside 1..12. */
void fp_period_format(fp_period_t p, char out[8]);
/* Previous / next month; a month outside 1..12 is first normalized as in from_civil. */
fp_period_t fp_period_prev(fp_period_t p);
fp_period_t fp_period_next(fp_period_t p);
/* First and last day of the period. */
int32_t fp_period_first_day(fp_period_t p);
int32_t fp_period_last_day(fp_period_t p);
/* The period a day falls in. */
fp_period_t fp_period_of(int32_t days);
/* Quarter 1..4 of the period; 0 if its month is outside 1..12. */
int fp_quarter_of(fp_period_t p);

#endif
