/* measures.c: the category table, the measure status changes and the risk type -> category
 * mapping of measures.h. Const tables only; no I/O, no mutable state.
 * Adding a category: append to assist_category_t and assist_categories[], then to the rows of
 * assist_risk_map[] it answers, and to docs/assistance-rules.md (unit_measures checks the doc). */
#include "measures.h"

#include <string.h>

#define S_DEV ASSIST_KIND_DEVELOPMENT
#define S_BACK ASSIST_KIND_BACKSTOP
/* serves: development measures are for those who can work (not 特困: no capacity to work);
 * relocation and the anti-poverty risk fund are the monitoring's own; the rest serve everyone */
#define S_ALL ASSIST_SERVES_ALL

const assist_category_info_t assist_categories[ASSIST_CAT_COUNT_] = {
    {ASSIST_CAT_INDUSTRY, "industry", "产业帮扶", "industry", S_DEV, ASSIST_PAST_NONE, S_ALL & ~ASSIST_SERVES_TEKUN},
    {ASSIST_CAT_FINANCE, "finance", "金融帮扶", "finance / microcredit", S_DEV, ASSIST_PAST_LOAN_END, S_ALL & ~ASSIST_SERVES_TEKUN},
    {ASSIST_CAT_EMPLOYMENT, "employment", "就业帮扶", "employment", S_DEV, ASSIST_PAST_AGREEMENT_END, S_ALL & ~ASSIST_SERVES_TEKUN},
    {ASSIST_CAT_HOUSING, "housing", "安全住房保障帮扶", "housing safety", S_BACK, ASSIST_PAST_NONE, S_ALL},
    {ASSIST_CAT_WATER, "water", "饮水安全保障帮扶", "drinking water safety", S_BACK, ASSIST_PAST_NONE, S_ALL},
    {ASSIST_CAT_HEALTH, "health", "健康帮扶", "health", S_BACK, ASSIST_PAST_NONE, S_ALL},
    {ASSIST_CAT_EDUCATION, "education", "教育帮扶", "education", S_BACK, ASSIST_PAST_SCHOOL_STAGE_END, S_ALL},
    {ASSIST_CAT_SOCIAL_HELP, "social_help", "社会帮扶", "social help", S_BACK, ASSIST_PAST_NONE, S_ALL},
    {ASSIST_CAT_RELOCATION, "relocation", "搬迁帮扶", "relocation", S_BACK, ASSIST_PAST_NONE, ASSIST_SERVES_MONITORED},
    {ASSIST_CAT_BACKSTOP, "backstop", "综合保障兜底", "comprehensive social-security backstop", S_BACK,
     ASSIST_PAST_NONE, S_ALL},
    {ASSIST_CAT_HELPER, "helper", "专人帮扶", "dedicated helper", S_BACK, ASSIST_PAST_NONE, S_ALL},
    {ASSIST_CAT_RISK_FUND, "risk_fund", "防贫风险基金帮扶", "anti-poverty risk fund", S_BACK, ASSIST_PAST_NONE, ASSIST_SERVES_MONITORED},
};

const assist_category_info_t *assist_category(assist_category_t c)
{
    return (unsigned)c < ASSIST_CAT_COUNT_ ? &assist_categories[c] : NULL;
}

const char *assist_category_code(assist_category_t c)
{
    return (unsigned)c < ASSIST_CAT_COUNT_ ? assist_categories[c].code : "?";
}

bool assist_category_from_code(const char *code, assist_category_t *out)
{
    if (!code) return false;
    for (int i = 0; i < ASSIST_CAT_COUNT_; i++)
        if (strcmp(assist_categories[i].code, code) == 0) {
            if (out) *out = (assist_category_t)i;
            return true;
        }
    return false;
}

const char *assist_kind_code(assist_kind_t k)
{
    switch (k) {
    case ASSIST_KIND_DEVELOPMENT: return "development";
    case ASSIST_KIND_BACKSTOP: return "backstop";
    }
    return "?";
}

const char *assist_past_code(assist_past_t p)
{
    static const char *const names[] = {"none", "loan_end", "agreement_end", "school_stage_end"};
    return (unsigned)p < sizeof names / sizeof names[0] ? names[p] : "?";
}

bool assist_runs_past_elimination(assist_category_t c)
{
    return (unsigned)c < ASSIST_CAT_COUNT_ && assist_categories[c].past != ASSIST_PAST_NONE;
}

unsigned assist_serves_bit(const char *code)
{
    static const struct {
        const char *code;
        unsigned bit;
    } map[] = {{"unstable_lifted", ASSIST_SERVES_MONITORED}, {"marginal", ASSIST_SERVES_MONITORED},
               {"sudden_hardship", ASSIST_SERVES_MONITORED}, {"dibao", ASSIST_SERVES_DIBAO},
               {"tekun", ASSIST_SERVES_TEKUN},           {"dibao_edge", ASSIST_SERVES_DIBAO_EDGE},
               {"rigid_spending", ASSIST_SERVES_RIGID_SPENDING}};
    for (size_t i = 0; code && i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(map[i].code, code)) return map[i].bit;
    return 0;
}

bool assist_serves(assist_category_t c, const char *lowincome_category)
{
    unsigned bit = assist_serves_bit(lowincome_category);
    return (unsigned)c < ASSIST_CAT_COUNT_ && bit && (assist_categories[c].serves & bit);
}

/* --- measure status -------------------------------------------------------------------------- */

static const char *const s_mstatus_code[ASSIST_MS_COUNT_] = {"planned", "in_progress", "delivered", "stopped"};

const char *assist_mstatus_code(assist_mstatus_t s) { return (unsigned)s < ASSIST_MS_COUNT_ ? s_mstatus_code[s] : "?"; }

const assist_reason_t assist_measure_reasons[] = {
    {"measure.bad_status", "the measure status is unknown", "帮扶措施状态无效"},
    {"measure.same_status", "the measure already has this status", "帮扶措施已是该状态"},
    {"measure.final", "the measure is delivered or stopped: its status cannot change",
     "帮扶措施已落实或已终止，状态不能再变更"},
    {"measure.not_allowed", "this status change is not allowed", "不允许该状态变更"},
    {"measure.reason_missing", "stopping a measure needs a reason", "终止帮扶措施须填写理由"},
    {NULL, NULL, NULL},
};

/* The legal changes, one row each {from, to}. */
static const struct {
    assist_mstatus_t from, to;
} s_meas_changes[] = {
    {ASSIST_MS_PLANNED, ASSIST_MS_IN_PROGRESS}, {ASSIST_MS_PLANNED, ASSIST_MS_DELIVERED},
    {ASSIST_MS_PLANNED, ASSIST_MS_STOPPED},     {ASSIST_MS_IN_PROGRESS, ASSIST_MS_DELIVERED},
    {ASSIST_MS_IN_PROGRESS, ASSIST_MS_STOPPED},
};

const char *assist_measure_change(assist_mstatus_t from, assist_mstatus_t to, const char *reason)
{
    if ((unsigned)from >= ASSIST_MS_COUNT_ || (unsigned)to >= ASSIST_MS_COUNT_) return "measure.bad_status";
    if (from == to) return "measure.same_status";
    if (from == ASSIST_MS_DELIVERED || from == ASSIST_MS_STOPPED) return "measure.final";
    for (size_t i = 0; i < sizeof s_meas_changes / sizeof s_meas_changes[0]; i++)
        if (s_meas_changes[i].from == from && s_meas_changes[i].to == to) {
            if (to == ASSIST_MS_STOPPED && !assist_has_text(reason)) return "measure.reason_missing";
            return NULL;
        }
    return "measure.not_allowed";
}

/* --- risk type -> categories ----------------------------------------------------------------- */

#define S_MAP1(r, a)                                \
    {                                               \
        SCREEN_RISK_##r, false, {ASSIST_CAT_##a}, 1 \
    }
#define S_MAP2(r, a, b)                                             \
    {                                                               \
        SCREEN_RISK_##r, false, {ASSIST_CAT_##a, ASSIST_CAT_##b}, 2 \
    }
#define S_MAP3(r, a, b, c)                                                          \
    {                                                                               \
        SCREEN_RISK_##r, false, {ASSIST_CAT_##a, ASSIST_CAT_##b, ASSIST_CAT_##c}, 3 \
    }

const assist_risk_map_t assist_risk_map[] = {
    S_MAP1(ILLNESS, HEALTH),
    S_MAP3(DISABILITY, HEALTH, BACKSTOP, SOCIAL_HELP),
    S_MAP1(SCHOOLING, EDUCATION),
    S_MAP3(DISASTER, HOUSING, SOCIAL_HELP, RISK_FUND),
    S_MAP2(ACCIDENT, HEALTH, RISK_FUND),
    S_MAP2(INDUSTRY_FAILURE, INDUSTRY, FINANCE),
    S_MAP1(UNSTABLE_WORK, EMPLOYMENT),
    S_MAP2(LACK_OF_LABOUR, BACKSTOP, HELPER),
    S_MAP1(HOUSING, HOUSING),
    S_MAP1(WATER, WATER),
    {SCREEN_RISK_OTHER, true, {ASSIST_CAT_INDUSTRY}, 0},
};
const size_t assist_risk_map_count = sizeof assist_risk_map / sizeof assist_risk_map[0];

bool assist_answers(screen_risk_t r, assist_category_t c)
{
    if ((unsigned)c >= ASSIST_CAT_COUNT_) return false;
    for (size_t i = 0; i < assist_risk_map_count; i++) {
        const assist_risk_map_t *m = &assist_risk_map[i];
        if (m->risk != r) continue;
        if (m->any) return true;
        for (size_t j = 0; j < m->n_cats; j++)
            if (m->cats[j] == c) return true;
        return false;
    }
    return false;
}
