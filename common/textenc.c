/* textenc.c: UTF-8 validation (a strict table-free decoder with an ASCII fast path) and the
 * UTF-8-or-GB18030 decision of textenc.h, for text in memory or read in pieces. GB18030
 * decoding is glibc's iconv, growing the output as needed; a character cut off by the end of a
 * piece is left for the next piece. */
#include "textenc.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t fp_utf8_valid_prefix(const char *str, size_t len, bool *bad)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    *bad = false;
    while (i < len) {
        /* eight ASCII bytes at a time */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & UINT64_C(0x8080808080808080)) break;
            i += 8;
        }
        if (i == len) break;
        unsigned char b = s[i];
        if (b < 0x80) {
            i++;
            continue;
        }
        size_t k;
        unsigned char lo = 0x80, hi = 0xBF; /* bounds of the second byte */
        if (b >= 0xC2 && b <= 0xDF) {
            k = 1;
        } else if (b >= 0xE0 && b <= 0xEF) {
            k = 2;
            if (b == 0xE0) lo = 0xA0;      /* overlong */
            else if (b == 0xED) hi = 0x9F; /* surrogates */
        } else if (b >= 0xF0 && b <= 0xF4) {
            k = 3;
            if (b == 0xF0) lo = 0x90;      /* overlong */
            else if (b == 0xF4) hi = 0x8F; /* above U+10FFFF */
        } else {
            *bad = true;
            return i;
        }
        for (size_t j = 1; j <= k && i + j < len; j++)
            if (j == 1 ? s[i + 1] < lo || s[i + 1] > hi : (s[i + j] & 0xC0) != 0x80) {
                *bad = true;
                return i;
            }
        if (len - i <= k) return i; /* cut off by the end: complete it with what follows */
        i += k + 1;
    }
    return i;
}

bool fp_utf8_valid(const char *str, size_t len)
{
    bool bad;
    return fp_utf8_valid_prefix(str, len, &bad) == len;
}

struct fp_gb_dec {
    iconv_t cd;
};

fp_gb_dec_t *fp_gb_dec_new(void)
{
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1) return NULL;
    fp_gb_dec_t *d = fp_calloc(1, sizeof *d);
    d->cd = cd;
    return d;
}

void fp_gb_dec_free(fp_gb_dec_t **d)
{
    if (!*d) return;
    iconv_close((*d)->cd);
    free(*d);
    *d = NULL;
}

fp_err_t fp_gb_dec_piece(fp_gb_dec_t *d, const char *in, size_t len, size_t *used, fp_buf_t *out)
{
    size_t start = out->len;
    /* Chinese is 2 bytes in GBK and 3 in UTF-8; ASCII is 1 in both. */
    fp_buf_reserve(out, len + len / 2 + 16);
    char *src = (char *)in;
    size_t left = len;
    fp_err_t rc = FP_OK;
    while (left) {
        char *dst = out->data + out->len;
        size_t room = out->cap - out->len - 1; /* keep one byte for the NUL */
        size_t room0 = room;
        size_t r = iconv(d->cd, &src, &left, &dst, &room);
        int e = errno;
        out->len += room0 - room;
        if (r != (size_t)-1) continue;
        if (e == E2BIG) {
            fp_buf_reserve(out, left * 2 + 16);
            continue;
        }
        if (e == EINVAL) break; /* a character cut off by the end: the next piece's */
        rc = FP_EINVAL;         /* EILSEQ: not GB18030 */
        break;
    }
    *used = len - left;
    if (rc != FP_OK) out->len = start;
    if (out->data) out->data[out->len] = '\0';
    return rc;
}

/* Decodes GB18030 into out; FP_EINVAL on an invalid or truncated sequence. */
static fp_err_t s_gb18030(const char *in, size_t len, fp_buf_t *out)
{
    fp_gb_dec_t *d = fp_gb_dec_new();
    if (!d) return FP_EIO;
    size_t start = out->len, used;
    fp_err_t rc = fp_gb_dec_piece(d, in, len, &used, out);
    if (rc == FP_OK && used != len) rc = FP_EINVAL;
    if (rc != FP_OK) out->len = start;
    if (out->data) out->data[out->len] = '\0';
    fp_gb_dec_free(&d);
    return rc;
}

fp_err_t fp_text_to_utf8(const char *in, size_t len, fp_buf_t *out, const char **encoding)
{
    static const char bom[3] = {'\xEF', '\xBB', '\xBF'};
    if (len >= 3 && memcmp(in, bom, 3) == 0) {
        in += 3;
        len -= 3;
    }
    if (fp_utf8_valid(in, len)) {
        fp_buf_append(out, in, len);
        if (encoding) *encoding = "utf-8";
        return FP_OK;
    }
    fp_err_t rc = s_gb18030(in, len, out);
    if (rc == FP_OK && encoding) *encoding = "gbk";
    return rc;
}

/* Length of the white space at s[0..n) from the start: ASCII space, tab, CR, LF, U+00A0, U+3000
 * (the ideographic space a clerk types in a Chinese cell) and U+FEFF (a byte-order mark). */
size_t fp_ws_lead(const char *s, size_t n)
{
    size_t i = 0;
    for (;;) {
        if (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) i++;
        else if (i + 1 < n && !memcmp(s + i, "\xC2\xA0", 2)) i += 2;
        else if (i + 2 < n && !memcmp(s + i, "\xE3\x80\x80", 3)) i += 3;
        else if (i + 2 < n && !memcmp(s + i, "\xEF\xBB\xBF", 3)) i += 3;
        else return i;
    }
}

/* The same white space at the end of s[0..n): its length. */
size_t fp_ws_trail(const char *s, size_t n)
{
    size_t i = n;
    for (;;) {
        if (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t' || s[i - 1] == '\r' || s[i - 1] == '\n')) i--;
        else if (i >= 2 && !memcmp(s + i - 2, "\xC2\xA0", 2)) i -= 2;
        else if (i >= 3 && !memcmp(s + i - 3, "\xE3\x80\x80", 3)) i -= 3;
        else if (i >= 3 && !memcmp(s + i - 3, "\xEF\xBB\xBF", 3)) i -= 3;
        else return n - i;
    }
}

size_t fp_utf8_next(const unsigned char *p, size_t n, uint32_t *cp)
{
    unsigned c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c < 0xC2) return 0; /* continuation byte, or overlong 2-byte lead */
    if (c < 0xE0) {
        if (n < 2 || (p[1] & 0xC0) != 0x80) return 0;
        *cp = ((uint32_t)(c & 0x1F) << 6) | (p[1] & 0x3F);
        return 2;
    }
    if (c < 0xF0) {
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        if (n < 3 || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80) return 0;
        *cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        return 3;
    }
    if (c < 0xF5) {
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        if (n < 4 || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
        *cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) | ((uint32_t)(p[2] & 0x3F) << 6) |
            (p[3] & 0x3F);
        return 4;
    }
    return 0;
}
