/* transitions.h: the verification case's transitions through the protocol (RecordVisit ..
 * CloseCase, transitions.c): one transaction each around screen_case_apply(), idempotent by
 * request id; the periodic overdue scan; and the case summary shared with queries.c. */
#ifndef SCREEN_TRANSITIONS_H
#define SCREEN_TRANSITIONS_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "case_machine.h"
#include "fangpin/v1/screening.pb-c.h"
#include "service.h"

typedef struct {
    fp_service_t *svc;
    int32_t today_override;  /* FANGPIN_TODAY, 0 = the real date */
    uint64_t last_scan;      /* uv_now of the last overdue scan */
    bool scanning;
    uint64_t applied;
} screen_trans_t;

int screen_trans_start(screen_trans_t *t, fp_service_t *svc); /* reads FANGPIN_TODAY; 1 if bad */
void screen_trans_ready(screen_trans_t *t);                   /* runs the overdue scan */
void screen_trans_tick(screen_trans_t *t);                    /* ... every 60 s */
int32_t screen_today(const screen_trans_t *t);

/* One transition request (op record_visit .. close_case): answers req exactly once, takes msg. */
void screen_transition(screen_trans_t *t, fp_request_t *req, Fangpin__V1__ScreeningRequest *msg);

/* The masked public notice (公示) of a case: household head's name with its middle characters
 * masked (张三 -> 张*, 欧阳娜娜 -> 欧**娜), village, kind suggested, risk types, posting date and
 * notice days. Never an ID number, phone, bank account or health condition. Returns malloc'd. */
char *screen_notice_text(const char *head_name, const char *village_name, const char *kind_code,
                         const char *risk_codes_csv, int32_t posted_on, int notice_days);
/* The name with the middle characters (UTF-8 aware) masked, into out. */
void screen_mask_name(const char *name, char *out, size_t outsz);

/* --- the case summary (queries.c and transitions.c) ------------------------------------------ */

#define SCREEN_SUMMARY_SQL                                                                                      \
    "c.id::text, c.county_code::text, c.village_code::text, c.household_no::text, c.state, coalesce(c.kind, ''),"  \
    " array_to_string(c.risk_types, ','), to_char(c.opened_on, 'YYYY-MM-DD'), to_char(c.due_on, 'YYYY-MM-DD'),"   \
    " coalesce(c.line_fen, 0)::text, coalesce(c.per_capita_net_fen, 0)::text, coalesce(c.decision->>'kind', ''),"  \
    " (SELECT count(*) FROM case_leads cl WHERE cl.case_id = c.id)::text,"                                        \
    " coalesce(c.overdue_step = c.state, false)::text,"                                                           \
    " ((extract(epoch FROM c.updated_at) * 1000)::bigint)::text,"                                                 \
    " to_char(coalesce(c.step_since, c.opened_on), 'YYYY-MM-DD'), coalesce(to_char(c.notice_posted_on,"           \
    " 'YYYY-MM-DD'), ''), c.objections::text, c.notice_text"
#define SCREEN_SUMMARY_COLS 19

typedef struct {
    char risks[11 * 24];
    char *ptrs[11];
    char step_due[11];
} screen_summary_buf_t;

/* Fills s from the row's columns c0..c0+18 (strings point into res and b). */
void screen_summary_fill(PGresult *res, int r, int c0, Fangpin__V1__CaseSummary *s, screen_summary_buf_t *b);

#endif
