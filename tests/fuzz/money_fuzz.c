/* money_fuzz.c: libFuzzer target for yuan parsing and fen formatting. Invariants: a parsed
 * amount is within 10^13 yuan and formats and re-parses to the same value; the non-negative
 * parser agrees; any int64_t (from the input's first 8 bytes) formats to a string that parses
 * back, or is out of range exactly when it is beyond the limit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    char b[FP_MONEY_FMT_SIZE];
    int64_t v = 0, back = 0, nn = 0;
    fp_err_t rc = fp_money_parse_yuan(s, &v);
    fp_err_t nrc = fp_money_parse_yuan_nonneg(s, &nn);
    if (rc == FP_OK) {
        if (v > FP_MONEY_MAX_FEN || v < -FP_MONEY_MAX_FEN) abort();
        fp_money_format(v, b, sizeof b);
        if (fp_money_parse_yuan(b, &back) != FP_OK || back != v) abort();
        if (v >= 0 ? (nrc != FP_OK || nn != v) : nrc != FP_ERANGE) abort();
    } else if (nrc != rc) {
        abort();
    }

    if (size >= 8) {
        int64_t x;
        memcpy(&x, data, 8);
        fp_money_format(x, b, sizeof b);
        rc = fp_money_parse_yuan(b, &back);
        int in_range = x <= FP_MONEY_MAX_FEN && x >= -FP_MONEY_MAX_FEN;
        if (in_range ? (rc != FP_OK || back != x) : rc != FP_ERANGE) abort();
        char small[5];
        fp_money_format(x, small, sizeof small);
        if (strlen(small) > 4) abort();
    }
    free(s);
    return 0;
}
