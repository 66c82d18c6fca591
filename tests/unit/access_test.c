/* access_test.c: who may read what from the reporting service (report_read_policy), as a table:
 * every principal kind and actor level against events and each report, inside, at and outside
 * its region. docs/protocol.md, "Who may read what", is the same table. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../services/reporting/access.c"

#define OK REPORT_READ_OK
#define KIND REPORT_READ_NO_KIND
#define REP REPORT_READ_NO_REPORT
#define REG REPORT_READ_NO_REGION
#define EV REPORT_READ_EVENTS
#define RP REPORT_READ_REPORT

typedef struct {
    const char *kind, *level, *region; /* the principal */
    report_read_what_t what;
    const char *report; /* for RP */
    const char *prefix;
    report_read_t want;
} s_case_t;

static const s_case_t s_cases[] = {
    /* an admin (county IT): events and every report of its county, nothing outside */
    {"admin", "", "130822", EV, NULL, "130822", OK},
    {"admin", "", "130822", EV, NULL, "130822112001", OK},
    {"admin", "", "130822", EV, NULL, "", REG},
    {"admin", "", "130822", EV, NULL, "130821", REG},
    {"admin", "", "130822", RP, "lead_verification_monthly", "130822", OK},
    {"admin", "", "130822", RP, "deadlines", "130822", OK},
    {"admin", "", "130822", RP, "scale_quarterly", "130821", REG},
    /* a county cadre */
    {"actor", "county", "130822", EV, NULL, "130822", OK},
    {"actor", "county", "130822", EV, NULL, "13", REG},
    {"actor", "county", "130822", RP, "deadlines", "130822", OK},
    {"actor", "county", "130822", RP, "measures_quarterly", "130822112", OK},
    {"actor", "county", "130822", RP, "elimination_quarterly", "130821", REG},
    /* prefecture and province cadres (a province's has no region: all) */
    {"actor", "prefecture", "1308", RP, "scale_quarterly", "130822", OK},
    {"actor", "prefecture", "1308", EV, NULL, "1309", REG},
    {"actor", "province", "", EV, NULL, "", OK},
    {"actor", "province", "", RP, "deadlines", "13", OK},
    /* a township cadre: its township, every report */
    {"actor", "township", "130822112", EV, NULL, "130822112", OK},
    {"actor", "township", "130822112", EV, NULL, "130822112001", OK},
    {"actor", "township", "130822112", EV, NULL, "130822", REG},
    {"actor", "township", "130822112", EV, NULL, "130822100", REG},
    {"actor", "township", "130822112", RP, "deadlines", "130822112", OK},
    {"actor", "township", "130822112", RP, "lead_verification_monthly", "130822112", OK},
    {"actor", "township", "130822112", RP, "scale_quarterly", "130822", REG},
    /* a village cadre: its village, every report but deadlines (no unit of it is a village) */
    {"actor", "village", "130822112001", EV, NULL, "130822112001", OK},
    {"actor", "village", "130822112001", EV, NULL, "130822112", REG},
    {"actor", "village", "130822112001", RP, "lead_verification_monthly", "130822112001", OK},
    {"actor", "village", "130822112001", RP, "scale_quarterly", "130822112001", OK},
    {"actor", "village", "130822112001", RP, "measures_quarterly", "130822112001", OK},
    {"actor", "village", "130822112001", RP, "elimination_quarterly", "130822112001", OK},
    {"actor", "village", "130822112001", RP, "deadlines", "130822112001", REP},
    {"actor", "village", "130822112001", RP, "scale_quarterly", "130822112002", REG},
    /* a department: no events, no reports, even of its own county */
    {"department", "county", "130822", EV, NULL, "130822", KIND},
    {"department", "county", "130822", EV, NULL, "130822112001", KIND},
    {"department", "county", "130822", RP, "lead_verification_monthly", "130822", KIND},
    {"department", "county", "130822", RP, "deadlines", "130822", KIND},
    {"department", "county", "130822", RP, "scale_quarterly", "130821", KIND},
    /* the self-report gateway: the same */
    {"gateway", "", "130822", EV, NULL, "130822", KIND},
    {"gateway", "", "130822", RP, "scale_quarterly", "130822", KIND},
    /* a kind or level nobody knows: nothing (fail closed) */
    {"auditor", "", "130822", EV, NULL, "130822", KIND},
    {"", "", "", EV, NULL, "", KIND},
    {"actor", "", "130822", EV, NULL, "130822", KIND},
    {"actor", "group", "130822112001", RP, "scale_quarterly", "130822112001", KIND},
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_cases / sizeof *s_cases; i++) {
        const s_case_t *c = &s_cases[i];
        fp_principal_t p = {0};
        snprintf(p.kind, sizeof p.kind, "%s", c->kind);
        snprintf(p.level, sizeof p.level, "%s", c->level);
        snprintf(p.region, sizeof p.region, "%s", c->region);
        report_read_t got = report_read_policy(&p, c->what, c->report, c->prefix);
        if (got != c->want)
            fail_msg("case %zu (%s %s %s, %s %s, prefix '%s'): got %s, want %s", i, c->kind, c->level, c->region,
                     c->what == EV ? "events" : "report", c->report ? c->report : "", c->prefix,
                     report_read_reason(got), report_read_reason(c->want));
    }
}

/* civil affairs (民政): the low-income statistics of its own county, nothing else; another
 * department's key with the same county reads none of it */
static void test_civil_affairs(void **state)
{
    (void)state;
    fp_principal_t p = {.kind = "department", .level = "county", .department = "minzheng", .county = "130822"};
    assert_int_equal(report_read_policy(&p, RP, "lowincome_quarterly", "130822"), OK);
    assert_int_equal(report_read_policy(&p, RP, "lowincome_quarterly", "130822112001"), OK);
    assert_int_equal(report_read_policy(&p, RP, "lowincome_quarterly", "130821"), REG);
    assert_int_equal(report_read_policy(&p, RP, "lowincome_quarterly", "1308"), REG);
    assert_int_equal(report_read_policy(&p, RP, "lowincome_quarterly", ""), REG);
    assert_int_equal(report_read_policy(&p, RP, "scale_quarterly", "130822"), REP);
    assert_int_equal(report_read_policy(&p, EV, NULL, "130822"), KIND);
    snprintf(p.department, sizeof p.department, "yibao");
    assert_int_equal(report_read_policy(&p, RP, "lowincome_quarterly", "130822"), KIND);
    snprintf(p.department, sizeof p.department, "minzheng");
    p.county[0] = '\0'; /* a civil-affairs key above a county: none */
    assert_int_equal(report_read_policy(&p, RP, "lowincome_quarterly", "130822"), KIND);
}

static void test_proxy_reads_all(void **state)
{
    (void)state; /* FANGPIN_REPORTING_HTTP_AUTH=proxy: no principal, the reverse proxy decided */
    assert_int_equal(report_read_policy(NULL, EV, NULL, ""), OK);
    assert_int_equal(report_read_policy(NULL, RP, "deadlines", "13"), OK);
}

static void test_reasons_and_messages(void **state)
{
    (void)state;
    assert_string_equal(report_read_reason(OK), "");
    assert_string_equal(report_read_reason(KIND), "read.kind");
    assert_string_equal(report_read_reason(REP), "read.report");
    assert_string_equal(report_read_reason(REG), "read.region");
    fp_principal_t d = {.kind = "department", .level = "county", .region = "130822"};
    char en[300], zh[300];
    report_read_message(KIND, &d, EV, en, sizeof en, zh, sizeof zh);
    assert_non_null(strstr(en, "department"));
    assert_non_null(strstr(en, "ListOutcomes"));
    assert_non_null(strstr(zh, "事件"));
    fp_principal_t t = {.kind = "actor", .level = "township", .region = "130822112"};
    report_read_message(REG, &t, RP, en, sizeof en, zh, sizeof zh);
    assert_non_null(strstr(en, "130822112"));
    assert_non_null(strstr(zh, "报表"));
    /* a small buffer truncates, never overflows */
    char small[8];
    report_read_message(KIND, &d, EV, small, sizeof small, zh, sizeof zh);
    assert_int_equal(strlen(small), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_proxy_reads_all),
        cmocka_unit_test(test_civil_affairs),
        cmocka_unit_test(test_reasons_and_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
