/* desk_api.c: the desk's reads (desk.h, docs/desk.md): GET /desk/api/leads, the department's
 * leads of a month and what became of them (ListOutcomes, names and ID numbers masked), and GET
 * /desk/api/deadline, the month's push deadline and whether the department met it
 * (SubmissionStatus: policy lead_push_day). Both run the operation as the department, so the
 * desk reads exactly what `fangpinctl` reads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "desk.h"
#include "mem.h"

typedef struct {
    intake_t *in;
    fp_http_req_t *req;
    fp_principal_t who;
    char period[8];
} s_read_t;

static s_read_t *s_read(intake_t *in, fp_http_req_t *req, const fp_principal_t *who)
{
    s_read_t *r = fp_new(s_read_t);
    r->in = in;
    r->req = req;
    r->who = *who;
    return r;
}

/* The reply is an answer with a result (true), or the refusal it carries is answered (false). */
static bool s_ok(s_read_t *r, const Fangpin__V1__IntakeReply *rep, Fangpin__V1__IntakeReply__ResultCase want)
{
    if (rep && rep->status && rep->status->code == FANGPIN__V1__CODE__OK && rep->result_case == want) return true;
    if (rep && rep->status && rep->status->reason[0])
        desk_refuse(r->req, rep->status->reason, rep->status->message, rep->status->message_zh);
    else desk_refuse(r->req, "internal.error", NULL, NULL);
    free(r);
    return false;
}

/* --- leads --------------------------------------------------------------------------------------- */

static const char *s_status_name(Fangpin__V1__LeadStatus s)
{
    static const char *const names[] = {"", "pending", "verifying", "identified", "not_included", "unmatched"};
    return (unsigned)s < sizeof names / sizeof *names ? names[s] : "";
}

static void s_outcome_json(const intake_t *in, const Fangpin__V1__LeadOutcome *o, bool first, fp_buf_t *b)
{
    const intake_kind_t *k = intake_catalog_find(&in->catalog, o->kind);
    fp_buf_printf(b, "%s{\"lead_id\":%lld,\"batch_id\":", first ? "" : ",", (long long)o->lead_id);
    fp_buf_json_str(b, o->batch_id);
    fp_buf_puts(b, ",\"line_ref\":");
    fp_buf_json_str(b, o->line_ref);
    fp_buf_puts(b, ",\"kind\":");
    fp_buf_json_str(b, o->kind);
    fp_buf_puts(b, ",\"kind_zh\":");
    fp_buf_json_str(b, k ? k->name_zh : "");
    fp_buf_puts(b, ",\"village\":");
    fp_buf_json_str(b, o->village_code);
    fp_buf_puts(b, ",\"occurred_on\":");
    fp_buf_json_str(b, o->occurred_on);
    fp_buf_puts(b, ",\"id_masked\":");
    fp_buf_json_str(b, o->id_number_masked);
    fp_buf_puts(b, ",\"name_masked\":");
    fp_buf_json_str(b, o->name_masked);
    fp_buf_printf(b, ",\"status\":\"%s\",\"reason\":", s_status_name(o->status));
    fp_buf_json_str(b, o->reason);
    fp_buf_printf(b, ",\"updated_at_ms\":%lld}", (long long)o->updated_at_ms);
}

static void s_on_outcomes(void *arg, const Fangpin__V1__IntakeReply *rep)
{
    s_read_t *r = arg;
    if (!s_ok(r, rep, FANGPIN__V1__INTAKE_REPLY__RESULT_OUTCOMES)) return;
    const Fangpin__V1__OutcomeList *l = rep->outcomes;
    long counts[6] = {0};
    fp_buf_t b = {0};
    fp_buf_printf(&b, "{\"month\":\"%s\",\"leads\":[", r->period);
    for (size_t i = 0; i < l->n_outcomes; i++) {
        s_outcome_json(r->in, l->outcomes[i], i == 0, &b);
        if ((unsigned)l->outcomes[i]->status < 6) counts[l->outcomes[i]->status]++;
    }
    fp_buf_puts(&b, "],\"counts\":{");
    for (int s = 1; s < 6; s++) fp_buf_printf(&b, "%s\"%s\":%ld", s > 1 ? "," : "", s_status_name(s), counts[s]);
    fp_buf_printf(&b, "},\"next_after\":%lld}", (long long)l->next_after_id);
    desk_json(r->req, 200, &b);
    free(r);
}

void desk_leads(intake_t *in, fp_http_req_t *req, const fp_principal_t *who)
{
    s_read_t *r = s_read(in, req, who);
    char after[24];
    if (!desk_period_param(req, "month", r->period) ||
        !fp_http_query_param(fp_http_req_query(req), "after", after, sizeof after) ||
        strspn(after, "0123456789") != strlen(after)) {
        desk_refuse(req, "request.field", "month must be YYYY-MM, after a lead id",
                    "month 应为 YYYY-MM，after 应为线索编号");
        free(r);
        return;
    }
    if (!r->period[0]) desk_last_month(in, r->period);
    Fangpin__V1__ListOutcomes lo = FANGPIN__V1__LIST_OUTCOMES__INIT;
    lo.period = r->period;
    lo.after_id = after[0] ? strtoll(after, NULL, 10) : 0;
    lo.limit = 5000;
    Fangpin__V1__IntakeRequest rq = FANGPIN__V1__INTAKE_REQUEST__INIT;
    rq.request_id = (char *)"desk-leads";
    rq.op_case = FANGPIN__V1__INTAKE_REQUEST__OP_LIST_OUTCOMES;
    rq.list_outcomes = &lo;
    desk_call(in, who, &rq, s_on_outcomes, r);
}

/* --- the deadline ------------------------------------------------------------------------------- */

static void s_on_submissions(void *arg, const Fangpin__V1__IntakeReply *rep)
{
    s_read_t *r = arg;
    if (!s_ok(r, rep, FANGPIN__V1__INTAKE_REPLY__RESULT_SUBMISSIONS)) return;
    const Fangpin__V1__SubmissionStatusList *l = rep->submissions;
    const Fangpin__V1__DepartmentSubmission *mine = NULL;
    for (size_t i = 0; i < l->n_departments; i++)
        if (!strcmp(l->departments[i]->department, r->who.department)) mine = l->departments[i];
    char today[11];
    fp_date_format(intake_today(r->in), today);
    fp_buf_t b = {0};
    fp_buf_printf(&b, "{\"period\":\"%s\",\"deadline\":", r->period);
    fp_buf_json_str(&b, l->deadline);
    fp_buf_printf(&b, ",\"today\":\"%s\",\"department\":", today);
    fp_buf_json_str(&b, r->who.department);
    fp_buf_puts(&b, ",\"name_zh\":");
    fp_buf_json_str(&b, mine ? mine->name_zh : "");
    fp_buf_puts(&b, ",\"state\":");
    fp_buf_json_str(&b, mine ? mine->state : "");
    fp_buf_printf(&b, ",\"batches\":%u,\"leads_accepted\":%u,\"last_at_ms\":%lld}", mine ? mine->batches : 0,
                  mine ? mine->leads_accepted : 0, mine ? (long long)mine->last_at_ms : 0LL);
    desk_json(r->req, 200, &b);
    free(r);
}

void desk_deadline(intake_t *in, fp_http_req_t *req, const fp_principal_t *who)
{
    s_read_t *r = s_read(in, req, who);
    if (!desk_period_param(req, "month", r->period)) {
        desk_refuse(req, "request.field", "month must be YYYY-MM", "month 应为 YYYY-MM");
        free(r);
        return;
    }
    if (!r->period[0]) desk_last_month(in, r->period);
    Fangpin__V1__SubmissionStatus ss = FANGPIN__V1__SUBMISSION_STATUS__INIT;
    ss.period = r->period;
    Fangpin__V1__IntakeRequest rq = FANGPIN__V1__INTAKE_REQUEST__INIT;
    rq.request_id = (char *)"desk-deadline";
    rq.op_case = FANGPIN__V1__INTAKE_REQUEST__OP_SUBMISSION_STATUS;
    rq.submission_status = &ss;
    desk_call(in, who, &rq, s_on_submissions, r);
}
