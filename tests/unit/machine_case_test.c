/* machine_case_test.c: the verification case's table (services/screening/case_machine.c) as the
 * domain's engine runs it: every state x event x level, table-driven from the public rows
 * (machine_check.h), and the case's own refusal codes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../services/screening/case_machine.c"
#include "machine_check.h"

#define S_SINCE 20500 /* 2026-02-16 */

static void s_make_rec(void *rec, int state, int32_t since)
{
    screen_case_t *c = rec;
    screen_case_open(c, since - 40);
    c->state = (screen_case_state_t)state;
    c->step_since = since;
    c->consent = state >= SCREEN_CS_VISITED;
    if (state >= SCREEN_CS_NOTICE_POSTED) c->notice_posted_on = since - 30;
}

static void s_make_ev(void *event, int kind, int level)
{
    screen_event_t *ev = event;
    ev->kind = (screen_event_kind_t)kind;
    ev->level = (screen_level_t)level;
    ev->consent = true;
    ev->text = "入户核实情况";
    ev->hh_kind = SCREEN_KIND_MARGINAL;
    ev->n_risks = 1;
    ev->risks[0] = SCREEN_RISK_ILLNESS;
}

static void test_every_cell(void **st)
{
    screen_case_params_t p;
    screen_case_params_default(&p);
    mc_t k = {&screen_case_machine, &p, S_SINCE, s_make_rec, s_make_ev};
    mc_rows_well_formed(&screen_case_machine);
    assert_int_equal(mc_every_cell(&k), screen_case_table_count);
}

static void test_codes(void **st)
{
    for (int i = 0; i < FP_SM_CODES_; i++) assert_non_null(screen_case_reason(screen_case_machine.codes[i]));
    assert_string_equal(screen_case_machine.codes[FP_SM_FINAL], "case.final");
    for (int s = 0; s < SCREEN_CS_COUNT_; s++)
        assert_int_equal(fp_sm_state_of(&screen_case_machine, screen_case_state_code((screen_case_state_t)s)), s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_cell),
        cmocka_unit_test(test_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
