/* main.c: fangpin-reporting, event relay to dashboards, replay, and the monthly and quarterly reports.
 * Wires the shared service skeleton (common/service.c) to this service's request type,
 * fangpin.v1.ReportingRequest / ReportingReply (proto/fangpin/v1/reporting.proto). */
#include <stdio.h>

#include "fangpin/v1/reporting.pb-c.h"
#include "log.h"
#include "service.h"

static void s_on_request(fp_service_t *svc, fp_request_t *req, const uint8_t *data, size_t len, void *arg)
{
    Fangpin__V1__ReportingRequest *in = fangpin__v1__reporting_request__unpack(NULL, len, data);
    if (!in) {
        fp_request_error(req, "", FANGPIN__V1__CODE__BAD_REQUEST,
                         "the frame is not a fangpin.v1.ReportingRequest", "无法解析的请求 (应为 fangpin.v1.ReportingRequest)");
        return;
    }
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
    default:
        fp_request_error(req, in->request_id, FANGPIN__V1__CODE__UNKNOWN_OPERATION,
                         "the request names no operation this service knows", "未知的操作");
        break;
    }
    fangpin__v1__reporting_request__free_unpacked(in, NULL);
}

int main(int argc, char **argv)
{
    static const fp_service_def_t def = {
        .name = "reporting",
        .about = "event relay to dashboards, replay, and the monthly and quarterly reports",
        .endpoint_env = "FANGPIN_REPORTING_ENDPOINT",
        .endpoint_default = "tcp://*:7104",
        .http_env = "FANGPIN_REPORTING_HTTP",
        .http_default = "0.0.0.0:8104",
        .on_request = s_on_request,
    };
    return fp_service_main(&def, argc, argv);
}
