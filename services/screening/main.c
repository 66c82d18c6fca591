/* main.c: fangpin-screening, matches leads to households and carries cases village → township → county.
 * Wires the shared service skeleton (common/service.c) to this service's request type,
 * fangpin.v1.ScreeningRequest / ScreeningReply (proto/fangpin/v1/screening.proto). */
#include <stdio.h>

#include "cases.h"
#include "fangpin/v1/screening.pb-c.h"
#include "log.h"
#include "receive.h"
#include "service.h"
#include "today.h"
#include "vocab.h"
#include "transitions.h"

static screen_recv_t g_recv;   /* the one instance; main owns it */
static screen_trans_t g_trans; /* transitions and the overdue scan */

static void s_on_request(fp_service_t *svc, fp_request_t *req, const uint8_t *data, size_t len, void *arg)
{
    Fangpin__V1__ScreeningRequest *in =
        (Fangpin__V1__ScreeningRequest *)fp_request_unpack(req, &fangpin__v1__screening_request__descriptor, data, len);
    if (!in) return;
    Fangpin__V1__ScreeningReply out = FANGPIN__V1__SCREENING_REPLY__INIT;
    Fangpin__V1__Status st = FANGPIN__V1__STATUS__INIT;
    Fangpin__V1__Pong pong = FANGPIN__V1__PONG__INIT;
    out.request_id = in->request_id;
    out.status = &st;
    switch (in->op_case) {
    case FANGPIN__V1__SCREENING_REQUEST__OP_LIST_CASES:
        screen_list_cases(svc, req, in); /* takes in */
        return;
    case FANGPIN__V1__SCREENING_REQUEST__OP_SHOW_CASE:
        screen_show_case(svc, req, in);
        return;
    case FANGPIN__V1__SCREENING_REQUEST__OP_RECORD_VISIT:
    case FANGPIN__V1__SCREENING_REQUEST__OP_POST_NOTICE:
    case FANGPIN__V1__SCREENING_REQUEST__OP_RECORD_OBJECTION:
    case FANGPIN__V1__SCREENING_REQUEST__OP_TOWNSHIP_REVIEW:
    case FANGPIN__V1__SCREENING_REQUEST__OP_COUNTY_APPROVE:
    case FANGPIN__V1__SCREENING_REQUEST__OP_IDENTIFY:
    case FANGPIN__V1__SCREENING_REQUEST__OP_RETURN_CASE:
    case FANGPIN__V1__SCREENING_REQUEST__OP_CLOSE_CASE:
        screen_transition(&g_trans, req, in); /* takes in */
        return;
    case FANGPIN__V1__SCREENING_REQUEST__OP_PING:
        fp_request_set_op(req, "ping");
        fp_request_fill_pong(svc, req, in->ping->note, &pong);
        out.result_case = FANGPIN__V1__SCREENING_REPLY__RESULT_PONG;
        out.pong = &pong;
        st.code = FANGPIN__V1__CODE__OK;
        st.message = (char *)"ok";
        fp_request_reply(req, &out.base, st.code);
        break;
    default:
        fp_request_error(req, in->request_id, FANGPIN__V1__CODE__UNKNOWN_OPERATION,
                         "the request names no operation this service knows", "未知的操作");
        break;
    }
    fangpin__v1__screening_request__free_unpacked(in, NULL);
}

static int s_on_start(fp_service_t *svc, void *arg)
{
    return screen_trans_start(&g_trans, svc) || screen_recv_start(&g_recv, svc);
}
static void s_on_stop(fp_service_t *svc, void *arg)
{
    screen_recv_stop(&g_recv);
    screen_trans_stop(&g_trans);
}
static void s_on_ready(fp_service_t *svc, void *arg)
{
    screen_recv_ready(&g_recv);
    screen_trans_ready(&g_trans);
}
static void s_on_tick(fp_service_t *svc, void *arg)
{
    screen_recv_tick(&g_recv);
    screen_trans_tick(&g_trans);
}

int main(int argc, char **argv)
{
    static fp_cfg_t extra[] = {
        {"FANGPIN_SCREENING_LEADS_PULL", FP_CFG_STR, "tcp://127.0.0.1:7110", 0, 0,
         "intake's LeadsAccepted PUSH endpoint to connect the PULL to", 0, 0, 0},
        {"FANGPIN_SCREENING_IDENTIFIED_PUSH", FP_CFG_STR, "tcp://*:7111", 0, 0,
         "PUSH endpoint where assistance's PULL gets HouseholdIdentified hints", 0, 0, 0},
        {"FANGPIN_SCREENING_SCAN_S", FP_CFG_INT, "30", 1, 3600,
         "also look for unreceived leads this often (hints can be lost)", 0, 0, 0},
        FP_TODAY_CFG,
        {NULL, FP_CFG_STR, NULL, 0, 0, NULL, 0, 0, 0},
    };
    static const fp_service_def_t def = {
        .name = "screening",
        .about = "matches leads to households and carries cases village → township → county",
        .endpoint_env = "FANGPIN_SCREENING_ENDPOINT",
        .endpoint_default = "tcp://*:7102",
        .http_env = "FANGPIN_SCREENING_HTTP",
        .http_default = "0.0.0.0:8102",
        .on_request = s_on_request,
        .on_start = s_on_start,
        .on_stop = s_on_stop,
        .on_ready = s_on_ready,
        .on_tick = s_on_tick,
        .extra_cfg = extra,
        .catalogue_sql = vocab_check_sql, /* the risk types against risk_types */
    };
    return fp_service_main(&def, argc, argv);
}
