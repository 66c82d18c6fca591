/* assist.h: the assistance service's shell (STYLE.md 10: pure core in measures.c, plan_check.c,
 * elimination.c and domain/; this is the I/O around it). open.c opens plans for identified
 * cases (HouseholdIdentified PULL + table scan); every change is one transaction of job.c
 * (change.h), the operations in changes.c and elim_step.c; queries.c the reads; findings.c
 * evaluates the plan checks on the stored data. */
#ifndef ASSIST_ASSIST_H
#define ASSIST_ASSIST_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "fangpin/v1/assistance.pb-c.h"
#include "service.h"
#include "zsock.h"

typedef struct {
    fp_service_t *svc;
    void *pull; /* HouseholdIdentified hints from screening */
    fp_zsock_t *zs;
    uint64_t last_scan;  /* uv_now of the last opening scan */
    bool opening, again; /* an opening transaction is running; go again when it ends */
    uint64_t opened;     /* plans opened by this process */
    fp_counter_t *c_opened;
    fp_counter_t *c_scans; /* fangpin_scans_total{scan="plans"} */
    /* nightly.c: the nightly data-quality runs */
    int nightly_at;            /* minutes after midnight (UTC+8); -1: off */
    fp_db_t *nightly_db;       /* a connection of its own */
    bool nightly_up, nightly_running, nightly_tried;
    int32_t nightly_day, nightly_done_day; /* the day asked for; the last day done */
    uint64_t nightly_last_try;             /* uv_now */
    char (*nightly_counties)[7];           /* the counties due on nightly_day, each run in turn */
    size_t nightly_n, nightly_next, nightly_ran;
    bool nightly_failed;                   /* a county's run failed in this attempt */
    /* compare_rules.c: the rules an import made due, run on the nightly connection */
    bool cmp_running, cmp_wanted; /* a look is running; one is wanted (announced, connected) */
    uint64_t cmp_retry_at;        /* uv_now of the next look after a failed one (0: none) */
} assist_t;

int32_t assist_today(const assist_t *a); /* fp_today(): FANGPIN_TODAY or the real date (domain/today.h) */

/* open.c: binds nothing, connects the PULL to FANGPIN_ASSISTANCE_IDENTIFIED_PULL; 1 if bad. */
int assist_open_start(assist_t *a, fp_service_t *svc);
void assist_open_ready(assist_t *a); /* opens plans now */
void assist_open_tick(assist_t *a);  /* ... every FANGPIN_ASSISTANCE_SCAN_S */
void assist_open_stop(assist_t *a);

/* nightly.c: FANGPIN_QUALITY_NIGHTLY_AT ("HH:MM" as minutes, "off" -1, else -2); start (1 if the
 * setting is bad), the tick that runs each due county's nightly run once a day, stop. */
int assist_nightly_parse(const char *s);
int assist_nightly_start(assist_t *a, fp_service_t *svc);
void assist_nightly_tick(assist_t *a);
void assist_nightly_stop(assist_t *a);
bool assist_nightly_db(assist_t *a);

/* compare_rules.c: runs the rules a comparison import made due (compare_rules_due): wanted when
 * an import announces them (NOTIFY fangpin_compare_rules) and when the runs' connection comes up;
 * the tick makes that connection and looks again a second after a failed look. */
void assist_compare_rules_wanted(assist_t *a);
void assist_compare_rules_tick(assist_t *a);

/* The operations (common/ops.h; arg: the assist_t): each answers req exactly once and takes the
 * message. changes.c: one change each, one transaction of job.c. */
void assist_open_consolidation_plan(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void assist_add_measure(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void assist_set_measure_status(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void assist_check_measure(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void assist_submit_quarter_summary(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void assist_record_income(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void assist_elimination_step(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
/* queries.c: ListPlans, ShowPlan, ListUnchecked. */
void assist_list_plans(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void assist_show_plan(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void assist_list_unchecked(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
/* quality.c: the data-quality findings: ListFindings, MarkFindingFixed, ExplainFinding,
 * ReviewExplanation. */
void assist_list_findings(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void assist_mark_finding_fixed(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void assist_explain_finding(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void assist_review_explanation(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);

/* findings.c: evaluates the plan checks (assist_plan_check) for the plans under region prefix
 * (plan_id 0 = all of them, else only that one) on today's data and stores them on the plans
 * (plans.findings) in one statement; then calls done(ok). flags: FP_DB_FRONT inside a query
 * chain, 0 otherwise (never inside someone else's transaction). */
typedef void (*assist_findings_done_fn)(bool ok, void *arg);
void assist_findings_refresh(fp_db_t *db, int flags, const char *prefix, int64_t plan_id, int32_t today,
                             assist_findings_done_fn done, void *arg);

/* --- the plan summary (queries.c and job.c) ----------------------------------------------- */

/* Columns of plan p's summary (alias p), text each; ASSIST_SUMMARY_COLS of them. Findings are
 * "id\x1fzh\x1fseen\x1fwhy" joined by \x1e. */
#define ASSIST_SUMMARY_SQL                                                                               \
    "p.id::text, p.county_code::text, p.village_code::text, p.household_no::text, p.kind,"               \
    " coalesce(p.case_id::text, '0'), coalesce(p.year::text, '0'), coalesce(p.monitored_kind, ''),"      \
    " array_to_string(p.risk_types, ','), coalesce(to_char(p.identified_on, 'YYYY-MM-DD'), ''),"         \
    " to_char(p.opened_on, 'YYYY-MM-DD'), p.elim_state, coalesce(p.elim_way, ''),"                       \
    " coalesce(to_char(p.eliminated_on, 'YYYY-MM-DD'), ''), p.backstop::text,"                           \
    " (SELECT count(*) FROM measures m WHERE m.county_code = p.county_code AND m.plan_id = p.id)::text," \
    " (SELECT count(*) FROM measures m WHERE m.county_code = p.county_code AND m.plan_id = p.id"         \
    "   AND m.status = 'delivered')::text,"                                                              \
    " coalesce((SELECT string_agg(concat_ws(chr(31), f->>'id', f->>'zh', f->>'seen', f->>'why_zh'),"     \
    "   chr(30) ORDER BY n) FROM jsonb_array_elements(p.findings) WITH ORDINALITY AS x(f, n)), ''),"     \
    " coalesce(to_char(p.elim_notice_posted_on, 'YYYY-MM-DD'), ''), p.elim_objections::text,"            \
    " ((extract(epoch FROM p.updated_at) * 1000)::bigint)::text, p.elim_notice_text"
#define ASSIST_SUMMARY_COLS 22

typedef struct {
    char *risks; /* owned copy, split in place */
    char *rptrs[16];
    char *fcopy; /* owned copy of the findings column */
    Fangpin__V1__PlanFinding f[16];
    Fangpin__V1__PlanFinding *fptrs[16];
} assist_summary_buf_t;

/* Fills s from columns c0.. of row r (strings point into res and b); free b with
 * assist_summary_buf_free after packing. */
void assist_summary_fill(PGresult *res, int r, int c0, Fangpin__V1__PlanSummary *s, assist_summary_buf_t *b);
void assist_summary_buf_free(assist_summary_buf_t *b);

/* Columns of measure m (alias m): ASSIST_MEASURE_COLS. */
#define ASSIST_MEASURE_SQL                                                                                   \
    "m.id::text, m.plan_id::text, m.category, m.title, m.responsible_unit,"                                  \
    " to_char(m.start_on, 'YYYY-MM-DD'), coalesce(to_char(m.end_on, 'YYYY-MM-DD'), ''), m.amount_fen::text," \
    " m.status, m.stop_reason, coalesce(to_char(m.status_on, 'YYYY-MM-DD'), ''),"                            \
    " coalesce((SELECT max(k.quarter)::text FROM measure_checks k"                                           \
    "   WHERE k.county_code = m.county_code AND k.measure_id = m.id), '')"
#define ASSIST_MEASURE_COLS 12
void assist_measure_fill(PGresult *res, int r, int c0, Fangpin__V1__Measure *m);

/* Columns of check k (alias k): ASSIST_CHECK_COLS. */
#define ASSIST_CHECK_SQL                                                                             \
    "k.id::text, k.measure_id::text, k.quarter::text, to_char(k.checked_on, 'YYYY-MM-DD'), k.actor," \
    " k.level, k.result, k.finding"
#define ASSIST_CHECK_COLS 8
void assist_check_fill(PGresult *res, int r, int c0, Fangpin__V1__MeasureCheck *k);

/* "YYYYQn" of a day. */
void assist_quarter_of(int32_t day, char out[7]);
/* Parses "YYYYQn": first and last day; false if malformed. */
bool assist_quarter_parse(const char *s, int32_t *first, int32_t *last);

#endif
