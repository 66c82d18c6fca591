/* seal_test.c: ID numbers at rest (common/seal.c): a sealed number opens with its key only, and
 * not once altered; the matching value is the same for the same number and key and differs
 * otherwise, and is HMAC-SHA-256 with the key's matching subkey, byte for byte (the state
 * initialised once per key gives what the one-shot call gives); key files are parsed strictly,
 * refused when others can read them, never overwritten. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "seal.h"

static const char ID_A[] = "13082219800101001X";
static const char ID_B[] = "130822198001010029";

static fp_seal_t *s_key(uint8_t fill)
{
    uint8_t k[32];
    memset(k, fill, sizeof k);
    return fp_seal_from_bytes(k);
}

static void test_seal_opens_with_its_key_only(void **state)
{
    (void)state;
    fp_seal_t *a = s_key(1), *b = s_key(2);
    uint8_t x[FP_SEAL_SEALED_LEN], y[FP_SEAL_SEALED_LEN];
    fp_seal_seal(a, ID_A, x);
    fp_seal_seal(a, ID_A, y);
    assert_memory_not_equal(x, y, sizeof x); /* a fresh nonce each time */
    char out[FP_SEAL_ID_LEN + 1];
    assert_int_equal(fp_seal_open(a, x, sizeof x, out), 0);
    assert_string_equal(out, ID_A);
    assert_int_equal(fp_seal_open(b, x, sizeof x, out), -1);
    assert_string_equal(out, "");
    for (size_t i = 0; i < sizeof x; i++) { /* any altered byte: nonce, ciphertext or tag */
        x[i] ^= 0x40;
        assert_int_equal(fp_seal_open(a, x, sizeof x, out), -1);
        x[i] ^= 0x40;
    }
    assert_int_equal(fp_seal_open(a, x, sizeof x - 1, out), -1);
    assert_int_equal(fp_seal_open(a, x, 0, out), -1);
    assert_null(memmem(x, sizeof x, "1308221980", 10)); /* no digits of the number in clear */
    fp_seal_free(&a);
    fp_seal_free(&b);
    assert_null(a);
}

static void test_hmac_matches_same_number_same_key(void **state)
{
    (void)state;
    fp_seal_t *a = s_key(1), *a2 = s_key(1), *b = s_key(2);
    uint8_t h1[FP_SEAL_HMAC_LEN], h2[FP_SEAL_HMAC_LEN], h3[FP_SEAL_HMAC_LEN], h4[FP_SEAL_HMAC_LEN];
    fp_seal_hmac(a, ID_A, h1);
    fp_seal_hmac(a2, ID_A, h2);
    fp_seal_hmac(b, ID_A, h3);
    fp_seal_hmac(a, ID_B, h4);
    assert_memory_equal(h1, h2, sizeof h1);
    assert_memory_not_equal(h1, h3, sizeof h1);
    assert_memory_not_equal(h1, h4, sizeof h1);
    char c1[FP_SEAL_CHECK_HEX], c2[FP_SEAL_CHECK_HEX], c3[FP_SEAL_CHECK_HEX];
    fp_seal_check_value(a, c1);
    fp_seal_check_value(a2, c2);
    fp_seal_check_value(b, c3);
    assert_string_equal(c1, c2);
    assert_string_not_equal(c1, c3);
    assert_int_equal(strlen(c1), 32);
    fp_seal_free(&a);
    fp_seal_free(&a2);
    fp_seal_free(&b);
}

/* fp_seal_hmac keeps the HMAC's state initialised with the key and copies it per number: the
 * result must be libsodium's one-shot HMAC-SHA-256 with the matching subkey (crypto_kdf subkey 1 of
 * context "fpidseal"), for any key and number, and the same for a number asked again. */
static void test_hmac_is_one_shot_hmac(void **state)
{
    (void)state;
    uint8_t keys[4][32];
    memset(keys[0], 1, 32);
    memset(keys[1], 0, 32);
    memset(keys[2], 0xff, 32);
    randombytes_buf(keys[3], 32);
    static const char *const fixed[] = {ID_A, ID_B, "000000000000000000", "99999999999999999X", "11010519491231002X"};
    for (size_t k = 0; k < 4; k++) {
        fp_seal_t *s = fp_seal_from_bytes(keys[k]);
        uint8_t sub[crypto_auth_hmacsha256_KEYBYTES];
        crypto_kdf_derive_from_key(sub, sizeof sub, 1, "fpidseal", keys[k]);
        for (size_t i = 0; i < 5 + 200; i++) {
            char id[FP_SEAL_ID_LEN + 1];
            if (i < 5) {
                memcpy(id, fixed[i], sizeof id);
            } else {
                for (size_t j = 0; j < FP_SEAL_ID_LEN; j++) id[j] = (char)('0' + randombytes_uniform(10));
                if (i % 11 == 0) id[17] = 'X';
            }
            uint8_t got[FP_SEAL_HMAC_LEN], again[FP_SEAL_HMAC_LEN], want[crypto_auth_hmacsha256_BYTES];
            fp_seal_hmac(s, id, got);
            fp_seal_hmac(s, id, again);
            crypto_auth_hmacsha256(want, (const uint8_t *)id, FP_SEAL_ID_LEN, sub);
            assert_memory_equal(got, want, sizeof got);
            assert_memory_equal(again, want, sizeof got);
        }
        sodium_memzero(sub, sizeof sub);
        fp_seal_free(&s);
    }
    /* the value stored by every build so far: a key of 32 bytes 0x01, ID_A */
    fp_seal_t *s = fp_seal_from_bytes(keys[0]);
    uint8_t h[FP_SEAL_HMAC_LEN];
    char hex[2 * FP_SEAL_HMAC_LEN + 1];
    fp_seal_hmac(s, ID_A, h);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    assert_string_equal(hex, "855afa9e7c13f40eda6a48eb2123d5a28d05cb1fc3e1d7e0f03dc6c6c992ec83");
    fp_seal_free(&s);
}

static void test_copy_fields(void **state)
{
    (void)state;
    fp_seal_t *a = s_key(7);
    fp_buf_t b = {0};
    fp_seal_copy_fields(a, ID_A, &b);
    /* \\x + 64 hex, tab, \\x + 116 hex, tab, the masked number */
    assert_int_equal(b.len, 3 + 64 + 1 + 3 + 116 + 1 + 18);
    assert_memory_equal(b.data, "\\\\x", 3);
    assert_string_equal(b.data + b.len - 18, "1308**********001X");
    assert_null(strstr(b.data, "1980"));
    fp_buf_free(&b);
    fp_seal_free(&a);
}

static void s_refused(const char *text, size_t len)
{
    fp_seal_t *s = (fp_seal_t *)1;
    const char *why = NULL;
    assert_int_equal(fp_seal_parse(text, len, &s, &why), FP_EINVAL);
    assert_null(s);
    assert_non_null(why);
}

static void test_parse_is_strict(void **state)
{
    (void)state;
    static const char hex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    char good[128];
    snprintf(good, sizeof good, "fangpin-data-key v1\n%s\n", hex);
    fp_seal_t *s = NULL;
    const char *why = NULL;
    assert_int_equal(fp_seal_parse(good, strlen(good), &s, &why), FP_OK);
    uint8_t raw[32];
    for (int i = 0; i < 32; i++) raw[i] = (uint8_t)i;
    fp_seal_t *same = fp_seal_from_bytes(raw);
    char c1[FP_SEAL_CHECK_HEX], c2[FP_SEAL_CHECK_HEX];
    fp_seal_check_value(s, c1);
    fp_seal_check_value(same, c2);
    assert_string_equal(c1, c2);
    fp_seal_free(&s);
    fp_seal_free(&same);
    assert_int_equal(fp_seal_parse(good, strlen(good) - 1, &s, &why), FP_OK); /* no final newline */
    fp_seal_free(&s);
    s_refused("", 0);
    s_refused(good, 19);               /* the first line only */
    s_refused(good, strlen(good) - 2); /* 63 hex digits */
    good[25] = 'g';
    s_refused(good, strlen(good)); /* not hex */
    snprintf(good, sizeof good, "fangpin-data-key v2\n%s\n", hex);
    s_refused(good, strlen(good));
    snprintf(good, sizeof good, "fangpin-data-key v1\n%s\nmore\n", hex);
    s_refused(good, strlen(good));
    snprintf(good, sizeof good, "fangpin-data-key v1\n%s00\n", hex);
    s_refused(good, strlen(good));
}

static void test_key_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/fp-seal-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], err[512];
    snprintf(path, sizeof path, "%s/data.key", dir);
    assert_int_equal(fp_seal_make_keyfile(path, err, sizeof err), FP_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    fp_seal_t *s = NULL;
    assert_int_equal(fp_seal_load(path, &s, err, sizeof err), FP_OK);
    char before[FP_SEAL_CHECK_HEX];
    fp_seal_check_value(s, before);
    fp_seal_free(&s);
    /* never overwritten */
    assert_int_equal(fp_seal_make_keyfile(path, err, sizeof err), FP_ECONFLICT);
    assert_int_equal(fp_seal_load(path, &s, err, sizeof err), FP_OK);
    char after[FP_SEAL_CHECK_HEX];
    fp_seal_check_value(s, after);
    assert_string_equal(before, after);
    fp_seal_free(&s);
    /* readable by others: refused, and the message says what to do */
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(fp_seal_load(path, &s, err, sizeof err), FP_EFORBIDDEN);
    assert_null(s);
    assert_non_null(strstr(err, "chmod 600"));
    assert_int_equal(unlink(path), 0);
    assert_int_equal(fp_seal_load(path, &s, err, sizeof err), FP_EIO);
    assert_non_null(strstr(err, path));
    assert_int_equal(fp_seal_load(dir, &s, err, sizeof err), FP_EIO); /* a folder */
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_opens_with_its_key_only),
        cmocka_unit_test(test_hmac_matches_same_number_same_key),
        cmocka_unit_test(test_hmac_is_one_shot_hmac),
        cmocka_unit_test(test_copy_fields),
        cmocka_unit_test(test_parse_is_strict),
        cmocka_unit_test(test_key_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
