/* pbdecode.c: budgeted protobuf-c decoding (see pbdecode.h). The estimate follows what
 * protobuf-c 1.4's unpack allocates: the message struct; for each string len + 1; for each
 * bytes field len; for each repeated field an array of its elements; for each unknown field a
 * record and a copy of its data; and, for a message of more than 16 fields on the wire, the
 * scan records (32 bytes each) it keeps until the message is done. Every allocation is counted
 * with malloc's overhead. */
#include "pbdecode.h"

#include <stdbool.h>
#include <stdlib.h>

#define S_OVERHEAD 16      /* malloc's bookkeeping per allocation, roughly */
#define S_SCAN_RECORD 32   /* protobuf-c's ScannedMember */
#define S_SCAN_ON_STACK 16 /* its first slab of scan records lives on the stack */
#define S_MAX_DEPTH 32     /* fangpin's messages nest a few levels; deeper is an attack */

size_t fp_pb_budget(size_t len, unsigned factor) { return (size_t)factor * len + 64 * 1024; }

/* A varint at *p (at most 10 bytes, not past end); false when truncated or too long. */
static bool s_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

static size_t s_scalar_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_ENUM:
    case PROTOBUF_C_TYPE_BOOL: return 4;
    default: return 8;
    }
}

/* Elements in a packed repeated field of type t. */
static size_t s_packed_count(ProtobufCType t, const uint8_t *p, size_t len)
{
    switch (t) {
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT: return len / 4;
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE: return len / 8;
    default: {
        size_t n = 0;
        for (size_t i = 0; i < len; i++) n += !(p[i] & 0x80);
        return n;
    }
    }
}

typedef struct {
    size_t need;
    size_t limit;
} s_est_t;

static fp_pb_result_t s_walk(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len, int depth, s_est_t *e)
{
    if (depth > S_MAX_DEPTH) return FP_PB_TOO_COMPLEX;
    const uint8_t *end = p + len;
    size_t fields = 0, unknown = 0;
    e->need += d->sizeof_message + S_OVERHEAD;
    while (p < end) {
        uint64_t tag, v;
        if (!s_varint(&p, end, &tag)) return FP_PB_MALFORMED;
        uint32_t number = (uint32_t)(tag >> 3); /* as protobuf-c reads it: bits past 32 are lost */
        unsigned wire = (unsigned)(tag & 7);
        const uint8_t *val = p;
        size_t vlen = 0;
        switch (wire) {
        case 0:
            if (!s_varint(&p, end, &v)) return FP_PB_MALFORMED;
            vlen = (size_t)(p - val);
            break;
        case 1: vlen = 8; break;
        case 5: vlen = 4; break;
        case 2:
            if (!s_varint(&p, end, &v) || v > (uint64_t)(end - p)) return FP_PB_MALFORMED;
            val = p;
            vlen = (size_t)v;
            break;
        default: return FP_PB_MALFORMED; /* groups: protobuf-c refuses them too */
        }
        if (wire == 1 || wire == 5) {
            if ((size_t)(end - p) < vlen) return FP_PB_MALFORMED;
        }
        p = val + vlen;
        fields++;
        const ProtobufCFieldDescriptor *f = number ? protobuf_c_message_descriptor_get_field(d, number) : NULL;
        /* a known field in the wrong wire type is costed as unknown: protobuf-c judges it */
        if (f &&
            (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_BYTES ||
             f->type == PROTOBUF_C_TYPE_MESSAGE) &&
            wire != 2)
            f = NULL;
        if (!f) {
            unknown++;
            e->need += sizeof(ProtobufCMessageUnknownField) + vlen + S_OVERHEAD;
        } else {
            bool rep = f->label == PROTOBUF_C_LABEL_REPEATED;
            if (rep) e->need += S_OVERHEAD; /* the field's array: counted once per occurrence, an upper bound */
            switch (f->type) {
            case PROTOBUF_C_TYPE_STRING: e->need += vlen + 1 + S_OVERHEAD + (rep ? sizeof(char *) : 0); break;
            case PROTOBUF_C_TYPE_BYTES: e->need += vlen + S_OVERHEAD + (rep ? sizeof(ProtobufCBinaryData) : 0); break;
            case PROTOBUF_C_TYPE_MESSAGE: {
                e->need += rep ? sizeof(void *) : 0;
                fp_pb_result_t r = s_walk(f->descriptor, val, vlen, depth + 1, e);
                if (r != FP_PB_OK) return r;
                break;
            }
            default:
                if (rep)
                    e->need += wire == 2 ? s_packed_count(f->type, val, vlen) * s_scalar_size(f->type)
                                         : s_scalar_size(f->type);
            }
        }
        if (e->need > e->limit) return FP_PB_TOO_COMPLEX;
    }
    if (p != end) return FP_PB_MALFORMED;
    /* slabs double from 32 records: up to twice what is used */
    if (fields > S_SCAN_ON_STACK) e->need += 2 * fields * S_SCAN_RECORD + S_OVERHEAD * 32;
    if (unknown) e->need += unknown * sizeof(ProtobufCMessageUnknownField) + S_OVERHEAD;
    return e->need > e->limit ? FP_PB_TOO_COMPLEX : FP_PB_OK;
}

fp_pb_result_t fp_pb_estimate(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len, size_t limit,
                              size_t *need)
{
    s_est_t e = {0, limit};
    fp_pb_result_t r = s_walk(d, data ? data : (const uint8_t *)"", len, 0, &e);
    if (need) *need = e.need;
    return r;
}

/* --- the capped allocator ------------------------------------------------------------------- */

typedef struct {
    size_t used, budget;
    int refused;
} s_cap_t;

static void *s_cap_alloc(void *data, size_t size)
{
    s_cap_t *c = data;
    size_t cost = size + S_OVERHEAD;
    if (cost < size || cost > c->budget - c->used) {
        c->refused = 1;
        return NULL; /* protobuf-c fails the unpack cleanly and frees what it had */
    }
    c->used += cost;
    return malloc(size ? size : 1);
}

static void s_cap_free(void *data, void *p)
{
    (void)data;
    free(p); /* the budget counts what was asked for, not what is live: an upper bound */
}

ProtobufCMessage *fp_pb_unpack_capped(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len,
                                      size_t budget, fp_pb_result_t *why)
{
    s_cap_t cap = {0, budget, 0};
    ProtobufCAllocator a = {s_cap_alloc, s_cap_free, &cap};
    ProtobufCMessage *m = protobuf_c_message_unpack(d, &a, len, data ? data : (const uint8_t *)"");
    if (why) *why = m ? FP_PB_OK : cap.refused ? FP_PB_TOO_COMPLEX : FP_PB_MALFORMED;
    return m;
}

ProtobufCMessage *fp_pb_unpack(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len, size_t budget,
                               fp_pb_result_t *why)
{
    fp_pb_result_t r = fp_pb_estimate(d, data, len, budget, NULL);
    if (r != FP_PB_OK) {
        if (why) *why = r;
        return NULL;
    }
    return fp_pb_unpack_capped(d, data, len, budget, why);
}

const char *fp_pb_request_id(const ProtobufCMessage *m)
{
    const ProtobufCFieldDescriptor *f = m ? protobuf_c_message_descriptor_get_field(m->descriptor, 1) : NULL;
    if (!f || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED) return "";
    const char *s = *(const char *const *)((const char *)m + f->offset);
    return s ? s : "";
}

int fp_request_id_valid(const char *id)
{
    size_t n = 0;
    for (; id && id[n]; n++)
        if ((unsigned char)id[n] < 0x20 || (unsigned char)id[n] > 0x7e || n >= 128) return 0;
    return n >= 1;
}
