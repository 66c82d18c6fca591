/* case_machine.h: the verification case of one household (village -> township -> county) as ONE
 * transition table {from, event, level, guard, to, action} (STYLE.md 8) run by the domain's
 * engine (domain/machine.h), its refusal reasons, and step and decision due dates on the
 * domain's working-day calendar (domain/calendar.h). Pure. */
#ifndef SCREEN_CASE_MACHINE_H
#define SCREEN_CASE_MACHINE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "machine.h"
#include "reason.h"
#include "rules.h"

typedef enum {
    SCREEN_CS_OPENED = 0,        /* lead matched to a household, case opened */
    SCREEN_CS_VISITED,           /* village visit recorded: findings, signed consent */
    SCREEN_CS_NOTICE_POSTED,     /* deliberated and public notice posted (公示) */
    SCREEN_CS_TOWNSHIP_REVIEWED, /* township review (审核) done */
    SCREEN_CS_COUNTY_APPROVED,   /* county approval (审批) done */
    SCREEN_CS_IDENTIFIED,        /* final: identified (识别纳入) with kind and risk types */
    SCREEN_CS_CLOSED,            /* final: closed, not included, with a reason */
    SCREEN_CS_COUNT_
} screen_case_state_t;

typedef enum {
    SCREEN_EV_VISIT = 0,   /* village: visit recorded (text = findings, consent) */
    SCREEN_EV_POST_NOTICE, /* village: notice posted */
    SCREEN_EV_OBJECTION,   /* village: an objection to the notice recorded (text) */
    SCREEN_EV_REVIEW,      /* township: review passed (notice period over) */
    SCREEN_EV_APPROVE,     /* county: approved */
    SCREEN_EV_IDENTIFY,    /* county: identified (kind + 1..5 risk types) */
    SCREEN_EV_RETURN,      /* township/county: back one step (text = reason) */
    SCREEN_EV_CLOSE,       /* village at its steps, county at any open step (text = reason) */
    SCREEN_EV_COUNT_
} screen_event_kind_t;

/* The acting levels are the domain's (domain/vocab.h). */
typedef fp_level_t screen_level_t;
#define SCREEN_LV_VILLAGE FP_LEVEL_VILLAGE
#define SCREEN_LV_TOWNSHIP FP_LEVEL_TOWNSHIP
#define SCREEN_LV_COUNTY FP_LEVEL_COUNTY
#define SCREEN_LV_COUNT_ FP_LEVEL_COUNT_

const char *screen_case_state_code(screen_case_state_t s); /* "opened", ...; "?" */
const char *screen_event_code(screen_event_kind_t e);      /* "visit", ...; "?" */
#define screen_level_code fp_level_code                    /* "village", ...; "?" */

/* The case as the machine sees it. Texts (findings, reasons) are not kept here: the shell stores
 * them in the case history together with last_action. */
typedef struct {
    screen_case_state_t state;
    int32_t lead_date;        /* day the lead arrived: the decision clock starts here */
    int32_t step_since;       /* day the current state was entered */
    int32_t notice_posted_on; /* day of the notice in force; SCREEN_NO_DATE if none */
    bool consent;             /* signed consent to data checks given at the visit */
    int32_t objections;       /* objections recorded during the notice in force */
    int32_t returns;          /* how many times the case was sent back */
    screen_kind_t kind;       /* set by IDENTIFY */
    size_t n_risks;
    screen_risk_t risks[SCREEN_MAX_RISKS];
    const char *last_action; /* action name of the last applied row (static string) */
} screen_case_t;

#define SCREEN_NO_DATE INT32_MIN

typedef struct {
    screen_event_kind_t kind;
    screen_level_t level;  /* the acting level */
    bool consent;          /* VISIT */
    const char *text;      /* VISIT findings; OBJECTION text; RETURN/CLOSE reason */
    screen_kind_t hh_kind; /* IDENTIFY */
    size_t n_risks;        /* IDENTIFY: 1..5 */
    screen_risk_t risks[SCREEN_MAX_RISKS];
} screen_event_t;

/* Working days: the domain's calendar (domain/calendar.h). */
typedef fp_calendar_t screen_calendar_t;

typedef struct {
    int32_t notice_days;                 /* public notice at least this many days (default 5) */
    bool notice_working_days;            /* count them as working days (default calendar days) */
    int32_t decision_days;               /* lead -> decision (default 15) */
    bool decision_working_days;          /* count them as working days (some provinces: 20 working) */
    int32_t step_days[SCREEN_CS_COUNT_]; /* time allowed in each open state (see .c) */
    bool step_working_days;              /* step_days counted as working days (default true) */
    const screen_calendar_t *cal;        /* NULL = no holidays, no adjusted days */
} screen_case_params_t;

/* Defaults: notice 5 calendar days; decision 15 calendar days; steps in working days: visit 2,
 * post notice 3, review 2 after the notice ends, approve 2, identify 2. */
void screen_case_params_default(screen_case_params_t *p);

/* A new case in SCREEN_CS_OPENED for a lead of lead_date. */
void screen_case_open(screen_case_t *c, int32_t lead_date);

#define SCREEN_CASE_REFUSED FP_SM_REFUSED

/* Applies ev on day today. Returns the new state (>= 0) and writes *out (may equal in), or
 * SCREEN_CASE_REFUSED with *refusal_code set to a code of screen_case_reasons (out untouched).
 * Checks, first failure wins: arguments (case.bad_request), final state (case.final), a row for
 * (state, event) (case.event_not_allowed), a row for the level (case.level_not_allowed), a day
 * before the current step (case.date_before_step), then the row's guard. */
int screen_case_apply(const screen_case_t *in, const screen_event_t *ev, int32_t today, const screen_case_params_t *p,
                      screen_case_t *out, const char **refusal_code);

/* The table as the engine runs it, and its rows for the docs and tests. */
extern const fp_sm_t screen_case_machine;
typedef fp_sm_row_t screen_case_row_t;
extern const screen_case_row_t screen_case_table[];
extern const size_t screen_case_table_count;

typedef fp_reason_t screen_case_reason_t;
/* Terminated by an entry whose code is NULL. */
extern const screen_case_reason_t screen_case_reasons[];
const screen_case_reason_t *screen_case_reason(const char *code);

/* Due dates: step_due is when the current step must be done (never after decision_due),
 * decision_due when the whole case must be decided; both SCREEN_NO_DATE for a final state. */
typedef struct {
    int32_t step_due;
    int32_t decision_due;
} screen_case_due_t;
screen_case_due_t screen_case_due(const screen_case_t *c, const screen_case_params_t *p);
/* True if the case is open and today is after its step due date (on the due date: not yet). */
/* The day a notice posted on posted_on ends (notice_days days, or working days when
 * notice_working_days): the township may review from that day. */
int32_t screen_notice_end(int32_t posted_on, const screen_case_params_t *p);
bool screen_is_overdue(const screen_case_t *c, int32_t today, const screen_case_params_t *p);

/* Working days (domain/calendar.h). */
#define screen_is_workday fp_is_workday
#define screen_workdays_add fp_workdays_add

#endif
