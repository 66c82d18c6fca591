/* main.c: fangpin-reporting, event relay to dashboards, replay, and the monthly and quarterly reports.
 * Wires the shared service skeleton (common/service.c) to this service's request type,
 * fangpin.v1.ReportingRequest / ReportingReply (proto/fangpin/v1/reporting.proto). */
#include <stdio.h>

#include "fangpin/v1/reporting.pb-c.h"
#include "httpauth.h"
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

static void s_on_request(fp_service_t *svc, fp_request_t *req, const uint8_t *data, size_t len, void *arg)
{
    Fangpin__V1__ReportingRequest *in =
        (Fangpin__V1__ReportingRequest *)fp_request_unpack(req, &fangpin__v1__reporting_request__descriptor, data, len);
    if (!in) return;
    Fangpin__V1__ReportingReply out = FANGPIN__V1__REPORTING_REPLY__INIT;
    Fangpin__V1__Status st = FANGPIN__V1__STATUS__INIT;
    Fangpin__V1__Pong pong = FANGPIN__V1__PONG__INIT;
    out.request_id = in->request_id;
    out.status = &st;
    switch (in->op_case) {
    case FANGPIN__V1__REPORTING_REQUEST__OP_PING:
        fp_request_set_op(req, "ping");
        fp_request_fill_pong(svc, req, in->ping->note, &pong);
        out.result_case = FANGPIN__V1__REPORTING_REPLY__RESULT_PONG;
        out.pong = &pong;
        st.code = FANGPIN__V1__CODE__OK;
        st.message = (char *)"ok";
        fp_request_reply(req, &out.base, st.code);
        break;
    case FANGPIN__V1__REPORTING_REQUEST__OP_REPLAY:
        report_replay(svc, req, in); /* takes in */
        return;
    case FANGPIN__V1__REPORTING_REQUEST__OP_GET_REPORT:
        report_get_report(svc, req, in); /* takes in */
        return;
    case FANGPIN__V1__REPORTING_REQUEST__OP_REOPEN_REPORT:
        report_reopen_report(svc, req, in); /* takes in */
        return;
    default:
        fp_request_error(req, in->request_id, FANGPIN__V1__CODE__UNKNOWN_OPERATION,
                         "the request names no operation this service knows", "未知的操作");
        break;
    }
    fangpin__v1__reporting_request__free_unpacked(in, NULL);
}

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
         "write an SSE keep-alive comment this often, and end the streams whose token was revoked or expired", 0, 0,
         0},
        {"FANGPIN_REPORTING_HTTP_REPORTS", FP_CFG_BOOL, "false", 0, 0,
         "serve GET /reports/... downloads (CSV, XLSX of a region, as FANGPIN_REPORTING_HTTP_AUTH admits)", 0, 0, 0},
        {"FANGPIN_REPORTING_HTTP_AUTH", FP_CFG_STR, "token", 0, 0,
         "token: downloads and /events need a bearer token (fangpinctl token add) and keep to its principal's"
         " region; proxy: no token, any region (the county's reverse proxy authenticates)", 0, 0, 0},
        {"FANGPIN_REPORTING_DEADLINE_SCAN_MS", FP_CFG_INT, "60000", 0, 86400000,
         "look for missed deadlines (deadline.missed events) this often; 0 = never", 0, 0, 0},
        {"FANGPIN_REPORTING_DEADLINES_FROM", FP_CFG_STR, "", 0, 0,
         "the month (YYYY-MM) the county began running fangpin: the deadline scan announces nothing before it;"
         " empty = no limit", 0, 0, 0},
        {"FANGPIN_REPORTING_WORK_DB_CONNECTIONS", FP_CFG_INT, "2", 0, 16,
         "database connections for reports and the deadline scan, apart from Replay's and the relay's; 0 = share Replay's",
         0, 0, 0},
        {"FANGPIN_REPORTING_WORK_STATEMENT_TIMEOUT_MS", FP_CFG_INT, "600000", 100, 86400000,
         "statement_timeout of the work connections (reports, deadline scan); a statement unanswered 2000 ms longer"
         " drops the connection", 0, 0, 0},
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
        .on_request = s_on_request,
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
