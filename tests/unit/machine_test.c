/* machine_test.c: the state-machine engine (domain/machine.c) at its boundaries, on a small
 * machine of its own: every refusal in the documented order (bad request, final, event, level,
 * date, guard), the record untouched on each, and what a taken step writes (the action on the
 * state it leaves, the new state, the step's day only when the state changes, the action name). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "machine.h"

enum { A = 0, B, F, N_STATES };
enum { GO = 0, BACK, N_EVENTS };
enum { LO = 0, HI, N_LEVELS };

typedef struct {
    int state;
    int32_t step_since;
    const char *last_action;
    int seen_state; /* the state the last action saw */
    int actions;
} rec_t;

typedef struct {
    int kind;
    int level;
    bool ok;
} ev_t;

static const char *g_ok(const void *rec, const void *ev, int32_t today, const void *params)
{
    return ((const ev_t *)ev)->ok ? NULL : "toy.not_ok";
}
static const char *g_none(const void *rec, const void *ev, int32_t today, const void *params) { return NULL; }
static void on_go(void *rec, const void *ev, int32_t today)
{
    rec_t *r = rec;
    r->seen_state = r->state;
    r->actions++;
}
static void on_back(void *rec, const void *ev, int32_t today) { on_go(rec, ev, today); }

static const fp_sm_row_t s_rows[] = {FP_SM_ROW(A, GO, LO, ok, B, on_go) FP_SM_ROW(B, GO, LO, none, B, on_go)
                                         FP_SM_ROW(B, BACK, HI, none, A, on_back) FP_SM_ROW(B, GO, HI, none, F, on_go)};
static const fp_sm_fns_t s_fns[] = {FP_SM_FNS(ok, on_go) FP_SM_FNS(none, on_go) FP_SM_FNS(none, on_back)
                                        FP_SM_FNS(none, on_go)};
static const char *const s_states[] = {"a", "b", "f"};
static const char *const s_events[] = {"go", "back"};
static bool s_final(int s) { return s == F; }
static bool s_params_ok(const void *p) { return *(const int *)p > 0; }

static const fp_sm_t s_m = {
    .rows = s_rows,
    .fns = s_fns,
    .n_rows = 4,
    .n_states = N_STATES,
    .n_events = N_EVENTS,
    .n_levels = N_LEVELS,
    .state_codes = s_states,
    .event_codes = s_events,
    .codes = {"toy.bad", "toy.final", "toy.event", "toy.level", "toy.date"},
    .is_final = s_final,
    .params_ok = s_params_ok,
    FP_SM_LAYOUT(rec_t, ev_t),
};

static const int g_params = 1, g_bad_params = 0;

/* Refused with code; out untouched. */
static void refused(const rec_t *in, const ev_t *ev, int32_t today, const int *params, const char *code)
{
    rec_t out;
    memset(&out, 0x5a, sizeof out);
    rec_t want;
    memcpy(&want, &out, sizeof want);
    const char *got = "unset";
    assert_int_equal(fp_sm_apply(&s_m, in, ev, today, params, &out, &got), FP_SM_REFUSED);
    assert_string_equal(got, code);
    assert_memory_equal(&out, &want, sizeof out);
}

static void test_bad_request(void **st)
{
    rec_t in = {A, 100, "init", -1, 0}, out;
    ev_t ev = {GO, LO, true};
    const char *got = "unset";
    assert_int_equal(fp_sm_apply(NULL, &in, &ev, 100, &g_params, &out, &got), FP_SM_REFUSED);
    assert_null(got);
    assert_int_equal(fp_sm_apply(&s_m, NULL, &ev, 100, &g_params, &out, &got), FP_SM_REFUSED);
    assert_string_equal(got, "toy.bad");
    assert_int_equal(fp_sm_apply(&s_m, &in, NULL, 100, &g_params, &out, &got), FP_SM_REFUSED);
    assert_int_equal(fp_sm_apply(&s_m, &in, &ev, 100, NULL, &out, &got), FP_SM_REFUSED);
    assert_int_equal(fp_sm_apply(&s_m, &in, &ev, 100, &g_params, NULL, &got), FP_SM_REFUSED);
    refused(&in, &ev, 100, &g_bad_params, "toy.bad");
    for (int bad = 0; bad < 2; bad++) {
        int v = bad ? -1 : 0;
        rec_t s = in;
        s.state = v ? v : N_STATES;
        refused(&s, &ev, 100, &g_params, "toy.bad");
        ev_t e = ev;
        e.kind = v ? v : N_EVENTS;
        refused(&in, &e, 100, &g_params, "toy.bad");
        e = ev;
        e.level = v ? v : N_LEVELS;
        refused(&in, &e, 100, &g_params, "toy.bad");
    }
}

/* The order: final before event, event before level, level before date, date before guard. */
static void test_refusal_order(void **st)
{
    rec_t fin = {F, 100, "x", -1, 0}, a = {A, 100, "x", -1, 0};
    ev_t back_lo = {BACK, LO, false}, go_hi = {GO, HI, false}, go_lo_bad = {GO, LO, false};
    refused(&fin, &back_lo, 50, &g_params, "toy.final");
    refused(&a, &back_lo, 50, &g_params, "toy.event");
    refused(&a, &go_hi, 50, &g_params, "toy.level");
    refused(&a, &go_lo_bad, 99, &g_params, "toy.date");
    refused(&a, &go_lo_bad, 100, &g_params, "toy.not_ok");
    const char *got = "unset";
    rec_t out;
    assert_int_equal(fp_sm_apply(&s_m, &a, &go_lo_bad, 100, &g_params, &out, NULL), FP_SM_REFUSED);
    go_lo_bad.ok = true;
    assert_int_equal(fp_sm_apply(&s_m, &a, &go_lo_bad, 100, &g_params, &out, &got), B);
    assert_null(got);
}

static void test_taken(void **st)
{
    rec_t a = {A, 100, "init", -1, 0}, out;
    ev_t go = {GO, LO, true}, back = {BACK, HI, true};
    assert_int_equal(fp_sm_apply(&s_m, &a, &go, 105, &g_params, &out, NULL), B);
    assert_int_equal(out.seen_state, A); /* the action saw the state it leaves */
    assert_int_equal(out.step_since, 105);
    assert_string_equal(out.last_action, "on_go");
    rec_t again = out; /* a step back to the same state keeps the step's day */
    assert_int_equal(fp_sm_apply(&s_m, &again, &go, 110, &g_params, &again, NULL), B);
    assert_int_equal(again.step_since, 105);
    assert_int_equal(again.actions, 2);
    assert_int_equal(fp_sm_apply(&s_m, &again, &back, 111, &g_params, &again, NULL), A); /* out == in */
    assert_int_equal(again.step_since, 111);
    assert_string_equal(again.last_action, "on_back");
    assert_int_equal(again.actions, 3);
}

static void test_names(void **st)
{
    assert_string_equal(fp_sm_state_code(&s_m, F), "f");
    assert_string_equal(fp_sm_state_code(&s_m, N_STATES), "?");
    assert_string_equal(fp_sm_state_code(&s_m, -1), "?");
    assert_string_equal(fp_sm_event_code(&s_m, BACK), "back");
    assert_string_equal(fp_sm_event_code(&s_m, N_EVENTS), "?");
    assert_int_equal(fp_sm_state_of(&s_m, "b"), B);
    assert_int_equal(fp_sm_state_of(&s_m, "z"), N_STATES);
    assert_int_equal(fp_sm_state_of(&s_m, NULL), N_STATES);
    assert_ptr_equal(fp_sm_row(&s_m, B, BACK, HI), &s_rows[2]);
    assert_null(fp_sm_row(&s_m, B, BACK, LO));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_request),
        cmocka_unit_test(test_refusal_order),
        cmocka_unit_test(test_taken),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
