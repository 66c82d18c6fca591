/* httpauth_fuzz.c: the HTTP ports' bearer token parser (fp_httpauth_token, common/httpauth.c) on an
 * untrusted Authorization header and query string. The input is split at its first NUL: the
 * header before it (none when there is no NUL), the query after. Invariants: no crash, no read
 * past either string; an accepted token is fpt_ and 43 base64url characters, NUL-terminated in
 * out, and found verbatim in the header or the query. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 2);
    memcpy(buf, data, size);
    buf[size] = '\0';
    buf[size + 1] = '\0';
    const char *nul = memchr(buf, '\0', size);
    const char *header = nul ? buf : NULL;
    const char *query = nul ? nul + 1 : buf;
    char out[64];
    memset(out, 'x', sizeof out);
    if (fp_httpauth_token(header, query, out, sizeof out)) {
        if (strlen(out) != 47 || strncmp(out, "fpt_", 4) != 0) abort();
        if (strspn(out + 4, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != 43) abort();
        if (!strstr(header && *header ? header : query, out)) abort();
    }
    free(buf);
    return 0;
}
