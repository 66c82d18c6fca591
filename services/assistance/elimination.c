/* elimination.c: the risk elimination table and the nomination criteria. The domain's engine
 * (domain/machine.c) runs the table: it finds the row for (state, event, level), checks its guard
 * and runs its action (named after the event); every refusal is a reason code with English and
 * Chinese text. No I/O, no globals but const tables. */
#include "elimination.h"

#include <inttypes.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "date.h"
#include "reason.h"

/* --- names ----------------------------------------------------------------------------------- */

static const char *const s_el_state[ASSIST_ES_COUNT_] = {"monitored",         "nominated",        "notice_posted",
                                                         "township_approved", "county_confirmed", "eliminated"};
static const char *const s_el_event[ASSIST_EE_COUNT_] = {"nominate", "post_notice", "objection", "approve", "confirm",
                                                         "announce", "return",      "refuse",    "undo"};
static const char *const s_el_way[ASSIST_WAY_COUNT_] = {"none", "by_assistance", "natural"};

const char *assist_elim_state_code(assist_elim_state_t s) { return fp_sm_state_code(&assist_elim_machine, (int)s); }
const char *assist_elim_event_code(assist_elim_event_kind_t e)
{
    return fp_sm_event_code(&assist_elim_machine, (int)e);
}
const char *assist_way_code(assist_way_t w) { return (unsigned)w < ASSIST_WAY_COUNT_ ? s_el_way[w] : "?"; }

/* --- reasons --------------------------------------------------------------------------------- */

const assist_reason_t assist_elim_reasons[] = {
    {"elim.bad_request", "the record, the event or the parameters are missing or out of range",
     "风险消除记录、事项或参数缺失或超出范围"},
    {"elim.event_not_allowed", "this step cannot be taken at the record's current step", "当前环节不能办理该事项"},
    {"elim.level_not_allowed", "your level cannot take this step at the current step", "本级不能在当前环节办理该事项"},
    {"elim.date_before_step", "the date is earlier than the current step began: check the date",
     "办理日期早于当前环节开始日期，请核对日期"},
    {"elim.criteria_missing", "nomination needs the result of the criteria check", "提名须附风险消除条件核查结果"},
    {"elim.criteria_not_met", "the household does not meet every elimination criterion", "该户未达到风险消除全部条件"},
    {"elim.backstop_household",
     "the whole household lacks labour capacity: it stays monitored as a backstop household "
     "(兜底保障户) and is not marked eliminated",
     "整户无劳动能力，落实社会保障措施后作为兜底保障户继续监测，不标注风险消除"},
    {"elim.income_not_stable", "income has not been above this year's line for the required consecutive months",
     "收入未连续稳定高于当年监测标准达到规定月数"},
    {"elim.rigid_unresolved", "large rigid costs are not resolved", "大额刚性支出问题尚未解决"},
    {"elim.guarantees_fail", "a guarantee (两不愁三保障) does not hold", "两不愁三保障未全部实现"},
    {"elim.water_fail", "safe drinking water does not hold", "饮水安全未保障"},
    {"elim.too_soon", "less than the required months since identification", "识别纳入未满规定月数"},
    {"elim.no_measure_delivered", "no measure has been delivered", "尚无已落实的帮扶措施"},
    {"elim.reason_missing", "a reason is required to return, refuse or undo", "退回、不予通过或回退须填写理由"},
    {"elim.objection_missing", "the objection's content is missing", "缺少异议内容"},
    {"elim.notice_too_early",
     "the public notice has not yet run its required days: approve after the notice period ends",
     "公示期未满，请在公示期满后核查核准"},
    {"elim.way_missing", "the announcement needs the way it ended: by assistance or natural",
     "公告标注须选择消除方式：帮扶消除或自然消除"},
    {NULL, NULL, NULL},
};

/* --- criteria -------------------------------------------------------------------------------- */

const assist_criterion_info_t assist_criteria[ASSIST_CR_COUNT_] = {
    {"E01", "收入持续稳定高于当年监测标准", "income stably above this year's line", "elim.income_not_stable"},
    {"E02", "大额刚性支出问题已解决", "large rigid costs resolved", "elim.rigid_unresolved"},
    {"E03", "两不愁三保障持续巩固", "the guarantees hold", "elim.guarantees_fail"},
    {"E04", "饮水安全有保障", "safe drinking water holds", "elim.water_fail"},
    {"E05", "识别纳入满6个月", "at least 6 months since identification", "elim.too_soon"},
    {"E06", "至少落实一项帮扶措施", "at least one measure delivered", "elim.no_measure_delivered"},
    {"E07", "不是整户无劳动能力", "not a whole household without labour capacity", "elim.backstop_household"},
};

static bool s_el_params_ok(const void *params)
{
    const assist_elim_params_t *p = params;
    return p->stable_months >= 1 && p->stable_months <= 60 && p->min_months >= 1 && p->min_months <= 60 &&
        p->notice_days >= 1 && p->notice_days <= 60;
}

#define S_MONEY_MAX INT64_C(1000000000000000)

fp_err_t assist_elim_criteria(const assist_elim_facts_t *f, const assist_elim_params_t *p, int32_t today,
                              assist_elim_check_t *out)
{
    if (!f || !p || !out || (f->n_months > 0 && !f->income_by_month)) return FP_EINVAL;
    if (!s_el_params_ok(p)) return FP_ERANGE;
    if (f->line <= 0 || f->line > S_MONEY_MAX || f->n_months > ASSIST_MAX_MONTHS) return FP_ERANGE;
    if (f->members < 1 || f->members > 99) return FP_ERANGE;
    if (f->members_with_labour < 0 || f->members_with_labour > f->members) return FP_ERANGE;
    if (f->measures_delivered < 0) return FP_ERANGE;
    for (size_t i = 0; i < f->n_months; i++)
        if (f->income_by_month[i] < -S_MONEY_MAX || f->income_by_month[i] > S_MONEY_MAX) return FP_ERANGE;

    assist_elim_check_t r;
    memset(&r, 0, sizeof r);
    /* E01: consecutive most recent months strictly above the line. */
    int run = 0;
    for (size_t i = f->n_months; i > 0 && f->income_by_month[i - 1] > f->line; i--) run++;
    r.c[ASSIST_CR_INCOME_STABLE].met = run >= p->stable_months;
    snprintf(r.c[ASSIST_CR_INCOME_STABLE].seen, sizeof r.c[0].seen, "months_above=%d need=%d line=%" PRId64, run,
             (int)p->stable_months, f->line);
    r.c[ASSIST_CR_RIGID_RESOLVED].met = f->rigid_costs_resolved;
    snprintf(r.c[ASSIST_CR_RIGID_RESOLVED].seen, sizeof r.c[0].seen, "rigid_resolved=%d",
             f->rigid_costs_resolved ? 1 : 0);
    r.c[ASSIST_CR_GUARANTEES].met = f->guarantees_hold;
    snprintf(r.c[ASSIST_CR_GUARANTEES].seen, sizeof r.c[0].seen, "guarantees=%d", f->guarantees_hold ? 1 : 0);
    r.c[ASSIST_CR_WATER].met = f->water_holds;
    snprintf(r.c[ASSIST_CR_WATER].seen, sizeof r.c[0].seen, "water=%d", f->water_holds ? 1 : 0);
    int months = fp_date_months_between(f->identified_on, today);
    r.c[ASSIST_CR_SIX_MONTHS].met = months >= p->min_months;
    snprintf(r.c[ASSIST_CR_SIX_MONTHS].seen, sizeof r.c[0].seen, "months=%d need=%d", months, (int)p->min_months);
    r.c[ASSIST_CR_MEASURE_DELIVERED].met = f->measures_delivered > 0;
    snprintf(r.c[ASSIST_CR_MEASURE_DELIVERED].seen, sizeof r.c[0].seen, "delivered=%d", (int)f->measures_delivered);
    r.c[ASSIST_CR_HAS_LABOUR].met = f->members_with_labour > 0;
    snprintf(r.c[ASSIST_CR_HAS_LABOUR].seen, sizeof r.c[0].seen, "labour=%d members=%d", (int)f->members_with_labour,
             (int)f->members);
    r.passed = true;
    for (int i = 0; i < ASSIST_CR_COUNT_; i++)
        if (!r.c[i].met) r.passed = false;
    *out = r;
    return FP_OK;
}

/* --- guards: NULL lets the step happen, else a reason code ------------------------------------ */

#define S_GUARD(name) static const char *g_##name(const void *rec, const void *event, int32_t today, const void *params)

S_GUARD(none) { return NULL; }
/* The whole-household-without-labour refusal comes first: it is the policy's own reason. */
S_GUARD(criteria_passed)
{
    const assist_elim_check_t *cr = ((const assist_elim_event_t *)event)->criteria;
    if (!cr) return "elim.criteria_missing";
    if (!cr->c[ASSIST_CR_HAS_LABOUR].met) return "elim.backstop_household";
    if (!cr->passed) return "elim.criteria_not_met";
    for (int i = 0; i < ASSIST_CR_COUNT_; i++)
        if (!cr->c[i].met) return "elim.criteria_not_met";
    return NULL;
}
S_GUARD(reason) { return fp_has_text(((const assist_elim_event_t *)event)->text) ? NULL : "elim.reason_missing"; }
S_GUARD(objection_text)
{
    return fp_has_text(((const assist_elim_event_t *)event)->text) ? NULL : "elim.objection_missing";
}
S_GUARD(notice_period_over)
{
    const assist_elim_t *e = rec;
    const assist_elim_params_t *p = params;
    if (e->notice_posted_on == ASSIST_ELIM_NO_DATE) return "elim.notice_too_early";
    return (int64_t)today >= (int64_t)e->notice_posted_on + p->notice_days ? NULL : "elim.notice_too_early";
}
S_GUARD(way_given)
{
    assist_way_t way = ((const assist_elim_event_t *)event)->way;
    return (way == ASSIST_WAY_BY_ASSISTANCE || way == ASSIST_WAY_NATURAL) ? NULL : "elim.way_missing";
}

/* --- actions (named after their events) ------------------------------------------------------ */

#define S_ACTION(name) static void name(void *rec, const void *event, int32_t today)

static void s_clear_notice(assist_elim_t *e)
{
    e->notice_posted_on = ASSIST_ELIM_NO_DATE;
    e->objections = 0;
}
S_ACTION(on_nominate) {}
S_ACTION(on_post_notice)
{
    assist_elim_t *e = rec;
    e->notice_posted_on = today;
    e->objections = 0;
}
S_ACTION(on_objection) { ((assist_elim_t *)rec)->objections++; }
S_ACTION(on_approve) {}
S_ACTION(on_confirm) {}
S_ACTION(on_announce)
{
    assist_elim_t *e = rec;
    e->way = ((const assist_elim_event_t *)event)->way;
    e->eliminated_on = today;
}
S_ACTION(on_return)
{
    assist_elim_t *e = rec;
    e->returns++;
    if (e->state == ASSIST_ES_NOTICE_POSTED) s_clear_notice(e); /* the notice is posted again */
}
S_ACTION(on_refuse)
{
    assist_elim_t *e = rec;
    e->refusals++;
    s_clear_notice(e);
}
S_ACTION(on_undo)
{
    assist_elim_t *e = rec;
    e->undos++;
    e->way = ASSIST_WAY_NONE;
    e->eliminated_on = ASSIST_ELIM_NO_DATE;
    s_clear_notice(e);
}

/* --- the table ------------------------------------------------------------------------------- */

#define V ASSIST_LV_VILLAGE
#define T ASSIST_LV_TOWNSHIP
#define C ASSIST_LV_COUNTY

/* THE table {from, event, level, guard, to, action}, expanded into the rows (the public view
 * assist_elim_table[] that the engine, the docs and tests read) and the functions it calls. */
#define S_ELIM_TABLE(X)                                                             \
    X(MONITORED, NOMINATE, V, criteria_passed, NOMINATED, on_nominate)              \
    X(NOMINATED, POST_NOTICE, V, none, NOTICE_POSTED, on_post_notice)               \
    X(NOMINATED, REFUSE, V, reason, MONITORED, on_refuse)                           \
    X(NOMINATED, REFUSE, T, reason, MONITORED, on_refuse)                           \
    X(NOTICE_POSTED, OBJECTION, V, objection_text, NOTICE_POSTED, on_objection)     \
    X(NOTICE_POSTED, APPROVE, T, notice_period_over, TOWNSHIP_APPROVED, on_approve) \
    X(NOTICE_POSTED, RETURN, T, reason, NOMINATED, on_return)                       \
    X(NOTICE_POSTED, REFUSE, T, reason, MONITORED, on_refuse)                       \
    X(TOWNSHIP_APPROVED, CONFIRM, C, none, COUNTY_CONFIRMED, on_confirm)            \
    X(TOWNSHIP_APPROVED, RETURN, C, reason, NOTICE_POSTED, on_return)               \
    X(TOWNSHIP_APPROVED, REFUSE, C, reason, MONITORED, on_refuse)                   \
    X(COUNTY_CONFIRMED, ANNOUNCE, C, way_given, ELIMINATED, on_announce)            \
    X(COUNTY_CONFIRMED, RETURN, C, reason, TOWNSHIP_APPROVED, on_return)            \
    X(COUNTY_CONFIRMED, REFUSE, C, reason, MONITORED, on_refuse)                    \
    X(ELIMINATED, UNDO, C, reason, MONITORED, on_undo)

#define S_EL_PUBLIC_ROW(from, ev, lv, g, to, a) FP_SM_ROW(ASSIST_ES_##from, ASSIST_EE_##ev, lv, g, ASSIST_ES_##to, a)
#define S_EL_FNS_ROW(from, ev, lv, g, to, a) FP_SM_FNS(g, a)

const assist_elim_row_t assist_elim_table[] = {S_ELIM_TABLE(S_EL_PUBLIC_ROW)};
const size_t assist_elim_table_count = sizeof assist_elim_table / sizeof assist_elim_table[0];
static const fp_sm_fns_t s_el_fns[] = {S_ELIM_TABLE(S_EL_FNS_ROW)};

#undef V
#undef T
#undef C

_Static_assert(sizeof(assist_elim_state_t) == sizeof(int) && sizeof(assist_elim_event_kind_t) == sizeof(int) &&
                   sizeof(assist_level_t) == sizeof(int),
               "the engine reads states, events and levels as int");

/* No final state: an eliminated household can be monitored again (UNDO). */
const fp_sm_t assist_elim_machine = {
    FP_SM_TABLES(assist_elim_table, s_el_fns, s_el_state, s_el_event, ASSIST_LV_COUNT_),
    FP_SM_LAYOUT(assist_elim_t, assist_elim_event_t),
    .codes = {"elim.bad_request", NULL, "elim.event_not_allowed", "elim.level_not_allowed", "elim.date_before_step"},
    .is_final = NULL,
    .params_ok = s_el_params_ok,
};

void assist_elim_init(assist_elim_t *e, int32_t since)
{
    if (!e) return;
    memset(e, 0, sizeof *e);
    e->state = ASSIST_ES_MONITORED;
    e->step_since = since;
    e->notice_posted_on = ASSIST_ELIM_NO_DATE;
    e->way = ASSIST_WAY_NONE;
    e->eliminated_on = ASSIST_ELIM_NO_DATE;
    e->last_action = "on_init";
}

int assist_elim_apply(const assist_elim_t *in, const assist_elim_event_t *ev, int32_t today,
                      const assist_elim_params_t *p, assist_elim_t *out, const char **refusal_code)
{
    return fp_sm_apply(&assist_elim_machine, in, ev, today, p, out, refusal_code);
}
