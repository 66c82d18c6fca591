/* quality.c: the data-quality findings (疑点, docs/quality-checks.md) through the protocol:
 * ListFindings, MarkFindingFixed, ExplainFinding and ReviewExplanation. The work is in the
 * database (deploy/db/functions/quality.sql: quality_list, quality_claim_fix, quality_explain,
 * quality_review, each checking the actor against the finding's village or township and writing
 * its event); this file checks the caller's scope and the fields, maps the functions' SQLSTATEs
 * to reasons, masks names and packs the finding. No ID number is ever read here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assist.h"
#include "date.h"
#include "log.h"
#include "mask.h"
#include "mem.h"
#include "scope.h"

typedef struct {
    assist_t *a;
    fp_request_t *req;
    Fangpin__V1__AssistanceRequest *msg;
    char prefix[13], id[24];
} s_f_t;

/* The columns of quality_list() a Finding is filled from, in its order. */
#define S_COLS                                                                                                  \
    "id::text, rule, category, severity, state, village_code, household_no, name, id_masked,"                 \
    " to_char(opened_on, 'YYYY-MM-DD'), to_char(due_on, 'YYYY-MM-DD'), message_zh, message_en, facts,"         \
    " explanation, explained_by, fix_claimed_by,"                                                             \
    " coalesce(to_char(fix_claimed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), fix_held," \
    " review, reviewed_by, rejection_reason"

static void s_free(s_f_t *f)
{
    fangpin__v1__assistance_request__free_unpacked(f->msg, NULL);
    free(f);
}

static void s_fail(s_f_t *f, const char *reason, const char *en, const char *zh)
{
    fp_request_refuse(f->req, f->msg->request_id, reason, en, zh);
    s_free(f);
}

static s_f_t *s_new(void *arg, fp_request_t *req, ProtobufCMessage *m)
{
    s_f_t *f = fp_new(s_f_t);
    f->a = arg;
    f->req = req;
    f->msg = (Fangpin__V1__AssistanceRequest *)m;
    return f;
}

/* Row r of res (S_COLS) into x; the name masked into name (64 bytes). */
static void s_fill(PGresult *res, int r, Fangpin__V1__Finding *x, char *name)
{
    fangpin__v1__finding__init(x);
#define C(i) PQgetvalue(res, r, i)
    x->finding_id = strtoll(C(0), NULL, 10);
    x->rule = C(1), x->category = C(2), x->severity = C(3), x->state = C(4);
    x->village_code = C(5), x->household_no = C(6);
    fp_mask_name(C(7), name, 64);
    x->name_masked = name;
    x->id_masked = C(8), x->opened_on = C(9), x->due_on = C(10);
    x->message_zh = C(11), x->message_en = C(12), x->facts = C(13);
    x->explanation = C(14), x->explained_by = C(15), x->fix_claimed_by = C(16), x->fix_claimed_at = C(17);
    x->fix_held = C(18), x->review = C(19), x->reviewed_by = C(20), x->rejection_reason = C(21);
#undef C
}

/* --- ListFindings ----------------------------------------------------------------------------- */

static void s_on_list(fp_db_t *db, PGresult *res, void *arg)
{
    s_f_t *f = arg;
    if (fp_request_db_failed(f->req, f->msg->request_id, res, "listing findings failed")) {
        s_free(f);
        return;
    }
    int n = PQntuples(res);
    size_t m = (size_t)(n ? n : 1);
    Fangpin__V1__Finding *rows = fp_calloc(m, sizeof *rows);
    Fangpin__V1__Finding **ptrs = fp_calloc(m, sizeof *ptrs);
    char (*names)[64] = fp_calloc(m, sizeof *names);
    for (int r = 0; r < n; r++) {
        s_fill(res, r, &rows[r], names[r]);
        ptrs[r] = &rows[r];
    }
    Fangpin__V1__FindingList list = FANGPIN__V1__FINDING_LIST__INIT;
    list.n_findings = (size_t)n;
    list.findings = ptrs;
    list.next_after_id = n > 0 && (uint32_t)n == f->msg->list_findings->limit ? rows[n - 1].finding_id : 0;
    Fangpin__V1__AssistanceReply out = FANGPIN__V1__ASSISTANCE_REPLY__INIT;
    out.result_case = FANGPIN__V1__ASSISTANCE_REPLY__RESULT_FINDING_LIST;
    out.finding_list = &list;
    fp_request_reply_ok(f->req, &out.base, f->msg->request_id, "查询成功");
    s_free(f);
    free(rows);
    free(ptrs);
    free(names);
}

/* A filter value that is "" or one of the words in allowed (NULL-ended). */
static bool s_one_of(const char *v, const char *const *allowed)
{
    if (!v[0]) return true;
    for (; *allowed; allowed++)
        if (!strcmp(v, *allowed)) return true;
    return false;
}

static bool s_rule_code(const char *v)
{
    return !v[0] || (strlen(v) == 4 && v[0] == 'Q' && strspn(v + 1, "0123456789") == 3);
}

/* The filters of lf, checked; false (and answered) on the first bad one. */
static bool s_filters_ok(s_f_t *f, Fangpin__V1__ListFindings *lf)
{
    static const char *const sev[] = {"error", "warning", "notice", NULL};
    static const char *const st[] = {"open", "overdue", "explained", "fixed", NULL};
    const char *bad = NULL;
    if (!s_rule_code(lf->rule)) bad = "rule: must be a rule number (Q001..)";
    else if (!s_one_of(lf->severity, sev)) bad = "severity: must be error, warning or notice";
    else if (!s_one_of(lf->state, st)) bad = "state: must be open, overdue, explained or fixed";
    else if (strlen(lf->category) > 32) bad = "category: at most 32 characters";
    else if (lf->after_id < 0) bad = "after_id: must not be negative";
    if (!bad) return true;
    s_fail(f, "request.field", bad, "查询条件格式错误（见英文说明中的字段名）");
    return false;
}

void assist_list_findings(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    s_f_t *f = s_new(arg, req, m);
    Fangpin__V1__ListFindings *lf = f->msg->list_findings;
    char scope[13];
    if (!fp_scope_of(fp_request_principal(req), scope)) {
        s_fail(f, "read.kind", "findings are for village, township and county actors and admins",
               "仅村、乡、县工作人员及管理员可查看疑点数据");
        return;
    }
    switch (fp_scope_narrow(scope, lf->region_prefix, f->prefix)) {
    case FP_SCOPE_OK: break;
    case FP_SCOPE_BAD_PREFIX:
        s_fail(f, "request.field", "region_prefix: must be a region code (digits, at most 12)",
               "region_prefix：区域代码格式错误（至多12位数字）");
        return;
    case FP_SCOPE_OUTSIDE: s_fail(f, "read.region", "region_prefix is outside your region", "所查区域超出您的管辖范围"); return;
    }
    if (!s_filters_ok(f, lf)) return;
    if (lf->limit == 0) lf->limit = 200;
    if (lf->limit > 2000) lf->limit = 2000;
    char after[24], limit[16];
    snprintf(after, sizeof after, "%lld", (long long)lf->after_id);
    snprintf(limit, sizeof limit, "%u", lf->limit);
    const char *p[7] = {f->prefix, lf->rule, lf->category, lf->severity, lf->state, after, limit};
    fp_db_query(fp_service_db(f->a->svc), 0,
                "SELECT " S_COLS " FROM quality_list($1, nullif($2, ''), nullif($3, ''), nullif($4, ''),"
                " nullif($5, ''), $6::bigint) ORDER BY id LIMIT $7::int",
                7, p, s_on_list, f);
}

/* --- the steps -------------------------------------------------------------------------------- */

static void s_on_read_back(fp_db_t *db, PGresult *res, void *arg)
{
    s_f_t *f = arg;
    if (fp_request_db_failed(f->req, f->msg->request_id, res, "reading back a finding failed")) {
        s_free(f);
        return;
    }
    if (PQntuples(res) != 1) {
        s_fail(f, "finding.not_found", NULL, NULL);
        return;
    }
    Fangpin__V1__Finding x;
    char name[64];
    s_fill(res, 0, &x, name);
    Fangpin__V1__AssistanceReply out = FANGPIN__V1__ASSISTANCE_REPLY__INIT;
    out.result_case = FANGPIN__V1__ASSISTANCE_REPLY__RESULT_FINDING;
    out.finding = &x;
    fp_request_reply_ok(f->req, &out.base, f->msg->request_id, "办理成功");
    s_free(f);
}

/* The step's SQLSTATE (quality_finding_for and the steps, quality.sql) as a refusal; false when
 * it was none of them. */
static bool s_refused(s_f_t *f, PGresult *res)
{
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (!st) return false;
    const char *reason = !strcmp(st, "FPQ03")   ? "finding.not_found"
                         : !strcmp(st, "FPQ04") ? "finding.out_of_scope"
                         : !strcmp(st, "FPQ05") ? "finding.state"
                         : !strcmp(st, "FPQ06") ? "finding.reason_required"
                                                : NULL;
    if (!reason) return false;
    s_fail(f, reason, NULL, NULL); /* the words of common/refusal.c */
    return true;
}

static void s_on_step(fp_db_t *db, PGresult *res, void *arg)
{
    s_f_t *f = arg;
    if (res && PQresultStatus(res) == PGRES_FATAL_ERROR && s_refused(f, res)) return;
    if (fp_request_db_failed(f->req, f->msg->request_id, res, "a finding step failed")) {
        s_free(f);
        return;
    }
    const char *p[1] = {f->id};
    fp_db_query(db, FP_DB_FRONT, "SELECT " S_COLS " FROM quality_list(NULL, NULL, NULL, NULL, NULL, $1::bigint - 1)"
                " WHERE id = $1::bigint", 1, p, s_on_read_back, f);
}

/* Runs the step sql ($1 the finding, $2 the actor, then more) for finding id. */
static void s_step(s_f_t *f, int64_t id, const char *sql, int nmore, const char *const *more)
{
    if (id < 1) {
        s_fail(f, "request.field", "finding_id: must be a finding's id", "finding_id：须为疑点编号");
        return;
    }
    snprintf(f->id, sizeof f->id, "%lld", (long long)id);
    const char *p[5] = {f->id, fp_request_principal(f->req)->id};
    for (int i = 0; i < nmore && i < 3; i++) p[2 + i] = more[i];
    fp_db_query(fp_service_db(f->a->svc), 0, sql, 2 + nmore, p, s_on_step, f);
}

/* A reason: said, and without a long number (an ID, phone or bank number); false (and answered)
 * otherwise. An empty reason is the database's to refuse (finding.reason_required). */
static bool s_reason_ok(s_f_t *f, const char *reason)
{
    if (strlen(reason) > 2000) {
        s_fail(f, "request.field", "reason: at most 2000 bytes", "reason：不超过2000字节");
        return false;
    }
    if (!fp_text_has_long_number(reason)) return true;
    s_fail(f, "request.field", "reason: holds a long number (an ID, phone or bank number?): write it without",
           "reason：含有长数字（身份证号、电话或银行卡号？），请删去");
    return false;
}

void assist_mark_finding_fixed(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    s_f_t *f = s_new(arg, req, m);
    const char *more[1] = {f->msg->request_id}; /* a retry of this request is not claimed again */
    s_step(f, f->msg->mark_finding_fixed->finding_id, "SELECT quality_claim_fix($1::bigint, $2, $3)", 1, more);
}

void assist_explain_finding(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    s_f_t *f = s_new(arg, req, m);
    Fangpin__V1__ExplainFinding *e = f->msg->explain_finding;
    if (!s_reason_ok(f, e->reason)) return;
    const char *more[1] = {e->reason};
    s_step(f, e->finding_id, "SELECT quality_explain($1::bigint, $2, $3)", 1, more);
}

void assist_review_explanation(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    s_f_t *f = s_new(arg, req, m);
    Fangpin__V1__ReviewExplanation *r = f->msg->review_explanation;
    if (!s_reason_ok(f, r->reason)) return;
    char day[11];
    fp_date_format(assist_today(f->a), day);
    const char *more[3] = {r->accept ? "true" : "false", r->reason, day};
    s_step(f, r->finding_id, "SELECT quality_review($1::bigint, $2, $3::boolean, $4, $5::date)", 3, more);
}
