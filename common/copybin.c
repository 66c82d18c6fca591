/* copybin.c: the binary COPY format, read (see copybin.h; PostgreSQL's documentation, "COPY",
 * "Binary Format"). */
#include "copybin.h"

#include <string.h>

static const uint8_t S_SIGNATURE[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0};

#define S_EXTENSION_MAX 65536u
#define S_FLAG_OIDS (1u << 16)
#define S_FLAGS_CRITICAL 0xffff0000u /* bits 16-31: a reader must refuse one it does not know */

static uint32_t s_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int16_t s_i16(const uint8_t *p) { return (int16_t)(uint16_t)((uint16_t)p[0] << 8 | p[1]); }

fp_err_t fp_copybin_header(const uint8_t *data, size_t len, size_t *used)
{
    size_t have = len < sizeof S_SIGNATURE ? len : sizeof S_SIGNATURE;
    if (memcmp(data, S_SIGNATURE, have) != 0) return FP_EINVAL;
    if (len < sizeof S_SIGNATURE + 8) return FP_EAGAIN;
    uint32_t flags = s_u32(data + 11), ext = s_u32(data + 15);
    if (flags & S_FLAG_OIDS || flags & S_FLAGS_CRITICAL) return FP_EINVAL;
    if (ext > S_EXTENSION_MAX) return FP_ETOOBIG;
    if (len - 19 < ext) return FP_EAGAIN;
    *used = 19 + (size_t)ext;
    return FP_OK;
}

fp_err_t fp_copybin_row(const uint8_t *data, size_t len, size_t *used, fp_copybin_row_t *row)
{
    if (len < 2) return FP_EAGAIN;
    int16_t n = s_i16(data);
    if (n == -1) {
        *used = 2;
        return FP_ENOTFOUND;
    }
    if (n < 0) return FP_EINVAL;
    if (n > FP_COPYBIN_MAX_FIELDS) return FP_ETOOBIG;
    size_t off = 2;
    for (int i = 0; i < n; i++) {
        if (len - off < 4) return FP_EAGAIN;
        int32_t l = (int32_t)s_u32(data + off);
        off += 4;
        if (l < -1) return FP_EINVAL;
        row->len[i] = l;
        row->v[i] = l < 0 ? NULL : data + off;
        if (l > 0 && len - off < (size_t)l) return FP_EAGAIN;
        if (l > 0) off += (size_t)l;
    }
    row->n = n;
    *used = off;
    return FP_OK;
}

void fp_copybin_feed(fp_buf_t *partial, const void *data, size_t len, fp_copybin_parse_fn parse, void *arg)
{
    if (partial->len == 0) {
        size_t used = parse(arg, data, len);
        if (used < len) fp_buf_append(partial, (const char *)data + used, len - used);
        return;
    }
    fp_buf_append(partial, data, len);
    size_t used = parse(arg, (const uint8_t *)partial->data, partial->len);
    memmove(partial->data, partial->data + used, partial->len - used);
    partial->len -= used;
}
