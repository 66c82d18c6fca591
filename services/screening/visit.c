/* visit.c: the visit's figures (visit.h). No I/O, no globals. */
#include "visit.h"

#include <stdbool.h>
#include <string.h>

const char *const screen_visit_income_items[11] = {
    "wage_public_welfare", "wage_other",     "operating",      "property",       "transfer_pension",
    "transfer_family_planning", "transfer_ecological", "transfer_dibao", "transfer_tekun", "transfer_other",
    "production_costs"};
const char *const screen_visit_expense_items[3] = {"medical", "education", "other_rigid"};

/* Adds the items named in names[0..n) into sums; false (with *bad) on an unknown name or a bad
 * amount. */
static bool s_sum(const screen_visit_item_t *it, size_t n, const char *const *names, size_t n_names, int64_t *sums,
                  const char **bad)
{
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < n_names && (!it[i].item || strcmp(it[i].item, names[k]))) k++;
        int64_t s;
        if (k == n_names || it[i].amount_fen < 0 || it[i].amount_fen > SCREEN_INCOME_MAX_FEN ||
            __builtin_add_overflow(sums[k], it[i].amount_fen, &s) || s > SCREEN_INCOME_MAX_FEN) {
            *bad = it[i].item ? it[i].item : "";
            return false;
        }
        sums[k] = s;
    }
    return true;
}

const char *screen_visit_figures(const screen_visit_item_t *income, size_t n_income,
                                 const screen_visit_item_t *expenses, size_t n_expenses, int32_t members,
                                 screen_visit_figures_t *out, const char **bad_item)
{
    screen_visit_figures_t f = {0};
    int64_t exp[3] = {0};
    *bad_item = NULL;
    if (!s_sum(income, n_income, screen_visit_income_items, 11, f.items, bad_item) ||
        !s_sum(expenses, n_expenses, screen_visit_expense_items, 3, exp, bad_item))
        return "request.field";
    screen_income_t in = {.wage_public_welfare = f.items[0],
                          .wage_other = f.items[1],
                          .operating = f.items[2],
                          .property = f.items[3],
                          .transfer_pension = f.items[4],
                          .transfer_family_planning = f.items[5],
                          .transfer_ecological = f.items[6],
                          .transfer_dibao = f.items[7],
                          .transfer_tekun = f.items[8],
                          .transfer_other = f.items[9],
                          .production_costs = f.items[10],
                          .members = members};
    if (screen_income_compute(&in, &f.income) != FP_OK) return "request.field";
    f.medical = exp[0], f.education = exp[1], f.other_rigid = exp[2];
    *out = f;
    return NULL;
}
