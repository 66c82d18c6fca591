/* textenc.c: UTF-8 validation (a strict table-free decoder with an ASCII fast path) and the
 * UTF-8-or-GB18030 decision of textenc.h. GB18030 decoding is glibc's iconv, run over the
 * whole input in one conversion, growing the output as needed. */
#include "textenc.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>

bool fp_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
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
            return false;
        }
        if (len - i <= k) return false;
        if (s[i + 1] < lo || s[i + 1] > hi) return false;
        for (size_t j = 2; j <= k; j++)
            if ((s[i + j] & 0xC0) != 0x80) return false;
        i += k + 1;
    }
    return true;
}

/* Decodes GB18030 into out; FP_EINVAL on an invalid or truncated sequence. */
static fp_err_t s_gb18030(const char *in, size_t len, fp_buf_t *out)
{
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1) return FP_EIO;
    size_t start = out->len;
    /* Chinese is 2 bytes in GBK and 3 in UTF-8; ASCII is 1 in both. */
    fp_buf_reserve(out, len + len / 2 + 16);
    char *src = (char *)in;
    size_t left = len;
    fp_err_t rc = FP_OK;
    for (;;) {
        char *dst = out->data + out->len;
        size_t room = out->cap - out->len - 1; /* keep one byte for the NUL */
        size_t room0 = room;
        size_t r = left ? iconv(cd, &src, &left, &dst, &room) : iconv(cd, NULL, NULL, &dst, &room);
        int e = errno;
        out->len += room0 - room;
        if (r != (size_t)-1) {
            if (left == 0) {
                /* flush any shift state (none for GB18030, but it costs nothing) */
                room0 = room;
                if (iconv(cd, NULL, NULL, &dst, &room) == (size_t)-1) {
                    rc = FP_EINVAL;
                    break;
                }
                out->len += room0 - room;
                break;
            }
            continue;
        }
        if (e == E2BIG) {
            fp_buf_reserve(out, left * 2 + 16);
            continue;
        }
        rc = FP_EINVAL; /* EILSEQ: not GB18030; EINVAL: cut off at the end */
        break;
    }
    iconv_close(cd);
    if (rc != FP_OK) out->len = start;
    if (out->data) out->data[out->len] = '\0';
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
