/* kindname_test.c: a lead kind as people write it (domain/kindname.c): the normalisation at
 * each class of character it removes or folds and at its length limit, the match by way and
 * its ambiguity, and the closest kinds for a refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "kindname.h"

static void s_norm(const char *in, const char *want)
{
    char out[FP_KIND_NORM_MAX];
    assert_true(fp_kind_norm(in, out, sizeof out));
    assert_string_equal(out, want);
}

static void test_norm_code(void **state)
{
    (void)state;
    s_norm("yibao.high_cost", "yibaohighcost");
    s_norm("YIBAO.HIGH_COST", "yibaohighcost");
    s_norm("ｙｉｂａｏ．ｈｉｇｈ＿ｃｏｓｔ", "yibaohighcost"); /* full-width ASCII */
    s_norm("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~a", "a");        /* every ASCII punctuation mark */
    s_norm("０９", "09");
    s_norm("@AZ[`az{", "azaz"); /* the letters' neighbours are punctuation, not letters */
}

static void test_norm_spaces(void **state)
{
    (void)state;
    s_norm(" 医疗\t费用\r\n个人\v负担\f较重 ", "医疗费用个人负担较重");
    s_norm("医疗　费用", "医疗费用");                               /* U+3000 */
    s_norm("医疗\xC2\xA0费用\xE2\x80\x8B\xEF\xBB\xBF", "医疗费用"); /* U+00A0, U+200B, U+FEFF */
    s_norm("医疗\xE2\x80\x80费用", "医疗费用");                     /* U+2000 */
    s_norm("医疗\xE2\x80\x8C费用", "医疗\xE2\x80\x8C费用");         /* U+200C (just past the spaces) stays */
    s_norm("   ", "");
}

static void test_norm_cjk_punct(void **state)
{
    (void)state;
    s_norm("医疗费用（个人负担）较重", "医疗费用个人负担较重");
    s_norm("低保，新纳入。", "低保新纳入");
    s_norm("低保、特困·新增", "低保特困新增");
    s_norm("【低保】〔新〕「增」《乙》〈丙〉", "低保新增乙丙");
    s_norm("低保—新增…", "低保新增");               /* U+2014, U+2026 */
    s_norm("低保‐‧", "低保");                       /* U+2010 and U+2027, the range's ends */
    s_norm("低保\xE2\x80\xA8", "低保\xE2\x80\xA8"); /* U+2028 just past it stays */
    s_norm("低保〃・", "低保");                     /* U+3003, U+30FB */
    s_norm("低保〠", "低保〠");                     /* U+3020, past the brackets, stays */
    s_norm("低保〄", "低保〄");                     /* U+3004 stays */
    s_norm("低保｟", "低保｟");                     /* U+FF5F, past the full-width ASCII */
}

static void test_norm_refuses(void **state)
{
    (void)state;
    char out[FP_KIND_NORM_MAX];
    strcpy(out, "x");
    assert_false(fp_kind_norm(NULL, out, sizeof out));
    assert_string_equal(out, "");
    assert_false(fp_kind_norm("低保\xFF", out, sizeof out)); /* not UTF-8 */
    assert_string_equal(out, "");
    assert_false(fp_kind_norm("\xE4\xBD", out, sizeof out)); /* cut short */
    assert_false(fp_kind_norm("abc", NULL, 4));
    assert_false(fp_kind_norm("abc", out, 0));
    char small[4];
    assert_true(fp_kind_norm("a.b.c", small, sizeof small)); /* 3 bytes and the NUL: fits */
    assert_string_equal(small, "abc");
    assert_false(fp_kind_norm("abcd", small, sizeof small)); /* one more does not */
    assert_string_equal(small, "");
    assert_true(fp_kind_norm(" a b c d ", out, sizeof out)); /* what is removed takes no room */
    assert_false(fp_kind_norm("低保", small, sizeof small)); /* 6 bytes */
}

static const fp_kind_key_t s_keys[] = {
    {"yibaohighcost", 0, FP_KIND_VIA_CODE},  {"医疗费用个人负担较重", 0, FP_KIND_VIA_NAME},
    {"yibaouninsured", 1, FP_KIND_VIA_CODE}, {"未参加基本医疗保险", 1, FP_KIND_VIA_NAME},
    {"大额医疗", 0, FP_KIND_VIA_ALIAS},      {"未参保", 1, FP_KIND_VIA_ALIAS},
    {"同名", 0, FP_KIND_VIA_NAME},           {"同名", 1, FP_KIND_VIA_ALIAS},
    {"两个", 0, FP_KIND_VIA_NAME},           {"两个", 1, FP_KIND_VIA_NAME},
    {"一个", 1, FP_KIND_VIA_ALIAS},          {"一个", 1, FP_KIND_VIA_ALIAS},
};
#define S_NKEYS (sizeof s_keys / sizeof s_keys[0])

static void test_match(void **state)
{
    (void)state;
    size_t k = 99;
    assert_int_equal(fp_kind_match(s_keys, S_NKEYS, "yibaouninsured", &k), FP_KIND_ONE);
    assert_int_equal(k, 1);
    assert_int_equal(fp_kind_match(s_keys, S_NKEYS, "医疗费用个人负担较重", &k), FP_KIND_ONE);
    assert_int_equal(k, 0);
    assert_int_equal(fp_kind_match(s_keys, S_NKEYS, "未参保", &k), FP_KIND_ONE);
    assert_int_equal(k, 1);
    /* a name beats an alias of another kind */
    assert_int_equal(fp_kind_match(s_keys, S_NKEYS, "同名", &k), FP_KIND_ONE);
    assert_int_equal(k, 0);
    /* two kinds by the same way: ambiguous, k untouched */
    k = 99;
    assert_int_equal(fp_kind_match(s_keys, S_NKEYS, "两个", &k), FP_KIND_AMBIGUOUS);
    assert_int_equal(k, 99);
    /* two keys of one kind are not ambiguous */
    assert_int_equal(fp_kind_match(s_keys, S_NKEYS, "一个", &k), FP_KIND_ONE);
    assert_int_equal(k, 1);
    assert_int_equal(fp_kind_match(s_keys, S_NKEYS, "未参", &k), FP_KIND_NONE); /* no prefix match */
    assert_int_equal(fp_kind_match(s_keys, S_NKEYS, "", &k), FP_KIND_NONE);
    assert_int_equal(fp_kind_match(s_keys, S_NKEYS, NULL, &k), FP_KIND_NONE);
    assert_int_equal(fp_kind_match(NULL, 0, "一个", &k), FP_KIND_NONE);
    assert_int_equal(fp_kind_match(s_keys, S_NKEYS, "一个", NULL), FP_KIND_ONE);
}

static void test_shared(void **state)
{
    (void)state;
    assert_int_equal(fp_kind_shared("aab", "ab"), 2);
    assert_int_equal(fp_kind_shared("aab", "aa"), 2);
    assert_int_equal(fp_kind_shared("医疗费用", "医疗保险"), 2);
    assert_int_equal(fp_kind_shared("abc", "xyz"), 0);
    assert_int_equal(fp_kind_shared("", "abc"), 0);
    assert_int_equal(fp_kind_shared(NULL, "abc"), 0);
    assert_int_equal(fp_kind_shared("ab\xFF", "ab"), 0);
}

static void test_closest(void **state)
{
    (void)state;
    static const fp_kind_key_t keys[] = {
        {"医疗费用个人负担较重", 0, FP_KIND_VIA_NAME},
        {"未参加基本医疗保险", 1, FP_KIND_VIA_NAME},
        {"患大病重病", 2, FP_KIND_VIA_NAME},
        {"新纳入低保", 3, FP_KIND_VIA_NAME},
        {"医疗救助", 4, FP_KIND_VIA_NAME},
    };
    bool all[5] = {true, true, true, true, true};
    size_t out[3];
    /* 医疗负担: kind 0 shares 4, kinds 1 and 4 share 2 (tie: lower index first) */
    assert_int_equal(fp_kind_closest(keys, 5, all, 5, "医疗负担", out, 3), 3);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 1);
    assert_int_equal(out[2], 4);
    /* 大病低保: kinds 2 and 3 share 2, kind 1 shares 保 of 保险 */
    assert_int_equal(fp_kind_closest(keys, 5, all, 5, "大病低保", out, 3), 3);
    assert_int_equal(out[0], 2);
    assert_int_equal(out[1], 3);
    assert_int_equal(out[2], 1);
    assert_int_equal(fp_kind_closest(keys, 5, all, 5, "大病", out, 3), 1); /* only kind 2 */
    assert_int_equal(out[0], 2);
    /* a kind the sender may not push is never suggested */
    bool some[5] = {false, true, true, true, true};
    assert_int_equal(fp_kind_closest(keys, 5, some, 5, "医疗负担", out, 3), 2);
    assert_int_equal(out[0], 1);
    assert_int_equal(out[1], 4);
    /* max bounds it; nothing shared gives nothing */
    assert_int_equal(fp_kind_closest(keys, 5, all, 5, "医疗负担", out, 1), 1);
    assert_int_equal(out[0], 0);
    assert_int_equal(fp_kind_closest(keys, 5, all, 5, "xyz", out, 3), 0);
    assert_int_equal(fp_kind_closest(keys, 5, all, 5, "医疗", out, 0), 0);
    /* a key of a kind past nkinds is ignored */
    assert_int_equal(fp_kind_closest(keys, 5, all, 2, "大病", out, 3), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_norm_code),    cmocka_unit_test(test_norm_spaces), cmocka_unit_test(test_norm_cjk_punct),
        cmocka_unit_test(test_norm_refuses), cmocka_unit_test(test_match),       cmocka_unit_test(test_shared),
        cmocka_unit_test(test_closest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
