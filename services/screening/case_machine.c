/* case_machine.c: the verification case as one transition table, which the domain's engine
 * (domain/machine.c) runs: it finds the row for (state, event, level), checks its guard, and runs
 * its action (named after the event); every refusal is a reason code with an English and a
 * Chinese message. Also the due dates. No I/O, no globals but const tables. */
#include "case_machine.h"

#include <string.h>

#include "date.h"

/* --- names ----------------------------------------------------------------------------------- */

static const char *const s_state_code[SCREEN_CS_COUNT_] =
    {"opened", "visited", "notice_posted", "township_reviewed", "county_approved", "identified", "closed_not_included"};
static const char *const s_event_code[SCREEN_EV_COUNT_] = {"visit",   "post_notice", "objection", "review",
                                                           "approve", "identify",    "return",    "close"};

const char *screen_case_state_code(screen_case_state_t s) { return fp_sm_state_code(&screen_case_machine, (int)s); }
const char *screen_event_code(screen_event_kind_t e) { return fp_sm_event_code(&screen_case_machine, (int)e); }

/* --- reasons --------------------------------------------------------------------------------- */

const screen_case_reason_t screen_case_reasons[] = {
    {"case.bad_request", "the case, the event or the parameters are missing or out of range",
     "案件、事项或参数缺失或超出范围"},
    {"case.final", "the case is already identified or closed: no further step can be taken",
     "该案件已识别纳入或已关闭，不能再办理"},
    {"case.event_not_allowed", "this step cannot be taken while the case is at its current step",
     "案件当前环节不能办理该事项"},
    {"case.level_not_allowed", "your level cannot take this step at the case's current step",
     "本级不能在案件当前环节办理该事项"},
    {"case.date_before_step", "the date is earlier than the case's current step began: check the date",
     "办理日期早于当前环节开始日期，请核对日期"},
    {"case.consent_missing", "the household's signed consent to data checks (承诺授权书) was not given at the visit",
     "入户核实时未取得农户签字的承诺授权书"},
    {"case.findings_missing", "the visit's findings are missing: record what the visit found",
     "缺少入户核实情况，请填写核实结果"},
    {"case.reason_missing", "a reason is required to send a case back or to close it", "退回或关闭案件须填写理由"},
    {"case.objection_missing", "the objection's content is missing", "缺少异议内容"},
    {"case.notice_too_early",
     "the public notice has not yet run its required days: review it after the notice period ends",
     "公示期未满，请在公示期满后审核"},
    {"case.kind_missing", "identification needs a kind: unstable lifted, marginal or sudden hardship",
     "识别纳入须选择监测对象类型：脱贫不稳定户、边缘易致贫户或突发严重困难户"},
    {"case.risks_count", "identification needs 1 to 5 risk types", "识别纳入须选择1至5项风险类型"},
    {"case.risk_invalid", "a risk type is unknown or given twice", "风险类型无效或重复"},
    {NULL, NULL, NULL},
};

const screen_case_reason_t *screen_case_reason(const char *code) { return fp_reason_find(screen_case_reasons, code); }

/* --- parameters ------------------------------------------------------------------------------ */

void screen_case_params_default(screen_case_params_t *p)
{
    if (!p) return;
    memset(p, 0, sizeof *p);
    p->notice_days = 5;
    p->notice_working_days = false;
    p->decision_days = 15;
    p->decision_working_days = false;
    p->step_days[SCREEN_CS_OPENED] = 2;            /* home visit within 2 working days */
    p->step_days[SCREEN_CS_VISITED] = 3;           /* deliberate and post the notice */
    p->step_days[SCREEN_CS_NOTICE_POSTED] = 2;     /* township review after the notice ends */
    p->step_days[SCREEN_CS_TOWNSHIP_REVIEWED] = 2; /* county approval */
    p->step_days[SCREEN_CS_COUNTY_APPROVED] = 2;   /* identification and announcement */
    p->step_working_days = true;
    p->cal = NULL;
}

static bool s_params_ok(const void *params)
{
    const screen_case_params_t *p = params;
    if (p->notice_days < 1 || p->notice_days > 60) return false;
    if (p->decision_days < 1 || p->decision_days > 366) return false;
    for (int i = 0; i < SCREEN_CS_COUNT_; i++)
        if (p->step_days[i] < 0 || p->step_days[i] > 366) return false;
    return true;
}

void screen_case_open(screen_case_t *c, int32_t lead_date)
{
    if (!c) return;
    memset(c, 0, sizeof *c);
    c->state = SCREEN_CS_OPENED;
    c->lead_date = lead_date;
    c->step_since = lead_date;
    c->notice_posted_on = SCREEN_NO_DATE;
    c->kind = SCREEN_KIND_NONE;
    c->last_action = "on_open";
}

int32_t screen_notice_end(int32_t posted_on, const screen_case_params_t *p)
{
    return fp_days_add(posted_on, p->notice_days, p->notice_working_days, p->cal);
}

static int32_t s_notice_end(const screen_case_t *c, const screen_case_params_t *p)
{
    return screen_notice_end(c->notice_posted_on, p);
}

/* --- guards: NULL lets the step happen, else a reason code ------------------------------------ */

#define S_GUARD(name) static const char *g_##name(const void *rec, const void *event, int32_t today, const void *params)

S_GUARD(none) { return NULL; }
S_GUARD(consent_and_findings)
{
    const screen_event_t *ev = event;
    if (!ev->consent) return "case.consent_missing";
    if (!fp_has_text(ev->text)) return "case.findings_missing";
    return NULL;
}
S_GUARD(reason) { return fp_has_text(((const screen_event_t *)event)->text) ? NULL : "case.reason_missing"; }
S_GUARD(objection_text) { return fp_has_text(((const screen_event_t *)event)->text) ? NULL : "case.objection_missing"; }
S_GUARD(notice_period_over)
{
    const screen_case_t *c = rec;
    if (c->notice_posted_on == SCREEN_NO_DATE) return "case.notice_too_early";
    return today >= s_notice_end(c, params) ? NULL : "case.notice_too_early";
}
S_GUARD(kind_and_risks)
{
    const screen_event_t *ev = event;
    if (ev->hh_kind <= SCREEN_KIND_NONE || ev->hh_kind >= SCREEN_KIND_COUNT_) return "case.kind_missing";
    if (ev->n_risks < 1 || ev->n_risks > SCREEN_MAX_RISKS) return "case.risks_count";
    for (size_t i = 0; i < ev->n_risks; i++) {
        if (ev->risks[i] <= SCREEN_RISK_NONE || ev->risks[i] >= SCREEN_RISK_COUNT_) return "case.risk_invalid";
        for (size_t j = 0; j < i; j++)
            if (ev->risks[j] == ev->risks[i]) return "case.risk_invalid";
    }
    return NULL;
}

/* --- actions (named after their events) ------------------------------------------------------ */

#define S_ACTION(name) static void name(void *rec, const void *event, int32_t today)

S_ACTION(on_visit) { ((screen_case_t *)rec)->consent = true; }
S_ACTION(on_post_notice)
{
    screen_case_t *c = rec;
    c->notice_posted_on = today;
    c->objections = 0;
}
S_ACTION(on_objection) { ((screen_case_t *)rec)->objections++; }
S_ACTION(on_review) {}
S_ACTION(on_approve) {}
S_ACTION(on_identify)
{
    screen_case_t *c = rec;
    const screen_event_t *ev = event;
    c->kind = ev->hh_kind;
    c->n_risks = ev->n_risks;
    memcpy(c->risks, ev->risks, sizeof c->risks);
    for (size_t i = ev->n_risks; i < SCREEN_MAX_RISKS; i++) c->risks[i] = SCREEN_RISK_NONE;
}
S_ACTION(on_return)
{
    screen_case_t *c = rec;
    c->returns++;
    if (c->state == SCREEN_CS_NOTICE_POSTED) { /* back to visited: the notice is posted again */
        c->notice_posted_on = SCREEN_NO_DATE;
        c->objections = 0;
    }
}
S_ACTION(on_close) {}

/* --- the table ------------------------------------------------------------------------------- */

#define V SCREEN_LV_VILLAGE
#define T SCREEN_LV_TOWNSHIP
#define C SCREEN_LV_COUNTY

/* THE table: one line per transition {from, event, level, guard, to, action}. Expanded twice
 * below: into the rows (the public view screen_case_table[] that the engine, the docs and tests
 * read) and into the guard and action functions the engine calls. */
#define S_CASE_TABLE(X)                                                           \
    X(OPENED, VISIT, V, consent_and_findings, VISITED, on_visit)                  \
    X(OPENED, CLOSE, V, reason, CLOSED, on_close)                                 \
    X(OPENED, CLOSE, C, reason, CLOSED, on_close)                                 \
    X(VISITED, POST_NOTICE, V, none, NOTICE_POSTED, on_post_notice)               \
    X(VISITED, CLOSE, V, reason, CLOSED, on_close)                                \
    X(VISITED, CLOSE, C, reason, CLOSED, on_close)                                \
    X(NOTICE_POSTED, OBJECTION, V, objection_text, NOTICE_POSTED, on_objection)   \
    X(NOTICE_POSTED, REVIEW, T, notice_period_over, TOWNSHIP_REVIEWED, on_review) \
    X(NOTICE_POSTED, RETURN, T, reason, VISITED, on_return)                       \
    X(NOTICE_POSTED, CLOSE, C, reason, CLOSED, on_close)                          \
    X(TOWNSHIP_REVIEWED, APPROVE, C, none, COUNTY_APPROVED, on_approve)           \
    X(TOWNSHIP_REVIEWED, RETURN, C, reason, NOTICE_POSTED, on_return)             \
    X(TOWNSHIP_REVIEWED, CLOSE, C, reason, CLOSED, on_close)                      \
    X(COUNTY_APPROVED, IDENTIFY, C, kind_and_risks, IDENTIFIED, on_identify)      \
    X(COUNTY_APPROVED, RETURN, C, reason, TOWNSHIP_REVIEWED, on_return)           \
    X(COUNTY_APPROVED, CLOSE, C, reason, CLOSED, on_close)

#define S_PUBLIC_ROW(from, ev, lv, g, to, a) FP_SM_ROW(SCREEN_CS_##from, SCREEN_EV_##ev, lv, g, SCREEN_CS_##to, a)
#define S_FNS_ROW(from, ev, lv, g, to, a) FP_SM_FNS(g, a)

const screen_case_row_t screen_case_table[] = {S_CASE_TABLE(S_PUBLIC_ROW)};
const size_t screen_case_table_count = sizeof screen_case_table / sizeof screen_case_table[0];
static const fp_sm_fns_t s_fns[] = {S_CASE_TABLE(S_FNS_ROW)};

#undef V
#undef T
#undef C

static bool s_final(int s) { return s == SCREEN_CS_IDENTIFIED || s == SCREEN_CS_CLOSED; }

_Static_assert(sizeof(screen_case_state_t) == sizeof(int) && sizeof(screen_event_kind_t) == sizeof(int) &&
                   sizeof(screen_level_t) == sizeof(int),
               "the engine reads states, events and levels as int");

const fp_sm_t screen_case_machine = {
    FP_SM_TABLES(screen_case_table, s_fns, s_state_code, s_event_code, SCREEN_LV_COUNT_),
    FP_SM_LAYOUT(screen_case_t, screen_event_t),
    .codes = {"case.bad_request", "case.final", "case.event_not_allowed", "case.level_not_allowed",
              "case.date_before_step"},
    .is_final = s_final,
    .params_ok = s_params_ok,
};

int screen_case_apply(const screen_case_t *in, const screen_event_t *ev, int32_t today, const screen_case_params_t *p,
                      screen_case_t *out, const char **refusal_code)
{
    return fp_sm_apply(&screen_case_machine, in, ev, today, p, out, refusal_code);
}

/* --- due dates ------------------------------------------------------------------------------- */

screen_case_due_t screen_case_due(const screen_case_t *c, const screen_case_params_t *p)
{
    screen_case_due_t d = {SCREEN_NO_DATE, SCREEN_NO_DATE};
    if (!c || !p || (unsigned)c->state >= SCREEN_CS_COUNT_ || s_final((int)c->state) || !s_params_ok(p)) return d;
    d.decision_due = fp_days_add(c->lead_date, p->decision_days, p->decision_working_days, p->cal);
    int32_t base = c->step_since;
    if (c->state == SCREEN_CS_NOTICE_POSTED && c->notice_posted_on != SCREEN_NO_DATE) {
        int32_t end = s_notice_end(c, p); /* review is due after the notice ends (or after a */
        if (end > base) base = end;       /* return from the township, whichever is later) */
    }
    d.step_due = fp_days_add(base, p->step_days[c->state], p->step_working_days, p->cal);
    if (d.step_due > d.decision_due) d.step_due = d.decision_due;
    return d;
}

bool screen_is_overdue(const screen_case_t *c, int32_t today, const screen_case_params_t *p)
{
    screen_case_due_t d = screen_case_due(c, p);
    return d.step_due != SCREEN_NO_DATE && today > d.step_due;
}
