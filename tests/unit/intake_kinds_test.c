/* intake_kinds_test.c: a lead's kind by code, Chinese name or alias in intake
 * (services/intake/kinds.c over domain/kindname.c): the catalogue's keys, the resolution's
 * order (exact code, then normalised code or name, then the sender's aliases), a kind that
 * two kinds' names would both give, and kind.unknown's message naming the closest kinds the
 * sender may push, in a fixed order. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

/* The modules under test are compiled into this test (tests link only libfangpin). */
#include "../../services/intake/lead_validate.c"
#include "../../services/intake/kinds.c"

#include <stdio.h>

static const struct {
    const char *code, *sender, *name;
} s_kinds[] = {
    {"yibao.high_cost", "yibao", "医疗费用个人负担较重"},   {"yibao.uninsured", "yibao", "未参加基本医疗保险"},
    {"weijian.serious_illness", "weijian", "患大病重病"},   {"minzheng.dibao_new", "minzheng", "新纳入低保"},
    {"minzheng.tekun_new", "minzheng", "新纳入特困供养"},   {"minzheng.temp_relief", "minzheng", "临时救助"},
    {"zhujian.dangerous_house", "zhujian", "C级或D级危房"},
};
#define S_N (sizeof s_kinds / sizeof s_kinds[0])

typedef struct {
    intake_kind_t kinds[S_N];
    intake_catalog_t cat;
} s_fix_t;

static int s_setup(void **state)
{
    s_fix_t *f = calloc(1, sizeof *f);
    for (size_t i = 0; i < S_N; i++) {
        snprintf(f->kinds[i].code, sizeof f->kinds[i].code, "%s", s_kinds[i].code);
        snprintf(f->kinds[i].sender, sizeof f->kinds[i].sender, "%s", s_kinds[i].sender);
        snprintf(f->kinds[i].name_zh, sizeof f->kinds[i].name_zh, "%s", s_kinds[i].name);
    }
    f->cat = (intake_catalog_t){f->kinds, S_N, NULL, 0};
    intake_catalog_sort(&f->cat);
    intake_catalog_index(&f->cat);
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    s_fix_t *f = *state;
    free(f->cat.keys);
    free(f);
    return 0;
}

static const char *s_resolve(const s_fix_t *f, const intake_sender_t *s, const char *text)
{
    const intake_kind_t *k = intake_kind_resolve(&f->cat, s, text);
    return k ? k->code : NULL;
}

static void test_index(void **state)
{
    s_fix_t *f = *state;
    assert_int_equal(f->cat.nkeys, 2 * S_N);
    intake_catalog_index(&f->cat); /* again: the old keys are freed (ASan) */
    assert_int_equal(f->cat.nkeys, 2 * S_N);
    intake_catalog_index(NULL);
}

static void test_resolve(void **state)
{
    s_fix_t *f = *state;
    intake_sender_t yibao = {"department", "yibao", "130822", NULL, 0, NULL, NULL, NULL};
    assert_string_equal(s_resolve(f, &yibao, "yibao.high_cost"), "yibao.high_cost");
    assert_string_equal(s_resolve(f, &yibao, "YIBAO.HIGH-COST"), "yibao.high_cost");
    assert_string_equal(s_resolve(f, &yibao, "医疗费用个人负担较重"), "yibao.high_cost");
    assert_string_equal(s_resolve(f, &yibao, "　医疗费用（个人负担）较重 "), "yibao.high_cost");
    assert_string_equal(s_resolve(f, &yibao, "Ｃ级或Ｄ级危房"), "zhujian.dangerous_house"); /* full-width */
    assert_string_equal(s_resolve(f, &yibao, "c级或d级危房"), "zhujian.dangerous_house");
    /* resolved whoever sends it: whether the sender may push it is kind.not_allowed's job */
    assert_string_equal(s_resolve(f, NULL, "新纳入低保"), "minzheng.dibao_new");
    assert_null(s_resolve(f, &yibao, "医疗费用"));
    assert_null(s_resolve(f, &yibao, "（）"));
    assert_null(s_resolve(f, &yibao, ""));
    assert_null(s_resolve(f, &yibao, "低保\xFF"));
    /* without keys (a catalogue not indexed) only the exact code */
    intake_catalog_t bare = {f->kinds, S_N, NULL, 0};
    assert_non_null(intake_kind_resolve(&bare, &yibao, "yibao.high_cost"));
    assert_null(intake_kind_resolve(&bare, &yibao, "医疗费用个人负担较重"));
}

static void test_aliases(void **state)
{
    s_fix_t *f = *state;
    const intake_kind_t *hc = intake_catalog_find(&f->cat, "yibao.high_cost");
    const intake_kind_t *un = intake_catalog_find(&f->cat, "yibao.uninsured");
    fp_kind_key_t a[3] = {{"大额医疗", (size_t)(hc - f->kinds), FP_KIND_VIA_ALIAS},
                          {"未参保", (size_t)(un - f->kinds), FP_KIND_VIA_ALIAS},
                          {"临时救助", (size_t)(un - f->kinds), FP_KIND_VIA_ALIAS}};
    intake_sender_t yibao = {"department", "yibao", "130822", a, 3, NULL, NULL, NULL};
    assert_string_equal(s_resolve(f, &yibao, "大额 医疗"), "yibao.high_cost");
    assert_string_equal(s_resolve(f, &yibao, "未参保。"), "yibao.uninsured");
    /* the catalogue's name wins over an alias of another kind */
    assert_string_equal(s_resolve(f, &yibao, "临时救助"), "minzheng.temp_relief");
    /* another sender has not these aliases */
    intake_sender_t other = {"department", "yibao", "130822", NULL, 0, NULL, NULL, NULL};
    assert_null(s_resolve(f, &other, "大额医疗"));
    /* two aliases of one text for two kinds: ambiguous, refused */
    fp_kind_key_t two[2] = {{"两可", (size_t)(hc - f->kinds), FP_KIND_VIA_ALIAS},
                            {"两可", (size_t)(un - f->kinds), FP_KIND_VIA_ALIAS}};
    intake_sender_t amb = {"department", "yibao", "130822", two, 2, NULL, NULL, NULL};
    assert_null(s_resolve(f, &amb, "两可"));
}

static void test_unknown_message(void **state)
{
    s_fix_t *f = *state;
    intake_sender_t yibao = {"department", "yibao", "130822", NULL, 0, NULL, NULL, NULL};
    char en[600], zh[600];
    /* 医疗负担重: high_cost shares 5, uninsured 2; the other kinds are not yibao's */
    assert_int_equal(intake_kind_unknown_message(&f->cat, &yibao, "医疗负担重", en, sizeof en, zh, sizeof zh), 2);
    assert_string_equal(en,
                        "the lead kind is not a known kind: use a code listed by ListLeadKinds; the closest kinds"
                        " you may send: yibao.high_cost (医疗费用个人负担较重), yibao.uninsured (未参加基本医疗保险)");
    assert_string_equal(zh,
                        "线索类型不存在，请使用 ListLeadKinds 列出的类型代码；最接近的可报送类型："
                        "医疗费用个人负担较重（yibao.high_cost）、未参加基本医疗保险（yibao.uninsured）");
    /* minzheng may push three kinds; 新纳入 is in two of them, 救助 in the third: the best two */
    intake_sender_t mz = {"department", "minzheng", "130822", NULL, 0, NULL, NULL, NULL};
    assert_int_equal(intake_kind_unknown_message(&f->cat, &mz, "新纳入临时", en, sizeof en, zh, sizeof zh), 3);
    assert_non_null(strstr(zh, "新纳入低保（minzheng.dibao_new）、新纳入特困供养（minzheng.tekun_new）、临时救助"));
    /* nothing in common: the catalogue's message alone */
    assert_int_equal(intake_kind_unknown_message(&f->cat, &yibao, "甲乙丙", en, sizeof en, zh, sizeof zh), 0);
    assert_string_equal(en, intake_reason(INTAKE_R_KIND_UNKNOWN)->en);
    assert_string_equal(zh, intake_reason(INTAKE_R_KIND_UNKNOWN)->zh);
    /* an admin may push nothing: nothing is suggested */
    intake_sender_t admin = {"admin", "", "130822", NULL, 0, NULL, NULL, NULL};
    assert_int_equal(intake_kind_unknown_message(&f->cat, &admin, "医疗", en, sizeof en, zh, sizeof zh), 0);
    /* a small buffer is cut, not overrun (ASan) */
    char small[40];
    intake_kind_unknown_message(&f->cat, &yibao, "医疗负担重", small, sizeof small, zh, sizeof zh);
    assert_int_equal(strlen(small), sizeof small - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_index, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_resolve, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_aliases, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_message, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
