/* income.c: per capita net income by the official method (see income.h): component sums,
 * net, and the per capita figure rounded half away from zero. Bounds are checked first, so
 * no sum below can overflow; the adds are checked all the same. No I/O, no globals. */
#include "income.h"

#include <stdbool.h>
#include <stddef.h>

#include "date.h"

static bool s_in_bounds(int64_t v) { return v >= 0 && v <= SCREEN_INCOME_MAX_FEN; }

/* *acc += v; false on overflow (unreachable within the bounds, kept as a second guard). */
static bool s_add(int64_t *acc, int64_t v)
{
    int64_t r;
    if (__builtin_add_overflow(*acc, v, &r)) return false;
    *acc = r;
    return true;
}

/* n / d for d > 0, to the nearest integer, half away from zero. |n % d| < d <= 99, so 2*r
 * cannot overflow. */
static int64_t s_div_round(int64_t n, int64_t d)
{
    int64_t q = n / d, r = n % d;
    if (r < 0) r = -r;
    if (2 * r >= d) q += (n < 0) ? -1 : 1;
    return q;
}

fp_err_t screen_income_compute(const screen_income_t *in, screen_income_result_t *out)
{
    if (!in || !out) return FP_EINVAL;
    if (in->members < 1) return FP_EINVAL;
    if (in->members > SCREEN_INCOME_MAX_MEMBERS) return FP_ERANGE;
    const int64_t items[] = {in->wage_public_welfare, in->wage_other,
                             in->operating,           in->property,
                             in->transfer_pension,    in->transfer_family_planning,
                             in->transfer_ecological, in->transfer_dibao,
                             in->transfer_tekun,      in->transfer_other,
                             in->production_costs};
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
        if (!s_in_bounds(items[i])) return FP_ERANGE;

    screen_income_result_t r = {0};
    bool ok = s_add(&r.wage, in->wage_public_welfare) && s_add(&r.wage, in->wage_other) &&
        s_add(&r.operating, in->operating) && s_add(&r.property, in->property) &&
        s_add(&r.transfer, in->transfer_pension) && s_add(&r.transfer, in->transfer_family_planning) &&
        s_add(&r.transfer, in->transfer_ecological) && s_add(&r.transfer, in->transfer_dibao) &&
        s_add(&r.transfer, in->transfer_tekun) && s_add(&r.transfer, in->transfer_other) &&
        s_add(&r.total_income, r.wage) && s_add(&r.total_income, r.operating) && s_add(&r.total_income, r.property) &&
        s_add(&r.total_income, r.transfer);
    if (!ok) return FP_ERANGE;
    r.production_costs = in->production_costs;
    if (__builtin_sub_overflow(r.total_income, r.production_costs, &r.net)) return FP_ERANGE;
    r.members = in->members;
    r.per_capita_net = s_div_round(r.net, in->members);
    *out = r;
    return FP_OK;
}

void screen_income_window(int32_t lead_date, int32_t *first, int32_t *last)
{
    if (first) *first = fp_date_add_months(lead_date, -12);
    if (last) *last = lead_date == INT32_MIN ? lead_date : lead_date - 1;
}
