/* ops.c: the dispatch of a request through its service's operation table (ops.h), once for
 * every service: decode, the operation, who calls, the database, then the handler. */
#include "ops.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "pbdecode.h"
#include "service.h"

unsigned fp_caller_of(const fp_principal_t *p)
{
    static const struct {
        const char *level;
        unsigned bit;
    } s_levels[] = {{"village", FP_CALL_VILLAGE},
                    {"township", FP_CALL_TOWNSHIP},
                    {"county", FP_CALL_COUNTY},
                    {"prefecture", FP_CALL_PREFECTURE},
                    {"province", FP_CALL_PROVINCE}};
    if (!strcmp(p->kind, "admin")) return FP_CALL_ADMIN;
    if (!strcmp(p->kind, "department")) return FP_CALL_DEPARTMENT;
    if (!strcmp(p->kind, "gateway")) return FP_CALL_GATEWAY;
    if (strcmp(p->kind, "actor") != 0 || !p->region[0]) return 0;
    for (size_t i = 0; i < sizeof s_levels / sizeof s_levels[0]; i++)
        if (!strcmp(p->level, s_levels[i].level)) return s_levels[i].bit;
    return 0;
}

/* The set member of the message's first oneof (its field number), 0 when none is set. */
static unsigned s_oneof_case(const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++)
        if (d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
            return *(const uint32_t *)((const char *)m + d->fields[i].quantifier_offset);
    return 0;
}

static const fp_op_t *s_op_of(const fp_service_def_t *def, unsigned op)
{
    for (const fp_op_t *o = def->ops; op && o->name; o++)
        if (o->op == op) return o;
    return NULL;
}

/* NULL when the caller is admitted; else the row's refusal (code, words). */
static const char *s_refusal(const fp_op_t *o, const fp_principal_t *p, const char **en, const char **zh)
{
    unsigned who = fp_caller_of(p);
    if (o->callers == FP_CALL_ANY || (who & o->callers)) return NULL;
    *en = o->forbidden_en;
    *zh = o->forbidden_zh;
    if (o->forbidden) return o->forbidden;
    return (who & FP_CALL_ACTORS) && (o->callers & FP_CALL_ACTORS) ? "caller.level" : "caller.kind";
}

void fp_ops_dispatch(fp_service_t *svc, fp_request_t *req, const uint8_t *data, size_t len)
{
    const fp_service_def_t *def = fp_service_def(svc);
    ProtobufCMessage *m = fp_request_unpack(req, def->request_type, data, len);
    if (!m) return;
    const char *rid = fp_pb_request_id(m), *en = NULL, *zh = NULL, *why = NULL;
    const fp_op_t *o = s_op_of(def, s_oneof_case(m));
    if (!o) {
        why = "request.unknown_operation";
    } else {
        fp_request_set_op(req, o->name);
        why = s_refusal(o, fp_request_principal(req), &en, &zh);
        if (!why && o->needs_db && (!fp_service_db_ready(svc) || (def->db_ready && !def->db_ready(svc, def->arg))))
            why = "db.unavailable";
    }
    if (why) {
        fp_request_refuse(req, rid, why, en, zh);
        protobuf_c_message_free_unpacked(m, NULL);
        return;
    }
    o->handler(svc, req, m, def->arg); /* takes m */
}

/* Field name of m when it is a singular message field; NULL otherwise. */
static const ProtobufCFieldDescriptor *s_message_field(const ProtobufCMessageDescriptor *d, const char *name)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, name);
    return f && f->type == PROTOBUF_C_TYPE_MESSAGE && f->label != PROTOBUF_C_LABEL_REPEATED ? f : NULL;
}

void fp_op_ping(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *msg, void *arg)
{
    (void)arg;
    const fp_service_def_t *def = fp_service_def(svc);
    const ProtobufCFieldDescriptor *in = s_message_field(msg->descriptor, "ping");
    const ProtobufCFieldDescriptor *out_f = s_message_field(def->reply_type, "pong");
    const Fangpin__V1__Ping *ping = in ? *(Fangpin__V1__Ping *const *)((const char *)msg + in->offset) : NULL;
    ProtobufCMessage *out = fp_calloc(1, def->reply_type->sizeof_message);
    protobuf_c_message_init(def->reply_type, out);
    Fangpin__V1__Pong pong = FANGPIN__V1__PONG__INIT;
    fp_request_fill_pong(svc, req, ping ? ping->note : "", &pong);
    if (out_f) {
        *(Fangpin__V1__Pong **)((char *)out + out_f->offset) = &pong;
        if (out_f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
            *(uint32_t *)((char *)out + out_f->quantifier_offset) = out_f->id;
        fp_request_reply_ok(req, out, fp_pb_request_id(msg), NULL);
    } else { /* a reply type without pong: a programming error, answered rather than sent wrong */
        fp_log_error("a reply type without pong", "type", def->reply_type->name);
        fp_request_refuse(req, fp_pb_request_id(msg), "internal.error", NULL, NULL);
    }
    free(out);
    protobuf_c_message_free_unpacked(msg, NULL);
}
