/* notice_test.c: the public notice (公示, domain/notice.c): the head's name masked for
 * 2-, 3- and 4-character Chinese names, names with · (ethnic minorities), Latin names, one
 * character and empty; the notice carries the masked name, the village, the kind, the risk types
 * and the period, and never an ID number, a phone-like digit run or a health word, whichever
 * input carries them; one full notice against a fixed string. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "date.h"
#include "notice.h" /* domain/notice.c, linked */
#include <string.h>
#include "mask.h"
#include "vocab.h"

#include <stdio.h>
#include <stdlib.h>

#define ID_NUMBER "13082219800101001X"
#define ID_DIGITS "130822198001010011"
#define PHONE "13800138000"

static int32_t D(int y, int m, int d) { return fp_date_from_civil(y, m, d); }

static void s_expect_mask(const char *name, const char *want)
{
    char out[256];
    fp_mask_name(name, out, sizeof out);
    assert_string_equal(out, want);
}

static void test_mask_chinese(void **state)
{
    (void)state;
    s_expect_mask("张三", "张*");
    s_expect_mask("王小明", "王*明");
    s_expect_mask("欧阳娜娜", "欧**娜");
    s_expect_mask("诸葛孔明", "诸**明");
    s_expect_mask("李", "*");
}

static void test_mask_middle_dot(void **state)
{
    (void)state;
    s_expect_mask("阿依古丽·买买提", "阿******提"); /* the · is masked like any character */
    s_expect_mask("买买提·吐尔逊", "买*****逊");
    s_expect_mask("扎西·多吉", "扎***吉");
}

static void test_mask_latin_empty(void **state)
{
    (void)state;
    s_expect_mask("John Smith", "J********h");
    s_expect_mask("Li", "L*");
    s_expect_mask("A", "*");
    s_expect_mask("", "");
    s_expect_mask(NULL, "");
    /* a long name: at most 16 stars, the real last character */
    s_expect_mask("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                  "A****************Z");
    /* an ID number fed as the name shows neither the number nor any long digit run */
    char out[256];
    fp_mask_name(ID_NUMBER, out, sizeof out);
    assert_null(strstr(out, ID_NUMBER));
    assert_string_equal(out, "1****************X");
    /* a small buffer truncates safely */
    char small[4];
    fp_mask_name("王小明", small, sizeof small);
    assert_string_equal(small, "王");
}

static void test_full_notice(void **state)
{
    (void)state;
    char *t = screen_notice_text("王小明", "花水村", "marginal", "illness,lack_of_labour", D(2026, 10, 20), 5, false,
                                 D(2026, 10, 20) + 5);
    assert_string_equal(t,
                        "公示：经农户申请（或部门预警）、村入户核实和民主评议，花水村户主王*明家庭拟识别为防止返贫"
                        "监测对象（边缘易致贫户），主要风险：因病、缺劳动力。公示期5天（2026-10-20至2026-10-25），"
                        "如有异议，请向村民委员会或乡镇人民政府反映。");
    assert_non_null(strstr(t, "王*明"));
    assert_null(strstr(t, "王小明"));
    assert_non_null(strstr(t, "花水村"));
    assert_non_null(strstr(t, "边缘易致贫户"));
    assert_non_null(strstr(t, "2026-10-20"));
    assert_non_null(strstr(t, "2026-10-25"));
    free(t);

    /* unknown kind and no known risk: 待定, never the raw code */
    t = screen_notice_text("欧阳娜娜", "鸠儿峪村", "", "", D(2026, 12, 29), 5, false, D(2026, 12, 29) + 5);
    assert_string_equal(t,
                        "公示：经农户申请（或部门预警）、村入户核实和民主评议，鸠儿峪村户主欧**娜家庭拟识别为防止返贫"
                        "监测对象（类型待定），主要风险：待定。公示期5天（2026-12-29至2027-01-03），"
                        "如有异议，请向村民委员会或乡镇人民政府反映。");
    free(t);

    /* working days: the period ends when the case machine says (here 7 days later, over a weekend) */
    t = screen_notice_text("欧阳娜娜", "鸠儿峪村", "", "", D(2026, 3, 5), 5, true, D(2026, 3, 12));
    assert_non_null(strstr(t, "公示期5个工作日（2026-03-05至2026-03-12）"));
    assert_null(strstr(t, "公示期5天"));
    free(t);

    t = screen_notice_text("扎西·多吉", "花水村", "sudden_hardship", "accident,disaster,bogus", D(2026, 1, 1), 7, false,
                           D(2026, 1, 1) + 7);
    assert_non_null(strstr(t, "扎***吉"));
    assert_non_null(strstr(t, "突发严重困难户"));
    assert_non_null(strstr(t, "主要风险：因意外事故、因自然灾害。"));
    assert_non_null(strstr(t, "公示期7天（2026-01-01至2026-01-08）"));
    assert_null(strstr(t, "bogus"));
    free(t);
}

/* The longest run of ASCII digits (with X) in s. */
static int s_longest_digits(const char *s)
{
    int run = 0, best = 0;
    for (; *s; s++) {
        run = (*s >= '0' && *s <= '9') || *s == 'X' || *s == 'x' ? run + 1 : 0;
        if (run > best) best = run;
    }
    return best;
}

static void s_assert_clean(const char *t)
{
    assert_null(strstr(t, ID_NUMBER));
    assert_null(strstr(t, ID_DIGITS));
    assert_null(strstr(t, "19800101")); /* the birth date inside the number */
    assert_null(strstr(t, PHONE));
    assert_null(strstr(t, "１３８００１３８０００"));
    assert_true(s_longest_digits(t) <= 4); /* the dates: 2026-10-20, no longer run */
    static const char *const health[] = {"慢性病", "重病", "大病", "残疾", "健康", "患病", "癌症", NULL};
    for (int i = 0; health[i]; i++) assert_null(strstr(t, health[i]));
}

static void test_never_id_phone_health(void **state)
{
    (void)state;
    static const char *const bad[] =
        {ID_NUMBER, ID_DIGITS, PHONE,  "电话" PHONE, "身份证" ID_NUMBER "号", "１３８００１３８０００",
         "慢性病",  "重病",    "残疾", "健康",       "王" ID_NUMBER "明",     "花水村" PHONE,
         "患癌症",  NULL};
    for (int i = 0; bad[i]; i++) {
        for (int field = 0; field < 4; field++) {
            const char *in[4] = {"王小明", "花水村", "marginal", "illness"};
            in[field] = bad[i];
            char *t = screen_notice_text(in[0], in[1], in[2], in[3], D(2026, 10, 20), 5, false, D(2026, 10, 20) + 5);
            assert_non_null(t);
            s_assert_clean(t);
            free(t);
        }
        /* and in every field at once */
        char *t = screen_notice_text(bad[i], bad[i], bad[i], bad[i], D(2026, 10, 20), 5, false, D(2026, 10, 20) + 5);
        s_assert_clean(t);
        free(t);
    }
    /* a village name with health words and numbers keeps only the rest */
    char *t = screen_notice_text("王小明", "花水村（慢性病）" PHONE, "marginal", "illness", D(2026, 10, 20), 5, false,
                                 D(2026, 10, 20) + 5);
    assert_non_null(strstr(t, "花水村（**）***户主王*明"));
    free(t);
    /* short digit runs (a group number) stay */
    t = screen_notice_text("王小明", "花水村3组", "marginal", "illness", D(2026, 10, 20), 5, false,
                           D(2026, 10, 20) + 5);
    assert_non_null(strstr(t, "花水村3组户主"));
    free(t);
    /* NULL inputs are empty */
    t = screen_notice_text(NULL, NULL, NULL, NULL, D(2026, 10, 20), 5, false, D(2026, 10, 20) + 5);
    assert_non_null(strstr(t, "民主评议，户主家庭拟识别"));
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mask_chinese),          cmocka_unit_test(test_mask_middle_dot),
        cmocka_unit_test(test_mask_latin_empty),      cmocka_unit_test(test_full_notice),
        cmocka_unit_test(test_never_id_phone_health),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
