/* csv_test.c: the streaming CSV reader (common/csv.c): exact fields and start lines for quotes,
 * doubled quotes, embedded line breaks, CRLF/LF/CR, BOM, blank lines and a last record without
 * a line break; every error with its line; the limits; and the same records whatever the
 * chunking (split at every byte position, in three pieces, and byte by byte). And the writer:
 * the formula guard at each of its characters and just beside them, quoting, numbers, rows,
 * and that the reader gives back what the writer wrote. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv.h"
#include "mem.h"

/* Appends one record as "LINE:[f1|f2|...]\n"; bytes outside printable ASCII (and '|', '\')
 * as \xHH, so the text shows exactly what the fields hold. */
static void s_dump(fp_buf_t *out, const fp_csv_record_t *rec)
{
    fp_buf_printf(out, "%lu:[", rec->line);
    for (size_t i = 0; i < rec->nfields; i++) {
        if (i) fp_buf_puts(out, "|");
        assert_int_equal(rec->fields[i][rec->lens[i]], '\0');
        for (size_t j = 0; j < rec->lens[i]; j++) {
            unsigned char c = (unsigned char)rec->fields[i][j];
            if (c < 0x20 || c >= 0x7f || c == '|' || c == '\\') fp_buf_printf(out, "\\x%02X", c);
            else fp_buf_append(out, &c, 1);
        }
    }
    fp_buf_puts(out, "]\n");
}

/* Feeds `in` cut at the given positions (ascending, within len); returns the records, or on
 * an error "ERR LINE: message" after the records read before it. */
static char *s_run_cuts(const fp_csv_limits_t *lim, const char *in, size_t len, const size_t *cuts, size_t ncuts)
{
    fp_csv_t *csv = fp_csv_new();
    if (lim) fp_csv_set_limits(csv, lim);
    fp_buf_t out = {0};
    fp_buf_puts(&out, "");
    const fp_csv_record_t *rec;
    size_t from = 0;
    fp_err_t rc = FP_OK;
    for (size_t c = 0; c <= ncuts && rc == FP_OK; c++) {
        size_t to = c < ncuts ? cuts[c] : len;
        size_t off = from, used;
        while (off < to) {
            rc = fp_csv_feed(csv, in + off, to - off, &used, &rec);
            if (rc != FP_OK) {
                assert_null(rec);
                break;
            }
            assert_true(used > 0 && used <= to - off);
            if (rec) s_dump(&out, rec);
            else assert_int_equal(used, to - off);
            off += used;
        }
        from = to;
    }
    if (rc == FP_OK) {
        rc = fp_csv_finish(csv, &rec);
        if (rc == FP_OK && rec) s_dump(&out, rec);
        if (rc == FP_OK) {
            /* nothing more once finished */
            assert_int_equal(fp_csv_finish(csv, &rec), FP_OK);
            assert_null(rec);
        }
    }
    if (rc != FP_OK) {
        unsigned long line = 0;
        const char *msg = fp_csv_error(csv, &line);
        fp_buf_printf(&out, "ERR %d %lu: %s\n", rc, line, msg);
        /* sticky */
        size_t used = 99;
        assert_int_equal(fp_csv_feed(csv, "x\n", 2, &used, &rec), rc);
        assert_int_equal(used, 0);
        assert_null(rec);
        assert_int_equal(fp_csv_finish(csv, &rec), rc);
    }
    fp_csv_destroy(&csv);
    assert_null(csv);
    fp_csv_destroy(&csv); /* twice is fine */
    return out.data;
}

static char *s_run(const char *in, size_t len) { return s_run_cuts(NULL, in, len, NULL, 0); }

static void s_expect_lim(const fp_csv_limits_t *lim, const char *in, size_t len, const char *want)
{
    char *got = s_run_cuts(lim, in, len, NULL, 0);
    if (strcmp(got, want) != 0) fail_msg("input \"%s\"\n got:\n%s\nwant:\n%s", in, got, want);
    free(got);
}

static void s_expect(const char *in, const char *want) { s_expect_lim(NULL, in, strlen(in), want); }

static void test_simple(void **state)
{
    (void)state;
    s_expect("a,b,c\n1,2,3\n", "1:[a|b|c]\n2:[1|2|3]\n");
    s_expect("a,b,c\n1,2,3", "1:[a|b|c]\n2:[1|2|3]\n"); /* last record without a line end */
    s_expect("a,b\r\n1,2\r\n", "1:[a|b]\n2:[1|2]\n");   /* CRLF */
    s_expect("a,b\r1,2\r", "1:[a|b]\n2:[1|2]\n");       /* old Mac CR */
    s_expect("one\n", "1:[one]\n");
    s_expect(",\n", "1:[|]\n"); /* two empty fields */
    s_expect(",,,\n", "1:[|||]\n");
    s_expect("a,,c\n", "1:[a||c]\n");
    s_expect(" a , b \n", "1:[ a | b ]\n"); /* spaces are data */
    s_expect("", "");
    s_expect("\n", "");
    s_expect("\r\n\r\n\n", "");
    s_expect("\"\"\n", "1:[]\n"); /* one empty quoted field */
    s_expect("\"\"", "1:[]\n");
    s_expect("x,\"\"", "1:[x|]\n");
}

static void test_quotes(void **state)
{
    (void)state;
    s_expect("\"a,b\",c\n", "1:[a,b|c]\n");
    s_expect("\"say \"\"hi\"\"\",2\n", "1:[say \"hi\"|2]\n");
    s_expect("\"\"\"\"\n", "1:[\"]\n");
    s_expect("\"\"\"\",\"\"\"\"\"\"\n", "1:[\"|\"\"]\n");
    s_expect("\"line1\nline2\",x\nnext,y\n", "1:[line1\\x0Aline2|x]\n3:[next|y]\n");
    s_expect("\"a\r\nb\",x\r\nnext\r\n", "1:[a\\x0D\\x0Ab|x]\n3:[next]\n");
    s_expect("\"a\n\n\nb\"\n\"c\"\n", "1:[a\\x0A\\x0A\\x0Ab]\n5:[c]\n");
    s_expect("\"last\"", "1:[last]\n");
    s_expect("\"a\",\"b\"\r\n", "1:[a|b]\n");
    s_expect("\"\xE4\xB8\x89,\xE9\x81\x93\"\n", "1:[\\xE4\\xB8\\x89,\\xE9\\x81\\x93]\n");
}

static void test_blank_lines_and_line_numbers(void **state)
{
    (void)state;
    s_expect("a\n\nb\n\n\nc", "1:[a]\n3:[b]\n6:[c]\n");
    s_expect("\r\n\r\na\r\n", "3:[a]\n");
    s_expect("a\r\rb\r\n\nc\n", "1:[a]\n3:[b]\n5:[c]\n");
    s_expect("h\n\"x\ny\"\n\nz\n", "1:[h]\n2:[x\\x0Ay]\n5:[z]\n");
}

static void test_bom(void **state)
{
    (void)state;
    s_expect("\xEF\xBB\xBF"
             "a,b\n",
             "1:[a|b]\n");
    s_expect("\xEF\xBB\xBF", "");
    s_expect("\xEF\xBB\xBF\"q\"\n", "1:[q]\n");
    /* only at the very start */
    s_expect("a\n\xEF\xBB\xBF"
             "b\n",
             "1:[a]\n2:[\\xEF\\xBB\\xBFb]\n");
    s_expect("\xEF\xBB\xBF\xEF\xBB\xBF"
             "b\n",
             "1:[\\xEF\\xBB\\xBFb]\n");
    /* a BOM begun but not finished is data */
    s_expect("\xEF\xBB"
             "x\n",
             "1:[\\xEF\\xBBx]\n");
    s_expect("\xEF"
             ",x\n",
             "1:[\\xEF|x]\n");
    s_expect("\xEF\xBB", "1:[\\xEF\\xBB]\n");
    s_expect("\xEF\n", "1:[\\xEF]\n");
}

static void test_nul_bytes(void **state)
{
    (void)state;
    static const char in[] = "a\0b,c\n";
    char *got = s_run(in, sizeof in - 1);
    assert_string_equal(got, "1:[a\\x00b|c]\n");
    free(got);
}

static void test_errors(void **state)
{
    (void)state;
    s_expect("a,b\nx,y\"z\n",
             "1:[a|b]\nERR -1 2: field 2: a quote inside an unquoted field (quote the whole field and double the "
             "quote)\n");
    s_expect("\"a\"b\n", "ERR -1 1: field 1: unexpected character after the closing quote\n");
    s_expect("ok\n\"a\" ,b\n", "1:[ok]\nERR -1 2: field 1: unexpected character after the closing quote\n");
    /* an unterminated quote is reported at the line where its record started */
    s_expect("h\nx,\"open\nmore\nmore\n", "1:[h]\nERR -1 2: unterminated quoted field 2\n");
    s_expect("\"", "ERR -1 1: unterminated quoted field 1\n");
    s_expect(" \"a\"\n",
             "ERR -1 1: field 1: a quote inside an unquoted field (quote the whole field and double the quote)\n");
}

static void test_limits(void **state)
{
    (void)state;
    fp_csv_limits_t lim = {.max_fields = 3};
    s_expect_lim(&lim, "a,b,c\na,b,c,d\n", 14, "1:[a|b|c]\nERR -11 2: more than 3 fields\n");
    lim = (fp_csv_limits_t){.max_field_bytes = 4};
    s_expect_lim(&lim, "abcd,\"wxyz\"\nabcde\n", 18,
                 "1:[abcd|wxyz]\nERR -11 2: field 1 is longer than 4 bytes (an unbalanced quote?)\n");
    s_expect_lim(&lim, "x,\"abc\"\"d\"\n", 11, "ERR -11 1: field 2 is longer than 4 bytes (an unbalanced quote?)\n");
    lim = (fp_csv_limits_t){.max_record_bytes = 6};
    s_expect_lim(&lim, "ab,cd,ef\nab,cd,efg\n", 19,
                 "1:[ab|cd|ef]\nERR -11 2: the record is longer than 6 bytes (an unbalanced quote?)\n");
    /* a runaway quote hits the record limit at the line where it started */
    lim = (fp_csv_limits_t){.max_record_bytes = 10};
    s_expect_lim(&lim, "a\n\"b\nc\nd\ne\nf\ng\n", 15,
                 "1:[a]\nERR -11 2: the record is longer than 10 bytes (an unbalanced quote?)\n");
    /* a one-byte field limit and a partial BOM replayed as data */
    lim = (fp_csv_limits_t){.max_field_bytes = 1};
    s_expect_lim(&lim, "\xEF\xBBx", 3, "ERR -11 1: field 1 is longer than 1 bytes (an unbalanced quote?)\n");
    s_expect_lim(&lim, "\xEF\xBB", 2, "ERR -11 1: field 1 is longer than 1 bytes (an unbalanced quote?)\n");
    /* defaults */
    fp_csv_t *csv = fp_csv_new();
    assert_string_equal(fp_csv_error(csv, NULL), "");
    assert_int_equal(fp_csv_line(csv), 1);
    fp_csv_set_limits(csv, &(fp_csv_limits_t){0});
    fp_csv_destroy(&csv);
    fp_csv_destroy(NULL);
}

/* A tricky input: BOM, CRLF and LF, quoted commas and line breaks, doubled quotes, blank
 * lines, UTF-8, empty fields and no final line break. */
static const char s_tricky[] = "\xEF\xBB\xBF"
                               "\xE8\xBA\xAB\xE4\xBB\xBD\xE8\xAF\x81\xE5\x8F\xB7,name,detail\r\n"
                               "130822199001011234,\"Zhang, San\",\"said \"\"ok\"\"\r\nnext line\"\r\n"
                               "\r\n"
                               ",,\n"
                               "\"\",\"\"\"\",\"\xE4\xB8\x89\xE9\x81\x93\xE6\xB2\xB3\xE9\x95\x87\"\r"
                               "x,\"a\nb\",\"\"\"\"\"\"\n"
                               "\n"
                               "last,\"q\",end";

static const char s_tricky_want[] = "1:[\\xE8\\xBA\\xAB\\xE4\\xBB\\xBD\\xE8\\xAF\\x81\\xE5\\x8F\\xB7|name|detail]\n"
                                    "2:[130822199001011234|Zhang, San|said \"ok\"\\x0D\\x0Anext line]\n"
                                    "5:[||]\n"
                                    "6:[|\"|\\xE4\\xB8\\x89\\xE9\\x81\\x93\\xE6\\xB2\\xB3\\xE9\\x95\\x87]\n"
                                    "7:[x|a\\x0Ab|\"\"]\n"
                                    "10:[last|q|end]\n";

static void test_every_chunking(void **state)
{
    (void)state;
    size_t len = sizeof s_tricky - 1;
    char *whole = s_run(s_tricky, len);
    assert_string_equal(whole, s_tricky_want);
    free(whole);
    /* one cut at every position */
    for (size_t i = 0; i <= len; i++) {
        char *got = s_run_cuts(NULL, s_tricky, len, &i, 1);
        if (strcmp(got, s_tricky_want) != 0) fail_msg("cut at %zu:\n%s", i, got);
        free(got);
    }
    /* two cuts at every pair of positions */
    for (size_t i = 0; i <= len; i++)
        for (size_t j = i; j <= len; j++) {
            size_t cuts[2] = {i, j};
            char *got = s_run_cuts(NULL, s_tricky, len, cuts, 2);
            if (strcmp(got, s_tricky_want) != 0) fail_msg("cuts at %zu, %zu:\n%s", i, j, got);
            free(got);
        }
    /* byte by byte */
    size_t *cuts = malloc(len * sizeof *cuts);
    for (size_t i = 0; i < len; i++) cuts[i] = i + 1;
    char *got = s_run_cuts(NULL, s_tricky, len, cuts, len);
    assert_string_equal(got, s_tricky_want);
    free(got);
    free(cuts);
}

/* Errors too are the same whatever the chunking. */
static void test_errors_every_chunking(void **state)
{
    (void)state;
    static const char in[] = "a,b\r\n\"x\"\"y\",\"z\nw\"\r\nq,\"r\"s\n";
    static const char want[] =
        "1:[a|b]\n2:[x\"y|z\\x0Aw]\nERR -1 4: field 2: unexpected character after the closing quote\n";
    size_t len = sizeof in - 1;
    for (size_t i = 0; i <= len; i++) {
        char *got = s_run_cuts(NULL, in, len, &i, 1);
        if (strcmp(got, want) != 0) fail_msg("cut at %zu:\n%s", i, got);
        free(got);
    }
    static const char open[] = "h\n\"never\r\nclosed";
    for (size_t i = 0; i <= sizeof open - 1; i++) {
        char *got = s_run_cuts(NULL, open, sizeof open - 1, &i, 1);
        assert_string_equal(got, "1:[h]\nERR -1 2: unterminated quoted field 1\n");
        free(got);
    }
}

/* A large record built in pieces: the fast path and the limits agree. */
static void test_long_fields(void **state)
{
    (void)state;
    size_t n = 100000;
    char *in = malloc(n * 2 + 16);
    size_t len = 0;
    in[len++] = '"';
    for (size_t i = 0; i < n; i++) in[len++] = (char)(i % 7 == 0 ? ',' : 'a' + (int)(i % 26));
    in[len++] = '"';
    in[len++] = ',';
    for (size_t i = 0; i < n; i++) in[len++] = 'z';
    in[len++] = '\n';
    fp_csv_t *csv = fp_csv_new();
    const fp_csv_record_t *rec = NULL;
    size_t off = 0, used;
    while (off < len) {
        size_t step = len - off < 333 ? len - off : 333;
        assert_int_equal(fp_csv_feed(csv, in + off, step, &used, &rec), FP_OK);
        off += used;
        if (rec) break;
    }
    assert_non_null(rec);
    assert_int_equal(off, len);
    assert_int_equal(rec->nfields, 2);
    assert_int_equal(rec->lens[0], n);
    assert_int_equal(rec->lens[1], n);
    assert_memory_equal(rec->fields[0], in + 1, n);
    assert_int_equal(fp_csv_line(csv), 2);
    fp_csv_destroy(&csv);

    fp_csv_limits_t lim = {.max_record_bytes = 2 * n - 1};
    char *got = s_run_cuts(&lim, in, len, NULL, 0);
    assert_string_equal(got, "ERR -11 1: the record is longer than 199999 bytes (an unbalanced quote?)\n");
    free(got);
    free(in);
}

/* ---- the writer -------------------------------------------------------------------------- */

static char *s_put(const char *in, size_t n)
{
    fp_buf_t b = {0};
    fp_buf_puts(&b, "");
    fp_csv_put_n(&b, in, n);
    return b.data;
}

#define PUT_EQ(in, want)                    \
    do {                                    \
        char *got_ = s_put(in, strlen(in)); \
        assert_string_equal(got_, want);    \
        free(got_);                         \
    } while (0)

static void test_write_formula_guard(void **state)
{
    (void)state;
    /* each character that starts a formula, first in the field */
    PUT_EQ("=SUM(A1:A9)", "'=SUM(A1:A9)");
    PUT_EQ("+86 138", "'+86 138");
    PUT_EQ("-1", "'-1");
    PUT_EQ("@cmd", "'@cmd");
    PUT_EQ("\tx", "'\tx");
    PUT_EQ("\rx", "\"'\rx\""); /* a CR is also quoted */
    PUT_EQ("=a,b", "\"'=a,b\"");
    PUT_EQ("=\"x\"", "\"'=\"\"x\"\"\"");
    /* the same characters anywhere else, and their neighbours first: no guard */
    PUT_EQ("a=b", "a=b");
    PUT_EQ("1+1", "1+1");
    PUT_EQ("2026-10", "2026-10");
    PUT_EQ("x@y", "x@y");
    PUT_EQ("<", "<");
    PUT_EQ(">", ">");
    PUT_EQ("?", "?");
    PUT_EQ("A", "A");
    PUT_EQ("*", "*");
    PUT_EQ(",", "\",\"");
    PUT_EQ("'=x", "'=x"); /* already an apostrophe first: written as it is */
    PUT_EQ("", "");
    PUT_EQ("花水村", "花水村");
}

static void test_write_quoting(void **state)
{
    (void)state;
    PUT_EQ("plain", "plain");
    PUT_EQ("a,b", "\"a,b\"");
    PUT_EQ("say \"hi\"", "\"say \"\"hi\"\"\"");
    PUT_EQ("\"", "\"\"\"\"");
    PUT_EQ("two\nlines", "\"two\nlines\"");
    PUT_EQ("cr\rlf", "\"cr\rlf\"");
    PUT_EQ(" lead", "\" lead\"");
    PUT_EQ("trail ", "\"trail \"");
    PUT_EQ(" ", "\" \"");
    PUT_EQ("in side", "in side");
    char *got = s_put("a\0b", 3);
    assert_memory_equal(got, "\"a\0b\"", 6);
    free(got);
}

static void test_write_numbers(void **state)
{
    (void)state;
    static const char *const numbers[] = {"0", "12", "-5", "-0.50", "1234.5", "007"};
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++) {
        fp_buf_t b = {0};
        fp_csv_put_number(&b, numbers[i]);
        assert_string_equal(b.data, numbers[i]);
        fp_buf_free(&b);
    }
    /* not a number: written by fp_csv_put, guard and quotes included */
    static const char *const others[][2] = {
        {"-", "'-"},        {"-1+1", "'-1+1"},      {"=1", "'=1"}, {"1.", "1."},  {".5", ".5"},    {"-.5", "'-.5"},
        {"1.2.3", "1.2.3"}, {"1,000", "\"1,000\""}, {"", ""},      {"+1", "'+1"}, {"--1", "'--1"},
    };
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        fp_buf_t b = {0};
        fp_buf_puts(&b, "");
        fp_csv_put_number(&b, others[i][0]);
        assert_string_equal(b.data, others[i][1]);
        fp_buf_free(&b);
    }
}

static void test_write_row(void **state)
{
    (void)state;
    fp_buf_t b = {0};
    const char *const row[] = {"3", "", "-2", "a,b"};
    fp_csv_put_row(&b, row, 4);
    fp_csv_put_row(&b, row, 1);
    assert_string_equal(b.data, "3,,'-2,\"a,b\"\r\n3\r\n");
    fp_buf_free(&b);
}

/* Every field written and read back is the same bytes, after the apostrophe of the guard. */
static void test_write_read_back(void **state)
{
    (void)state;
    static const char *const fields[] =
        {"",     " ", "a",  "=1",   "-", "@",   "\t",           "\r",           "\n",
         "\r\n", ",", "\"", "\"\"", "'", " x ", "=\"a,b\"\r\n", "\xEF\xBB\xBF", "花水村",
         "1.5"};
    size_t n = sizeof fields / sizeof *fields;
    for (size_t i = 0; i < n; i++) {
        fp_buf_t b = {0};
        const char *row[3] = {"first", fields[i], fields[(i + 1) % n]};
        fp_csv_put_row(&b, row, 3);
        fp_csv_t *csv = fp_csv_new();
        const fp_csv_record_t *rec = NULL;
        size_t used;
        assert_int_equal(fp_csv_feed(csv, b.data, b.len, &used, &rec), FP_OK);
        assert_int_equal(used, b.len - 1); /* the record ends at the CR; its LF is read next */
        assert_non_null(rec);
        assert_int_equal(rec->nfields, 3);
        for (size_t k = 1; k < 3; k++) {
            const char *want = row[k];
            const char *got = rec->fields[k];
            bool guarded = want[0] && strchr("=+-@\t\r", want[0]);
            if (guarded) assert_int_equal(*got++, '\'');
            assert_string_equal(got, want);
        }
        assert_int_equal(fp_csv_feed(csv, b.data + used, 1, &used, &rec), FP_OK);
        assert_null(rec);
        assert_int_equal(fp_csv_finish(csv, &rec), FP_OK);
        assert_null(rec);
        fp_csv_destroy(&csv);
        fp_buf_free(&b);
    }
}

/* The results file: the name beside the input; rows past the 64 KiB piece all arrive, behind the
 * BOM and the header; nothing under OUT until it is whole; a failed open or rename leaves nothing. */
static void test_results_file(void **state)
{
    (void)state;
    char *rp = fp_csv_results_path("dir/leads.CSV");
    assert_string_equal(rp, "dir/leads.results.csv");
    free(rp);
    rp = fp_csv_results_path("leads.txt");
    assert_string_equal(rp, "leads.txt.results.csv");
    free(rp);

    char dir[] = "/tmp/fp-csv-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char out[128], tmp[160];
    snprintf(out, sizeof out, "%s/x.results.csv", dir);
    fp_csv_file_t w;
    assert_int_equal(fp_csv_file_open(&w, out, "a,b"), 0);
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", out, (long)getpid());
    char num[16];
    for (int i = 0; i < 20000; i++) {
        snprintf(num, sizeof num, "%d", i);
        const char *cells[] = {num, "=1+1"};
        fp_csv_file_row(&w, cells, 2);
    }
    assert_int_equal(access(out, F_OK), -1); /* not there until whole */
    assert_int_equal(fp_csv_file_close(&w, out), 0);
    assert_int_equal(access(tmp, F_OK), -1);
    FILE *f = fopen(out, "rb");
    assert_non_null(f);
    fp_buf_t b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) fp_buf_append(&b, chunk, n);
    fclose(f);
    const char *head = FP_CSV_BOM "a,b\r\n0,'=1+1\r\n";
    assert_true(b.len > strlen(head) && !memcmp(b.data, head, strlen(head)));
    const char *last = "19999,'=1+1\r\n";
    assert_memory_equal(b.data + b.len - strlen(last), last, strlen(last));
    size_t lines = 0;
    for (size_t i = 0; i < b.len; i++) lines += b.data[i] == '\n';
    assert_int_equal(lines, 20001);
    fp_buf_free(&b);
    unlink(out);

    /* OUT is a directory: everything is written, the rename fails, the temporary file goes */
    assert_int_equal(mkdir(out, 0700), 0);
    assert_int_equal(fp_csv_file_open(&w, out, "a"), 0);
    const char *one[] = {"x"};
    fp_csv_file_row(&w, one, 1);
    assert_int_equal(fp_csv_file_close(&w, out), -1);
    assert_int_equal(access(tmp, F_OK), -1);
    rmdir(out);

    /* a folder that does not exist: refused at once with errno, nothing to close */
    snprintf(out, sizeof out, "%s/none/x.csv", dir);
    errno = 0;
    assert_int_equal(fp_csv_file_open(&w, out, "a"), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(rmdir(dir), 0); /* nothing left behind in it */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple),
        cmocka_unit_test(test_quotes),
        cmocka_unit_test(test_blank_lines_and_line_numbers),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_every_chunking),
        cmocka_unit_test(test_errors_every_chunking),
        cmocka_unit_test(test_long_fields),
        cmocka_unit_test(test_write_formula_guard),
        cmocka_unit_test(test_write_quoting),
        cmocka_unit_test(test_write_numbers),
        cmocka_unit_test(test_write_row),
        cmocka_unit_test(test_write_read_back),
        cmocka_unit_test(test_results_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
