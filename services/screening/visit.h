/* visit.h: the village visit's income and expense record (收支核算, docs/lowincome.md "One visit,
 * one method"): the items a visit gives, by screening's income method (income.h) and the rigid
 * expense items, made into the figures every category's rules read. Pure. */
#ifndef SCREEN_VISIT_H
#define SCREEN_VISIT_H
#include <stddef.h>
#include <stdint.h>

#include "income.h"

/* One item as the visit gives it: an income item of screen_income_t by its field's name
 * (wage_public_welfare, wage_other, operating, property, transfer_pension,
 * transfer_family_planning, transfer_ecological, transfer_dibao, transfer_tekun,
 * transfer_other, production_costs), or a rigid expense (medical, education, other_rigid), with
 * its amount of the 12 months before the visit in fen. */
typedef struct {
    const char *item;
    int64_t amount_fen;
} screen_visit_item_t;

typedef struct {
    screen_income_result_t income; /* net, per-capita net, members ... (screen_income_compute) */
    int64_t medical, education, other_rigid; /* the rigid expenses, fen */
    int64_t items[11];                        /* the income items in screen_income_t's order */
} screen_visit_figures_t;

/* The names of the income items in screen_income_t's order, and of the expenses. */
extern const char *const screen_visit_income_items[11];
extern const char *const screen_visit_expense_items[3];

/* Makes the figures of one visit: an item named twice adds up. NULL when made, else the
 * refusal's code with *bad_item the item at fault (NULL for the household size):
 * "request.field" for an unknown item name, a negative amount or one above
 * SCREEN_INCOME_MAX_FEN (also of a sum), or members outside 1..SCREEN_INCOME_MAX_MEMBERS. */
const char *screen_visit_figures(const screen_visit_item_t *income, size_t n_income,
                                 const screen_visit_item_t *expenses, size_t n_expenses, int32_t members,
                                 screen_visit_figures_t *out, const char **bad_item);

#endif
