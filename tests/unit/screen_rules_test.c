/* screen_rules_test.c: the screening rule table (services/screening/rules.c): the line boundary
 * (< is "below"), a line changing on its effective date (Hebei 6000 -> 6600 yuan from
 * 2021-10-01), every rule alone and in combination, the kind for each household type, the
 * five-type cap and order, bounds, and that docs/screening-rules.md lists every rule id. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../services/screening/rules.c"
#include "../../services/screening/income.c"

#include <stdio.h>
#include <stdlib.h>

#define LINE_6600 INT64_C(660000)
#define LINE_6000 INT64_C(600000)

/* A general household of 4 well above every threshold: no rule fires. */
static screen_facts_t s_quiet(void)
{
    screen_facts_t f;
    memset(&f, 0, sizeof f);
    f.hh_type = SCREEN_HH_GENERAL;
    f.members = 4;
    f.per_capita_net = 2000000; /* 20000 yuan */
    f.net_income = 8000000;
    f.line = LINE_6600;
    f.members_with_labour = 2;
    return f;
}

/* Most cases use a province that widens the range to 150% of its line, so that "near the
 * line" (S02) can be seen on its own; the default (100) is tested where it matters. */
static screen_decision_t s_eval(const screen_facts_t *f)
{
    screen_params_t p = SCREEN_PARAMS_DEFAULT;
    p.monitor_upper_ratio_pct = 150;
    screen_decision_t d;
    assert_int_equal(screen_evaluate(f, &p, &d), FP_OK);
    return d;
}

static bool s_fired(const screen_decision_t *d, const char *id)
{
    for (size_t i = 0; i < d->n_fired; i++)
        if (strcmp(d->fired[i].id, id) == 0) return true;
    return false;
}

static void test_quiet(void **st)
{
    (void)st;
    screen_facts_t f = s_quiet();
    screen_decision_t d = s_eval(&f);
    assert_int_equal(d.n_fired, 0);
    assert_int_equal(d.kind, SCREEN_KIND_NONE);
    assert_int_equal(d.n_risks, 0);
    assert_false(d.in_range);
}

static void test_line_boundary(void **st)
{
    (void)st;
    screen_facts_t f = s_quiet();
    f.net_income = 4 * LINE_6600;
    f.per_capita_net = LINE_6600 - 1; /* 6599.99: below */
    screen_decision_t d = s_eval(&f);
    assert_true(s_fired(&d, "S01"));
    assert_false(s_fired(&d, "S02"));
    assert_string_equal(d.fired[0].seen, "income=659999 line=660000");
    assert_string_equal(d.fired[0].why_zh, "人均纯收入6599.99元，低于监测标准6600.00元");
    assert_int_equal(d.kind, SCREEN_KIND_MARGINAL); /* below the line is a risk by itself */
    assert_int_equal(d.n_risks, 1);
    assert_int_equal(d.risks[0], SCREEN_RISK_OTHER);
    f.per_capita_net = LINE_6600; /* exactly at the line: NOT below */
    d = s_eval(&f);
    assert_false(s_fired(&d, "S01"));
    assert_true(s_fired(&d, "S02"));
    assert_true(d.in_range);
    assert_int_equal(d.kind, SCREEN_KIND_NONE); /* near the line without a risk */
    /* upper end of the range: 150% of 6600 = 9900 yuan, < is inside */
    f.per_capita_net = 989999;
    d = s_eval(&f);
    assert_true(s_fired(&d, "S02"));
    assert_true(d.in_range);
    f.per_capita_net = 990000;
    d = s_eval(&f);
    assert_false(s_fired(&d, "S02"));
    assert_false(d.in_range);
    /* the default (ratio 100, the national reading): the range is "below the line" exactly */
    screen_params_t p = SCREEN_PARAMS_DEFAULT;
    f.per_capita_net = LINE_6600;
    assert_int_equal(screen_evaluate(&f, &p, &d), FP_OK);
    assert_false(d.in_range);
    assert_int_equal(d.n_fired, 0);
}

/* Hebei: 6000 yuan until 2021-09-30, 6600 from 2021-10-01. The caller passes the line in
 * force on each lead's date; a household of 3 with 19200 yuan of wages and 300 of costs:
 * net 18900, per capita 6300 -> above 6000 (lead 09-30) but below 6600 (lead 10-01). */
static void test_line_change(void **st)
{
    (void)st;
    struct {
        int32_t from;
        int64_t line;
    } hebei[] = {{fp_date_from_civil(2021, 1, 1), LINE_6000}, {fp_date_from_civil(2021, 10, 1), LINE_6600}};
    screen_income_t in = {0};
    in.members = 3;
    in.wage_other = 1920000;
    in.production_costs = 30000;
    screen_income_result_t r;
    assert_int_equal(screen_income_compute(&in, &r), FP_OK);
    assert_int_equal(r.per_capita_net, 630000);
    const int32_t leads[2] = {fp_date_from_civil(2021, 9, 30), fp_date_from_civil(2021, 10, 1)};
    for (int i = 0; i < 2; i++) {
        int64_t line = 0;
        for (int k = 0; k < 2; k++)
            if (hebei[k].from <= leads[i]) line = hebei[k].line;
        screen_facts_t f = s_quiet();
        f.hh_type = SCREEN_HH_LIFTED;
        f.members = r.members;
        f.net_income = r.net;
        f.per_capita_net = r.per_capita_net;
        f.line = line;
        screen_decision_t d = s_eval(&f);
        if (i == 0) {
            assert_int_equal(line, LINE_6000);
            assert_false(s_fired(&d, "S01"));
            assert_true(s_fired(&d, "S02")); /* 6300 < 9000 */
            assert_int_equal(d.kind, SCREEN_KIND_NONE);
        } else {
            assert_int_equal(line, LINE_6600);
            assert_true(s_fired(&d, "S01"));
            assert_string_equal(d.fired[0].why_zh, "人均纯收入6300.00元，低于监测标准6600.00元");
            assert_int_equal(d.kind, SCREEN_KIND_UNSTABLE_LIFTED);
        }
    }
}

/* Each rule alone: a fact set that makes exactly that rule fire. */
static screen_facts_t s_only(const char *id)
{
    screen_facts_t f = s_quiet();
    if (!strcmp(id, "S01")) f.per_capita_net = 540000;
    if (!strcmp(id, "S02")) f.per_capita_net = 700000;
    if (!strcmp(id, "S03")) f.medical_oop = 4000000; /* 50% of 80000 yuan */
    if (!strcmp(id, "S04")) f.guarantee[SCREEN_G_EDUCATION].failed = true;
    if (!strcmp(id, "S05")) f.guarantee[SCREEN_G_MEDICAL].failed = true;
    if (!strcmp(id, "S06")) f.guarantee[SCREEN_G_HOUSING].failed = true;
    if (!strcmp(id, "S07")) f.guarantee[SCREEN_G_WATER].failed = true;
    if (!strcmp(id, "S08")) f.shocks = SCREEN_SHOCK_ILLNESS;
    if (!strcmp(id, "S09")) f.shocks = SCREEN_SHOCK_DISASTER;
    if (!strcmp(id, "S10")) f.shocks = SCREEN_SHOCK_ACCIDENT;
    if (!strcmp(id, "S11")) f.shocks = SCREEN_SHOCK_DEATH_WORKER;
    if (!strcmp(id, "S12")) f.shocks = SCREEN_SHOCK_JOB_LOSS;
    if (!strcmp(id, "S13")) f.shocks = SCREEN_SHOCK_INDUSTRY;
    if (!strcmp(id, "S14")) f.members_with_labour = 0;
    if (!strcmp(id, "S15")) f.members_disabled = 1;
    if (!strcmp(id, "S16")) f.expected_loss = 5500000; /* 80000 - 55000 = 25000 / 4 = 6250 */
    return f;
}

static void test_each_rule_alone(void **st)
{
    (void)st;
    static const screen_risk_t want[] = {SCREEN_RISK_NONE,
                                         SCREEN_RISK_NONE,
                                         SCREEN_RISK_ILLNESS,
                                         SCREEN_RISK_SCHOOLING,
                                         SCREEN_RISK_ILLNESS,
                                         SCREEN_RISK_HOUSING,
                                         SCREEN_RISK_WATER,
                                         SCREEN_RISK_ILLNESS,
                                         SCREEN_RISK_DISASTER,
                                         SCREEN_RISK_ACCIDENT,
                                         SCREEN_RISK_LACK_OF_LABOUR,
                                         SCREEN_RISK_UNSTABLE_WORK,
                                         SCREEN_RISK_INDUSTRY_FAILURE,
                                         SCREEN_RISK_LACK_OF_LABOUR,
                                         SCREEN_RISK_DISABILITY,
                                         SCREEN_RISK_NONE};
    assert_int_equal(screen_rules_count, 16);
    for (size_t i = 0; i < screen_rules_count; i++) {
        char id[8];
        snprintf(id, sizeof id, "S%02zu", i + 1);
        assert_string_equal(screen_rules[i].id, id);
        assert_true(screen_rules[i].zh[0] && screen_rules[i].en[0]);
        screen_facts_t f = s_only(id);
        screen_decision_t d = s_eval(&f);
        assert_int_equal(d.n_fired, 1);
        assert_string_equal(d.fired[0].id, id);
        assert_true(d.fired[0].seen[0] != '\0');
        assert_true(d.fired[0].why_zh[0] != '\0');
        assert_int_equal(screen_rules[i].risks[0], want[i]);
        /* income above the range: only S01 gives a kind by itself (income below the line) */
        if (i == 0) {
            assert_int_equal(d.kind, SCREEN_KIND_MARGINAL);
        } else {
            assert_int_equal(d.kind, SCREEN_KIND_NONE);
            assert_int_equal(d.n_risks, want[i] == SCREEN_RISK_NONE ? 0 : 1);
            if (want[i] != SCREEN_RISK_NONE) assert_int_equal(d.risks[0], want[i]);
        }
        /* switched off by configuration: nothing fires */
        screen_params_t p = SCREEN_PARAMS_DEFAULT;
        const char *off[] = {id, NULL};
        p.disabled_rules = off;
        assert_int_equal(screen_evaluate(&f, &p, &d), FP_OK);
        assert_int_equal(d.n_fired, 0);
    }
}

static void test_texts(void **st)
{
    (void)st;
    screen_facts_t f = s_only("S03");
    screen_decision_t d = s_eval(&f);
    assert_string_equal(d.fired[0].seen, "medical=4000000 net=8000000 ratio_pct=50");
    assert_string_equal(d.fired[0].why_zh,
                        "近12个月医疗自付费用40000.00元，占家庭年纯收入80000.00元的50%，"
                        "达到50%的大额刚性支出标准");
    f.medical_oop = 3999999; /* just under 50% */
    d = s_eval(&f);
    assert_int_equal(d.n_fired, 0);
    f.net_income = 0; /* any cost against no income is large */
    f.medical_oop = 1;
    d = s_eval(&f);
    assert_true(s_fired(&d, "S03"));
    f = s_only("S06");
    f.guarantee[SCREEN_G_HOUSING].reason = "2025年鉴定为D级危房";
    d = s_eval(&f);
    assert_string_equal(d.fired[0].seen, "housing=failed");
    assert_string_equal(d.fired[0].why_zh, "住房安全未保障：2025年鉴定为D级危房");
    f = s_only("S02");
    d = s_eval(&f);
    assert_string_equal(d.fired[0].seen, "income=700000 line=660000 ratio_pct=150 upper=990000");
    f = s_only("S16");
    d = s_eval(&f);
    assert_string_equal(d.fired[0].seen,
                        "net=8000000 medical=0 other_rigid=0 loss=5500000 members=4 "
                        "rest_pc=625000 line=660000");
    /* S16 boundary: rest per person exactly at the line does not fire */
    f.expected_loss = 8000000 - 4 * LINE_6600;
    d = s_eval(&f);
    assert_false(s_fired(&d, "S16"));
    f.expected_loss++;
    d = s_eval(&f);
    assert_true(s_fired(&d, "S16"));
}

static void test_kinds(void **st)
{
    (void)st;
    /* marginal / unstable lifted: inside the range with a risk */
    screen_facts_t f = s_only("S04");
    f.per_capita_net = 700000; /* near the line */
    screen_decision_t d = s_eval(&f);
    assert_int_equal(d.kind, SCREEN_KIND_MARGINAL);
    f.hh_type = SCREEN_HH_LIFTED;
    d = s_eval(&f);
    assert_int_equal(d.kind, SCREEN_KIND_UNSTABLE_LIFTED);
    f.hh_type = SCREEN_HH_MONITORED;
    d = s_eval(&f);
    assert_int_equal(d.kind, SCREEN_KIND_NONE);
    assert_true(d.already_monitored);
    assert_int_equal(d.n_risks, 1); /* still reported, for the plan */
    /* sudden hardship: above the range, a shock and a hardship rule */
    for (int t = 0; t < 3; t++) {
        f = s_only("S08");
        f.hh_type = (screen_hh_type_t)t;
        f.medical_oop = 4000000; /* S03 */
        d = s_eval(&f);
        assert_false(d.in_range);
        assert_true(s_fired(&d, "S03") && s_fired(&d, "S08"));
        assert_int_equal(d.kind, t == SCREEN_HH_MONITORED ? SCREEN_KIND_NONE : SCREEN_KIND_SUDDEN_HARDSHIP);
        assert_int_equal(d.n_risks, 1); /* illness, once */
        assert_int_equal(d.risks[0], SCREEN_RISK_ILLNESS);
    }
    /* shock without hardship: none; hardship without shock: none */
    f = s_only("S09");
    assert_int_equal(s_eval(&f).kind, SCREEN_KIND_NONE);
    f = s_only("S16");
    assert_int_equal(s_eval(&f).kind, SCREEN_KIND_NONE);
    /* disaster + S16 -> sudden hardship with disaster */
    f.shocks = SCREEN_SHOCK_DISASTER;
    d = s_eval(&f);
    assert_int_equal(d.kind, SCREEN_KIND_SUDDEN_HARDSHIP);
    assert_int_equal(d.risks[0], SCREEN_RISK_DISASTER);
    /* inside the range with a shock and hardship: marginal, not sudden hardship */
    f.per_capita_net = 700000;
    d = s_eval(&f);
    assert_int_equal(d.kind, SCREEN_KIND_MARGINAL);
    /* near the line alone: none */
    f = s_only("S02");
    assert_int_equal(s_eval(&f).kind, SCREEN_KIND_NONE);
}

static void test_cap_and_order(void **st)
{
    (void)st;
    screen_facts_t f = s_quiet();
    f.per_capita_net = 100000;
    f.net_income = 400000;
    f.hh_type = SCREEN_HH_LIFTED;
    f.medical_oop = 300000;                                                 /* S03 illness */
    for (int g = 0; g < SCREEN_G_COUNT_; g++) f.guarantee[g].failed = true; /* S04..S07 */
    f.shocks = SCREEN_SHOCK_ALL_;                                           /* S08..S13 */
    f.members_with_labour = 0;                                              /* S14 */
    f.members_disabled = 2;                                                 /* S15 */
    screen_decision_t d = s_eval(&f);
    assert_int_equal(d.n_fired, 14); /* all but S02 and S16 (income already below the line) */
    for (size_t i = 1; i < d.n_fired; i++) assert_true(strcmp(d.fired[i - 1].id, d.fired[i].id) < 0);
    assert_int_equal(d.kind, SCREEN_KIND_UNSTABLE_LIFTED);
    assert_int_equal(d.n_risks, 5);
    assert_int_equal(d.risks[0], SCREEN_RISK_ILLNESS);   /* S03 */
    assert_int_equal(d.risks[1], SCREEN_RISK_SCHOOLING); /* S04; S05 illness is a duplicate */
    assert_int_equal(d.risks[2], SCREEN_RISK_HOUSING);   /* S06 */
    assert_int_equal(d.risks[3], SCREEN_RISK_WATER);     /* S07 */
    assert_int_equal(d.risks[4], SCREEN_RISK_DISASTER);  /* S09 (S08 illness duplicate) */
    /* dropped: accident, lack_of_labour, unstable_work, industry_failure, disability */
    assert_int_equal(d.risks_dropped, 5);
    /* switching S03..S07 off brings the shocks forward */
    screen_params_t p = SCREEN_PARAMS_DEFAULT;
    const char *off[] = {"S03", "S04", "S05", "S06", "S07", NULL};
    p.disabled_rules = off;
    assert_int_equal(screen_evaluate(&f, &p, &d), FP_OK);
    assert_int_equal(d.n_risks, 5);
    assert_int_equal(d.risks[0], SCREEN_RISK_ILLNESS);
    assert_int_equal(d.risks[1], SCREEN_RISK_DISASTER);
    assert_int_equal(d.risks[2], SCREEN_RISK_ACCIDENT);
    assert_int_equal(d.risks[3], SCREEN_RISK_LACK_OF_LABOUR);
    assert_int_equal(d.risks[4], SCREEN_RISK_UNSTABLE_WORK);
    assert_int_equal(d.risks_dropped, 2); /* industry_failure, disability */
}

static void test_bounds(void **st)
{
    (void)st;
    screen_params_t p = SCREEN_PARAMS_DEFAULT;
    screen_decision_t d;
    screen_facts_t f = s_quiet();
    assert_int_equal(screen_evaluate(NULL, &p, &d), FP_EINVAL);
    assert_int_equal(screen_evaluate(&f, NULL, &d), FP_EINVAL);
    assert_int_equal(screen_evaluate(&f, &p, NULL), FP_EINVAL);
    f.hh_type = SCREEN_HH_COUNT_;
    assert_int_equal(screen_evaluate(&f, &p, &d), FP_EINVAL);
    f = s_quiet();
    f.shocks = 1u << 6;
    assert_int_equal(screen_evaluate(&f, &p, &d), FP_EINVAL);
    f = s_quiet();
    f.line = 0;
    assert_int_equal(screen_evaluate(&f, &p, &d), FP_ERANGE);
    f = s_quiet();
    f.members = 0;
    assert_int_equal(screen_evaluate(&f, &p, &d), FP_ERANGE);
    f = s_quiet();
    f.per_capita_net = INT64_MIN;
    assert_int_equal(screen_evaluate(&f, &p, &d), FP_ERANGE);
    f = s_quiet();
    f.medical_oop = -1;
    assert_int_equal(screen_evaluate(&f, &p, &d), FP_ERANGE);
    f = s_quiet();
    f.net_income = INT64_MAX;
    assert_int_equal(screen_evaluate(&f, &p, &d), FP_ERANGE);
    f = s_quiet();
    p.monitor_upper_ratio_pct = 99;
    assert_int_equal(screen_evaluate(&f, &p, &d), FP_ERANGE);
    p.monitor_upper_ratio_pct = 150;
    p.rigid_ratio_pct = 0;
    assert_int_equal(screen_evaluate(&f, &p, &d), FP_ERANGE);
    /* extremes within bounds do not overflow (UBSan watches) */
    p.rigid_ratio_pct = 1000;
    p.monitor_upper_ratio_pct = 1000;
    f.line = INT64_C(1000000000000000);
    f.per_capita_net = -INT64_C(1000000000000000);
    f.net_income = -INT64_C(1000000000000000);
    f.medical_oop = f.other_rigid = f.expected_loss = INT64_C(1000000000000000);
    f.members = 99;
    assert_int_equal(screen_evaluate(&f, &p, &d), FP_OK);
}

static void test_vocab(void **st)
{
    (void)st;
    assert_string_equal(screen_kind_code(SCREEN_KIND_MARGINAL), "marginal");
    assert_string_equal(screen_kind_zh(SCREEN_KIND_SUDDEN_HARDSHIP), "突发严重困难户");
    assert_string_equal(screen_kind_code((screen_kind_t)9), "?");
    for (int r = 1; r < SCREEN_RISK_COUNT_; r++)
        assert_int_equal(screen_risk_from_code(screen_risk_code((screen_risk_t)r)), r);
    assert_int_equal(screen_risk_from_code("none"), SCREEN_RISK_NONE);
    assert_int_equal(screen_risk_from_code(NULL), SCREEN_RISK_NONE);
    assert_string_equal(screen_risk_zh(SCREEN_RISK_LACK_OF_LABOUR), "缺劳动力");
}

/* docs/screening-rules.md lists every rule id and every risk code. */
static void test_doc_lists_rules(void **st)
{
    (void)st;
    char path[4096];
    const char *src = __FILE__;
    const char *cut = strstr(src, "tests/unit/screen_rules_test.c");
    if (cut) {
        snprintf(path, sizeof path, "%.*sdocs/screening-rules.md", (int)(cut - src), src);
    } else {
        snprintf(path, sizeof path, "../../docs/screening-rules.md");
    }
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static char buf[1 << 18];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    for (size_t i = 0; i < screen_rules_count; i++) {
        char needle[16];
        snprintf(needle, sizeof needle, "| %s |", screen_rules[i].id);
        if (!strstr(buf, needle)) fail_msg("rule %s missing from %s", screen_rules[i].id, path);
    }
    for (int r = 1; r < SCREEN_RISK_COUNT_; r++)
        if (!strstr(buf, screen_risk_code((screen_risk_t)r)))
            fail_msg("risk %s missing", screen_risk_code((screen_risk_t)r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quiet),         cmocka_unit_test(test_line_boundary),
        cmocka_unit_test(test_line_change),   cmocka_unit_test(test_each_rule_alone),
        cmocka_unit_test(test_texts),         cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_cap_and_order), cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_vocab),         cmocka_unit_test(test_doc_lists_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
