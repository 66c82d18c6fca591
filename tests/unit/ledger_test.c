/* ledger_test.c: the rules of the ledger's census file (common/ledger.c) on small files made
 * here: a good file read exactly (amounts, guarantees, period, sex and birth from the ID
 * number, GBK); each of a line's own refusals at its boundary with its code; the file-level
 * refusals (header, encoding, empty); the same lines whatever pieces the text comes in. The
 * checks across lines (households, heads, duplicates, villages, later surveys) run in SQL:
 * tests/integration/test_ledger.py. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "ledger.h"
#include "mem.h"

enum {
    HH,
    VIL,
    TYPE,
    KIND,
    HEAD,
    NAME,
    ID,
    REL,
    SEX,
    BIRTH,
    LAB,
    HEALTH,
    SCHOOL,
    INS,
    WAGE,
    PUBJOB,
    OPER,
    PROP,
    PENS,
    FAMPLAN,
    ECO,
    DIBAO,
    TEKUN,
    OTHER,
    COST,
    MED,
    WATER,
    HOUSING,
    PERIOD,
    NCOL
};

static const char *const s_header =
    "household_no,village_code,household_type,monitored_kind,head_name,name,id_number,relation,sex,"
    "birth_date,labour,health,schooling,insured,wage,public_job,operating,property,pension,family_planning,"
    "eco_compensation,dibao,tekun,other_transfer,production_cost,medical_oop,water_ok,housing_ok,survey_period\r\n";

/* An 18-character ID number of 兴隆县 (130822) born on yyyymmdd, with its check character;
 * seq's last digit is the sex (odd male). */
static void s_id(char out[19], const char *yyyymmdd, int seq)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    snprintf(out, 19, "130822%s%03d", yyyymmdd, seq);
    int sum = 0;
    for (int i = 0; i < 17; i++) sum += (out[i] - '0') * w[i];
    out[17] = "10X98765432"[sum % 11];
    out[18] = '\0';
}

/* One line: a head of a general household of 花水村 with every value valid, then the
 * NULL-terminated (column, value) pairs that replace some. */
static void s_line(fp_buf_t *b, const char *hh, const char *name, const char *id, ...)
{
    const char *v[NCOL] = {[HH] = hh,
                           [VIL] = "130822112201",
                           [TYPE] = "一般户",
                           [KIND] = "",
                           [HEAD] = "王大",
                           [NAME] = name,
                           [ID] = id,
                           [REL] = "户主",
                           [SEX] = "",
                           [BIRTH] = "",
                           [LAB] = "普通劳动力",
                           [HEALTH] = "健康",
                           [SCHOOL] = "非在校生",
                           [INS] = "是",
                           [WAGE] = "\"12,000.50\"",
                           [PUBJOB] = "0",
                           [OPER] = "",
                           [PROP] = "",
                           [PENS] = "",
                           [FAMPLAN] = "",
                           [ECO] = "",
                           [DIBAO] = "",
                           [TEKUN] = "",
                           [OTHER] = "",
                           [COST] = "",
                           [MED] = "300",
                           [WATER] = "是",
                           [HOUSING] = "否：墙体开裂",
                           [PERIOD] = "2026-q3"};
    va_list ap;
    va_start(ap, id);
    for (int col; (col = va_arg(ap, int)) >= 0;) v[col] = va_arg(ap, const char *);
    va_end(ap);
    for (int c = 0; c < NCOL; c++) fp_buf_printf(b, "%s%s", c ? "," : "", v[c]);
    fp_buf_puts(b, "\r\n");
}

/* A line as the callback saw it, kept (the reader keeps nothing after the call). */
typedef struct {
    uint32_t line;
    char hh[40], code[64], en[1200], name[64], id[19], relation[16], sex[8], schooling[16];
    bool has_hh, has_data, insured;
    char village[13], county[7], period[7], type[16], kind[24], head[64], why[FP_LEDGER_NGUAR][64];
    int64_t amt[FP_LEDGER_NAMT];
    signed char ok[FP_LEDGER_NGUAR];
    int32_t birth;
} s_got_t;

typedef struct {
    s_got_t l[64];
    size_t n;
} s_lines_t;

static void s_cp(char *dst, size_t sz, const char *src) { snprintf(dst, sz, "%s", src ? src : ""); }

static int s_keep(void *ctx, const fp_ledger_t *lg, const fp_ledger_line_t *l)
{
    (void)lg;
    s_lines_t *ls = ctx;
    assert_true(ls->n < 64);
    s_got_t *g = &ls->l[ls->n++];
    memset(g, 0, sizeof *g);
    g->line = l->line;
    g->has_hh = l->household_no != NULL;
    s_cp(g->hh, sizeof g->hh, l->household_no);
    s_cp(g->code, sizeof g->code, l->code);
    if (l->code) {
        assert_true(l->zh && l->zh[0] && l->en && l->en[0]);
        s_cp(g->en, sizeof g->en, l->en);
    }
    s_cp(g->name, sizeof g->name, l->name);
    s_cp(g->id, sizeof g->id, l->id);
    s_cp(g->relation, sizeof g->relation, l->relation);
    s_cp(g->sex, sizeof g->sex, l->sex);
    s_cp(g->schooling, sizeof g->schooling, l->schooling);
    g->insured = l->insured;
    g->birth = l->birth;
    const fp_ledger_hh_t *h = &l->hh;
    g->has_data = h->has_data;
    if (!h->has_data) return 0;
    s_cp(g->village, sizeof g->village, h->village);
    s_cp(g->county, sizeof g->county, h->county);
    s_cp(g->period, sizeof g->period, h->period);
    s_cp(g->type, sizeof g->type, h->type);
    s_cp(g->kind, sizeof g->kind, h->kind);
    s_cp(g->head, sizeof g->head, h->head);
    memcpy(g->amt, h->amt, sizeof g->amt);
    memcpy(g->ok, h->ok, sizeof g->ok);
    for (int k = 0; k < FP_LEDGER_NGUAR; k++) s_cp(g->why[k], sizeof g->why[k], h->why[k]);
    return 0;
}

static fp_err_t s_read(fp_ledger_t *lg, s_lines_t *ls, const fp_buf_t *b, char *msg, unsigned long *line)
{
    ls->n = 0;
    fp_ledger_init(lg, fp_date_from_civil(2026, 11, 24), s_keep, ls);
    return fp_ledger_read(lg, b->data, b->len, line, msg, 1024);
}

/* The reason code of the line at file line n, "" when accepted. */
static const char *s_code(const s_lines_t *ls, uint32_t n)
{
    for (size_t i = 0; i < ls->n; i++)
        if (ls->l[i].line == n) return ls->l[i].code;
    fail_msg("no line %u", n);
    return NULL;
}

static void test_good_file(void **state)
{
    (void)state;
    char a[19], b2[19], c[19];
    s_id(a, "19700101", 11);  /* male */
    s_id(b2, "19720304", 22); /* female */
    s_id(c, "20150607", 31);
    fp_buf_t f = {0};
    fp_buf_puts(&f, "\xEF\xBB\xBF");
    fp_buf_puts(&f, s_header);
    s_line(&f, "H1", "王大", a, SEX, "男", BIRTH, "1970-01-01", -1);
    s_line(&f, "H1", "李二", b2, REL, "配偶", -1);
    fp_buf_puts(&f, ",,,,\r\n"); /* Excel's formatted empty row: skipped */
    s_line(&f, "H2", "赵三", c, HEAD, "赵三", TYPE, "监测户", KIND, "边缘易致贫户", SCHOOL, "在校生", WAGE, "0", MED,
           "", HOUSING, "是", PERIOD, "2026Q3", -1);
    fp_ledger_t lg;
    s_lines_t *ls = fp_calloc(1, sizeof *ls);
    char msg[1024];
    unsigned long line;
    assert_int_equal(s_read(&lg, ls, &f, msg, &line), FP_OK);
    assert_string_equal(lg.encoding, "utf-8");
    assert_int_equal(ls->n, 3);
    assert_int_equal(lg.nlines, 3);
    for (size_t i = 0; i < 3; i++) assert_string_equal(ls->l[i].code, "");
    assert_int_equal(ls->l[2].line, 5); /* physical lines: header 1, blank row 4 */
    const s_got_t *h1 = &ls->l[0];
    assert_string_equal(h1->hh, "H1");
    assert_string_equal(h1->village, "130822112201");
    assert_string_equal(h1->county, "130822");
    assert_string_equal(h1->type, "general");
    assert_string_equal(h1->kind, "");
    assert_string_equal(h1->head, "王大");
    assert_int_equal(h1->amt[0], 1200050); /* 12,000.50 yuan in fen */
    assert_int_equal(h1->amt[FP_LEDGER_NAMT - 1], 30000);
    assert_string_equal(h1->period, "2026Q3");
    assert_int_equal(h1->ok[3], 0); /* housing: no, with its reason */
    assert_string_equal(h1->why[3], "墙体开裂");
    assert_int_equal(h1->ok[4], 1);  /* water */
    assert_int_equal(h1->ok[0], -1); /* food_clothing: not in the file */
    assert_string_equal(h1->id, a);
    assert_string_equal(h1->relation, "head");
    assert_string_equal(ls->l[0].sex, "male");
    assert_string_equal(ls->l[1].sex, "female");
    assert_string_equal(ls->l[1].relation, "spouse");
    assert_string_equal(ls->l[1].hh, "H1");
    assert_int_equal(ls->l[1].birth, fp_date_from_civil(1972, 3, 4));
    assert_true(ls->l[0].insured);
    const s_got_t *h2 = &ls->l[2];
    assert_string_equal(h2->type, "monitored");
    assert_string_equal(h2->kind, "marginal");
    assert_string_equal(h2->schooling, "in_school");
    fp_ledger_free(&lg);
    free(ls);
    fp_buf_free(&f);
}

/* The same file saved by Excel as GBK reads the same. */
static void test_gbk(void **state)
{
    (void)state;
    char a[19];
    s_id(a, "19700101", 11);
    fp_buf_t f = {0};
    fp_buf_puts(&f, s_header);
    /* 张三 in GBK; the vocabulary words in English */
    s_line(&f, "H1", "\xD5\xC5\xC8\xFD", a, HEAD, "\xD5\xC5\xC8\xFD", TYPE, "general", REL, "head", LAB, "normal",
           HEALTH, "healthy", SCHOOL, "none", INS, "yes", WATER, "yes", HOUSING, "yes", -1);
    fp_ledger_t lg;
    s_lines_t *ls = fp_calloc(1, sizeof *ls);
    char msg[1024];
    unsigned long line;
    assert_int_equal(s_read(&lg, ls, &f, msg, &line), FP_OK);
    assert_string_equal(lg.encoding, "gbk");
    assert_string_equal(ls->l[0].code, "");
    assert_string_equal(ls->l[0].name, "张三");
    assert_string_equal(ls->l[0].head, "张三");
    fp_ledger_free(&lg);
    free(ls);
    fp_buf_free(&f);
}

/* test_refusals: the code each line of its file gets from its own checks, by line number. The
 * lines marked "across" are refused by the checks across lines (SQL), not here: they are
 * checked by tests/integration/test_ledger.py's test_checks_across_lines. */
static const char *const s_refusal_want[] = {[2] = "amount.negative",
                                             [3] = "",
                                             [4] = "amount.invalid",
                                             [5] = "amount.invalid",
                                             [6] = "amount.public_job",
                                             [7] = "",
                                             [8] = "sex.mismatch",
                                             [9] = "idcard.checksum",
                                             [10] = "birth_date.mismatch",
                                             [11] = "monitored_kind.missing",
                                             [12] = "monitored_kind.unexpected",
                                             [13] = "guarantee.unknown",
                                             [14] = "period.invalid",
                                             [15] = "village.invalid",
                                             [16] = "relation.unknown",
                                             [17] = "", /* across */
                                             [18] = "",
                                             [19] = "",
                                             [20] = "",
                                             [21] = "",
                                             [22] = "",
                                             [23] = "",
                                             [24] = "",
                                             [25] = "",
                                             [26] = "csv.fields",
                                             [27] = "household_no.invalid"};

/* Each line is refused for one thing, just past the boundary of a rule; its neighbour just
 * inside the boundary (a household of its own) is accepted. */
static void test_refusals(void **state)
{
    (void)state;
    char id[40][19];
    for (int i = 0; i < 40; i++) s_id(id[i], "19800101", 100 + 2 * i + 1); /* all male */
    char bad_check[19];
    memcpy(bad_check, id[30], 19);
    bad_check[17] = bad_check[17] == '0' ? '1' : '0';
    fp_buf_t f = {0};
    fp_buf_puts(&f, s_header);
    /* line 2.. */
    s_line(&f, "A1", "王大", id[0], WAGE, "-0.01", -1);                 /* 2 amount.negative */
    s_line(&f, "A2", "王大", id[1], WAGE, "0.00", -1);                  /* 3 ok */
    s_line(&f, "A3", "王大", id[2], WAGE, "1.234", -1);                 /* 4 amount.invalid */
    s_line(&f, "A4", "王大", id[3], WAGE, "\"1,23\"", -1);              /* 5 amount.invalid */
    s_line(&f, "A5", "王大", id[4], WAGE, "100", PUBJOB, "100.01", -1); /* 6 amount.public_job */
    s_line(&f, "A6", "王大", id[5], WAGE, "100", PUBJOB, "100", -1);    /* 7 ok */
    s_line(&f, "A7", "王大", id[6], SEX, "女", -1);                     /* 8 sex.mismatch */
    s_line(&f, "A8", "王大", bad_check, -1);                            /* 9 idcard.checksum */
    s_line(&f, "A9", "王大", id[8], BIRTH, "1980-01-02", -1);           /* 10 birth_date.mismatch */
    s_line(&f, "B1", "王大", id[9], TYPE, "监测户", -1);                /* 11 monitored_kind.missing */
    s_line(&f, "B2", "王大", id[10], KIND, "边缘易致贫户", -1);         /* 12 monitored_kind.unexpected */
    s_line(&f, "B3", "王大", id[11], HOUSING, "也许", -1);              /* 13 guarantee.unknown */
    s_line(&f, "B4", "王大", id[12], PERIOD, "2026Q5", -1);             /* 14 period.invalid */
    s_line(&f, "B5", "王大", id[13], VIL, "13082211220", -1);           /* 15 village.invalid */
    s_line(&f, "B6", "王大", id[14], REL, "邻居", -1);                  /* 16 relation.unknown */
    s_line(&f, "C1", "王大", id[15], -1);                               /* 17 (across: heads) */
    s_line(&f, "C1", "王大", id[16], -1);                               /* 18 */
    s_line(&f, "C2", "李二", id[17], REL, "配偶", -1);                  /* 19 (across: no_head) */
    s_line(&f, "C3", "王大", id[18], -1);                               /* 20 */
    s_line(&f, "C3", "李二", id[19], REL, "配偶", WAGE, "1", -1);       /* 21 (across: inconsistent) */
    s_line(&f, "C4", "王大", id[20], -1);                               /* 22 (across: duplicate) */
    s_line(&f, "C5", "王大", id[20], -1);                               /* 23 */
    s_line(&f, "C6", "王小", id[21], -1);                               /* 24 (across: head_name) */
    s_line(&f, "C7", "王大", id[22], -1, 0);                            /* 25 ok */
    fp_buf_puts(&f, "C8,130822112201\r\n");                             /* 26 csv.fields */
    s_line(&f, "C 9", "王大", id[23], -1);                              /* 27 household_no.invalid */
    fp_ledger_t lg;
    s_lines_t *ls = fp_calloc(1, sizeof *ls);
    char msg[1024];
    unsigned long line;
    assert_int_equal(s_read(&lg, ls, &f, msg, &line), FP_OK);
    size_t refused = 0;
    for (uint32_t n = 2; n <= 27; n++) {
        const char *got = s_code(ls, n);
        if (strcmp(got, s_refusal_want[n])) fail_msg("line %u: %s, want %s", n, got, s_refusal_want[n]);
        refused += got[0] != 0;
    }
    assert_int_equal(refused, 15);
    /* the reason names the column as the header writes it */
    assert_string_equal(ls->l[4].en,
                        "public_job: public-welfare job income is part of the wage income and cannot exceed "
                        "it");
    /* what the checks across lines need: a refused line's name and relation, an accepted line's ID
     * number and household columns; a line without a valid household number has none */
    assert_string_equal(ls->l[14].relation, ""); /* 16: relation unknown */
    assert_string_equal(ls->l[14].name, "王大");
    assert_string_equal(ls->l[14].id, "");
    assert_string_equal(ls->l[7].relation, ""); /* 9: the ID number's check character */
    assert_true(ls->l[19].has_data);
    assert_int_equal(ls->l[19].amt[0], 100);
    assert_string_equal(ls->l[20].id, id[20]);
    assert_false(ls->l[25].has_hh);
    assert_false(ls->l[24].has_hh);
    fp_ledger_free(&lg);
    free(ls);
    fp_buf_free(&f);
}

static void s_expect_refused(const char *text, size_t len, unsigned long want_line, const char *want_msg)
{
    fp_ledger_t lg;
    s_lines_t *ls = fp_calloc(1, sizeof *ls);
    fp_ledger_init(&lg, fp_date_from_civil(2026, 11, 24), s_keep, ls);
    char msg[1024];
    unsigned long line = 99;
    assert_int_equal(fp_ledger_read(&lg, text, len, &line, msg, sizeof msg), FP_EINVAL);
    assert_int_equal(line, want_line);
    if (!strstr(msg, want_msg)) fail_msg("\"%s\" does not say \"%s\"", msg, want_msg);
    fp_ledger_free(&lg);
    free(ls);
}

static void test_file_refused(void **state)
{
    (void)state;
    s_expect_refused("", 0, 0, "empty: no header line");
    s_expect_refused("\r\n,,\r\n", 6, 0, "empty: no header line");
    s_expect_refused("\xFF\xFE\x31\x00", 4, 0, "neither UTF-8 nor GBK");
    fp_buf_t f = {0};
    fp_buf_puts(&f, "\r\n");
    fp_buf_puts(&f, s_header);
    f.len -= 2;
    fp_buf_puts(&f, ",户编号\r\n");
    s_expect_refused(f.data, f.len, 2, "column \"户编号\" appears twice");
    fp_buf_reset(&f);
    fp_buf_puts(&f, s_header);
    char *p = strstr(f.data, "survey_period");
    memcpy(p, "survey_perio_", 13);
    s_expect_refused(f.data, f.len, 1, "lacks required columns: 调查期 (survey_period)");
    fp_buf_reset(&f);
    fp_buf_puts(&f, s_header);
    fp_buf_puts(&f, "\"H1,\r\n");
    s_expect_refused(f.data, f.len, 2, "nothing was imported");
    fp_buf_reset(&f);
    fp_buf_puts(&f, s_header);
    fp_buf_puts(&f, "H1,\"130822112201\r\n"); /* a quote still open where the file ends */
    s_expect_refused(f.data, f.len, 2, "nothing was imported");
    fp_buf_free(&f);
}

/* The last line of a file that does not end with a line break is read like the others. */
static void test_last_line_without_line_break(void **state)
{
    (void)state;
    char a[19], b2[19];
    s_id(a, "19700101", 11);
    s_id(b2, "19700101", 13);
    fp_buf_t f = {0};
    fp_buf_puts(&f, s_header);
    s_line(&f, "H1", "王大", a, -1);
    s_line(&f, "H2", "王大", b2, -1);
    f.data[f.len -= 2] = '\0';
    fp_ledger_t lg;
    s_lines_t *ls = fp_calloc(1, sizeof *ls);
    char msg[1024];
    unsigned long line;
    assert_int_equal(s_read(&lg, ls, &f, msg, &line), FP_OK);
    assert_int_equal(ls->n, 2);
    assert_int_equal(ls->l[1].line, 3);
    assert_string_equal(ls->l[1].code, "");
    assert_string_equal(ls->l[1].hh, "H2");
    fp_ledger_free(&lg);
    free(ls);
    fp_buf_free(&f);
}

/* fangpinctl reads a file in pieces: the text cut anywhere (here every 1..7 bytes, through the
 * middle of characters, fields and line breaks) gives the same lines as the whole. */
static void test_pieces(void **state)
{
    (void)state;
    char a[19], b2[19];
    s_id(a, "19700101", 11);
    s_id(b2, "19720304", 22);
    fp_buf_t f = {0};
    fp_buf_puts(&f, s_header);
    s_line(&f, "H1", "王大", a, SEX, "男", -1);
    s_line(&f, "H1", "李二", b2, REL, "配偶", HOUSING, "\"否（墙体开裂,漏雨）\"", -1);
    s_line(&f, "H2", "王大", b2, WAGE, "1.234", -1);
    fp_ledger_t lg;
    s_lines_t *whole = fp_calloc(1, sizeof *whole), *cut = fp_calloc(1, sizeof *cut);
    char msg[1024];
    unsigned long line;
    assert_int_equal(s_read(&lg, whole, &f, msg, &line), FP_OK);
    fp_ledger_free(&lg);
    assert_int_equal(whole->n, 3);
    assert_string_equal(whole->l[2].code, "amount.invalid");
    for (size_t step = 1; step <= 7; step++) {
        cut->n = 0;
        fp_ledger_init(&lg, fp_date_from_civil(2026, 11, 24), s_keep, cut);
        for (size_t off = 0; off < f.len; off += step) {
            size_t n = f.len - off < step ? f.len - off : step;
            assert_int_equal(fp_ledger_feed(&lg, f.data + off, n, &line, msg, sizeof msg), FP_OK);
        }
        assert_int_equal(fp_ledger_finish(&lg, &line, msg, sizeof msg), FP_OK);
        fp_ledger_free(&lg);
        assert_int_equal(cut->n, whole->n);
        assert_memory_equal(cut->l, whole->l, whole->n * sizeof *whole->l);
    }
    free(whole);
    free(cut);
    fp_buf_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_gbk),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_file_refused),
        cmocka_unit_test(test_last_line_without_line_break),
        cmocka_unit_test(test_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
