/* request.c: the first step of every service's request handler: decode the frame within its
 * budget and check the request id (service.h, fp_request_unpack). */
#include <stdio.h>

#include "log.h"
#include "pbdecode.h"
#include "service.h"

ProtobufCMessage *fp_request_unpack(fp_request_t *req, const ProtobufCMessageDescriptor *d, const uint8_t *data,
                                    size_t len)
{
    fp_pb_result_t why = FP_PB_OK;
    ProtobufCMessage *m = fp_pb_unpack(d, data, len, fp_pb_budget(len, FP_DECODE_FACTOR), &why);
    char en[200], zh[200];
    if (!m && why == FP_PB_TOO_COMPLEX) {
        snprintf(en, sizeof en,
                 "the request of %zu bytes would take more than %u times its size to decode (too many items or"
                 " fields for its size): send fewer, fuller items",
                 len, FP_DECODE_FACTOR);
        snprintf(zh, sizeof zh, "请求（%zu 字节）解码所需内存超过其大小的 %u 倍（条目或字段过多而内容过少），请精简后重发", len,
                 FP_DECODE_FACTOR);
        fp_request_refuse(req, "", FANGPIN__V1__CODE__TOO_LARGE, "request.too_complex", en, zh);
        return NULL;
    }
    if (!m) {
        snprintf(en, sizeof en, "the frame is not a %s", d->name);
        snprintf(zh, sizeof zh, "无法解析的请求 (应为 %s)", d->name);
        fp_request_refuse(req, "", FANGPIN__V1__CODE__BAD_REQUEST, "request.malformed", en, zh);
        return NULL;
    }
    if (!fp_request_id_valid(fp_pb_request_id(m))) {
        protobuf_c_message_free_unpacked(m, NULL);
        fp_request_refuse(req, "", FANGPIN__V1__CODE__BAD_REQUEST, "request.id",
                          "the request id must be 1 to 128 printable ASCII characters",
                          "请求号须为 1 至 128 个可打印 ASCII 字符");
        return NULL;
    }
    return m;
}
