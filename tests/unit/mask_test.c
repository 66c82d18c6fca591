/* mask_test.c: one cleaning for every public notice (domain/mask.c): numbers written ASCII,
 * full-width or in spaced or hyphenated groups become ***, an ID number's X with them; dates and
 * short numbers stay; health words go; invalid UTF-8 and truncated characters are safe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "mask.h"

static void s_expect_clean(const char *in, const char *want)
{
    fp_buf_t b = {0};
    fp_text_clean(&b, in);
    assert_string_equal(b.data, want);
    fp_buf_free(&b);
}

static void test_numbers(void **state)
{
    (void)state;
    s_expect_clean("身份证13082219800101001X", "身份证***");
    s_expect_clean("身份证１３０８２２１９８００１０１００１Ｘ", "身份证***Ｘ"); /* full-width X is not a digit */
    s_expect_clean("电话 138 0013 8000 联系", "电话 *** 联系");
    s_expect_clean("卡号6222-0212-3456-7890。", "卡号***。");
    s_expect_clean("卡号６２２２　０２１２　３４５６　７８９０", "卡号***");
    s_expect_clean("1308 2219 8001 0100 1x号", "***号");
    s_expect_clean("公示5天（2026-10-20至2026-10-25）", "公示5天（2026-10-20至2026-10-25）");
    s_expect_clean("3户12人", "3户12人");
    s_expect_clean("邮编067300", "邮编***");
}

static void test_health_words(void **state)
{
    (void)state;
    s_expect_clean("王小明患癌症，家有残疾人", "王小明患**，家有**人");
    s_expect_clean("138癌症0013癌症8000", "138**0013**8000"); /* never joined into a phone number */
    s_expect_clean("慢性癌症病", "慢性**病");
    s_expect_clean("慢性病", "**");
    s_expect_clean("", "");
    s_expect_clean(NULL, "");
}

static void test_long_number(void **state)
{
    (void)state;
    assert_true(fp_text_has_long_number("身份证13082219800101001X"));
    assert_true(fp_text_has_long_number("电话13800138000"));
    assert_true(fp_text_has_long_number("电话 138 0013 8000"));
    assert_true(fp_text_has_long_number("电话１３８００１３８０００"));
    assert_true(fp_text_has_long_number("卡 6222-0212-3456-7890"));
    assert_false(fp_text_has_long_number("2026-12-01 公示5天"));
    assert_false(fp_text_has_long_number("邮编067300"));
    assert_false(fp_text_has_long_number(""));
    assert_false(fp_text_has_long_number(NULL));
}

static void test_bad_utf8(void **state)
{
    (void)state;
    fp_buf_t b = {0};
    fp_text_clean(&b, "\xef\xbc"); /* a full-width digit cut short */
    assert_int_equal(b.len, 2);
    fp_buf_free(&b);
    char out[8];
    fp_mask_name("\xe7\x8e", out, sizeof out);
    assert_string_equal(out, "*");
    fp_mask_name("王小明", out, 4);
    assert_string_equal(out, "王");
    fp_mask_name("王小明", out, 5); /* never half a character */
    assert_string_equal(out, "王*");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_health_words),
        cmocka_unit_test(test_long_number),
        cmocka_unit_test(test_bad_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
