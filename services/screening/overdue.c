/* overdue.c: the overdue scan of screening, on database-ready and every 60 s: each open case whose
 * step is past its due date (the domain's screen_is_overdue with the case's parameters) is marked
 * once per state and a case.overdue event goes to the level above the one that must act;
 * fangpin_cases_overdue counts them. The open cases are read and marked a page at a time, in id
 * order after a cursor (FANGPIN_SCREENING_OVERDUE_PAGE cases a page): each statement is bounded
 * whatever the number of open cases. In one statement, a prefecture's 200,000 open cases (each
 * with its twelve parameters looked up) ran past FANGPIN_DB_STATEMENT_TIMEOUT_MS on a loaded
 * machine and the scan never completed (bench/screening, 2026-12-04). */
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

#define SCREEN_OVERDUE_SCAN_MS 60000 /* the overdue scan's period; also on database-ready */

#define S_FINAL_SQL "('identified', 'closed_not_included')"

/* The scan's last step: open cases whose step is overdue now (marked by this scan or an earlier
 * one for the state they are still in), for fangpin_cases_overdue; then the scan counts. */
static void s_on_counted(fp_db_t *db, PGresult *res, void *arg)
{
    screen_trans_t *t = arg;
    t->scanning = false;
    if (!res) return;
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        fp_log_error("counting overdue cases failed", "error", fp_db_errmsg(res));
        return;
    }
    fp_gauge_set(t->g_overdue, strtod(PQgetvalue(res, 0, 0), NULL));
    fp_counter_add(t->c_scans, 1);
}

static void s_count_overdue(screen_trans_t *t, fp_db_t *db)
{
    fp_db_query(db, 0, "SELECT count(*) FROM cases WHERE state NOT IN " S_FINAL_SQL " AND overdue_step = state", 0,
                NULL, s_on_counted, t);
}

static void s_scan_page(screen_trans_t *t, fp_db_t *db);

/* After a page: the next one, or the count when that page was the last. */
static void s_next_page(screen_trans_t *t, fp_db_t *db)
{
    if (t->page_full) s_scan_page(t, db);
    else s_count_overdue(t, db);
}

static void s_on_marked(fp_db_t *db, PGresult *res, void *arg)
{
    screen_trans_t *t = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        if (res) fp_log_error("marking overdue cases failed", "error", fp_db_errmsg(res));
        t->scanning = false;
        return;
    }
    if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "0") != 0)
        fp_log_info("overdue cases reported", "count", PQgetvalue(res, 0, 0));
    s_next_page(t, db);
}

/* Rows: id, state, opened_on, step_since, notice_posted_on, village_code, then the case's
 * parameters (SCREEN_PARAMS_SQL). */
static void s_on_open_cases(fp_db_t *db, PGresult *res, void *arg)
{
    screen_trans_t *t = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        if (res) fp_log_error("overdue scan failed", "error", fp_db_errmsg(res));
        t->scanning = false;
        return;
    }
    int rows = PQntuples(res);
    t->page_full = rows > 0 && rows >= fp_service_int(t->svc, "FANGPIN_SCREENING_OVERDUE_PAGE");
    if (rows > 0) snprintf(t->scan_after, sizeof t->scan_after, "%s", PQgetvalue(res, rows - 1, 0));
    screen_params_buf_t *params = fp_new(screen_params_buf_t);
    int32_t today = fp_today();
    fp_buf_t json = {0};
    fp_buf_puts(&json, "[");
    int n = 0;
    for (int r = 0; r < PQntuples(res); r++) {
        screen_case_t c;
        screen_case_open(&c, screen_col_date(PQgetvalue(res, r, 2), 0));
        c.state = screen_state_of(PQgetvalue(res, r, 1));
        if (c.state >= SCREEN_CS_COUNT_) continue;
        c.step_since = screen_col_date(PQgetvalue(res, r, 3), c.lead_date);
        c.notice_posted_on = screen_col_date(PQgetvalue(res, r, 4), SCREEN_NO_DATE);
        screen_params_fill(res, r, 6, params);
        if (!screen_is_overdue(&c, today, &params->p)) continue;
        const char *v = PQgetvalue(res, r, 5);
        /* the level above the one that must act: village steps go to the township, the
         * township's review to the county, the county's own steps stay at the county */
        bool village_step = c.state == SCREEN_CS_OPENED || c.state == SCREEN_CS_VISITED;
        char region[13], due[11];
        snprintf(region, sizeof region, "%.*s%s", village_step ? 9 : 6, v, village_step ? "000" : "000000");
        fp_date_format(screen_case_due(&c, &params->p).step_due, due);
        fp_buf_printf(&json, "%s{\"id\":%s,\"region\":\"%s\",\"to_level\":\"%s\",\"step_due\":\"%s\"}", n++ ? "," : "",
                      PQgetvalue(res, r, 0), region, village_step ? "township" : "county", due);
    }
    fp_buf_puts(&json, "]");
    free(params);
    if (n == 0) {
        fp_buf_free(&json);
        s_next_page(t, db);
        return;
    }
    const char *p[1] = {json.data};
    fp_db_query(db, 0,
                "WITH d AS (SELECT * FROM jsonb_to_recordset($1::jsonb)"
                "   AS d(id bigint, region text, to_level text, step_due text)),"
                " u AS (UPDATE cases c SET overdue_step = c.state FROM d WHERE c.id = d.id"
                "   AND c.overdue_step IS DISTINCT FROM c.state AND c.state NOT IN ('identified', "
                "'closed_not_included')"
                "   RETURNING c.id, c.county_code, c.state),"
                " e AS (SELECT events_write(array_agg(ROW(u.county_code, d.region, 'case.overdue',"
                "   jsonb_build_object('case_id', u.id, 'state', u.state, 'step_due', d.step_due, 'to_level',"
                "   d.to_level))::event_new ORDER BY u.id)) AS n FROM u JOIN d ON d.id = u.id)"
                " SELECT n FROM e",
                1, p, s_on_marked, t);
    fp_buf_free(&json);
}

/* One page of the open cases not yet marked for their state, after the cursor, in id order. */
static void s_scan_page(screen_trans_t *t, fp_db_t *db)
{
    char limit[24];
    snprintf(limit, sizeof limit, "%lld", (long long)fp_service_int(t->svc, "FANGPIN_SCREENING_OVERDUE_PAGE"));
    const char *p[2] = {t->scan_after, limit};
    fp_db_query(db, 0,
                "SELECT c.id::text, c.state, to_char(c.opened_on, 'YYYY-MM-DD'),"
                " coalesce(to_char(c.step_since, 'YYYY-MM-DD'), ''), coalesce(to_char(c.notice_posted_on, "
                "'YYYY-MM-DD'), ''),"
                " c.village_code::text, " SCREEN_PARAMS_SQL("c.village_code", "c.opened_on", "c.opened_on",
                                                            "greatest(c.opened_on, c.step_since, c.notice_posted_on) + "
                                                            "400") " FROM cases c WHERE c.state NOT IN " S_FINAL_SQL
                                                                   " AND c.overdue_step IS DISTINCT FROM c.state"
                                                                   " AND c.id > $1::bigint"
                                                                   " ORDER BY c.id LIMIT $2::int",
                2, p, s_on_open_cases, t);
}

static void s_scan(screen_trans_t *t)
{
    if (t->scanning || !fp_service_db_ready(t->svc)) return;
    t->scanning = true;
    t->last_scan = uv_now(fp_service_loop(t->svc));
    snprintf(t->scan_after, sizeof t->scan_after, "0");
    t->page_full = false;
    s_scan_page(t, fp_service_db(t->svc));
}

void screen_trans_ready(screen_trans_t *t) { s_scan(t); }

void screen_trans_tick(screen_trans_t *t)
{
    uint64_t now = uv_now(fp_service_loop(t->svc));
    if (now - t->last_scan < SCREEN_OVERDUE_SCAN_MS) return;
    s_scan(t);
}
