/* categories.c: a household's categories through the protocol (categories.h). A change is one
 * transaction: BEGIN; lowincome_state() (the category and its authority, the household, the
 * county's mode on the date, the membership, a seen request id); the domain's judgement
 * (domain/lowincome.c); lowincome_change() (membership, history, event, referral); COMMIT; then
 * the household's categories and history as the reply. */
#include "categories.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "date.h"
#include "lowincome.h"
#include "scope.h"
#include "today.h"

typedef struct {
    fp_request_t *req;
    Fangpin__V1__ScreeningRequest *msg;
    fp_db_t *db;
    char county[7], scope[13], on[11], village[13];
    const char *household, *category; /* the read's filters ("": any) */
    const char *change;               /* the category a change is of */
    bool enter, replayed;
    fp_chain_t chain;
    /* the reply being built */
    Fangpin__V1__CategoryMember *members, **member_ptrs;
    Fangpin__V1__CategoryHistoryEntry *history, **history_ptrs;
} s_job_t;

static void s_free(s_job_t *j)
{
    free(j->members);
    free(j->member_ptrs);
    free(j->history);
    free(j->history_ptrs);
    fangpin__v1__screening_request__free_unpacked(j->msg, NULL);
    free(j);
}

static void s_fail(s_job_t *j, const char *code, const char *en, const char *zh)
{
    const fp_reason_t *r = fp_reason_find(lowincome_reasons, code);
    fp_request_refuse(j->req, j->msg->request_id, code, en ? en : r ? r->en : NULL, zh ? zh : r ? r->zh : NULL);
    s_free(j);
}

const char *screen_category_scope(const fp_principal_t *p, char out[13])
{
    if (!strcmp(p->kind, "department")) {
        if (strcmp(p->department, "minzheng") || !p->county[0]) return "category.authority";
        snprintf(out, 13, "%s", p->county);
        return NULL;
    }
    return fp_scope_of(p, out) ? NULL : "read.kind";
}

/* --- the household's categories and history (the reads and a change's reply) -------------------- */

/* One statement: the members (t = 'm': household, village, category, name, authority, since,
 * decided by; the monitoring kinds from lowincome_monitoring()) then, for one household, its
 * history (t = 'h': household, category, change, on, actor, department, reason; the monitoring
 * kinds' from lowincome_monitoring_history()). */
static const char s_read_sql[] =
    "SELECT * FROM (SELECT 'm' AS t, m.household_no::text AS a, h.village_code::text, m.category, c.name_zh,"
    "  c.authority, to_char(m.since, 'YYYY-MM-DD'), m.decided_by, c.ord::bigint AS o1, 0::bigint AS o2"
    "  FROM household_categories m"
    "  JOIN ledger_households h ON h.county_code = m.county_code AND h.household_no = m.household_no"
    "  JOIN lowincome_categories c ON c.code = m.category"
    "  WHERE m.county_code = $1 AND h.village_code LIKE $2 || '%'"
    "    AND ($3 = '' OR m.household_no = $3) AND ($4 = '' OR m.category = $4)"
    " UNION ALL"
    " SELECT 'm', k.household_no, h.village_code::text, c.code, c.name_zh, c.authority,"
    "  coalesce(to_char(k.since, 'YYYY-MM-DD'), ''), k.decided_by, c.ord::bigint, 0::bigint"
    "  FROM lowincome_monitoring($1) k JOIN lowincome_categories c ON c.code = k.category"
    "  JOIN ledger_households h ON h.county_code = $1 AND h.household_no = k.household_no"
    "  WHERE h.village_code LIKE $2 || '%' AND ($3 = '' OR k.household_no = $3) AND ($4 = '' OR c.code = $4)"
    " ORDER BY 2, 9 LIMIT 2000) mm"
    " UNION ALL"
    " SELECT * FROM (SELECT 'h', $3::text, y.category, y.change, to_char(y.on_date, 'YYYY-MM-DD'),"
    "  y.actor, y.department, y.reason, extract(epoch FROM y.on_date)::bigint, y.ord"
    "  FROM (SELECT x.category, x.change, x.on_date, x.actor, x.department, x.reason, x.id AS ord"
    "         FROM household_category_history x WHERE x.county_code = $1 AND x.household_no = $3"
    "        UNION ALL SELECT * FROM lowincome_monitoring_history($1, $3)) y"
    "  WHERE $3 <> '' AND EXISTS (SELECT 1 FROM ledger_households h WHERE h.county_code = $1"
    "    AND h.household_no = $3 AND h.village_code LIKE $2 || '%')"
    "  ORDER BY y.on_date, y.ord) hh";

static void s_on_read(fp_db_t *db, PGresult *res, void *arg)
{
    s_job_t *j = arg;
    if (fp_request_db_failed(j->req, j->msg->request_id, res, "reading categories")) {
        j->req = NULL;
        s_free(j);
        return;
    }
    size_t n = (size_t)PQntuples(res), nm = 0, nh = 0;
    j->members = fp_calloc(n + 1, sizeof *j->members);
    j->member_ptrs = fp_calloc(n + 1, sizeof *j->member_ptrs);
    j->history = fp_calloc(n + 1, sizeof *j->history);
    j->history_ptrs = fp_calloc(n + 1, sizeof *j->history_ptrs);
    for (int r = 0; r < (int)n; r++) {
        if (PQgetvalue(res, r, 0)[0] == 'm') {
            Fangpin__V1__CategoryMember *m = &j->members[nm];
            fangpin__v1__category_member__init(m);
            char **f[] = {&m->household_no, &m->village_code, &m->category,  &m->name_zh,
                          &m->authority,    &m->since,        &m->decided_by};
            for (int c = 0; c < 7; c++) *f[c] = PQgetvalue(res, r, c + 1);
            j->member_ptrs[nm++] = m;
        } else {
            Fangpin__V1__CategoryHistoryEntry *h = &j->history[nh];
            fangpin__v1__category_history_entry__init(h);
            char **f[] = {&h->household_no, &h->category, &h->change, &h->on, &h->actor, &h->department, &h->reason};
            for (int c = 0; c < 7; c++) *f[c] = PQgetvalue(res, r, c + 1);
            j->history_ptrs[nh++] = h;
        }
    }
    Fangpin__V1__CategoryList list = FANGPIN__V1__CATEGORY_LIST__INIT;
    list.n_members = nm;
    list.members = j->member_ptrs;
    list.n_history = nh;
    list.history = j->history_ptrs;
    Fangpin__V1__ScreeningReply out = FANGPIN__V1__SCREENING_REPLY__INIT;
    out.result_case = FANGPIN__V1__SCREENING_REPLY__RESULT_CATEGORY_LIST;
    out.category_list = &list;
    fp_request_reply_ok(j->req, &out.base, j->msg->request_id, j->replayed ? "该请求已办理（重复请求未再次执行）" : "");
    j->req = NULL;
    s_free(j);
}

static void s_read(s_job_t *j)
{
    const char *p[4] = {j->county, j->scope, j->household, j->category};
    fp_db_query(j->db, 0, s_read_sql, 4, p, s_on_read, j);
}

/* --- ConfirmCategory / LeaveCategory ---------------------------------------------------------- */

static void s_chain_fail(fp_chain_t *c, const char *reason, PGresult *res)
{
    (void)res;
    s_fail(c->job, reason, NULL, NULL);
}

static void s_on_committed(fp_chain_t *c, PGresult *res) { s_read(c->job); }

static void s_on_changed(fp_chain_t *c, PGresult *res)
{
    s_job_t *j = c->job;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) { /* a concurrent change of the same membership */
        fp_chain_rollback(c);
        s_fail(j, "change.concurrent", NULL, NULL);
        return;
    }
    fp_chain_commit(c, s_on_committed);
}

/* Columns of lowincome_state(): known, authority, household, village_code, unified, member, seen. */
static void s_on_state(fp_chain_t *c, PGresult *res)
{
    s_job_t *j = c->job;
    bool t[7];
    for (int i = 0; i < 7; i++) t[i] = PQgetvalue(res, 0, i)[0] == 't';
    if (t[6]) { /* this request id was applied: answer the household as it is */
        j->replayed = true;
        fp_chain_commit(c, s_on_committed);
        return;
    }
    const fp_principal_t *p = fp_request_principal(j->req);
    const char *why = lowincome_may_change(t[0] ? PQgetvalue(res, 0, 1) : NULL, p->kind, p->department);
    if (!why) why = lowincome_change_refusal(t[0], t[2], t[4], t[5], j->enter);
    if (why) {
        fp_chain_rollback(c);
        s_fail(j, why, NULL, NULL);
        return;
    }
    snprintf(j->village, sizeof j->village, "%s", PQgetvalue(res, 0, 3));
    Fangpin__V1__CategoryChange *m = j->enter ? j->msg->confirm_category : j->msg->leave_category;
    const char *q[10] = {j->county, j->household, j->village,    j->change, j->enter ? "t" : "f",
                         j->on,     p->id,        p->department, m->reason, j->msg->request_id};
    fp_chain_query(c, "change", "SELECT lowincome_change($1, $2, $3, $4, $5::boolean, $6::date, $7, $8, $9, $10)", 10,
                   q, PGRES_TUPLES_OK, FP_CHAIN_VIOLATIONS, s_on_changed);
}

static void s_on_begun(fp_chain_t *c, PGresult *res)
{
    s_job_t *j = c->job;
    const char *p[5] = {j->county, j->household, j->change, j->on, j->msg->request_id};
    fp_chain_query(c, "state", "SELECT * FROM lowincome_state($1, $2, $3, $4::date, $5)", 5, p, PGRES_TUPLES_OK, 0,
                   s_on_state);
}

static s_job_t *s_job(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m)
{
    s_job_t *j = fp_new(s_job_t);
    j->req = req;
    j->msg = (Fangpin__V1__ScreeningRequest *)m;
    j->db = fp_service_db(svc);
    j->household = "";
    j->category = "";
    return j;
}

void screen_change_category(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    s_job_t *j = s_job(svc, req, m);
    j->enter = j->msg->op_case == FANGPIN__V1__SCREENING_REQUEST__OP_CONFIRM_CATEGORY;
    Fangpin__V1__CategoryChange *c = j->enter ? j->msg->confirm_category : j->msg->leave_category;
    const fp_principal_t *p = fp_request_principal(req);
    int32_t day = fp_today();
    if (!c->household_no[0] || !c->category[0] || (c->on[0] && fp_date_parse(c->on, &day) != FP_OK)) {
        s_fail(j, "category.bad_request", NULL, NULL);
        return;
    }
    if (!p->county[0]) {
        s_fail(j, "caller.county", NULL, NULL);
        return;
    }
    snprintf(j->county, sizeof j->county, "%s", p->county);
    snprintf(j->scope, sizeof j->scope, "%s", p->county);
    fp_date_format(day, j->on);
    j->household = c->household_no;
    j->change = c->category; /* the reply lists every category of the household */
    j->chain = (fp_chain_t){.db = j->db, .what = "category change", .job = j, .fail = s_chain_fail};
    fp_chain_begin(&j->chain, "BEGIN", s_on_begun);
}

/* --- the reads -------------------------------------------------------------------------------- */

/* The caller's region narrowed to region_prefix into j->scope, and its county: false when
 * refused (answered). */
static bool s_scope(s_job_t *j, const char *want)
{
    const fp_principal_t *p = fp_request_principal(j->req);
    char own[13];
    const char *why = screen_category_scope(p, own);
    if (why) {
        s_fail(j, why, NULL, NULL);
        return false;
    }
    fp_scope_check_t sc = fp_scope_narrow(own, want, j->scope);
    if (sc != FP_SCOPE_OK) {
        s_fail(j, sc == FP_SCOPE_BAD_PREFIX ? "request.field" : "read.region", NULL, NULL);
        return false;
    }
    if (strlen(j->scope) < 6) { /* above a county: the county is the prefix's when it names one */
        s_fail(j, "caller.county", NULL, NULL);
        return false;
    }
    snprintf(j->county, sizeof j->county, "%.6s", j->scope);
    return true;
}

void screen_list_categories(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    s_job_t *j = s_job(svc, req, m);
    Fangpin__V1__ListCategories *lc = j->msg->list_categories;
    if (!s_scope(j, lc->region_prefix)) return;
    j->household = lc->household_no;
    j->category = lc->category;
    s_read(j);
}

static void s_on_referrals(fp_db_t *db, PGresult *res, void *arg)
{
    s_job_t *j = arg;
    if (fp_request_db_failed(j->req, j->msg->request_id, res, "reading referrals")) {
        j->req = NULL;
        s_free(j);
        return;
    }
    size_t n = (size_t)PQntuples(res);
    Fangpin__V1__Referral *rows = fp_calloc(n + 1, sizeof *rows), **ptrs = fp_calloc(n + 1, sizeof *ptrs);
    for (int r = 0; r < (int)n; r++) {
        Fangpin__V1__Referral *x = &rows[r];
        fangpin__v1__referral__init(x);
        x->referral_id = strtoll(PQgetvalue(res, r, 0), NULL, 10);
        char **f[] = {&x->household_no, &x->village_code, &x->category, NULL, &x->found_on, &x->status};
        for (int c = 0; c < 6; c++)
            if (f[c]) *f[c] = PQgetvalue(res, r, c + 1);
        x->case_id = strtoll(PQgetvalue(res, r, 4), NULL, 10);
        int64_t *v[] = {&x->per_capita_fen, &x->net_fen, &x->rigid_fen, &x->standard_fen, NULL, &x->disposable_fen};
        for (int c = 0; c < 6; c++)
            if (v[c]) *v[c] = strtoll(PQgetvalue(res, r, c + 7), NULL, 10);
        x->multiple_pct = (int32_t)strtol(PQgetvalue(res, r, 11), NULL, 10);
        x->closed_by = PQgetvalue(res, r, 13);
        x->closed_on = PQgetvalue(res, r, 14);
        x->close_reason = PQgetvalue(res, r, 15);
        x->visit_id = strtoll(PQgetvalue(res, r, 16), NULL, 10);
        ptrs[r] = x;
    }
    Fangpin__V1__ReferralList list = FANGPIN__V1__REFERRAL_LIST__INIT;
    list.n_referrals = n;
    list.referrals = ptrs;
    Fangpin__V1__ScreeningReply out = FANGPIN__V1__SCREENING_REPLY__INIT;
    out.result_case = FANGPIN__V1__SCREENING_REPLY__RESULT_REFERRAL_LIST;
    out.referral_list = &list;
    fp_request_reply_ok(j->req, &out.base, j->msg->request_id, "");
    j->req = NULL;
    free(rows);
    free(ptrs);
    s_free(j);
}

/* The referrals of the county inside j->scope: of one status ("" any), or the one with id. */
static void s_referrals(s_job_t *j, const char *status, const char *id)
{
    const char *p[4] = {j->county, j->scope, status, id};
    fp_db_query(j->db, 0,
                "SELECT r.id, r.household_no, r.village_code, r.category, coalesce(r.case_id, 0),"
                " to_char(r.found_on, 'YYYY-MM-DD'), r.status,"
                " coalesce(r.facts->>'per_capita_fen', '0'), coalesce(r.facts->>'net_fen', '0'),"
                " coalesce(r.facts->>'rigid_fen', '0'), coalesce(r.facts->>'standard_fen', '0'),"
                " coalesce(r.facts->>'multiple_pct', '0'), coalesce(r.facts->>'disposable_fen', '0'),"
                " r.closed_by, coalesce(to_char(r.closed_on, 'YYYY-MM-DD'), ''), r.close_reason,"
                " coalesce(r.facts->>'visit_id', '0')"
                " FROM lowincome_referrals r WHERE r.county_code = $1 AND r.village_code LIKE $2 || '%'"
                " AND ($3 = '' OR r.status = $3) AND ($4::bigint = 0 OR r.id = $4::bigint) ORDER BY r.id LIMIT 2000",
                4, p, s_on_referrals, j);
}

void screen_list_referrals(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    s_job_t *j = s_job(svc, req, m);
    Fangpin__V1__ListReferrals *lr = j->msg->list_referrals;
    if (!s_scope(j, lr->region_prefix)) return;
    const char *status = lr->status[0] ? lr->status : "open";
    if (strcmp(status, "open") && strcmp(status, "confirmed") && strcmp(status, "declined")) {
        s_fail(j, "request.field", "status is open, confirmed or declined", "状态应为 open、confirmed 或 declined");
        return;
    }
    s_referrals(j, status, "0");
}

/* --- DeclineReferral ---------------------------------------------------------------------------- */

static void s_on_decline_committed(fp_chain_t *c, PGresult *res)
{
    s_job_t *j = c->job;
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)j->msg->decline_referral->referral_id);
    s_referrals(j, "", id);
}

/* lowincome_decline(): ok, seen (a retry: answered as it is), not_found or closed. */
static void s_on_declined(fp_chain_t *c, PGresult *res)
{
    s_job_t *j = c->job;
    const char *r = PQgetvalue(res, 0, 0);
    if (!strcmp(r, "ok") || !strcmp(r, "seen")) {
        fp_chain_commit(c, s_on_decline_committed);
        return;
    }
    fp_chain_rollback(c);
    s_fail(j, !strcmp(r, "closed") ? "category.referral_closed" : "category.referral", NULL, NULL);
}

static void s_on_decline_begun(fp_chain_t *c, PGresult *res)
{
    s_job_t *j = c->job;
    Fangpin__V1__DeclineReferral *d = j->msg->decline_referral;
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)d->referral_id);
    const fp_principal_t *p = fp_request_principal(j->req);
    const char *q[6] = {j->county, id, j->on, p->id, d->reason, j->msg->request_id};
    fp_chain_query(c, "decline", "SELECT lowincome_decline($1, $2::bigint, $3::date, $4, $5, $6)", 6, q,
                   PGRES_TUPLES_OK, 0, s_on_declined);
}

void screen_decline_referral(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    s_job_t *j = s_job(svc, req, m);
    Fangpin__V1__DeclineReferral *d = j->msg->decline_referral;
    const fp_principal_t *p = fp_request_principal(req);
    const char *why = lowincome_may_change("minzheng", p->kind, p->department);
    if (why || !p->county[0]) {
        s_fail(j, why ? why : "caller.county", NULL, NULL);
        return;
    }
    int32_t day = fp_today();
    if (d->referral_id <= 0 || !fp_has_text(d->reason) || (d->on[0] && fp_date_parse(d->on, &day) != FP_OK)) {
        s_fail(j, "category.bad_request", NULL, NULL);
        return;
    }
    snprintf(j->county, sizeof j->county, "%s", p->county);
    snprintf(j->scope, sizeof j->scope, "%s", p->county);
    fp_date_format(day, j->on);
    j->chain = (fp_chain_t){.db = j->db, .what = "referral decline", .job = j, .fail = s_chain_fail};
    fp_chain_begin(&j->chain, "BEGIN", s_on_decline_begun);
}
