/* cert.h: CURVE key pairs in the ZeroMQ certificate format (ZPL text, as CZMQ's zcert and
 * pyzmq's zmq.auth read and write): NAME.key holds the public key, NAME.key_secret both. */
#ifndef FP_CERT_H
#define FP_CERT_H
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

typedef struct fp_cert {
    char public_key[41]; /* Z85, 40 characters */
    char secret_key[41]; /* "" when the file had none */
    char name[64];       /* metadata name, may be "" */
} fp_cert_t;

/* Parses certificate text (need not be NUL-terminated). FP_EINVAL when no valid public key. */
fp_err_t fp_cert_parse(const char *text, size_t len, fp_cert_t *out);
/* Reads and parses a file (at most 64 KiB). */
fp_err_t fp_cert_load(const char *path, fp_cert_t *out);
/* Makes a new key pair (libzmq built with CURVE). */
fp_err_t fp_cert_generate(const char *name, fp_cert_t *out);
/* Writes DIR/NAME.key (0644) and DIR/NAME.key_secret (0600). */
fp_err_t fp_cert_save(const fp_cert_t *cert, const char *dir, const char *name);
/* A valid Z85 CURVE key: 40 characters of the Z85 alphabet. */
bool fp_z85_key_valid(const char *s);

#endif
