/* access.h: who may read what from the reporting service, in one pure function that every entry
 * point asks: the event PUB's subscriptions (report_pub_grant), Replay, GetReport, the HTTP report
 * downloads and the /events stream. docs/protocol.md, "Who may read what", is this table:
 *
 *   principal                    events (PUB, Replay, /events)   reports (GetReport, /reports/...)
 *   admin                        its region                      all five, its region
 *   actor: county and above      its region                      all five, its region
 *   actor: township              its region                      all five, its region
 *   actor: village               its region                      all but deadlines, its region
 *   department: civil affairs    none                            lowincome_quarterly, its county
 *   other departments            none                            none
 *   gateway                      none                            none
 *   any other kind               none                            none
 *
 * "Its region": a prefix inside the principal's region (report_scope_allows; a principal with no
 * region, a province's, reads all). A department's view of what became of its leads is intake's
 * ListOutcomes and SubmissionStatus; the county's event stream and its reports are the monitoring
 * of every household, which is the cadres' to read, not a line department's or the self-report
 * gateway's; civil affairs (民政), a partner in the unified mechanism for the rural low-income
 * population, reads that population's statistics of its own county (docs/lowincome.md). The deadlines report judges departments, townships and counties: a village is none
 * of them. */
#ifndef REPORT_ACCESS_H
#define REPORT_ACCESS_H
#include <stdbool.h>
#include <stddef.h>

#include "auth.h"

typedef enum {
    REPORT_READ_EVENTS, /* the event PUB, Replay, GET /events */
    REPORT_READ_REPORT, /* GetReport, GET /reports/<report> */
} report_read_what_t;

typedef enum {
    REPORT_READ_OK = 0,
    REPORT_READ_NO_KIND,   /* "read.kind": this kind of principal reads none of it (departments, the gateway) */
    REPORT_READ_NO_REPORT, /* "read.report": not this report at this principal's level */
    REPORT_READ_NO_REGION, /* "read.region": a prefix outside the principal's region */
} report_read_t;

/* Whether principal p may read `what` (for a report, the report's code) of regions starting with
 * prefix (digits; "" = all). p NULL: the HTTP port in FANGPIN_REPORTING_HTTP_AUTH=proxy mode,
 * where the county's reverse proxy decided: every read. Pure; unit-tested. */
report_read_t report_read_policy(const fp_principal_t *p, report_read_what_t what, const char *report,
                                 const char *prefix);
/* Whether principal p's region is a prefix of prefix (a digit string): a principal with no region
 * (a province's) reads all. The region half of report_read_policy. Pure; unit-tested. */
bool report_scope_allows(const fp_principal_t *p, const char *prefix);
/* The machine-readable reason of a refusal ("read.kind", ...), "" for REPORT_READ_OK. */
const char *report_read_reason(report_read_t d);
/* An English and a Chinese sentence for a refusal of `what` to p. */
void report_read_message(report_read_t d, const fp_principal_t *p, report_read_what_t what, char *en, size_t enlen,
                         char *zh, size_t zhlen);

#endif
