/* textenc_fuzz.c: libFuzzer target for UTF-8 validation and UTF-8-or-GB18030 decoding
 * (common/textenc.c). Invariants: decoded output is valid UTF-8; valid UTF-8 input comes out
 * byte for byte (less a leading BOM); a BOM put in front changes nothing; decoding is
 * deterministic; a refusal leaves the output buffer as it was; the validator agrees with a
 * plain reference decoder. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "textenc.h"

/* Reference: decode each sequence into a code point and check its range. */
static bool s_ref_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t b = s[i];
        size_t k;
        uint32_t cp, min;
        if (b < 0x80) {
            i++;
            continue;
        }
        if ((b & 0xE0) == 0xC0) k = 1, cp = b & 0x1Fu, min = 0x80;
        else if ((b & 0xF0) == 0xE0) k = 2, cp = b & 0x0Fu, min = 0x800;
        else if ((b & 0xF8) == 0xF0) k = 3, cp = b & 0x07u, min = 0x10000;
        else return false;
        if (n - i <= k) return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return false;
            cp = cp << 6 | (s[i + j] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += k + 1;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    if (fp_utf8_valid(in, size) != s_ref_valid(data, size)) abort();

    fp_buf_t out = {0}, again = {0}, bommed = {0};
    fp_buf_puts(&out, "pre");
    const char *enc = NULL, *enc2 = NULL;
    fp_err_t rc = fp_text_to_utf8(in, size, &out, &enc);
    if (rc == FP_OK) {
        if (!enc || !fp_utf8_valid(out.data + 3, out.len - 3) || memcmp(out.data, "pre", 3) != 0) abort();
        size_t skip = size >= 3 && memcmp(in, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
        bool plain = fp_utf8_valid(in + skip, size - skip);
        if (plain != (strcmp(enc, "utf-8") == 0)) abort();
        if (plain && (out.len - 3 != size - skip || memcmp(out.data + 3, in + skip, size - skip) != 0)) abort();
        if (!plain && strcmp(enc, "gbk") != 0) abort();
    } else {
        if (rc != FP_EINVAL || out.len != 3 || strcmp(out.data, "pre") != 0 || enc) abort();
    }
    /* deterministic */
    fp_err_t rc2 = fp_text_to_utf8(in, size, &again, &enc2);
    if (rc2 != rc || (rc == FP_OK && (again.len != out.len - 3 || memcmp(again.data, out.data + 3, again.len) != 0)))
        abort();
    /* a BOM in front (unless the input already starts with one) changes nothing */
    if (!(size >= 3 && memcmp(in, "\xEF\xBB\xBF", 3) == 0)) {
        uint8_t *b = malloc(size + 3);
        if (!b) abort();
        memcpy(b, "\xEF\xBB\xBF", 3);
        if (size) memcpy(b + 3, data, size);
        fp_err_t rc3 = fp_text_to_utf8((const char *)b, size + 3, &bommed, NULL);
        if (rc3 != rc || (rc == FP_OK && (bommed.len != again.len || memcmp(bommed.data, again.data, again.len) != 0)))
            abort();
        free(b);
    }
    fp_buf_free(&out);
    fp_buf_free(&again);
    fp_buf_free(&bommed);
    return 0;
}
