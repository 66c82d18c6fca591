/* report_defs.h: the reports the reporting service knows: each one's code, Chinese name, period
 * form and columns (the keys of the rows report_get() gives, their Chinese headers, and which
 * are numbers). Adding a report is a row of report_defs[] and its SQL. */
#ifndef REPORT_DEFS_H
#define REPORT_DEFS_H
#include <stdbool.h>
#include <stdint.h>

#define REPORT_LVM "lead_verification_monthly"
#define REPORT_MAX_COLS 32

/* the period a report takes: a month YYYY-MM, a quarter YYYYQn, or either */
typedef enum { REPORT_PER_MONTH = 1, REPORT_PER_QUARTER = 2, REPORT_PER_ANY = 3 } report_per_t;

/* A column after the label: the key in the SQL's row objects, the Chinese header, integer or text. */
typedef struct {
    const char *key;
    const char *title;
    bool numeric;
} report_col_t;

/* One report: code, Chinese name, worksheet name, first column's header, period form, columns. */
typedef struct {
    const char *code;
    const char *name_zh;
    const char *sheet;
    const char *first;
    report_per_t per;
    const report_col_t *cols;
    int ncols;
} report_def_t;

extern const report_def_t report_defs[];
extern const int report_ndefs;

/* The report with this code, or NULL. */
const report_def_t *report_def_find(const char *code);
/* The periods a page shows by default on day today (the dashboard, dash.h): the month before
 * today's ("YYYY-MM", the month whose leads are pushed and verified in today's) and today's quarter
 * ("YYYYQn"). Pure; unit-tested. */
void report_default_periods(int32_t today, char month[8], char quarter[8]);
/* "YYYYQn" with a year the monthly periods accept and n in 1..4. */
bool report_quarter_parse(const char *s, int *year, int *q);

#endif
