/* reports.c: the report engine. A report is computed in PostgreSQL by report_get() (live before
 * its deadline, a frozen snapshot after it; deploy/db/migrations/006_reports.sql and
 * 011_quarter_reports.sql) and rendered here as protobuf rows, CSV (UTF-8 with BOM, Chinese
 * headers, CRLF, for Excel) or XLSX (libxlsxwriter), for the ROUTER and for HTTP. Every report is
 * one row of report_defs[] (report_defs.c): its code, name, period form and columns; the SQL gives
 * each row as a JSON object with those keys. Here: the requests (ROUTER and HTTP), the query and
 * the answer; report_render.c writes the files, report_deadlines.c runs the deadline scan. */
#include "reports.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "date.h"
#include "httpaccess.h"
#include "today.h"
#include "log.h"
#include "mem.h"
#include "replay.h"
#include "report_defs.h"
#include "report_render.h"
#include "textenc.h"
#include "workdb.h"

#define S_MAX_REASON 1000
#define S_N(a) ((int)(sizeof(a) / sizeof((a)[0])))

typedef enum { S_FMT_PROTO, S_FMT_CSV, S_FMT_XLSX } s_fmt_t;
static struct {
    bool http; /* FANGPIN_REPORTING_HTTP_REPORTS */
} s_cfg;

/* One report request in flight, from the ROUTER (req, in) or from HTTP (http). */
typedef struct {
    fp_request_t *req;
    Fangpin__V1__ReportingRequest *in;
    fp_http_req_t *http;
    fp_service_t *svc; /* HTTP: the service, for after the token's lookup */
    s_fmt_t fmt;
    const report_def_t *def;
    char report[64];
    char prefix[13];
    char period[8];
} s_job_t;

int report_reports_start(fp_service_t *svc)
{
    if (fp_today_start(svc)) return 1;
    s_cfg.http = fp_config_bool(fp_service_config(svc), "FANGPIN_REPORTING_HTTP_REPORTS");
    if (report_deadlines_start(svc) != 0) return 1;
    for (int i = 0; i < report_ndefs; i++)
        if (report_defs[i].ncols > REPORT_MAX_COLS) {
            fp_log_error("a report has more columns than REPORT_MAX_COLS", "report", report_defs[i].code);
            return 1;
        }
    return 0;
}

int32_t report_today(void) { return fp_today(); }

/* A report's region prefix is a whole region code: 2, 4, 6, 9 or 12 digits. */
static bool s_prefix_ok(const char *p)
{
    size_t n = strlen(p);
    return (n == 2 || n == 4 || n == 6 || n == 9 || n == 12) && report_prefix_valid(p);
}

/* Checks the common arguments and fills the job; NULL when fine, else the English message. */
static const char *s_check(s_job_t *j, const char *report, const char *prefix, const char *period, const char *format,
                           const char **zh)
{
    fp_period_t p;
    int y, q;
    const report_def_t *def = report_def_find(report);
    if (!def) {
        *zh = "未知的报表（可用：lead_verification_monthly、scale_quarterly、measures_quarterly、"
              "elimination_quarterly、deadlines、quality_findings）";
        return "unknown report: the reports are lead_verification_monthly, scale_quarterly, measures_quarterly, "
               "elimination_quarterly, deadlines and quality_findings";
    }
    if (!s_prefix_ok(prefix)) {
        *zh = "region_prefix 须为区划代码（2、4、6、9 或 12 位数字）";
        return "region_prefix must be a region code (2, 4, 6, 9 or 12 digits)";
    }
    bool month = (def->per & REPORT_PER_MONTH) && fp_period_parse(period, &p) == FP_OK;
    bool quarter = (def->per & REPORT_PER_QUARTER) && report_quarter_parse(period, &y, &q);
    if (!month && !quarter) {
        if (def->per == REPORT_PER_MONTH) {
            *zh = "period 须为 YYYY-MM 格式的月份（如 2026-10）";
            return "period must be a month in the form YYYY-MM (like 2026-10)";
        }
        if (def->per == REPORT_PER_QUARTER) {
            *zh = "period 须为 YYYYQn 格式的季度（如 2026Q3）";
            return "period must be a quarter in the form YYYYQn (like 2026Q3)";
        }
        *zh = "period 须为 YYYY-MM 格式的月份（如 2026-10）或 YYYYQn 格式的季度（如 2026Q3）";
        return "period must be a month YYYY-MM (like 2026-10) or a quarter YYYYQn (like 2026Q3)";
    }
    if (!*format || !strcmp(format, "proto")) j->fmt = S_FMT_PROTO;
    else if (!strcmp(format, "csv")) j->fmt = S_FMT_CSV;
    else if (!strcmp(format, "xlsx")) j->fmt = S_FMT_XLSX;
    else {
        *zh = "format 须为 proto、csv 或 xlsx";
        return "format must be proto, csv or xlsx";
    }
    j->def = def;
    snprintf(j->report, sizeof j->report, "%s", report);
    snprintf(j->prefix, sizeof j->prefix, "%s", prefix);
    snprintf(j->period, sizeof j->period, "%s", period);
    return NULL;
}

static void s_job_free(s_job_t *j)
{
    if (j->in) fangpin__v1__reporting_request__free_unpacked(j->in, NULL);
    free(j);
}

/* Answers the job with a refusal (common/refusal.c: ROUTER status, or HTTP status with the reason
 * in X-Fangpin-Reason and the messages as text) and frees it. */
static void s_job_fail(s_job_t *j, const char *reason, int http_status, const char *en, const char *zh)
{
    if (j->req) {
        fp_request_refuse(j->req, j->in->request_id, reason, en, zh);
    } else {
        fp_http_req_add_header(j->http, "X-Fangpin-Reason", reason);
        char body[1024];
        int n = snprintf(body, sizeof body, "%s\n%s\n", en, zh);
        if (n < 0) n = 0;
        if ((size_t)n >= sizeof body) n = (int)sizeof body - 1;
        fp_http_reply(j->http, http_status, "text/plain; charset=utf-8", body, (size_t)n);
    }
    s_job_free(j);
}

/* The file of a CSV or XLSX request, and its name and type; 0, or -1 when XLSX failed. */
static int s_render(const s_job_t *j, const report_view_t *v, fp_buf_t *file, char *filename, size_t fnsize,
                    const char **ctype)
{
    if (j->fmt == S_FMT_CSV) {
        report_render_csv(v, file);
        snprintf(filename, fnsize, "%s-%s-%s.csv", j->report, j->prefix, j->period);
        *ctype = "text/csv; charset=utf-8";
    } else if (j->fmt == S_FMT_XLSX) {
        snprintf(filename, fnsize, "%s-%s-%s.xlsx", j->report, j->prefix, j->period);
        *ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        return report_render_xlsx(v, file);
    }
    return 0;
}

/* Answers a GetReport on the ROUTER with the rows (and the file, if one was asked for); frees j. */
static void s_reply_router(s_job_t *j, PGresult *res, const report_view_t *v, Fangpin__V1__ReportRow **rp,
                           Fangpin__V1__ReportColumn **colp, const fp_buf_t *file, char *filename, const char *ctype)
{
    Fangpin__V1__ReportingReply out = FANGPIN__V1__REPORTING_REPLY__INIT;
    Fangpin__V1__Status st = FANGPIN__V1__STATUS__INIT;
    Fangpin__V1__Report rep = FANGPIN__V1__REPORT__INIT;
    out.request_id = j->in->request_id;
    out.status = &st;
    st.code = FANGPIN__V1__CODE__OK;
    st.message = (char *)"ok";
    rep.report = j->report;
    rep.region_prefix = j->prefix;
    rep.region_name = (char *)v->region_name;
    rep.period = j->period;
    rep.generated_at_ms = v->generated_ms;
    rep.frozen = PQgetvalue(res, 0, 0)[0] == 't';
    rep.deadline = PQgetvalue(res, 0, 3);
    rep.rows = rp;
    rep.n_rows = (size_t)v->nrows;
    rep.file.data = (uint8_t *)file->data;
    rep.file.len = file->len;
    rep.filename = filename;
    rep.content_type = (char *)ctype;
    rep.columns = colp;
    rep.n_columns = (size_t)v->def->ncols;
    rep.title = (char *)v->title;
    out.result_case = FANGPIN__V1__REPORTING_REPLY__RESULT_REPORT;
    out.report = &rep;
    fp_request_reply(j->req, &out.base, st.code);
    s_job_free(j);
}

/* Answers a download with the file; frees j. */
static void s_reply_http(s_job_t *j, PGresult *res, const fp_buf_t *file, const char *filename, const char *ctype)
{
    char disp[160];
    snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", filename);
    fp_http_req_add_header(j->http, "Content-Disposition", disp);
    fp_http_req_add_header(j->http, "X-Fangpin-Frozen", PQgetvalue(res, 0, 0)[0] == 't' ? "true" : "false");
    fp_http_reply(j->http, 200, ctype, file->data, file->len);
    s_job_free(j);
}

static void s_on_report(fp_db_t *db, PGresult *res, void *arg)
{
    s_job_t *j = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        if (res) fp_log_error("report query failed", "error", fp_db_errmsg(res), "report", j->report);
        if (res) s_job_fail(j, "db.failed", 500, "computing the report failed", "生成报表失败");
        else s_job_fail(j, "db.unavailable", 503, "the database is not reachable: retry", "数据库暂不可用，请重试");
        return;
    }
    int rows = PQntuples(res);
    if (rows == 0) {
        s_job_fail(j, "region.not_found", 404, NULL, NULL);
        return;
    }
    const report_def_t *d = j->def;
    report_view_t v = {0};
    v.def = d;
    v.region_name = PQgetvalue(res, 0, 2);
    v.generated_ms = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    fp_period_t per = {0};
    int qy = 0, qn = 0;
    if (fp_period_parse(j->period, &per) == FP_OK)
        snprintf(v.title, sizeof v.title, "%s %d年%d月 %s", v.region_name, per.year, per.month, d->name_zh);
    else if (report_quarter_parse(j->period, &qy, &qn))
        snprintf(v.title, sizeof v.title, "%s %d年第%d季度 %s", v.region_name, qy, qn, d->name_zh);
    v.nrows = rows;
    v.labels = fp_calloc((size_t)rows, sizeof *v.labels);
    v.kinds = fp_calloc((size_t)rows, sizeof *v.kinds);
    v.cells = fp_calloc((size_t)rows, sizeof *v.cells);
    Fangpin__V1__ReportRow *rr = fp_calloc((size_t)rows, sizeof *rr);
    Fangpin__V1__ReportRow **rp = fp_calloc((size_t)rows, sizeof *rp);
    Fangpin__V1__ReportColumn *cols = fp_calloc((size_t)d->ncols, sizeof *cols);
    Fangpin__V1__ReportColumn **colp = fp_calloc((size_t)d->ncols, sizeof *colp);
    for (int c = 0; c < d->ncols; c++) {
        fangpin__v1__report_column__init(&cols[c]);
        colp[c] = &cols[c];
        cols[c].key = (char *)d->cols[c].key;
        cols[c].title = (char *)d->cols[c].title;
        cols[c].numeric = d->cols[c].numeric;
    }
    bool lvm = strcmp(d->code, REPORT_LVM) == 0;
    for (int i = 0; i < rows; i++) {
        fangpin__v1__report_row__init(&rr[i]);
        rp[i] = &rr[i];
        v.labels[i] = rr[i].label = PQgetvalue(res, i, 4);
        v.kinds[i] = rr[i].kind = PQgetvalue(res, i, 5);
        rr[i].code = PQgetvalue(res, i, 6);
        for (int c = 0; c < d->ncols; c++) v.cells[i][c] = PQgetvalue(res, i, 7 + c);
        rr[i].cells = (char **)v.cells[i];
        rr[i].n_cells = (size_t)d->ncols;
        if (lvm) {
            int64_t *f[] = {&rr[i].received, &rr[i].verified,  &rr[i].included, &rr[i].not_included,
                            &rr[i].pending,  &rr[i].unmatched, &rr[i].overdue};
            for (int c = 0; c < d->ncols && c < S_N(f); c++) *f[c] = strtoll(v.cells[i][c], NULL, 10);
        }
    }
    fp_buf_t file = {0};
    char filename[96] = "";
    const char *ctype = "";
    if (s_render(j, &v, &file, filename, sizeof filename, &ctype) != 0)
        s_job_fail(j, "internal.error", 500, "writing the XLSX file failed", "生成 XLSX 文件失败");
    else if (j->req) s_reply_router(j, res, &v, rp, colp, &file, filename, ctype);
    else s_reply_http(j, res, &file, filename, ctype);
    fp_buf_free(&file);
    free(v.labels);
    free(v.kinds);
    free(v.cells);
    free(rr);
    free(rp);
    free(cols);
    free(colp);
}

static void s_run(fp_service_t *svc, s_job_t *j)
{
    char today[11];
    fp_date_format(report_today(), today);
    const char *p[4] = {j->report, j->prefix, j->period, today};
    /* the column keys are the constants of report_defs[], never the caller's text */
    fp_buf_t q = {0};
    fp_buf_puts(&q,
                "SELECT g.frozen, g.generated_at_ms, g.region_name, g.deadline::text,"
                " e.v->>'label', e.v->>'kind', e.v->>'code'");
    for (int c = 0; c < j->def->ncols; c++)
        fp_buf_printf(&q, ", coalesce(e.v->>'%s', '%s')", j->def->cols[c].key, j->def->cols[c].numeric ? "0" : "");
    fp_buf_puts(&q,
                " FROM report_get($1::text, $2::text, $3::text, $4::date) g"
                " CROSS JOIN LATERAL jsonb_array_elements(g.content) WITH ORDINALITY AS e(v, ord)"
                " ORDER BY e.ord");
    /* on a work connection: a report must not hold up Replay on the service's (workdb.c) */
    fp_db_query(report_workdb_for_report(svc), 0, q.data, 4, p, s_on_report, j);
    fp_buf_free(&q);
}

static bool s_forbidden(fp_request_t *req, Fangpin__V1__ReportingRequest *in, const char *report, const char *prefix)
{
    const fp_principal_t *who = fp_request_principal(req);
    report_read_t d = report_read_policy(who, REPORT_READ_REPORT, report, prefix);
    if (d == REPORT_READ_OK) return false;
    char en[300], zh[300];
    report_read_message(d, who, REPORT_READ_REPORT, en, sizeof en, zh, sizeof zh);
    fp_request_refuse(req, in->request_id, report_read_reason(d), en, zh);
    fangpin__v1__reporting_request__free_unpacked(in, NULL);
    return true;
}

void report_get_report(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    Fangpin__V1__ReportingRequest *in = (Fangpin__V1__ReportingRequest *)m;
    const Fangpin__V1__GetReport *g = in->get_report;
    s_job_t *j = fp_new(s_job_t);
    j->req = req;
    j->in = in;
    const char *zh = NULL;
    const char *en = s_check(j, g->report ? g->report : "", g->region_prefix ? g->region_prefix : "",
                             g->period ? g->period : "", g->format ? g->format : "", &zh);
    if (en) {
        s_job_fail(j, "request.field", 400, en, zh);
        return;
    }
    if (s_forbidden(req, in, j->report, j->prefix)) {
        free(j);
        return;
    }
    s_run(svc, j);
}

typedef struct {
    fp_request_t *req;
    Fangpin__V1__ReportingRequest *in;
    char who[128];
} s_reopen_t;

static void s_on_reopen(fp_db_t *db, PGresult *res, void *arg)
{
    s_reopen_t *q = arg;
    Fangpin__V1__ReportingRequest *in = q->in;
    const Fangpin__V1__ReopenReport *r = in->reopen_report;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        if (res) fp_log_error("reopen failed", "error", fp_db_errmsg(res), "request_id", in->request_id);
        fp_request_refuse(q->req, in->request_id, res ? "db.failed" : "db.unavailable",
                          res ? "re-opening the report failed" : "the database is not reachable: retry",
                          res ? "重新开放报表失败" : "数据库暂不可用，请重试");
    } else if (PQntuples(res) == 0) {
        fp_request_refuse(q->req, in->request_id, "report.not_frozen", NULL, NULL);
    } else {
        fp_log_info("report re-opened", "report", r->report, "region", r->region_prefix, "period", r->period, "by",
                    q->who, "reason", r->reason);
        Fangpin__V1__ReportingReply out = FANGPIN__V1__REPORTING_REPLY__INIT;
        Fangpin__V1__Status st = FANGPIN__V1__STATUS__INIT;
        Fangpin__V1__ReportReopened ro = FANGPIN__V1__REPORT_REOPENED__INIT;
        out.request_id = in->request_id;
        out.status = &st;
        st.code = FANGPIN__V1__CODE__OK;
        st.message = (char *)"ok";
        ro.report = r->report;
        ro.region_prefix = r->region_prefix;
        ro.period = r->period;
        ro.reopened_by = q->who;
        ro.reopened_at_ms = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        out.result_case = FANGPIN__V1__REPORTING_REPLY__RESULT_REOPENED;
        out.reopened = &ro;
        fp_request_reply(q->req, &out.base, st.code);
    }
    fangpin__v1__reporting_request__free_unpacked(in, NULL);
    free(q);
}

void report_reopen_report(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    Fangpin__V1__ReportingRequest *in = (Fangpin__V1__ReportingRequest *)m;
    const Fangpin__V1__ReopenReport *r = in->reopen_report;
    s_job_t chk = {0};
    const char *zh = NULL;
    const char *en = s_check(&chk, r->report ? r->report : "", r->region_prefix ? r->region_prefix : "",
                             r->period ? r->period : "", "", &zh);
    const char *reason = r->reason ? r->reason : "";
    if (!en && (!*reason || strlen(reason) > S_MAX_REASON || !fp_utf8_valid(reason, strlen(reason)))) {
        en = "reason is required: say why the report is re-opened (UTF-8 text, at most 1000 bytes)";
        zh = "须填写重新开放的原因（UTF-8 文本，不超过 1000 字节）";
    }
    if (en) {
        fp_request_refuse(req, in->request_id, "request.field", en, zh);
        fangpin__v1__reporting_request__free_unpacked(in, NULL);
        return;
    }
    const fp_principal_t *who = fp_request_principal(req); /* an admin or a county-level (or higher) actor */
    if (s_forbidden(req, in, chk.report, chk.prefix)) return;
    s_reopen_t *q = fp_new(s_reopen_t);
    q->req = req;
    q->in = in;
    snprintf(q->who, sizeof q->who, "%s", who->id);
    const char *p[5] = {chk.report, chk.prefix, chk.period, q->who, reason};
    fp_db_query(fp_service_db(svc), 0, "SELECT snapshot_id, reopened_at_ms FROM report_reopen($1, $2, $3, $4, $5)", 5,
                p, s_on_reopen, q);
}

/* The value of name in the query (fp_http_query_param), "" when absent; false when too long or
 * not plain [0-9A-Za-z_-] (no decoding needed). */
static bool s_query_param(const char *query, const char *name, char *out, size_t outlen)
{
    if (!fp_http_query_param(query, name, out, outlen)) return false;
    return strspn(out, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_") == strlen(out);
}

/* The download's principal is known (NULL: the reverse proxy authenticates): its region scope,
 * as GetReport's, then the report. */
static void s_on_http_auth(fp_http_req_t *req, const fp_principal_t *who, const fp_http_token_t *tok, bool answered,
                           void *arg)
{
    s_job_t *j = arg;
    (void)tok; /* a download is one answer: the token is checked when it starts */
    if (answered || !report_httpauth_allows(req, who, REPORT_READ_REPORT, j->report, j->prefix)) {
        s_job_free(j);
        return;
    }
    s_run(j->svc, j);
}

bool report_reports_http(fp_service_t *svc, fp_http_req_t *req)
{
    const char *path = fp_http_req_path(req);
    if (strncmp(path, "/reports/", 9) != 0 || !s_cfg.http) return false;
    const char *query = fp_http_req_query(req);
    char region[16], period[16], format[16];
    s_job_t *j = fp_new(s_job_t);
    j->http = req;
    if (!s_query_param(query, "region", region, sizeof region) ||
        !s_query_param(query, "period", period, sizeof period) ||
        !s_query_param(query, "format", format, sizeof format)) {
        s_job_fail(j, "request.field", 400, "region, period and format must be plain values",
                   "region、period、format 参数格式错误");
        return true;
    }
    if (!*format) snprintf(format, sizeof format, "csv");
    const char *zh = NULL;
    const char *en = s_check(j, path + 9, region, period, format, &zh);
    if (!en && j->fmt == S_FMT_PROTO) {
        en = "format must be csv or xlsx for a download";
        zh = "下载格式须为 csv 或 xlsx";
    }
    if (en) {
        s_job_fail(j, "request.field", report_def_find(path + 9) ? 400 : 404, en, zh);
        return true;
    }
    if (!fp_service_db_ready(svc)) {
        fp_http_req_add_header(req, "Retry-After", "5");
        s_job_fail(j, "db.unavailable", 503, "the database is not reachable: retry", "数据库暂不可用，请重试");
        return true;
    }
    j->svc = svc;
    report_httpauth(svc, req, s_on_http_auth, j);
    return true;
}
