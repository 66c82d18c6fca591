/* main.c: fangpin-assistance, assistance plans, measures, quarterly checks and risk elimination.
 * Wires the shared service skeleton (common/service.c) to this service's request type,
 * fangpin.v1.AssistanceRequest / AssistanceReply (proto/fangpin/v1/assistance.proto), and the
 * plan opener (open.c) to its hooks. */
#include <stdio.h>

#include "assist.h"
#include "fangpin/v1/assistance.pb-c.h"
#include "log.h"
#include "service.h"
#include "today.h"
#include "vocab.h"

static assist_t g_assist; /* the one instance; main owns it */

static void s_on_request(fp_service_t *svc, fp_request_t *req, const uint8_t *data, size_t len, void *arg)
{
    Fangpin__V1__AssistanceRequest *in =
        (Fangpin__V1__AssistanceRequest *)fp_request_unpack(req, &fangpin__v1__assistance_request__descriptor, data, len);
    if (!in) return;
    Fangpin__V1__AssistanceReply out = FANGPIN__V1__ASSISTANCE_REPLY__INIT;
    Fangpin__V1__Status st = FANGPIN__V1__STATUS__INIT;
    Fangpin__V1__Pong pong = FANGPIN__V1__PONG__INIT;
    out.request_id = in->request_id;
    out.status = &st;
    switch (in->op_case) {
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_LIST_PLANS:
        assist_list_plans(&g_assist, req, in); /* takes in */
        return;
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_SHOW_PLAN:
        assist_show_plan(&g_assist, req, in);
        return;
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_LIST_UNCHECKED:
        assist_list_unchecked(&g_assist, req, in);
        return;
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_OPEN_CONSOLIDATION_PLAN:
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_ADD_MEASURE:
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_SET_MEASURE_STATUS:
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_CHECK_MEASURE:
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_SUBMIT_QUARTER_SUMMARY:
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_RECORD_INCOME:
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_ELIMINATION_STEP:
        assist_change(&g_assist, req, in); /* takes in */
        return;
    case FANGPIN__V1__ASSISTANCE_REQUEST__OP_PING:
        fp_request_set_op(req, "ping");
        fp_request_fill_pong(svc, req, in->ping->note, &pong);
        out.result_case = FANGPIN__V1__ASSISTANCE_REPLY__RESULT_PONG;
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
    fangpin__v1__assistance_request__free_unpacked(in, NULL);
}

static int s_on_start(fp_service_t *svc, void *arg) { return assist_open_start(&g_assist, svc); }
static void s_on_stop(fp_service_t *svc, void *arg) { assist_open_stop(&g_assist); }
static void s_on_ready(fp_service_t *svc, void *arg) { assist_open_ready(&g_assist); }
static void s_on_tick(fp_service_t *svc, void *arg) { assist_open_tick(&g_assist); }

int main(int argc, char **argv)
{
    static fp_cfg_t extra[] = {
        {"FANGPIN_ASSISTANCE_IDENTIFIED_PULL", FP_CFG_STR, "tcp://127.0.0.1:7111", 0, 0,
         "screening's HouseholdIdentified PUSH endpoint to connect the PULL to", 0, 0, 0},
        {"FANGPIN_ASSISTANCE_SCAN_S", FP_CFG_INT, "30", 1, 3600,
         "also look for identified households without a plan this often (hints can be lost)", 0, 0, 0},
        FP_TODAY_CFG,
        {NULL, FP_CFG_STR, NULL, 0, 0, NULL, 0, 0, 0},
    };
    static const fp_service_def_t def = {
        .name = "assistance",
        .about = "assistance plans, measures, quarterly checks and risk elimination",
        .endpoint_env = "FANGPIN_ASSISTANCE_ENDPOINT",
        .endpoint_default = "tcp://*:7103",
        .http_env = "FANGPIN_ASSISTANCE_HTTP",
        .http_default = "0.0.0.0:8103",
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
