/* elim_step.c: EliminationStep, risk elimination through the protocol (docs/assistance-rules.md):
 * the facts of the nomination criteria read with the plan's lock (income follow-up, the year's
 * line, labour in the ledger, delivered measures, identification day, policy parameters), then
 * assist_elim_criteria and assist_elim_apply decide; one statement writes the plan's elimination
 * record, its history and its event. A whole household without labour is recorded as a backstop
 * household and stays monitored. The notice masks the head's name; no ID number is ever read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "change.h"
#include "date.h"
#include "notice.h"
#include "log.h"
#include "mask.h"
#include "mem.h"

/* Columns: 0 id, 1 kind, 2 elim_state, 3 step_since, 4 notice_posted_on, 5 objections, 6 returns,
 * 7 refusals, 8 undos, 9 way, 10 eliminated_on, 11 identified_on, 12 members present, 13 with
 * labour, 14 delivered measures, 15 income by month (oldest first, -1 = not recorded) from the
 * first recorded month to the month before today's, 16 the line in fen, 17 stable months,
 * 18 min months, 19 notice days, 20 head's name, 21 village's name, 22 backstop already. $3 = today. */
#define S_LOCK_ELIM                                                                                                 \
    "SELECT p.id::text, p.kind, p.elim_state, coalesce(to_char(p.elim_step_since, 'YYYY-MM-DD'), ''),"              \
    " coalesce(to_char(p.elim_notice_posted_on, 'YYYY-MM-DD'), ''), p.elim_objections::text, p.elim_returns::text," \
    " p.elim_refusals::text, p.elim_undos::text, coalesce(p.elim_way, ''),"                                         \
    " coalesce(to_char(p.eliminated_on, 'YYYY-MM-DD'), ''), coalesce(to_char(p.identified_on, 'YYYY-MM-DD'), ''),"  \
    " (SELECT count(*) FROM ledger_members lm WHERE lm.county_code = p.county_code"                                 \
    "   AND lm.household_no = p.household_no AND lm.left_on IS NULL)::text,"                                        \
    " (SELECT count(*) FROM ledger_members lm WHERE lm.county_code = p.county_code"                                 \
    "   AND lm.household_no = p.household_no AND lm.left_on IS NULL AND lm.labour IN ('normal', 'weak'))::text,"    \
    " (SELECT count(*) FROM measures m WHERE m.county_code = p.county_code AND m.plan_id = p.id"                    \
    "   AND m.status = 'delivered')::text,"                                                                         \
    " coalesce((SELECT string_agg(coalesce(i.per_capita_net_fen, -1)::text, ',' ORDER BY g.m)"                      \
    "   FROM generate_series(greatest((SELECT min(hi.month) FROM household_income hi"                               \
    "     WHERE hi.county_code = p.county_code AND hi.household_no = p.household_no),"                              \
    "     date_trunc('month', $3::date) - interval '120 months'),"                                                  \
    "     date_trunc('month', $3::date) - interval '1 month', interval '1 month') AS g(m)"                          \
    "   LEFT JOIN household_income i ON i.county_code = p.county_code AND i.household_no = p.household_no"          \
    "     AND i.month = g.m::date"                                                                                  \
    "   WHERE EXISTS (SELECT 1 FROM household_income hi WHERE hi.county_code = p.county_code"                       \
    "     AND hi.household_no = p.household_no)), ''),"                                                             \
    " coalesce((fp_param('monitoring_line_yuan', p.village_code, $3::date) * 100)::bigint::text, ''),"              \
    " coalesce(fp_param('elimination_stable_months', p.village_code, $3::date)::int::text, ''),"                    \
    " coalesce(fp_param('elimination_min_months', p.village_code, $3::date)::int::text, ''),"                       \
    " coalesce(fp_param('elimination_notice_days', p.village_code, $3::date)::int::text, ''),"                      \
    " h.head_name, coalesce((SELECT r.name FROM regions r WHERE r.code = p.village_code), ''), p.backstop::text"    \
    " FROM plans p JOIN ledger_households h ON h.county_code = p.county_code AND h.household_no = p.household_no"   \
    " WHERE p.id = $1::bigint AND p.village_code LIKE $2 || '%' FOR UPDATE OF p"

static int32_t s_date(const char *s, int32_t dflt)
{
    int32_t d;
    return s && *s && fp_date_parse(s, &d) == FP_OK ? d : dflt;
}

static assist_elim_state_t s_estate_of(const char *code)
{
    for (int i = 0; i < ASSIST_ES_COUNT_; i++)
        if (!strcmp(code, assist_elim_state_code((assist_elim_state_t)i))) return (assist_elim_state_t)i;
    return ASSIST_ES_COUNT_;
}

static assist_way_t s_way_of(const char *code)
{
    if (!strcmp(code, "by_assistance")) return ASSIST_WAY_BY_ASSISTANCE;
    if (!strcmp(code, "natural")) return ASSIST_WAY_NATURAL;
    return ASSIST_WAY_NONE;
}

static bool s_event_of(const char *code, assist_elim_event_kind_t *out)
{
    for (int i = 0; i < ASSIST_EE_COUNT_; i++)
        if (!strcmp(code, assist_elim_event_code((assist_elim_event_kind_t)i))) {
            *out = (assist_elim_event_kind_t)i;
            return true;
        }
    return false;
}

/* The criteria as stored: [{id, zh, met, seen}] */
static void s_criteria_json(const assist_elim_check_t *c, fp_buf_t *b)
{
    fp_buf_puts(b, "[");
    for (int i = 0; i < ASSIST_CR_COUNT_; i++) {
        fp_buf_printf(b, "%s{\"id\":", i ? "," : "");
        fp_buf_json_str(b, assist_criteria[i].id);
        fp_buf_puts(b, ",\"zh\":");
        fp_buf_json_str(b, assist_criteria[i].zh);
        fp_buf_printf(b, ",\"met\":%s,\"seen\":", c->c[i].met ? "true" : "false");
        fp_buf_json_str(b, c->c[i].seen);
        fp_buf_puts(b, "}");
    }
    fp_buf_puts(b, "]");
}

static void s_elim_write(assist_job_t *j, const char *event_type, const char *reason, const char *criteria,
                         const char *backstop, bool with_request)
{
    const assist_elim_t *a = &j->after;
    Fangpin__V1__EliminationStep *s = j->msg->elimination_step;
    char step[11] = "", posted[11] = "", elim_on[11] = "", obj[16], ret[16], ref[16], undo[16];
    if (a->step_since != ASSIST_ELIM_NO_DATE) fp_date_format(a->step_since, step);
    if (a->notice_posted_on != ASSIST_ELIM_NO_DATE) fp_date_format(a->notice_posted_on, posted);
    if (a->eliminated_on != ASSIST_ELIM_NO_DATE) fp_date_format(a->eliminated_on, elim_on);
    snprintf(obj, sizeof obj, "%d", (int)a->objections);
    snprintf(ret, sizeof ret, "%d", (int)a->returns);
    snprintf(ref, sizeof ref, "%d", (int)a->refusals);
    snprintf(undo, sizeof undo, "%d", (int)a->undos);
    /* the categories whose measures may run past elimination (assist_runs_past_elimination) */
    fp_buf_t past = {0};
    fp_buf_puts(&past, "{");
    for (int c = 0; c < ASSIST_CAT_COUNT_; c++)
        if (assist_runs_past_elimination((assist_category_t)c))
            fp_buf_printf(&past, "%s%s", past.len > 1 ? "," : "", assist_category_code((assist_category_t)c));
    fp_buf_puts(&past, "}");
    const char *p[23] = {j->plan_id,
                         assist_elim_state_code(a->state),
                         step[0] ? step : j->today_s,
                         posted,
                         j->notice ? j->notice : "",
                         obj,
                         ret,
                         ref,
                         undo,
                         a->way == ASSIST_WAY_NONE ? "" : assist_way_code(a->way),
                         elim_on,
                         criteria ? criteria : "",
                         j->today_s,
                         j->actor,
                         assist_job_level(j),
                         s->event,
                         j->from,
                         reason ? reason : "",
                         with_request ? j->msg->request_id : "",
                         backstop ? backstop : "",
                         event_type,
                         j->notice ? "t" : "f",
                         past.data};
    assist_job_write(
        j,
        "WITH u AS (UPDATE plans SET elim_state = $2, elim_step_since = $3::date,"
        "   elim_notice_posted_on = nullif($4, '')::date,"
        "   elim_notice_text = CASE WHEN $22::boolean THEN $5 ELSE elim_notice_text END,"
        "   elim_objections = $6::int, elim_returns = $7::int, elim_refusals = $8::int, elim_undos = $9::int,"
        "   elim_way = nullif($10, ''), eliminated_on = nullif($11, '')::date,"
        "   elim_criteria = coalesce(nullif($12, '')::jsonb, elim_criteria),"
        "   backstop = CASE $20 WHEN 't' THEN true WHEN 'f' THEN false ELSE backstop END, updated_at = now()"
        "   WHERE id = $1::bigint RETURNING id, county_code, village_code, household_no),"
        " h AS (INSERT INTO plan_history (county_code, plan_id, on_day, actor, level, event, from_state,"
        "   to_state, reason, request_id) SELECT county_code, id, $13::date, $14, $15, 'elimination.' || $16, $17,"
        "   $2, $18, nullif($19, '') FROM u),"
        " e AS (SELECT events_write(array_agg(ROW(county_code, village_code, 'elimination.' || $21,"
        "   jsonb_build_object('plan_id', id, 'from', $17, 'to', $2, 'level', $15, 'way', $10))::event_new)) FROM u),"
        /* announced: the live measures that end with monitoring are stopped, each with its audit
             * row and event; microcredit, a public-welfare job and schooling support run on, and
             * every measure of a household still in a low-income category (docs/lowincome.md) */
        " m0 AS (SELECT ms.id, ms.status FROM measures ms, u WHERE $2 = 'eliminated' AND $17 <> 'eliminated'"
        "   AND ms.county_code = u.county_code AND ms.plan_id = u.id AND ms.status IN ('planned', 'in_progress')"
        "   AND NOT (ms.category = ANY ($23::text[]))"
        /* a household that stays in a low-income category (unified mode) keeps its support */
        "   AND NOT EXISTS (SELECT 1 FROM household_categories hc WHERE hc.county_code = u.county_code"
        "    AND hc.household_no = u.household_no AND fp_mode(u.county_code, $13::date) = 'unified')),"
        " m AS (UPDATE measures ms SET status = 'stopped', status_on = $13::date,"
        "   stop_reason = '风险已消除，措施随监测结束 / risk eliminated: the measure ends with monitoring',"
        "   updated_at = now() FROM m0 WHERE ms.id = m0.id RETURNING ms.id, ms.county_code, ms.plan_id, m0.status),"
        " mh AS (INSERT INTO plan_history (county_code, plan_id, measure_id, on_day, actor, level, event,"
        "   from_state, to_state, reason) SELECT county_code, plan_id, id, $13::date, $14, $15, 'measure.stopped',"
        "   status, 'stopped', '风险已消除，措施随监测结束' FROM m),"
        " me AS (SELECT events_write(array_agg(ROW(m.county_code, u.village_code, 'measure.stopped',"
        "   jsonb_build_object('plan_id', m.plan_id, 'measure_id', m.id, 'from', m.status, 'to', 'stopped',"
        "   'level', $15))::event_new ORDER BY m.id)) FROM m, u)"
        " SELECT u.id::text FROM u, e, me", /* e and me read, so that they run */
        23, p);
    fp_buf_free(&past);
}

static void s_elim_apply(assist_job_t *j);

static bool s_elim_locked(assist_job_t *j, PGresult *res)
{
#define C(i) PQgetvalue(res, 0, i)
    snprintf(j->plan_id, sizeof j->plan_id, "%s", C(0));
    if (strcmp(C(1), "monitoring") != 0) {
        assist_job_refuse(j, "plan.consolidation", NULL, NULL);
        return false;
    }
    snprintf(j->from, sizeof j->from, "%s", C(2));
    j->was_backstop = !strcmp(C(22), "true");
    assist_elim_t *e = &j->before;
    int32_t ident = s_date(C(11), j->today);
    assist_elim_init(e, s_date(C(3), ident));
    e->state = s_estate_of(C(2));
    e->notice_posted_on = s_date(C(4), ASSIST_ELIM_NO_DATE);
    e->objections = atoi(C(5));
    e->returns = atoi(C(6));
    e->refusals = atoi(C(7));
    e->undos = atoi(C(8));
    e->way = s_way_of(C(9));
    e->eliminated_on = s_date(C(10), ASSIST_ELIM_NO_DATE);
    assist_elim_params_t prm = ASSIST_ELIM_PARAMS_DEFAULT;
    if (*C(17)) prm.stable_months = atoi(C(17));
    if (*C(18)) prm.min_months = atoi(C(18));
    if (*C(19)) prm.notice_days = atoi(C(19));
    j->prm = prm;
    Fangpin__V1__EliminationStep *s = j->msg->elimination_step;
    assist_elim_event_kind_t kind = ASSIST_EE_COUNT_; /* checked in assist_elim_prepare */
    s_event_of(s->event, &kind);
    if (kind == ASSIST_EE_NOMINATE) {
        int64_t months[ASSIST_MAX_MONTHS];
        size_t n = 0;
        char *series = fp_strdup(C(15));
        for (char *save = NULL, *t = strtok_r(series, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (n == ASSIST_MAX_MONTHS) { /* keep the most recent */
                memmove(months, months + 1, sizeof months[0] * (ASSIST_MAX_MONTHS - 1));
                n--;
            }
            months[n++] = strtoll(t, NULL, 10);
        }
        free(series);
        assist_elim_facts_t f = {0};
        f.line = strtoll(C(16), NULL, 10);
        f.income_by_month = months;
        f.n_months = n;
        f.rigid_costs_resolved = s->rigid_costs_resolved;
        f.guarantees_hold = s->guarantees_hold;
        f.water_holds = s->water_holds;
        f.identified_on = ident;
        f.measures_delivered = atoi(C(14));
        f.members = atoi(C(12));
        f.members_with_labour = atoi(C(13));
        if (f.members > 99) f.members = 99;
        if (f.members_with_labour > f.members) f.members_with_labour = f.members;
        fp_err_t err = assist_elim_criteria(&f, &prm, j->today, &j->criteria);
        if (err != FP_OK) {
            assist_job_refuse(j, "plan.facts",
                              f.members < 1
                                  ? "the household has no member present in the ledger: check the ledger first"
                                  : "the household's facts are out of range: check the ledger and the income records",
                              f.members < 1 ? "台账中该户无在册成员，请先核对台账"
                                            : "该户台账或收入数据超出范围，请核对");
            return false;
        }
    } else if (kind == ASSIST_EE_POST_NOTICE) {
        if (s->notice_text_override[0]) { /* a cadre's text is cleaned as the generated one is */
            fp_buf_t b = {0};
            fp_text_clean(&b, s->notice_text_override);
            j->notice = b.data;
        } else j->notice = assist_elim_notice_text(C(20), C(21), j->today, prm.notice_days);
    }
#undef C
    return true;
}

static void s_elim_apply(assist_job_t *j)
{
    Fangpin__V1__EliminationStep *s = j->msg->elimination_step;
    assist_elim_event_t ev;
    memset(&ev, 0, sizeof ev);
    s_event_of(s->event, &ev.kind);
    ev.level = j->level;
    ev.text = s->text;
    ev.way = s_way_of(s->way);
    ev.criteria = ev.kind == ASSIST_EE_NOMINATE ? &j->criteria : NULL;
    const char *why = NULL;
    if (assist_elim_apply(&j->before, &ev, j->today, &j->prm, &j->after, &why) == ASSIST_ELIM_REFUSED) {
        const assist_reason_t *r = assist_reason_in(assist_elim_reasons, why);
        if (!why) why = "elim.bad_request";
        const char *en = r ? r->en : NULL, *zh = r ? r->zh : NULL;
        if (why && !strcmp(why, "elim.backstop_household") && !j->was_backstop) {
            /* the policy's own answer: recorded once (backstop = true, the criteria, history,
             * event), the household stays monitored, and the caller hears why; asked again (a
             * retry, or a later nomination) it only refreshes the criteria, as below */
            assist_job_set_status(j, why, en, zh);
            j->after = j->before;
            fp_buf_t crit = {0};
            s_criteria_json(&j->criteria, &crit);
            s_elim_write(j, "backstop", zh, crit.data, "t", false);
            fp_buf_free(&crit);
            return;
        }
        if (why && (!strcmp(why, "elim.criteria_not_met") || !strcmp(why, "elim.backstop_household"))) {
            /* say which criteria failed, and keep the check on the plan for ShowPlan */
            fp_buf_t e = {0}, z = {0};
            fp_buf_puts(&e, en);
            fp_buf_puts(&z, zh);
            for (int i = 0; i < ASSIST_CR_COUNT_ && !strcmp(why, "elim.criteria_not_met"); i++) {
                if (j->criteria.c[i].met) continue;
                const assist_reason_t *cr = assist_reason_in(assist_elim_reasons, assist_criteria[i].fail_code);
                fp_buf_printf(&e, "; %s %s (%s)", assist_criteria[i].id, cr ? cr->en : "", j->criteria.c[i].seen);
                fp_buf_printf(&z, "；%s %s（%s）", assist_criteria[i].id, cr ? cr->zh : "", j->criteria.c[i].seen);
            }
            assist_job_set_status(j, why, e.data, z.data);
            fp_buf_free(&e);
            fp_buf_free(&z);
            fp_buf_t crit = {0};
            s_criteria_json(&j->criteria, &crit);
            const char *p[2] = {j->plan_id, crit.data};
            assist_job_write(j, "UPDATE plans SET elim_criteria = $2::jsonb WHERE id = $1::bigint RETURNING id::text",
                             2, p);
            fp_buf_free(&crit);
            return;
        }
        assist_job_refuse(j, why, en, zh);
        return;
    }
    fp_buf_t reason = {0}, crit = {0};
    fp_buf_puts(&reason, "");
    if (ev.kind == ASSIST_EE_NOMINATE) {
        s_criteria_json(&j->criteria, &crit);
        fp_buf_puts(&reason, "风险消除条件全部满足");
    } else if (ev.kind == ASSIST_EE_POST_NOTICE) {
        fp_buf_puts(&reason, j->notice ? j->notice : "");
    } else if (ev.kind == ASSIST_EE_ANNOUNCE) {
        fp_buf_printf(&reason, "%s%s%s", ev.way == ASSIST_WAY_NATURAL ? "自然消除" : "帮扶消除", s->text[0] ? "；" : "",
                      s->text);
    } else {
        fp_buf_puts(&reason, s->text);
    }
    s_elim_write(j, s->event, reason.data, crit.data, ev.kind == ASSIST_EE_NOMINATE ? "f" : NULL, true);
    fp_buf_free(&reason);
    fp_buf_free(&crit);
}

/* BAD_REQUEST naming the field; false, for assist_elim_prepare's returns. */
static bool s_bad(assist_job_t *j, const char *field, const char *en, const char *zh)
{
    assist_job_bad(j, field, en, zh);
    return false;
}

bool assist_elim_prepare(assist_job_t *j)
{
    Fangpin__V1__EliminationStep *s = j->msg->elimination_step;
    assist_elim_event_kind_t kind;
    if (s->plan_id <= 0) return s_bad(j, "plan_id", "must be a plan id (> 0)", "须为帮扶计划编号（大于0）");
    if (!s_event_of(s->event, &kind))
        return s_bad(j, "event",
                     "must be nominate, post_notice, objection, approve, confirm, announce, return,"
                     " refuse or undo",
                     "不是风险消除事项");
    if (s->way[0] && s_way_of(s->way) == ASSIST_WAY_NONE)
        return s_bad(j, "way", "must be by_assistance or natural",
                     "须为 by_assistance（帮扶消除）或 natural（自然消除）");
    if (strlen(s->text) > 2000) return s_bad(j, "text", "at most 2000 bytes", "至多2000字节");
    if (strlen(s->notice_text_override) > 4000)
        return s_bad(j, "notice_text_override", "at most 4000 bytes", "至多4000字节");
    if (fp_text_has_long_number(s->notice_text_override))
        return s_bad(j, "notice_text_override", "carries a long number: a notice never shows ID, phone or bank numbers",
                     "含有长数字串：公示不得出现身份证号、电话或银行账号");
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)s->plan_id);
    assist_job_lock(j, S_LOCK_ELIM, 3, id, j->scope, j->today_s, NULL);
    j->on_locked = s_elim_locked;
    j->apply = s_elim_apply;
    j->reply = ASSIST_R_SUMMARY;
    return true;
}
