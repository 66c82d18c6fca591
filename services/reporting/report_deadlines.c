/* report_deadlines.c: the periodic deadline scan of the reporting service: every
 * FANGPIN_REPORTING_DEADLINE_SCAN_MS, report_deadline_scan() (on a work connection, workdb.c)
 * announces each deadline missed since the last scan as a deadline.missed event, for the months
 * from FANGPIN_REPORTING_DEADLINES_FROM on. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "log.h"
#include "metrics.h"
#include "reports.h"
#include "workdb.h"

static struct {
    int64_t scan_ms;        /* FANGPIN_REPORTING_DEADLINE_SCAN_MS; 0 = off */
    char scan_from[8];      /* FANGPIN_REPORTING_DEADLINES_FROM: YYYY-MM, "" = no limit */
    uint64_t last_scan;     /* loop time of the last scan started; 0 = none yet */
    bool scanning;          /* a scan is in flight */
    fp_counter_t *c_scans;  /* fangpin_scans_total{scan="deadlines"} */
    fp_counter_t *c_missed; /* fangpin_deadlines_missed_total */
} s_dl;

int report_deadlines_start(fp_service_t *svc)
{
    s_dl.scan_ms = fp_service_int(svc, "FANGPIN_REPORTING_DEADLINE_SCAN_MS");
    const char *from = fp_service_str(svc, "FANGPIN_REPORTING_DEADLINES_FROM");
    fp_period_t fromp;
    if (from && *from && (strlen(from) != 7 || fp_period_parse(from, &fromp) != FP_OK)) {
        fp_log_error("FANGPIN_REPORTING_DEADLINES_FROM is not a month (YYYY-MM)", "value", from);
        return 1;
    }
    snprintf(s_dl.scan_from, sizeof s_dl.scan_from, "%s", from ? from : "");
    s_dl.last_scan = 0;
    s_dl.scanning = false;
    s_dl.c_scans = fp_metrics_scans(fp_service_metrics(svc), "deadlines");
    s_dl.c_missed = fp_metrics_counter(fp_service_metrics(svc), "fangpin_deadlines_missed_total",
                                       "Missed deadlines found (and announced as deadline.missed) by this process's"
                                       " deadline scans.",
                                       "");
    return 0;
}

static void s_on_scan(fp_db_t *db, PGresult *res, void *arg)
{
    s_dl.scanning = false;
    report_workdb_scan_done();
    if (!res) return;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fp_log_warn("deadline scan failed", "error", fp_db_errmsg(res));
        return;
    }
    long missed = PQntuples(res) == 1 ? strtol(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    if (missed > 0) {
        fp_counter_add(s_dl.c_missed, (uint64_t)missed);
        fp_log_info("missed deadlines announced", "events", PQgetvalue(res, 0, 0));
    }
    fp_counter_add(s_dl.c_scans, 1);
}

void report_deadline_tick(fp_service_t *svc)
{
    if (s_dl.scan_ms <= 0 || s_dl.scanning || !fp_service_db_ready(svc)) return;
    uint64_t now = uv_now(fp_service_loop(svc));
    if (s_dl.last_scan && now - s_dl.last_scan < (uint64_t)s_dl.scan_ms) return;
    /* never on the service's connection while work connections exist: it would hold up Replay
     * for seconds (workdb.c); none up yet, as after a reconnect: try again at the next tick */
    fp_db_t *db = report_workdb_for_scan(svc);
    if (!db) return;
    s_dl.last_scan = now ? now : 1;
    s_dl.scanning = true;
    report_workdb_scan_started(db);
    char today[11];
    fp_date_format(report_today(), today);
    const char *p[2] = {today, s_dl.scan_from};
    fp_db_query(db, 0, "SELECT report_deadline_scan($1::date, $2)", 2, p, s_on_scan, NULL);
}
