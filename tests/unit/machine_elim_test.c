/* machine_elim_test.c: the risk elimination's table (services/assistance/elimination.c) as the
 * domain's engine runs it: every state x event x level, table-driven from the public rows
 * (machine_check.h), and the elimination's own refusal codes (it has no final state). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../services/assistance/measures.c"
#include "../../services/assistance/elimination.c"
#include "machine_check.h"

#define S_SINCE 20500 /* 2026-02-16 */

static assist_elim_check_t g_passed;

static void s_make_rec(void *rec, int state, int32_t since)
{
    assist_elim_t *e = rec;
    assist_elim_init(e, since);
    e->state = (assist_elim_state_t)state;
    if (state >= ASSIST_ES_NOTICE_POSTED) e->notice_posted_on = since - 30;
    if (state == ASSIST_ES_ELIMINATED) {
        e->way = ASSIST_WAY_NATURAL;
        e->eliminated_on = since;
    }
}

static void s_make_ev(void *event, int kind, int level)
{
    assist_elim_event_t *ev = event;
    ev->kind = (assist_elim_event_kind_t)kind;
    ev->level = (assist_level_t)level;
    ev->text = "理由";
    ev->criteria = &g_passed;
    ev->way = ASSIST_WAY_BY_ASSISTANCE;
}

static void test_every_cell(void **st)
{
    memset(&g_passed, 0, sizeof g_passed);
    g_passed.passed = true;
    for (int i = 0; i < ASSIST_CR_COUNT_; i++) g_passed.c[i].met = true;
    assist_elim_params_t p = ASSIST_ELIM_PARAMS_DEFAULT;
    mc_t k = {&assist_elim_machine, &p, S_SINCE, s_make_rec, s_make_ev};
    mc_rows_well_formed(&assist_elim_machine);
    assert_int_equal(mc_every_cell(&k), assist_elim_table_count);
}

static void test_codes(void **st)
{
    assert_null(assist_elim_machine.is_final);
    for (int i = 0; i < FP_SM_CODES_; i++)
        if (i != FP_SM_FINAL) assert_non_null(assist_reason_in(assist_elim_reasons, assist_elim_machine.codes[i]));
    for (int s = 0; s < ASSIST_ES_COUNT_; s++)
        assert_int_equal(fp_sm_state_of(&assist_elim_machine, assist_elim_state_code((assist_elim_state_t)s)), s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_cell),
        cmocka_unit_test(test_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
