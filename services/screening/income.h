/* income.h: per capita net income of a household by the official method (收入核算口径):
 * the income items of the 12 months before the lead, minus production costs, divided by the
 * household size. Pure arithmetic on int64 fen; values that could overflow are refused. */
#ifndef SCREEN_INCOME_H
#define SCREEN_INCOME_H
#include <stdint.h>

#include "err.h"

/* Bounds of the inputs: each amount 0..SCREEN_INCOME_MAX_FEN (10^13 yuan, as the money
 * parser), household size 1..SCREEN_INCOME_MAX_MEMBERS. Within them no sum can overflow. */
#define SCREEN_INCOME_MAX_FEN INT64_C(1000000000000000)
#define SCREEN_INCOME_MAX_MEMBERS 99

/* The household's income items over the 12 months before the lead (the window is
 * screen_income_window()), each a non-negative amount in fen, gross of costs. */
typedef struct {
    /* wage income 工资性收入 */
    int64_t wage_public_welfare; /* 公益性岗位工资 */
    int64_t wage_other;          /* other wages 其他工资性收入 (migrant work, local jobs) */
    /* operating income 生产经营性收入 (gross; its costs go to production_costs) */
    int64_t operating;
    /* property income 财产性收入 */
    int64_t property; /* asset dividends 资产收益分红, rents */
    /* transfer income 转移性收入 */
    int64_t transfer_pension;         /* 养老金 */
    int64_t transfer_family_planning; /* 计划生育金 */
    int64_t transfer_ecological;      /* 生态补偿金 */
    int64_t transfer_dibao;           /* 低保金 */
    int64_t transfer_tekun;           /* 特困供养金 */
    int64_t transfer_other;           /* other transfers 其他转移性收入 */
    /* production costs 生产经营性支出 */
    int64_t production_costs;
    /* Household size: the members of the household on the reference date (the lead's date),
     * as the national information collection form (信息采集表, 家庭人口数) counts them: a member
     * born, married in or returned before that date counts as one whole person, a member who
     * died or moved out before it does not count. Part-year presence is NOT prorated. */
    int32_t members;
} screen_income_t;

typedef struct {
    int64_t wage; /* wage_public_welfare + wage_other */
    int64_t operating;
    int64_t property;
    int64_t transfer;     /* the six transfer items */
    int64_t total_income; /* wage + operating + property + transfer */
    int64_t production_costs;
    int64_t net;            /* total_income - production_costs; may be negative */
    int64_t per_capita_net; /* net / members, rounded to the fen half away from zero */
    int32_t members;
} screen_income_result_t;

/* Computes the result. FP_OK; FP_EINVAL if an argument is NULL or members < 1 (an empty
 * household has no per capita income); FP_ERANGE if an amount is negative or above
 * SCREEN_INCOME_MAX_FEN or members > SCREEN_INCOME_MAX_MEMBERS. *out is written only on FP_OK.
 * Rounding: per_capita_net = net / members to the nearest fen, a remainder of exactly half a fen
 * away from zero (1001 fen / 2 = 501, -1001 / 2 = -501, 1000 / 3 = 333, 2000 / 3 = 667). */
fp_err_t screen_income_compute(const screen_income_t *in, screen_income_result_t *out);

/* The income window for a lead dated lead_date: the 12 months before it,
 * [lead_date - 12 months, lead_date - 1] inclusive (2021-10-01 -> 2020-10-01 .. 2021-09-30;
 * a lead on 29 February starts on 28 February of the year before). */
void screen_income_window(int32_t lead_date, int32_t *first, int32_t *last);

#endif
