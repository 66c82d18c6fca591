/* copybin_test.c: the binary COPY reader (common/copybin.c) on the bytes PostgreSQL 15 sent for
 * `COPY (SELECT '\x01ff'::bytea, NULL::text, 'ab'::text UNION ALL SELECT ''::bytea, '是'::text,
 * NULL) TO STDOUT (FORMAT binary)`, cut at every length; and the forms it refuses. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "copybin.h"

static const uint8_t S_COPY[] = {
    0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00,
    0x02, 0x61, 0x62, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe6, 0x98, 0xaf, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff};

#define S_HEADER 19
#define S_ROW1 18 /* 2 + (4 + 2) + 4 + (4 + 2) */
#define S_ROW2 17 /* 2 + 4 + (4 + 3) + 4 */

static void test_reads_what_the_server_sent(void **state)
{
    (void)state;
    size_t used = 0, off = 0;
    fp_copybin_row_t r;
    assert_int_equal(fp_copybin_header(S_COPY, sizeof S_COPY, &used), FP_OK);
    assert_int_equal(used, S_HEADER);
    off += used;
    assert_int_equal(fp_copybin_row(S_COPY + off, sizeof S_COPY - off, &used, &r), FP_OK);
    assert_int_equal(used, S_ROW1);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.len[0], 2);
    assert_memory_equal(r.v[0], "\x01\xff", 2);
    assert_int_equal(r.len[1], -1);
    assert_null(r.v[1]);
    assert_int_equal(r.len[2], 2);
    assert_memory_equal(r.v[2], "ab", 2);
    off += used;
    assert_int_equal(fp_copybin_row(S_COPY + off, sizeof S_COPY - off, &used, &r), FP_OK);
    assert_int_equal(used, S_ROW2);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.len[0], 0);
    assert_non_null(r.v[0]);
    assert_int_equal(r.len[1], 3);
    assert_memory_equal(r.v[1], "是", 3);
    assert_int_equal(r.len[2], -1);
    off += used;
    assert_int_equal(fp_copybin_row(S_COPY + off, sizeof S_COPY - off, &used, &r), FP_ENOTFOUND);
    assert_int_equal(used, 2);
    assert_int_equal(off + used, sizeof S_COPY);
}

/* Every piece shorter than the whole header or row asks for more; never OK, never refused. */
static void test_short_pieces_ask_for_more(void **state)
{
    (void)state;
    size_t used = 0;
    fp_copybin_row_t r;
    for (size_t n = 0; n < S_HEADER; n++)
        assert_int_equal(fp_copybin_header(S_COPY, n, &used), FP_EAGAIN);
    for (size_t n = 0; n < S_ROW1; n++)
        assert_int_equal(fp_copybin_row(S_COPY + S_HEADER, n, &used, &r), FP_EAGAIN);
    for (size_t n = 0; n < S_ROW2; n++)
        assert_int_equal(fp_copybin_row(S_COPY + S_HEADER + S_ROW1, n, &used, &r), FP_EAGAIN);
    assert_int_equal(fp_copybin_row(S_COPY + S_HEADER + S_ROW1 + S_ROW2, 1, &used, &r), FP_EAGAIN);
}

static void test_refuses_other_headers(void **state)
{
    (void)state;
    uint8_t h[S_HEADER + 4];
    size_t used = 0;
    memcpy(h, S_COPY, S_HEADER);
    h[0] = 'Q'; /* not the signature: refused from the first byte */
    assert_int_equal(fp_copybin_header(h, 1, &used), FP_EINVAL);
    memcpy(h, S_COPY, S_HEADER);
    h[12] = 0x01; /* bit 16: OIDs follow each field count */
    assert_int_equal(fp_copybin_header(h, S_HEADER, &used), FP_EINVAL);
    h[12] = 0x02; /* bit 17: another critical bit this reader does not know */
    assert_int_equal(fp_copybin_header(h, S_HEADER, &used), FP_EINVAL);
    memcpy(h, S_COPY, S_HEADER);
    h[13] = 0x01; /* bit 8: not critical, ignored */
    assert_int_equal(fp_copybin_header(h, S_HEADER, &used), FP_OK);
    memcpy(h, S_COPY, S_HEADER);
    h[18] = 4; /* a header extension of 4 bytes, skipped */
    assert_int_equal(fp_copybin_header(h, S_HEADER + 3, &used), FP_EAGAIN);
    assert_int_equal(fp_copybin_header(h, S_HEADER + 4, &used), FP_OK);
    assert_int_equal(used, S_HEADER + 4);
    h[16] = 0x01; /* 65,536 + 4 bytes of extension */
    assert_int_equal(fp_copybin_header(h, S_HEADER + 4, &used), FP_ETOOBIG);
}

static void test_refuses_bad_rows(void **state)
{
    (void)state;
    size_t used = 0;
    fp_copybin_row_t r;
    const uint8_t minus2[] = {0xff, 0xfe};
    assert_int_equal(fp_copybin_row(minus2, sizeof minus2, &used, &r), FP_EINVAL);
    const uint8_t many[] = {0x00, FP_COPYBIN_MAX_FIELDS + 1};
    assert_int_equal(fp_copybin_row(many, sizeof many, &used, &r), FP_ETOOBIG);
    const uint8_t badlen[] = {0x00, 0x01, 0xff, 0xff, 0xff, 0xfe};
    assert_int_equal(fp_copybin_row(badlen, sizeof badlen, &used, &r), FP_EINVAL);
    const uint8_t huge[] = {0x00, 0x01, 0x7f, 0xff, 0xff, 0xff, 'x'}; /* 2 GiB said, 1 byte there */
    assert_int_equal(fp_copybin_row(huge, sizeof huge, &used, &r), FP_EAGAIN);
    uint8_t most[2 + 4 * FP_COPYBIN_MAX_FIELDS] = {0x00, FP_COPYBIN_MAX_FIELDS};
    assert_int_equal(fp_copybin_row(most, sizeof most, &used, &r), FP_OK); /* 32 empty fields */
    assert_int_equal(r.n, FP_COPYBIN_MAX_FIELDS);
    assert_int_equal(used, sizeof most);
    const uint8_t none[] = {0x00, 0x00};
    assert_int_equal(fp_copybin_row(none, sizeof none, &used, &r), FP_OK);
    assert_int_equal(r.n, 0);
}

/* fp_copybin_feed: the bytes cut in two pieces at every place give the same rows, the second
 * row only once both pieces are in; what the parser leaves waits for the next piece. */
typedef struct {
    bool header;
    int rows, trailer;
} s_feed_t;

static size_t s_feed_parse(void *arg, const uint8_t *data, size_t n)
{
    s_feed_t *f = arg;
    size_t off = 0, used;
    fp_copybin_row_t r;
    for (;;) {
        fp_err_t e = f->header ? fp_copybin_row(data + off, n - off, &used, &r)
                               : fp_copybin_header(data + off, n - off, &used);
        if (e == FP_EAGAIN) return off;
        assert_true(e == FP_OK || e == FP_ENOTFOUND);
        if (e == FP_ENOTFOUND) f->trailer++;
        else if (f->header) f->rows++;
        f->header = true;
        off += used;
        if (e == FP_ENOTFOUND) return off;
    }
}

static void test_feed_in_pieces(void **state)
{
    (void)state;
    for (size_t cut = 0; cut <= sizeof S_COPY; cut++) {
        s_feed_t f = {0};
        fp_buf_t partial = {0};
        fp_copybin_feed(&partial, S_COPY, cut, s_feed_parse, &f);
        assert_int_equal(f.rows, cut >= S_HEADER + S_ROW1 + S_ROW2 ? 2 : cut >= S_HEADER + S_ROW1 ? 1 : 0);
        fp_copybin_feed(&partial, S_COPY + cut, sizeof S_COPY - cut, s_feed_parse, &f);
        assert_int_equal(f.rows, 2);
        assert_int_equal(f.trailer, 1);
        assert_int_equal(partial.len, 0);
        fp_buf_free(&partial);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_what_the_server_sent),
        cmocka_unit_test(test_short_pieces_ask_for_more),
        cmocka_unit_test(test_refuses_other_headers),
        cmocka_unit_test(test_refuses_bad_rows),
        cmocka_unit_test(test_feed_in_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
