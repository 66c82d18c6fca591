/* main.c: fangpin-reporting, event relay to dashboards, replay, and the monthly and quarterly reports.
 * Wires the shared service skeleton (common/service.c) to this service's request type,
 * fangpin.v1.ReportingRequest / ReportingReply (proto/fangpin/v1/reporting.proto). */
#include <stdio.h>

#include "fangpin/v1/reporting.pb-c.h"
#include "httpaccess.h"
#include "log.h"
#include "relay.h"
#include "replay.h"
#include "reports.h"
#include "service.h"
#include "sse.h"
#include "today.h"
#include "vocab.h"
#include "workdb.h"

static report_relay_t g_relay; /* the one relay; main owns it */
static report_sse_t g_sse;

#define S_OP(NAME) FANGPIN__V1__REPORTING_REQUEST__OP_##NAME

/* The operations (common/ops.h). Who reads what is the read policy's (access.c), per report
 * and region: Replay and GetReport check it themselves (read.kind, read.report, read.region). */
static const fp_op_t s_ops[] = {
    {S_OP(PING), "ping", fp_op_ping, false, FP_CALL_ANY, NULL, NULL, NULL},
    {S_OP(REPLAY), "replay", report_replay, true, FP_CALL_ANY, NULL, NULL, NULL},
    {S_OP(GET_REPORT), "get_report", report_get_report, true, FP_CALL_ANY, NULL, NULL, NULL},
    {S_OP(REOPEN_REPORT), "reopen_report", report_reopen_report, true,
     FP_CALL_ADMIN | FP_CALL_COUNTY | FP_CALL_PREFECTURE | FP_CALL_PROVINCE, "reopen.level",
     "only an administrator or a county-level (or higher) cadre may re-open a report",
     "只有管理员或县级及以上人员可以重新开放报表"},
    {0, NULL, NULL, false, 0, NULL, NULL, NULL},
};

static int s_on_start(fp_service_t *svc, void *arg)
{
    if (report_reports_start(svc) != 0) return 1;
    if (report_httpauth_start(svc) != 0) return 1;
    if (report_relay_start(&g_relay, svc) != 0) return 1;
    if (report_sse_start(&g_sse, &g_relay, svc) != 0) return 1;
    return report_workdb_start(svc); /* last: nothing after it can fail and leave it open */
}

/* Report downloads first (/reports/...), then the event stream (/events). */
static bool s_on_http(fp_service_t *svc, fp_http_req_t *req, void *arg)
{
    return report_reports_http(svc, req) || report_sse_handle(&g_sse, req);
}

static void s_on_stop(fp_service_t *svc, void *arg)
{
    report_sse_stop(&g_sse);
    report_relay_stop(&g_relay);
    report_workdb_stop();
}

static void s_on_ready(fp_service_t *svc, void *arg) { report_relay_kick(&g_relay); }

static void s_on_tick(fp_service_t *svc, void *arg)
{
    report_relay_check_keys(&g_relay); /* a subscribed key revoked since the last tick: recycle the PUB */
    report_deadline_tick(svc);
}

int main(int argc, char **argv)
{
    static fp_cfg_t extra[] = {
        {"FANGPIN_REPORTING_PUB", FP_CFG_STR, "tcp://*:7105", 0, 0,
         "ZeroMQ PUB endpoint where the relay publishes events (CURVE server)", 0, 0, 0},
        {"FANGPIN_REPORTING_HEARTBEAT_MS", FP_CFG_INT, "1000", 50, 60000,
         "publish a HEARTBEAT with the latest position this often; the relay also scans for events then", 0, 0, 0},
        {"FANGPIN_REPORTING_RELAY_BATCH", FP_CFG_INT, "1000", 1, 100000,
         "most events numbered in one relay transaction", 0, 0, 0},
        {"FANGPIN_REPORTING_SSE", FP_CFG_BOOL, "false", 0, 0,
         "serve GET /events (Server-Sent Events of a region, as FANGPIN_REPORTING_HTTP_AUTH admits)", 0, 0, 0},
        {"FANGPIN_REPORTING_SSE_KEEPALIVE_MS", FP_CFG_INT, "15000", 100, 600000,
         "write an SSE keep-alive comment this often, and end the streams whose token was revoked or expired", 0, 0, 0},
        {"FANGPIN_REPORTING_HTTP_REPORTS", FP_CFG_BOOL, "false", 0, 0,
         "serve GET /reports/... downloads (CSV, XLSX of a region, as FANGPIN_REPORTING_HTTP_AUTH admits)", 0, 0, 0},
        {"FANGPIN_REPORTING_HTTP_AUTH", FP_CFG_STR, "token", 0, 0,
         "token: downloads and /events need a bearer token (fangpinctl token add) and keep to its principal's"
         " region; proxy: no token, any region (the county's reverse proxy authenticates)",
         0, 0, 0},
        {"FANGPIN_REPORTING_DEADLINE_SCAN_MS", FP_CFG_INT, "60000", 0, 86400000,
         "look for missed deadlines (deadline.missed events) this often; 0 = never", 0, 0, 0},
        {"FANGPIN_REPORTING_DEADLINES_FROM", FP_CFG_STR, "", 0, 0,
         "the month (YYYY-MM) the county began running fangpin: the deadline scan announces nothing before it;"
         " empty = no limit",
         0, 0, 0},
        {"FANGPIN_REPORTING_WORK_DB_CONNECTIONS", FP_CFG_INT, "2", 0, 16,
         "database connections for reports and the deadline scan, apart from Replay's and the relay's; 0 = share "
         "Replay's",
         0, 0, 0},
        {"FANGPIN_REPORTING_WORK_STATEMENT_TIMEOUT_MS", FP_CFG_INT, "600000", 100, 86400000,
         "statement_timeout of the work connections (reports, deadline scan); a statement unanswered 2000 ms longer"
         " drops the connection",
         0, 0, 0},
        FP_TODAY_CFG,
        {0},
    };
    static const fp_service_def_t def = {
        .name = "reporting",
        .about = "event relay to dashboards, replay, and the monthly and quarterly reports",
        .endpoint_env = "FANGPIN_REPORTING_ENDPOINT",
        .endpoint_default = "tcp://*:7104",
        .http_env = "FANGPIN_REPORTING_HTTP",
        .http_default = "0.0.0.0:8104",
        .request_type = &fangpin__v1__reporting_request__descriptor,
        .reply_type = &fangpin__v1__reporting_reply__descriptor,
        .ops = s_ops,
        .on_start = s_on_start,
        .on_stop = s_on_stop,
        .on_http = s_on_http,
        .on_ready = s_on_ready,
        .on_tick = s_on_tick,
        .extra_cfg = extra,
        .catalogue_sql = vocab_check_sql, /* the reports' risk columns against risk_types */
    };
    return fp_service_main(&def, argc, argv);
}
