/* seal.h: ID numbers at rest (libsodium). A county has one data key, a file beside its CURVE
 * keys (fangpinctl keys make writes it as data.key, mode 0600). From it come two subkeys:
 *   - a matching key: HMAC-SHA-256 of the 18-character ID number, stored as id_hmac, so that
 *     screening, duplicates and idempotency compare people without their numbers;
 *   - a sealing key: XChaCha20-Poly1305 of the number with a random nonce, stored as
 *     id_sealed, so that the number can be recovered with the key and nobody without it.
 * Beside them the masked form (fp_idcard_mask) is stored for display. The database remembers
 * the key's check value (data_key table) so that a service given another county's key, or a
 * new key, refuses to start instead of silently matching nobody. */
#ifndef FP_SEAL_H
#define FP_SEAL_H
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "mem.h"

#define FP_SEAL_ID_LEN 18
#define FP_SEAL_HMAC_LEN 32
/* nonce (24) + ciphertext (18) + tag (16) */
#define FP_SEAL_SEALED_LEN 58
/* the check value: 16 bytes as hex */
#define FP_SEAL_CHECK_HEX 33

typedef struct fp_seal fp_seal_t;

/* Reads a key file ("fangpin-data-key v1" then 64 hex digits). Errors name the path and what
 * is wrong with it; a file readable by group or others is refused (FP_EFORBIDDEN). */
fp_err_t fp_seal_load(const char *path, fp_seal_t **out, char *errbuf, size_t errlen);
/* The key file's text (len bytes, not NUL-terminated): FP_OK, or FP_EINVAL with *why set. */
fp_err_t fp_seal_parse(const char *text, size_t len, fp_seal_t **out, const char **why);
/* A key from its 32 bytes (tests of pure logic). */
fp_seal_t *fp_seal_from_bytes(const uint8_t key[32]);
void fp_seal_free(fp_seal_t **s);

/* Creates a new key file (mode 0600, refused if the path exists: FP_ECONFLICT). */
fp_err_t fp_seal_make_keyfile(const char *path, char *errbuf, size_t errlen);

/* The key file's default path: $FANGPIN_DATA_KEY, else $FANGPIN_KEYS_DIR/data.key, else
 * /var/lib/fangpin/keys/data.key. */
void fp_seal_default_path(char *out, size_t outsz);

void fp_seal_hmac(const fp_seal_t *s, const char id[FP_SEAL_ID_LEN], uint8_t out[FP_SEAL_HMAC_LEN]);
void fp_seal_seal(const fp_seal_t *s, const char id[FP_SEAL_ID_LEN], uint8_t out[FP_SEAL_SEALED_LEN]);
/* Recovers the number into id (NUL-terminated). Returns 0, or -1 when the bytes were not sealed
 * with this key or were altered. */
int fp_seal_open(const fp_seal_t *s, const uint8_t *in, size_t len, char id[FP_SEAL_ID_LEN + 1]);
/* The key's check value (not secret: derived one way from the key). */
void fp_seal_check_value(const fp_seal_t *s, char out[FP_SEAL_CHECK_HEX]);

/* Appends the three stored columns for COPY text format: "\\x<hmac>\t\\x<sealed>\t<masked>". */
void fp_seal_copy_fields(const fp_seal_t *s, const char id[FP_SEAL_ID_LEN], fp_buf_t *b);
/* The same three as text parameters: "\\x<hex>" strings bytea accepts, and the masked form. */
void fp_seal_params(const fp_seal_t *s, const char id[FP_SEAL_ID_LEN], char hmac[2 + 2 * FP_SEAL_HMAC_LEN + 1],
                    char sealed[2 + 2 * FP_SEAL_SEALED_LEN + 1], char masked[24]);

#endif
