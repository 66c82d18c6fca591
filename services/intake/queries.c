/* queries.c: intake's read operations (ListOutcomes, SubmissionStatus, ListLeadKinds), the
 * lead-kind catalog load, and the periodic scan that raises intake.submission_late events for
 * departments that have not pushed the previous month by the deadline (policy lead_push_day). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "idcard.h"
#include "intake.h"
#include "log.h"
#include "mask.h"
#include "mem.h"

typedef struct {
    intake_t *in;
    fp_request_t *req;
    Fangpin__V1__IntakeRequest *msg;
    char county[7];
    char period[8];
    int32_t deadline;
} s_q_t;

static s_q_t *s_q(intake_t *in, fp_request_t *req, Fangpin__V1__IntakeRequest *msg)
{
    s_q_t *q = fp_new(s_q_t);
    q->in = in;
    q->req = req;
    q->msg = msg;
    intake_county_of(fp_request_principal(req), q->county);
    return q;
}

static void s_q_free(s_q_t *q)
{
    fangpin__v1__intake_request__free_unpacked(q->msg, NULL);
    free(q);
}

static void s_q_fail(s_q_t *q, const char *reason, const char *en, const char *zh)
{
    fp_request_refuse(q->req, q->msg->request_id, reason, en, zh);
    s_q_free(q);
}

static bool s_q_db_error(s_q_t *q, PGresult *res)
{
    if (!fp_request_db_failed(q->req, q->msg->request_id, res, "intake query failed")) return false;
    s_q_free(q);
    return true;
}

/* Sends an OK reply whose result the caller has set on *out, and frees q. */
static void s_q_reply(s_q_t *q, Fangpin__V1__IntakeReply *out)
{
    fp_request_reply_ok(q->req, &out->base, q->msg->request_id, "");
    s_q_free(q);
}

static int64_t s_i64(PGresult *res, int r, int c)
{
    return PQgetisnull(res, r, c) ? 0 : strtoll(PQgetvalue(res, r, c), NULL, 10);
}

/* --- ListOutcomes ---------------------------------------------------------------------------- */

static const char *const s_status_names[] = {"", "pending", "verifying", "identified", "not_included", "unmatched"};

static Fangpin__V1__LeadStatus s_status_of(const char *s)
{
    for (int i = 1; i <= 5; i++)
        if (!strcmp(s, s_status_names[i])) return (Fangpin__V1__LeadStatus)i;
    return FANGPIN__V1__LEAD_STATUS__LEAD_STATUS_UNSPECIFIED;
}

static void s_on_outcomes(fp_db_t *db, PGresult *res, void *arg)
{
    s_q_t *q = arg;
    if (s_q_db_error(q, res)) return;
    int n = PQntuples(res);
    uint32_t limit = q->msg->list_outcomes->limit;
    Fangpin__V1__LeadOutcome *rows = fp_calloc((size_t)(n ? n : 1), sizeof *rows);
    Fangpin__V1__LeadOutcome **ptrs = fp_calloc((size_t)(n ? n : 1), sizeof *ptrs);
    char(*names)[80] = fp_calloc((size_t)(n ? n : 1), sizeof *names);
    for (int r = 0; r < n; r++) {
        Fangpin__V1__LeadOutcome *o = &rows[r];
        fangpin__v1__lead_outcome__init(o);
        o->lead_id = s_i64(res, r, 0);
        o->batch_id = PQgetvalue(res, r, 1);
        o->line_ref = PQgetvalue(res, r, 2);
        o->kind = PQgetvalue(res, r, 3);
        o->village_code = PQgetvalue(res, r, 4);
        o->occurred_on = PQgetvalue(res, r, 5);
        o->id_number_masked = PQgetvalue(res, r, 6);
        o->status = s_status_of(PQgetvalue(res, r, 7));
        o->reason = PQgetvalue(res, r, 8);
        o->updated_at_ms = s_i64(res, r, 9);
        o->period = PQgetvalue(res, r, 10);
        fp_mask_name(PQgetvalue(res, r, 11), names[r], sizeof names[r]);
        o->name_masked = names[r];
        ptrs[r] = o;
    }
    Fangpin__V1__IntakeReply out = FANGPIN__V1__INTAKE_REPLY__INIT;
    Fangpin__V1__OutcomeList list = FANGPIN__V1__OUTCOME_LIST__INIT;
    list.n_outcomes = (size_t)n;
    list.outcomes = ptrs;
    list.next_after_id = (uint32_t)n == limit && n > 0 ? rows[n - 1].lead_id : 0;
    out.result_case = FANGPIN__V1__INTAKE_REPLY__RESULT_OUTCOMES;
    out.outcomes = &list;
    s_q_reply(q, &out);
    free(rows);
    free(ptrs);
    free(names);
}

void intake_list_outcomes(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    intake_t *in = arg;
    Fangpin__V1__IntakeRequest *msg = (Fangpin__V1__IntakeRequest *)m;
    s_q_t *q = s_q(in, req, msg);
    Fangpin__V1__ListOutcomes *lo = msg->list_outcomes;
    fp_period_t period;
    if (lo->period[0] && fp_period_parse(lo->period, &period) != FP_OK) {
        s_q_fail(q, "request.field", "period must be YYYY-MM", "期间格式应为 YYYY-MM");
        return;
    }
    if (lo->status > FANGPIN__V1__LEAD_STATUS__UNMATCHED) {
        s_q_fail(q, "request.field", "unknown status filter", "未知的状态");
        return;
    }
    if (lo->limit == 0) lo->limit = 500;
    if (lo->limit > 5000) lo->limit = 5000;
    const fp_principal_t *p = fp_request_principal(req);
    char after[24], limit[16];
    snprintf(after, sizeof after, "%lld", (long long)lo->after_id);
    snprintf(limit, sizeof limit, "%u", lo->limit);
    const char *params[7] = {q->county, p->department, p->id, lo->period, s_status_names[lo->status], after, limit};
    /* A department sees every lead of its department in its county, whichever of its keys sent
     * it; an actor or the gateway sees what it sent itself. */
    fp_db_query(fp_service_db(in->svc), 0,
                "SELECT id, batch_id, line_ref, kind, village_code, to_char(occurred_on, 'YYYY-MM-DD'), id_masked,"
                " status, status_reason, (extract(epoch FROM status_at) * 1000)::bigint, period, name FROM leads"
                " WHERE county_code = $1 AND (CASE WHEN $2 <> '' THEN department_code = $2 ELSE sender = $3 END)"
                " AND ($4 = '' OR period = $4) AND ($5 = '' OR status = $5) AND id > $6::bigint"
                " ORDER BY id LIMIT $7::int",
                7, params, s_on_outcomes, q);
}

/* --- SubmissionStatus ------------------------------------------------------------------------ */

static void s_on_submissions(fp_db_t *db, PGresult *res, void *arg)
{
    s_q_t *q = arg;
    if (s_q_db_error(q, res)) return;
    int n = PQntuples(res);
    int32_t today = intake_today(q->in);
    Fangpin__V1__DepartmentSubmission *rows = fp_calloc((size_t)(n ? n : 1), sizeof *rows);
    Fangpin__V1__DepartmentSubmission **ptrs = fp_calloc((size_t)(n ? n : 1), sizeof *ptrs);
    char deadline[11] = "";
    for (int r = 0; r < n; r++) {
        Fangpin__V1__DepartmentSubmission *d = &rows[r];
        fangpin__v1__department_submission__init(d);
        d->department = PQgetvalue(res, r, 0);
        d->name_zh = PQgetvalue(res, r, 1);
        d->name_en = PQgetvalue(res, r, 2);
        d->batches = (uint32_t)s_i64(res, r, 3);
        d->leads_accepted = (uint32_t)s_i64(res, r, 4);
        d->first_at_ms = s_i64(res, r, 5);
        d->last_at_ms = s_i64(res, r, 6);
        int32_t dl = 0;
        fp_date_parse(PQgetvalue(res, r, 7), &dl);
        snprintf(deadline, sizeof deadline, "%s", PQgetvalue(res, r, 7));
        /* the day of the first push, as intake counted it (received_on: FANGPIN_TODAY or China's date) */
        int32_t first_day = 0;
        fp_date_parse(PQgetvalue(res, r, 8), &first_day);
        if (d->batches > 0) d->state = (char *)(first_day <= dl ? "on_time" : "late");
        else d->state = (char *)(today > dl ? "missing" : "not_due");
        ptrs[r] = d;
    }
    if (!deadline[0]) fp_date_format(q->deadline, deadline);
    Fangpin__V1__IntakeReply out = FANGPIN__V1__INTAKE_REPLY__INIT;
    Fangpin__V1__SubmissionStatusList list = FANGPIN__V1__SUBMISSION_STATUS_LIST__INIT;
    list.period = q->period;
    list.deadline = deadline;
    list.county = q->county;
    list.n_departments = (size_t)n;
    list.departments = ptrs;
    out.result_case = FANGPIN__V1__INTAKE_REPLY__RESULT_SUBMISSIONS;
    out.submissions = &list;
    s_q_reply(q, &out);
    free(rows);
    free(ptrs);
}

void intake_submission_status(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    intake_t *in = arg;
    Fangpin__V1__IntakeRequest *msg = (Fangpin__V1__IntakeRequest *)m;
    s_q_t *q = s_q(in, req, msg);
    fp_period_t period;
    if (fp_period_parse(msg->submission_status->period, &period) != FP_OK) {
        s_q_fail(q, "request.field", "period must be YYYY-MM", "期间格式应为 YYYY-MM");
        return;
    }
    if (!q->county[0]) {
        s_q_fail(q, "caller.county", NULL, NULL);
        return;
    }
    fp_period_format(period, q->period);
    char first[11];
    fp_date_format(fp_period_first_day(period), first);
    const char *params[3] = {q->county, first, q->period};
    fp_db_query(fp_service_db(in->svc), 0,
                "SELECT d.code, t.name_zh, t.name_en, count(b.batch_id), coalesce(sum(b.accepted), 0),"
                " (extract(epoch FROM min(b.received_at)) * 1000)::bigint,"
                " (extract(epoch FROM max(b.received_at)) * 1000)::bigint,"
                " to_char((date_trunc('month', $2::date) + interval '1 month')::date"
                "   + (fp_param('lead_push_day', $1, $2::date)::int - 1), 'YYYY-MM-DD'),"
                " coalesce(min(b.received_on)::text, '')"
                " FROM departments d JOIN department_types t ON t.code = d.code"
                " LEFT JOIN lead_batches b ON b.county_code = d.county_code AND b.department_code = d.code"
                "   AND b.period = $3"
                " WHERE d.county_code = $1 GROUP BY d.code, t.name_zh, t.name_en ORDER BY d.code",
                3, params, s_on_submissions, q);
}

/* --- ListLeadKinds --------------------------------------------------------------------------- */

static void s_on_kinds(fp_db_t *db, PGresult *res, void *arg)
{
    s_q_t *q = arg;
    if (s_q_db_error(q, res)) return;
    const fp_principal_t *p = fp_request_principal(q->req);
    intake_sender_t sender = {p->kind, p->department, p->region, NULL, 0, NULL, NULL, NULL};
    int n = PQntuples(res);
    Fangpin__V1__LeadKind *rows = fp_calloc((size_t)(n ? n : 1), sizeof *rows);
    Fangpin__V1__LeadKind **ptrs = fp_calloc((size_t)(n ? n : 1), sizeof *ptrs);
    char **risk_storage = fp_calloc((size_t)(n ? n : 1), sizeof *risk_storage);
    char ***risks = fp_calloc((size_t)(n ? n : 1), sizeof *risks);
    for (int r = 0; r < n; r++) {
        Fangpin__V1__LeadKind *k = &rows[r];
        fangpin__v1__lead_kind__init(k);
        k->code = PQgetvalue(res, r, 0);
        k->sender = PQgetvalue(res, r, 1);
        k->name_zh = PQgetvalue(res, r, 2);
        k->name_en = PQgetvalue(res, r, 3);
        risk_storage[r] = fp_strdup(PQgetvalue(res, r, 4));
        risks[r] = fp_calloc(8, sizeof(char *));
        for (char *save = NULL, *t = strtok_r(risk_storage[r], ",", &save); t && k->n_risk_types < 8;
             t = strtok_r(NULL, ",", &save))
            risks[r][k->n_risk_types++] = t;
        k->risk_types = risks[r];
        k->needs_amount = !strcmp(PQgetvalue(res, r, 5), "required");
        k->max_amount_fen = s_i64(res, r, 6);
        const intake_kind_t *ck = intake_catalog_find(&q->in->catalog, k->code);
        k->allowed = ck && intake_kind_allowed(ck, &sender);
        ptrs[r] = k;
    }
    Fangpin__V1__IntakeReply out = FANGPIN__V1__INTAKE_REPLY__INIT;
    Fangpin__V1__LeadKindList list = FANGPIN__V1__LEAD_KIND_LIST__INIT;
    list.n_kinds = (size_t)n;
    list.kinds = ptrs;
    out.result_case = FANGPIN__V1__INTAKE_REPLY__RESULT_LEAD_KINDS;
    out.lead_kinds = &list;
    s_q_reply(q, &out);
    for (int r = 0; r < n; r++) {
        free(risk_storage[r]);
        free(risks[r]);
    }
    free(risk_storage);
    free(risks);
    free(rows);
    free(ptrs);
}

void intake_list_kinds(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    intake_t *in = arg;
    Fangpin__V1__IntakeRequest *msg = (Fangpin__V1__IntakeRequest *)m;
    s_q_t *q = s_q(in, req, msg);
    fp_db_query(fp_service_db(in->svc), 0,
                "SELECT code, sender, name_zh, name_en, array_to_string(risk_types, ','), amount, max_amount_fen"
                " FROM lead_kinds ORDER BY code",
                0, NULL, s_on_kinds, q);
}

/* --- the catalog ----------------------------------------------------------------------------- */

static void s_on_catalog(fp_db_t *db, PGresult *res, void *arg)
{
    intake_t *in = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        if (res) fp_log_error("loading lead kinds failed", "error", fp_db_errmsg(res));
        return; /* retried on the next database ready */
    }
    int n = PQntuples(res);
    intake_kind_t *kinds = fp_calloc((size_t)(n ? n : 1), sizeof *kinds);
    for (int r = 0; r < n; r++) {
        snprintf(kinds[r].code, sizeof kinds[r].code, "%s", PQgetvalue(res, r, 0));
        snprintf(kinds[r].sender, sizeof kinds[r].sender, "%s", PQgetvalue(res, r, 1));
        snprintf(kinds[r].name_zh, sizeof kinds[r].name_zh, "%s", PQgetvalue(res, r, 4));
        const char *a = PQgetvalue(res, r, 2);
        kinds[r].amount = !strcmp(a, "required") ? INTAKE_AMOUNT_REQUIRED
            : !strcmp(a, "optional")             ? INTAKE_AMOUNT_OPTIONAL
                                                 : INTAKE_AMOUNT_NONE;
        kinds[r].max_amount_fen = s_i64(res, r, 3);
    }
    free(in->catalog.kinds);
    in->catalog.kinds = kinds;
    in->catalog.nkinds = (size_t)n;
    intake_catalog_sort(&in->catalog);
    intake_catalog_index(&in->catalog);
    in->catalog_loaded = true;
    char count[16];
    snprintf(count, sizeof count, "%d", n);
    fp_log_info("lead kinds loaded", "kinds", count);
}

void intake_load_catalog(intake_t *in)
{
    fp_db_query(fp_service_db(in->svc), 0, "SELECT code, sender, amount, max_amount_fen, name_zh FROM lead_kinds", 0,
                NULL, s_on_catalog, in);
}

/* --- deadline scan --------------------------------------------------------------------------- */

static void s_on_scan(fp_db_t *db, PGresult *res, void *arg)
{
    intake_t *in = arg;
    if (!res) return;
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        fp_log_warn("late-submission scan failed", "error", fp_db_errmsg(res));
        return;
    }
    fp_counter_add(in->c_scans, 1);
    if (atoi(PQgetvalue(res, 0, 0)) > 0) fp_log_info("late submissions raised", "count", PQgetvalue(res, 0, 0));
}

void intake_deadline_scan(intake_t *in)
{
    if (!in->svc || in->deadline_scan_ms <= 0 || !fp_service_db_ready(in->svc)) return;
    uint64_t now = uv_now(fp_service_loop(in->svc));
    if (in->last_deadline_scan && now - in->last_deadline_scan < (uint64_t)in->deadline_scan_ms) return;
    in->last_deadline_scan = now;
    int32_t today = intake_today(in);
    fp_period_t prev = fp_period_prev(fp_period_of(today));
    char first[11], period[8], day[11];
    fp_date_format(fp_period_first_day(prev), first);
    fp_period_format(prev, period);
    fp_date_format(today, day);
    const char *params[3] = {first, period, day};
    fp_db_query(fp_service_db(in->svc), 0,
                "WITH due AS ("
                "  SELECT d.county_code, d.code FROM departments d"
                "   WHERE $3::date > (date_trunc('month', $1::date) + interval '1 month')::date"
                "                    + (fp_param('lead_push_day', d.county_code, $3::date)::int - 1)"
                "     AND NOT EXISTS (SELECT 1 FROM lead_batches b WHERE b.county_code = d.county_code"
                "                      AND b.department_code = d.code AND b.period = $2)),"
                " ins AS (INSERT INTO submission_alerts (county_code, department, period)"
                "  SELECT county_code, code, $2 FROM due ON CONFLICT DO NOTHING"
                "  RETURNING county_code, department, period)"
                " SELECT events_write(array_agg(ROW(county_code, rpad(county_code, 12, '0'), 'intake.submission_late',"
                "        jsonb_build_object('department', department, 'period', period))::event_new"
                "        ORDER BY county_code, department)) FROM ins",
                3, params, s_on_scan, in);
}
