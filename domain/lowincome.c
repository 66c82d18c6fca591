/* lowincome.c: the low-income categories' rules and who may change a membership (lowincome.h). */
#include "lowincome.h"

#include <stddef.h>
#include <string.h>

const fp_reason_t lowincome_reasons[] = {
    {"category.unknown", "no category has this code (fangpinctl category list --catalogue)", "无此类别代码"},
    {"category.by_case", "a monitoring kind is identified through the verification case, not as a category change",
     "防返贫监测对象须经核实案件识别纳入，不能直接变更类别"},
    {"category.authority",
     "a low-income category is identified by civil affairs (民政): only a civil-affairs key may record it",
     "低收入人口类别由民政部门认定，仅民政部门可变更"},
    {"category.household", "no household of your county's ledger has this household number", "本县台账中无此户"},
    {"category.mode", "the county is not in the unified mode on that date (fangpinctl mode set)",
     "该县在该日期未启用统一监测模式"},
    {"category.already", "the household is already in this category", "该户已在此类别中"},
    {"category.not_member", "the household is not in this category", "该户不在此类别中"},
    {"category.referral", "no referral of your county has this id (fangpinctl category referrals)",
     "本县无此转介记录"},
    {"category.referral_closed", "the referral is not open: civil affairs already confirmed or declined it",
     "该转介已办结（已认定或已不予认定）"},
    {"category.bad_request", "the change names no household, no category, or a date that is not YYYY-MM-DD; a decline names no referral or no reason",
     "请填写户编号、类别和日期（YYYY-MM-DD）；不予认定须填写转介编号和理由"},
    {NULL, NULL, NULL},
};

static bool s_bad_fen(int64_t v) { return v < 0 || v > LI_MAX_FEN; }

unsigned lowincome_likely(const li_facts_t *f, const li_params_t *p, bool *bad)
{
    if (bad) *bad = false;
    if (!f || !p || s_bad_fen(f->per_capita_income) || s_bad_fen(f->total_income) || s_bad_fen(f->rigid_spending) ||
        s_bad_fen(p->dibao_standard) || s_bad_fen(p->disposable_income) ||
        (p->edge_multiple_pct != 0 && (p->edge_multiple_pct < 100 || p->edge_multiple_pct > 1000))) {
        if (bad) *bad = true;
        return 0;
    }
    unsigned out = 0;
    bool assisted = f->in_dibao || f->in_tekun;
    if (!assisted && !f->in_dibao_edge && p->dibao_standard > 0 && p->edge_multiple_pct > 0 &&
        f->per_capita_income * 100 < p->dibao_standard * p->edge_multiple_pct)
        out |= LI_LIKELY_DIBAO_EDGE;
    if (!assisted && !f->in_dibao_edge && !f->in_rigid && !(out & LI_LIKELY_DIBAO_EDGE) && p->disposable_income > 0 &&
        f->rigid_spending > f->total_income && f->per_capita_income < p->disposable_income)
        out |= LI_LIKELY_RIGID;
    return out;
}

static int64_t s_clamp(int64_t v) { return v < 0 ? 0 : v > LI_MAX_FEN ? LI_MAX_FEN : v; }

int64_t lowincome_rigid(int64_t visit_medical, int64_t visit_education, int64_t visit_other, int64_t case_medical)
{
    int64_t vm = s_clamp(visit_medical), cm = s_clamp(case_medical);
    return (vm > cm ? vm : cm) + s_clamp(visit_education) + s_clamp(visit_other);
}

const char *lowincome_may_change(const char *authority, const char *caller_kind, const char *caller_department)
{
    if (!authority) return "category.unknown";
    if (!strcmp(authority, "xiangcun")) return "category.by_case";
    if (strcmp(authority, "minzheng")) return "category.unknown";
    if (caller_kind && caller_department && !strcmp(caller_kind, "department") &&
        !strcmp(caller_department, "minzheng"))
        return NULL;
    return "category.authority";
}

const char *lowincome_change_refusal(bool known, bool household, bool unified, bool member, bool enter)
{
    if (!known) return "category.unknown";
    if (!household) return "category.household";
    if (!unified) return "category.mode";
    if (enter && member) return "category.already";
    if (!enter && !member) return "category.not_member";
    return NULL;
}
