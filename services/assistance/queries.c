/* queries.c: assistance's reads: ListPlans (with the plan checks run first on the region's plans,
 * so findings are as of today), ShowPlan and ListUnchecked. An actor sees the plans inside its
 * region (village, township, county prefix), an admin its county; departments and the gateway are
 * FORBIDDEN, a plan outside the caller's region is NOT_FOUND. No ID number is ever read here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assist.h"
#include "date.h"
#include "elimination.h"
#include "log.h"
#include "mem.h"
#include "plan_check.h"
#include "scope.h"

typedef struct {
    assist_t *a;
    fp_request_t *req;
    Fangpin__V1__AssistanceRequest *msg;
    char scope[13], prefix[13], quarter[7];
    /* ListPlans: the finding counts across the region */
    size_t n_counts;
    char (*count_ids)[8];
    uint32_t *counts;
} s_q_t;

static void s_q_free(s_q_t *q)
{
    fangpin__v1__assistance_request__free_unpacked(q->msg, NULL);
    free(q->count_ids);
    free(q->counts);
    free(q);
}

static void s_q_fail(s_q_t *q, const char *reason, const char *en, const char *zh)
{
    fp_request_refuse(q->req, q->msg->request_id, reason, en, zh);
    s_q_free(q);
}

static void s_q_reply(s_q_t *q, Fangpin__V1__AssistanceReply *out)
{
    fp_request_reply_ok(q->req, &out->base, q->msg->request_id, "查询成功");
    s_q_free(q);
}

static bool s_q_db_error(s_q_t *q, PGresult *res)
{
    if (!fp_request_db_failed(q->req, q->msg->request_id, res, "assistance query failed")) return false;
    s_q_free(q);
    return true;
}

static s_q_t *s_q(assist_t *a, fp_request_t *req, Fangpin__V1__AssistanceRequest *msg)
{
    s_q_t *q = fp_new(s_q_t);
    q->a = a;
    q->req = req;
    q->msg = msg;
    if (!fp_scope_of(fp_request_principal(req), q->scope)) {
        s_q_fail(q, "read.kind", "plans are for village, township and county actors and admins",
                 "仅村、乡、县工作人员及管理员可查看帮扶计划");
        return NULL;
    }
    snprintf(q->prefix, sizeof q->prefix, "%s", q->scope);
    return q;
}

static int64_t s_i64(const char *s) { return s && *s ? strtoll(s, NULL, 10) : 0; }

/* A region_prefix inside the caller's scope into q->prefix; false (and answered) otherwise. */
static bool s_prefix(s_q_t *q, const char *want)
{
    switch (fp_scope_narrow(q->scope, want, q->prefix)) {
    case FP_SCOPE_OK: return true;
    case FP_SCOPE_BAD_PREFIX:
        s_q_fail(q, "request.field", "region_prefix: must be a region code (digits, at most 12)",
                 "region_prefix：区域代码格式错误（至多12位数字）");
        return false;
    case FP_SCOPE_OUTSIDE: break;
    }
    s_q_fail(q, "read.region", "region_prefix is outside your region", "所查区域超出您的管辖范围");
    return false;
}

/* --- ListPlans -------------------------------------------------------------------------------- */

static void s_on_list(fp_db_t *db, PGresult *res, void *arg)
{
    s_q_t *q = arg;
    if (s_q_db_error(q, res)) return;
    Fangpin__V1__ListPlans *lp = q->msg->list_plans;
    int n = PQntuples(res);
    size_t m = (size_t)(n ? n : 1);
    Fangpin__V1__PlanSummary *rows = fp_calloc(m, sizeof *rows);
    Fangpin__V1__PlanSummary **ptrs = fp_calloc(m, sizeof *ptrs);
    assist_summary_buf_t *rb = fp_calloc(m, sizeof *rb);
    for (int r = 0; r < n; r++) {
        assist_summary_fill(res, r, 0, &rows[r], &rb[r]);
        ptrs[r] = &rows[r];
    }
    Fangpin__V1__PlanList__FindingCountsEntry *ce = fp_calloc(q->n_counts + 1, sizeof *ce);
    Fangpin__V1__PlanList__FindingCountsEntry **cp = fp_calloc(q->n_counts + 1, sizeof *cp);
    Fangpin__V1__PlanList list = FANGPIN__V1__PLAN_LIST__INIT;
    for (size_t i = 0; i < q->n_counts; i++) {
        fangpin__v1__plan_list__finding_counts_entry__init(&ce[i]);
        ce[i].key = q->count_ids[i];
        ce[i].value = q->counts[i];
        cp[i] = &ce[i];
    }
    list.n_finding_counts = q->n_counts;
    list.finding_counts = cp;
    list.n_plans = (size_t)n;
    list.plans = ptrs;
    list.next_after_id = n > 0 && (uint32_t)n == lp->limit ? rows[n - 1].plan_id : 0;
    Fangpin__V1__AssistanceReply out = FANGPIN__V1__ASSISTANCE_REPLY__INIT;
    out.result_case = FANGPIN__V1__ASSISTANCE_REPLY__RESULT_PLAN_LIST;
    out.plan_list = &list;
    s_q_reply(q, &out);
    for (int r = 0; r < n; r++) assist_summary_buf_free(&rb[r]);
    free(rows);
    free(ptrs);
    free(rb);
    free(ce);
    free(cp);
}

static void s_on_counts(fp_db_t *db, PGresult *res, void *arg)
{
    s_q_t *q = arg;
    if (s_q_db_error(q, res)) return;
    int n = PQntuples(res);
    q->count_ids = fp_calloc((size_t)n + 1, sizeof *q->count_ids);
    q->counts = fp_calloc((size_t)n + 1, sizeof *q->counts);
    for (int r = 0; r < n; r++) {
        snprintf(q->count_ids[q->n_counts], sizeof q->count_ids[0], "%s", PQgetvalue(res, r, 0));
        q->counts[q->n_counts++] = (uint32_t)s_i64(PQgetvalue(res, r, 1));
    }
    Fangpin__V1__ListPlans *lp = q->msg->list_plans;
    char after[24], limit[16];
    snprintf(after, sizeof after, "%lld", (long long)lp->after_id);
    snprintf(limit, sizeof limit, "%u", lp->limit);
    const char *p[6] = {q->prefix, lp->elim_state, lp->finding, lp->kind, after, limit};
    fp_db_query(db, FP_DB_FRONT,
                "SELECT " ASSIST_SUMMARY_SQL " FROM plans p"
                " WHERE p.village_code LIKE $1 || '%' AND ($2 = '' OR p.elim_state = $2)"
                " AND ($3 = '' OR ($3 = 'any' AND jsonb_array_length(p.findings) > 0)"
                "      OR p.findings @> jsonb_build_array(jsonb_build_object('id', $3)))"
                " AND ($4 = '' OR p.kind = $4) AND p.id > $5::bigint ORDER BY p.id LIMIT $6::int",
                6, p, s_on_list, q);
}

static void s_on_refreshed_list(bool ok, void *arg)
{
    s_q_t *q = arg;
    if (!ok) {
        s_q_fail(q, "db.unavailable", "the plan checks could not run; retry", "帮扶计划核查暂不可用，请重试");
        return;
    }
    const char *p[1] = {q->prefix};
    fp_db_query(fp_service_db(q->a->svc), FP_DB_FRONT,
                "SELECT f->>'id', count(*)::text FROM plans p, jsonb_array_elements(p.findings) f"
                " WHERE p.village_code LIKE $1 || '%' GROUP BY 1 ORDER BY 1",
                1, p, s_on_counts, q);
}

static bool s_known_finding(const char *id)
{
    if (!id[0] || !strcmp(id, "any")) return true;
    for (size_t i = 0; i < assist_checks_count; i++)
        if (!strcmp(assist_checks[i].id, id)) return true;
    return false;
}

static bool s_known_state(const char *s)
{
    if (!s[0]) return true;
    for (int i = 0; i < ASSIST_ES_COUNT_; i++)
        if (!strcmp(s, assist_elim_state_code((assist_elim_state_t)i))) return true;
    return false;
}

void assist_list_plans(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    assist_t *a = arg;
    Fangpin__V1__AssistanceRequest *msg = (Fangpin__V1__AssistanceRequest *)m;
    s_q_t *q = s_q(a, req, msg);
    if (!q) return;
    Fangpin__V1__ListPlans *lp = msg->list_plans;
    if (!s_prefix(q, lp->region_prefix)) return;
    if (!s_known_finding(lp->finding)) {
        s_q_fail(q, "request.field", "finding: must be \"\", \"any\" or a plan check id (P01..)",
                 "finding：须为空、any 或核查规则编号（P01..）");
        return;
    }
    if (!s_known_state(lp->elim_state)) {
        s_q_fail(q, "request.field", "elim_state: not an elimination state", "elim_state：不是风险消除环节");
        return;
    }
    if (lp->kind[0] && strcmp(lp->kind, "monitoring") && strcmp(lp->kind, "consolidation")) {
        s_q_fail(q, "request.field", "kind: must be monitoring or consolidation",
                 "kind：须为 monitoring 或 consolidation");
        return;
    }
    if (lp->after_id < 0) {
        s_q_fail(q, "request.field", "after_id: must not be negative", "after_id：不能为负数");
        return;
    }
    if (lp->limit == 0) lp->limit = 200;
    if (lp->limit > 2000) lp->limit = 2000;
    assist_findings_refresh(fp_service_db(a->svc), 0, q->prefix, 0, assist_today(a), s_on_refreshed_list, q);
}

/* --- ShowPlan --------------------------------------------------------------------------------- */

/* One query, rows tagged: 0 the plan (summary columns), 1 its measures, 2 their checks, 3 its
 * history, 4 the last nomination's criteria, 5 the household's income months. */
/* ShowPlan's rows after the first: a tag (1 measure, 2 check, 3 history, 4 criterion, 5 income
 * month), then the branch's columns from 2. */
#define S_COL(i) PQgetvalue(res, r, 2 + (i))

static void s_history_fill(PGresult *res, int r, Fangpin__V1__PlanHistoryEntry *h)
{
    fangpin__v1__plan_history_entry__init(h);
    h->at_ms = s_i64(S_COL(0));
    h->on_day = S_COL(1);
    h->actor = S_COL(2);
    h->level = S_COL(3);
    h->event = S_COL(4);
    h->from_state = S_COL(5);
    h->to_state = S_COL(6);
    h->reason = S_COL(7);
    h->measure_id = s_i64(S_COL(8));
}

static void s_criterion_fill(PGresult *res, int r, Fangpin__V1__Criterion *c)
{
    fangpin__v1__criterion__init(c);
    c->id = S_COL(0);
    c->zh = S_COL(1);
    c->met = !strcmp(S_COL(2), "true");
    c->seen = S_COL(3);
}

static void s_income_fill(PGresult *res, int r, Fangpin__V1__IncomeMonth *i)
{
    fangpin__v1__income_month__init(i);
    i->month = S_COL(0);
    i->per_capita_net_fen = s_i64(S_COL(1));
}

#undef S_COL

static void s_on_show(fp_db_t *db, PGresult *res, void *arg)
{
    s_q_t *q = arg;
    if (s_q_db_error(q, res)) return;
    int n = PQntuples(res);
    if (n == 0 || strcmp(PQgetvalue(res, 0, 0), "0") != 0) {
        s_q_fail(q, "plan.not_found", "no such plan in your region", "您的管辖范围内无此帮扶计划");
        return;
    }
    size_t m = (size_t)n;
    Fangpin__V1__PlanSummary summary;
    assist_summary_buf_t sb;
    assist_summary_fill(res, 0, 2, &summary, &sb);
    Fangpin__V1__Measure *ms = fp_calloc(m, sizeof *ms);
    Fangpin__V1__Measure **mp = fp_calloc(m, sizeof *mp);
    Fangpin__V1__MeasureCheck *ks = fp_calloc(m, sizeof *ks);
    Fangpin__V1__MeasureCheck **kp = fp_calloc(m, sizeof *kp);
    Fangpin__V1__PlanHistoryEntry *hs = fp_calloc(m, sizeof *hs);
    Fangpin__V1__PlanHistoryEntry **hp = fp_calloc(m, sizeof *hp);
    Fangpin__V1__Criterion *cs = fp_calloc(m, sizeof *cs);
    Fangpin__V1__Criterion **cp = fp_calloc(m, sizeof *cp);
    Fangpin__V1__IncomeMonth *is = fp_calloc(m, sizeof *is);
    Fangpin__V1__IncomeMonth **ip = fp_calloc(m, sizeof *ip);
    Fangpin__V1__PlanDetail d = FANGPIN__V1__PLAN_DETAIL__INIT;
    d.summary = &summary;
    d.measures = mp;
    d.checks = kp;
    d.history = hp;
    d.criteria = cp;
    d.income = ip;
    d.notice_text = PQgetvalue(res, 0, 2 + 21);
    for (int r = 1; r < n; r++) {
        const char *tag = PQgetvalue(res, r, 0);
        if (!strcmp(tag, "1")) {
            assist_measure_fill(res, r, 2, &ms[d.n_measures]);
            mp[d.n_measures] = &ms[d.n_measures];
            d.n_measures++;
        } else if (!strcmp(tag, "2")) {
            assist_check_fill(res, r, 2, &ks[d.n_checks]);
            kp[d.n_checks] = &ks[d.n_checks];
            d.n_checks++;
        } else if (!strcmp(tag, "3")) {
            s_history_fill(res, r, &hs[d.n_history]);
            hp[d.n_history] = &hs[d.n_history];
            d.n_history++;
        } else if (!strcmp(tag, "4")) {
            s_criterion_fill(res, r, &cs[d.n_criteria]);
            cp[d.n_criteria] = &cs[d.n_criteria];
            d.n_criteria++;
        } else if (!strcmp(tag, "5")) {
            s_income_fill(res, r, &is[d.n_income]);
            ip[d.n_income] = &is[d.n_income];
            d.n_income++;
        }
    }
    Fangpin__V1__AssistanceReply out = FANGPIN__V1__ASSISTANCE_REPLY__INIT;
    out.result_case = FANGPIN__V1__ASSISTANCE_REPLY__RESULT_PLAN_DETAIL;
    out.plan_detail = &d;
    s_q_reply(q, &out);
    assist_summary_buf_free(&sb);
    free(ms);
    free(mp);
    free(ks);
    free(kp);
    free(hs);
    free(hp);
    free(cs);
    free(cp);
    free(is);
    free(ip);
}

/* n empty text columns after a branch's own */
static void s_pad(fp_buf_t *b, int n)
{
    while (n-- > 0) fp_buf_puts(b, ", ''");
}

static void s_on_refreshed_show(bool ok, void *arg)
{
    s_q_t *q = arg;
    if (!ok) {
        s_q_fail(q, "db.unavailable", "the plan checks could not run; retry", "帮扶计划核查暂不可用，请重试");
        return;
    }
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)q->msg->show_plan->plan_id);
    fp_buf_t sql = {0};
    fp_buf_puts(&sql,
                "WITH p AS (SELECT * FROM plans WHERE id = $1::bigint AND village_code LIKE $2 || '%')"
                " SELECT 0 AS tag, 0::bigint AS ord, " ASSIST_SUMMARY_SQL " FROM p"
                " UNION ALL SELECT 1, m.id, " ASSIST_MEASURE_SQL);
    s_pad(&sql, ASSIST_SUMMARY_COLS - ASSIST_MEASURE_COLS);
    fp_buf_puts(&sql,
                " FROM p JOIN measures m ON m.county_code = p.county_code AND m.plan_id = p.id"
                " UNION ALL SELECT 2, k.id, " ASSIST_CHECK_SQL);
    s_pad(&sql, ASSIST_SUMMARY_COLS - ASSIST_CHECK_COLS);
    fp_buf_puts(&sql,
                " FROM p JOIN measures m ON m.county_code = p.county_code AND m.plan_id = p.id"
                " JOIN measure_checks k ON k.county_code = m.county_code AND k.measure_id = m.id"
                " UNION ALL SELECT 3, h.id, ((extract(epoch FROM h.at) * 1000)::bigint)::text,"
                " to_char(h.on_day, 'YYYY-MM-DD'), h.actor, coalesce(h.level, ''), h.event,"
                " coalesce(h.from_state, ''), coalesce(h.to_state, ''), h.reason, coalesce(h.measure_id::text, '')");
    s_pad(&sql, ASSIST_SUMMARY_COLS - 9);
    fp_buf_puts(&sql,
                " FROM p JOIN plan_history h ON h.county_code = p.county_code AND h.plan_id = p.id"
                " UNION ALL SELECT 4, c.n, c.v->>'id', coalesce(c.v->>'zh', ''), coalesce(c.v->>'met', 'false'),"
                " coalesce(c.v->>'seen', '')");
    s_pad(&sql, ASSIST_SUMMARY_COLS - 4);
    fp_buf_puts(&sql,
                " FROM p, jsonb_array_elements(CASE jsonb_typeof(p.elim_criteria) WHEN 'array'"
                "  THEN p.elim_criteria ELSE '[]' END) WITH ORDINALITY AS c(v, n)"
                " UNION ALL SELECT 5, (extract(epoch FROM i.month) / 86400)::bigint, to_char(i.month, 'YYYY-MM'),"
                " i.per_capita_net_fen::text");
    s_pad(&sql, ASSIST_SUMMARY_COLS - 2);
    fp_buf_puts(&sql,
                " FROM p JOIN household_income i ON i.county_code = p.county_code"
                "  AND i.household_no = p.household_no"
                " ORDER BY 1, 2");
    const char *p[2] = {id, q->prefix};
    fp_db_query(fp_service_db(q->a->svc), FP_DB_FRONT, sql.data, 2, p, s_on_show, q);
    fp_buf_free(&sql);
}

void assist_show_plan(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    assist_t *a = arg;
    Fangpin__V1__AssistanceRequest *msg = (Fangpin__V1__AssistanceRequest *)m;
    s_q_t *q = s_q(a, req, msg);
    if (!q) return;
    if (msg->show_plan->plan_id <= 0) {
        s_q_fail(q, "request.field", "plan_id: must be a plan id (> 0)", "plan_id：须为帮扶计划编号（大于0）");
        return;
    }
    assist_findings_refresh(fp_service_db(a->svc), 0, q->prefix, msg->show_plan->plan_id, assist_today(a),
                            s_on_refreshed_show, q);
}

/* --- ListUnchecked ---------------------------------------------------------------------------- */

static void s_on_unchecked(fp_db_t *db, PGresult *res, void *arg)
{
    s_q_t *q = arg;
    if (s_q_db_error(q, res)) return;
    int n = PQntuples(res);
    size_t m = (size_t)(n ? n : 1);
    Fangpin__V1__UncheckedRegion *rs = fp_calloc(m, sizeof *rs);
    Fangpin__V1__UncheckedRegion **rp = fp_calloc(m, sizeof *rp);
    int64_t *ids = fp_calloc(m, sizeof *ids);
    Fangpin__V1__UncheckedList list = FANGPIN__V1__UNCHECKED_LIST__INIT;
    list.quarter = q->quarter;
    list.regions = rp;
    list.measure_ids = ids;
    for (int r = 0; r < n; r++) {
        const char *tag = PQgetvalue(res, r, 0);
        if (!strcmp(tag, "2")) {
            ids[list.n_measure_ids++] = s_i64(PQgetvalue(res, r, 2));
            continue;
        }
        Fangpin__V1__UncheckedRegion *u = &rs[list.n_regions];
        fangpin__v1__unchecked_region__init(u);
        u->region_code = PQgetvalue(res, r, 2);
        u->level = PQgetvalue(res, r, 3);
        u->unchecked = (uint32_t)s_i64(PQgetvalue(res, r, 4));
        u->checked = (uint32_t)s_i64(PQgetvalue(res, r, 5));
        rp[list.n_regions++] = u;
    }
    Fangpin__V1__AssistanceReply out = FANGPIN__V1__ASSISTANCE_REPLY__INIT;
    out.result_case = FANGPIN__V1__ASSISTANCE_REPLY__RESULT_UNCHECKED_LIST;
    out.unchecked_list = &list;
    s_q_reply(q, &out);
    free(rs);
    free(rp);
    free(ids);
}

void assist_list_unchecked(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    assist_t *a = arg;
    Fangpin__V1__AssistanceRequest *msg = (Fangpin__V1__AssistanceRequest *)m;
    s_q_t *q = s_q(a, req, msg);
    if (!q) return;
    Fangpin__V1__ListUnchecked *lu = msg->list_unchecked;
    if (!s_prefix(q, lu->region_prefix)) return;
    int32_t first, last;
    if (lu->quarter[0]) {
        if (!assist_quarter_parse(lu->quarter, &first, &last)) {
            s_q_fail(q, "request.field", "quarter: must be YYYYQn (e.g. 2026Q4)",
                     "quarter：季度格式应为 YYYYQn（如 2026Q4）");
            return;
        }
        snprintf(q->quarter, sizeof q->quarter, "%s", lu->quarter);
    } else {
        assist_quarter_of(assist_today(a), q->quarter);
    }
    const char *p[2] = {q->prefix, q->quarter};
    /* live measures (planned, in progress) of the plans in the region, checked in the quarter or not */
    fp_db_query(fp_service_db(a->svc), 0,
                "WITH m AS (SELECT m.id, p.village_code::text AS village, EXISTS (SELECT 1 FROM measure_checks k"
                "   WHERE k.county_code = m.county_code AND k.measure_id = m.id AND k.quarter = $2) AS checked"
                "  FROM measures m JOIN plans p ON p.county_code = m.county_code AND p.id = m.plan_id"
                "  WHERE p.village_code LIKE $1 || '%' AND m.status IN ('planned', 'in_progress'))"
                " SELECT 0 AS tag, 0::bigint AS ord, village, 'village', count(*) FILTER (WHERE NOT checked)::text,"
                "  count(*) FILTER (WHERE checked)::text FROM m GROUP BY village"
                " UNION ALL SELECT 1, 0, substr(village, 1, 9), 'township', count(*) FILTER (WHERE NOT checked)::text,"
                "  count(*) FILTER (WHERE checked)::text FROM m GROUP BY substr(village, 1, 9)"
                " UNION ALL (SELECT 2, m.id, m.id::text, '', '', '' FROM m WHERE NOT m.checked ORDER BY m.id LIMIT "
                "2000)"
                " ORDER BY 1, 2, 3",
                2, p, s_on_unchecked, q);
}
