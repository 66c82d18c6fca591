/* http_fuzz.c: libFuzzer target for the HTTP request layer: arbitrary bytes go through the same
 * http-parser settings, callbacks, limits and reply/stream paths as a real connection (see
 * fp_http_parse_for_fuzz in common/http.c), split into reads by the first byte. */
#include <stddef.h>
#include <stdint.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fp_http_parse_for_fuzz(data, size);
    return 0;
}
