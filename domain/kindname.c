/* kindname.c: a lead kind given by code, Chinese name or alias: the normalisation, the match and
 * the closest kinds for a refusal (kindname.h). Pure. */
#include "kindname.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "textenc.h"

/* White space: removed. */
static bool s_space(uint32_t cp)
{
    return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200B) || cp == 0x3000 ||
        cp == 0xFEFF;
}

/* Punctuation: removed (after the full-width forms became ASCII). */
static bool s_punct(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60) ||
            (cp >= 0x7B && cp <= 0x7E);
    return cp == 0xB7 || (cp >= 0x2010 && cp <= 0x2027) || (cp >= 0x3001 && cp <= 0x3003) ||
        (cp >= 0x3008 && cp <= 0x3011) || (cp >= 0x3014 && cp <= 0x301F) || cp == 0x30FB;
}

/* Appends the UTF-8 form of cp at out[*len], if it and a NUL fit in cap. */
static bool s_put(char *out, size_t cap, size_t *len, uint32_t cp)
{
    unsigned char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    if (*len + n + 1 > cap) return false;
    memcpy(out + *len, b, n);
    *len += n;
    return true;
}

bool fp_kind_norm(const char *s, char *out, size_t cap)
{
    if (!out || cap == 0) return false;
    out[0] = '\0';
    if (!s) return false;
    const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
    size_t len = 0;
    bool ok = true;
    while (ok && p < end) {
        uint32_t cp;
        size_t k = fp_utf8_next(p, (size_t)(end - p), &cp);
        if (k == 0) break;
        p += k;
        if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0;
        if (s_space(cp) || s_punct(cp)) continue;
        if (cp >= 'A' && cp <= 'Z') cp += 'a' - 'A';
        ok = s_put(out, cap, &len, cp);
    }
    if (!ok || p < end) { /* not UTF-8, or too long */
        out[0] = '\0';
        return false;
    }
    out[len] = '\0';
    return true;
}

fp_kind_match_t fp_kind_match(const fp_kind_key_t *keys, size_t nkeys, const char *norm, size_t *kind)
{
    if (!keys || !norm || !*norm) return FP_KIND_NONE;
    int best_via = -1;
    size_t found = 0;
    bool several = false;
    for (size_t i = 0; i < nkeys; i++) {
        if (strcmp(keys[i].norm, norm) != 0) continue;
        int via = (int)keys[i].via;
        if (best_via < 0 || via < best_via) {
            best_via = via;
            found = keys[i].kind;
            several = false;
        } else if (via == best_via && keys[i].kind != found) {
            several = true;
        }
    }
    if (best_via < 0) return FP_KIND_NONE;
    if (several) return FP_KIND_AMBIGUOUS;
    if (kind) *kind = found;
    return FP_KIND_ONE;
}

/* The code points of a normalised text, sorted; how many (at most FP_KIND_NORM_MAX). */
static int s_cmp_cp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static size_t s_cps(const char *s, uint32_t out[FP_KIND_NORM_MAX])
{
    if (!s) return 0;
    const unsigned char *p = (const unsigned char *)s, *end = p + strnlen(s, FP_KIND_NORM_MAX);
    size_t n = 0;
    while (p < end && n < FP_KIND_NORM_MAX) {
        size_t k = fp_utf8_next(p, (size_t)(end - p), &out[n]);
        if (k == 0) return 0;
        p += k;
        n++;
    }
    qsort(out, n, sizeof *out, s_cmp_cp);
    return n;
}

size_t fp_kind_shared(const char *a, const char *b)
{
    uint32_t x[FP_KIND_NORM_MAX], y[FP_KIND_NORM_MAX];
    size_t nx = s_cps(a, x), ny = s_cps(b, y), i = 0, j = 0, shared = 0;
    while (i < nx && j < ny) {
        if (x[i] == y[j]) {
            shared++;
            i++;
            j++;
        } else if (x[i] < y[j]) {
            i++;
        } else {
            j++;
        }
    }
    return shared;
}

size_t fp_kind_closest(const fp_kind_key_t *keys, size_t nkeys, const bool *eligible, size_t nkinds, const char *norm,
                       size_t *out, size_t max)
{
    if (!keys || !eligible || !norm || !out || max == 0 || nkinds == 0) return 0;
    size_t *score = calloc(nkinds, sizeof *score);
    if (!score) return 0;
    for (size_t i = 0; i < nkeys; i++) {
        size_t k = keys[i].kind;
        if (k >= nkinds || !eligible[k]) continue;
        size_t s = fp_kind_shared(norm, keys[i].norm);
        if (s > score[k]) score[k] = s;
    }
    size_t n = 0;
    while (n < max) { /* max is small (3): pick the best left each time */
        size_t best = nkinds;
        for (size_t k = 0; k < nkinds; k++)
            if (score[k] > 0 && (best == nkinds || score[k] > score[best])) best = k;
        if (best == nkinds) break;
        out[n++] = best;
        score[best] = 0;
    }
    free(score);
    return n;
}
