/* request.c: the first step of every service's request handler: decode the frame within its
 * budget and check the request id (service.h, fp_request_unpack); and the last steps every
 * service's reads share: a failed database step answered, an OK reply sent. */
#include <stdio.h>

#include "db.h"
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
        snprintf(zh, sizeof zh,
                 "请求（%zu 字节）解码所需内存超过其大小的 %u 倍（条目或字段过多而内容过少），请精简后重发", len,
                 FP_DECODE_FACTOR);
        fp_request_refuse(req, "", "request.too_complex", en, zh);
        return NULL;
    }
    if (!m) {
        snprintf(en, sizeof en, "the frame is not a %s", d->name);
        snprintf(zh, sizeof zh, "无法解析的请求 (应为 %s)", d->name);
        fp_request_refuse(req, "", "request.malformed", en, zh);
        return NULL;
    }
    if (!fp_request_id_valid(fp_pb_request_id(m))) {
        protobuf_c_message_free_unpacked(m, NULL);
        fp_request_refuse(req, "", "request.id", "the request id must be 1 to 128 printable ASCII characters",
                          "请求号须为 1 至 128 个可打印 ASCII 字符");
        return NULL;
    }
    return m;
}

bool fp_request_db_failed(fp_request_t *req, const char *request_id, PGresult *res, const char *what)
{
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK) return false;
    if (!res) {
        fp_request_refuse(req, request_id, "db.unavailable", "the database is not reachable; retry",
                          "数据库暂不可用，请重试");
        return true;
    }
    fp_log_error(what, "error", fp_db_errmsg(res));
    fp_request_refuse(req, request_id, "db.failed", "the query failed", "查询失败");
    return true;
}

/* Field number n of m when it has type t (and, for a message, descriptor md); NULL otherwise. */
static void *s_field(ProtobufCMessage *m, unsigned n, ProtobufCType t, const ProtobufCMessageDescriptor *md)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(m->descriptor, n);
    if (!f || f->type != t || f->label == PROTOBUF_C_LABEL_REPEATED || (md && f->descriptor != md)) return NULL;
    return (char *)m + f->offset;
}

void fp_request_reply_ok(fp_request_t *req, ProtobufCMessage *out, const char *request_id, const char *msg_zh)
{
    char **rid = s_field(out, 1, PROTOBUF_C_TYPE_STRING, NULL);
    Fangpin__V1__Status **status = s_field(out, 2, PROTOBUF_C_TYPE_MESSAGE, &fangpin__v1__status__descriptor);
    if (!rid || !status) { /* not an XReply: a programming error, answered rather than sent wrong */
        fp_log_error("a reply without request_id and status", "type", out->descriptor->name);
        fp_request_refuse(req, request_id, "internal.error", "the reply could not be made", "无法生成应答");
        return;
    }
    Fangpin__V1__Status st = FANGPIN__V1__STATUS__INIT;
    st.code = FANGPIN__V1__CODE__OK;
    st.message = (char *)"ok";
    st.message_zh = (char *)(msg_zh ? msg_zh : "");
    *rid = (char *)request_id;
    *status = &st;
    fp_request_reply(req, out, FANGPIN__V1__CODE__OK);
    *status = NULL;
}
