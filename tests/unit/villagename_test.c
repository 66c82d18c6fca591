/* villagename_test.c: a village by township and village names or by an address
 * (domain/villagename.c), against the real extract of 兴隆县 (tests/fixtures/regions/130822: 20
 * townships, 297 villages, among them two 榆树沟 and a 三道河村 in 三道河镇) and a few places
 * of its own: the suffixes on or off, full-width and traditional characters (intake's OpenCC
 * wrapper), an address with its province, prefecture and county and a group number, a village
 * that only its township tells apart, an unknown village and the closest ones. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "villagename.h"

#include "../../services/intake/hant.c"

static intake_hant_t *s_hant;

/* The fixture's rows (code,"name",...) of one file at a level. */
static void s_load(fp_village_index_t *ix, const char *file, int level)
{
    char path[512], line[512];
    snprintf(path, sizeof path, "%s/tests/fixtures/regions/130822/%s", FP_SOURCE_DIR, file);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f)) {
        char *q1 = strchr(line, '"'), *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
        assert_non_null(q2);
        *q2 = '\0';
        *strchr(line, ',') = '\0';
        assert_true(fp_village_index_add(ix, line, level, q1 + 1));
    }
    fclose(f);
}

static fp_village_index_t s_county(void)
{
    fp_village_index_t ix = {0};
    s_load(&ix, "provinces.csv", 1);
    s_load(&ix, "cities.csv", 2);
    s_load(&ix, "areas.csv", 3);
    s_load(&ix, "streets.csv", 4);
    s_load(&ix, "villages.csv", 5);
    return ix;
}

/* The code text resolves to ("" none, "?" ambiguous). */
static const char *s_code(const fp_village_index_t *ix, const char *text)
{
    static char buf[16];
    size_t out[5], n;
    fp_village_match_t m = fp_village_match(ix, text, intake_hant_t2s, s_hant, out, 5, &n);
    if (m == FP_VILLAGE_NONE) return "";
    if (m == FP_VILLAGE_AMBIGUOUS) return "?";
    assert_int_equal(n, 1);
    snprintf(buf, sizeof buf, "%s", ix->places[out[0]].code);
    return buf;
}

static void test_index_forms(void **state)
{
    fp_village_index_t ix = s_county();
    assert_int_equal(ix.n, 320);
    const fp_vplace_t *v = NULL, *t = NULL;
    for (size_t i = 0; i < ix.n; i++) {
        if (!strcmp(ix.places[i].code, "130822112201")) v = &ix.places[i];
        if (!strcmp(ix.places[i].code, "130822200")) t = &ix.places[i];
    }
    assert_non_null(v);
    assert_string_equal(v->forms[0], "花水");
    assert_string_equal(v->forms[1], "花水村");
    assert_int_equal(v->nforms, 2);
    assert_non_null(t); /* 南天门满族乡 */
    assert_int_equal(t->nforms, 4);
    assert_string_equal(t->forms[1], "南天门满族");
    assert_string_equal(t->forms[2], "南天门乡");
    assert_string_equal(t->forms[3], "南天门");
    assert_string_equal(fp_village_township(&ix, v)->name, "三道河镇");
    assert_false(fp_village_index_add(&ix, "13082211220X", 5, "某村"));
    assert_false(fp_village_index_add(&ix, "130822112299", 6, "某村"));
    assert_false(fp_village_index_add(&ix, "130822112299", 5, "，。"));
    fp_village_index_free(&ix);
}

static void test_names_suffixes_widths(void **state)
{
    fp_village_index_t ix = s_county();
    const char *ok[] = {"三道河镇花水村",
                        "三道河镇 花水村",
                        "三道河镇花水",
                        "三道河镇花水村民委员会",
                        "三道河镇花水村村委会",
                        "三道河镇、花水村",
                        "三道河花水村",
                        "花水村",
                        "花水",
                        "花水村委会",
                        "　三道河镇　花水村　",
                        "三道河镇（花水村）",
                        "三道河鎮花水村",
                        "河北省承德市興隆縣三道河鎮花水村村民委員會"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) assert_string_equal(s_code(&ix, ok[i]), "130822112201");
    /* a community: 社区 and 居委会 optional */
    assert_string_equal(s_code(&ix, "兴隆镇东关社区"), "130822100003");
    assert_string_equal(s_code(&ix, "兴隆镇东关居委会"), "130822100003");
    assert_string_equal(s_code(&ix, "兴隆镇东关社区居民委员会"), "130822100003");
    /* 东关村 and 东关社区 are both in 兴隆镇: 东关 alone is either */
    assert_string_equal(s_code(&ix, "东关村"), "130822100227");
    assert_string_equal(s_code(&ix, "兴隆镇东关村村民委员会"), "130822100227");
    assert_string_equal(s_code(&ix, "东关"), "?");
    /* an ethnic township written without its 满族 */
    assert_string_equal(s_code(&ix, "南天门乡牛圈子村"), "130822200201");
    assert_string_equal(s_code(&ix, "１３０８２２１１２２０１"), ""); /* codes are the caller's */
    fp_village_index_free(&ix);
}

static void test_addresses(void **state)
{
    fp_village_index_t ix = s_county();
    const char *ok[] = {"河北省承德市兴隆县三道河镇花水村",    "兴隆县三道河镇花水村5组", "兴隆县三道河镇花水村五组",
                        "河北承德兴隆三道河镇花水村3组12号",   "承德市兴隆县花水村",      "兴隆县花水5组",
                        "河北省, 兴隆县 三道河镇 花水村 (5组)"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) assert_string_equal(s_code(&ix, ok[i]), "130822112201");
    /* the county's name is also the township's: 兴隆镇 is not 兴隆县 + 镇 */
    assert_string_equal(s_code(&ix, "兴隆县兴隆镇东关社区"), "130822100003");
    /* a misspelt township is not skipped over to a village after it */
    assert_string_equal(s_code(&ix, "三到河镇花水村"), "");
    /* an address in another county's words does not lose its county */
    assert_string_equal(s_code(&ix, "宽城县花水村"), "");
    fp_village_index_free(&ix);
}

static void test_village_named_as_township(void **state)
{
    fp_village_index_t ix = s_county();
    assert_string_equal(s_code(&ix, "三道河镇三道河村"), "130822112204");
    assert_string_equal(s_code(&ix, "三道河村"), "130822112204");
    assert_string_equal(s_code(&ix, "三道河"), "130822112204");
    assert_string_equal(s_code(&ix, "三道河镇"), ""); /* a township is not a village */
    assert_string_equal(s_code(&ix, "半壁山镇半壁山村"), "130822101206");
    fp_village_index_free(&ix);
}

static void test_ambiguous(void **state)
{
    fp_village_index_t ix = s_county();
    size_t out[5], n;
    assert_int_equal(fp_village_match(&ix, "榆树沟村", NULL, NULL, out, 5, &n), FP_VILLAGE_AMBIGUOUS);
    assert_int_equal(n, 2);
    assert_string_equal(ix.places[out[0]].code, "130822101210"); /* by code */
    assert_string_equal(ix.places[out[1]].code, "130822108214");
    assert_int_equal(fp_village_match(&ix, "兴隆县榆树沟", NULL, NULL, out, 1, &n), FP_VILLAGE_AMBIGUOUS);
    assert_int_equal(n, 1);
    /* the township tells them apart */
    assert_string_equal(s_code(&ix, "半壁山镇榆树沟村"), "130822101210");
    assert_string_equal(s_code(&ix, "蓝旗营镇榆树沟"), "130822108214");
    fp_village_index_free(&ix);
}

static void test_boundaries_and_two_townships(void **state)
{
    fp_village_index_t ix = {0};
    assert_true(fp_village_index_add(&ix, "130822", 3, "兴隆县"));
    assert_true(fp_village_index_add(&ix, "130822900", 4, "大河镇"));
    assert_true(fp_village_index_add(&ix, "130822901", 4, "大河乡"));
    assert_true(fp_village_index_add(&ix, "130822902", 4, "小大河镇"));
    assert_true(fp_village_index_add(&ix, "130822900001", 5, "新村村民委员会"));
    assert_true(fp_village_index_add(&ix, "130822900002", 5, "新庄村民委员会"));
    assert_true(fp_village_index_add(&ix, "130822901001", 5, "花水村民委员会"));
    assert_true(fp_village_index_add(&ix, "130822900003", 5, "花水村民委员会"));
    assert_true(fp_village_index_add(&ix, "130822902001", 5, "花水村民委员会"));
    assert_string_equal(s_code(&ix, "大河镇新村"), "130822900001");
    assert_string_equal(s_code(&ix, "大河镇新庄村3组"), "130822900002");
    assert_string_equal(s_code(&ix, "大河镇新华村"), ""); /* 新 followed by 华 is no village */
    assert_string_equal(s_code(&ix, "大河乡花水村"), "130822901001");
    assert_string_equal(s_code(&ix, "小大河镇花水村"), "130822902001");
    assert_string_equal(s_code(&ix, "大河花水村"), "?"); /* 大河 is 大河镇 and 大河乡 */
    assert_string_equal(s_code(&ix, "花水村"), "?");
    assert_string_equal(s_code(&ix, ""), "");
    assert_string_equal(s_code(&ix, "\xff\xfe"), "");
    fp_village_index_free(&ix);
}

static void test_closest(void **state)
{
    fp_village_index_t ix = s_county();
    size_t out[3];
    size_t n = fp_village_closest(&ix, "兴隆县三道河镇花水沟村", intake_hant_t2s, s_hant, out, 3);
    assert_int_equal(n, 3);
    assert_string_equal(ix.places[out[0]].code, "130822112201"); /* 花水 and 三道河镇 */
    for (size_t i = 1; i < n; i++) assert_string_not_equal(ix.places[out[i]].code, "130822112201");
    assert_int_equal(fp_village_closest(&ix, "xyz", NULL, NULL, out, 3), 0);
    assert_int_equal(fp_village_closest(&ix, "花水", NULL, NULL, out, 0), 0);
    fp_village_index_free(&ix);
}

static void test_hant(void **state)
{
    char out[64];
    assert_true(intake_hant_t2s(s_hant, "興隆縣", out, sizeof out));
    assert_string_equal(out, "兴隆县");
    assert_false(intake_hant_t2s(s_hant, "興隆縣", out, 4));
    assert_string_equal(out, "");
    assert_false(intake_hant_t2s(s_hant, "\xff", out, sizeof out));
    assert_false(intake_hant_t2s(NULL, "a", out, sizeof out));
}

static int s_setup(void **state)
{
    const char *why = NULL;
    s_hant = intake_hant_open(&why);
    if (!s_hant) fprintf(stderr, "OpenCC: %s\n", why ? why : "?");
    return s_hant ? 0 : -1;
}

static int s_teardown(void **state)
{
    intake_hant_close(s_hant);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_forms), cmocka_unit_test(test_names_suffixes_widths),
        cmocka_unit_test(test_addresses),   cmocka_unit_test(test_village_named_as_township),
        cmocka_unit_test(test_ambiguous),   cmocka_unit_test(test_boundaries_and_two_townships),
        cmocka_unit_test(test_closest),     cmocka_unit_test(test_hant),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
