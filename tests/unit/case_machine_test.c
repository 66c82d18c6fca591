/* case_machine_test.c: the verification case table (services/screening/case_machine.c): every
 * state x event x level against an independent expectation, level and step guards, the notice
 * boundary (4 vs 5 days), working days across a weekend, a holiday and an adjusted Saturday,
 * due dates and overdue on the due date vs the day after, and the reason catalog. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../services/screening/case_machine.c"

#include <stdio.h>

static int32_t D(int y, int m, int d) { return fp_date_from_civil(y, m, d); }

/* An event that passes every guard for its kind. */
static screen_event_t s_good(screen_event_kind_t k, screen_level_t lv)
{
    screen_event_t e;
    memset(&e, 0, sizeof e);
    e.kind = k;
    e.level = lv;
    e.consent = true;
    e.text = "入户核实：家庭4人，因病支出较大";
    e.hh_kind = SCREEN_KIND_MARGINAL;
    e.n_risks = 2;
    e.risks[0] = SCREEN_RISK_ILLNESS;
    e.risks[1] = SCREEN_RISK_SCHOOLING;
    return e;
}

/* A case sitting in state s, opened 2026-03-02 (Monday), notice posted long ago if relevant. */
static screen_case_t s_case_in(screen_case_state_t s)
{
    screen_case_t c;
    screen_case_open(&c, D(2026, 3, 2));
    c.state = s;
    if (s >= SCREEN_CS_VISITED) c.consent = true;
    if (s >= SCREEN_CS_NOTICE_POSTED) c.notice_posted_on = D(2026, 3, 3);
    c.step_since = D(2026, 3, 3);
    return c;
}

/* Independent expectation: the target state, or -1 if (state, event, level) is illegal. */
static int s_expect(screen_case_state_t s, screen_event_kind_t e, screen_level_t l)
{
    if (s == SCREEN_CS_IDENTIFIED || s == SCREEN_CS_CLOSED) return -1;
    if (e == SCREEN_EV_CLOSE) {
        if (l == SCREEN_LV_COUNTY) return SCREEN_CS_CLOSED;
        if (l == SCREEN_LV_VILLAGE && (s == SCREEN_CS_OPENED || s == SCREEN_CS_VISITED)) return SCREEN_CS_CLOSED;
        return -1;
    }
    switch (s) {
    case SCREEN_CS_OPENED: return (e == SCREEN_EV_VISIT && l == SCREEN_LV_VILLAGE) ? SCREEN_CS_VISITED : -1;
    case SCREEN_CS_VISITED:
        return (e == SCREEN_EV_POST_NOTICE && l == SCREEN_LV_VILLAGE) ? SCREEN_CS_NOTICE_POSTED : -1;
    case SCREEN_CS_NOTICE_POSTED:
        if (e == SCREEN_EV_OBJECTION && l == SCREEN_LV_VILLAGE) return SCREEN_CS_NOTICE_POSTED;
        if (e == SCREEN_EV_REVIEW && l == SCREEN_LV_TOWNSHIP) return SCREEN_CS_TOWNSHIP_REVIEWED;
        if (e == SCREEN_EV_RETURN && l == SCREEN_LV_TOWNSHIP) return SCREEN_CS_VISITED;
        return -1;
    case SCREEN_CS_TOWNSHIP_REVIEWED:
        if (e == SCREEN_EV_APPROVE && l == SCREEN_LV_COUNTY) return SCREEN_CS_COUNTY_APPROVED;
        if (e == SCREEN_EV_RETURN && l == SCREEN_LV_COUNTY) return SCREEN_CS_NOTICE_POSTED;
        return -1;
    case SCREEN_CS_COUNTY_APPROVED:
        if (e == SCREEN_EV_IDENTIFY && l == SCREEN_LV_COUNTY) return SCREEN_CS_IDENTIFIED;
        if (e == SCREEN_EV_RETURN && l == SCREEN_LV_COUNTY) return SCREEN_CS_TOWNSHIP_REVIEWED;
        return -1;
    default: return -1;
    }
}

/* Does (state, event) have a row for some level? */
static bool s_event_exists(screen_case_state_t s, screen_event_kind_t e)
{
    for (int l = 0; l < SCREEN_LV_COUNT_; l++)
        if (s_expect(s, e, (screen_level_t)l) >= 0) return true;
    return false;
}

static void test_every_state_event_level(void **st)
{
    (void)st;
    screen_case_params_t p;
    screen_case_params_default(&p);
    int legal = 0;
    for (int s = 0; s < SCREEN_CS_COUNT_; s++)
        for (int e = 0; e < SCREEN_EV_COUNT_; e++)
            for (int l = 0; l < SCREEN_LV_COUNT_; l++) {
                screen_case_t in = s_case_in((screen_case_state_t)s), out;
                memset(&out, 0x5a, sizeof out);
                screen_event_t ev = s_good((screen_event_kind_t)e, (screen_level_t)l);
                const char *code = "unset";
                int got = screen_case_apply(&in, &ev, D(2026, 3, 20), &p, &out, &code);
                int want = s_expect((screen_case_state_t)s, (screen_event_kind_t)e, (screen_level_t)l);
                if (want >= 0) {
                    legal++;
                    if (got != want)
                        fail_msg("%s %s %s: got %d (%s), want %d", s_state_code[s], s_event_code[e],
                                 fp_level_code((fp_level_t)l), got, code ? code : "-", want);
                    assert_null(code);
                    assert_int_equal(out.state, want);
                    assert_non_null(out.last_action);
                } else {
                    assert_int_equal(got, SCREEN_CASE_REFUSED);
                    const char *wcode = s_final((screen_case_state_t)s)                  ? "case.final"
                        : s_event_exists((screen_case_state_t)s, (screen_event_kind_t)e) ? "case.level_not_allowed"
                                                                                         : "case.event_not_allowed";
                    assert_string_equal(code, wcode);
                    assert_int_equal(out.lead_date, (int32_t)0x5a5a5a5a); /* untouched */
                }
            }
    assert_int_equal(legal, (int)screen_case_table_count);
}

static void test_happy_path(void **st)
{
    (void)st;
    screen_case_params_t p;
    screen_case_params_default(&p);
    screen_case_t c;
    screen_case_open(&c, D(2026, 3, 2));
    const char *why;
    screen_event_t e = s_good(SCREEN_EV_VISIT, SCREEN_LV_VILLAGE);
    assert_int_equal(screen_case_apply(&c, &e, D(2026, 3, 3), &p, &c, &why), SCREEN_CS_VISITED);
    assert_true(c.consent);
    assert_string_equal(c.last_action, "on_visit");
    e = s_good(SCREEN_EV_POST_NOTICE, SCREEN_LV_VILLAGE);
    assert_int_equal(screen_case_apply(&c, &e, D(2026, 3, 4), &p, &c, &why), SCREEN_CS_NOTICE_POSTED);
    assert_int_equal(c.notice_posted_on, D(2026, 3, 4));
    e = s_good(SCREEN_EV_OBJECTION, SCREEN_LV_VILLAGE);
    assert_int_equal(screen_case_apply(&c, &e, D(2026, 3, 5), &p, &c, &why), SCREEN_CS_NOTICE_POSTED);
    assert_int_equal(c.objections, 1);
    assert_int_equal(c.step_since, D(2026, 3, 4)); /* a self-transition keeps the step date */
    e = s_good(SCREEN_EV_REVIEW, SCREEN_LV_TOWNSHIP);
    assert_int_equal(screen_case_apply(&c, &e, D(2026, 3, 9), &p, &c, &why), SCREEN_CS_TOWNSHIP_REVIEWED);
    e = s_good(SCREEN_EV_APPROVE, SCREEN_LV_COUNTY);
    assert_int_equal(screen_case_apply(&c, &e, D(2026, 3, 10), &p, &c, &why), SCREEN_CS_COUNTY_APPROVED);
    e = s_good(SCREEN_EV_IDENTIFY, SCREEN_LV_COUNTY);
    assert_int_equal(screen_case_apply(&c, &e, D(2026, 3, 11), &p, &c, &why), SCREEN_CS_IDENTIFIED);
    assert_int_equal(c.kind, SCREEN_KIND_MARGINAL);
    assert_int_equal(c.n_risks, 2);
    assert_int_equal(c.risks[1], SCREEN_RISK_SCHOOLING);
    assert_int_equal(c.returns, 0);
    screen_case_due_t d = screen_case_due(&c, &p);
    assert_int_equal(d.step_due, SCREEN_NO_DATE);
    assert_false(screen_is_overdue(&c, D(2030, 1, 1), &p));
}

static void test_guards(void **st)
{
    (void)st;
    screen_case_params_t p;
    screen_case_params_default(&p);
    screen_case_t c = s_case_in(SCREEN_CS_OPENED), out;
    const char *why;
    int32_t t = D(2026, 3, 20);
    screen_event_t e = s_good(SCREEN_EV_VISIT, SCREEN_LV_VILLAGE);
    e.consent = false;
    assert_int_equal(screen_case_apply(&c, &e, t, &p, &out, &why), SCREEN_CASE_REFUSED);
    assert_string_equal(why, "case.consent_missing");
    e.consent = true;
    e.text = "  ";
    assert_int_equal(screen_case_apply(&c, &e, t, &p, &out, &why), SCREEN_CASE_REFUSED);
    assert_string_equal(why, "case.findings_missing");
    e = s_good(SCREEN_EV_CLOSE, SCREEN_LV_VILLAGE);
    e.text = NULL;
    assert_int_equal(screen_case_apply(&c, &e, t, &p, &out, &why), SCREEN_CASE_REFUSED);
    assert_string_equal(why, "case.reason_missing");
    /* a date before the step began */
    e = s_good(SCREEN_EV_VISIT, SCREEN_LV_VILLAGE);
    assert_int_equal(screen_case_apply(&c, &e, c.step_since - 1, &p, &out, &why), SCREEN_CASE_REFUSED);
    assert_string_equal(why, "case.date_before_step");
    /* objection text */
    c = s_case_in(SCREEN_CS_NOTICE_POSTED);
    e = s_good(SCREEN_EV_OBJECTION, SCREEN_LV_VILLAGE);
    e.text = "";
    assert_int_equal(screen_case_apply(&c, &e, t, &p, &out, &why), SCREEN_CASE_REFUSED);
    assert_string_equal(why, "case.objection_missing");
    /* return needs a reason; a return to visited clears the notice */
    e = s_good(SCREEN_EV_RETURN, SCREEN_LV_TOWNSHIP);
    e.text = NULL;
    assert_int_equal(screen_case_apply(&c, &e, t, &p, &out, &why), SCREEN_CASE_REFUSED);
    assert_string_equal(why, "case.reason_missing");
    e.text = "公示材料不全";
    c.objections = 2;
    assert_int_equal(screen_case_apply(&c, &e, t, &p, &out, &why), SCREEN_CS_VISITED);
    assert_int_equal(out.notice_posted_on, SCREEN_NO_DATE);
    assert_int_equal(out.objections, 0);
    assert_int_equal(out.returns, 1);
    assert_int_equal(out.step_since, t);
    assert_string_equal(out.last_action, "on_return");
}

/* Identify's guards (a kind, one to five distinct risks), then requests that are no event. */
static void test_guards_identify(void **st)
{
    (void)st;
    screen_case_params_t p;
    screen_case_params_default(&p);
    screen_case_t c = s_case_in(SCREEN_CS_COUNTY_APPROVED), out;
    const char *why;
    int32_t t = D(2026, 3, 20);
    screen_event_t e = s_good(SCREEN_EV_IDENTIFY, SCREEN_LV_COUNTY);
    e.hh_kind = SCREEN_KIND_NONE;
    assert_int_equal(screen_case_apply(&c, &e, t, &p, &out, &why), SCREEN_CASE_REFUSED);
    assert_string_equal(why, "case.kind_missing");
    e.hh_kind = SCREEN_KIND_COUNT_;
    assert_int_equal(screen_case_apply(&c, &e, t, &p, &out, &why), SCREEN_CASE_REFUSED);
    assert_string_equal(why, "case.kind_missing");
    e.hh_kind = SCREEN_KIND_SUDDEN_HARDSHIP;
    e.n_risks = 0;
    assert_int_equal(screen_case_apply(&c, &e, t, &p, &out, &why), SCREEN_CASE_REFUSED);
    assert_string_equal(why, "case.risks_count");
    e.n_risks = 6;
    assert_int_equal(screen_case_apply(&c, &e, t, &p, &out, &why), SCREEN_CASE_REFUSED);
    assert_string_equal(why, "case.risks_count");
    e.n_risks = 5;
    for (int i = 0; i < 5; i++) e.risks[i] = (screen_risk_t)(i + 1);
    assert_int_equal(screen_case_apply(&c, &e, t, &p, &out, &why), SCREEN_CS_IDENTIFIED);
    e.risks[4] = SCREEN_RISK_ILLNESS; /* repeated */
    assert_int_equal(screen_case_apply(&c, &e, t, &p, &out, &why), SCREEN_CASE_REFUSED);
    assert_string_equal(why, "case.risk_invalid");
    e.risks[4] = SCREEN_RISK_COUNT_;
    assert_int_equal(screen_case_apply(&c, &e, t, &p, &out, &why), SCREEN_CASE_REFUSED);
    assert_string_equal(why, "case.risk_invalid");
    e.risks[4] = SCREEN_RISK_NONE;
    assert_int_equal(screen_case_apply(&c, &e, t, &p, &out, &why), SCREEN_CASE_REFUSED);
    assert_string_equal(why, "case.risk_invalid");
    /* bad requests */
    e = s_good(SCREEN_EV_IDENTIFY, SCREEN_LV_COUNTY);
    assert_int_equal(screen_case_apply(NULL, &e, t, &p, &out, &why), SCREEN_CASE_REFUSED);
    assert_string_equal(why, "case.bad_request");
    e.kind = SCREEN_EV_COUNT_;
    assert_int_equal(screen_case_apply(&c, &e, t, &p, &out, &why), SCREEN_CASE_REFUSED);
    assert_string_equal(why, "case.bad_request");
    e = s_good(SCREEN_EV_IDENTIFY, (screen_level_t)7);
    assert_int_equal(screen_case_apply(&c, &e, t, &p, &out, &why), SCREEN_CASE_REFUSED);
    assert_string_equal(why, "case.bad_request");
    e = s_good(SCREEN_EV_IDENTIFY, SCREEN_LV_COUNTY);
    p.notice_days = 0;
    assert_int_equal(screen_case_apply(&c, &e, t, &p, &out, &why), SCREEN_CASE_REFUSED);
    assert_string_equal(why, "case.bad_request");
    assert_int_equal(screen_case_apply(&c, &e, t, &p, &out, NULL), SCREEN_CASE_REFUSED);
}

static void test_notice_days(void **st)
{
    (void)st;
    screen_case_params_t p;
    screen_case_params_default(&p);
    screen_case_t c = s_case_in(SCREEN_CS_NOTICE_POSTED), out;
    c.notice_posted_on = c.step_since = D(2026, 3, 2);
    screen_event_t e = s_good(SCREEN_EV_REVIEW, SCREEN_LV_TOWNSHIP);
    const char *why;
    assert_int_equal(screen_case_apply(&c, &e, D(2026, 3, 6), &p, &out, &why), SCREEN_CASE_REFUSED);
    assert_string_equal(why, "case.notice_too_early"); /* 4 days */
    assert_int_equal(screen_case_apply(&c, &e, D(2026, 3, 7), &p, &out, &why),
                     SCREEN_CS_TOWNSHIP_REVIEWED); /* 5 days */
    /* working days: posted Thursday 2026-03-05; 5 working days -> Thursday 03-12 */
    p.notice_working_days = true;
    c.notice_posted_on = c.step_since = D(2026, 3, 5);
    assert_int_equal(screen_case_apply(&c, &e, D(2026, 3, 11), &p, &out, &why), SCREEN_CASE_REFUSED);
    assert_int_equal(screen_case_apply(&c, &e, D(2026, 3, 12), &p, &out, &why), SCREEN_CS_TOWNSHIP_REVIEWED);
    /* the notice's text ends on the same day the machine lets the township review */
    assert_int_equal(screen_notice_end(D(2026, 3, 5), &p), D(2026, 3, 12));
    p.notice_working_days = false;
    assert_int_equal(screen_notice_end(D(2026, 3, 5), &p), D(2026, 3, 10));
    p.notice_working_days = true;
    /* a returned case without a notice date cannot be reviewed */
    c.notice_posted_on = SCREEN_NO_DATE;
    assert_int_equal(screen_case_apply(&c, &e, D(2026, 4, 30), &p, &out, &why), SCREEN_CASE_REFUSED);
    assert_string_equal(why, "case.notice_too_early");
}

/* 2025 National Day: holidays 10-01..10-08 (Wed..Wed), adjusted working days Sun 09-28 and
 * Sat 10-11. */
static const int32_t *s_hol(size_t *n)
{
    static int32_t h[8];
    for (int i = 0; i < 8; i++) h[i] = fp_date_from_civil(2025, 10, 1 + i);
    *n = 8;
    return h;
}

static void test_workdays(void **st)
{
    (void)st;
    size_t nh;
    const int32_t *h = s_hol(&nh);
    int32_t w[2] = {D(2025, 9, 28), D(2025, 10, 11)};
    screen_calendar_t cal = {h, nh, w, 2};
    /* across a weekend, no calendar: Fri 2026-03-06 + 1 = Mon 03-09 */
    assert_int_equal(screen_workdays_add(D(2026, 3, 6), 1, NULL), D(2026, 3, 9));
    assert_int_equal(screen_workdays_add(D(2026, 3, 7), 1, NULL), D(2026, 3, 9)); /* from Sat */
    assert_int_equal(screen_workdays_add(D(2026, 3, 6), 0, NULL), D(2026, 3, 6));
    assert_int_equal(screen_workdays_add(D(2026, 3, 9), -1, NULL), D(2026, 3, 6));
    assert_int_equal(screen_workdays_add(D(2026, 3, 2), 5, NULL), D(2026, 3, 9));
    /* adjusted Sunday 09-28 counts: Fri 09-26 + 1 = Sun 09-28 */
    assert_true(screen_is_workday(D(2025, 9, 28), &cal));
    assert_false(screen_is_workday(D(2025, 9, 28), NULL));
    assert_int_equal(screen_workdays_add(D(2025, 9, 26), 1, &cal), D(2025, 9, 28));
    /* holiday: Tue 09-30 + 1 = Thu 10-09 (10-01..10-08 off, incl. weekdays) */
    assert_false(screen_is_workday(D(2025, 10, 1), &cal));
    assert_int_equal(screen_workdays_add(D(2025, 9, 30), 1, &cal), D(2025, 10, 9));
    /* adjusted Saturday 10-11: Thu 10-09 + 2 = Sat 10-11, + 3 = Mon 10-13 */
    assert_int_equal(screen_workdays_add(D(2025, 10, 9), 2, &cal), D(2025, 10, 11));
    assert_int_equal(screen_workdays_add(D(2025, 10, 9), 3, &cal), D(2025, 10, 13));
    /* without the adjusted day: Thu 10-09 + 2 = Mon 10-13 */
    screen_calendar_t nohol = {h, nh, NULL, 0};
    assert_int_equal(screen_workdays_add(D(2025, 10, 9), 2, &nohol), D(2025, 10, 13));
    /* backwards over the holiday */
    assert_int_equal(screen_workdays_add(D(2025, 10, 9), -1, &cal), D(2025, 9, 30));
    /* a day in both lists is a working day */
    int32_t both = D(2025, 10, 8);
    screen_calendar_t c2 = {h, nh, &both, 1};
    assert_true(screen_is_workday(both, &c2));
    /* huge n is clamped and terminates */
    int32_t far = screen_workdays_add(D(2026, 1, 1), 1 << 30, NULL);
    assert_true(far > D(2150, 1, 1));
}

static void test_due_and_overdue(void **st)
{
    (void)st;
    screen_case_params_t p;
    screen_case_params_default(&p);
    /* lead Monday 2026-03-02: decision due 03-17 (15 calendar days); visit due in 2 working days
     * from the lead: Wed 03-04 */
    screen_case_t c;
    screen_case_open(&c, D(2026, 3, 2));
    screen_case_due_t d = screen_case_due(&c, &p);
    assert_int_equal(d.decision_due, D(2026, 3, 17));
    assert_int_equal(d.step_due, D(2026, 3, 4));
    assert_false(screen_is_overdue(&c, D(2026, 3, 4), &p)); /* on the due date */
    assert_true(screen_is_overdue(&c, D(2026, 3, 5), &p));  /* the day after */
    /* working-day decision limit: 20 working days from Mon 03-02 -> Mon 03-30 */
    p.decision_working_days = true;
    p.decision_days = 20;
    d = screen_case_due(&c, &p);
    assert_int_equal(d.decision_due, D(2026, 3, 30));
    /* notice step: review due 2 working days after the notice ends */
    screen_case_params_default(&p);
    c.state = SCREEN_CS_NOTICE_POSTED;
    c.notice_posted_on = c.step_since = D(2026, 3, 4); /* Wed; ends Mon 03-09 */
    d = screen_case_due(&c, &p);
    assert_int_equal(d.step_due, D(2026, 3, 11));
    /* a step never due after the decision */
    c.notice_posted_on = c.step_since = D(2026, 3, 14);
    d = screen_case_due(&c, &p);
    assert_int_equal(d.step_due, D(2026, 3, 17));
    assert_false(screen_is_overdue(&c, D(2026, 3, 17), &p));
    assert_true(screen_is_overdue(&c, D(2026, 3, 18), &p));
    /* closed: nothing due */
    c.state = SCREEN_CS_CLOSED;
    assert_false(screen_is_overdue(&c, D(2027, 1, 1), &p));
    assert_false(screen_is_overdue(NULL, D(2027, 1, 1), &p));
}

static void test_catalog(void **st)
{
    (void)st;
    /* every code the machine can return is in the catalog with both messages */
    const char *codes[] = {"case.bad_request",       "case.final",
                           "case.event_not_allowed", "case.level_not_allowed",
                           "case.date_before_step",  "case.consent_missing",
                           "case.findings_missing",  "case.reason_missing",
                           "case.objection_missing", "case.notice_too_early",
                           "case.kind_missing",      "case.risks_count",
                           "case.risk_invalid"};
    size_t n = 0;
    for (const screen_case_reason_t *r = screen_case_reasons; r->code; r++) n++;
    assert_int_equal(n, sizeof codes / sizeof codes[0]);
    for (size_t i = 0; i < n; i++) {
        const screen_case_reason_t *r = screen_case_reason(codes[i]);
        assert_non_null(r);
        assert_true(r->en[0] && r->zh[0]);
    }
    assert_null(screen_case_reason("nope"));
    assert_null(screen_case_reason(NULL));
    assert_string_equal(screen_case_state_code(SCREEN_CS_CLOSED), "closed_not_included");
    assert_string_equal(screen_event_code(SCREEN_EV_RETURN), "return");
    assert_string_equal(screen_level_code(SCREEN_LV_TOWNSHIP), "township");
    assert_string_equal(screen_level_code((screen_level_t)5), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_state_event_level),
        cmocka_unit_test(test_happy_path),
        cmocka_unit_test(test_guards),
        cmocka_unit_test(test_guards_identify),
        cmocka_unit_test(test_notice_days),
        cmocka_unit_test(test_workdays),
        cmocka_unit_test(test_due_and_overdue),
        cmocka_unit_test(test_catalog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
