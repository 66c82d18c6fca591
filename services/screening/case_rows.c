/* case_rows.c: a case as its SQL row gives it: the parameters in force (SCREEN_PARAMS_SQL) and
 * the summary (SCREEN_SUMMARY_SQL) that both the transitions and the reads (queries.c) reply with. */
#include "transitions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "date.h"
#include "log.h"
#include "mask.h"
#include "mem.h"
#include "notice.h"
#include "scope.h"
#include "today.h"

int64_t screen_col_i64(const char *s) { return s && *s ? strtoll(s, NULL, 10) : 0; }

int32_t screen_col_date(const char *s, int32_t dflt)
{
    int32_t d;
    return s && *s && fp_date_parse(s, &d) == FP_OK ? d : dflt;
}

screen_case_state_t screen_state_of(const char *code)
{
    return (screen_case_state_t)fp_sm_state_of(&screen_case_machine, code);
}

/* --- parameters ------------------------------------------------------------------------------- */

static void s_int_param(const char *v, int32_t *out)
{
    if (v && *v) *out = (int32_t)strtol(v, NULL, 10);
}

static void s_bool_param(const char *v, bool *out)
{
    if (v && *v) *out = strtol(v, NULL, 10) != 0;
}

void screen_params_fill(PGresult *res, int r, int c0, screen_params_buf_t *b)
{
    screen_case_params_t *p = &b->p;
    screen_case_params_default(p);
    s_int_param(PQgetvalue(res, r, c0 + 0), &p->notice_days);
    s_bool_param(PQgetvalue(res, r, c0 + 1), &p->notice_working_days);
    s_int_param(PQgetvalue(res, r, c0 + 2), &p->decision_days);
    s_bool_param(PQgetvalue(res, r, c0 + 3), &p->decision_working_days);
    s_int_param(PQgetvalue(res, r, c0 + 4), &p->step_days[SCREEN_CS_OPENED]);
    s_int_param(PQgetvalue(res, r, c0 + 5), &p->step_days[SCREEN_CS_VISITED]);
    s_int_param(PQgetvalue(res, r, c0 + 6), &p->step_days[SCREEN_CS_NOTICE_POSTED]);
    s_int_param(PQgetvalue(res, r, c0 + 7), &p->step_days[SCREEN_CS_TOWNSHIP_REVIEWED]);
    s_int_param(PQgetvalue(res, r, c0 + 8), &p->step_days[SCREEN_CS_COUNTY_APPROVED]);
    s_bool_param(PQgetvalue(res, r, c0 + 9), &p->step_working_days);
    b->cal.holidays = b->holidays;
    b->cal.n_holidays = fp_calendar_days_parse(PQgetvalue(res, r, c0 + 10), b->holidays, SCREEN_CAL_MAX);
    b->cal.workdays = b->workdays;
    b->cal.n_workdays = fp_calendar_days_parse(PQgetvalue(res, r, c0 + 11), b->workdays, SCREEN_CAL_MAX);
    p->cal = &b->cal;
}

/* --- summary (shared with queries.c) ----------------------------------------------------------- */

void screen_summary_fill(PGresult *res, int r, int c0, Fangpin__V1__CaseSummary *s, screen_summary_buf_t *b)
{
    fangpin__v1__case_summary__init(s);
    s->case_id = screen_col_i64(PQgetvalue(res, r, c0));
    s->county_code = PQgetvalue(res, r, c0 + 1);
    s->village_code = PQgetvalue(res, r, c0 + 2);
    s->household_no = PQgetvalue(res, r, c0 + 3);
    s->state = PQgetvalue(res, r, c0 + 4);
    s->kind = PQgetvalue(res, r, c0 + 5);
    snprintf(b->risks, sizeof b->risks, "%s", PQgetvalue(res, r, c0 + 6));
    s->risk_types = b->ptrs;
    for (char *save = NULL, *t = strtok_r(b->risks, ",", &save); t && s->n_risk_types < 11;
         t = strtok_r(NULL, ",", &save))
        b->ptrs[s->n_risk_types++] = t;
    s->opened_on = PQgetvalue(res, r, c0 + 7);
    s->due_on = PQgetvalue(res, r, c0 + 8);
    s->line_fen = screen_col_i64(PQgetvalue(res, r, c0 + 9));
    s->per_capita_net_fen = screen_col_i64(PQgetvalue(res, r, c0 + 10));
    s->suggested_kind = PQgetvalue(res, r, c0 + 11);
    s->leads = (uint32_t)screen_col_i64(PQgetvalue(res, r, c0 + 12));
    s->overdue = !strcmp(PQgetvalue(res, r, c0 + 13), "true");
    s->updated_at_ms = screen_col_i64(PQgetvalue(res, r, c0 + 14));
    s->notice_posted_on = PQgetvalue(res, r, c0 + 16);
    s->objections = (uint32_t)screen_col_i64(PQgetvalue(res, r, c0 + 17));
    screen_case_t c;
    screen_case_open(&c, screen_col_date(s->opened_on, 0));
    c.state = screen_state_of(s->state);
    c.step_since = screen_col_date(PQgetvalue(res, r, c0 + 15), c.lead_date);
    c.notice_posted_on = screen_col_date(s->notice_posted_on, SCREEN_NO_DATE);
    b->step_due[0] = '\0';
    if (c.state < SCREEN_CS_COUNT_) {
        screen_params_buf_t *params = fp_new(screen_params_buf_t);
        screen_params_fill(res, r, c0 + 19, params);
        screen_case_due_t due = screen_case_due(&c, &params->p);
        if (due.step_due != SCREEN_NO_DATE) fp_date_format(due.step_due, b->step_due);
        free(params);
    }
    s->step_due_on = b->step_due;
}
