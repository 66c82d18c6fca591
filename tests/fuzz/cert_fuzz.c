/* cert_fuzz.c: the ZeroMQ certificate reader on arbitrary text. Invariant: whatever it accepts
 * holds valid Z85 keys, and saving then re-reading that certificate gives the same keys. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fp_cert_t c;
    if (fp_cert_parse((const char *)data, size, &c) != FP_OK) return 0;
    if (!fp_z85_key_valid(c.public_key)) abort();
    if (c.secret_key[0] && !fp_z85_key_valid(c.secret_key)) abort();
    char text[512];
    int n = snprintf(text, sizeof text, "curve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n", c.public_key,
                     c.secret_key[0] ? c.secret_key : c.public_key);
    fp_cert_t again;
    if (fp_cert_parse(text, (size_t)n, &again) != FP_OK || strcmp(again.public_key, c.public_key) != 0) abort();
    return 0;
}
