/* reports.h: the report engine of the reporting service. GetReport and ReopenReport on the
 * ROUTER, and GET /reports/<report>?region=&period=&format=csv|xlsx on the HTTP port. Reports
 * of closed periods are frozen in report_snapshots (deploy/db/migrations/006_reports.sql). */
#ifndef REPORT_REPORTS_H
#define REPORT_REPORTS_H
#include <stdbool.h>
#include <stdint.h>

#include "fangpin/v1/reporting.pb-c.h"
#include "service.h"

/* Reads FANGPIN_TODAY, FANGPIN_REPORTING_HTTP_REPORTS and FANGPIN_REPORTING_DEADLINE_SCAN_MS;
 * non-zero on a bad value. */
int report_reports_start(fp_service_t *svc);
/* Answers in->get_report / in->reopen_report (takes in and frees it when it has answered). */
void report_get_report(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void report_reopen_report(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
/* GET /reports/...: true when answered (now or later); false for other paths, or when report
 * downloads are off (the skeleton then answers 404). */
bool report_reports_http(fp_service_t *svc, fp_http_req_t *req);

/* From the service's tick: every FANGPIN_REPORTING_DEADLINE_SCAN_MS (and at once when the
 * database is first ready) runs report_deadline_scan(today), which records missed deadlines and
 * writes one deadline.missed event per unit, deadline and period (011_quarter_reports.sql). */
void report_deadline_tick(fp_service_t *svc);

/* report_deadlines.c: reads FANGPIN_REPORTING_DEADLINE_SCAN_MS and FANGPIN_REPORTING_DEADLINES_FROM
 * (from report_reports_start); 1 when one is wrong (logged). */
int report_deadlines_start(fp_service_t *svc);
/* A report's region prefix is a whole region code: 2, 4, 6, 9 or 12 digits. */
bool report_region_code_ok(const char *p);
/* The service's today: FANGPIN_TODAY, else the date in China (UTC+8). */
int32_t report_today(void);

#endif
