/* plan_check.h: the checks of one household's assistance plan (一户一策) as numbered data
 * (STYLE.md 9): {id, zh, en, predicate}, evaluated over plain structs, giving the checks that
 * fired with the numbers they saw and a Chinese explanation. Pure; docs/assistance-rules.md. */
#ifndef ASSIST_PLAN_CHECK_H
#define ASSIST_PLAN_CHECK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "measures.h"

#define ASSIST_NO_DATE INT32_MIN

typedef struct {
    assist_category_t category;
    assist_mstatus_t status;
    int32_t start_on;   /* day number (common/date.h); ASSIST_NO_DATE if not set */
    int32_t end_on;     /* planned end; ASSIST_NO_DATE if open-ended */
    int64_t amount_fen; /* money involved, fen, >= 0 (0 for a measure without money) */
} assist_measure_t;

typedef struct {
    int32_t opened_on;                /* day the plan was opened */
    const assist_measure_t *measures; /* caller-owned; may be NULL when n_measures is 0 */
    size_t n_measures;
} assist_plan_t;

typedef struct {
    int32_t members;             /* 1..99 */
    int32_t members_with_labour; /* 0..members (full or partial labour capacity) */
    size_t n_risks;              /* 0..5 */
    screen_risk_t risks[SCREEN_MAX_RISKS];
    int32_t identified_on; /* day of identification (识别纳入) */
    bool eliminated;       /* marked risk-eliminated (风险消除) */
    int32_t eliminated_on; /* when eliminated */
    /* the populations it is in now (ASSIST_SERVES_*: monitored while the plan is not eliminated,
     * the low-income categories of household_categories); 0 when not known (P11 does not run) */
    unsigned populations;
} assist_household_t;

typedef struct {
    int32_t empty_plan_days;     /* P04: a plan with no measure more than this many days after it
                                   * was opened. Bounds 1..366, default 30. */
    int32_t min_months_to_elim;  /* P07: months from identification to elimination. Bounds
                                   * 1..60, default 6. */
    const char *const *disabled; /* check ids switched off (NULL-terminated list, or NULL) */
} assist_check_params_t;

#define ASSIST_CHECK_PARAMS_DEFAULT \
    {                               \
        30, 6, NULL                 \
    }

typedef struct {
    const char *id;
    char seen[160];
    char why_zh[384];
} assist_finding_t;

typedef struct assist_check {
    const char *id; /* "P01".. in table order, never reused */
    const char *zh;
    const char *en;
    bool (*fires)(const assist_plan_t *pl, const assist_household_t *h, const assist_check_params_t *p, int32_t today,
                  assist_finding_t *out);
} assist_check_t;

extern const assist_check_t assist_checks[];
extern const size_t assist_checks_count;

#define ASSIST_MAX_FINDINGS 16
typedef struct {
    size_t n;
    assist_finding_t f[ASSIST_MAX_FINDINGS]; /* in table order */
} assist_findings_t;

/* Runs every enabled check in table order as of day today. FP_OK; FP_EINVAL for a NULL argument
 * (measures NULL with n_measures > 0 included), an unknown category, status or risk type, or a
 * risk type given twice; FP_ERANGE for members outside 1..99, labour outside 0..members, more than
 * five risks, a negative amount, a parameter outside its bounds. *out written only on FP_OK. */
fp_err_t assist_plan_check(const assist_plan_t *pl, const assist_household_t *h, const assist_check_params_t *p,
                           int32_t today, assist_findings_t *out);

#endif
