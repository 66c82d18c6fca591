/* transitions.c: the case transitions through the protocol (the overdue scan: overdue.c). Each request is
 * one transaction: BEGIN; the case FOR UPDATE within the actor's region; a seen request id answers
 * the stored outcome; screen_case_apply(); UPDATE case + INSERT history + event (+ the leads'
 * status when the case ends); COMMIT; then the reply. Only masked names leave through here. */
#include "transitions.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "calendar.h"
#include "categories.h"
#include "chain.h"
#include "date.h"
#include "log.h"
#include "mask.h"
#include "mem.h"
#include "notice.h"
#include "scope.h"
#include "today.h"
#include "visit.h"

/* --- the public notice: domain/notice.c (pure, unit-tested) ---------------------------------- */

/* --- one transition ---------------------------------------------------------------------------- */

typedef struct {
    screen_trans_t *t;
    fp_request_t *req;
    Fangpin__V1__ScreeningRequest *msg;
    fp_db_t *db;
    char scope[13], actor[128], case_id[24];
    screen_level_t level;
    screen_event_t ev;
    fp_buf_t text; /* history reason: findings, opinion, reason, objection, notice */
    char *notice;  /* PostNotice: the text stored on the case */
    const char *override;
    bool replayed;
    screen_case_t before, after;
    char from[24], lead_status[16];
    screen_params_buf_t params; /* in force for the case (fp_param on its village and opened_on) */
    fp_chain_t chain;           /* the transaction (common/chain.h); its job is this */
    /* RecordVisit in a county unified on the day (docs/lowincome.md "One visit, one method") */
    bool visit_unified, visit_asked;
    char visit_id[24], visit_on[11];
    fp_buf_t figures; /* the visit's record (lowincome_visit's p_figures); empty: none */
} s_job_t;

static void s_job_free(s_job_t *j)
{
    fp_buf_free(&j->text);
    fp_buf_free(&j->figures);
    free(j->notice);
    fangpin__v1__screening_request__free_unpacked(j->msg, NULL);
    free(j);
}

static void s_fail(s_job_t *j, const char *reason, const char *en, const char *zh)
{
    fp_request_refuse(j->req, j->msg->request_id, reason, en, zh);
    s_job_free(j);
}

static void s_unavailable(s_job_t *j)
{
    s_fail(j, "db.unavailable",
           "the database went away: nothing was changed; retry with the same"
           " request id",
           "数据库连接中断，未作任何更改，请用相同请求号重试");
}

/* The transaction ended without a commit (common/chain.h). */
static void s_chain_fail(fp_chain_t *c, const char *reason, PGresult *res)
{
    (void)res;
    if (!strcmp(reason, "db.unavailable")) s_unavailable(c->job);
    else s_fail(c->job, reason, "the step could not be stored: nothing was changed", "办理保存失败，未作任何更改");
}

/* After an Identify committed: wake assistance (a hint; it catches up from the tables anyway). */
static void s_push_identified(screen_trans_t *t, const char *county, int64_t case_id)
{
    if (!t->identified_push) return;
    Fangpin__V1__HouseholdIdentified h = FANGPIN__V1__HOUSEHOLD_IDENTIFIED__INIT;
    h.county = (char *)county;
    h.n_case_ids = 1;
    h.case_ids = &case_id;
    size_t len = fangpin__v1__household_identified__get_packed_size(&h);
    uint8_t *buf = fp_malloc(len);
    fangpin__v1__household_identified__pack(&h, buf);
    /* no assistance connected, or it is slow: dropped; assistance scans the cases table */
    zmq_send(t->identified_push, buf, len, ZMQ_DONTWAIT);
    free(buf);
}

static void s_on_summary(fp_db_t *db, PGresult *res, void *arg)
{
    s_job_t *j = arg;
    if (!res) {
        s_unavailable(j);
        return;
    }
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        fp_log_error("reading the case after a transition failed", "error", fp_db_errmsg(res));
        s_fail(j, "db.failed", "reading the case failed", "读取案件失败");
        return;
    }
    Fangpin__V1__CaseSummary sum;
    screen_summary_buf_t b;
    screen_summary_fill(res, 0, 0, &sum, &b);
    if (j->ev.kind == SCREEN_EV_IDENTIFY && !strcmp(sum.state, "identified"))
        s_push_identified(j->t, sum.county_code, sum.case_id);
    Fangpin__V1__ScreeningReply out = FANGPIN__V1__SCREENING_REPLY__INIT;
    Fangpin__V1__Status st = FANGPIN__V1__STATUS__INIT;
    st.code = FANGPIN__V1__CODE__OK;
    char en[200], zh[240];
    snprintf(en, sizeof en, "ok: the household's income and expense record of this quarter (visit %s of %s) served"
             " this case; no second visit, and this request's items were not recorded", j->visit_id, j->visit_on);
    snprintf(zh, sizeof zh, "办理成功：本季度已于 %s 入户收支核算（记录 %s），本案复用该记录，未重复入户，本次所报收支未另行记录",
             j->visit_on, j->visit_id);
    bool reused = j->visit_id[0] && !j->replayed;
    st.message = j->replayed ? "already applied: this request id was seen for this case" : reused ? en : "ok";
    st.message_zh = j->replayed ? "该请求已办理（重复请求未再次执行）" : reused ? zh : "办理成功";
    out.request_id = j->msg->request_id;
    out.status = &st;
    out.result_case = FANGPIN__V1__SCREENING_REPLY__RESULT_CASE_SUMMARY;
    out.case_summary = &sum;
    fp_request_reply(j->req, &out.base, st.code);
    j->req = NULL;
    s_job_free(j);
}

static void s_reply_summary(s_job_t *j)
{
    const char *p[1] = {j->case_id};
    fp_db_query(j->db, 0, "SELECT " SCREEN_SUMMARY_SQL " FROM cases c WHERE c.id = $1::bigint", 1, p, s_on_summary, j);
}

static void s_on_committed(fp_chain_t *c, PGresult *res)
{
    s_job_t *j = c->job;
    if (!j->replayed) j->t->applied++;
    s_reply_summary(j);
}

/* --- one visit, one method (docs/lowincome.md): in a county unified on the day, the quarter's
 * income and expense record is made by the household's first visit of the quarter with items and
 * serves every later case of the quarter; then the household is judged on it (refer.c). ------- */

static void s_on_referred(fp_chain_t *c, PGresult *res) { fp_chain_commit(c, s_on_committed); }

static void s_on_visit_candidates(fp_chain_t *c, PGresult *res)
{
    fp_buf_t json = {0};
    if (screen_refer_json(res, &json) == 0) {
        fp_buf_free(&json);
        fp_chain_commit(c, s_on_committed);
        return;
    }
    const char *p[1] = {json.data};
    fp_chain_query(c, "refer", "SELECT lowincome_refer($1::jsonb)", 1, p, PGRES_TUPLES_OK, 0, s_on_referred);
    fp_buf_free(&json);
}

static void s_on_visit(fp_chain_t *c, PGresult *res)
{
    s_job_t *j = c->job;
    if (PQntuples(res) == 0) { /* nothing to record: the visit gave no items */
        fp_chain_commit(c, s_on_committed);
        return;
    }
    const char *p[1] = {j->case_id};
    fp_chain_query(c, "visit candidates",
                   "SELECT * FROM lowincome_candidates(jsonb_build_array(jsonb_build_object('id', $1::bigint)))", 1,
                   p, PGRES_TUPLES_OK, 0, s_on_visit_candidates);
}

static void s_visit_record(s_job_t *j)
{
    char on[11];
    fp_date_format(fp_today(), on);
    const char *p[5] = {j->case_id, on, j->actor, j->figures.len ? j->figures.data : NULL, j->visit_asked ? "t" : "f"};
    fp_chain_query(&j->chain, "visit", "SELECT * FROM lowincome_visit($1::bigint, $2::date, $3, $4::jsonb, $5::boolean)",
                   5, p, PGRES_TUPLES_OK, 0, s_on_visit);
}

static void s_on_written(fp_chain_t *c, PGresult *res)
{
    s_job_t *j = c->job;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) { /* the same request id committed meanwhile */
        fp_chain_rollback(c);
        j->replayed = true;
        s_reply_summary(j);
        return;
    }
    if (j->visit_unified) {
        s_visit_record(j);
        return;
    }
    fp_chain_commit(c, s_on_committed);
}

static void s_write(s_job_t *j)
{
    const screen_case_t *a = &j->after;
    char step[11], posted[11] = "", objections[16], returns[16];
    fp_date_format(a->step_since, step);
    if (a->notice_posted_on != SCREEN_NO_DATE) fp_date_format(a->notice_posted_on, posted);
    snprintf(objections, sizeof objections, "%d", (int)a->objections);
    snprintf(returns, sizeof returns, "%d", (int)a->returns);
    fp_buf_t risks = {0};
    fp_buf_puts(&risks, "");
    for (size_t i = 0; j->ev.kind == SCREEN_EV_IDENTIFY && i < a->n_risks; i++)
        fp_buf_printf(&risks, "%s%s", i ? "," : "", screen_risk_code(a->risks[i]));
    const char *to = screen_case_state_code((screen_case_state_t)a->state);
    const char *lead_reason = j->text.data ? j->text.data : "";
    char ident_reason[200];
    if (a->state == SCREEN_CS_IDENTIFIED) {
        snprintf(ident_reason, sizeof ident_reason, "已识别纳入监测：%s", screen_kind_zh(a->kind));
        lead_reason = ident_reason;
    }
    const char *p[18] = {j->case_id,
                         to,
                         a->state == SCREEN_CS_IDENTIFIED ? screen_kind_code(a->kind) : "",
                         risks.data,
                         step,
                         posted,
                         objections,
                         returns,
                         a->consent ? "t" : "f",
                         j->notice ? "t" : "f",
                         j->notice ? j->notice : "",
                         j->actor,
                         screen_level_code(j->level),
                         screen_event_code(j->ev.kind),
                         j->from,
                         j->text.data ? j->text.data : "",
                         j->msg->request_id,
                         lead_reason};
    fp_chain_query(
        &j->chain, "write",
        "WITH u AS (UPDATE cases SET state = $2, kind = coalesce(nullif($3, ''), kind),"
        "   risk_types = CASE WHEN $4 = '' THEN risk_types ELSE string_to_array($4, ',') END,"
        "   step_since = $5::date, notice_posted_on = nullif($6, '')::date, objections = $7::int,"
        "   returns = $8::int, consent = $9::boolean,"
        "   notice_text = CASE WHEN $10::boolean THEN $11 ELSE notice_text END, updated_at = now()"
        "  WHERE id = $1::bigint RETURNING county_code, village_code),"
        " h AS (INSERT INTO case_history (county_code, case_id, actor, level, event, from_state, to_state,"
        "   reason, request_id) SELECT county_code, $1::bigint, $12, $13, $14, $15, $2, $16, $17 FROM u),"
        " e AS (SELECT events_write(array_agg(ROW(county_code, village_code, 'case.' || $14,"
        "   jsonb_build_object('case_id', $1::bigint, 'from', $15, 'to', $2, 'level', $13))::event_new)) FROM u),"
        " l AS (UPDATE leads l SET status = CASE WHEN $2 = 'identified' THEN 'identified' ELSE 'not_included' END,"
        "   status_reason = $18, status_at = now() FROM case_leads cl"
        "  WHERE $2 IN ('identified', 'closed_not_included') AND cl.case_id = $1::bigint"
        "   AND l.county_code = cl.county_code AND l.id = cl.lead_id)"
        " SELECT count(*) FROM u, e", /* e read, so that it runs */
        18, p, PGRES_TUPLES_OK, FP_CHAIN_VIOLATIONS, s_on_written);
    fp_buf_free(&risks);
}

/* The request id was seen for this case: a retry, answered with the case as it is. */
static void s_on_seen(fp_chain_t *c, PGresult *res)
{
    ((s_job_t *)c->job)->replayed = true;
    fp_chain_commit(c, s_on_committed);
}

static void s_apply(fp_chain_t *c)
{
    s_job_t *j = c->job;
    const char *why = NULL;
    int32_t today = fp_today();
    if (screen_case_apply(&j->before, &j->ev, today, &j->params.p, &j->after, &why) == SCREEN_CASE_REFUSED) {
        fp_chain_rollback(c);
        const screen_case_reason_t *r = screen_case_reason(why);
        s_fail(j, why ? why : "case.bad_request", r ? r->en : NULL, r ? r->zh : NULL);
        return;
    }
    if (j->ev.kind == SCREEN_EV_POST_NOTICE) {
        if (j->override) { /* a cadre's text is cleaned as the generated one is */
            fp_buf_t b = {0};
            fp_text_clean(&b, j->override);
            j->notice = b.data;
        }
        fp_buf_puts(&j->text, j->notice ? j->notice : "");
    }
    s_write(j);
}

/* The visit's items as the record's figures (lowincome_visit's p_figures): false when an item is
 * refused (answered). */
static bool s_visit_figures(s_job_t *j, int32_t members)
{
    Fangpin__V1__VisitFindings *f = j->msg->record_visit->findings;
    size_t ni = f ? f->n_income : 0, ne = f ? f->n_expenses : 0;
    if (ni + ne == 0) return true;
    screen_visit_item_t *it = fp_calloc(ni + ne + 1, sizeof *it);
    for (size_t i = 0; i < ni; i++) it[i] = (screen_visit_item_t){f->income[i]->item, f->income[i]->amount_fen};
    for (size_t i = 0; i < ne; i++) it[ni + i] = (screen_visit_item_t){f->expenses[i]->item, f->expenses[i]->amount_fen};
    screen_visit_figures_t v;
    const char *bad = NULL, *why = screen_visit_figures(it, ni, it + ni, ne, members, &v, &bad);
    free(it);
    if (why) {
        char en[256], zh[256];
        snprintf(en, sizeof en, "findings: the item \"%.60s\" is not an income or rigid expense item of the method, or"
                 " its amount is negative or too large (docs/screening-rules.md)", bad ? bad : "members");
        snprintf(zh, sizeof zh, "走访收支项目“%.60s”不是核算口径的项目，或金额为负、过大", bad ? bad : "家庭人口");
        fp_chain_rollback(&j->chain);
        s_fail(j, why, en, zh);
        return false;
    }
    fp_buf_t *b = &j->figures;
    fp_buf_puts(b, "{\"income\":{");
    for (size_t k = 0; k < 11; k++)
        fp_buf_printf(b, "%s\"%s\":%" PRId64, k ? "," : "", screen_visit_income_items[k], v.items[k]);
    fp_buf_printf(b, "},\"expenses\":{\"medical\":%" PRId64 ",\"education\":%" PRId64 ",\"other_rigid\":%" PRId64
                  "},\"members\":%" PRId32 ",\"net_fen\":%" PRId64 ",\"per_capita_fen\":%" PRId64
                  ",\"medical_fen\":%" PRId64 ",\"education_fen\":%" PRId64 ",\"other_rigid_fen\":%" PRId64 "}",
                  v.medical, v.education, v.other_rigid, v.income.members, v.income.net, v.income.per_capita_net,
                  v.medical, v.education, v.other_rigid);
    return true;
}

/* Columns of lowincome_visit_state(): unified, members, visit_id, visited_on. Unified: the
 * quarter's record, if the household has one, meets the visit step (the consent was given at its
 * visit); else the visit's items become the record after the step is written. */
static void s_on_visit_state(fp_chain_t *c, PGresult *res)
{
    s_job_t *j = c->job;
    j->visit_unified = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    if (!j->visit_unified) {
        s_apply(c);
        return;
    }
    Fangpin__V1__VisitFindings *f = j->msg->record_visit->findings;
    j->visit_asked = f && f->n_income + f->n_expenses > 0;
    if (!PQgetisnull(res, 0, 2)) {
        snprintf(j->visit_id, sizeof j->visit_id, "%s", PQgetvalue(res, 0, 2));
        snprintf(j->visit_on, sizeof j->visit_on, "%s", PQgetvalue(res, 0, 3));
        j->ev.consent = true;
        fp_buf_printf(&j->text, "%s复用本季度入户收支核算（记录 %s，%s）", j->text.len ? "；" : "", j->visit_id,
                      j->visit_on);
        j->ev.text = j->text.data;
    } else if (!s_visit_figures(j, (int32_t)strtol(PQgetvalue(res, 0, 1), NULL, 10))) {
        return;
    }
    s_apply(c);
}

static void s_on_fresh(fp_chain_t *c, PGresult *res)
{
    s_job_t *j = c->job;
    if (j->ev.kind != SCREEN_EV_VISIT) {
        s_apply(c);
        return;
    }
    char on[11];
    fp_date_format(fp_today(), on);
    const char *p[2] = {j->case_id, on};
    fp_chain_query(c, "visit state", "SELECT * FROM lowincome_visit_state($1::bigint, $2::date)", 2, p,
                   PGRES_TUPLES_OK, 0, s_on_visit_state);
}

/* Columns: state, opened_on, step_since, notice_posted_on, consent, objections, returns, kind,
 * risk_types, head_name, village name, suggested kind, then the case's parameters
 * (SCREEN_PARAMS_SQL). */
static void s_on_locked(fp_chain_t *ch, PGresult *res)
{
    s_job_t *j = ch->job;
    if (PQntuples(res) == 0) {
        fp_chain_rollback(ch);
        s_fail(j, "case.not_found", NULL, NULL);
        return;
    }
    screen_case_t *c = &j->before;
    screen_case_open(c, screen_col_date(PQgetvalue(res, 0, 1), 0));
    c->state = screen_state_of(PQgetvalue(res, 0, 0));
    c->step_since = screen_col_date(PQgetvalue(res, 0, 2), c->lead_date);
    c->notice_posted_on = screen_col_date(PQgetvalue(res, 0, 3), SCREEN_NO_DATE);
    c->consent = PQgetvalue(res, 0, 4)[0] == 't';
    c->objections = (int32_t)screen_col_i64(PQgetvalue(res, 0, 5));
    c->returns = (int32_t)screen_col_i64(PQgetvalue(res, 0, 6));
    c->kind = screen_kind_from_code(PQgetvalue(res, 0, 7));
    snprintf(j->from, sizeof j->from, "%s", PQgetvalue(res, 0, 0));
    screen_params_fill(res, 0, 12, &j->params);
    if (j->ev.kind == SCREEN_EV_POST_NOTICE && !j->override) {
        const char *kind = PQgetvalue(res, 0, 7)[0] ? PQgetvalue(res, 0, 7) : PQgetvalue(res, 0, 11);
        j->notice = screen_notice_text(PQgetvalue(res, 0, 9), PQgetvalue(res, 0, 10), kind, PQgetvalue(res, 0, 8),
                                       fp_today(), j->params.p.notice_days, j->params.p.notice_working_days,
                                       screen_notice_end(fp_today(), &j->params.p));
    }
    const char *p[2] = {j->case_id, j->msg->request_id};
    fp_chain_once(ch, "SELECT 1 FROM case_history WHERE case_id = $1::bigint AND request_id = $2", 2, p, s_on_fresh,
                  s_on_seen);
}

static void s_on_begun(fp_chain_t *c, PGresult *res)
{
    s_job_t *j = c->job;
    const char *p[2] = {j->case_id, j->scope};
    fp_chain_query(
        c, "lock case",
        "SELECT c.state, to_char(c.opened_on, 'YYYY-MM-DD'), coalesce(to_char(c.step_since, 'YYYY-MM-DD'), ''),"
        " coalesce(to_char(c.notice_posted_on, 'YYYY-MM-DD'), ''), c.consent::text, c.objections::text,"
        " c.returns::text, coalesce(c.kind, ''), array_to_string(c.risk_types, ','), h.head_name,"
        " coalesce((SELECT r.name FROM regions r WHERE r.code = c.village_code), c.village_code),"
        " coalesce(c.decision->>'kind', ''), " SCREEN_PARAMS_SQL(
            "c.village_code", "c.opened_on", "c.opened_on",
            "greatest(c.opened_on, c.step_since, c.notice_posted_on) + 400") " FROM cases c JOIN ledger_households h "
                                                                             "ON h.county_code = c.county_code"
                                                                             "  AND h.household_no = c.household_no"
                                                                             " WHERE c.id = $1::bigint AND "
                                                                             "c.village_code LIKE $2 || '%' FOR UPDATE "
                                                                             "OF c",
        2, p, PGRES_TUPLES_OK, 0, s_on_locked);
}

static void s_text(fp_buf_t *b, const char *label, const char *v)
{
    if (!v || !*v) return;
    fp_buf_printf(b, "%s%s：%s", b->len ? "；" : "", label, v);
}

/* Fills j->ev (and case id, text) from the operation; false = no transition op. */
static bool s_event_of(s_job_t *j)
{
    Fangpin__V1__ScreeningRequest *m = j->msg;
    screen_event_t *ev = &j->ev;
    memset(ev, 0, sizeof *ev);
    int64_t id = 0;
    const char *txt = NULL;
    switch (m->op_case) {
    case FANGPIN__V1__SCREENING_REQUEST__OP_RECORD_VISIT: {
        Fangpin__V1__RecordVisit *v = m->record_visit;
        id = v->case_id, ev->kind = SCREEN_EV_VISIT, ev->consent = v->consent_given;
        if (v->findings) {
            for (size_t i = 0; i < v->findings->n_income; i++) {
                char amt[64];
                snprintf(amt, sizeof amt, "%s %.2f元", v->findings->income[i]->item,
                         (double)v->findings->income[i]->amount_fen / 100.0);
                s_text(&j->text, "收入", amt);
            }
            s_text(&j->text, "保障情况", v->findings->guarantees);
            s_text(&j->text, "劳动能力", v->findings->labour_notes);
            s_text(&j->text, "核实情况", v->findings->text);
        }
        break;
    }
    case FANGPIN__V1__SCREENING_REQUEST__OP_POST_NOTICE:
        id = m->post_notice->case_id, ev->kind = SCREEN_EV_POST_NOTICE;
        if (m->post_notice->notice_text_override[0]) j->override = m->post_notice->notice_text_override;
        break;
    case FANGPIN__V1__SCREENING_REQUEST__OP_RECORD_OBJECTION:
        id = m->record_objection->case_id, ev->kind = SCREEN_EV_OBJECTION;
        txt = m->record_objection->text;
        break;
    case FANGPIN__V1__SCREENING_REQUEST__OP_TOWNSHIP_REVIEW:
        id = m->township_review->case_id, ev->kind = SCREEN_EV_REVIEW;
        txt = m->township_review->opinion;
        break;
    case FANGPIN__V1__SCREENING_REQUEST__OP_COUNTY_APPROVE:
        id = m->county_approve->case_id, ev->kind = SCREEN_EV_APPROVE;
        txt = m->county_approve->opinion;
        break;
    case FANGPIN__V1__SCREENING_REQUEST__OP_IDENTIFY: {
        Fangpin__V1__Identify *d = m->identify;
        id = d->case_id, ev->kind = SCREEN_EV_IDENTIFY;
        ev->hh_kind = screen_kind_from_code(d->kind);
        ev->n_risks = d->n_risk_types;
        for (size_t i = 0; i < d->n_risk_types && i < SCREEN_MAX_RISKS; i++)
            ev->risks[i] = screen_risk_from_code(d->risk_types[i]);
        fp_buf_printf(&j->text, "%s", ev->hh_kind ? screen_kind_zh(ev->hh_kind) : "");
        for (size_t i = 0; i < d->n_risk_types && i < SCREEN_MAX_RISKS; i++) {
            screen_risk_t r = screen_risk_from_code(d->risk_types[i]);
            fp_buf_printf(&j->text, "%s%s", i ? "、" : "；风险：", r ? screen_risk_zh(r) : "?");
        }
        break;
    }
    case FANGPIN__V1__SCREENING_REQUEST__OP_RETURN_CASE:
        id = m->return_case->case_id, ev->kind = SCREEN_EV_RETURN;
        txt = m->return_case->reason;
        break;
    case FANGPIN__V1__SCREENING_REQUEST__OP_CLOSE_CASE:
        id = m->close_case->case_id, ev->kind = SCREEN_EV_CLOSE;
        txt = m->close_case->reason;
        break;
    default: return false;
    }
    if (txt) fp_buf_puts(&j->text, txt);
    fp_buf_puts(&j->text, "");
    ev->level = j->level;
    if (ev->kind != SCREEN_EV_IDENTIFY && ev->kind != SCREEN_EV_POST_NOTICE) ev->text = j->text.data;
    snprintf(j->case_id, sizeof j->case_id, "%lld", (long long)id);
    return true;
}

void screen_transition(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    screen_trans_t *t = arg;
    Fangpin__V1__ScreeningRequest *msg = (Fangpin__V1__ScreeningRequest *)m;
    s_job_t *j = fp_new(s_job_t);
    j->t = t;
    j->req = req;
    j->msg = msg;
    j->db = fp_service_db(t->svc);
    const fp_principal_t *p = fp_request_principal(req);
    snprintf(j->actor, sizeof j->actor, "%s", p->id);
    snprintf(j->scope, sizeof j->scope, "%s", p->region);
    j->level = fp_actor_level(p);
    if (!s_event_of(j)) {
        s_fail(j, "request.unknown_operation", "not a case transition", NULL);
        return;
    }
    if (!msg->request_id[0]) {
        s_fail(j, "request.id", "a request id is required: it makes a retry safe", "须填写请求号（用于安全重试）");
        return;
    }
    if (j->override && fp_text_has_long_number(j->override)) {
        s_fail(j, "notice.long_number", NULL, NULL);
        return;
    }
    j->chain = (fp_chain_t){.db = j->db, .what = "case transition", .job = j, .fail = s_chain_fail};
    fp_chain_begin(&j->chain, "BEGIN", s_on_begun);
}

int screen_trans_start(screen_trans_t *t, fp_service_t *svc)
{
    t->svc = svc;
    if (fp_today_start(svc)) return 1;
    t->c_scans = fp_metrics_scans(fp_service_metrics(svc), "overdue");
    t->g_overdue = fp_metrics_gauge(fp_service_metrics(svc), "fangpin_cases_overdue",
                                    "Open cases whose step is past its due date, as of the last overdue scan.", "");
    t->identified_push = fp_service_bind_push(svc, "FANGPIN_SCREENING_IDENTIFIED_PUSH", "HouseholdIdentified");
    return t->identified_push ? 0 : 1;
}

void screen_trans_stop(screen_trans_t *t)
{
    if (t->identified_push) zmq_close(t->identified_push);
    t->identified_push = NULL;
}
