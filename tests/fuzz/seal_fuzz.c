/* seal_fuzz.c: the data-key file reader on arbitrary bytes. Invariant: whatever it accepts is
 * a usable key: a number sealed with it opens to the same number, and the same bytes parse to
 * the same key (same check value). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fp_seal_t *s = NULL, *again = NULL;
    const char *why = NULL;
    if (fp_seal_parse((const char *)data, size, &s, &why) != FP_OK) {
        if (s || !why) abort();
        return 0;
    }
    uint8_t x[FP_SEAL_SEALED_LEN];
    char out[FP_SEAL_ID_LEN + 1];
    fp_seal_seal(s, "13082219800101001X", x);
    if (fp_seal_open(s, x, sizeof x, out) != 0 || strcmp(out, "13082219800101001X") != 0) abort();
    if (fp_seal_parse((const char *)data, size, &again, &why) != FP_OK) abort();
    char c1[FP_SEAL_CHECK_HEX], c2[FP_SEAL_CHECK_HEX];
    fp_seal_check_value(s, c1);
    fp_seal_check_value(again, c2);
    if (strcmp(c1, c2) != 0) abort();
    fp_seal_free(&s);
    fp_seal_free(&again);
    return 0;
}
