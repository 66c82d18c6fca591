/* workdb.c: the connections for slow work (report computations, the deadline scan).
 *
 * Why: one fp_db_t runs one statement at a time, so on one shared connection a Replay waited
 * behind a 3 s report_deadline_scan() or a 1 s report. The service's connection (fp_service_db)
 * now answers only quick things: Replay, SSE catch-up, ReopenReport, /readyz and the key cache;
 * the relay has its own (relay.c); reports and the scan go here.
 *
 * Choosing: a report takes the least busy connection that is up (fp_db_queue_len counts queued
 * and running statements), but not the one running the scan while another is up, because the
 * scan is the longest statement there is. With one work connection, reports and the scan share
 * it. When no work connection is up (just after the database came back, the service's own
 * connection may be first), a report runs on the service's connection rather than failing: the
 * skeleton's readiness (fp_service_db_ready, /readyz) stays the one answer to "may I ask?".
 * The scan, which nobody waits for, waits for a work connection instead.
 *
 * Each connection reconnects with backoff on its own (common/db.c); statements queued on one
 * that goes down fail fast, and their callers answer UNAVAILABLE, as on the service's. */
#include "workdb.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "mem.h"

static struct {
    fp_db_t **dbs;
    size_t n;
    fp_db_t *scan_db; /* the connection running the deadline scan, or NULL */
    fp_gauge_t *g_up;
} s_w;

static void s_count_up(void)
{
    size_t up = 0;
    for (size_t i = 0; i < s_w.n; i++) up += s_w.dbs[i] && fp_db_is_up(s_w.dbs[i]);
    fp_gauge_set(s_w.g_up, (double)up);
}

static void s_on_state(fp_db_t *db, bool up, void *arg)
{
    char which[24];
    snprintf(which, sizeof which, "%zu", (size_t)(uintptr_t)arg);
    fp_log_info(up ? "work connection ready" : "work connection lost", "connection", which);
    s_count_up();
}

int report_workdb_start(fp_service_t *svc)
{
    int64_t n = fp_service_int(svc, "FANGPIN_REPORTING_WORK_DB_CONNECTIONS");
    s_w.n = n > 0 ? (size_t)n : 0;
    s_w.dbs = fp_calloc(s_w.n ? s_w.n : 1, sizeof *s_w.dbs);
    s_w.scan_db = NULL;
    s_w.g_up = fp_metrics_gauge(fp_service_metrics(svc), "fangpin_reporting_work_db_up",
                                "Work connections (reports, deadline scan) that are up.", "");
    for (size_t i = 0; i < s_w.n; i++) {
        fp_db_opts_t o = {.backoff_min_ms = 100,
                          .backoff_max_ms = (int)fp_service_int(svc, "FANGPIN_DB_BACKOFF_MAX_MS"),
                          .statement_timeout_ms =
                              (int)fp_service_int(svc, "FANGPIN_REPORTING_WORK_STATEMENT_TIMEOUT_MS"),
                          .on_state = s_on_state,
                          .arg = (void *)(uintptr_t)(i + 1)};
        if (fp_db_new(fp_service_loop(svc), fp_service_str(svc, "FANGPIN_PG"), &o, &s_w.dbs[i]) != FP_OK) return 1;
        fp_service_db_metrics(svc, s_w.dbs[i]);
    }
    return 0;
}

void report_workdb_stop(void)
{
    s_w.scan_db = NULL;
    for (size_t i = 0; i < s_w.n; i++) fp_db_destroy(&s_w.dbs[i]);
    free(s_w.dbs);
    s_w.dbs = NULL;
    s_w.n = 0;
}

/* The least busy connection that is up, skipping avoid; NULL when none. */
static fp_db_t *s_least_busy(const fp_db_t *avoid)
{
    fp_db_t *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < s_w.n; i++) {
        fp_db_t *db = s_w.dbs[i];
        if (!db || db == avoid || !fp_db_is_up(db)) continue;
        size_t len = fp_db_queue_len(db);
        if (!best || len < best_len) {
            best = db;
            best_len = len;
        }
    }
    return best;
}

fp_db_t *report_workdb_for_report(fp_service_t *svc)
{
    fp_db_t *db = s_least_busy(s_w.scan_db);
    if (!db) db = s_least_busy(NULL);
    return db ? db : fp_service_db(svc);
}

fp_db_t *report_workdb_for_scan(fp_service_t *svc)
{
    if (s_w.n == 0) return fp_service_db(svc);
    return s_least_busy(NULL);
}

void report_workdb_scan_started(fp_db_t *db) { s_w.scan_db = db; }
void report_workdb_scan_done(void) { s_w.scan_db = NULL; }
