/* xlsx_test.c: the .xlsx reader (common/xlsx.c) on real workbooks: written here by
 * libxlsxwriter (shared strings, and inline strings in its constant-memory mode), and the
 * committed fixtures of tests/fixtures/xlsx/ (make.py) in the shapes Excel and WPS save: rich
 * text, phonetic runs, date styles built-in and custom, the 1904 date system, gaps, cells
 * without references, prefixed namespaces, absolute and differently-cased part names. Then
 * every refusal with its reason: not a zip, a truncated zip, a DOCTYPE (billion laughs), a
 * cell reference out of range, rows out of order, a shared string past the table, broken XML,
 * a chart sheet, and each limit. And the serial dates and date formats at their edges. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "mem.h"
#include "xlsx.h"

/* Every record of the workbook as "LINE:[f1|f2|...]\n", or "error: REASON". */
static char *s_read(const fp_buf_t *file, const fp_xlsx_limits_t *lim)
{
    fp_buf_t out = {0};
    fp_xlsx_t *x = fp_xlsx_new();
    fp_xlsx_set_limits(x, lim);
    fp_err_t rc = fp_xlsx_open(x, file->data, file->len);
    const fp_csv_record_t *rec = NULL;
    while (rc == FP_OK && (rc = fp_xlsx_next(x, &rec)) == FP_OK && rec) {
        fp_buf_printf(&out, "%lu:[", rec->line);
        for (size_t i = 0; i < rec->nfields; i++) {
            assert_int_equal(rec->fields[i][rec->lens[i]], '\0');
            assert_int_equal(strlen(rec->fields[i]), rec->lens[i]);
            fp_buf_printf(&out, "%s%s", i ? "|" : "", rec->fields[i]);
        }
        fp_buf_puts(&out, "]\n");
    }
    if (rc != FP_OK) {
        fp_buf_reset(&out);
        fp_buf_printf(&out, "error: %s", fp_xlsx_error(x));
        /* the reader stays failed */
        assert_int_equal(fp_xlsx_next(x, &rec), rc);
        assert_null(rec);
    }
    fp_xlsx_destroy(&x);
    assert_null(x);
    return out.data ? out.data : fp_strdup("");
}

static fp_buf_t s_load(const char *path)
{
    fp_buf_t b = {0};
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char blk[4096];
    size_t n;
    while ((n = fread(blk, 1, sizeof blk, f)) > 0) fp_buf_append(&b, blk, n);
    fclose(f);
    return b;
}

static char *s_fixture(const char *name, const fp_xlsx_limits_t *lim)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/xlsx/%s", FP_SOURCE_DIR, name);
    fp_buf_t b = s_load(path);
    char *got = s_read(&b, lim);
    fp_buf_free(&b);
    return got;
}

static void s_expect(const char *name, const char *want)
{
    char *got = s_fixture(name, NULL);
    assert_string_equal(got, want);
    free(got);
}

/* A department's sheet written by libxlsxwriter: Chinese headers, an ID number as text, a date
 * cell, amounts, a gap, a rich string, a boolean; constant_memory writes inline strings. */
static fp_buf_t s_written(bool constant_memory)
{
    char path[] = "/tmp/xlsx_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    lxw_workbook_options opt = {.constant_memory = constant_memory ? LXW_TRUE : LXW_FALSE, .tmpdir = "/tmp"};
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "医保");
    workbook_add_worksheet(wb, "第二页");
    lxw_format *date = workbook_add_format(wb);
    format_set_num_format(date, "yyyy/m/d");
    lxw_format *bold = workbook_add_format(wb);
    format_set_bold(bold);
    const char *head[] = {"身份证号", "姓名", "发生日期", "金额(元)", "说明"};
    for (int c = 0; c < 5; c++) worksheet_write_string(ws, 0, (lxw_col_t)c, head[c], bold);
    worksheet_write_string(ws, 1, 0, "11010519491231002X", NULL);
    lxw_rich_string_tuple a = {.format = bold, .string = "王"}, b = {.format = NULL, .string = "五"};
    lxw_rich_string_tuple *rich[] = {&a, &b, NULL};
    worksheet_write_rich_string(ws, 1, 1, rich, NULL);
    lxw_datetime dt = {2026, 10, 3, 0, 0, 0};
    worksheet_write_datetime(ws, 1, 2, &dt, date);
    worksheet_write_number(ws, 1, 3, 0.1 + 0.2, NULL);
    worksheet_write_boolean(ws, 1, 4, 1, NULL);
    /* row 3 empty; row 4 with a gap in column B */
    worksheet_write_string(ws, 3, 0, "110105194912310037", NULL);
    worksheet_write_number(ws, 3, 3, 1234.5, NULL);
    worksheet_write_blank(ws, 3, 4, bold); /* a styled empty cell at the end */
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
    fp_buf_t file = s_load(path);
    unlink(path);
    return file;
}

static void test_libxlsxwriter(void **state)
{
    const char *want = "1:[身份证号|姓名|发生日期|金额(元)|说明]\n"
                       "2:[11010519491231002X|王五|2026-10-03|0.3|TRUE]\n"
                       "4:[110105194912310037|||1234.5]\n";
    for (int mode = 0; mode < 2; mode++) {
        fp_buf_t file = s_written(mode == 1);
        char *got = s_read(&file, NULL);
        assert_string_equal(got, want);
        free(got);
        fp_buf_free(&file);
    }
}

static void test_excel_shapes(void **state)
{
    /* rich text joined, the phonetic run left out, a trailing space kept; date style 14; 0.3;
     * a styled empty E2 dropped; row 3 absent; time style 20 stays a number; row 5 only empty */
    s_expect("excel.xlsx",
             "1:[身份证号|姓名|发生日期|金额(元)]\n"
             "2:[11010519491231002X|张三 |2026-10-03|0.3]\n"
             "4:[内联|TRUE|0.5|1234.5]\n");
}

static void test_wps_shapes(void **state)
{
    /* no r on the first rows and cells; B2 missing; a custom 年月日 format with a time of day;
     * a formula's string; absolute, differently-cased targets; x: prefixes */
    s_expect("wps.xlsx",
             "1:[线索类型|村代码|3]\n"
             "2:[医疗费用个人负担较重||2026-10-03|公式]\n"
             "7:[|130822105201]\n");
}

static void test_date1904(void **state) { s_expect("date1904.xlsx", "1:[1904-01-01|2026-10-04]\n"); }

static void s_refused(const char *name, const char *reason)
{
    char *got = s_fixture(name, NULL);
    if (!strstr(got, reason)) fail_msg("%s: got \"%s\", want a reason with \"%s\"", name, got, reason);
    assert_true(strncmp(got, "error: ", 7) == 0);
    free(got);
}

static void test_refused(void **state)
{
    s_refused("doctype.xlsx", "xl/worksheets/sheet1.xml line 1: a DOCTYPE");
    s_refused("badref.xlsx", "a cell reference out of range");
    s_refused("sstindex.xlsx", "a shared string index past the table");
    s_refused("broken.xlsx", "xl/worksheets/sheet1.xml line 2: mismatched tag");
    s_refused("chart.xlsx", "is not a worksheet");
    s_refused("order.xlsx", "row 1 after row 2");
    fp_buf_t b = {0};
    fp_buf_puts(&b, "身份证号,姓名\r\n");
    char *got = s_read(&b, NULL);
    assert_string_equal(got, "error: not an .xlsx workbook (no zip signature)");
    free(got);
    fp_buf_free(&b);
    /* a zip cut short: its central directory is gone */
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/xlsx/excel.xlsx", FP_SOURCE_DIR);
    b = s_load(path);
    b.len /= 2;
    got = s_read(&b, NULL);
    assert_true(strncmp(got, "error: not a readable zip archive", 33) == 0);
    free(got);
    fp_buf_free(&b);
}

static void test_limits(void **state)
{
    char *got = s_fixture("excel.xlsx", &(fp_xlsx_limits_t){.max_cells = 11});
    assert_string_equal(got, "error: xl/worksheets/sheet1.xml line 2: more cells than the limit");
    free(got);
    got = s_fixture("excel.xlsx", &(fp_xlsx_limits_t){.max_cells = 12}); /* exactly its non-empty cells */
    assert_true(strncmp(got, "1:[", 3) == 0);
    free(got);
    got = s_fixture("excel.xlsx", &(fp_xlsx_limits_t){.max_strings = 5});
    assert_string_equal(got, "error: xl/sharedStrings.xml line 2: more shared strings than the limit");
    free(got);
    got = s_fixture("excel.xlsx", &(fp_xlsx_limits_t){.max_string_bytes = 17});
    assert_string_equal(got, "error: xl/sharedStrings.xml line 2: a string longer than the limit");
    free(got);
    got = s_fixture("excel.xlsx", &(fp_xlsx_limits_t){.max_string_bytes = 19}); /* 0.30000000000000004 */
    assert_true(strncmp(got, "1:[", 3) == 0);
    free(got);
    got = s_fixture("excel.xlsx", &(fp_xlsx_limits_t){.max_cols = 3});
    assert_string_equal(got, "error: xl/worksheets/sheet1.xml line 2: a cell beyond the column limit");
    free(got);
    got = s_fixture("excel.xlsx", &(fp_xlsx_limits_t){.max_row_bytes = 20});
    assert_string_equal(got, "error: row 1 holds more than 20 bytes");
    free(got);
    got = s_fixture("excel.xlsx", &(fp_xlsx_limits_t){.max_xml_bytes = 600});
    assert_non_null(strstr(got, "the workbook's XML is larger than 600 bytes uncompressed"));
    free(got);
}

static void test_serial_dates(void **state)
{
    char d[11];
    struct {
        double serial;
        bool d1904;
        const char *want;
    } cases[] = {
        {1, false, "1900-01-01"},       {59, false, "1900-02-28"},    {60, false, "1900-02-29"},
        {61, false, "1900-03-01"},      {46298, false, "2026-10-03"}, {46298.999, false, "2026-10-03"},
        {2958465, false, "9999-12-31"}, {0, true, "1904-01-01"},      {44837, true, "2026-10-04"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_true(fp_xlsx_serial_date(cases[i].serial, cases[i].d1904, d));
        assert_string_equal(d, cases[i].want);
    }
    assert_false(fp_xlsx_serial_date(0, false, d));
    assert_false(fp_xlsx_serial_date(0.5, false, d));
    assert_false(fp_xlsx_serial_date(-1, false, d));
    assert_false(fp_xlsx_serial_date(2958466, false, d));
}

static void test_date_formats(void **state)
{
    const char *dates[] =
        {"yyyy-mm-dd", "m/d/yyyy",      "yyyy\"年\"m\"月\"d\"日\"",         "[$-804]yyyy/m/d", "d-mmm",
         "mmm-yy",     "yyyy/m/d h:mm", "[DBNum1][$-804]yyyy\"年\"m\"月\"", "e/m/d",           "YYYY-MM-DD",
         "mmmm"};
    const char *numbers[] = {"General",  "0.00",       "#,##0.00_);[Red](#,##0.00)",
                             "0.00E+00", "h:mm",       "[h]:mm:ss",
                             "mm:ss",    "h:mm AM/PM", "0\" days\"",
                             "@",        "\\d0",       "0;[Red]yyyy"};
    for (size_t i = 0; i < sizeof dates / sizeof *dates; i++)
        if (!fp_xlsx_format_is_date(dates[i])) fail_msg("\"%s\" is a date format", dates[i]);
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++)
        if (fp_xlsx_format_is_date(numbers[i])) fail_msg("\"%s\" is no date format", numbers[i]);
}

static void test_is_zip(void **state)
{
    assert_true(fp_xlsx_is_zip("PK\3\4rest", 9));
    assert_true(fp_xlsx_is_zip("PK\5\6", 4));
    assert_false(fp_xlsx_is_zip("PK\3", 3));
    assert_false(fp_xlsx_is_zip("\xEF\xBB\xBFPK\3\4", 7));
    assert_false(fp_xlsx_is_zip("身份证号", 12));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libxlsxwriter), cmocka_unit_test(test_excel_shapes), cmocka_unit_test(test_wps_shapes),
        cmocka_unit_test(test_date1904),      cmocka_unit_test(test_refused),      cmocka_unit_test(test_limits),
        cmocka_unit_test(test_serial_dates),  cmocka_unit_test(test_date_formats), cmocka_unit_test(test_is_zip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
