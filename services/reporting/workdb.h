/* workdb.h: the reporting service's connections for slow work. Report computations (0.4-1.2 s
 * each at prefecture scale) and the periodic deadline scan (up to several seconds) run on
 * FANGPIN_REPORTING_WORK_DB_CONNECTIONS connections of their own, so that Replay, SSE catch-up,
 * ReopenReport and /readyz on the service's connection, and the relay on its own, never queue
 * behind them. See workdb.c for how a connection is chosen. */
#ifndef REPORT_WORKDB_H
#define REPORT_WORKDB_H
#include <stdbool.h>

#include "service.h"

/* Opens the connections (each reconnects with backoff by itself); non-zero on a bad conninfo. */
int report_workdb_start(fp_service_t *svc);
/* Closes them: work queued on them is answered as if the database were down. */
void report_workdb_stop(void);

/* The connection for one report: the least busy work connection that is up, avoiding the one
 * running the deadline scan while another is up; the service's connection when none is up (or
 * there are none), so a request the service accepts as ready is never failed for it. */
fp_db_t *report_workdb_for_report(fp_service_t *svc);
/* The connection for the deadline scan: the least busy work connection that is up; NULL when
 * there are work connections but none is up (try again later). The service's connection when
 * FANGPIN_REPORTING_WORK_DB_CONNECTIONS is 0. */
fp_db_t *report_workdb_for_scan(fp_service_t *svc);
/* The scan runs on db until report_workdb_scan_done(). */
void report_workdb_scan_started(fp_db_t *db);
void report_workdb_scan_done(void);

#endif
