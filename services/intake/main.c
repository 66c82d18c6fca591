/* main.c: fangpin-intake, the county's front door for risk leads: departments' monthly pushes,
 * village visit reports and households' self-reports. Wires the shared service skeleton
 * (common/service.c) to fangpin.v1.IntakeRequest / IntakeReply (proto/fangpin/v1/intake.proto). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "date.h"
#include "desk.h"
#include "compare_presence.h"
#include "intake.h"
#include "log.h"
#include "mem.h"
#include "today.h"

static intake_t g_intake; /* the one instance; main owns it */

int32_t intake_today(const intake_t *in) { return fp_today(); }

const char *intake_county_of(const fp_principal_t *p, char out[7])
{
    if (p->county[0]) snprintf(out, 7, "%s", p->county);
    else if (strlen(p->region) >= 6) snprintf(out, 7, "%.6s", p->region);
    else out[0] = '\0';
    return out;
}

static bool s_db_ready(fp_service_t *svc, void *arg) { return ((intake_t *)arg)->catalog_loaded; }

#define S_OP(NAME) FANGPIN__V1__INTAKE_REQUEST__OP_##NAME

/* The operations (common/ops.h): each needs the database and the lead-kind catalog. */
static const fp_op_t s_ops[] = {
    {S_OP(PING), "ping", fp_op_ping, false, FP_CALL_ANY, NULL, NULL, NULL},
    {S_OP(SUBMIT_LEADS), "submit_leads", intake_submit, true, FP_CALL_DEPARTMENT | FP_CALL_GATEWAY | FP_CALL_ACTORS,
     NULL, "only departments, village actors and the self-report gateway submit leads",
     "只有行业部门、村级人员和自主申报渠道可以报送线索"},
    {S_OP(GET_BATCH), "get_batch", intake_get_batch, true, FP_CALL_ANY, NULL, NULL, NULL},
    {S_OP(LIST_OUTCOMES), "list_outcomes", intake_list_outcomes, true, FP_CALL_ANY, NULL, NULL, NULL},
    {S_OP(SUBMISSION_STATUS), "submission_status", intake_submission_status, true, FP_CALL_ANY, NULL, NULL, NULL},
    {S_OP(LIST_LEAD_KINDS), "list_lead_kinds", intake_list_kinds, true, FP_CALL_ANY, NULL, NULL, NULL},
    {S_OP(GET_PUSH_PROFILE), "get_push_profile", intake_get_push_profile, true, FP_CALL_DEPARTMENT, NULL,
     "only a department reads column profiles, each its own department's", "只有行业部门可以读取本部门的列映射方案"},
    {S_OP(GET_COMPARE_SLICE), "get_compare_slice", intake_get_compare_slice, true, FP_CALL_DEPARTMENT, NULL,
     "only a department exports the ledger slice it compares", "只有行业部门可以导出本部门的比对数据"},
    {S_OP(SUBMIT_COMPARE_ANSWERS), "submit_compare_answers", intake_submit_compare_answers, true, FP_CALL_DEPARTMENT,
     NULL, "only a department answers a comparison", "只有行业部门可以提交比对结果"},
    {0, NULL, NULL, false, 0, NULL, NULL, NULL},
};

static void s_on_ready(fp_service_t *svc, void *arg)
{
    intake_t *in = arg;
    intake_load_catalog(in);
}

static int s_on_start(fp_service_t *svc, void *arg)
{
    intake_t *in = arg;
    in->svc = svc;
    in->limits.max_leads = (int)fp_service_int(svc, "FANGPIN_INTAKE_MAX_BATCH");
    in->limits.max_age_days = (int)fp_service_int(svc, "FANGPIN_INTAKE_MAX_AGE_DAYS");
    in->limits.max_detail_bytes = 4000;
    in->limits.max_ref_bytes = 64;
    in->deadline_scan_ms = fp_service_int(svc, "FANGPIN_INTAKE_DEADLINE_SCAN_MS");
    in->c_scans = fp_metrics_scans(fp_service_metrics(svc), "late_submissions");
    /* the desk's uploads (desk.c): a department's file is one request body */
    fp_http_set_max_body(fp_service_http(svc), (size_t)fp_service_int(svc, "FANGPIN_INTAKE_DESK_MAX_BYTES"));
    if (fp_today_start(svc)) return 1;
    const char *why = NULL;
    in->hant = intake_hant_open(&why);
    if (!in->hant) /* villages by name still work; only traditional characters are not converted */
        fp_log_warn("OpenCC t2s.json did not open: village names in traditional characters will not match", "error",
                    why ? why : "");
    in->push = fp_service_bind_push(svc, "FANGPIN_INTAKE_LEADS_PUSH", "LeadsAccepted");
    if (!in->push) return 1;
    /* The service's own connection plus these: each batch is one transaction on one of them. */
    int64_t nconn = fp_service_int(svc, "FANGPIN_INTAKE_DB_CONNECTIONS");
    in->ndbs = nconn > 1 ? (size_t)(nconn - 1) : 0;
    in->dbs = fp_calloc(in->ndbs ? in->ndbs : 1, sizeof *in->dbs);
    for (size_t i = 0; i < in->ndbs; i++) in->dbs[i] = intake_new_db(in, NULL, NULL);
    fp_metrics_t *m = fp_service_metrics(svc);
    in->c_accepted = fp_metrics_counter(m, "fangpin_intake_leads_total", "Leads by result.", "result=\"accepted\"");
    in->c_duplicates = fp_metrics_counter(m, "fangpin_intake_leads_total", "Leads by result.", "result=\"duplicate\"");
    in->c_rejected = fp_metrics_counter(m, "fangpin_intake_leads_total", "Leads by result.", "result=\"rejected\"");
    in->c_batches = fp_metrics_counter(m, "fangpin_intake_batches_total", "Batches stored.", "");
    in->c_replayed = fp_metrics_counter(m, "fangpin_intake_batches_replayed_total",
                                        "Batches answered from their stored results.", "");
    in->g_presence = fp_metrics_gauge(m, "fangpin_intake_compare_presence_members",
                                      "Present members held for comparison answers (0: none held).", "");
    in->c_presence_reads = fp_metrics_counter(m, "fangpin_intake_compare_presence_reads_total",
                                              "Reads of a county's present members for comparison answers.", "");
    in->c_presence_held = fp_metrics_counter(m, "fangpin_intake_compare_batches_total",
                                             "Comparison answer batches stored, by how their persons were found in"
                                             " the ledger.", "ledger=\"held\"");
    in->c_presence_db = fp_metrics_counter(m, "fangpin_intake_compare_batches_total",
                                           "Comparison answer batches stored, by how their persons were found in"
                                           " the ledger.", "ledger=\"database\"");
    return 0;
}

fp_db_t *intake_new_db(intake_t *in, fp_db_state_fn on_state, fp_db_notify_fn on_notify)
{
    fp_db_opts_t o = {.backoff_min_ms = 100,
                      .backoff_max_ms = (int)fp_service_int(in->svc, "FANGPIN_DB_BACKOFF_MAX_MS"),
                      .statement_timeout_ms = (int)fp_service_int(in->svc, "FANGPIN_DB_STATEMENT_TIMEOUT_MS"),
                      .on_state = on_state,
                      .on_notify = on_notify,
                      .arg = in};
    fp_db_t *db = NULL;
    if (fp_db_new(fp_service_loop(in->svc), fp_service_str(in->svc, "FANGPIN_PG"), &o, &db) != FP_OK) return NULL;
    fp_service_db_metrics(in->svc, db);
    return db;
}

fp_db_t *intake_pick_db(intake_t *in)
{
    fp_db_t *best = fp_service_db(in->svc);
    size_t best_len = fp_db_queue_len(best);
    for (size_t i = 0; i < in->ndbs; i++) {
        if (!fp_db_is_up(in->dbs[i])) continue;
        size_t len = fp_db_queue_len(in->dbs[i]);
        if (len < best_len || !fp_db_is_up(best)) {
            best = in->dbs[i];
            best_len = len;
        }
    }
    return best;
}

static void s_on_stop(fp_service_t *svc, void *arg)
{
    intake_t *in = arg;
    intake_compare_waits_stop(in);
    intake_compare_stream_stop(in);
    intake_presence_stop(in);
    for (size_t i = 0; i < in->ndbs; i++) fp_db_destroy(&in->dbs[i]);
    free(in->dbs);
    in->dbs = NULL;
    in->ndbs = 0;
    if (in->push) zmq_close(in->push);
    in->push = NULL;
}

static void s_on_tick(fp_service_t *svc, void *arg)
{
    intake_deadline_scan(arg);
    intake_compare_waits_tick(arg);
    intake_compare_stream_tick(arg);
    intake_presence_tick(arg);
}

static void s_on_stopping(fp_service_t *svc, void *arg) { intake_compare_waits_stopping(arg); }

int main(int argc, char **argv)
{
    static fp_cfg_t extra[] = {
        {"FANGPIN_INTAKE_LEADS_PUSH", FP_CFG_STR, "tcp://*:7110", 0, 0,
         "PUSH endpoint where screening's PULL gets LeadsAccepted hints", 0, 0, 0},
        {"FANGPIN_INTAKE_MAX_BATCH", FP_CFG_INT, "10000", 1, 1000000, "most leads in one SubmitLeads batch", 0, 0, 0},
        {"FANGPIN_INTAKE_MAX_AGE_DAYS", FP_CFG_INT, "400", 1, 3650,
         "oldest occurrence date accepted, in days before today", 0, 0, 0},
        {"FANGPIN_INTAKE_DB_CONNECTIONS", FP_CFG_INT, "2", 1, 32,
         "database connections for SubmitLeads and SubmitCompareAnswers: batches commit in parallel", 0, 0, 0},
        {"FANGPIN_INTAKE_DEADLINE_SCAN_MS", FP_CFG_INT, "60000", 0, 86400000,
         "how often to look for departments that missed the month's push deadline (intake.submission_late); 0 = never",
         0, 0, 0},
        {"FANGPIN_INTAKE_DESK_MAX_BYTES", FP_CFG_INT, "33554432", 1024, 1073741824,
         "largest file the department desk takes in one upload (/desk/api/upload), in bytes; larger: 413", 0, 0, 0},
        FP_TODAY_CFG,
        {NULL, FP_CFG_STR, NULL, 0, 0, NULL, 0, 0, 0},
    };
    static const fp_service_def_t def = {
        .name = "intake",
        .about = "county front door: departments' monthly risk leads, visit reports, self-reports",
        .endpoint_env = "FANGPIN_INTAKE_ENDPOINT",
        .endpoint_default = "tcp://*:7101",
        .http_env = "FANGPIN_INTAKE_HTTP",
        .http_default = "0.0.0.0:8101",
        .max_request_default = "4194304", /* a batch of 10,000 leads is about 1.5 MiB */
        .data_key = true,                 /* ID numbers are sealed before they reach the database */
        .request_type = &fangpin__v1__intake_request__descriptor,
        .reply_type = &fangpin__v1__intake_reply__descriptor,
        .ops = s_ops,
        .db_ready = s_db_ready,
        .on_ready = s_on_ready,
        .on_start = s_on_start,
        .on_stop = s_on_stop,
        .on_tick = s_on_tick,
        .on_stopping = s_on_stopping,
        .on_http = intake_desk_http,
        .http_post = true,
        .arg = &g_intake,
        .extra_cfg = extra,
    };
    int rc = fp_service_main(&def, argc, argv);
    intake_catalog_free(&g_intake.catalog);
    intake_hant_close(g_intake.hant);
    return rc;
}
