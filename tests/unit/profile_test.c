/* profile_test.c: column profiles (common/profile.c) at their boundaries: every date form and
 * an impossible day, 元 and 万元 to the last fen and one decimal past it, the text format's
 * errors by line (a missing required mapping, a field or a column mapped twice), a header's
 * layout (joined columns, alternatives, absent columns) and a row's values with kept columns. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "profile.h"

static const char s_dibao[] = "\xEF\xBB\xBF# 民政低保变动\n"
                              "id_number   = 身份证号码\r\n"
                              "name        = 户主姓名\n"
                              "village     = 乡镇（街道） + 村（社区）\n"
                              "kind        = 变动类型\n"
                              "occurred_on = 变动日期\n"
                              "amount      = 保障金额（万元）\n"
                              "detail      = 备注\n"
                              "line_ref    = 序号\n"
                              "date_format = YYYY年M月D日, YYYYMMDD\n"
                              "amount_unit = 万元\n"
                              "keep        = 保障人数，联系电话\n"
                              "header_row  = 2\n";

static void s_parse_ok(const char *text, fp_profile_t *p)
{
    char err[256];
    if (fp_profile_parse(text, strlen(text), p, err, sizeof err) != FP_OK) fail_msg("refused: %s", err);
}

static void s_parse_bad(const char *text, const char *want)
{
    fp_profile_t p;
    char err[256];
    assert_int_equal(fp_profile_parse(text, strlen(text), &p, err, sizeof err), FP_EINVAL);
    if (!strstr(err, want)) fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static void test_parse(void **state)
{
    fp_profile_t p;
    s_parse_ok(s_dibao, &p);
    assert_int_equal(p.f[FP_PF_VILLAGE].how, FP_PROFILE_JOIN);
    assert_int_equal(p.f[FP_PF_VILLAGE].n, 2);
    assert_string_equal(p.f[FP_PF_VILLAGE].names[1], "村（社区）");
    assert_string_equal(p.f[FP_PF_ID].names[0], "身份证号码"); /* CRLF trimmed */
    assert_int_equal(p.dates, FP_PROFILE_DATE_CHINESE | FP_PROFILE_DATE_COMPACT);
    assert_true(p.wan);
    assert_int_equal(p.nkeep, 2);
    assert_string_equal(p.keep[1], "联系电话");
    assert_int_equal(p.header_row, 2);
    assert_false(p.lenient);
    s_parse_ok("id_number = A | B\nname = N\nvillage = V\nkind = \"yibao.high_cost\"\noccurred_on = D\n", &p);
    assert_int_equal(p.f[FP_PF_ID].how, FP_PROFILE_ANY_OF);
    assert_int_equal(p.f[FP_PF_KIND].how, FP_PROFILE_FIXED);
    assert_string_equal(p.f[FP_PF_KIND].names[0], "yibao.high_cost");
    assert_int_equal(p.f[FP_PF_AMOUNT].how, FP_PROFILE_NONE);
    assert_int_equal(p.dates, FP_PROFILE_DATE_ALL);
    assert_int_equal(p.header_row, 1);
}

static void test_parse_errors(void **state)
{
    const char *base = "id_number = A\nname = N\nvillage = V\nkind = K\n";
    char text[512];
    s_parse_bad(base, "occurred_on is not mapped"); /* a missing required mapping */
    snprintf(text, sizeof text, "%soccurred_on = D\nname = M\n", base);
    s_parse_bad(text, "line 6: name is mapped twice (first on line 2)");
    snprintf(text, sizeof text, "%soccurred_on = D\ndetail = A\n", base);
    s_parse_bad(text, "line 6: the column 'A' is already used on line 1");
    snprintf(text, sizeof text, "%soccurred_on = D\nkeep = x, N\n", base);
    s_parse_bad(text, "line 6: the column 'N' is already used on line 2");
    snprintf(text, sizeof text, "%soccurred_on = D\ndate_format = DD/MM/YYYY\n", base);
    s_parse_bad(text, "line 6: date_format: unknown form 'DD/MM/YYYY'");
    snprintf(text, sizeof text, "%soccurred_on = D\namount_unit = 千元\n", base);
    s_parse_bad(text, "line 6: amount_unit is 元 or 万元");
    snprintf(text, sizeof text, "%soccurred_on = D\nheader_row = 0\n", base);
    s_parse_bad(text, "line 6: header_row");
    snprintf(text, sizeof text, "%soccurred_on = D\ncolour = red\n", base);
    s_parse_bad(text, "line 6: unknown key 'colour'");
    snprintf(text, sizeof text, "%soccurred_on = D | E + F\n", base);
    s_parse_bad(text, "line 5: occurred_on: use either |");
    snprintf(text, sizeof text, "%soccurred_on D\n", base);
    s_parse_bad(text, "line 5: no '='");
    snprintf(text, sizeof text, "%soccurred_on =\n", base);
    s_parse_bad(text, "line 5: occurred_on has no value");
    snprintf(text, sizeof text, "%soccurred_on = A + + B\n", base);
    s_parse_bad(text, "line 5: occurred_on: an empty name");
    snprintf(text, sizeof text, "%soccurred_on = D\ndate_format = YYYYMMDD\ndate_format = YYYYMMDD\n", base);
    s_parse_bad(text, "line 7: date_format is set twice");
    s_parse_bad("id_number = \xff\n", "not UTF-8");
}

static void s_date(const fp_profile_t *p, const char *s, fp_err_t want, const char *out)
{
    char got[11] = "untouched";
    fp_err_t rc = fp_profile_date(p, s, strlen(s), got);
    if (rc != want) fail_msg("\"%s\": rc %d want %d", s, rc, want);
    if (out && strcmp(got, out)) fail_msg("\"%s\": got %s want %s", s, got, out);
}

static void test_dates(void **state)
{
    fp_profile_t all;
    fp_profile_default(&all);
    s_date(&all, "2026-10-03", FP_OK, "2026-10-03");
    s_date(&all, "2026/10/3", FP_OK, "2026-10-03");
    s_date(&all, "2026.10.03", FP_OK, "2026-10-03");
    s_date(&all, "20261003", FP_OK, "2026-10-03");
    s_date(&all, "2026年10月3日", FP_OK, "2026-10-03");
    s_date(&all, " 2026年1月31日 ", FP_OK, "2026-01-31");
    s_date(&all, "2024年2月29日", FP_OK, "2024-02-29");
    s_date(&all, "2026年2月30日", FP_EDATE, "2026-02-30");
    s_date(&all, "2026年2月29日", FP_EDATE, "2026-02-29");
    s_date(&all, "20261301", FP_EDATE, "2026-13-01");
    s_date(&all, "2026-00-10", FP_EDATE, "2026-00-10");
    s_date(&all, "1899-12-31", FP_EDATE, NULL);
    s_date(&all, "2026/10-03", FP_EINVAL, "untouched"); /* one separator throughout */
    s_date(&all, "2026年10月3", FP_EINVAL, "untouched");
    s_date(&all, "2026-100-3", FP_EINVAL, "untouched");
    s_date(&all, "2026103", FP_EINVAL, "untouched");
    s_date(&all, "26-10-03", FP_EINVAL, "untouched");
    s_date(&all, "", FP_EINVAL, "untouched");
    fp_profile_t only;
    s_parse_ok("id_number=A\nname=B\nvillage=C\nkind=D\noccurred_on=E\ndate_format=YYYY年MM月DD日\n", &only);
    s_date(&only, "2026年10月3日", FP_OK, "2026-10-03");
    s_date(&only, "2026-10-03", FP_EINVAL, "untouched"); /* a form the profile does not accept */
}

static void s_amount(const fp_profile_t *p, const char *s, fp_err_t want, int64_t fen)
{
    int64_t got = 777;
    fp_err_t rc = fp_profile_amount(p, s, strlen(s), &got);
    if (rc != want) fail_msg("\"%s\": rc %d want %d", s, rc, want);
    if (got != (rc == FP_OK ? fen : 777)) fail_msg("\"%s\": got %lld want %lld", s, (long long)got, (long long)fen);
}

static void test_amounts(void **state)
{
    fp_profile_t yuan, wan;
    fp_profile_default(&yuan);
    s_parse_ok(s_dibao, &wan);
    s_amount(&yuan, "1234.50", FP_OK, 123450);
    s_amount(&yuan, "1,234.5", FP_OK, 123450);
    s_amount(&yuan, " 12 ", FP_OK, 1200);
    s_amount(&yuan, "1.234", FP_EINVAL, 0);
    s_amount(&yuan, "12,34", FP_EINVAL, 0);
    s_amount(&wan, "0.00015", FP_OK, 150); /* 1.5 元 */
    s_amount(&wan, "0.000001", FP_OK, 1);
    s_amount(&wan, "0.0000001", FP_EINVAL, 0); /* 0.001 元: too many decimals, never rounded */
    s_amount(&wan, "0.00015000", FP_EINVAL, 0);
    s_amount(&wan, "1.2", FP_OK, 1200000);
    s_amount(&wan, "12", FP_OK, 12000000);
    s_amount(&wan, "1,234.5678", FP_OK, 1234567800);
    s_amount(&wan, "-0.5", FP_OK, -500000);
    s_amount(&wan, "1000000000", FP_OK, 1000000000000000); /* 10^13 元, the limit */
    s_amount(&wan, "1000000000.000001", FP_ERANGE, 0);
    s_amount(&wan, "1.", FP_EINVAL, 0);
    s_amount(&wan, ".5", FP_EINVAL, 0);
    s_amount(&wan, "1e3", FP_EINVAL, 0);
    s_amount(&wan, "", FP_EINVAL, 0);
}

static void s_value(const fp_profile_t *p, const fp_profile_layout_t *lay, fp_pf_field_t f, const char *const *cells,
                    size_t n, const char *want)
{
    size_t lens[16];
    for (size_t i = 0; i < n; i++) lens[i] = strlen(cells[i]);
    fp_buf_t b = {0};
    fp_profile_value(p, lay, f, cells, lens, n, &b);
    fp_buf_puts(&b, "");
    if (strcmp(b.data ? b.data : "", want))
        fail_msg("%s: got \"%s\" want \"%s\"", fp_profile_field_key(f), b.data, want);
    fp_buf_free(&b);
}

static fp_err_t s_header(const fp_profile_t *p, const char *const *cells, size_t n, fp_profile_layout_t *lay,
                         const char *want)
{
    size_t lens[16];
    for (size_t i = 0; i < n; i++) lens[i] = strlen(cells[i]);
    fp_buf_t why = {0};
    fp_err_t rc = fp_profile_header(p, cells, lens, n, lay, &why);
    fp_buf_puts(&why, "");
    if (want && !strstr(why.data, want)) fail_msg("why \"%s\" lacks \"%s\"", why.data, want);
    if (!want && rc != FP_OK) fail_msg("refused: %s", why.data);
    fp_buf_free(&why);
    return rc;
}

static void test_layout(void **state)
{
    fp_profile_t p;
    fp_profile_layout_t lay;
    s_parse_ok(s_dibao, &p);
    const char *head[] = {"序号",     "户主姓名",         "身份证号码", "乡镇(街道)", "村（社区）", "变动类型",
                          "变动日期", "保障金额（万元）", "保障人数",   "备注",       "联系电话"};
    s_header(&p, head, 11, &lay, NULL);
    const char *row[] =
        {"3", " 张三 ", "130822199001011234", "三道河镇", "花水村", "停发", "2026年10月3日", "0.06", "2", " 迁出 ", ""};
    s_value(&p, &lay, FP_PF_VILLAGE, row, 11, "三道河镇花水村");
    s_value(&p, &lay, FP_PF_NAME, row, 11, "张三");
    s_value(&p, &lay, FP_PF_DETAIL, row, 11, " 迁出 ；保障人数：2");
    s_value(&p, &lay, FP_PF_REF, row, 9, "3");
    s_value(&p, &lay, FP_PF_DETAIL, row, 4, ""); /* a short line: its missing cells are empty */
    const char *nokeep[] = {"序号", "户主姓名", "身份证号码", "乡镇（街道）", "村（社区）", "变动类型", "变动日期"};
    assert_int_equal(s_header(&p, nokeep, 7, &lay, "no column '保障人数'"), FP_EINVAL);
    const char *nojoin[] = {"户主姓名", "身份证号码", "村（社区）", "变动类型", "变动日期"};
    assert_int_equal(s_header(&p, nojoin, 5, &lay, "no column '乡镇（街道）' for village"), FP_EINVAL);
    fp_profile_t d;
    fp_profile_default(&d);
    const char *both[] = {"身份证号", "姓名", "村代码", "kind", "date", "公民身份号码"};
    assert_int_equal(s_header(&d, both, 6, &lay, "columns 1 (身份证号) and 6 (公民身份号码) both give id_number"),
                     FP_EINVAL);
    const char *twice[] = {"身份证号", "姓名", "村代码", "kind", "date", "姓名"};
    assert_int_equal(s_header(&d, twice, 6, &lay, "columns 2 and 6 are both named '姓名'"), FP_EINVAL);
    const char *missing[] = {"身份证号", "村代码", "kind"};
    assert_int_equal(s_header(&d, missing, 3, &lay, "no column for name (name it 姓名 or name)"), FP_EINVAL);
    const char *lenient[] = {" ID_Number ", "Name", "Village_Code", "KIND", "date", "金额（元）"};
    s_header(&d, lenient, 6, &lay, NULL);
    const char *r2[] = {"x", "y", "z", "k", "2026/3/5", "1.00"};
    s_value(&d, &lay, FP_PF_AMOUNT, r2, 6, "1.00");
    s_value(&d, &lay, FP_PF_REF, r2, 6, ""); /* absent: the caller uses the line number */
}

static void test_fixed(void **state)
{
    fp_profile_t p;
    fp_profile_layout_t lay;
    s_parse_ok("id_number = 证件号码\nname = 参保人姓名\nvillage = 住址\nkind = \"医疗费用个人负担较重\"\n"
               "occurred_on = 结算日期\n",
               &p);
    const char *head[] = {"参保人姓名", "证件号码", "住址", "结算日期", "其他"};
    s_header(&p, head, 5, &lay, NULL);
    const char *row[] = {"李四", "x", "兴隆县三道河镇花水村", "20261003", "y"};
    s_value(&p, &lay, FP_PF_KIND, row, 5, "医疗费用个人负担较重");
    s_value(&p, &lay, FP_PF_VILLAGE, row, 5, "兴隆县三道河镇花水村");
    s_value(&p, &lay, FP_PF_AMOUNT, row, 5, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),   cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_dates),
        cmocka_unit_test(test_amounts), cmocka_unit_test(test_layout),       cmocka_unit_test(test_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
