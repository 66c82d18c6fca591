/* plan_check_test.c: the plan checks (services/assistance/plan_check.c): P01..P09 each alone at
 * its boundary, all together, stopped measures, disabled checks, input bounds, and that
 * docs/assistance-rules.md lists every check id, criterion id and category code. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../services/assistance/measures.c"
#include "../../services/assistance/plan_check.c"
#include "../../services/assistance/elimination.h"

static int32_t D(int y, int m, int d) { return fp_date_from_civil(y, m, d); }

static assist_measure_t M(assist_category_t c, assist_mstatus_t s)
{
    assist_measure_t m = {c, s, D(2026, 1, 10), D(2026, 12, 31), 100000};
    return m;
}

/* A clean household: 3 members, 2 with labour, illness, identified 2026-01-05, not eliminated. */
static assist_household_t s_hh(void)
{
    assist_household_t h;
    memset(&h, 0, sizeof h);
    h.members = 3;
    h.members_with_labour = 2;
    h.n_risks = 1;
    h.risks[0] = SCREEN_RISK_ILLNESS;
    h.identified_on = D(2026, 1, 5);
    h.eliminated_on = D(2026, 9, 1);
    return h;
}

static const assist_check_params_t s_params = ASSIST_CHECK_PARAMS_DEFAULT;

static size_t s_run(const assist_measure_t *m, size_t n, const assist_household_t *h, int32_t today,
                    assist_findings_t *out)
{
    assist_plan_t pl = {D(2026, 1, 6), m, n};
    assert_int_equal(assist_plan_check(&pl, h, &s_params, today, out), FP_OK);
    return out->n;
}

static const assist_finding_t *s_find(const assist_findings_t *f, const char *id)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->f[i].id, id) == 0) return &f->f[i];
    return NULL;
}

static void test_clean(void **st)
{
    (void)st;
    assist_measure_t m[] = {M(ASSIST_CAT_HEALTH, ASSIST_MS_IN_PROGRESS), M(ASSIST_CAT_EMPLOYMENT, ASSIST_MS_DELIVERED)};
    assist_household_t h = s_hh();
    assist_findings_t f;
    assert_int_equal(s_run(m, 2, &h, D(2026, 3, 1), &f), 0);
}

static void test_p01(void **st)
{
    (void)st;
    assist_household_t h = s_hh();
    h.n_risks = 3;
    h.risks[1] = SCREEN_RISK_SCHOOLING;
    h.risks[2] = SCREEN_RISK_UNSTABLE_WORK;
    assist_measure_t m[] = {M(ASSIST_CAT_EMPLOYMENT, ASSIST_MS_PLANNED), M(ASSIST_CAT_EDUCATION, ASSIST_MS_STOPPED)};
    assist_findings_t f;
    assert_int_equal(s_run(m, 2, &h, D(2026, 3, 1), &f), 1);
    assert_string_equal(f.f[0].id, "P01");
    assert_non_null(strstr(f.f[0].seen, "unanswered=illness,schooling"));
    assert_non_null(strstr(f.f[0].why_zh, "因病、因学"));
    /* answered: health for illness, a live education measure for schooling */
    m[1].status = ASSIST_MS_IN_PROGRESS;
    assist_measure_t m2[] = {m[0], m[1], M(ASSIST_CAT_HEALTH, ASSIST_MS_PLANNED)};
    assert_int_equal(s_run(m2, 3, &h, D(2026, 3, 1), &f), 0);
    /* "other" is answered by any category */
    h.n_risks = 1;
    h.risks[0] = SCREEN_RISK_OTHER;
    assist_measure_t m3[] = {M(ASSIST_CAT_INDUSTRY, ASSIST_MS_PLANNED)};
    assert_int_equal(s_run(m3, 1, &h, D(2026, 3, 1), &f), 0);
    /* disability answered by backstop too */
    h.risks[0] = SCREEN_RISK_DISABILITY;
    assist_measure_t m4[] = {M(ASSIST_CAT_BACKSTOP, ASSIST_MS_PLANNED), M(ASSIST_CAT_INDUSTRY, ASSIST_MS_PLANNED)};
    assert_int_equal(s_run(m4, 2, &h, D(2026, 3, 1), &f), 0);
}

static void test_p02_labour_rule(void **st)
{
    (void)st;
    assist_household_t h = s_hh();
    assist_measure_t m[] = {M(ASSIST_CAT_HEALTH, ASSIST_MS_PLANNED), M(ASSIST_CAT_BACKSTOP, ASSIST_MS_PLANNED),
                            M(ASSIST_CAT_FINANCE, ASSIST_MS_STOPPED)};
    assist_findings_t f;
    assert_int_equal(s_run(m, 3, &h, D(2026, 3, 1), &f), 1);
    assert_string_equal(f.f[0].id, "P02");
    assert_string_equal(f.f[0].seen, "labour=2 measures=2 development=0");
    /* one development measure live: clean */
    m[2].status = ASSIST_MS_PLANNED;
    assert_int_equal(s_run(m, 3, &h, D(2026, 3, 1), &f), 0);
    /* labour 1 (partial) still counts */
    m[2].status = ASSIST_MS_STOPPED;
    h.members_with_labour = 1;
    assert_int_equal(s_run(m, 3, &h, D(2026, 3, 1), &f), 1);
    assert_string_equal(f.f[0].id, "P02");
    /* no labour: backstop only is right (and P05 is satisfied) */
    h.members_with_labour = 0;
    assert_int_equal(s_run(m, 3, &h, D(2026, 3, 1), &f), 0);
}

static void test_p03(void **st)
{
    (void)st;
    assist_household_t h = s_hh();
    assist_measure_t m[] = {M(ASSIST_CAT_HEALTH, ASSIST_MS_IN_PROGRESS), M(ASSIST_CAT_INDUSTRY, ASSIST_MS_PLANNED),
                            M(ASSIST_CAT_EMPLOYMENT, ASSIST_MS_DELIVERED)};
    m[1].end_on = D(2026, 3, 1);
    assist_findings_t f;
    assert_int_equal(s_run(m, 3, &h, D(2026, 3, 1), &f), 0); /* on the end date: not yet */
    assert_int_equal(s_run(m, 3, &h, D(2026, 3, 2), &f), 1);
    assert_string_equal(f.f[0].id, "P03");
    assert_non_null(strstr(f.f[0].seen, "overdue=1 first_end=2026-03-01"));
    assert_non_null(strstr(f.f[0].seen, "#2"));
    m[1].status = ASSIST_MS_DELIVERED;
    assert_int_equal(s_run(m, 3, &h, D(2026, 3, 2), &f), 0);
    m[1].status = ASSIST_MS_STOPPED;
    assert_int_equal(s_run(m, 3, &h, D(2026, 3, 2), &f), 0);
    m[1].status = ASSIST_MS_PLANNED;
    m[1].end_on = ASSIST_NO_DATE;
    assert_int_equal(s_run(m, 3, &h, D(2026, 12, 31), &f), 0);
}

static void test_p04(void **st)
{
    (void)st;
    assist_household_t h = s_hh();
    h.n_risks = 0;
    assist_findings_t f;
    /* opened 2026-01-06; 30 days later is 2026-02-05 */
    assert_int_equal(s_run(NULL, 0, &h, D(2026, 2, 5), &f), 0);
    assert_int_equal(s_run(NULL, 0, &h, D(2026, 2, 6), &f), 1);
    assert_string_equal(f.f[0].id, "P04");
    assert_non_null(strstr(f.f[0].seen, "days=31 limit=30"));
    assist_measure_t m[] = {M(ASSIST_CAT_HEALTH, ASSIST_MS_STOPPED)};
    assert_int_equal(s_run(m, 1, &h, D(2026, 2, 6), &f), 1);
    assert_string_equal(f.f[0].id, "P04");
    m[0].status = ASSIST_MS_PLANNED;
    assert_int_equal(s_run(m, 1, &h, D(2026, 2, 6), &f), 1); /* P02: health only, with labour */
    assert_string_equal(f.f[0].id, "P02");
    /* the parameter */
    assist_check_params_t p = s_params;
    p.empty_plan_days = 10;
    assist_plan_t pl = {D(2026, 1, 6), NULL, 0};
    assert_int_equal(assist_plan_check(&pl, &h, &p, D(2026, 1, 16), &f), FP_OK);
    assert_int_equal(f.n, 0);
    assert_int_equal(assist_plan_check(&pl, &h, &p, D(2026, 1, 17), &f), FP_OK);
    assert_int_equal(f.n, 1);
}

static void test_p05(void **st)
{
    (void)st;
    assist_household_t h = s_hh();
    h.members_with_labour = 0;
    assist_measure_t m[] = {M(ASSIST_CAT_HEALTH, ASSIST_MS_PLANNED), M(ASSIST_CAT_BACKSTOP, ASSIST_MS_STOPPED)};
    assist_findings_t f;
    assert_int_equal(s_run(m, 2, &h, D(2026, 3, 1), &f), 1);
    assert_string_equal(f.f[0].id, "P05");
    assert_string_equal(f.f[0].seen, "labour=0 members=3 backstop=0");
    m[1].status = ASSIST_MS_DELIVERED;
    assert_int_equal(s_run(m, 2, &h, D(2026, 3, 1), &f), 0);
}

static void test_data_quality(void **st)
{
    (void)st;
    assist_household_t h = s_hh();
    h.eliminated = true;
    h.eliminated_on = D(2026, 7, 5); /* exactly 6 months */
    assist_measure_t m[] = {M(ASSIST_CAT_HEALTH, ASSIST_MS_DELIVERED), M(ASSIST_CAT_INDUSTRY, ASSIST_MS_DELIVERED)};
    assist_findings_t f;
    assert_int_equal(s_run(m, 2, &h, D(2026, 8, 1), &f), 0);
    h.eliminated_on = D(2026, 7, 4); /* 5 months 29 days */
    assert_int_equal(s_run(m, 2, &h, D(2026, 8, 1), &f), 1);
    assert_string_equal(f.f[0].id, "P07");
    assert_non_null(strstr(f.f[0].seen, "months=5 min=6"));
    h.eliminated_on = D(2026, 7, 5);
    m[0].status = ASSIST_MS_IN_PROGRESS;
    m[1].status = ASSIST_MS_IN_PROGRESS;
    assert_int_equal(s_run(m, 2, &h, D(2026, 8, 1), &f), 1);
    assert_string_equal(f.f[0].id, "P08");
    m[0].status = ASSIST_MS_DELIVERED;
    m[1].status = ASSIST_MS_DELIVERED;
    h.members_with_labour = 0;
    assist_measure_t m2[] = {m[0], m[1], M(ASSIST_CAT_BACKSTOP, ASSIST_MS_DELIVERED)};
    assert_int_equal(s_run(m2, 3, &h, D(2026, 8, 1), &f), 1);
    assert_string_equal(f.f[0].id, "P06");
    /* P09 */
    h = s_hh();
    m[1].start_on = D(2026, 5, 2);
    m[1].end_on = D(2026, 5, 1);
    assert_int_equal(s_run(m, 2, &h, D(2026, 4, 1), &f), 1);
    assert_string_equal(f.f[0].id, "P09");
    m[1].end_on = D(2026, 5, 2);
    assert_int_equal(s_run(m, 2, &h, D(2026, 4, 1), &f), 0);
}

static void test_all_together(void **st)
{
    (void)st;
    assist_household_t h = s_hh();
    h.members_with_labour = 0;
    h.eliminated = true;
    h.eliminated_on = D(2026, 3, 1);
    assist_measure_t m[] = {M(ASSIST_CAT_HEALTH, ASSIST_MS_STOPPED)};
    m[0].start_on = D(2026, 3, 1);
    m[0].end_on = D(2026, 2, 1);
    assist_findings_t f;
    /* P01 (illness unanswered), P04, P05, P06, P07, P08, P09 */
    assert_int_equal(s_run(m, 1, &h, D(2026, 4, 1), &f), 7);
    const char *ids[] = {"P01", "P04", "P05", "P06", "P07", "P08", "P09"};
    for (size_t i = 0; i < 7; i++) assert_string_equal(f.f[i].id, ids[i]);
    /* P02 and P03 together with P01 */
    h = s_hh();
    h.risks[0] = SCREEN_RISK_UNSTABLE_WORK;
    assist_measure_t m2[] = {M(ASSIST_CAT_HEALTH, ASSIST_MS_PLANNED)};
    m2[0].end_on = D(2026, 2, 1);
    assert_int_equal(s_run(m2, 1, &h, D(2026, 4, 1), &f), 3);
    assert_string_equal(f.f[0].id, "P01");
    assert_string_equal(f.f[1].id, "P02");
    assert_string_equal(f.f[2].id, "P03");
    /* disabled */
    const char *const off[] = {"P02", NULL};
    assist_check_params_t p = s_params;
    p.disabled = off;
    assist_plan_t pl = {D(2026, 1, 6), m2, 1};
    assert_int_equal(assist_plan_check(&pl, &h, &p, D(2026, 4, 1), &f), FP_OK);
    assert_int_equal(f.n, 2);
    assert_null(s_find(&f, "P02"));
}

static void test_bad_input(void **st)
{
    (void)st;
    assist_household_t h = s_hh();
    assist_plan_t pl = {D(2026, 1, 6), NULL, 0};
    assist_findings_t f;
    f.n = 77;
    assert_int_equal(assist_plan_check(NULL, &h, &s_params, 0, &f), FP_EINVAL);
    assert_int_equal(assist_plan_check(&pl, NULL, &s_params, 0, &f), FP_EINVAL);
    assert_int_equal(assist_plan_check(&pl, &h, NULL, 0, &f), FP_EINVAL);
    assert_int_equal(assist_plan_check(&pl, &h, &s_params, 0, NULL), FP_EINVAL);
    pl.n_measures = 1;
    assert_int_equal(assist_plan_check(&pl, &h, &s_params, 0, &f), FP_EINVAL);
    pl.n_measures = 0;
    h.members_with_labour = 4;
    assert_int_equal(assist_plan_check(&pl, &h, &s_params, 0, &f), FP_ERANGE);
    h = s_hh();
    h.members = 0;
    assert_int_equal(assist_plan_check(&pl, &h, &s_params, 0, &f), FP_ERANGE);
    h = s_hh();
    h.n_risks = 6;
    assert_int_equal(assist_plan_check(&pl, &h, &s_params, 0, &f), FP_ERANGE);
    h = s_hh();
    h.n_risks = 2;
    h.risks[1] = SCREEN_RISK_ILLNESS;
    assert_int_equal(assist_plan_check(&pl, &h, &s_params, 0, &f), FP_EINVAL);
    h.risks[1] = SCREEN_RISK_NONE;
    assert_int_equal(assist_plan_check(&pl, &h, &s_params, 0, &f), FP_EINVAL);
    h = s_hh();
    assist_measure_t m[] = {M(ASSIST_CAT_HEALTH, ASSIST_MS_PLANNED)};
    pl.measures = m;
    pl.n_measures = 1;
    m[0].category = ASSIST_CAT_COUNT_;
    assert_int_equal(assist_plan_check(&pl, &h, &s_params, 0, &f), FP_EINVAL);
    m[0].category = ASSIST_CAT_HEALTH;
    m[0].status = ASSIST_MS_COUNT_;
    assert_int_equal(assist_plan_check(&pl, &h, &s_params, 0, &f), FP_EINVAL);
    m[0].status = ASSIST_MS_PLANNED;
    m[0].amount_fen = -1;
    assert_int_equal(assist_plan_check(&pl, &h, &s_params, 0, &f), FP_ERANGE);
    m[0].amount_fen = 0;
    assist_check_params_t p = s_params;
    p.empty_plan_days = 0;
    assert_int_equal(assist_plan_check(&pl, &h, &p, 0, &f), FP_ERANGE);
    p = s_params;
    p.min_months_to_elim = 61;
    assert_int_equal(assist_plan_check(&pl, &h, &p, 0, &f), FP_ERANGE);
    assert_int_equal(f.n, 77);
}

/* docs/assistance-rules.md lists every check id, criterion id and category code. */
static void test_doc_lists_everything(void **st)
{
    (void)st;
    char path[4096];
    const char *src = __FILE__;
    const char *cut = strstr(src, "tests/unit/plan_check_test.c");
    if (cut) snprintf(path, sizeof path, "%.*sdocs/assistance-rules.md", (int)(cut - src), src);
    else snprintf(path, sizeof path, "../../docs/assistance-rules.md");
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static char buf[1 << 18];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    char needle[64];
    for (size_t i = 0; i < assist_checks_count; i++) {
        snprintf(needle, sizeof needle, "| %s |", assist_checks[i].id);
        if (!strstr(buf, needle)) fail_msg("check %s missing from %s", assist_checks[i].id, path);
    }
    for (int i = 0; i < ASSIST_CAT_COUNT_; i++) {
        snprintf(needle, sizeof needle, "`%s`", assist_categories[i].code);
        if (!strstr(buf, needle)) fail_msg("category %s missing", assist_categories[i].code);
    }
    for (int i = 1; i <= ASSIST_CR_COUNT_; i++) {
        snprintf(needle, sizeof needle, "| E%02d |", i);
        if (!strstr(buf, needle)) fail_msg("criterion E%02d missing", i);
    }
}

/* P10: a household in 刚性支出困难 needs a live health or education measure; P11: a live measure
 * must serve one of the household's populations (the catalogue's serves). */
static void test_by_category(void **st)
{
    (void)st;
    assist_household_t h = s_hh();
    assist_findings_t f;
    assist_measure_t emp[] = {M(ASSIST_CAT_EMPLOYMENT, ASSIST_MS_IN_PROGRESS), M(ASSIST_CAT_HEALTH, ASSIST_MS_STOPPED)};
    h.risks[0] = SCREEN_RISK_LACK_OF_LABOUR;
    h.populations = ASSIST_SERVES_MONITORED;
    s_run(emp, 2, &h, D(2026, 3, 1), &f);
    assert_null(s_find(&f, "P10"));
    assert_null(s_find(&f, "P11"));
    h.populations = ASSIST_SERVES_MONITORED | ASSIST_SERVES_RIGID_SPENDING; /* the stopped health measure is not live */
    s_run(emp, 2, &h, D(2026, 3, 1), &f);
    assert_non_null(s_find(&f, "P10"));
    assist_measure_t edu[] = {M(ASSIST_CAT_EMPLOYMENT, ASSIST_MS_IN_PROGRESS), M(ASSIST_CAT_EDUCATION, ASSIST_MS_PLANNED)};
    s_run(edu, 2, &h, D(2026, 3, 1), &f);
    assert_null(s_find(&f, "P10"));
    /* out of monitoring, still 特困: employment does not serve it, health does */
    h.populations = ASSIST_SERVES_TEKUN;
    s_run(emp, 1, &h, D(2026, 3, 1), &f);
    assert_non_null(s_find(&f, "P11"));
    assist_measure_t health[] = {M(ASSIST_CAT_HEALTH, ASSIST_MS_IN_PROGRESS)};
    s_run(health, 1, &h, D(2026, 3, 1), &f);
    assert_null(s_find(&f, "P11"));
    /* populations not known: P11 does not run */
    h.populations = 0;
    s_run(emp, 1, &h, D(2026, 3, 1), &f);
    assert_null(s_find(&f, "P11"));
    /* the catalogue by code */
    assert_true(assist_serves(ASSIST_CAT_RISK_FUND, "marginal"));
    assert_false(assist_serves(ASSIST_CAT_RISK_FUND, "dibao"));
    assert_true(assist_serves(ASSIST_CAT_HEALTH, "rigid_spending"));
    assert_false(assist_serves(ASSIST_CAT_FINANCE, "tekun"));
    assert_false(assist_serves(ASSIST_CAT_HEALTH, "nope"));
    assert_false(assist_serves(ASSIST_CAT_COUNT_, "dibao"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean),
        cmocka_unit_test(test_p01),
        cmocka_unit_test(test_p02_labour_rule),
        cmocka_unit_test(test_p03),
        cmocka_unit_test(test_p04),
        cmocka_unit_test(test_p05),
        cmocka_unit_test(test_data_quality),
        cmocka_unit_test(test_all_together),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_doc_lists_everything),
        cmocka_unit_test(test_by_category),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
