/* job.c: one change of the assistance protocol as ONE transaction, the pattern of screening's
 * transitions.c (change.h): BEGIN; the row FOR UPDATE within the caller's region (NOT_FOUND
 * outside it); a request id already in plan_history answers the stored outcome (a retry applies
 * once); the operation decides; one statement writes the row, its plan_history row and its event;
 * COMMIT; then the reply, read back from the tables. A concurrent retry that commits first hits
 * the unique (plan_id, request_id) index and is answered as a replay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "change.h"
#include "date.h"
#include "log.h"
#include "mem.h"
#include "refusal.h"
#include "scope.h"

static void s_job_free(assist_job_t *j)
{
    for (int i = 0; i < 4; i++) free(j->lock_p[i]);
    free(j->msg_en);
    free(j->msg_zh);
    free(j->notice);
    fangpin__v1__assistance_request__free_unpacked(j->msg, NULL);
    free(j);
}

void assist_job_fail(assist_job_t *j, const char *reason, const char *en, const char *zh)
{
    fp_request_refuse(j->req, j->msg->request_id, reason, en, zh);
    s_job_free(j);
}

void assist_job_bad(assist_job_t *j, const char *field, const char *en, const char *zh)
{
    char e[256], z[256];
    snprintf(e, sizeof e, "%s: %s", field, en);
    snprintf(z, sizeof z, "%s：%s", field, zh);
    assist_job_fail(j, "request.field", e, z);
}

static void s_unavailable(assist_job_t *j)
{
    assist_job_fail(j, "db.unavailable", "the database went away: nothing was changed; retry with the same request id",
                    "数据库连接中断，未作任何更改，请用相同请求号重试");
}

/* The transaction ended without a commit (common/chain.h). */
static void s_chain_fail(fp_chain_t *c, const char *reason, PGresult *res)
{
    (void)res;
    if (!strcmp(reason, "db.unavailable")) s_unavailable(c->job);
    else
        assist_job_fail(c->job, reason, "the change could not be stored: nothing was changed",
                        "保存失败，未作任何更改");
}

/* Refused inside the transaction: roll back, answer. */
void assist_job_refuse(assist_job_t *j, const char *reason, const char *en, const char *zh)
{
    fp_chain_rollback(&j->chain);
    assist_job_fail(j, reason, en, zh);
}

/* --- the reply, read back after COMMIT ------------------------------------------------------- */

static void s_status(assist_job_t *j, Fangpin__V1__Status *st)
{
    st->code = j->code;
    if (j->code != FANGPIN__V1__CODE__OK) {
        st->message = j->msg_en;
        st->message_zh = j->msg_zh;
        st->reason = (char *)j->reason;
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
    assist_job_t *j = arg;
    if (!res) {
        s_unavailable(j);
        return;
    }
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        fp_log_error("reading back after a change failed", "error", fp_db_errmsg(res));
        assist_job_fail(j, "db.failed", "reading back the change failed", "读取办理结果失败");
        return;
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
    case ASSIST_R_SUMMARY:
        assist_summary_fill(res, 0, 0, &sum, &sb);
        out.result_case = FANGPIN__V1__ASSISTANCE_REPLY__RESULT_PLAN_SUMMARY;
        out.plan_summary = &sum;
        break;
    case ASSIST_R_MEASURE:
        assist_measure_fill(res, 0, 0, &m);
        out.result_case = FANGPIN__V1__ASSISTANCE_REPLY__RESULT_MEASURE;
        out.measure = &m;
        break;
    case ASSIST_R_CHECK:
        assist_check_fill(res, 0, 0, &k);
        out.result_case = FANGPIN__V1__ASSISTANCE_REPLY__RESULT_MEASURE_CHECK;
        out.measure_check = &k;
        break;
    case ASSIST_R_QUARTER:
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
    if (j->reply == ASSIST_R_SUMMARY) assist_summary_buf_free(&sb);
    free(counts);
    s_job_free(j);
}

/* The plan checks refreshed (or, if that failed, as last stored: logged by findings.c): the
 * summary read back carries the findings of the plan as changed. */
static void s_on_findings(bool ok, void *arg)
{
    assist_job_t *j = arg;
    const char *p[1] = {j->plan_id};
    fp_db_query(j->db, FP_DB_FRONT, "SELECT " ASSIST_SUMMARY_SQL " FROM plans p WHERE p.id = $1::bigint", 1, p,
                s_on_reply_row, j);
}

static void s_reply(assist_job_t *j)
{
    switch (j->reply) {
    case ASSIST_R_SUMMARY:
        assist_findings_refresh(j->db, FP_DB_FRONT, j->scope, strtoll(j->plan_id, NULL, 10), j->today, s_on_findings,
                                j);
        break;
    case ASSIST_R_MEASURE: {
        const char *p[1] = {j->measure_id};
        fp_db_query(j->db, FP_DB_FRONT, "SELECT " ASSIST_MEASURE_SQL " FROM measures m WHERE m.id = $1::bigint", 1, p,
                    s_on_reply_row, j);
        break;
    }
    case ASSIST_R_CHECK: {
        const char *p[1] = {j->measure_id};
        fp_db_query(j->db, FP_DB_FRONT,
                    "SELECT " ASSIST_CHECK_SQL " FROM measure_checks k WHERE k.measure_id = $1::bigint"
                    " ORDER BY k.quarter DESC LIMIT 1",
                    1, p, s_on_reply_row, j);
        break;
    }
    case ASSIST_R_QUARTER: {
        const char *p[2] = {j->county, j->quarter};
        fp_db_query(j->db, FP_DB_FRONT,
                    "SELECT county_code::text, quarter::text, to_char(submitted_on, 'YYYY-MM-DD'),"
                    " to_char(due_on, 'YYYY-MM-DD'), (submitted_on > due_on)::text,"
                    " coalesce((SELECT string_agg(key || '=' || value, ',' ORDER BY key) FROM "
                    "jsonb_each_text(counts)), '')"
                    " FROM quarter_summaries WHERE county_code = $1 AND quarter = $2",
                    2, p, s_on_reply_row, j);
        break;
    }
    }
}

static void s_on_committed(fp_chain_t *c, PGresult *res) { s_reply(c->job); }

void assist_job_commit(assist_job_t *j) { fp_chain_commit(&j->chain, s_on_committed); }

/* --- the request id: seen for this plan? ---------------------------------------------------- */

static void s_on_seen_after(fp_chain_t *c, PGresult *res)
{
    assist_job_t *j = c->job;
    if (PQntuples(res) != 1) {
        s_chain_fail(c, "db.failed", res);
        return;
    }
    if (!j->measure_id[0]) snprintf(j->measure_id, sizeof j->measure_id, "%s", PQgetvalue(res, 0, 0));
    s_reply(j);
}

static void s_on_written(fp_chain_t *c, PGresult *res)
{
    assist_job_t *j = c->job;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) { /* a unique violation */
        fp_chain_rollback(c);
        if (fp_db_unique_violation(res, "plan_history_request")) { /* the same request id committed meanwhile */
            j->replayed = true;
            const char *p[2] = {j->plan_id, j->msg->request_id};
            fp_chain_query(c, "request id",
                           "SELECT coalesce(measure_id::text, '') FROM plan_history WHERE plan_id = $1::bigint"
                           " AND request_id = $2",
                           2, p, PGRES_TUPLES_OK, 0, s_on_seen_after);
            return;
        }
        assist_job_fail(j, "change.concurrent", NULL, NULL);
        return;
    }
    /* a new row's id (measure, plan) comes back as the first column */
    if (PQntuples(res) >= 1 && PQnfields(res) >= 1) {
        if (j->reply == ASSIST_R_MEASURE && !j->measure_id[0])
            snprintf(j->measure_id, sizeof j->measure_id, "%s", PQgetvalue(res, 0, 0));
        else if (j->reply == ASSIST_R_SUMMARY && !j->plan_id[0])
            snprintf(j->plan_id, sizeof j->plan_id, "%s", PQgetvalue(res, 0, 0));
    }
    assist_job_commit(j);
}

void assist_job_write(assist_job_t *j, const char *sql, int n, const char *const *p)
{
    fp_chain_query(&j->chain, "write", sql, n, p, PGRES_TUPLES_OK, FP_CHAIN_VIOLATIONS, s_on_written);
}

/* The request id was seen for this plan: a retry, answered with what is stored. */
static void s_on_seen(fp_chain_t *c, PGresult *res)
{
    assist_job_t *j = c->job;
    j->replayed = true;
    if (!j->measure_id[0]) snprintf(j->measure_id, sizeof j->measure_id, "%s", PQgetvalue(res, 0, 0));
    assist_job_commit(j);
}

static void s_on_fresh(fp_chain_t *c, PGresult *res)
{
    assist_job_t *j = c->job;
    j->apply(j);
}

static void s_check_seen(assist_job_t *j)
{
    const char *p[2] = {j->plan_id, j->msg->request_id};
    fp_chain_once(&j->chain,
                  "SELECT coalesce(measure_id::text, '') FROM plan_history WHERE plan_id = $1::bigint AND request_id = "
                  "$2",
                  2, p, s_on_fresh, s_on_seen);
}

static void s_on_locked(fp_chain_t *c, PGresult *res)
{
    assist_job_t *j = c->job;
    if (PQntuples(res) == 0) {
        assist_job_refuse(j, "plan.not_found", NULL, NULL);
        return;
    }
    if (j->on_locked(j, res)) s_check_seen(j);
}

static void s_on_begun(fp_chain_t *c, PGresult *res)
{
    assist_job_t *j = c->job;
    fp_chain_query(c, "lock", j->lock_sql, j->lock_n, (const char *const *)j->lock_p, PGRES_TUPLES_OK, 0, s_on_locked);
}

void assist_job_lock(assist_job_t *j, const char *sql, int n, const char *p0, const char *p1, const char *p2,
                     const char *p3)
{
    const char *ps[4] = {p0, p1, p2, p3};
    j->lock_sql = sql;
    j->lock_n = n;
    for (int i = 0; i < n; i++) j->lock_p[i] = fp_strdup(ps[i] ? ps[i] : "");
}

const char *assist_job_level(const assist_job_t *j) { return assist_level_code(j->level); }

void assist_job_set_status(assist_job_t *j, const char *reason, const char *en, const char *zh)
{
    j->code = fp_refusal_status(reason);
    j->reason = reason;
    j->msg_en = fp_strdup(en);
    j->msg_zh = fp_strdup(zh);
}

assist_job_t *assist_job_new(assist_t *a, fp_request_t *req, Fangpin__V1__AssistanceRequest *msg)
{
    assist_job_t *j = fp_new(assist_job_t);
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
    j->level = fp_actor_level(p); /* an actor of a level that takes steps: the operation table admitted no other */
    j->chain = (fp_chain_t){.db = j->db, .what = "assistance change", .job = j, .fail = s_chain_fail};
    return j;
}

void assist_job_start(assist_job_t *j) { fp_chain_begin(&j->chain, "BEGIN", s_on_begun); }
