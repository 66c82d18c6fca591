/* machine.c: the table-driven state-machine engine (machine.h). */
#include "machine.h"

#include <string.h>

static int s_int_at(const void *base, size_t off)
{
    int v;
    memcpy(&v, (const char *)base + off, sizeof v);
    return v;
}

const char *fp_sm_state_code(const fp_sm_t *m, int state)
{
    return state >= 0 && state < m->n_states ? m->state_codes[state] : "?";
}

const char *fp_sm_event_code(const fp_sm_t *m, int event)
{
    return event >= 0 && event < m->n_events ? m->event_codes[event] : "?";
}

int fp_sm_state_of(const fp_sm_t *m, const char *code)
{
    for (int i = 0; code && i < m->n_states; i++)
        if (!strcmp(code, m->state_codes[i])) return i;
    return m->n_states;
}

const fp_sm_row_t *fp_sm_row(const fp_sm_t *m, int state, int event, int level)
{
    for (size_t i = 0; m && i < m->n_rows; i++)
        if (m->rows[i].from == state && m->rows[i].event == event && m->rows[i].level == level) return &m->rows[i];
    return NULL;
}

/* The row index for the record's state and the event, or -1 with the engine's refusal in *why. */
static long s_find(const fp_sm_t *m, const void *in, const void *ev, int32_t today, fp_sm_refusal_t *why)
{
    int state = s_int_at(in, m->rec_state), event = s_int_at(ev, m->ev_kind), level = s_int_at(ev, m->ev_level);
    if (state < 0 || state >= m->n_states || event < 0 || event >= m->n_events || level < 0 || level >= m->n_levels) {
        *why = FP_SM_BAD_REQUEST;
        return -1;
    }
    if (m->is_final && m->is_final(state)) {
        *why = FP_SM_FINAL;
        return -1;
    }
    bool any = false;
    for (size_t i = 0; i < m->n_rows; i++) {
        if (m->rows[i].from != state || m->rows[i].event != event) continue;
        any = true;
        if (m->rows[i].level != level) continue;
        int32_t since;
        memcpy(&since, (const char *)in + m->rec_step_since, sizeof since);
        if (today < since) break;
        return (long)i;
    }
    *why = !any ? FP_SM_EVENT_NOT_ALLOWED
                : (fp_sm_row(m, state, event, level) ? FP_SM_DATE_BEFORE_STEP : FP_SM_LEVEL_NOT_ALLOWED);
    return -1;
}

int fp_sm_apply(const fp_sm_t *m, const void *in, const void *ev, int32_t today, const void *params, void *out,
                const char **refusal_code)
{
    const char *dummy;
    if (!refusal_code) refusal_code = &dummy;
    *refusal_code = NULL;
    fp_sm_refusal_t why = FP_SM_BAD_REQUEST;
    long row = -1;
    if (m && in && ev && params && out && m->params_ok(params)) row = s_find(m, in, ev, today, &why);
    if (row < 0) {
        *refusal_code = m ? m->codes[why] : NULL;
        return FP_SM_REFUSED;
    }
    const char *no = m->fns[row].guard(in, ev, today, params);
    if (no) {
        *refusal_code = no;
        return FP_SM_REFUSED;
    }
    const fp_sm_row_t *r = &m->rows[row];
    if (out != in) memcpy(out, in, m->rec_size);
    m->fns[row].action(out, ev, today); /* actions see the state they leave */
    char *o = out;
    if (s_int_at(out, m->rec_state) != r->to) memcpy(o + m->rec_step_since, &today, sizeof today);
    memcpy(o + m->rec_state, &r->to, sizeof r->to);
    memcpy(o + m->rec_last_action, &r->action, sizeof r->action);
    return r->to;
}
