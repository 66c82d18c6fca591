/* dash.h: the dashboard (大屏) of the reporting service (docs/dashboard.md), on its HTTP port when
 * FANGPIN_REPORTING_DASH is true: the page's files under /dash/ (web/dash, web/common and the
 * vendored ECharts, built into the binary) and its JSON under /dash/api/:
 *   GET /dash/api/summary?region=&month=&quarter=   the region's numbers (dash_summary(), deploy/db/functions/dash.sql)
 *   GET /dash/api/children?region=&month=&quarter=  the units one level down, for the drill-down (dash_children())
 *   GET /dash/api/report?report=&region=&period=    a report as served (report_get()), rows and columns, for the charts
 * region: a whole region code (2, 4, 6, 9 or 12 digits), by default the token's principal's; month
 * YYYY-MM (default: the month before today, whose leads are pushed and verified this month);
 * quarter YYYYQn (default: today's); report_default_periods (report_defs.h). Who may read what is
 * the reports' policy (access.h): the token's region, the report at the principal's level;
 * refusals carry the reason in X-Fangpin-Reason and in the JSON body. GET /dash/api/reports lists
 * the reports (code, Chinese name, period form) from report_defs[], with no token: it holds no data. */
#ifndef REPORT_DASH_H
#define REPORT_DASH_H
#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "service.h"

/* Reads FANGPIN_REPORTING_DASH. */
int report_dash_start(fp_service_t *svc);
/* /dash, /dash/... and /dash/api/...: true when answered (now or later); false for other paths
 * or when the dashboard is off. */
bool report_dash_http(fp_service_t *svc, fp_http_req_t *req);

/* The JSON API under /dash/api/ (dash_api.c): true when answered (now or later). */
bool report_dash_api(fp_service_t *svc, fp_http_req_t *req, const char *name);

#endif
