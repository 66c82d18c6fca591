/* lowincome.h: the rural low-income population's categories (docs/lowincome.md) as rules over
 * one household's income and expense facts and the parameters in force on a date: which of the
 * categories civil affairs (民政) identifies a household is likely in, so that the county's
 * screening can send it to civil affairs for its decision; and who may record a change of a
 * category's membership. The categories themselves (names, authority, review period) are data:
 * the lowincome_categories table (migration 032). Pure. */
#ifndef FP_LOWINCOME_H
#define FP_LOWINCOME_H
#include <stdbool.h>
#include <stdint.h>

#include "reason.h"

/* The bits of a household's likely categories (lowincome_likely). */
enum {
    LI_LIKELY_DIBAO_EDGE = 1u << 0, /* 低保边缘家庭 */
    LI_LIKELY_RIGID = 1u << 1,      /* 刚性支出困难家庭 */
};

/* A household's facts, as the one income and expense record (收支核算) gives them; money in fen
 * for the 12 months before the record. */
typedef struct {
    int64_t per_capita_income; /* per-capita net income (screening's income method) */
    int64_t total_income;      /* the household's net income */
    int64_t rigid_spending;    /* rigid medical, education and similar spending */
    /* the household's categories now (civil affairs' decisions) */
    bool in_dibao, in_tekun, in_dibao_edge, in_rigid;
} li_facts_t;

/* The parameters in force for the household's county on the date (lowincome_params). A
 * parameter that is not set (<= 0) means its category's rule cannot run: it finds nothing. */
typedef struct {
    int64_t dibao_standard;    /* the county's rural 低保 standard, fen per person per year */
    int32_t edge_multiple_pct; /* 低保边缘: below this many percent of the standard (150) */
    int64_t disposable_income; /* the previous year's per-capita disposable income, fen */
} li_params_t;

/* The most a figure may be (fen): 10^13, so that every product of the rules fits in 64 bits. */
#define LI_MAX_FEN 10000000000000LL

/* Which categories the household is likely in, as LI_LIKELY_* bits (0: none):
 * 低保边缘: not in 低保 or 特困 (nor already 低保边缘), the standard set, and
 *   per-capita income × 100 < standard × multiple_pct (strictly below);
 * 刚性支出困难: in none of 低保, 特困, 低保边缘 (nor likely 低保边缘, nor already in it),
 *   rigid spending > total income (strictly), and per-capita income < the previous year's
 *   per-capita disposable income (strictly; the figure set).
 * A negative or too large figure (> LI_MAX_FEN), or a multiple outside 100..1000: 0, with
 * *bad set (bad may be NULL). */
unsigned lowincome_likely(const li_facts_t *f, const li_params_t *p, bool *bad);

/* The rigid spending of the one income and expense record (docs/lowincome.md "One visit, one
 * method"): the visit's medical figure and the case's (the ledger's out-of-pocket or the 医保
 * amounts of its leads) are the same spending seen twice, so the larger of them, plus the visit's
 * education and other rigid spending. Each figure is clamped to 0..LI_MAX_FEN first; the result
 * is at most 3 × LI_MAX_FEN (lowincome_likely calls more than LI_MAX_FEN bad). */
int64_t lowincome_rigid(int64_t visit_medical, int64_t visit_education, int64_t visit_other, int64_t case_medical);

/* Who may record that a household enters or leaves a category, from the category's identifying
 * authority (lowincome_categories.authority: "minzheng" or "xiangcun") and the caller: NULL when
 * admitted, else the refusal's code (lowincome_reasons). A low-income category ("minzheng") is
 * civil affairs' decision: only a principal of kind "department" whose department is "minzheng";
 * a monitoring kind ("xiangcun") is identified through the verification case, never here; an
 * unknown authority is refused. */
const char *lowincome_may_change(const char *authority, const char *caller_kind, const char *caller_department);

/* What a change asks, judged against the household's state: NULL when it may be recorded, else
 * the code. known: the category exists; household: the household is in the caller's county's
 * ledger; unified: the county's fangpin_mode on the change's date is "unified"; member: the
 * household is in the category now; enter: the change enters (else leaves). */
const char *lowincome_change_refusal(bool known, bool household, bool unified, bool member, bool enter);

/* The codes and words of the refusals above (docs/refusals.md: "category.*"). */
extern const fp_reason_t lowincome_reasons[];

#endif
