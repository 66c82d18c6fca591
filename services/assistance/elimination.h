/* elimination.h: risk elimination (风险消除, seed 004 §(四)) as ONE transition table
 * {from, event, level, guard, to, action} (STYLE.md 8) run by the domain's engine
 * (domain/machine.h), its reason catalog, and the nomination criteria as a pure function reporting
 * each criterion. Pure; docs/assistance-rules.md. */
#ifndef ASSIST_ELIMINATION_H
#define ASSIST_ELIMINATION_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "machine.h"
#include "measures.h"

typedef enum {
    ASSIST_ES_MONITORED = 0,     /* monitored, not (or no longer) on the way out */
    ASSIST_ES_NOMINATED,         /* village nominated, criteria passed (提名) */
    ASSIST_ES_NOTICE_POSTED,     /* public notice posted (公示) */
    ASSIST_ES_TOWNSHIP_APPROVED, /* township check and approval (核查核准) */
    ASSIST_ES_COUNTY_CONFIRMED,  /* county verification and confirmation (核实确认) */
    ASSIST_ES_ELIMINATED,        /* announced and marked eliminated (公告标注) */
    ASSIST_ES_COUNT_
} assist_elim_state_t;

typedef enum {
    ASSIST_EE_NOMINATE = 0, /* village: criteria passed (ev.criteria) */
    ASSIST_EE_POST_NOTICE,  /* village */
    ASSIST_EE_OBJECTION,    /* village: objection recorded during the notice (text) */
    ASSIST_EE_APPROVE,      /* township: after the notice period */
    ASSIST_EE_CONFIRM,      /* county */
    ASSIST_EE_ANNOUNCE,     /* county: with the way it ended (ev.way) */
    ASSIST_EE_RETURN,       /* township/county: back one step (text = reason) */
    ASSIST_EE_REFUSE,       /* refused: back to MONITORED (text = reason) */
    ASSIST_EE_UNDO,         /* county: 回退, an eliminated household monitored again (text) */
    ASSIST_EE_COUNT_
} assist_elim_event_kind_t;

/* The acting levels are the domain's (domain/vocab.h). */
typedef fp_level_t assist_level_t;
#define ASSIST_LV_VILLAGE FP_LEVEL_VILLAGE
#define ASSIST_LV_TOWNSHIP FP_LEVEL_TOWNSHIP
#define ASSIST_LV_COUNTY FP_LEVEL_COUNTY
#define ASSIST_LV_COUNT_ FP_LEVEL_COUNT_

typedef enum {
    ASSIST_WAY_NONE = 0,
    ASSIST_WAY_BY_ASSISTANCE, /* 帮扶消除 */
    ASSIST_WAY_NATURAL,       /* 自然消除 */
    ASSIST_WAY_COUNT_
} assist_way_t;

const char *assist_elim_state_code(assist_elim_state_t s);      /* "monitored", ...; "?" */
const char *assist_elim_event_code(assist_elim_event_kind_t e); /* "nominate", ...; "?" */
#define assist_level_code fp_level_code                         /* "village", ...; "?" */
const char *assist_way_code(assist_way_t w);                    /* "by_assistance", ...; "?" */

/* --- nomination criteria --------------------------------------------------------------------- */

typedef enum {
    ASSIST_CR_INCOME_STABLE = 0, /* E01 */
    ASSIST_CR_RIGID_RESOLVED,    /* E02 */
    ASSIST_CR_GUARANTEES,        /* E03 */
    ASSIST_CR_WATER,             /* E04 */
    ASSIST_CR_SIX_MONTHS,        /* E05 */
    ASSIST_CR_MEASURE_DELIVERED, /* E06 */
    ASSIST_CR_HAS_LABOUR,        /* E07 */
    ASSIST_CR_COUNT_
} assist_criterion_t;

#define ASSIST_MAX_MONTHS 120

typedef struct {
    /* This year's monitoring line, fen per person per year, > 0 (policy parameter in force). */
    int64_t line;
    /* Per capita net income of the 12 months ending with each month, fen per person per year,
     * oldest first, the last entry the most recent completed month (the shell computes each with
     * screen_income_compute). A month counts as "above the line" when its figure is STRICTLY
     * greater than the line (高于); exactly at the line does not count. 0..120 entries. */
    const int64_t *income_by_month;
    size_t n_months;
    bool rigid_costs_resolved;   /* large rigid costs (medical, rebuilding ...) resolved */
    bool guarantees_hold;        /* 两不愁三保障 all hold */
    bool water_holds;            /* safe drinking water holds */
    int32_t identified_on;       /* day of identification */
    int32_t measures_delivered;  /* measures with status delivered, >= 0 */
    int32_t members;             /* 1..99 */
    int32_t members_with_labour; /* 0..members */
} assist_elim_facts_t;

typedef struct {
    int32_t stable_months; /* consecutive months above the line; bounds 1..60, default 6 */
    int32_t min_months;    /* months since identification; bounds 1..60, default 6 */
    int32_t notice_days;   /* public notice at least this many days; 1..60, default 5 */
} assist_elim_params_t;

#define ASSIST_ELIM_PARAMS_DEFAULT \
    {                              \
        6, 6, 5                    \
    }

typedef struct {
    const char *id; /* "E01".. */
    const char *zh;
    const char *en;
    const char *fail_code; /* reason code (assist_elim_reasons) when not met */
} assist_criterion_info_t;
extern const assist_criterion_info_t assist_criteria[ASSIST_CR_COUNT_];

typedef struct {
    bool passed; /* every criterion met */
    struct {
        bool met;
        char seen[96];
    } c[ASSIST_CR_COUNT_];
} assist_elim_check_t;

/* Evaluates every criterion as of day today. FP_OK; FP_EINVAL for a NULL argument (or a NULL
 * series with n_months > 0); FP_ERANGE for a fact or parameter outside its bounds. *out is written
 * only on FP_OK. */
fp_err_t assist_elim_criteria(const assist_elim_facts_t *f, const assist_elim_params_t *p, int32_t today,
                              assist_elim_check_t *out);

/* --- the machine ----------------------------------------------------------------------------- */

/* The elimination record as the machine sees it; texts live in the shell's history. */
typedef struct {
    assist_elim_state_t state;
    int32_t step_since;       /* day the current state was entered */
    int32_t notice_posted_on; /* ASSIST_ELIM_NO_DATE if no notice in force */
    int32_t objections;       /* during the notice in force */
    int32_t returns;
    int32_t refusals;
    int32_t undos;
    assist_way_t way;        /* set by ANNOUNCE, cleared by UNDO */
    int32_t eliminated_on;   /* ASSIST_ELIM_NO_DATE unless ELIMINATED */
    const char *last_action; /* action name of the last applied row */
} assist_elim_t;

#define ASSIST_ELIM_NO_DATE INT32_MIN

typedef struct {
    assist_elim_event_kind_t kind;
    assist_level_t level;
    const char *text;                    /* OBJECTION text; RETURN/REFUSE/UNDO reason */
    const assist_elim_check_t *criteria; /* NOMINATE: the result of assist_elim_criteria */
    assist_way_t way;                    /* ANNOUNCE */
} assist_elim_event_t;

/* A record in MONITORED since day `since`. */
void assist_elim_init(assist_elim_t *e, int32_t since);

#define ASSIST_ELIM_REFUSED FP_SM_REFUSED

/* Applies ev on day today. Returns the new state (>= 0) and writes *out (may equal in), or
 * ASSIST_ELIM_REFUSED with *refusal_code set (out untouched). First failure wins: arguments
 * (elim.bad_request), a row for (state, event) (elim.event_not_allowed), a row for the level
 * (elim.level_not_allowed), a day before the current step (elim.date_before_step), the guard. */
int assist_elim_apply(const assist_elim_t *in, const assist_elim_event_t *ev, int32_t today,
                      const assist_elim_params_t *p, assist_elim_t *out, const char **refusal_code);

/* The table as the engine runs it, and its rows for the docs and tests. */
extern const fp_sm_t assist_elim_machine;
typedef fp_sm_row_t assist_elim_row_t;
extern const assist_elim_row_t assist_elim_table[];
extern const size_t assist_elim_table_count;

/* Terminated by an entry whose code is NULL; look up with assist_reason_in(). */
extern const assist_reason_t assist_elim_reasons[];

#endif
