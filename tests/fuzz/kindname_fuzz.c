/* kindname_fuzz.c: libFuzzer target for a lead kind as people write it (domain/kindname.c).
 * The input is two texts split at its first NUL. Invariants: a normalised text is valid UTF-8
 * with no ASCII space, punctuation or capital, fits its buffer, and normalises to itself; a
 * text that is not UTF-8 is refused with ""; the characters two texts share are symmetric and
 * no more than either has; a text matches the keys made from it; the closest kinds are
 * distinct and eligible. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kindname.h"
#include "textenc.h"

static void s_check_norm(const char *s, char *out, size_t cap)
{
    bool ok = fp_kind_norm(s, out, cap);
    size_t len = strlen(out);
    if (len >= cap) abort();
    if (!ok) {
        if (len != 0) abort();
        return;
    }
    if (!fp_utf8_valid(out, len)) abort();
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)out[i];
        if (c < 0x80 &&
            !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c < 0x09 || (c > 0x0D && c < 0x20) || c == 0x7F))
            abort();
    }
    char again[FP_KIND_NORM_MAX];
    if (!fp_kind_norm(out, again, sizeof again) || strcmp(again, out) != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char *buf = malloc(size + 2);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = buf[size + 1] = '\0';
    const char *a = buf, *b = buf + strlen(buf) + 1;
    if (b > buf + size) b = buf + size + 1; /* no NUL: b is "" */
    if (!fp_utf8_valid(a, strlen(a))) {
        char out[FP_KIND_NORM_MAX];
        if (fp_kind_norm(a, out, sizeof out) || out[0]) abort();
    }
    fp_kind_key_t keys[2];
    s_check_norm(a, keys[0].norm, sizeof keys[0].norm);
    s_check_norm(b, keys[1].norm, sizeof keys[1].norm);
    char tiny[5];
    s_check_norm(a, tiny, sizeof tiny);
    keys[0].kind = 0, keys[0].via = FP_KIND_VIA_NAME;
    keys[1].kind = 1, keys[1].via = FP_KIND_VIA_ALIAS;
    size_t sab = fp_kind_shared(keys[0].norm, keys[1].norm), sba = fp_kind_shared(keys[1].norm, keys[0].norm);
    if (sab != sba || sab > strlen(keys[0].norm) || sab > strlen(keys[1].norm)) abort();
    size_t k = 9;
    if (keys[0].norm[0] && (fp_kind_match(keys, 2, keys[0].norm, &k) != FP_KIND_ONE || k != 0)) abort();
    bool eligible[2] = {true, size > 0 && (data[0] & 1) != 0};
    size_t out[3];
    size_t n = fp_kind_closest(keys, 2, eligible, 2, keys[0].norm, out, 3);
    if (n > 2 || (n == 2 && out[0] == out[1])) abort();
    for (size_t i = 0; i < n; i++)
        if (out[i] > 1 || !eligible[out[i]]) abort();
    free(buf);
    return 0;
}
