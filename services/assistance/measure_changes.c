/* measure_changes.c: the changes of measures (AddMeasure, SetMeasureStatus, CheckMeasure), each
 * one transaction of job.c (change.h), dispatched by changes.c. Bad input is BAD_REQUEST naming
 * the field; a change the rules refuse is CONFLICT with the catalog's words
 * (assist_measure_reasons). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "change.h"
#include "date.h"
#include "log.h"
#include "measures.h"
#include "mem.h"

/* --- measures: AddMeasure, SetMeasureStatus, CheckMeasure ----------------------------------- */

static bool s_addmeasure_locked(assist_job_t *j, PGresult *res)
{
    assist_plan_locked(j, res);
    if (!strcmp(j->from, "eliminated")) {
        assist_job_refuse(j, "plan.eliminated", NULL, NULL);
        return false;
    }
    return true;
}

static void s_addmeasure_apply(assist_job_t *j)
{
    Fangpin__V1__AddMeasure *m = j->msg->add_measure;
    assist_category_t cat;
    assist_category_from_code(m->category, &cat);
    char amount[24], reason[512];
    snprintf(amount, sizeof amount, "%lld", (long long)m->amount_fen);
    snprintf(reason, sizeof reason, "%s：%s（%s）", assist_categories[cat].zh, m->title, m->responsible_unit);
    const char *p[12] = {j->plan_id, m->category, m->title, m->responsible_unit, m->start_on,        m->end_on,
                         amount,     j->today_s,  j->actor, assist_job_level(j), j->msg->request_id, reason};
    assist_job_write(
        j,
        "WITH m AS (INSERT INTO measures (county_code, plan_id, category, title, responsible_unit, start_on,"
        "   end_on, amount_fen, status_on) SELECT county_code, id, $2, $3, $4, $5::date, nullif($6, '')::date,"
        "   $7::bigint, $8::date FROM plans WHERE id = $1::bigint RETURNING id, county_code, plan_id),"
        " u AS (UPDATE plans SET updated_at = now() WHERE id = $1::bigint RETURNING village_code),"
        " h AS (INSERT INTO plan_history (county_code, plan_id, measure_id, on_day, actor, level, event,"
        "   to_state, reason, request_id) SELECT county_code, plan_id, id, $8::date, $9, $10, 'measure.added',"
        "   'planned', $12, $11 FROM m),"
        " e AS (SELECT events_write(array_agg(ROW(m.county_code, u.village_code, 'measure.added',"
        "   jsonb_build_object('plan_id', m.plan_id, 'measure_id', m.id, 'category', $2, 'level', $10))::event_new))"
        "   FROM m, u)"
        " SELECT m.id::text FROM m, e",
        12, p);
}

#define S_LOCK_MEASURE                                                                        \
    "SELECT p.id::text, m.status, p.elim_state, EXISTS (SELECT 1 FROM measure_checks k"       \
    "  WHERE k.county_code = m.county_code AND k.measure_id = m.id AND k.quarter = $3)::text" \
    " FROM measures m JOIN plans p ON p.county_code = m.county_code AND p.id = m.plan_id"     \
    " WHERE m.id = $1::bigint AND p.village_code LIKE $2 || '%' FOR UPDATE OF m, p"

static bool s_measure_locked(assist_job_t *j, PGresult *res)
{
    snprintf(j->plan_id, sizeof j->plan_id, "%s", PQgetvalue(res, 0, 0));
    snprintf(j->from, sizeof j->from, "%s", PQgetvalue(res, 0, 1));
    j->exists = !strcmp(PQgetvalue(res, 0, 3), "true"); /* checked in the quarter */
    return true;
}

static assist_mstatus_t s_mstatus_of(const char *code)
{
    for (int s = 0; s < ASSIST_MS_COUNT_; s++)
        if (!strcmp(code, assist_mstatus_code((assist_mstatus_t)s))) return (assist_mstatus_t)s;
    return ASSIST_MS_COUNT_;
}

static void s_status_apply(assist_job_t *j)
{
    Fangpin__V1__SetMeasureStatus *s = j->msg->set_measure_status;
    const char *why = assist_measure_change(s_mstatus_of(j->from), s_mstatus_of(s->status), s->reason);
    if (why) {
        const assist_reason_t *r = assist_reason_in(assist_measure_reasons, why);
        assist_job_refuse(j, why, r ? r->en : NULL, r ? r->zh : NULL);
        return;
    }
    const char *p[9] = {j->measure_id,       s->status,          s->reason, j->today_s, j->actor,
                        assist_job_level(j), j->msg->request_id, j->from,   j->plan_id};
    assist_job_write(j,
                     "WITH m AS (UPDATE measures SET status = $2, status_on = $4::date, stop_reason = CASE WHEN $2 = "
                     "'stopped'"
                     "   THEN $3 ELSE stop_reason END, updated_at = now() WHERE id = $1::bigint"
                     "   RETURNING id, county_code, plan_id),"
                     " u AS (UPDATE plans SET updated_at = now() WHERE id = $9::bigint RETURNING village_code),"
                     " h AS (INSERT INTO plan_history (county_code, plan_id, measure_id, on_day, actor, level, event,"
                     "   from_state, to_state, reason, request_id) SELECT county_code, plan_id, id, $4::date, $5, $6,"
                     "   'measure.' || $2, $8, $2, $3, $7 FROM m),"
                     " e AS (SELECT events_write(array_agg(ROW(m.county_code, u.village_code, 'measure.' || $2,"
                     "   jsonb_build_object('plan_id', m.plan_id, 'measure_id', m.id, 'from', $8, 'to', $2, 'level', "
                     "$6))::event_new))"
                     "   FROM m, u)"
                     " SELECT m.id::text FROM m, e",
                     9, p);
}

static void s_check_apply(assist_job_t *j)
{
    Fangpin__V1__CheckMeasure *c = j->msg->check_measure;
    if (!strcmp(j->from, "stopped")) {
        assist_job_refuse(j, "check.stopped", NULL, NULL);
        return;
    }
    if (j->exists) {
        assist_job_refuse(j, "check.done", NULL, NULL);
        return;
    }
    const char *p[9] = {j->measure_id, j->quarter, j->today_s,         j->actor,  assist_job_level(j),
                        c->result,     c->finding, j->msg->request_id, j->plan_id};
    assist_job_write(
        j,
        "WITH k AS (INSERT INTO measure_checks (county_code, measure_id, quarter, checked_on, actor, level, result,"
        "   finding) SELECT county_code, id, $2, $3::date, $4, $5, $6, $7 FROM measures WHERE id = $1::bigint"
        "   RETURNING id, county_code, measure_id),"
        " u AS (UPDATE plans SET updated_at = now() WHERE id = $9::bigint RETURNING village_code),"
        " h AS (INSERT INTO plan_history (county_code, plan_id, measure_id, on_day, actor, level, event,"
        "   to_state, reason, request_id) SELECT county_code, $9::bigint, measure_id, $3::date, $4, $5,"
        "   'measure.checked', $6, $2 || '：' || $7, $8 FROM k),"
        " e AS (SELECT events_write(array_agg(ROW(k.county_code, u.village_code, 'measure.checked',"
        "   jsonb_build_object('plan_id', $9::bigint, 'measure_id', k.measure_id, 'quarter', $2, 'result', $6,"
        "   'level', $5))::event_new)) FROM k, u)"
        " SELECT k.measure_id::text FROM k, e",
        9, p);
}

/* Checks a measure added to a plan and locks what it changes; false when refused (answered). */
bool assist_start_add_measure(assist_job_t *j)
{
    Fangpin__V1__AssistanceRequest *msg = j->msg;
    int32_t d1, d2;
    Fangpin__V1__AddMeasure *m = msg->add_measure;
    assist_category_t cat;
    if (!assist_check_id(j, "plan_id", m->plan_id, "plan")) return false;
    if (!assist_category_from_code(m->category, &cat)) {
        assist_job_bad(j, "category",
                       "not a measure category (industry, finance, employment, housing, water, health,"
                       " education, social_help, relocation, backstop, helper, risk_fund)",
                       "不是帮扶措施类别");
        return false;
    }
    if (!assist_has_text(m->title) || strlen(m->title) > 400) {
        assist_job_bad(j, "title", "required, at most 400 bytes", "必填，至多400字节");
        return false;
    }
    if (!assist_has_text(m->responsible_unit) || strlen(m->responsible_unit) > 200) {
        assist_job_bad(j, "responsible_unit", "required, at most 200 bytes", "必填，至多200字节");
        return false;
    }
    if (!assist_valid_date(m->start_on, &d1)) {
        assist_job_bad(j, "start_on", "must be a date YYYY-MM-DD", "日期格式应为 YYYY-MM-DD");
        return false;
    }
    if (m->end_on[0] && !assist_valid_date(m->end_on, &d2)) {
        assist_job_bad(j, "end_on", "must be a date YYYY-MM-DD or empty", "日期格式应为 YYYY-MM-DD 或留空");
        return false;
    }
    if (m->end_on[0] && d2 < d1) {
        assist_job_bad(j, "end_on", "is before start_on", "早于开始日期");
        return false;
    }
    if (!assist_check_fen(j, "amount_fen", m->amount_fen)) return false;
    assist_lock_plan(j, m->plan_id);
    j->on_locked = s_addmeasure_locked;
    j->apply = s_addmeasure_apply;
    j->reply = ASSIST_R_MEASURE;
    return true;
}

/* Checks a measure started, delivered or stopped and locks what it changes; false when refused (answered). */
bool assist_start_set_measure_status(assist_job_t *j)
{
    Fangpin__V1__AssistanceRequest *msg = j->msg;
    Fangpin__V1__SetMeasureStatus *s = msg->set_measure_status;
    if (!assist_check_id(j, "measure_id", s->measure_id, "measure")) return false;
    if (s_mstatus_of(s->status) == ASSIST_MS_COUNT_ || !strcmp(s->status, "planned")) {
        assist_job_bad(j, "status", "must be in_progress, delivered or stopped",
                       "须为 in_progress、delivered 或 stopped");
        return false;
    }
    snprintf(j->measure_id, sizeof j->measure_id, "%lld", (long long)s->measure_id);
    assist_job_lock(j, S_LOCK_MEASURE, 3, j->measure_id, j->scope, j->quarter, NULL);
    j->on_locked = s_measure_locked;
    j->apply = s_status_apply;
    j->reply = ASSIST_R_MEASURE;
    return true;
}

/* Checks a measure's check in the current quarter and locks what it changes; false when refused (answered). */
bool assist_start_check_measure(assist_job_t *j)
{
    Fangpin__V1__AssistanceRequest *msg = j->msg;
    Fangpin__V1__CheckMeasure *c = msg->check_measure;
    if (!assist_check_id(j, "measure_id", c->measure_id, "measure")) return false;
    if (c->quarter[0] && strcmp(c->quarter, j->quarter) != 0) {
        assist_job_bad(j, "quarter", "only the current quarter can be checked", "只能核查本季度");
        return false;
    }
    if (strcmp(c->result, "on_track") && strcmp(c->result, "problem")) {
        assist_job_bad(j, "result", "must be on_track or problem", "须为 on_track 或 problem");
        return false;
    }
    if (!assist_has_text(c->finding) || strlen(c->finding) > 2000) {
        assist_job_bad(j, "finding", "required, at most 2000 bytes", "必填，至多2000字节");
        return false;
    }
    snprintf(j->measure_id, sizeof j->measure_id, "%lld", (long long)c->measure_id);
    assist_job_lock(j, S_LOCK_MEASURE, 3, j->measure_id, j->scope, j->quarter, NULL);
    j->on_locked = s_measure_locked;
    j->apply = s_check_apply;
    j->reply = ASSIST_R_CHECK;
    return true;
}
