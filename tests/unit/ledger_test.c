/* ledger_test.c: the rules of the ledger's census file (common/ledger.c) on small files made
 * here: a good file read exactly (amounts, guarantees, period, sex and birth from the ID
 * number, GBK); each refusal at its boundary with its code; a household refused whole; the
 * file-level refusals (header, encoding, empty); villages and later surveys refused. */
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

static fp_err_t s_read(fp_ledger_t *lg, const fp_buf_t *b, char *msg, unsigned long *line)
{
    fp_ledger_init(lg, fp_date_from_civil(2026, 11, 24));
    return fp_ledger_read(lg, b->data, b->len, line, msg, 1024);
}

/* The reason code of the line at file line n, "" when accepted. */
static const char *s_code(const fp_ledger_t *lg, uint32_t n)
{
    for (size_t i = 0; i < lg->nlines; i++)
        if (lg->lines[i].line == n) return lg->lines[i].reason < 0 ? "" : lg->arena.reasons[lg->lines[i].reason].code;
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
    char msg[1024];
    unsigned long line;
    assert_int_equal(s_read(&lg, &f, msg, &line), FP_OK);
    assert_string_equal(lg.encoding, "utf-8");
    static const char known[][13] = {"130822112201"};
    fp_ledger_refuse_villages(&lg, known, 1);
    fp_ledger_households(&lg);
    fp_ledger_refuse_households(&lg);
    assert_int_equal(lg.nlines, 3);
    assert_int_equal(lg.nhh, 2);
    assert_int_equal(lg.refused_lines, 0);
    assert_int_equal(lg.refused_hh, 0);
    assert_int_equal(lg.lines[2].line, 5); /* physical lines: header 1, blank row 4 */
    const fp_ledger_hh_t *h1 = &lg.hhs[0];
    assert_string_equal(fp_arena_str(&lg.arena, h1->no), "H1");
    assert_string_equal(h1->village, "130822112201");
    assert_string_equal(h1->county, "130822");
    assert_string_equal(h1->type, "general");
    assert_null(h1->kind);
    assert_int_equal(h1->amt[0], 1200050); /* 12,000.50 yuan in fen */
    assert_int_equal(h1->amt[FP_LEDGER_NAMT - 1], 30000);
    assert_string_equal(h1->period, "2026Q3");
    assert_int_equal(h1->ok[3], 0); /* housing: no, with its reason */
    assert_string_equal(fp_arena_str(&lg.arena, h1->why[3]), "墙体开裂");
    assert_int_equal(h1->ok[4], 1);  /* water */
    assert_int_equal(h1->ok[0], -1); /* food_clothing: not in the file */
    assert_int_equal(h1->nlines, 2);
    assert_string_equal(lg.lines[0].sex, "male");
    assert_string_equal(lg.lines[1].sex, "female");
    assert_string_equal(lg.lines[1].relation, "spouse");
    assert_int_equal(lg.lines[1].birth, fp_date_from_civil(1972, 3, 4));
    assert_true(lg.lines[0].insured);
    const fp_ledger_hh_t *h2 = &lg.hhs[1];
    assert_string_equal(h2->type, "monitored");
    assert_string_equal(h2->kind, "marginal");
    assert_string_equal(lg.lines[2].schooling, "in_school");
    fp_ledger_free(&lg);
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
    char msg[1024];
    unsigned long line;
    assert_int_equal(s_read(&lg, &f, msg, &line), FP_OK);
    assert_string_equal(lg.encoding, "gbk");
    assert_int_equal(lg.lines[0].reason, -1);
    assert_string_equal(fp_arena_str(&lg.arena, lg.lines[0].name), "张三");
    fp_ledger_free(&lg);
    fp_buf_free(&f);
}

/* test_refusals: the code each line of its file gets, by line number. */
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
                                             [17] = "household.refused",
                                             [18] = "household.heads",
                                             [19] = "household.no_head",
                                             [20] = "household.refused",
                                             [21] = "household.inconsistent",
                                             [22] = "id.duplicate",
                                             [23] = "id.duplicate",
                                             [24] = "household.head_name",
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
    s_line(&f, "C1", "王大", id[15], -1);                               /* 17 household.heads (2nd head) */
    s_line(&f, "C1", "王大", id[16], -1);                               /* 18 */
    s_line(&f, "C2", "李二", id[17], REL, "配偶", -1);                  /* 19 household.no_head */
    s_line(&f, "C3", "王大", id[18], -1);                               /* 20 refused: line 21 */
    s_line(&f, "C3", "李二", id[19], REL, "配偶", WAGE, "1", -1);       /* 21 household.inconsistent */
    s_line(&f, "C4", "王大", id[20], -1);                               /* 22 id.duplicate */
    s_line(&f, "C5", "王大", id[20], -1);                               /* 23 id.duplicate */
    s_line(&f, "C6", "王小", id[21], -1);                               /* 24 household.head_name */
    s_line(&f, "C7", "王大", id[22], -1, 0);                            /* 25 ok */
    fp_buf_puts(&f, "C8,130822112201\r\n");                             /* 26 csv.fields */
    s_line(&f, "C 9", "王大", id[23], -1);                              /* 27 household_no.invalid */
    fp_ledger_t lg;
    char msg[1024];
    unsigned long line;
    assert_int_equal(s_read(&lg, &f, msg, &line), FP_OK);
    fp_ledger_households(&lg);
    fp_ledger_refuse_households(&lg);
    for (uint32_t n = 2; n <= 27; n++) {
        const char *got = s_code(&lg, n);
        if (strcmp(got, s_refusal_want[n])) fail_msg("line %u: %s, want %s", n, got, s_refusal_want[n]);
    }
    assert_int_equal(lg.refused_lines, 26 - 3);
    /* the reason names the column as the header writes it, and says which line it points to */
    for (size_t i = 0; i < lg.nlines; i++) {
        const fp_ledger_line_t *l = &lg.lines[i];
        if (l->line == 6)
            assert_string_equal(lg.arena.reasons[l->reason].en,
                                "public_job: public-welfare job income is part of the wage income and cannot exceed "
                                "it");
        if (l->line == 20) assert_non_null(strstr(lg.arena.reasons[l->reason].en, "line 21"));
        if (l->line == 22) assert_non_null(strstr(lg.arena.reasons[l->reason].en, "line 23"));
    }
    fp_ledger_free(&lg);
    fp_buf_free(&f);
}

static void s_expect_refused(const char *text, size_t len, unsigned long want_line, const char *want_msg)
{
    fp_ledger_t lg;
    fp_ledger_init(&lg, fp_date_from_civil(2026, 11, 24));
    char msg[1024];
    unsigned long line = 99;
    assert_int_equal(fp_ledger_read(&lg, text, len, &line, msg, sizeof msg), FP_EINVAL);
    assert_int_equal(line, want_line);
    if (!strstr(msg, want_msg)) fail_msg("\"%s\" does not say \"%s\"", msg, want_msg);
    fp_ledger_free(&lg);
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
    char msg[1024];
    unsigned long line;
    assert_int_equal(s_read(&lg, &f, msg, &line), FP_OK);
    assert_int_equal(lg.nlines, 2);
    assert_int_equal(lg.nhh, 2);
    assert_int_equal(lg.lines[1].line, 3);
    assert_int_equal(lg.lines[1].reason, -1);
    fp_ledger_free(&lg);
    fp_buf_free(&f);
}

static void test_villages_and_older(void **state)
{
    (void)state;
    char a[19], b2[19];
    s_id(a, "19700101", 11);
    s_id(b2, "19700101", 13);
    fp_buf_t f = {0};
    fp_buf_puts(&f, s_header);
    s_line(&f, "H1", "王大", a, VIL, "130822112219", -1); /* 三道河镇 has villages 201..218 */
    s_line(&f, "H2", "王大", b2, VIL, "130822112218", -1);
    fp_ledger_t lg;
    char msg[1024];
    unsigned long line;
    assert_int_equal(s_read(&lg, &f, msg, &line), FP_OK);
    static const char known[][13] = {"130822112201", "130822112218"};
    fp_ledger_refuse_villages(&lg, known, 2);
    fp_ledger_households(&lg);
    fp_ledger_refuse_households(&lg);
    assert_string_equal(s_code(&lg, 2), "village.unknown");
    assert_string_equal(s_code(&lg, 3), "");
    assert_int_equal(lg.refused_hh, 1);
    fp_ledger_refuse_older(&lg, "H2", "2026Q4");
    fp_ledger_refuse_households(&lg);
    assert_string_equal(s_code(&lg, 3), "period.older");
    assert_int_equal(lg.refused_hh, 2);
    assert_int_equal(lg.refused_lines, 2);
    fp_ledger_free(&lg);
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
        cmocka_unit_test(test_villages_and_older),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
