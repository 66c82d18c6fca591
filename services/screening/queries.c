/* queries.c: screening's read operations, ListCases and ShowCase. An actor sees the cases inside
 * its region (village, township, county prefix), an admin its county; departments and the
 * gateway are refused. A case outside the caller's region is NOT_FOUND, ID numbers are masked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "date.h"
#include "transitions.h"
#include "idcard.h"
#include "log.h"
#include "scope.h"

typedef struct {
    fp_request_t *req;
    Fangpin__V1__ScreeningRequest *msg;
    char scope[13];
} s_q_t;

static void s_q_free(s_q_t *q)
{
    fangpin__v1__screening_request__free_unpacked(q->msg, NULL);
    free(q);
}

static void s_q_fail(s_q_t *q, const char *reason, const char *en, const char *zh)
{
    fp_request_refuse(q->req, q->msg->request_id, reason, en, zh);
    s_q_free(q);
}

static void s_q_reply(s_q_t *q, Fangpin__V1__ScreeningReply *out)
{
    fp_request_reply_ok(q->req, &out->base, q->msg->request_id, "");
    s_q_free(q);
}

static bool s_q_db_error(s_q_t *q, PGresult *res)
{
    if (!fp_request_db_failed(q->req, q->msg->request_id, res, "screening query failed")) return false;
    s_q_free(q);
    return true;
}

static s_q_t *s_q(fp_request_t *req, Fangpin__V1__ScreeningRequest *msg)
{
    s_q_t *q = fp_new(s_q_t);
    q->req = req;
    q->msg = msg;
    if (!fp_scope_of(fp_request_principal(req), q->scope)) {
        s_q_fail(q, "read.kind", "cases are for village, township and county actors and admins",
                 "仅村、乡、县工作人员及管理员可查看监测案件");
        return NULL;
    }
    return q;
}

static int64_t s_i64(const char *s) { return s && *s ? strtoll(s, NULL, 10) : 0; }

/* --- ListCases ------------------------------------------------------------------------------- */

static void s_on_list(fp_db_t *db, PGresult *res, void *arg)
{
    s_q_t *q = arg;
    if (s_q_db_error(q, res)) return;
    int n = PQntuples(res);
    size_t m = (size_t)(n ? n : 1);
    Fangpin__V1__CaseSummary *rows = fp_calloc(m, sizeof *rows);
    Fangpin__V1__CaseSummary **ptrs = fp_calloc(m, sizeof *ptrs);
    screen_summary_buf_t *rb = fp_calloc(m, sizeof *rb);
    for (int r = 0; r < n; r++) {
        screen_summary_fill(res, r, 0, &rows[r], &rb[r]);
        ptrs[r] = &rows[r];
    }
    Fangpin__V1__ScreeningReply out = FANGPIN__V1__SCREENING_REPLY__INIT;
    Fangpin__V1__CaseList list = FANGPIN__V1__CASE_LIST__INIT;
    list.n_cases = (size_t)n;
    list.cases = ptrs;
    list.next_after_id = n > 0 && (uint32_t)n == q->msg->list_cases->limit ? rows[n - 1].case_id : 0;
    out.result_case = FANGPIN__V1__SCREENING_REPLY__RESULT_CASE_LIST;
    out.case_list = &list;
    s_q_reply(q, &out);
    free(rows);
    free(ptrs);
    free(rb);
}

void screen_list_cases(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    Fangpin__V1__ScreeningRequest *msg = (Fangpin__V1__ScreeningRequest *)m;
    s_q_t *q = s_q(req, msg);
    if (!q) return;
    Fangpin__V1__ListCases *lc = msg->list_cases;
    char prefix[13];
    fp_scope_check_t sc = fp_scope_narrow(q->scope, lc->region_prefix, prefix);
    if (sc == FP_SCOPE_BAD_PREFIX) {
        s_q_fail(q, "request.field", "region_prefix must be a region code", "区域代码格式错误");
        return;
    }
    if (sc == FP_SCOPE_OUTSIDE) {
        s_q_fail(q, "read.region", "region_prefix is outside your region", "所查区域超出您的管辖范围");
        return;
    }
    if (lc->limit == 0) lc->limit = 200;
    if (lc->limit > 2000) lc->limit = 2000;
    char after[24], limit[16];
    snprintf(after, sizeof after, "%lld", (long long)lc->after_id);
    snprintf(limit, sizeof limit, "%u", lc->limit);
    const char *p[5] = {prefix, lc->state, lc->overdue_only ? "t" : "f", after, limit};
    fp_db_query(fp_service_db(svc), 0,
                "SELECT " SCREEN_SUMMARY_SQL " FROM cases c"
                " WHERE c.village_code LIKE $1 || '%' AND ($2 = '' OR c.state = $2)"
                " AND (NOT $3::boolean OR (c.state NOT IN ('identified', 'closed_not_included')"
                "      AND c.overdue_step = c.state))"
                " AND c.id > $4::bigint ORDER BY c.id LIMIT $5::int",
                5, p, s_on_list, q);
}

/* --- ShowCase -------------------------------------------------------------------------------- */

/* One query, rows tagged: 0 the case (summary columns), 1 its leads, 2 its history, 3 the
 * fired rules of its decision; columns after the tag and the order are text. */
static void s_on_show(fp_db_t *db, PGresult *res, void *arg)
{
    s_q_t *q = arg;
    if (s_q_db_error(q, res)) return;
    int n = PQntuples(res);
    if (n == 0 || strcmp(PQgetvalue(res, 0, 0), "0") != 0) {
        s_q_fail(q, "case.not_found", NULL, NULL);
        return;
    }
    size_t m = (size_t)n;
    Fangpin__V1__CaseSummary summary;
    screen_summary_buf_t rb = {0};
    screen_summary_fill(res, 0, 2, &summary, &rb);
    Fangpin__V1__CaseLead *leads = fp_calloc(m, sizeof *leads);
    Fangpin__V1__CaseLead **lp = fp_calloc(m, sizeof *lp);
    Fangpin__V1__CaseHistoryEntry *hist = fp_calloc(m, sizeof *hist);
    Fangpin__V1__CaseHistoryEntry **hp = fp_calloc(m, sizeof *hp);
    Fangpin__V1__FiredRule *rules = fp_calloc(m, sizeof *rules);
    Fangpin__V1__FiredRule **rp = fp_calloc(m, sizeof *rp);
    Fangpin__V1__CaseDetail detail = FANGPIN__V1__CASE_DETAIL__INIT;
    detail.summary = &summary;
    detail.leads = lp;
    detail.history = hp;
    detail.rules = rp;
    detail.notice_text = PQgetvalue(res, 0, 2 + 18);
    for (int r = 1; r < n; r++) {
        const char *tag = PQgetvalue(res, r, 0);
#define C(i) PQgetvalue(res, r, 2 + (i))
        if (!strcmp(tag, "1")) {
            Fangpin__V1__CaseLead *l = &leads[detail.n_leads];
            fangpin__v1__case_lead__init(l);
            l->lead_id = s_i64(C(0));
            l->kind = C(1);
            l->id_number_masked = C(2); /* stored masked (018_clear_ids_dropped.sql) */
            l->occurred_on = C(3);
            l->has_amount = C(4)[0] != '\0';
            l->amount_fen = s_i64(C(4));
            l->department = C(5);
            l->status = C(6);
            l->merged_at_ms = s_i64(C(7));
            l->village_code = C(8);
            lp[detail.n_leads++] = l;
        } else if (!strcmp(tag, "2")) {
            Fangpin__V1__CaseHistoryEntry *h = &hist[detail.n_history];
            fangpin__v1__case_history_entry__init(h);
            h->at_ms = s_i64(C(0));
            h->actor = C(1);
            h->level = C(2);
            h->event = C(3);
            h->from_state = C(4);
            h->to_state = C(5);
            h->reason = C(6);
            hp[detail.n_history++] = h;
        } else if (!strcmp(tag, "3")) {
            Fangpin__V1__FiredRule *f = &rules[detail.n_rules];
            fangpin__v1__fired_rule__init(f);
            f->id = C(0);
            f->zh = C(1);
            f->seen = C(2);
            f->why_zh = C(3);
            rp[detail.n_rules++] = f;
        }
#undef C
    }
    Fangpin__V1__ScreeningReply out = FANGPIN__V1__SCREENING_REPLY__INIT;
    out.result_case = FANGPIN__V1__SCREENING_REPLY__RESULT_CASE_DETAIL;
    out.case_detail = &detail;
    s_q_reply(q, &out);
    free(leads);
    free(lp);
    free(hist);
    free(hp);
    free(rules);
    free(rp);
}

/* the parameter columns of the summary, empty in the rows that are not the case */
#define S_PAD_PARAMS ", '', '', '', '', '', '', '', '', '', '', '', ''"

void screen_show_case(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    Fangpin__V1__ScreeningRequest *msg = (Fangpin__V1__ScreeningRequest *)m;
    s_q_t *q = s_q(req, msg);
    if (!q) return;
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)msg->show_case->case_id);
    const char *p[2] = {id, q->scope};
    /* tag, order, then the summary's SCREEN_SUMMARY_COLS text columns; the other rows pad theirs */
    fp_db_query(fp_service_db(svc), 0,
                "WITH c AS (SELECT * FROM cases WHERE id = $1::bigint AND village_code LIKE $2 || '%')"
                " SELECT 0 AS tag, 0::bigint AS ord, " SCREEN_SUMMARY_SQL " FROM c"
                " UNION ALL"
                " SELECT 1, l.id, l.id::text, l.kind, l.id_masked, to_char(l.occurred_on, 'YYYY-MM-DD'),"
                "  coalesce(l.amount_fen::text, ''), coalesce(l.department_code, ''), l.status,"
                "  ((extract(epoch FROM cl.merged_at) * 1000)::bigint)::text, l.village_code::text,"
                "  '', '', '', '', '', '', '', '', '', ''" S_PAD_PARAMS
                "  FROM c JOIN case_leads cl ON cl.county_code = c.county_code AND cl.case_id = c.id"
                "  JOIN leads l ON l.county_code = cl.county_code AND l.id = cl.lead_id"
                " UNION ALL"
                " SELECT 2, h.id, ((extract(epoch FROM h.at) * 1000)::bigint)::text, h.actor, coalesce(h.level, ''),"
                "  h.event, coalesce(h.from_state, ''), h.to_state, h.reason, '', '', '', '', '', '', '', '', '', '', "
                "'', ''" S_PAD_PARAMS
                "  FROM c JOIN case_history h ON h.county_code = c.county_code AND h.case_id = c.id"
                " UNION ALL"
                " SELECT 3, f.n, f.v->>'id', coalesce(f.v->>'zh', ''), coalesce(f.v->>'seen', ''),"
                "  coalesce(f.v->>'why_zh', ''), '', '', '', '', '', '', '', '', '', '', '', '', '', '', "
                "''" S_PAD_PARAMS
                "  FROM c, jsonb_array_elements(coalesce(c.decision->'fired', '[]')) WITH ORDINALITY AS f(v, n)"
                " ORDER BY 1, 2",
                2, p, s_on_show, q);
}
