/* compare_test.c: the departments' answer files (domain/compare.c, docs/compare.md): headers by
 * department (元 in either bracket), each cell's kept value, and what intake accepts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "compare.h"

static void s_value(const char *dept, const char *header, const char *cell, int want, const char *kept)
{
    const fp_compare_fact_t *f = fp_compare_fact_by_header(dept, header);
    assert_non_null(f);
    char out[FP_COMPARE_VALUE_MAX] = "";
    assert_int_equal(fp_compare_value(f, cell, out, sizeof out), want);
    if (want == 0) {
        assert_string_equal(out, kept);
        assert_true(fp_compare_value_ok(f, out));
    }
}

static void test_headers(void **state)
{
    (void)state;
    assert_string_equal(fp_compare_fact_by_header("yibao", "参保状态")->fact, "insured");
    assert_string_equal(fp_compare_fact_by_header("yibao", " 参保日期 ")->fact, "insured_on");
    assert_string_equal(fp_compare_fact_by_header("minzheng", "月保障金额（元）")->fact, "dibao_fen");
    assert_string_equal(fp_compare_fact_by_header("minzheng", "月保障金额(元)")->fact, "dibao_fen");
    assert_null(fp_compare_fact_by_header("yibao", "低保状态")); /* another department's column */
    assert_null(fp_compare_fact_by_header("zhujian", "参保状态")); /* 医保's column */
    assert_null(fp_compare_fact_by_header("yibao", NULL));
    size_t n;
    assert_non_null(fp_compare_facts("yibao", &n));
    assert_int_equal(n, 2);
    assert_null(fp_compare_facts("weijian", &n)); /* a department without an answer file */
    assert_int_equal(n, 0);
    assert_non_null(fp_compare_facts("jiaoyu", &n));
    assert_int_equal(n, 1);
    assert_string_equal(fp_compare_fact_by_header("zhujian", "住房安全鉴定")->fact, "house_safe");
    assert_string_equal(fp_compare_fact_by_header("jiaoyu", "学籍状态")->fact, "at_school");
    assert_null(fp_compare_fact_by_header("zhujian", "住房安全")); /* the export's column, not an answer */
    assert_null(fp_compare_fact_by_header("jiaoyu", "在校情况"));
    assert_string_equal(fp_compare_column_zh("id_number"), "身份证号");
    assert_null(fp_compare_column_zh("id_sealed"));
}

static void test_values(void **state)
{
    (void)state;
    s_value("yibao", "参保状态", "是", 0, "yes");
    s_value("yibao", "参保状态", "未参保", 0, "no");
    s_value("yibao", "参保状态", " 0 ", 0, "no");
    s_value("yibao", "参保状态", "也许", -1, NULL);
    s_value("yibao", "参保状态", "", 1, NULL);
    s_value("yibao", "参保日期", "20260301", 0, "2026-03-01");
    s_value("yibao", "参保日期", "2026/3/1", -1, NULL);
    s_value("yibao", "参保日期", "2026-02-30", -1, NULL);
    s_value("minzheng", "月保障金额(元)", "1,234.5", -1, NULL);
    s_value("minzheng", "月保障金额(元)", "450.5", 0, "45050");
    s_value("minzheng", "月保障金额(元)", "-1", -1, NULL);
    s_value("minzheng", "低保状态", "在保", 0, "yes");
    /* 住建's appraisal: A and B are safe, C and D dangerous; its words are its own */
    s_value("zhujian", "住房安全鉴定", "B级", 0, "yes");
    s_value("zhujian", "住房安全鉴定", "C", 0, "no");
    s_value("zhujian", "住房安全鉴定", "危房", 0, "no");
    s_value("zhujian", "住房安全鉴定", "否", 0, "no");
    s_value("zhujian", "住房安全鉴定", "E级", -1, NULL);
    s_value("zhujian", "住房安全鉴定", "在校", -1, NULL);
    s_value("jiaoyu", "学籍状态", "在读", 0, "yes");
    s_value("jiaoyu", "学籍状态", "辍学", 0, "no");
    s_value("jiaoyu", "学籍状态", "安全", -1, NULL);
    s_value("yibao", "参保状态", "安全", -1, NULL);
}

static void test_kept_form(void **state)
{
    (void)state;
    const fp_compare_fact_t *d = fp_compare_fact_by_name("yibao", "insured_on");
    assert_true(fp_compare_value_ok(d, "2026-03-01"));
    assert_false(fp_compare_value_ok(d, "20260301"));
    assert_false(fp_compare_value_ok(fp_compare_fact_by_name("yibao", "insured"), "是"));
    const fp_compare_fact_t *a = fp_compare_fact_by_name("minzheng", "dibao_fen");
    assert_true(fp_compare_value_ok(a, "45050"));
    assert_false(fp_compare_value_ok(a, "0450"));
    assert_false(fp_compare_value_ok(a, "4.5"));
    assert_false(fp_compare_value_ok(a, ""));
    assert_null(fp_compare_fact_by_name("yibao", "dibao"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_kept_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
