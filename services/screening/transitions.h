/* transitions.h: the verification case's transitions through the protocol (RecordVisit ..
 * CloseCase, transitions.c): one transaction each around screen_case_apply(), idempotent by
 * request id; the periodic overdue scan; and the case summary shared with queries.c. */
#ifndef SCREEN_TRANSITIONS_H
#define SCREEN_TRANSITIONS_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "case_machine.h"
#include "notice.h"
#include "fangpin/v1/screening.pb-c.h"
#include "service.h"

typedef struct {
    fp_service_t *svc;
    uint64_t last_scan; /* uv_now of the last overdue scan */
    bool scanning;
    char scan_after[24]; /* the overdue scan's keyset cursor: the last case id of its last page */
    bool page_full;      /* that page had FANGPIN_SCREENING_OVERDUE_PAGE rows: another follows */
    fp_counter_t *c_scans; /* fangpin_scans_total{scan="overdue"} */
    fp_gauge_t *g_overdue; /* fangpin_cases_overdue: open cases past their step's due date */
    uint64_t applied;
    void *identified_push; /* PUSH of HouseholdIdentified hints to assistance (after COMMIT) */
} screen_trans_t;

/* Reads FANGPIN_TODAY and binds FANGPIN_SCREENING_IDENTIFIED_PUSH; 1 if either is bad. */
int screen_trans_start(screen_trans_t *t, fp_service_t *svc);
void screen_trans_stop(screen_trans_t *t);  /* closes the PUSH socket */
void screen_trans_ready(screen_trans_t *t); /* runs the overdue scan */
void screen_trans_tick(screen_trans_t *t);  /* ... every 60 s */

/* One transition request (op record_visit .. close_case; arg: the screen_trans_t): answers req
 * exactly once, takes the message. The operation table admitted only village, township and
 * county actors. */
void screen_transition(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);

/* The public notice text and name masking are the domain's (domain/notice.h, pure, unit-tested). */

/* --- the case's parameters (policy_params via fp_param, 009_case_params.sql) ---------------- */

/* Columns of the parameters in force for a case of village V opened on D (SQL expressions), and
 * the holiday calendar from day LO to day HI: notice_days, notice_working_days, decision_days,
 * decision_working_days, visit_days, notice_post_days, review_days, approve_days, identify_days,
 * step_working_days (each '' when no row), then the holidays and the adjusted working days as
 * comma-separated YYYY-MM-DD. */
#define SCREEN_PARAM_SQL_(N, V, D) "coalesce(fp_param('" N "', " V ", " D ")::int::text, '')"
/* One parameter pair per line, as the columns are read: */
/* clang-format off */
#define SCREEN_PARAMS_SQL(V, D, LO, HI)                                                                     \
    SCREEN_PARAM_SQL_("notice_days", V, D) ", " SCREEN_PARAM_SQL_("notice_working_days", V, D) ", "          \
    SCREEN_PARAM_SQL_("decision_days", V, D) ", " SCREEN_PARAM_SQL_("decision_working_days", V, D) ", "      \
    SCREEN_PARAM_SQL_("visit_days", V, D) ", " SCREEN_PARAM_SQL_("notice_post_days", V, D) ", "              \
    SCREEN_PARAM_SQL_("review_days", V, D) ", " SCREEN_PARAM_SQL_("approve_days", V, D) ", "                 \
    SCREEN_PARAM_SQL_("identify_days", V, D) ", " SCREEN_PARAM_SQL_("step_working_days", V, D) ", "          \
    "coalesce((SELECT string_agg(to_char(hd.day, 'YYYY-MM-DD'), ',') FROM holidays hd WHERE hd.kind = 'holiday'" \
    " AND hd.day BETWEEN " LO " AND " HI "), ''),"                                                            \
    " coalesce((SELECT string_agg(to_char(hd.day, 'YYYY-MM-DD'), ',') FROM holidays hd WHERE hd.kind = 'workday'" \
    " AND hd.day BETWEEN " LO " AND " HI "), '')"
/* clang-format on */
#define SCREEN_PARAMS_COLS 12
#define SCREEN_CAL_MAX 512

/* The parameters of one case: p.cal points into this struct (do not copy it). */
typedef struct {
    screen_case_params_t p;
    screen_calendar_t cal;
    int32_t holidays[SCREEN_CAL_MAX];
    int32_t workdays[SCREEN_CAL_MAX];
} screen_params_buf_t;

/* Fills b from the SCREEN_PARAMS_SQL columns c0.. of row r: the compiled defaults
 * (screen_case_params_default) where a parameter has no row. */
void screen_params_fill(PGresult *res, int r, int c0, screen_params_buf_t *b);

/* A column's text as a number (0 when empty), as a day (dflt when empty or not a date), as a
 * case state (by its code). */
int64_t screen_col_i64(const char *s);
int32_t screen_col_date(const char *s, int32_t dflt);
screen_case_state_t screen_state_of(const char *code);

/* --- the case summary (queries.c and transitions.c) ------------------------------------------ */

#define SCREEN_SUMMARY_SQL                                                                                        \
    "c.id::text, c.county_code::text, c.village_code::text, c.household_no::text, c.state, coalesce(c.kind, '')," \
    " array_to_string(c.risk_types, ','), to_char(c.opened_on, 'YYYY-MM-DD'), to_char(c.due_on, 'YYYY-MM-DD'),"   \
    " coalesce(c.line_fen, 0)::text, coalesce(c.per_capita_net_fen, 0)::text, coalesce(c.decision->>'kind', '')," \
    " (SELECT count(*) FROM case_leads cl WHERE cl.county_code = c.county_code AND cl.case_id = c.id)::text,"     \
    " coalesce(c.overdue_step = c.state, false)::text,"                                                           \
    " ((extract(epoch FROM c.updated_at) * 1000)::bigint)::text,"                                                 \
    " to_char(coalesce(c.step_since, c.opened_on), 'YYYY-MM-DD'), coalesce(to_char(c.notice_posted_on,"           \
    " 'YYYY-MM-DD'), ''), c.objections::text, c.notice_text, " SCREEN_PARAMS_SQL(                                 \
        "c.village_code", "c.opened_on", "c.opened_on",                                                           \
        "greatest(c.opened_on, c.step_since, c.notice_posted_on) + 400")
/* 19 columns of the case, then its parameters (SCREEN_PARAMS_COLS) for the step due date */
#define SCREEN_SUMMARY_COLS (19 + SCREEN_PARAMS_COLS)

typedef struct {
    char risks[11 * 24];
    char *ptrs[11];
    char step_due[11];
} screen_summary_buf_t;

/* Fills s from the row's columns c0..c0+SCREEN_SUMMARY_COLS-1 (strings point into res and b); the
 * step due date with the parameters in force for the case, as the overdue scan computes it. */
void screen_summary_fill(PGresult *res, int r, int c0, Fangpin__V1__CaseSummary *s, screen_summary_buf_t *b);

#endif
