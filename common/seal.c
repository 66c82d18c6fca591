/* seal.c: ID numbers at rest (see seal.h). */
#include "seal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "idcard.h"

#define S_MAGIC "fangpin-data-key v1"
#define S_KDF_CTX "fpidseal" /* crypto_kdf contexts are 8 bytes */
enum { S_SUB_HMAC = 1, S_SUB_AEAD = 2, S_SUB_CHECK = 3 };
static const uint8_t s_ad[] = "fangpin id number v1";

struct fp_seal {
    /* HMAC-SHA-256 initialised with the matching key (its pads hashed): each fp_seal_hmac copies
     * it, so a number costs two SHA-256 compressions, not four. The key itself is not kept. */
    crypto_auth_hmacsha256_state hmac;
    uint8_t aead_key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
    uint8_t check[16];
};

fp_seal_t *fp_seal_from_bytes(const uint8_t key[32])
{
    if (sodium_init() < 0) abort(); /* no usable randomness: nothing can be sealed safely */
    fp_seal_t *s = fp_new(fp_seal_t);
    uint8_t sub[32];
    crypto_kdf_derive_from_key(sub, crypto_auth_hmacsha256_KEYBYTES, S_SUB_HMAC, S_KDF_CTX, key);
    crypto_auth_hmacsha256_init(&s->hmac, sub, crypto_auth_hmacsha256_KEYBYTES);
    crypto_kdf_derive_from_key(s->aead_key, sizeof s->aead_key, S_SUB_AEAD, S_KDF_CTX, key);
    crypto_kdf_derive_from_key(sub, sizeof sub, S_SUB_CHECK, S_KDF_CTX, key);
    crypto_generichash(s->check, sizeof s->check, sub, sizeof sub, NULL, 0);
    sodium_memzero(sub, sizeof sub);
    return s;
}

void fp_seal_free(fp_seal_t **s)
{
    if (!s || !*s) return;
    sodium_memzero(*s, sizeof **s); /* the keys and the HMAC's state */
    free(*s);
    *s = NULL;
}

static fp_err_t s_err(char *errbuf, size_t errlen, fp_err_t e, const char *path, const char *what)
{
    snprintf(errbuf, errlen, "data key %s: %s", path, what);
    return e;
}

fp_err_t fp_seal_load(const char *path, fp_seal_t **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return s_err(errbuf, errlen, FP_EIO, path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return s_err(errbuf, errlen, FP_EIO, path, "not a regular file");
    }
    if (st.st_mode & 077) {
        close(fd);
        return s_err(errbuf, errlen, FP_EFORBIDDEN, path,
                     "readable by group or others; make it mode 0600 (chmod 600) and keep it secret");
    }
    char text[256];
    ssize_t n = read(fd, text, sizeof text);
    close(fd);
    if (n < 0) return s_err(errbuf, errlen, FP_EIO, path, strerror(errno));
    const char *why = NULL;
    fp_err_t e = fp_seal_parse(text, (size_t)n, out, &why);
    sodium_memzero(text, sizeof text);
    return e == FP_OK ? FP_OK : s_err(errbuf, errlen, e, path, why);
}

fp_err_t fp_seal_parse(const char *text, size_t len, fp_seal_t **out, const char **why)
{
    *out = NULL;
    size_t m = strlen(S_MAGIC);
    if (len < m + 1 || memcmp(text, S_MAGIC, m) != 0 || text[m] != '\n') {
        *why = "not a fangpin data key (first line: " S_MAGIC ")";
        return FP_EINVAL;
    }
    const char *hex = text + m + 1;
    size_t hexlen = len - m - 1;
    if (hexlen > 0 && hex[hexlen - 1] == '\n') hexlen--;
    uint8_t key[32];
    size_t bin_len = 0;
    const char *end = NULL;
    if (hexlen != 64 || sodium_hex2bin(key, sizeof key, hex, hexlen, NULL, &bin_len, &end) != 0 ||
        bin_len != sizeof key || end != hex + hexlen) {
        sodium_memzero(key, sizeof key);
        *why = "the second line must be 64 hex digits, and nothing after it";
        return FP_EINVAL;
    }
    *out = fp_seal_from_bytes(key);
    sodium_memzero(key, sizeof key);
    return FP_OK;
}

fp_err_t fp_seal_make_keyfile(const char *path, char *errbuf, size_t errlen)
{
    if (sodium_init() < 0) return s_err(errbuf, errlen, FP_EIO, path, "libsodium cannot initialise");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return s_err(errbuf, errlen, errno == EEXIST ? FP_ECONFLICT : FP_EIO, path, strerror(errno));
    uint8_t key[32];
    char text[sizeof S_MAGIC + 2 * sizeof key + 2];
    crypto_kdf_keygen(key);
    memcpy(text, S_MAGIC "\n", sizeof S_MAGIC);
    sodium_bin2hex(text + sizeof S_MAGIC, 2 * sizeof key + 1, key, sizeof key);
    size_t len = strlen(text);
    text[len++] = '\n';
    ssize_t w = write(fd, text, len);
    int sync_rc = fsync(fd);
    close(fd);
    sodium_memzero(key, sizeof key);
    sodium_memzero(text, sizeof text);
    if (w != (ssize_t)len || sync_rc != 0) {
        unlink(path);
        return s_err(errbuf, errlen, FP_EIO, path, "cannot write the key");
    }
    return FP_OK;
}

void fp_seal_default_path(char *out, size_t outsz)
{
    const char *p = getenv("FANGPIN_DATA_KEY");
    const char *dir = getenv("FANGPIN_KEYS_DIR");
    if (p && *p) snprintf(out, outsz, "%s", p);
    else snprintf(out, outsz, "%s/data.key", dir && *dir ? dir : "/var/lib/fangpin/keys");
}

void fp_seal_hmac(const fp_seal_t *s, const char id[FP_SEAL_ID_LEN], uint8_t out[FP_SEAL_HMAC_LEN])
{
    crypto_auth_hmacsha256_state st = s->hmac;
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)id, FP_SEAL_ID_LEN);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
}

void fp_seal_seal(const fp_seal_t *s, const char id[FP_SEAL_ID_LEN], uint8_t out[FP_SEAL_SEALED_LEN])
{
    uint8_t *nonce = out;
    randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, NULL,
                                               (const uint8_t *)id, FP_SEAL_ID_LEN, s_ad, sizeof s_ad - 1, NULL, nonce,
                                               s->aead_key);
}

int fp_seal_open(const fp_seal_t *s, const uint8_t *in, size_t len, char id[FP_SEAL_ID_LEN + 1])
{
    id[0] = '\0';
    if (len != FP_SEAL_SEALED_LEN) return -1;
    unsigned long long n = 0;
    const uint8_t *nonce = in;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt((uint8_t *)id, &n, NULL,
                                                   in + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                                                   len - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, s_ad,
                                                   sizeof s_ad - 1, nonce, s->aead_key) != 0 ||
        n != FP_SEAL_ID_LEN) {
        id[0] = '\0';
        return -1;
    }
    id[FP_SEAL_ID_LEN] = '\0';
    return 0;
}

void fp_seal_check_value(const fp_seal_t *s, char out[FP_SEAL_CHECK_HEX])
{
    sodium_bin2hex(out, FP_SEAL_CHECK_HEX, s->check, sizeof s->check);
}

void fp_seal_params(const fp_seal_t *s, const char id[FP_SEAL_ID_LEN], char hmac[2 + 2 * FP_SEAL_HMAC_LEN + 1],
                    char sealed[2 + 2 * FP_SEAL_SEALED_LEN + 1], char masked[24])
{
    uint8_t h[FP_SEAL_HMAC_LEN], x[FP_SEAL_SEALED_LEN];
    char num[FP_SEAL_ID_LEN + 1];
    fp_seal_hmac(s, id, h);
    fp_seal_seal(s, id, x);
    hmac[0] = sealed[0] = '\\';
    hmac[1] = sealed[1] = 'x';
    sodium_bin2hex(hmac + 2, 2 * FP_SEAL_HMAC_LEN + 1, h, sizeof h);
    sodium_bin2hex(sealed + 2, 2 * FP_SEAL_SEALED_LEN + 1, x, sizeof x);
    memcpy(num, id, FP_SEAL_ID_LEN);
    num[FP_SEAL_ID_LEN] = '\0';
    fp_idcard_mask(num, masked, 24);
    sodium_memzero(num, sizeof num);
}

void fp_seal_copy_fields(const fp_seal_t *s, const char id[FP_SEAL_ID_LEN], fp_buf_t *b)
{
    char hmac[2 + 2 * FP_SEAL_HMAC_LEN + 1], sealed[2 + 2 * FP_SEAL_SEALED_LEN + 1], masked[24];
    fp_seal_params(s, id, hmac, sealed, masked);
    /* COPY's text format unescapes a backslash: "\\x.." reaches bytea as "\x.." */
    fp_buf_printf(b, "\\%s\t\\%s\t%s", hmac, sealed, masked);
}
