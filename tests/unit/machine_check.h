/* machine_check.h: one table-driven check of a machine run by the domain's engine
 * (domain/machine.h), for the unit tests of each table (machine_case_test.c,
 * machine_elim_test.c). For every state x event x level it derives what must happen from the
 * machine's public rows alone, applies a record in that state and an event that passes every
 * guard, and checks the outcome: the engine's refusal in the order it documents, the record
 * untouched on a refusal, and on a row the new state, the action's name and the step's day, with
 * the date boundary (the day before the step began refused, the day it began taken). */
#ifndef MACHINE_CHECK_H
#define MACHINE_CHECK_H
#include <string.h>

#include "machine.h"

typedef struct {
    const fp_sm_t *m;
    const void *params;
    int32_t since;                                         /* step_since of every record made */
    void (*make_rec)(void *rec, int state, int32_t since); /* a record in state, any guard passes */
    void (*make_ev)(void *ev, int event, int level);       /* an event that passes every guard */
} mc_t;

typedef union {
    max_align_t align;
    unsigned char b[512];
} mc_buf_t;

static int mc_int(const mc_buf_t *b, size_t off)
{
    int v;
    memcpy(&v, b->b + off, sizeof v);
    return v;
}

/* What the public rows say of (s, e, l): the row, or NULL and the engine's refusal. */
static const fp_sm_row_t *mc_expect(const fp_sm_t *m, int s, int e, int l, fp_sm_refusal_t *why)
{
    bool any = false;
    const fp_sm_row_t *row = NULL;
    for (size_t i = 0; i < m->n_rows; i++) {
        if (m->rows[i].from != s || m->rows[i].event != e) continue;
        any = true;
        if (m->rows[i].level == l && !row) row = &m->rows[i];
    }
    *why = m->is_final && m->is_final(s) ? FP_SM_FINAL : !any ? FP_SM_EVENT_NOT_ALLOWED : FP_SM_LEVEL_NOT_ALLOWED;
    return *why == FP_SM_FINAL ? NULL : row;
}

/* One application that must be refused with code: out stays as it was. */
static void mc_refused(const mc_t *k, const mc_buf_t *in, const mc_buf_t *ev, int32_t today, const char *code)
{
    mc_buf_t out;
    memset(&out, 0x5a, sizeof out);
    const char *got = "unset";
    assert_int_equal(fp_sm_apply(k->m, in, ev, today, k->params, &out, &got), FP_SM_REFUSED);
    assert_non_null(got);
    assert_string_equal(got, code);
    for (size_t i = 0; i < k->m->rec_size; i++) assert_int_equal(out.b[i], 0x5a);
}

/* One application that must take row on day today. */
static void mc_taken(const mc_t *k, const mc_buf_t *in, const mc_buf_t *ev, int32_t today, const fp_sm_row_t *row)
{
    mc_buf_t out;
    memset(&out, 0x5a, sizeof out);
    const char *got = "unset";
    int to = fp_sm_apply(k->m, in, ev, today, k->params, &out, &got);
    if (to != row->to)
        fail_msg("%s %s: got %d (%s), want %d", fp_sm_state_code(k->m, row->from), fp_sm_event_code(k->m, row->event),
                 to, got ? got : "-", row->to);
    assert_null(got);
    assert_int_equal(mc_int(&out, k->m->rec_state), row->to);
    const char *action;
    memcpy(&action, out.b + k->m->rec_last_action, sizeof action);
    assert_string_equal(action, row->action);
    int32_t since;
    memcpy(&since, out.b + k->m->rec_step_since, sizeof since);
    assert_int_equal(since, row->to != row->from ? today : k->since);
}

/* Every state x event x level; returns how many were taken (the number of rows). */
static size_t mc_every_cell(const mc_t *k)
{
    const fp_sm_t *m = k->m;
    size_t taken = 0;
    assert_true(m->rec_size <= sizeof(mc_buf_t));
    for (int s = 0; s < m->n_states; s++)
        for (int e = 0; e < m->n_events; e++)
            for (int l = 0; l < m->n_levels; l++) {
                mc_buf_t in, ev;
                memset(&in, 0, sizeof in);
                memset(&ev, 0, sizeof ev);
                k->make_rec(&in, s, k->since);
                k->make_ev(&ev, e, l);
                fp_sm_refusal_t why;
                const fp_sm_row_t *row = mc_expect(m, s, e, l, &why);
                if (!row) {
                    mc_refused(k, &in, &ev, k->since + 60, m->codes[why]);
                    continue;
                }
                mc_refused(k, &in, &ev, k->since - 1, m->codes[FP_SM_DATE_BEFORE_STEP]);
                mc_taken(k, &in, &ev, k->since, row);
                mc_taken(k, &in, &ev, k->since + 60, row);
                taken++;
            }
    return taken;
}

/* Every row names a guard and an action, and no two rows share (from, event, level). */
static void mc_rows_well_formed(const fp_sm_t *m)
{
    for (size_t i = 0; i < m->n_rows; i++) {
        const fp_sm_row_t *r = &m->rows[i];
        assert_true(r->from >= 0 && r->from < m->n_states && r->to >= 0 && r->to < m->n_states);
        assert_true(r->event >= 0 && r->event < m->n_events && r->level >= 0 && r->level < m->n_levels);
        assert_non_null(m->fns[i].guard);
        assert_non_null(m->fns[i].action);
        assert_true(strncmp(r->action, "on_", 3) == 0);
        assert_ptr_equal(fp_sm_row(m, r->from, r->event, r->level), r);
    }
}

#endif
