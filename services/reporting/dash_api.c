/* dash_api.c: the dashboard's JSON under /dash/api/ (dash.h). Each answer is one statement on a
 * work connection (workdb.c) whose JSON PostgreSQL builds from the reports as served
 * (deploy/db/functions/dash.sql, report_get): no count is made here or in the page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "dash.h"
#include "date.h"
#include "httpaccess.h"
#include "log.h"
#include "mem.h"
#include "report_defs.h"
#include "reports.h"
#include "web.h"
#include "workdb.h"

typedef enum { S_WHOAMI, S_SUMMARY, S_CHILDREN, S_REPORT } s_what_t;

/* One API request in flight, from its arguments to its answer. */
typedef struct {
    fp_service_t *svc;
    s_what_t what;
    char region[16];
    char month[16];
    char quarter[16];
    char report[48];
    char period[16];
    const report_def_t *def; /* S_REPORT */
} s_job_t;

static void s_refuse(fp_http_req_t *req, int status, const char *reason, const char *en, const char *zh)
{
    fp_buf_t b = {0};
    fp_buf_puts(&b, "{\"reason\":");
    fp_buf_json_str(&b, reason);
    fp_buf_puts(&b, ",\"message\":");
    fp_buf_json_str(&b, en);
    fp_buf_puts(&b, ",\"message_zh\":");
    fp_buf_json_str(&b, zh);
    fp_buf_puts(&b, "}");
    fp_http_req_add_header(req, "X-Fangpin-Reason", reason);
    fp_web_json(req, status, b.data, b.len);
    fp_buf_free(&b);
}

/* The value of name in the query, "" when absent; false when too long or not [0-9A-Za-z_-]. */
static bool s_param(const char *query, const char *name, char *out, size_t outlen)
{
    if (!fp_http_query_param(query, name, out, outlen)) return false;
    return strspn(out, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_") == strlen(out);
}

/* Reads the query into j; NULL when fine, else the English message (and *zh). */
static const char *s_args(s_job_t *j, const char *query, const char **zh)
{
    *zh = "参数格式错误（region、month、quarter、report、period）";
    if (!s_param(query, "region", j->region, sizeof j->region) || !s_param(query, "month", j->month, sizeof j->month) ||
        !s_param(query, "quarter", j->quarter, sizeof j->quarter) ||
        !s_param(query, "report", j->report, sizeof j->report) ||
        !s_param(query, "period", j->period, sizeof j->period))
        return "region, month, quarter, report and period must be plain values";
    char month[8], quarter[8];
    report_default_periods(report_today(), month, quarter);
    if (!*j->month) snprintf(j->month, sizeof j->month, "%s", month);
    if (!*j->quarter) snprintf(j->quarter, sizeof j->quarter, "%s", quarter);
    fp_period_t p;
    int y, q;
    if (fp_period_parse(j->month, &p) != FP_OK || !report_quarter_parse(j->quarter, &y, &q)) {
        *zh = "month 须为 YYYY-MM 格式的月份，quarter 须为 YYYYQn 格式的季度";
        return "month must be a month YYYY-MM and quarter a quarter YYYYQn";
    }
    return NULL;
}

/* The region (the principal's when not given) and, for a report, the report and its period. */
static const char *s_scope(s_job_t *j, const fp_principal_t *who, const char **zh)
{
    if (!*j->region && who) snprintf(j->region, sizeof j->region, "%s", who->region);
    if (!report_region_code_ok(j->region)) {
        *zh = "region 须为区划代码（2、4、6、9 或 12 位数字）";
        return "region must be a region code (2, 4, 6, 9 or 12 digits)";
    }
    if (j->what != S_REPORT) return NULL;
    j->def = report_def_find(j->report);
    int y, q;
    fp_period_t p;
    bool month = j->def && (j->def->per & REPORT_PER_MONTH) && fp_period_parse(j->period, &p) == FP_OK;
    bool quarter = j->def && (j->def->per & REPORT_PER_QUARTER) && report_quarter_parse(j->period, &y, &q);
    if (!month && !quarter) {
        *zh = "report 须为报表代码，period 须为该报表的月份（YYYY-MM）或季度（YYYYQn）";
        return "report must be a report's code and period a month (YYYY-MM) or quarter (YYYYQn) it takes";
    }
    return NULL;
}

/* Whether who may read what the request shows; else answers 403 with the policy's reason. */
static bool s_allowed(fp_http_req_t *req, const s_job_t *j, const fp_principal_t *who)
{
    const char *report = j->what == S_REPORT ? j->report : REPORT_LVM;
    report_read_t d = report_read_policy(who, REPORT_READ_REPORT, report, j->region);
    if (d == REPORT_READ_OK && j->what != S_REPORT)
        d = report_read_policy(who, REPORT_READ_REPORT, "scale_quarterly", j->region);
    if (d == REPORT_READ_OK) return true;
    char en[300], zh[300];
    report_read_message(d, who, REPORT_READ_REPORT, en, sizeof en, zh, sizeof zh);
    s_refuse(req, 403, report_read_reason(d), en, zh);
    return false;
}

static void s_on_rows(fp_db_t *db, PGresult *res, void *arg)
{
    fp_http_req_t *req = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        if (res) fp_log_error("dashboard query failed", "error", fp_db_errmsg(res));
        if (res) s_refuse(req, 500, "db.failed", "computing the dashboard failed", "生成数据失败");
        else s_refuse(req, 503, "db.unavailable", "the database is not reachable: retry", "数据库暂不可用，请重试");
    } else if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
        s_refuse(req, 404, "region.not_found", "no region has this code", "没有这个区划代码");
    } else {
        fp_web_json(req, 200, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
    }
}

/* The report's columns as JSON: [{key, title, numeric}], from report_defs[] (never the caller's text). */
static void s_columns(fp_buf_t *b, const report_def_t *def)
{
    fp_buf_puts(b, "[");
    for (int c = 0; c < def->ncols; c++) {
        fp_buf_puts(b, c ? ",{\"key\":" : "{\"key\":");
        fp_buf_json_str(b, def->cols[c].key);
        fp_buf_puts(b, ",\"title\":");
        fp_buf_json_str(b, def->cols[c].title);
        fp_buf_printf(b, ",\"numeric\":%s}", def->cols[c].numeric ? "true" : "false");
    }
    fp_buf_puts(b, "]");
}

static void s_run_report(s_job_t *j, fp_http_req_t *req, const char *today)
{
    fp_buf_t cols = {0};
    s_columns(&cols, j->def);
    const char *p[7] = {j->report, j->region, j->period, today, cols.data, j->def->name_zh, j->def->first};
    fp_db_query(report_workdb_for_report(j->svc), 0,
                "SELECT jsonb_build_object('report', $1::text, 'name_zh', $6::text, 'first', $7::text,"
                " 'region', dash_region($2::text), 'period', $3::text, 'frozen', g.frozen,"
                " 'generated_at_ms', g.generated_at_ms, 'deadline', g.deadline, 'columns', $5::jsonb,"
                " 'rows', g.content)::text FROM report_get($1::text, $2::text, $3::text, $4::date) g",
                7, p, s_on_rows, req);
    fp_buf_free(&cols);
}

static void s_run(s_job_t *j, fp_http_req_t *req, const fp_principal_t *who)
{
    char today[11];
    fp_date_format(report_today(), today);
    bool late = report_read_policy(who, REPORT_READ_REPORT, "deadlines", j->region) == REPORT_READ_OK;
    const char *p[5] = {j->region, j->month, j->quarter, today, late ? "true" : "false"};
    /* on a work connection: the reports it reads must not hold up Replay (workdb.c) */
    if (j->what == S_SUMMARY)
        fp_db_query(report_workdb_for_report(j->svc), 0,
                    "SELECT dash_summary($1::text, $2::text, $3::text, $4::date, $5::boolean)::text", 5, p, s_on_rows,
                    req);
    else if (j->what == S_CHILDREN)
        fp_db_query(report_workdb_for_report(j->svc), 0,
                    "SELECT dash_children($1::text, $2::text, $3::text, $4::date)::text", 4, p, s_on_rows, req);
    else s_run_report(j, req, today);
}

/* The principal is known (NULL: proxy mode): whoami, or the region, the policy, then the statement. */
static void s_on_auth(fp_http_req_t *req, const fp_principal_t *who, const fp_http_token_t *tok, bool answered,
                      void *arg)
{
    s_job_t *j = arg;
    static const fp_principal_t nobody = {0}; /* proxy mode: no principal, every region */
    if (!answered && j->what == S_WHOAMI) {
        fp_httpauth_whoami(req, who ? who : &nobody, tok);
        free(j);
        return;
    }
    const char *zh = NULL, *en = answered ? NULL : s_scope(j, who, &zh);
    if (en) s_refuse(req, 400, "request.field", en, zh);
    else if (!answered && s_allowed(req, j, who)) s_run(j, req, who);
    free(j);
}

/* GET /dash/api/reports: the reports the page may show, from report_defs[] (no database). */
static void s_reports(fp_http_req_t *req)
{
    static const char *const per[] = {"", "month", "quarter", "any"};
    fp_buf_t b = {0};
    fp_buf_puts(&b, "[");
    for (int i = 0; i < report_ndefs; i++) {
        fp_buf_puts(&b, i ? ",{\"code\":" : "{\"code\":");
        fp_buf_json_str(&b, report_defs[i].code);
        fp_buf_puts(&b, ",\"name_zh\":");
        fp_buf_json_str(&b, report_defs[i].name_zh);
        fp_buf_printf(&b, ",\"per\":\"%s\"}", per[report_defs[i].per & 3]);
    }
    fp_buf_puts(&b, "]");
    fp_web_json(req, 200, b.data, b.len);
    fp_buf_free(&b);
}

bool report_dash_api(fp_service_t *svc, fp_http_req_t *req, const char *name)
{
    s_what_t what;
    if (!strcmp(name, "reports") && !strcmp(fp_http_req_method(req), "GET")) {
        s_reports(req);
        return true;
    }
    if (!strcmp(name, "whoami")) what = S_WHOAMI;
    else if (!strcmp(name, "summary")) what = S_SUMMARY;
    else if (!strcmp(name, "children")) what = S_CHILDREN;
    else if (!strcmp(name, "report")) what = S_REPORT;
    else {
        s_refuse(req, 404, "request.unknown_operation", "no such dashboard API", "没有这个接口");
        return true;
    }
    if (strcmp(fp_http_req_method(req), "GET") != 0) {
        s_refuse(req, 405, "request.unknown_operation", "only GET", "仅支持 GET");
        return true;
    }
    s_job_t *j = fp_new(s_job_t);
    j->svc = svc;
    j->what = what;
    const char *zh = NULL, *en = s_args(j, fp_http_req_query(req), &zh);
    if (en) {
        s_refuse(req, 400, "request.field", en, zh);
        free(j);
        return true;
    }
    report_httpauth(svc, req, s_on_auth, j);
    return true;
}
