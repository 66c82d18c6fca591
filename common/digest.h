/* digest.h: SHA-256 as lowercase hex (libsodium), e.g. of a bearer token, so that only its
 * digest ever reaches SQL (a statement's parameters can show in pg_stat_activity and logs). */
#ifndef FP_DIGEST_H
#define FP_DIGEST_H
#include <stddef.h>

/* out gets 64 hex digits and a NUL. */
void fp_sha256_hex(const void *data, size_t len, char out[65]);

#endif
