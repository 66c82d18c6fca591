/* machine.h: the one state-machine engine. A machine is a transition table as data, one row
 * {from, event, level, guard, to, action} per allowed step, with a guard function (may refuse with
 * a reason code) and an action function (changes the record, named after the event) per row. The
 * verification case (services/screening/case_machine.c) and the risk elimination
 * (services/assistance/elimination.c) are two tables run by it. Pure; no I/O, no state. */
#ifndef FP_MACHINE_H
#define FP_MACHINE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One row, as the docs and tests read it. */
typedef struct {
    int from;
    int event;
    int level;
    const char *guard; /* the guard's name ("consent_and_findings", ...) or "none" */
    int to;
    const char *action; /* the action's name, after the event: "on_visit", ... */
} fp_sm_row_t;

/* A guard returns NULL to let the step happen, else a reason code. An action changes the record
 * (a copy of the one given, still in the state it leaves). Records, events and parameters are the
 * machine's own types, passed through untouched. */
typedef const char *(*fp_sm_guard_fn)(const void *rec, const void *ev, int32_t today, const void *params);
typedef void (*fp_sm_action_fn)(void *rec, const void *ev, int32_t today);
typedef struct {
    fp_sm_guard_fn guard;
    fp_sm_action_fn action;
} fp_sm_fns_t;

/* The refusals of the engine itself, in the order they are checked. */
typedef enum {
    FP_SM_BAD_REQUEST = 0,   /* a NULL, an unknown state, event or level, bad parameters */
    FP_SM_FINAL,             /* the record is in a final state */
    FP_SM_EVENT_NOT_ALLOWED, /* no row for (state, event) */
    FP_SM_LEVEL_NOT_ALLOWED, /* rows for (state, event), none for the level */
    FP_SM_DATE_BEFORE_STEP,  /* today is before the day the current state was entered */
    FP_SM_CODES_
} fp_sm_refusal_t;

typedef struct {
    const fp_sm_row_t *rows;
    const fp_sm_fns_t *fns; /* parallel to rows */
    size_t n_rows;
    int n_states, n_events, n_levels;
    const char *const *state_codes;  /* [n_states]: "opened", ... as stored */
    const char *const *event_codes;  /* [n_events]: "visit", ... */
    const char *codes[FP_SM_CODES_]; /* the machine's reason code of each engine refusal */
    bool (*is_final)(int state);     /* NULL: no final state */
    bool (*params_ok)(const void *params);
    /* where the engine finds what it reads and writes: offsetof in the record (an int-sized
     * state enum, an int32_t day, a const char *) and in the event (two int-sized enums) */
    size_t rec_size, rec_state, rec_step_since, rec_last_action;
    size_t ev_kind, ev_level;
} fp_sm_t;

/* The layout fields of a machine whose record type R has members state (an int-sized enum),
 * step_since (int32_t) and last_action (const char *), and whose event type E has kind and level
 * (int-sized enums). */
#define FP_SM_LAYOUT(R, E)                                                                             \
    .rec_size = sizeof(R), .rec_state = offsetof(R, state), .rec_step_since = offsetof(R, step_since), \
    .rec_last_action = offsetof(R, last_action), .ev_kind = offsetof(E, kind), .ev_level = offsetof(E, level)

/* The table fields of a machine: its rows and functions (arrays of the same length), its state
 * and event codes (arrays of n_states and n_events), and how many levels act. */
#define FP_SM_TABLES(ROWS, FNS, STATES, EVENTS, NLEVELS)                                                      \
    .rows = ROWS, .fns = FNS, .n_rows = sizeof FNS / sizeof FNS[0],                                           \
    .n_states = (int)(sizeof STATES / sizeof STATES[0]), .n_events = (int)(sizeof EVENTS / sizeof EVENTS[0]), \
    .n_levels = NLEVELS, .state_codes = STATES, .event_codes = EVENTS

/* For a table written as X(from, event, level, guard, to, action) lines: the public row and the
 * functions (guard g_<guard>, action <action>) of one line, given full enum names. */
#define FP_SM_ROW(from, ev, lv, g, to, a) {from, ev, lv, #g, to, #a},
#define FP_SM_FNS(g, a) {g_##g, a},

#define FP_SM_REFUSED (-1)

/* Applies ev to in on day today. Returns the new state (>= 0) and writes *out (may be in): the
 * row's action, then state = the row's to, step_since = today when the state changed, and
 * last_action = the row's action name. Or FP_SM_REFUSED with *refusal_code (may be NULL) set,
 * out untouched. Checks, first failure wins: FP_SM_BAD_REQUEST, FP_SM_FINAL,
 * FP_SM_EVENT_NOT_ALLOWED, FP_SM_LEVEL_NOT_ALLOWED, FP_SM_DATE_BEFORE_STEP, the row's guard. */
int fp_sm_apply(const fp_sm_t *m, const void *in, const void *ev, int32_t today, const void *params, void *out,
                const char **refusal_code);

/* A state's or an event's code; "?" if out of range. */
const char *fp_sm_state_code(const fp_sm_t *m, int state);
const char *fp_sm_event_code(const fp_sm_t *m, int event);
/* The state of a code; n_states if unknown or NULL. */
int fp_sm_state_of(const fp_sm_t *m, const char *code);

/* The row for (state, event, level); NULL if none. */
const fp_sm_row_t *fp_sm_row(const fp_sm_t *m, int state, int event, int level);

#endif
