/* textenc_test.c: strict UTF-8 validation at every boundary of the encoding, and the
 * UTF-8-or-GB18030 decoding of common/textenc.c. The GBK bytes below were made with
 * `printf 姓名 | iconv -f UTF-8 -t GBK | xxd -p` (and GB18030 for the 4-byte forms). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textenc.h"

#define S_VALID(lit) assert_true(fp_utf8_valid(lit, sizeof lit - 1))
#define S_INVALID(lit) assert_false(fp_utf8_valid(lit, sizeof lit - 1))

static void test_utf8_boundaries(void **state)
{
    (void)state;
    assert_true(fp_utf8_valid("", 0));
    assert_true(fp_utf8_valid(NULL, 0));
    S_VALID("plain ascii, 0123456789 and more than eight bytes");
    S_VALID("\x00\x7F");
    S_VALID("\xC2\x80");                 /* U+0080 */
    S_VALID("\xDF\xBF");                 /* U+07FF */
    S_VALID("\xE0\xA0\x80");             /* U+0800 */
    S_VALID("\xED\x9F\xBF");             /* U+D7FF */
    S_VALID("\xEE\x80\x80");             /* U+E000 */
    S_VALID("\xEF\xBB\xBF");             /* U+FEFF */
    S_VALID("\xEF\xBF\xBF");             /* U+FFFF */
    S_VALID("\xF0\x90\x80\x80");         /* U+10000 */
    S_VALID("\xF0\xA0\x80\x80");         /* U+20000, CJK extension B */
    S_VALID("\xF4\x8F\xBF\xBF");         /* U+10FFFF */
    S_VALID("\xE5\xA7\x93\xE5\x90\x8D"); /* 姓名 */

    S_INVALID("\x80"); /* a lone continuation byte */
    S_INVALID("\xBF");
    S_INVALID("\xC0\x80");         /* overlong NUL */
    S_INVALID("\xC1\xBF");         /* overlong U+007F */
    S_INVALID("\xE0\x80\x80");     /* overlong */
    S_INVALID("\xE0\x9F\xBF");     /* overlong U+07FF */
    S_INVALID("\xED\xA0\x80");     /* U+D800, a surrogate */
    S_INVALID("\xED\xBF\xBF");     /* U+DFFF */
    S_INVALID("\xF0\x80\x80\x80"); /* overlong */
    S_INVALID("\xF0\x8F\xBF\xBF"); /* overlong U+FFFF */
    S_INVALID("\xF4\x90\x80\x80"); /* U+110000 */
    S_INVALID("\xF5\x80\x80\x80");
    S_INVALID("\xF8\x88\x80\x80\x80");
    S_INVALID("\xFE");
    S_INVALID("\xFF");
    S_INVALID("\xC2"); /* cut off */
    S_INVALID("\xE5\xA7");
    S_INVALID("\xF0\x90\x80");
    S_INVALID("\xC2\x41"); /* continuation missing */
    S_INVALID("\xE5\x41\x93");
    S_INVALID("\xE5\xA7\x41");
    S_INVALID("\xF0\x90\x41\x80");
    S_INVALID("\xD0\xD5\xC3\xFB"); /* 姓名 in GBK: D0 wants a continuation byte, D5 is none */
}

/* An invalid byte at every position of a long ASCII run (the 8-byte fast path and its tail). */
static void test_utf8_fast_path(void **state)
{
    (void)state;
    char buf[64];
    for (size_t len = 1; len <= sizeof buf; len++)
        for (size_t bad = 0; bad < len; bad++) {
            memset(buf, 'a', len);
            assert_true(fp_utf8_valid(buf, len));
            buf[bad] = (char)0xFF;
            if (fp_utf8_valid(buf, len)) fail_msg("len %zu, bad byte at %zu accepted", len, bad);
            /* a valid 3-byte character there instead, when it fits */
            if (bad + 3 <= len) {
                memcpy(buf + bad, "\xE4\xB8\x89", 3);
                if (!fp_utf8_valid(buf, len)) fail_msg("len %zu, 三 at %zu refused", len, bad);
            }
        }
}

static void s_decode(const char *in, size_t len, const char *want, const char *want_enc)
{
    fp_buf_t out = {0};
    fp_buf_puts(&out, "<");
    const char *enc = NULL;
    assert_int_equal(fp_text_to_utf8(in, len, &out, &enc), FP_OK);
    assert_non_null(enc);
    assert_string_equal(enc, want_enc);
    assert_int_equal(out.len, 1 + strlen(want));
    assert_memory_equal(out.data + 1, want, strlen(want));
    assert_int_equal(out.data[out.len], '\0');
    assert_true(fp_utf8_valid(out.data, out.len));
    fp_buf_free(&out);
}

#define S_DECODE(lit, want, enc) s_decode(lit, sizeof lit - 1, want, enc)

static void test_utf8_passes(void **state)
{
    (void)state;
    S_DECODE("", "", "utf-8");
    S_DECODE("\xEF\xBB\xBF", "", "utf-8");
    S_DECODE("id_number,name\r\n", "id_number,name\r\n", "utf-8");
    S_DECODE("\xEF\xBB\xBF\xE5\xA7\x93\xE5\x90\x8D,x", "\xE5\xA7\x93\xE5\x90\x8D,x", "utf-8");
    /* only one BOM is dropped */
    S_DECODE("\xEF\xBB\xBF\xEF\xBB\xBF"
             "a",
             "\xEF\xBB\xBF"
             "a",
             "utf-8");
    /* NUL bytes are text too */
    fp_buf_t out = {0};
    assert_int_equal(fp_text_to_utf8("a\0b", 3, &out, NULL), FP_OK);
    assert_int_equal(out.len, 3);
    fp_buf_free(&out);
}

static void test_gbk_decodes(void **state)
{
    (void)state;
    S_DECODE("\xD0\xD5\xC3\xFB", "\xE5\xA7\x93\xE5\x90\x8D", "gbk"); /* 姓名 */
    S_DECODE("\xC8\xFD\xB5\xC0\xBA\xD3\xD5\xF2", "\xE4\xB8\x89\xE9\x81\x93\xE6\xB2\xB3\xE9\x95\x87",
             "gbk"); /* 三道河镇 */
    /* a GBK CSV line: 身份证号,姓名 / 130822...,兴隆县 */
    S_DECODE("\xC9\xED\xB7\xDD\xD6\xA4\xBA\xC5,\xD0\xD5\xC3\xFB\r\n130822,\xD0\xCB\xC2\xA1\xCF\xD8\r\n",
             "\xE8\xBA\xAB\xE4\xBB\xBD\xE8\xAF\x81\xE5\x8F\xB7,\xE5\xA7\x93\xE5\x90\x8D\r\n"
             "130822,\xE5\x85\xB4\xE9\x9A\x86\xE5\x8E\xBF\r\n",
             "gbk");
    /* GB18030's own: the euro sign (2 bytes) and U+20000 (4 bytes) */
    S_DECODE("\xA2\xE3", "\xE2\x82\xAC", "gbk");
    S_DECODE("\x95\x32\x82\x36", "\xF0\xA0\x80\x80", "gbk");
    /* a UTF-8 BOM in front of GBK bytes is dropped too */
    S_DECODE("\xEF\xBB\xBF\xD0\xD5\xC3\xFB", "\xE5\xA7\x93\xE5\x90\x8D", "gbk");
}

static void test_gbk_large(void **state)
{
    (void)state;
    /* enough to make iconv run out of room more than once */
    const char gbk[] = "\xC8\xFD\xB5\xC0\xBA\xD3\xD5\xF2,a\n";
    const char utf[] = "\xE4\xB8\x89\xE9\x81\x93\xE6\xB2\xB3\xE9\x95\x87,a\n";
    size_t n = 50000, gl = sizeof gbk - 1, ul = sizeof utf - 1;
    char *in = malloc(n * gl);
    for (size_t i = 0; i < n; i++) memcpy(in + i * gl, gbk, gl);
    fp_buf_t out = {0};
    const char *enc = NULL;
    assert_int_equal(fp_text_to_utf8(in, n * gl, &out, &enc), FP_OK);
    assert_string_equal(enc, "gbk");
    assert_int_equal(out.len, n * ul);
    for (size_t i = 0; i < n; i++) assert_memory_equal(out.data + i * ul, utf, ul);
    fp_buf_free(&out);
    free(in);
}

static void s_refuse(const char *in, size_t len)
{
    fp_buf_t out = {0};
    fp_buf_puts(&out, "keep");
    const char *enc = "untouched";
    assert_int_equal(fp_text_to_utf8(in, len, &out, &enc), FP_EINVAL);
    assert_string_equal(out.data, "keep");
    assert_int_equal(out.len, 4);
    assert_string_equal(enc, "untouched");
    fp_buf_free(&out);
}

#define S_REFUSE(lit) s_refuse(lit, sizeof lit - 1)

static void test_neither(void **state)
{
    (void)state;
    S_REFUSE("\xFF");
    S_REFUSE("abc\xFF");
    S_REFUSE("\x80");
    S_REFUSE("\xD0\xD5\xC3"); /* GBK cut off in the middle of a character */
    S_REFUSE("\xD0");
    S_REFUSE("\x81\x30\x81");         /* a 4-byte GB18030 form cut off */
    S_REFUSE("\xD0\xD5\xC3\xFB\xFF"); /* good GBK, then a byte neither knows */
}

/* Text read in pieces: cut anywhere, through the middle of characters, the pieces agree with the
 * whole; an invalid byte is told from a character cut off by the piece's end. */
static void test_pieces(void **state)
{
    (void)state;
    const char *u = "户编号,村代码\r\n王大,\xF0\x9F\x98\x80 x\r\n"; /* 3- and 4-byte characters */
    size_t n = strlen(u);
    for (size_t cut = 0; cut <= n; cut++) {
        bool bad;
        size_t used = fp_utf8_valid_prefix(u, cut, &bad);
        assert_false(bad);
        assert_true(used <= cut && cut - used <= 3);
        assert_int_equal(fp_utf8_valid_prefix(u + used, n - used, &bad), n - used);
        assert_false(bad);
    }
    bool bad;
    assert_int_equal(fp_utf8_valid_prefix("ab\xE7\x8E", 4, &bad), 2); /* cut off: maybe valid */
    assert_false(bad);
    assert_int_equal(fp_utf8_valid_prefix("ab\xE7x", 4, &bad), 2); /* not UTF-8 whatever follows */
    assert_true(bad);
    assert_int_equal(fp_utf8_valid_prefix("ab\xFF", 3, &bad), 2);
    assert_true(bad);
    /* 张三,王 in GBK, then a 4-byte GB18030 character (0x81 0x30 0x81 0x30 is U+0080) */
    const char g[] = "\xD5\xC5\xC8\xFD,\xCD\xF5\x81\x30\x81\x30";
    size_t gn = sizeof g - 1;
    fp_buf_t whole = {0};
    assert_int_equal(fp_text_to_utf8(g, gn, &whole, NULL), FP_OK);
    for (size_t step = 1; step <= 5; step++) {
        fp_gb_dec_t *d = fp_gb_dec_new();
        assert_non_null(d);
        fp_buf_t out = {0};
        char pend[16];
        size_t np = 0;
        for (size_t off = 0; off < gn; off += step) {
            size_t k = gn - off < step ? gn - off : step;
            memcpy(pend + np, g + off, k);
            size_t used;
            assert_int_equal(fp_gb_dec_piece(d, pend, np + k, &used, &out), FP_OK);
            np = np + k - used;
            memmove(pend, pend + used, np);
            assert_true(np < 4);
        }
        assert_int_equal(np, 0);
        assert_int_equal(out.len, whole.len);
        assert_memory_equal(out.data, whole.data, whole.len);
        size_t used;
        assert_int_equal(fp_gb_dec_piece(d, "\x81\x20", 2, &used, &out), FP_EINVAL); /* not GB18030 */
        fp_buf_free(&out);
        fp_gb_dec_free(&d);
        assert_null(d);
    }
    fp_buf_free(&whole);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_boundaries), cmocka_unit_test(test_utf8_fast_path),
        cmocka_unit_test(test_utf8_passes),     cmocka_unit_test(test_gbk_decodes),
        cmocka_unit_test(test_gbk_large),       cmocka_unit_test(test_neither),
        cmocka_unit_test(test_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
