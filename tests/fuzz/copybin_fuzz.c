/* copybin_fuzz.c: libFuzzer target for the binary COPY reader (common/copybin.c), read as a
 * stream the way intake reads a comparison export's rows: the header, then rows until the
 * trailer or an error. Invariants: never reads past the bytes given (ASan), every field of a
 * row read lies inside them, *used always moves forward and stays within them; a prefix of a
 * row that was read whole asks for more (FP_EAGAIN), never a row. */
#include <stdint.h>
#include <stdlib.h>

#include "copybin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t used = 0, off = 0;
    fp_copybin_row_t r;
    if (fp_copybin_header(data, size, &used) != FP_OK) return 0;
    if (used < 19 || used > size) abort();
    off = used;
    for (;;) {
        fp_err_t e = fp_copybin_row(data + off, size - off, &used, &r);
        if (e == FP_ENOTFOUND && used != 2) abort();
        if (e != FP_OK) break;
        if (used < 2 || used > size - off) abort();
        for (int i = 0; i < r.n; i++) {
            if (r.len[i] < -1) abort();
            if (r.len[i] >= 0 && (r.v[i] < data + off || r.v[i] + r.len[i] > data + off + used)) abort();
        }
        if (used > 2 && fp_copybin_row(data + off, used - 1, &(size_t){0}, &r) != FP_EAGAIN) abort();
        off += used;
    }
    return 0;
}
