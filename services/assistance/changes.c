/* changes.c: every change of the assistance protocol as ONE transaction, the pattern of
 * screening's transitions.c: BEGIN; the row FOR UPDATE within the caller's region (NOT_FOUND
 * outside it); a request id already in plan_history answers the stored outcome (a retry applies
 * once); the pure core decides (assist_measure_change, assist_elim_criteria, assist_elim_apply);
 * one statement writes the row, its plan_history row and its event (region = the village);
 * COMMIT; then the reply, read back from the tables. Bad input is BAD_REQUEST naming the field,
 * a caller of the wrong level FORBIDDEN, a change the rules refuse CONFLICT with the catalog's
 * words. Only masked names leave through here; no ID number is ever read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assist.h"
#include "date.h"
#include "elim_notice.h"
#include "elimination.h"
#include "log.h"
#include "measures.h"
#include "mem.h"

typedef enum { S_R_SUMMARY, S_R_MEASURE, S_R_CHECK, S_R_QUARTER } s_reply_t;

typedef struct s_job s_job_t;
struct s_job {
    assist_t *a;
    fp_request_t *req;
    Fangpin__V1__AssistanceRequest *msg;
    fp_db_t *db;
    char scope[13], county[7], actor[128];
    assist_level_t level;       /* ASSIST_LV_COUNT_: not an actor */
    int32_t today;
    char today_s[11];
    char plan_id[24], measure_id[24], quarter[7];
    s_reply_t reply;
    bool replayed, exists;
    /* the row lock: SQL and parameters (owned copies), then what the row means */
    const char *lock_sql;
    int lock_n;
    char *lock_p[4];
    bool (*on_locked)(s_job_t *j, PGresult *res); /* false: answered (and rolled back) */
    void (*apply)(s_job_t *j);                    /* not seen before: decide and write */
    /* the answer's status when the change was refused but something was committed (a backstop
     * nomination): code and words; OK otherwise */
    Fangpin__V1__Code code;
    char *msg_en, *msg_zh;
    /* elimination */
    assist_elim_t before, after;
    assist_elim_check_t criteria;
    assist_elim_params_t prm;   /* in force for the plan's village today (fp_param) */
    bool was_backstop;          /* already recorded as a backstop household */
    char from[24];
    char *notice;
};

static void s_job_free(s_job_t *j)
{
    for (int i = 0; i < 4; i++) free(j->lock_p[i]);
    free(j->msg_en);
    free(j->msg_zh);
    free(j->notice);
    fangpin__v1__assistance_request__free_unpacked(j->msg, NULL);
    free(j);
}

static void s_fail(s_job_t *j, Fangpin__V1__Code code, const char *en, const char *zh)
{
    fp_request_error(j->req, j->msg->request_id, code, en, zh);
    s_job_free(j);
}

static void s_bad(s_job_t *j, const char *field, const char *en, const char *zh)
{
    char e[256], z[256];
    snprintf(e, sizeof e, "%s: %s", field, en);
    snprintf(z, sizeof z, "%s：%s", field, zh);
    s_fail(j, FANGPIN__V1__CODE__BAD_REQUEST, e, z);
}

static void s_unavailable(s_job_t *j)
{
    s_fail(j, FANGPIN__V1__CODE__UNAVAILABLE,
           "the database went away: nothing was changed; retry with the same request id",
           "数据库连接中断，未作任何更改，请用相同请求号重试");
}

static void s_on_rollback(fp_db_t *db, PGresult *res, void *arg) {}

static void s_rollback(s_job_t *j) { fp_db_query(j->db, FP_DB_FRONT, "ROLLBACK", 0, NULL, s_on_rollback, NULL); }

static void s_abort(s_job_t *j, PGresult *res, const char *what)
{
    if (!res) return s_unavailable(j);
    fp_log_error("assistance change failed; rolled back", "step", what, "error", PQresultErrorMessage(res));
    s_rollback(j);
    s_fail(j, FANGPIN__V1__CODE__INTERNAL, "the change could not be stored: nothing was changed",
           "保存失败，未作任何更改");
}

/* Refused inside the transaction: roll back, answer. */
static void s_refuse(s_job_t *j, Fangpin__V1__Code code, const char *en, const char *zh)
{
    s_rollback(j);
    s_fail(j, code, en, zh);
}

/* --- the reply, read back after COMMIT ------------------------------------------------------- */

static void s_status(s_job_t *j, Fangpin__V1__Status *st)
{
    st->code = j->code;
    if (j->code != FANGPIN__V1__CODE__OK) {
        st->message = j->msg_en;
        st->message_zh = j->msg_zh;
    } else if (j->replayed) {
        st->message = (char *)"already applied: this request id was seen for this plan";
        st->message_zh = (char *)"该请求已办理（重复请求未再次执行）";
    } else {
        st->message = (char *)"ok";
        st->message_zh = (char *)"办理成功";
    }
}

static void s_on_reply_row(fp_db_t *db, PGresult *res, void *arg)
{
    s_job_t *j = arg;
    if (!res) return s_unavailable(j);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        fp_log_error("reading back after a change failed", "error", PQresultErrorMessage(res));
        return s_fail(j, FANGPIN__V1__CODE__INTERNAL, "reading back the change failed", "读取办理结果失败");
    }
    Fangpin__V1__AssistanceReply out = FANGPIN__V1__ASSISTANCE_REPLY__INIT;
    Fangpin__V1__Status st = FANGPIN__V1__STATUS__INIT;
    s_status(j, &st);
    out.request_id = j->msg->request_id;
    out.status = &st;
    Fangpin__V1__PlanSummary sum;
    assist_summary_buf_t sb = {0};
    Fangpin__V1__Measure m;
    Fangpin__V1__MeasureCheck k;
    Fangpin__V1__QuarterSummary q = FANGPIN__V1__QUARTER_SUMMARY__INIT;
    Fangpin__V1__QuarterSummary__CountsEntry ce[16], *cp[16];
    char *counts = NULL;
    switch (j->reply) {
    case S_R_SUMMARY:
        assist_summary_fill(res, 0, 0, &sum, &sb);
        out.result_case = FANGPIN__V1__ASSISTANCE_REPLY__RESULT_PLAN_SUMMARY;
        out.plan_summary = &sum;
        break;
    case S_R_MEASURE:
        assist_measure_fill(res, 0, 0, &m);
        out.result_case = FANGPIN__V1__ASSISTANCE_REPLY__RESULT_MEASURE;
        out.measure = &m;
        break;
    case S_R_CHECK:
        assist_check_fill(res, 0, 0, &k);
        out.result_case = FANGPIN__V1__ASSISTANCE_REPLY__RESULT_MEASURE_CHECK;
        out.measure_check = &k;
        break;
    case S_R_QUARTER:
        q.county_code = PQgetvalue(res, 0, 0);
        q.quarter = PQgetvalue(res, 0, 1);
        q.submitted_on = PQgetvalue(res, 0, 2);
        q.due_on = PQgetvalue(res, 0, 3);
        q.late = !strcmp(PQgetvalue(res, 0, 4), "true");
        counts = fp_strdup(PQgetvalue(res, 0, 5));
        for (char *save = NULL, *t = strtok_r(counts, ",", &save); t && q.n_counts < 16;
             t = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(t, '=');
            if (!eq) continue;
            *eq = '\0';
            fangpin__v1__quarter_summary__counts_entry__init(&ce[q.n_counts]);
            ce[q.n_counts].key = t;
            ce[q.n_counts].value = (uint32_t)strtoul(eq + 1, NULL, 10);
            cp[q.n_counts] = &ce[q.n_counts];
            q.n_counts++;
        }
        q.counts = cp;
        out.result_case = FANGPIN__V1__ASSISTANCE_REPLY__RESULT_QUARTER_SUMMARY;
        out.quarter_summary = &q;
        break;
    }
    fp_request_reply(j->req, &out.base, st.code);
    j->req = NULL;
    if (j->reply == S_R_SUMMARY) assist_summary_buf_free(&sb);
    free(counts);
    s_job_free(j);
}

static void s_reply(s_job_t *j)
{
    switch (j->reply) {
    case S_R_SUMMARY: {
        const char *p[1] = {j->plan_id};
        fp_db_query(j->db, FP_DB_FRONT, "SELECT " ASSIST_SUMMARY_SQL " FROM plans p WHERE p.id = $1::bigint", 1, p,
                    s_on_reply_row, j);
        break;
    }
    case S_R_MEASURE: {
        const char *p[1] = {j->measure_id};
        fp_db_query(j->db, FP_DB_FRONT, "SELECT " ASSIST_MEASURE_SQL " FROM measures m WHERE m.id = $1::bigint", 1,
                    p, s_on_reply_row, j);
        break;
    }
    case S_R_CHECK: {
        const char *p[1] = {j->measure_id};
        fp_db_query(j->db, FP_DB_FRONT,
                    "SELECT " ASSIST_CHECK_SQL " FROM measure_checks k WHERE k.measure_id = $1::bigint"
                    " ORDER BY k.quarter DESC LIMIT 1",
                    1, p, s_on_reply_row, j);
        break;
    }
    case S_R_QUARTER: {
        const char *p[2] = {j->county, j->quarter};
        fp_db_query(j->db, FP_DB_FRONT,
                    "SELECT county_code::text, quarter::text, to_char(submitted_on, 'YYYY-MM-DD'),"
                    " to_char(due_on, 'YYYY-MM-DD'), (submitted_on > due_on)::text,"
                    " coalesce((SELECT string_agg(key || '=' || value, ',' ORDER BY key) FROM jsonb_each_text(counts)), '')"
                    " FROM quarter_summaries WHERE county_code = $1 AND quarter = $2",
                    2, p, s_on_reply_row, j);
        break;
    }
    }
}

static void s_on_committed(fp_db_t *db, PGresult *res, void *arg)
{
    s_job_t *j = arg;
    if (!res) return s_unavailable(j);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) return s_abort(j, res, "COMMIT");
    s_reply(j);
}

static void s_commit(s_job_t *j) { fp_db_query(j->db, FP_DB_FRONT, "COMMIT", 0, NULL, s_on_committed, j); }

/* --- the request id: seen for this plan? ---------------------------------------------------- */

static void s_on_seen_after(fp_db_t *db, PGresult *res, void *arg)
{
    s_job_t *j = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) return s_abort(j, res, "request id");
    if (!j->measure_id[0]) snprintf(j->measure_id, sizeof j->measure_id, "%s", PQgetvalue(res, 0, 0));
    s_reply(j);
}

static void s_on_written(fp_db_t *db, PGresult *res, void *arg)
{
    s_job_t *j = arg;
    if (!res) return s_unavailable(j);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        const char *cons = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
        if (state && !strcmp(state, "23505")) {
            s_rollback(j);
            if (cons && !strcmp(cons, "plan_history_request")) { /* the same request id committed meanwhile */
                j->replayed = true;
                const char *p[2] = {j->plan_id, j->msg->request_id};
                fp_db_query(db, FP_DB_FRONT,
                            "SELECT coalesce(measure_id::text, '') FROM plan_history WHERE plan_id = $1::bigint"
                            " AND request_id = $2",
                            2, p, s_on_seen_after, j);
                return;
            }
            return s_fail(j, FANGPIN__V1__CODE__CONFLICT, "done meanwhile by someone else: nothing was changed",
                          "他人已同时办理，本次未作更改");
        }
        return s_abort(j, res, "write");
    }
    /* a new row's id (measure, plan) comes back as the first column */
    if (PQntuples(res) >= 1 && PQnfields(res) >= 1) {
        if (j->reply == S_R_MEASURE && !j->measure_id[0])
            snprintf(j->measure_id, sizeof j->measure_id, "%s", PQgetvalue(res, 0, 0));
        else if (j->reply == S_R_SUMMARY && !j->plan_id[0])
            snprintf(j->plan_id, sizeof j->plan_id, "%s", PQgetvalue(res, 0, 0));
    }
    s_commit(j);
}

static void s_write(s_job_t *j, const char *sql, int n, const char *const *p)
{
    fp_db_query(j->db, FP_DB_FRONT, sql, n, p, s_on_written, j);
}

static void s_on_seen(fp_db_t *db, PGresult *res, void *arg)
{
    s_job_t *j = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) return s_abort(j, res, "request id");
    if (PQntuples(res) > 0) {
        j->replayed = true;
        if (!j->measure_id[0]) snprintf(j->measure_id, sizeof j->measure_id, "%s", PQgetvalue(res, 0, 0));
        return s_commit(j);
    }
    j->apply(j);
}

static void s_check_seen(s_job_t *j)
{
    const char *p[2] = {j->plan_id, j->msg->request_id};
    fp_db_query(j->db, FP_DB_FRONT,
                "SELECT coalesce(measure_id::text, '') FROM plan_history WHERE plan_id = $1::bigint AND request_id = $2",
                2, p, s_on_seen, j);
}

static void s_on_locked(fp_db_t *db, PGresult *res, void *arg)
{
    s_job_t *j = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) return s_abort(j, res, "lock");
    if (PQntuples(res) == 0)
        return s_refuse(j, FANGPIN__V1__CODE__NOT_FOUND, "no such plan, measure or household in your region",
                        "您的管辖范围内无此帮扶计划、措施或农户");
    if (j->on_locked(j, res)) s_check_seen(j);
}

static void s_on_begun(fp_db_t *db, PGresult *res, void *arg)
{
    s_job_t *j = arg;
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) return s_abort(j, res, "BEGIN");
    fp_db_query(db, FP_DB_FRONT, j->lock_sql, j->lock_n, (const char *const *)j->lock_p, s_on_locked, j);
}

static void s_lock(s_job_t *j, const char *sql, int n, const char *p0, const char *p1, const char *p2, const char *p3)
{
    const char *ps[4] = {p0, p1, p2, p3};
    j->lock_sql = sql;
    j->lock_n = n;
    for (int i = 0; i < n; i++) j->lock_p[i] = fp_strdup(ps[i] ? ps[i] : "");
}

static const char *s_level_code(const s_job_t *j) { return assist_level_code(j->level); }

/* --- plans: OpenConsolidationPlan, RecordIncome ----------------------------------------------- */

#define S_LOCK_PLAN                                                                                   \
    "SELECT p.id::text, p.kind, p.elim_state FROM plans p WHERE p.id = $1::bigint"                    \
    " AND p.village_code LIKE $2 || '%' FOR UPDATE"

static bool s_consolidation_locked(s_job_t *j, PGresult *res)
{
    if (strcmp(PQgetvalue(res, 0, 1), "lifted") != 0) {
        s_refuse(j, FANGPIN__V1__CODE__CONFLICT,
                 "only a lifted household (脱贫户) gets a yearly consolidation plan",
                 "仅脱贫户制定年度巩固提升计划");
        return false;
    }
    snprintf(j->plan_id, sizeof j->plan_id, "%s", PQgetvalue(res, 0, 0));
    j->exists = j->plan_id[0] != '\0';
    if (!j->exists) {
        j->apply(j);
        return false;
    }
    return true; /* the plan exists: a retry of its opening, or a second plan for the year */
}

static void s_consolidation_apply(s_job_t *j)
{
    if (j->exists)
        return s_refuse(j, FANGPIN__V1__CODE__CONFLICT, "the household already has a consolidation plan for that year",
                        "该户当年已有年度巩固提升计划");
    Fangpin__V1__OpenConsolidationPlan *o = j->msg->open_consolidation_plan;
    char year[16];
    snprintf(year, sizeof year, "%d", (int)o->year);
    const char *p[7] = {o->county_code, o->household_no, year, j->today_s, j->actor, s_level_code(j),
                        j->msg->request_id};
    s_write(j,
            "WITH h0 AS (SELECT county_code, household_no, village_code FROM ledger_households"
            "   WHERE county_code = $1 AND household_no = $2),"
            " p AS (INSERT INTO plans (county_code, village_code, household_no, kind, year, opened_on, elim_step_since)"
            "   SELECT county_code, village_code, household_no, 'consolidation', $3::int, $4::date, $4::date FROM h0"
            "   RETURNING id, county_code, village_code),"
            " h AS (INSERT INTO plan_history (county_code, plan_id, on_day, actor, level, event, to_state, reason,"
            "   request_id) SELECT county_code, id, $4::date, $5, $6, 'plan.opened', 'monitored',"
            "   $3 || '年度巩固提升计划', $7 FROM p),"
            " e AS (INSERT INTO events (county_code, region_code, type, payload)"
            "   SELECT county_code, village_code, 'plan.opened', jsonb_build_object('plan_id', id, 'kind',"
            "   'consolidation', 'year', $3::int, 'level', $6) FROM p)"
            " SELECT id::text FROM p",
            7, p);
}

static bool s_plan_locked(s_job_t *j, PGresult *res)
{
    snprintf(j->plan_id, sizeof j->plan_id, "%s", PQgetvalue(res, 0, 0));
    snprintf(j->from, sizeof j->from, "%s", PQgetvalue(res, 0, 2));
    return true;
}

static void s_income_apply(s_job_t *j)
{
    Fangpin__V1__RecordIncome *r = j->msg->record_income;
    char month[11], fen[24], reason[96];
    snprintf(month, sizeof month, "%.7s-01", r->month);
    snprintf(fen, sizeof fen, "%lld", (long long)r->per_capita_net_fen);
    snprintf(reason, sizeof reason, "%.7s 人均纯收入 %lld.%02lld元", r->month, (long long)(r->per_capita_net_fen / 100),
             (long long)(r->per_capita_net_fen % 100));
    const char *p[8] = {j->plan_id, month, fen, j->today_s, j->actor, s_level_code(j), j->msg->request_id, reason};
    s_write(j,
            "WITH p AS (SELECT id, county_code, household_no, village_code FROM plans WHERE id = $1::bigint),"
            " i AS (INSERT INTO household_income (county_code, household_no, month, per_capita_net_fen, recorded_by)"
            "   SELECT county_code, household_no, $2::date, $3::bigint, $5 FROM p"
            "   ON CONFLICT (county_code, household_no, month) DO UPDATE SET per_capita_net_fen ="
            "   EXCLUDED.per_capita_net_fen, recorded_by = EXCLUDED.recorded_by, recorded_at = now() RETURNING 1),"
            " u AS (UPDATE plans SET updated_at = now() WHERE id = $1::bigint),"
            " h AS (INSERT INTO plan_history (county_code, plan_id, on_day, actor, level, event, reason, request_id)"
            "   SELECT county_code, id, $4::date, $5, $6, 'plan.income', $8, $7 FROM p),"
            " e AS (INSERT INTO events (county_code, region_code, type, payload)"
            "   SELECT county_code, village_code, 'plan.income', jsonb_build_object('plan_id', id, 'month',"
            "   to_char($2::date, 'YYYY-MM'), 'level', $6) FROM p)"
            " SELECT count(*)::text FROM i",
            8, p);
}

/* --- measures: AddMeasure, SetMeasureStatus, CheckMeasure ----------------------------------- */

static bool s_addmeasure_locked(s_job_t *j, PGresult *res)
{
    s_plan_locked(j, res);
    if (!strcmp(j->from, "eliminated")) {
        s_refuse(j, FANGPIN__V1__CODE__CONFLICT,
                 "the household's risk is eliminated: a new measure needs the elimination undone first",
                 "该户已标注风险消除，新增帮扶措施须先回退风险消除");
        return false;
    }
    return true;
}

static void s_addmeasure_apply(s_job_t *j)
{
    Fangpin__V1__AddMeasure *m = j->msg->add_measure;
    assist_category_t cat;
    assist_category_from_code(m->category, &cat);
    char amount[24], reason[512];
    snprintf(amount, sizeof amount, "%lld", (long long)m->amount_fen);
    snprintf(reason, sizeof reason, "%s：%s（%s）", assist_categories[cat].zh, m->title, m->responsible_unit);
    const char *p[12] = {j->plan_id, m->category, m->title, m->responsible_unit, m->start_on, m->end_on,
                         amount, j->today_s, j->actor, s_level_code(j), j->msg->request_id, reason};
    s_write(j,
            "WITH m AS (INSERT INTO measures (county_code, plan_id, category, title, responsible_unit, start_on,"
            "   end_on, amount_fen, status_on) SELECT county_code, id, $2, $3, $4, $5::date, nullif($6, '')::date,"
            "   $7::bigint, $8::date FROM plans WHERE id = $1::bigint RETURNING id, county_code, plan_id),"
            " u AS (UPDATE plans SET updated_at = now() WHERE id = $1::bigint RETURNING village_code),"
            " h AS (INSERT INTO plan_history (county_code, plan_id, measure_id, on_day, actor, level, event,"
            "   to_state, reason, request_id) SELECT county_code, plan_id, id, $8::date, $9, $10, 'measure.added',"
            "   'planned', $12, $11 FROM m),"
            " e AS (INSERT INTO events (county_code, region_code, type, payload)"
            "   SELECT m.county_code, u.village_code, 'measure.added', jsonb_build_object('plan_id', m.plan_id,"
            "   'measure_id', m.id, 'category', $2, 'level', $10) FROM m, u)"
            " SELECT id::text FROM m",
            12, p);
}

#define S_LOCK_MEASURE                                                                                 \
    "SELECT p.id::text, m.status, p.elim_state, EXISTS (SELECT 1 FROM measure_checks k"                 \
    "  WHERE k.measure_id = m.id AND k.quarter = $3)::text FROM measures m JOIN plans p ON p.id = m.plan_id" \
    " WHERE m.id = $1::bigint AND p.village_code LIKE $2 || '%' FOR UPDATE OF m, p"

static bool s_measure_locked(s_job_t *j, PGresult *res)
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

static void s_status_apply(s_job_t *j)
{
    Fangpin__V1__SetMeasureStatus *s = j->msg->set_measure_status;
    const char *why = assist_measure_change(s_mstatus_of(j->from), s_mstatus_of(s->status), s->reason);
    if (why) {
        const assist_reason_t *r = assist_reason_in(assist_measure_reasons, why);
        return s_refuse(j, !strcmp(why, "measure.bad_status") ? FANGPIN__V1__CODE__BAD_REQUEST
                                                               : FANGPIN__V1__CODE__CONFLICT,
                        r ? r->en : "refused", r ? r->zh : "不予办理");
    }
    const char *p[9] = {j->measure_id, s->status, s->reason, j->today_s, j->actor, s_level_code(j),
                        j->msg->request_id, j->from, j->plan_id};
    s_write(j,
            "WITH m AS (UPDATE measures SET status = $2, status_on = $4::date, stop_reason = CASE WHEN $2 = 'stopped'"
            "   THEN $3 ELSE stop_reason END, updated_at = now() WHERE id = $1::bigint"
            "   RETURNING id, county_code, plan_id),"
            " u AS (UPDATE plans SET updated_at = now() WHERE id = $9::bigint RETURNING village_code),"
            " h AS (INSERT INTO plan_history (county_code, plan_id, measure_id, on_day, actor, level, event,"
            "   from_state, to_state, reason, request_id) SELECT county_code, plan_id, id, $4::date, $5, $6,"
            "   'measure.' || $2, $8, $2, $3, $7 FROM m),"
            " e AS (INSERT INTO events (county_code, region_code, type, payload)"
            "   SELECT m.county_code, u.village_code, 'measure.' || $2, jsonb_build_object('plan_id', m.plan_id,"
            "   'measure_id', m.id, 'from', $8, 'to', $2, 'level', $6) FROM m, u)"
            " SELECT id::text FROM m",
            9, p);
}

static void s_check_apply(s_job_t *j)
{
    Fangpin__V1__CheckMeasure *c = j->msg->check_measure;
    if (!strcmp(j->from, "stopped"))
        return s_refuse(j, FANGPIN__V1__CODE__CONFLICT, "the measure is stopped: there is nothing to check",
                        "该措施已终止，无需核查");
    if (j->exists)
        return s_refuse(j, FANGPIN__V1__CODE__CONFLICT, "the measure was already checked in this quarter",
                        "该措施本季度已核查");
    const char *p[9] = {j->measure_id, j->quarter, j->today_s, j->actor, s_level_code(j), c->result, c->finding,
                        j->msg->request_id, j->plan_id};
    s_write(j,
            "WITH k AS (INSERT INTO measure_checks (county_code, measure_id, quarter, checked_on, actor, level, result,"
            "   finding) SELECT county_code, id, $2, $3::date, $4, $5, $6, $7 FROM measures WHERE id = $1::bigint"
            "   RETURNING id, county_code, measure_id),"
            " u AS (UPDATE plans SET updated_at = now() WHERE id = $9::bigint RETURNING village_code),"
            " h AS (INSERT INTO plan_history (county_code, plan_id, measure_id, on_day, actor, level, event,"
            "   to_state, reason, request_id) SELECT county_code, $9::bigint, measure_id, $3::date, $4, $5,"
            "   'measure.checked', $6, $2 || '：' || $7, $8 FROM k),"
            " e AS (INSERT INTO events (county_code, region_code, type, payload)"
            "   SELECT k.county_code, u.village_code, 'measure.checked', jsonb_build_object('plan_id', $9::bigint,"
            "   'measure_id', k.measure_id, 'quarter', $2, 'result', $6, 'level', $5) FROM k, u)"
            " SELECT measure_id::text FROM k",
            9, p);
}

/* --- the county's quarter summary ------------------------------------------------------------- */

static bool s_quarter_locked(s_job_t *j, PGresult *res)
{
    const char *seen = PQgetvalue(res, 0, 1);
    if (!seen[0]) {
        j->apply(j);
        return false;
    }
    if (!strcmp(seen, j->msg->request_id)) {
        j->replayed = true;
        s_commit(j);
        return false;
    }
    s_refuse(j, FANGPIN__V1__CODE__CONFLICT, "the county's summary of that quarter was already submitted",
             "本县该季度汇总已报送");
    return false;
}

static void s_quarter_apply(s_job_t *j)
{
    int32_t first, last;
    assist_quarter_parse(j->quarter, &first, &last);
    char last_s[11];
    fp_date_format(last, last_s);
    const char *p[7] = {j->county, j->quarter, j->today_s, j->actor, j->msg->submit_quarter_summary->note,
                        j->msg->request_id, last_s};
    /* the measures of the county's plans that had started by the quarter's end, by status now, and
     * the live ones checked or not in the quarter */
    s_write(j,
            "WITH m AS (SELECT m.status, EXISTS (SELECT 1 FROM measure_checks k WHERE k.measure_id = m.id"
            "   AND k.quarter = $2) AS checked FROM measures m WHERE m.county_code = $1 AND m.start_on <= $7::date),"
            " c AS (SELECT jsonb_build_object('planned', count(*) FILTER (WHERE status = 'planned'),"
            "   'in_progress', count(*) FILTER (WHERE status = 'in_progress'),"
            "   'delivered', count(*) FILTER (WHERE status = 'delivered'),"
            "   'stopped', count(*) FILTER (WHERE status = 'stopped'),"
            "   'checked', count(*) FILTER (WHERE checked),"
            "   'unchecked', count(*) FILTER (WHERE status IN ('planned', 'in_progress') AND NOT checked)) AS counts"
            "   FROM m),"
            " q AS (INSERT INTO quarter_summaries (county_code, quarter, submitted_on, due_on, actor, counts, note,"
            "   request_id) SELECT $1, $2, $3::date, fp_add_days($7::date, coalesce(fp_param('quarter_report_working_days',"
            "   $1, $7::date), 5)::int, true), $4, counts, $5, $6 FROM c RETURNING due_on, counts),"
            " e AS (INSERT INTO events (county_code, region_code, type, payload)"
            "   SELECT $1, $1 || '000000', 'quarter.summary', jsonb_build_object('quarter', $2, 'due_on', q.due_on,"
            "   'late', $3::date > q.due_on, 'counts', q.counts) FROM q)"
            " SELECT 1 FROM q",
            7, p);
}

/* --- elimination ------------------------------------------------------------------------------ */

/* Columns: 0 id, 1 kind, 2 elim_state, 3 step_since, 4 notice_posted_on, 5 objections, 6 returns,
 * 7 refusals, 8 undos, 9 way, 10 eliminated_on, 11 identified_on, 12 members present, 13 with
 * labour, 14 delivered measures, 15 income by month (oldest first, -1 = not recorded) from the
 * first recorded month to the month before today's, 16 the line in fen, 17 stable months,
 * 18 min months, 19 notice days, 20 head's name, 21 village's name, 22 backstop already. $3 = today. */
#define S_LOCK_ELIM                                                                                              \
    "SELECT p.id::text, p.kind, p.elim_state, coalesce(to_char(p.elim_step_since, 'YYYY-MM-DD'), ''),"           \
    " coalesce(to_char(p.elim_notice_posted_on, 'YYYY-MM-DD'), ''), p.elim_objections::text, p.elim_returns::text," \
    " p.elim_refusals::text, p.elim_undos::text, coalesce(p.elim_way, ''),"                                      \
    " coalesce(to_char(p.eliminated_on, 'YYYY-MM-DD'), ''), coalesce(to_char(p.identified_on, 'YYYY-MM-DD'), ''),"  \
    " (SELECT count(*) FROM ledger_members lm WHERE lm.county_code = p.county_code"                               \
    "   AND lm.household_no = p.household_no AND lm.left_on IS NULL)::text,"                                      \
    " (SELECT count(*) FROM ledger_members lm WHERE lm.county_code = p.county_code"                               \
    "   AND lm.household_no = p.household_no AND lm.left_on IS NULL AND lm.labour IN ('normal', 'weak'))::text,"  \
    " (SELECT count(*) FROM measures m WHERE m.plan_id = p.id AND m.status = 'delivered')::text,"               \
    " coalesce((SELECT string_agg(coalesce(i.per_capita_net_fen, -1)::text, ',' ORDER BY g.m)"                    \
    "   FROM generate_series(greatest((SELECT min(hi.month) FROM household_income hi"                              \
    "     WHERE hi.county_code = p.county_code AND hi.household_no = p.household_no),"                              \
    "     date_trunc('month', $3::date) - interval '120 months'),"                                                  \
    "     date_trunc('month', $3::date) - interval '1 month', interval '1 month') AS g(m)"                          \
    "   LEFT JOIN household_income i ON i.county_code = p.county_code AND i.household_no = p.household_no"         \
    "     AND i.month = g.m::date"                                                                                 \
    "   WHERE EXISTS (SELECT 1 FROM household_income hi WHERE hi.county_code = p.county_code"                       \
    "     AND hi.household_no = p.household_no)), ''),"                                                             \
    " coalesce((fp_param('monitoring_line_yuan', p.village_code, $3::date) * 100)::bigint::text, ''),"            \
    " coalesce(fp_param('elimination_stable_months', p.village_code, $3::date)::int::text, ''),"                  \
    " coalesce(fp_param('elimination_min_months', p.village_code, $3::date)::int::text, ''),"                     \
    " coalesce(fp_param('elimination_notice_days', p.village_code, $3::date)::int::text, ''),"                    \
    " h.head_name, coalesce((SELECT r.name FROM regions r WHERE r.code = p.village_code), ''), p.backstop::text" \
    " FROM plans p JOIN ledger_households h ON h.county_code = p.county_code AND h.household_no = p.household_no" \
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

static void s_elim_write(s_job_t *j, const char *event_type, const char *reason, const char *criteria,
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
    const char *p[22] = {j->plan_id, assist_elim_state_code(a->state), step[0] ? step : j->today_s, posted,
                         j->notice ? j->notice : "", obj, ret, ref, undo,
                         a->way == ASSIST_WAY_NONE ? "" : assist_way_code(a->way), elim_on, criteria ? criteria : "",
                         j->today_s, j->actor, s_level_code(j), s->event, j->from, reason ? reason : "",
                         with_request ? j->msg->request_id : "", backstop ? backstop : "", event_type,
                         j->notice ? "t" : "f"};
    s_write(j,
            "WITH u AS (UPDATE plans SET elim_state = $2, elim_step_since = $3::date,"
            "   elim_notice_posted_on = nullif($4, '')::date,"
            "   elim_notice_text = CASE WHEN $22::boolean THEN $5 ELSE elim_notice_text END,"
            "   elim_objections = $6::int, elim_returns = $7::int, elim_refusals = $8::int, elim_undos = $9::int,"
            "   elim_way = nullif($10, ''), eliminated_on = nullif($11, '')::date,"
            "   elim_criteria = coalesce(nullif($12, '')::jsonb, elim_criteria),"
            "   backstop = CASE $20 WHEN 't' THEN true WHEN 'f' THEN false ELSE backstop END, updated_at = now()"
            "   WHERE id = $1::bigint RETURNING id, county_code, village_code),"
            " h AS (INSERT INTO plan_history (county_code, plan_id, on_day, actor, level, event, from_state,"
            "   to_state, reason, request_id) SELECT county_code, id, $13::date, $14, $15, 'elimination.' || $16, $17,"
            "   $2, $18, nullif($19, '') FROM u),"
            " e AS (INSERT INTO events (county_code, region_code, type, payload)"
            "   SELECT county_code, village_code, 'elimination.' || $21, jsonb_build_object('plan_id', id, 'from', $17,"
            "   'to', $2, 'level', $15, 'way', $10) FROM u)"
            " SELECT id::text FROM u",
            22, p);
}

static void s_set_msg(s_job_t *j, Fangpin__V1__Code code, const char *en, const char *zh)
{
    j->code = code;
    j->msg_en = fp_strdup(en);
    j->msg_zh = fp_strdup(zh);
}

static void s_elim_apply(s_job_t *j);

static bool s_elim_locked(s_job_t *j, PGresult *res)
{
#define C(i) PQgetvalue(res, 0, i)
    snprintf(j->plan_id, sizeof j->plan_id, "%s", C(0));
    if (strcmp(C(1), "monitoring") != 0) {
        s_refuse(j, FANGPIN__V1__CODE__CONFLICT, "a consolidation plan has no risk elimination (the household is lifted)",
                 "年度巩固提升计划不办理风险消除（该户为脱贫户）");
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
    assist_elim_event_kind_t kind;
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
            s_refuse(j, FANGPIN__V1__CODE__CONFLICT,
                     f.members < 1 ? "the household has no member present in the ledger: check the ledger first"
                                   : "the household's facts are out of range: check the ledger and the income records",
                     f.members < 1 ? "台账中该户无在册成员，请先核对台账" : "该户台账或收入数据超出范围，请核对");
            return false;
        }
    } else if (kind == ASSIST_EE_POST_NOTICE) {
        if (s->notice_text_override[0]) j->notice = fp_strdup(s->notice_text_override);
        else j->notice = assist_elim_notice_text(C(20), C(21), j->today, prm.notice_days);
    }
#undef C
    return true;
}

static void s_elim_apply(s_job_t *j)
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
        const char *en = r ? r->en : "refused", *zh = r ? r->zh : "不予办理";
        if (why && !strcmp(why, "elim.backstop_household") && !j->was_backstop) {
            /* the policy's own answer: recorded once (backstop = true, the criteria, history,
             * event), the household stays monitored, and the caller hears why; asked again (a
             * retry, or a later nomination) it only refreshes the criteria, as below */
            s_set_msg(j, FANGPIN__V1__CODE__CONFLICT, en, zh);
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
            s_set_msg(j, FANGPIN__V1__CODE__CONFLICT, e.data, z.data);
            fp_buf_free(&e);
            fp_buf_free(&z);
            fp_buf_t crit = {0};
            s_criteria_json(&j->criteria, &crit);
            const char *p[2] = {j->plan_id, crit.data};
            fp_db_query(j->db, FP_DB_FRONT, "UPDATE plans SET elim_criteria = $2::jsonb WHERE id = $1::bigint"
                        " RETURNING id::text", 2, p, s_on_written, j);
            fp_buf_free(&crit);
            return;
        }
        Fangpin__V1__Code code = FANGPIN__V1__CODE__CONFLICT;
        if (why && !strcmp(why, "elim.bad_request")) code = FANGPIN__V1__CODE__BAD_REQUEST;
        if (why && !strcmp(why, "elim.level_not_allowed")) code = FANGPIN__V1__CODE__FORBIDDEN;
        return s_refuse(j, code, en, zh);
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

/* --- the request ------------------------------------------------------------------------------ */

static bool s_blank(const char *s) { return !assist_has_text(s); }

static bool s_valid_date(const char *s, int32_t *out)
{
    return s && fp_date_parse(s, out) == FP_OK;
}

static bool s_level_in(const s_job_t *j, bool village, bool township, bool county)
{
    return (j->level == ASSIST_LV_VILLAGE && village) || (j->level == ASSIST_LV_TOWNSHIP && township) ||
           (j->level == ASSIST_LV_COUNTY && county);
}

static void s_forbidden(s_job_t *j, const char *en, const char *zh)
{
    s_fail(j, FANGPIN__V1__CODE__FORBIDDEN, en, zh);
}

void assist_change(assist_t *a, fp_request_t *req, Fangpin__V1__AssistanceRequest *msg)
{
    s_job_t *j = fp_new(s_job_t);
    j->a = a;
    j->req = req;
    j->msg = msg;
    j->db = fp_service_db(a->svc);
    j->code = FANGPIN__V1__CODE__OK;
    j->today = assist_today(a);
    fp_date_format(j->today, j->today_s);
    assist_quarter_of(j->today, j->quarter);
    const fp_principal_t *p = fp_request_principal(req);
    snprintf(j->actor, sizeof j->actor, "%s", p->id);
    snprintf(j->scope, sizeof j->scope, "%s", p->region);
    snprintf(j->county, sizeof j->county, "%.6s", p->region);
    j->level = ASSIST_LV_COUNT_;
    if (!strcmp(p->kind, "actor")) {
        if (!strcmp(p->level, "village")) j->level = ASSIST_LV_VILLAGE;
        else if (!strcmp(p->level, "township")) j->level = ASSIST_LV_TOWNSHIP;
        else if (!strcmp(p->level, "county")) j->level = ASSIST_LV_COUNTY;
    }
    const char *op = "";
    switch (msg->op_case) {
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_OPEN_CONSOLIDATION_PLAN: op = "open_consolidation_plan"; break;
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_ADD_MEASURE: op = "add_measure"; break;
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_SET_MEASURE_STATUS: op = "set_measure_status"; break;
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_CHECK_MEASURE: op = "check_measure"; break;
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_SUBMIT_QUARTER_SUMMARY: op = "submit_quarter_summary"; break;
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_RECORD_INCOME: op = "record_income"; break;
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_ELIMINATION_STEP: op = "elimination_step"; break;
    default:
        return s_fail(j, FANGPIN__V1__CODE__UNKNOWN_OPERATION, "not an assistance change", "未知的操作");
    }
    fp_request_set_op(req, op);
    if (j->level == ASSIST_LV_COUNT_ || !p->region[0])
        return s_forbidden(j, "plans are changed by village, township and county actors only",
                           "帮扶计划只能由村、乡（镇）、县级工作人员办理");
    if (!msg->request_id[0])
        return s_bad(j, "request_id", "required: it makes a retry safe", "须填写请求号（用于安全重试）");
    int32_t d1, d2;
    switch (msg->op_case) {
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_OPEN_CONSOLIDATION_PLAN: {
        Fangpin__V1__OpenConsolidationPlan *o = msg->open_consolidation_plan;
        if (!s_level_in(j, true, true, false))
            return s_forbidden(j, "consolidation plans are opened by village and township actors",
                               "年度巩固提升计划由村、乡（镇）工作人员制定");
        if (strlen(o->county_code) != 6 || strspn(o->county_code, "0123456789") != 6)
            return s_bad(j, "county_code", "must be the 6-digit county code", "须为6位县级区划代码");
        if (s_blank(o->household_no) || strlen(o->household_no) > 32)
            return s_bad(j, "household_no", "required, at most 32 characters", "必填，至多32个字符");
        if (o->year < 2020 || o->year > 2100)
            return s_bad(j, "year", "must be between 2020 and 2100", "须在2020至2100之间");
        char yr[16];
        snprintf(yr, sizeof yr, "%d", (int)o->year);
        s_lock(j,
               "SELECT coalesce((SELECT p.id::text FROM plans p WHERE p.county_code = h.county_code AND p.household_no"
               "  = h.household_no AND p.kind = 'consolidation' AND p.year = $3::int), ''), h.household_type"
               " FROM ledger_households h WHERE h.county_code = $1 AND h.household_no = $2"
               " AND h.village_code LIKE $4 || '%' FOR UPDATE OF h",
               4, o->county_code, o->household_no, yr, j->scope);
        j->on_locked = s_consolidation_locked;
        j->apply = s_consolidation_apply;
        j->reply = S_R_SUMMARY;
        break;
    }
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_ADD_MEASURE: {
        Fangpin__V1__AddMeasure *m = msg->add_measure;
        assist_category_t cat;
        if (m->plan_id <= 0) return s_bad(j, "plan_id", "must be a plan id (> 0)", "须为帮扶计划编号（大于0）");
        if (!assist_category_from_code(m->category, &cat))
            return s_bad(j, "category", "not a measure category (industry, finance, employment, housing, water, health,"
                         " education, social_help, relocation, backstop, helper, risk_fund)", "不是帮扶措施类别");
        if (s_blank(m->title) || strlen(m->title) > 400)
            return s_bad(j, "title", "required, at most 400 bytes", "必填，至多400字节");
        if (s_blank(m->responsible_unit) || strlen(m->responsible_unit) > 200)
            return s_bad(j, "responsible_unit", "required, at most 200 bytes", "必填，至多200字节");
        if (!s_valid_date(m->start_on, &d1)) return s_bad(j, "start_on", "must be a date YYYY-MM-DD", "日期格式应为 YYYY-MM-DD");
        if (m->end_on[0] && !s_valid_date(m->end_on, &d2))
            return s_bad(j, "end_on", "must be a date YYYY-MM-DD or empty", "日期格式应为 YYYY-MM-DD 或留空");
        if (m->end_on[0] && d2 < d1) return s_bad(j, "end_on", "is before start_on", "早于开始日期");
        if (m->amount_fen < 0 || m->amount_fen > 100000000000LL)
            return s_bad(j, "amount_fen", "must be between 0 and 10^11 fen", "须在0至1000000000元之间");
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)m->plan_id);
        s_lock(j, S_LOCK_PLAN, 2, id, j->scope, NULL, NULL);
        j->on_locked = s_addmeasure_locked;
        j->apply = s_addmeasure_apply;
        j->reply = S_R_MEASURE;
        break;
    }
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_SET_MEASURE_STATUS: {
        Fangpin__V1__SetMeasureStatus *s = msg->set_measure_status;
        if (s->measure_id <= 0) return s_bad(j, "measure_id", "must be a measure id (> 0)", "须为措施编号（大于0）");
        if (s_mstatus_of(s->status) == ASSIST_MS_COUNT_ || !strcmp(s->status, "planned"))
            return s_bad(j, "status", "must be in_progress, delivered or stopped", "须为 in_progress、delivered 或 stopped");
        snprintf(j->measure_id, sizeof j->measure_id, "%lld", (long long)s->measure_id);
        s_lock(j, S_LOCK_MEASURE, 3, j->measure_id, j->scope, j->quarter, NULL);
        j->on_locked = s_measure_locked;
        j->apply = s_status_apply;
        j->reply = S_R_MEASURE;
        break;
    }
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_CHECK_MEASURE: {
        Fangpin__V1__CheckMeasure *c = msg->check_measure;
        if (c->measure_id <= 0) return s_bad(j, "measure_id", "must be a measure id (> 0)", "须为措施编号（大于0）");
        if (c->quarter[0] && strcmp(c->quarter, j->quarter) != 0)
            return s_bad(j, "quarter", "only the current quarter can be checked", "只能核查本季度");
        if (strcmp(c->result, "on_track") && strcmp(c->result, "problem"))
            return s_bad(j, "result", "must be on_track or problem", "须为 on_track 或 problem");
        if (s_blank(c->finding) || strlen(c->finding) > 2000)
            return s_bad(j, "finding", "required, at most 2000 bytes", "必填，至多2000字节");
        snprintf(j->measure_id, sizeof j->measure_id, "%lld", (long long)c->measure_id);
        s_lock(j, S_LOCK_MEASURE, 3, j->measure_id, j->scope, j->quarter, NULL);
        j->on_locked = s_measure_locked;
        j->apply = s_check_apply;
        j->reply = S_R_CHECK;
        break;
    }
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_SUBMIT_QUARTER_SUMMARY: {
        Fangpin__V1__SubmitQuarterSummary *q = msg->submit_quarter_summary;
        if (!s_level_in(j, false, false, true))
            return s_forbidden(j, "the quarter summary is submitted by the county", "季度汇总由县级报送");
        if (q->quarter[0]) {
            if (!assist_quarter_parse(q->quarter, &d1, &d2))
                return s_bad(j, "quarter", "must be YYYYQn (e.g. 2026Q3)", "季度格式应为 YYYYQn（如 2026Q3）");
            if (d2 >= j->today) return s_bad(j, "quarter", "has not ended yet", "该季度尚未结束");
            snprintf(j->quarter, sizeof j->quarter, "%s", q->quarter);
        } else {
            assist_quarter_parse(j->quarter, &d1, &d2);
            assist_quarter_of(d1 - 1, j->quarter);
        }
        if (strlen(q->note) > 2000) return s_bad(j, "note", "at most 2000 bytes", "至多2000字节");
        s_lock(j, "SELECT pg_advisory_xact_lock(hashtext('quarter_summary:' || $1 || ':' || $2))::text,"
                  " coalesce((SELECT request_id FROM quarter_summaries WHERE county_code = $1 AND quarter = $2), '')",
               2, j->county, j->quarter, NULL, NULL);
        j->on_locked = s_quarter_locked;
        j->apply = s_quarter_apply;
        j->reply = S_R_QUARTER;
        break;
    }
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_RECORD_INCOME: {
        Fangpin__V1__RecordIncome *r = msg->record_income;
        if (!s_level_in(j, true, false, false))
            return s_forbidden(j, "follow-up income is recorded by the village", "收入监测由村级录入");
        if (r->plan_id <= 0) return s_bad(j, "plan_id", "must be a plan id (> 0)", "须为帮扶计划编号（大于0）");
        char day[16];
        snprintf(day, sizeof day, "%.7s-01", r->month);
        if (strlen(r->month) != 7 || !s_valid_date(day, &d1))
            return s_bad(j, "month", "must be YYYY-MM", "月份格式应为 YYYY-MM");
        int y, mo, dd;
        fp_date_civil(j->today, &y, &mo, &dd);
        if (d1 > fp_date_from_civil(y, mo, 1)) return s_bad(j, "month", "is after the current month", "晚于本月");
        if (r->per_capita_net_fen < 0 || r->per_capita_net_fen > 100000000000LL)
            return s_bad(j, "per_capita_net_fen", "must be between 0 and 10^11 fen", "须在0至1000000000元之间");
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)r->plan_id);
        s_lock(j, S_LOCK_PLAN, 2, id, j->scope, NULL, NULL);
        j->on_locked = s_plan_locked;
        j->apply = s_income_apply;
        j->reply = S_R_SUMMARY;
        break;
    }
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_ELIMINATION_STEP: {
        Fangpin__V1__EliminationStep *s = msg->elimination_step;
        assist_elim_event_kind_t kind;
        if (s->plan_id <= 0) return s_bad(j, "plan_id", "must be a plan id (> 0)", "须为帮扶计划编号（大于0）");
        if (!s_event_of(s->event, &kind))
            return s_bad(j, "event", "must be nominate, post_notice, objection, approve, confirm, announce, return,"
                         " refuse or undo", "不是风险消除事项");
        if (s->way[0] && s_way_of(s->way) == ASSIST_WAY_NONE)
            return s_bad(j, "way", "must be by_assistance or natural", "须为 by_assistance（帮扶消除）或 natural（自然消除）");
        if (strlen(s->text) > 2000) return s_bad(j, "text", "at most 2000 bytes", "至多2000字节");
        if (strlen(s->notice_text_override) > 4000)
            return s_bad(j, "notice_text_override", "at most 4000 bytes", "至多4000字节");
        if (assist_has_long_digits(s->notice_text_override))
            return s_bad(j, "notice_text_override",
                         "carries a long number: a notice never shows ID, phone or bank numbers",
                         "含有长数字串：公示不得出现身份证号、电话或银行账号");
        char id[24];
        snprintf(id, sizeof id, "%lld", (long long)s->plan_id);
        s_lock(j, S_LOCK_ELIM, 3, id, j->scope, j->today_s, NULL);
        j->on_locked = s_elim_locked;
        j->apply = s_elim_apply;
        j->reply = S_R_SUMMARY;
        break;
    }
    default:
        break;
    }
    fp_db_query(j->db, 0, "BEGIN", 0, NULL, s_on_begun, j);
}
