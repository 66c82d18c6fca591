/* region_test.c: statistical division codes (common/region.c): short and padded forms of
 * every level, malformed codes, parents, containment and the county of a code. The codes
 * are 兴隆县 (130822) and its 三道河镇 (130822112) from seed 000. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "region.h"

static void s_ok(const char *in, const char *want, fp_region_level_t want_level)
{
    char out[13];
    fp_region_level_t lv = 0;
    fp_err_t rc = fp_region_parse(in, out, &lv);
    if (rc != FP_OK) fail_msg("\"%s\": rc %d", in, rc);
    if (strcmp(out, want) != 0) fail_msg("\"%s\": got \"%s\" want \"%s\"", in, out, want);
    if (lv != want_level) fail_msg("\"%s\": level %d want %d", in, (int)lv, (int)want_level);
}

static void s_bad(const char *in)
{
    char out[13] = "untouched";
    fp_region_level_t lv = 99;
    fp_err_t rc = fp_region_parse(in, out, &lv);
    if (rc != FP_EINVAL) fail_msg("\"%s\": got rc %d want FP_EINVAL", in ? in : "(null)", rc);
    assert_string_equal(out, "untouched");
    assert_int_equal(lv, 99);
}

static void test_short_forms(void **state)
{
    (void)state;
    s_ok("13", "13", FP_REGION_PROVINCE);
    s_ok("1308", "1308", FP_REGION_CITY);
    s_ok("130822", "130822", FP_REGION_COUNTY);
    s_ok("130822112", "130822112", FP_REGION_TOWNSHIP);
    s_ok("130822112201", "130822112201", FP_REGION_VILLAGE);
    s_ok("6528", "6528", FP_REGION_CITY);
    s_ok("429006", "429006", FP_REGION_COUNTY);
    s_ok("110101", "110101", FP_REGION_COUNTY);
    s_ok("130822100", "130822100", FP_REGION_TOWNSHIP);
    s_ok("130822112001", "130822112001", FP_REGION_VILLAGE);
    s_ok("130822001100", "130822001100", FP_REGION_VILLAGE);
    /* level may be NULL */
    char out[13];
    assert_int_equal(fp_region_parse("1308", out, NULL), FP_OK);
    assert_string_equal(out, "1308");
}

static void test_padded_forms(void **state)
{
    (void)state;
    s_ok("130000000000", "13", FP_REGION_PROVINCE);
    s_ok("130800000000", "1308", FP_REGION_CITY);
    s_ok("130822000000", "130822", FP_REGION_COUNTY);
    s_ok("130822112000", "130822112", FP_REGION_TOWNSHIP);
    s_ok("652800000000", "6528", FP_REGION_CITY);
    s_ok("429006000000", "429006", FP_REGION_COUNTY);
    s_ok("130822100000", "130822100", FP_REGION_TOWNSHIP);
    s_ok("130822010000", "130822010", FP_REGION_TOWNSHIP);
    s_ok("130822112010", "130822112010", FP_REGION_VILLAGE);
}

static void test_malformed(void **state)
{
    (void)state;
    s_bad(NULL);
    s_bad("");
    s_bad("1");
    s_bad("130");
    s_bad("13082");
    s_bad("1308221");
    s_bad("13082211");
    s_bad("1308221120");
    s_bad("13082211220");
    s_bad("1308221122010");
    s_bad("13082211220100000");
    s_bad("13a8");
    s_bad(" 130822");
    s_bad("130822 ");
    s_bad("-13082");
    s_bad("13082X");
    s_bad("１３");
    /* zero groups */
    s_bad("00");
    s_bad("0000");
    s_bad("1300");
    s_bad("0008");
    s_bad("130800"); /* 6-digit GB/T 2260 padding is not read as city 1308 */
    s_bad("130000");
    s_bad("130822000"); /* township 000 in a 9-digit short form */
    s_bad("000000000000");
    s_bad("000822000000");
    s_bad("130022000000");
    s_bad("130800112000"); /* county 00 followed by a township */
    s_bad("130822000112"); /* township 000 followed by a village */
    s_bad("130800000112");
    s_bad("001308221120");
    assert_int_equal(fp_region_parse("13", NULL, NULL), FP_EINVAL);
}

static void test_level_of_len_and_names(void **state)
{
    (void)state;
    static const int want[14] = {-1, -1, 1, -1, 2, -1, 3, -1, -1, 4, -1, -1, 5, -1};
    for (size_t n = 0; n < 14; n++) assert_int_equal(fp_region_level_of_len(n), want[n]);
    assert_int_equal(fp_region_level_of_len(100), -1);
    assert_string_equal(fp_region_level_name(FP_REGION_PROVINCE), "province");
    assert_string_equal(fp_region_level_name(FP_REGION_CITY), "city");
    assert_string_equal(fp_region_level_name(FP_REGION_COUNTY), "county");
    assert_string_equal(fp_region_level_name(FP_REGION_TOWNSHIP), "township");
    assert_string_equal(fp_region_level_name(FP_REGION_VILLAGE), "village");
    assert_string_equal(fp_region_level_name((fp_region_level_t)0), "unknown");
    assert_string_equal(fp_region_level_name((fp_region_level_t)6), "unknown");
}

static void test_pad12(void **state)
{
    (void)state;
    char out[13];
    fp_region_pad12("13", out);
    assert_string_equal(out, "130000000000");
    fp_region_pad12("1308", out);
    assert_string_equal(out, "130800000000");
    fp_region_pad12("130822", out);
    assert_string_equal(out, "130822000000");
    fp_region_pad12("130822112", out);
    assert_string_equal(out, "130822112000");
    fp_region_pad12("130822112201", out);
    assert_string_equal(out, "130822112201");
    fp_region_pad12("130822000000", out); /* already padded */
    assert_string_equal(out, "130822000000");
    fp_region_pad12("13082", out);
    assert_string_equal(out, "");
    fp_region_pad12("1300", out);
    assert_string_equal(out, "");
    fp_region_pad12(NULL, out);
    assert_string_equal(out, "");
}

static void test_parent(void **state)
{
    (void)state;
    char out[13];
    assert_int_equal(fp_region_parent("130822112201", out), FP_OK);
    assert_string_equal(out, "130822112");
    assert_int_equal(fp_region_parent("130822112", out), FP_OK);
    assert_string_equal(out, "130822");
    assert_int_equal(fp_region_parent("130822", out), FP_OK);
    assert_string_equal(out, "1308");
    assert_int_equal(fp_region_parent("1308", out), FP_OK);
    assert_string_equal(out, "13");
    assert_int_equal(fp_region_parent("130822000000", out), FP_OK);
    assert_string_equal(out, "1308");
    strcpy(out, "keep");
    assert_int_equal(fp_region_parent("13", out), FP_ENOTFOUND);
    assert_string_equal(out, "keep");
    assert_int_equal(fp_region_parent("130000000000", out), FP_ENOTFOUND);
    assert_int_equal(fp_region_parent("130", out), FP_EINVAL);
    assert_int_equal(fp_region_parent("", out), FP_EINVAL);
    assert_int_equal(fp_region_parent(NULL, out), FP_EINVAL);
    assert_string_equal(out, "keep");
}

static void test_within(void **state)
{
    (void)state;
    assert_true(fp_region_within("130822112201", "130822"));
    assert_true(fp_region_within("130822112201", "130822112"));
    assert_true(fp_region_within("130822112201", "13"));
    assert_true(fp_region_within("130822112201", "130822112201"));
    assert_true(fp_region_within("130822", "130822"));
    assert_true(fp_region_within("130822112", "130822000000")); /* padded prefix */
    assert_true(fp_region_within("130822112000", "130822"));    /* padded code */
    assert_true(fp_region_within("130822", ""));
    assert_true(fp_region_within("130822", NULL));
    assert_false(fp_region_within("130822", "130822112")); /* parent is not inside child */
    assert_false(fp_region_within("130821112201", "130822"));
    assert_false(fp_region_within("1308", "130822"));
    assert_false(fp_region_within("652801", "13"));
    assert_false(fp_region_within("130822112201", "13082")); /* malformed prefix */
    assert_false(fp_region_within("130822112201", "1308221"));
    assert_false(fp_region_within("13082211", "130822")); /* malformed code */
    assert_false(fp_region_within("1300", "13"));
    assert_false(fp_region_within(NULL, "13"));
    assert_false(fp_region_within(NULL, ""));
}

static void test_county(void **state)
{
    (void)state;
    char out[7];
    assert_int_equal(fp_region_county("130822112201", out), FP_OK);
    assert_string_equal(out, "130822");
    assert_int_equal(fp_region_county("130822112", out), FP_OK);
    assert_string_equal(out, "130822");
    assert_int_equal(fp_region_county("130822", out), FP_OK);
    assert_string_equal(out, "130822");
    assert_int_equal(fp_region_county("429006000000", out), FP_OK);
    assert_string_equal(out, "429006");
    strcpy(out, "keep");
    assert_int_equal(fp_region_county("1308", out), FP_ENOTFOUND);
    assert_int_equal(fp_region_county("13", out), FP_ENOTFOUND);
    assert_int_equal(fp_region_county("130800000000", out), FP_ENOTFOUND);
    assert_int_equal(fp_region_county("1308221", out), FP_EINVAL);
    assert_int_equal(fp_region_county(NULL, out), FP_EINVAL);
    assert_string_equal(out, "keep");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_forms), cmocka_unit_test(test_padded_forms),
        cmocka_unit_test(test_malformed),   cmocka_unit_test(test_level_of_len_and_names),
        cmocka_unit_test(test_pad12),       cmocka_unit_test(test_parent),
        cmocka_unit_test(test_within),      cmocka_unit_test(test_county),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
