/* reports.c: the report engine. A report is computed in PostgreSQL by report_get() (live before
 * its deadline, a frozen snapshot after it) and rendered here as protobuf rows, CSV (UTF-8 with
 * BOM, Chinese headers, CRLF, for Excel) or XLSX (libxlsxwriter), for the ROUTER and for HTTP. */
#include "reports.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "date.h"
#include "log.h"
#include "mem.h"
#include "replay.h"
#include "textenc.h"

#define S_LVM "lead_verification_monthly"
#define S_NCOLS 8
#define S_MAX_REASON 1000

typedef enum { S_FMT_PROTO, S_FMT_CSV, S_FMT_XLSX } s_fmt_t;

static struct {
    int32_t today_override; /* FANGPIN_TODAY; 0 = the real date (UTC+8) */
    bool http;              /* FANGPIN_REPORTING_HTTP_REPORTS */
} s_cfg;

static const char *const s_headers[S_NCOLS] = {"部门/乡镇", "接收", "已核实", "纳入", "未纳入", "待核实", "未匹配", "超期"};

/* One report request in flight, from the ROUTER (req, in) or from HTTP (http). */
typedef struct {
    fp_request_t *req;
    Fangpin__V1__ReportingRequest *in;
    fp_http_req_t *http;
    s_fmt_t fmt;
    char report[64];
    char prefix[13];
    char period[8];
} s_job_t;

/* The rendered view of a result: what CSV and XLSX need. */
typedef struct {
    const char *region_name;
    char title[256];
    int64_t generated_ms;
    int nrows;
    const char **labels;
    const char **kinds;
    int64_t (*nums)[S_NCOLS - 1];
} s_view_t;

int report_reports_start(fp_service_t *svc)
{
    const char *today = fp_service_str(svc, "FANGPIN_TODAY");
    s_cfg.today_override = 0;
    if (today && *today && fp_date_parse(today, &s_cfg.today_override) != FP_OK) {
        fp_log_error("FANGPIN_TODAY is not a date (YYYY-MM-DD)", "value", today);
        return 1;
    }
    s_cfg.http = fp_config_bool(fp_service_config(svc), "FANGPIN_REPORTING_HTTP_REPORTS");
    return 0;
}

static int32_t s_today(void) { return s_cfg.today_override ? s_cfg.today_override : fp_date_today_utc8(); }

/* A report's region prefix is a whole region code: 2, 4, 6, 9 or 12 digits. */
static bool s_prefix_ok(const char *p)
{
    size_t n = strlen(p);
    return (n == 2 || n == 4 || n == 6 || n == 9 || n == 12) && report_prefix_valid(p);
}

/* Checks the common arguments and fills the job; NULL when fine, else the English message. */
static const char *s_check(s_job_t *j, const char *report, const char *prefix, const char *period,
                           const char *format, const char **zh)
{
    fp_period_t p;
    if (strcmp(report, S_LVM) != 0) {
        *zh = "未知的报表（目前提供 lead_verification_monthly）";
        return "unknown report: the reports are lead_verification_monthly";
    }
    if (!s_prefix_ok(prefix)) {
        *zh = "region_prefix 须为区划代码（2、4、6、9 或 12 位数字）";
        return "region_prefix must be a region code (2, 4, 6, 9 or 12 digits)";
    }
    if (fp_period_parse(period, &p) != FP_OK) {
        *zh = "period 须为 YYYY-MM 格式的月份（如 2026-10）";
        return "period must be a month in the form YYYY-MM (like 2026-10)";
    }
    if (!*format || !strcmp(format, "proto")) j->fmt = S_FMT_PROTO;
    else if (!strcmp(format, "csv")) j->fmt = S_FMT_CSV;
    else if (!strcmp(format, "xlsx")) j->fmt = S_FMT_XLSX;
    else {
        *zh = "format 须为 proto、csv 或 xlsx";
        return "format must be proto, csv or xlsx";
    }
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

/* Answers the job with an error (ROUTER status, or HTTP status with the messages as text) and frees it. */
static void s_job_fail(s_job_t *j, Fangpin__V1__Code code, int http_status, const char *en, const char *zh)
{
    if (j->req) {
        fp_request_error(j->req, j->in->request_id, code, en, zh);
    } else {
        char body[1024];
        int n = snprintf(body, sizeof body, "%s\n%s\n", en, zh);
        if (n < 0) n = 0;
        if ((size_t)n >= sizeof body) n = (int)sizeof body - 1;
        fp_http_reply(j->http, http_status, "text/plain; charset=utf-8", body, (size_t)n);
    }
    s_job_free(j);
}

/* A CSV field, quoted when it holds a comma, quote or line break. */
static void s_csv_field(fp_buf_t *b, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fp_buf_puts(b, s);
        return;
    }
    fp_buf_puts(b, "\"");
    for (const char *c = s; *c; c++) {
        if (*c == '"') fp_buf_puts(b, "\"");
        fp_buf_append(b, c, 1);
    }
    fp_buf_puts(b, "\"");
}

static void s_csv(const s_view_t *v, fp_buf_t *b)
{
    fp_buf_puts(b, "\xEF\xBB\xBF");
    for (int c = 0; c < S_NCOLS; c++) fp_buf_printf(b, "%s%s", c ? "," : "", s_headers[c]);
    fp_buf_puts(b, "\r\n");
    for (int r = 0; r < v->nrows; r++) {
        s_csv_field(b, v->labels[r]);
        for (int c = 0; c < S_NCOLS - 1; c++) fp_buf_printf(b, ",%" PRId64, v->nums[r][c]);
        fp_buf_puts(b, "\r\n");
    }
}

/* Writes the workbook to a temporary file (libxlsxwriter writes files only) and reads it back.
 * The document's creation time is the report's, and the zip entries carry libxlsxwriter's fixed
 * date, so a frozen report renders to the same bytes every time. */
static int s_xlsx(const s_view_t *v, fp_buf_t *out)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    char path[1024];
    snprintf(path, sizeof path, "%s/fangpin-report-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    close(fd);
    lxw_workbook_options opt = {.constant_memory = LXW_FALSE, .tmpdir = (char *)dir, .use_zip64 = LXW_FALSE};
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    if (!wb) {
        unlink(path);
        return -1;
    }
    lxw_doc_properties props = {0};
    props.title = (char *)v->title;
    props.author = (char *)"fangpin";
    props.created = (time_t)(v->generated_ms / 1000);
    workbook_set_properties(wb, &props);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "核实情况");
    lxw_format *ft = workbook_add_format(wb);
    format_set_bold(ft);
    format_set_font_size(ft, 14);
    format_set_align(ft, LXW_ALIGN_CENTER);
    lxw_format *fh = workbook_add_format(wb);
    format_set_bold(fh);
    format_set_border(fh, LXW_BORDER_THIN);
    format_set_align(fh, LXW_ALIGN_CENTER);
    format_set_bg_color(fh, 0xDDEBF7);
    lxw_format *fc = workbook_add_format(wb);
    format_set_border(fc, LXW_BORDER_THIN);
    lxw_format *fb = workbook_add_format(wb);
    format_set_border(fb, LXW_BORDER_THIN);
    format_set_bold(fb);
    worksheet_merge_range(ws, 0, 0, 0, S_NCOLS - 1, v->title, ft);
    for (int c = 0; c < S_NCOLS; c++) worksheet_write_string(ws, 1, (lxw_col_t)c, s_headers[c], fh);
    for (int r = 0; r < v->nrows; r++) {
        lxw_format *f = strcmp(v->kinds[r], "total") == 0 ? fb : fc;
        worksheet_write_string(ws, (lxw_row_t)(r + 2), 0, v->labels[r], f);
        for (int c = 0; c < S_NCOLS - 1; c++)
            worksheet_write_number(ws, (lxw_row_t)(r + 2), (lxw_col_t)(c + 1), (double)v->nums[r][c], f);
    }
    worksheet_set_column(ws, 0, 0, 32, NULL);
    worksheet_set_column(ws, 1, S_NCOLS - 1, 10, NULL);
    worksheet_freeze_panes(ws, 2, 1);
    lxw_error err = workbook_close(wb);
    int rc = -1;
    if (err == LXW_NO_ERROR) {
        FILE *f = fopen(path, "rb");
        if (f) {
            char chunk[8192];
            size_t n;
            while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) fp_buf_append(out, chunk, n);
            rc = ferror(f) ? -1 : 0;
            fclose(f);
        }
    } else {
        fp_log_error("writing the XLSX report failed", "error", lxw_strerror(err));
    }
    unlink(path);
    return rc;
}

static void s_on_report(fp_db_t *db, PGresult *res, void *arg)
{
    s_job_t *j = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        if (res) fp_log_error("report query failed", "error", PQresultErrorMessage(res), "report", j->report);
        if (res) s_job_fail(j, FANGPIN__V1__CODE__INTERNAL, 500, "computing the report failed", "生成报表失败");
        else s_job_fail(j, FANGPIN__V1__CODE__UNAVAILABLE, 503, "the database is not reachable: retry", "数据库暂不可用，请重试");
        return;
    }
    int rows = PQntuples(res);
    if (rows == 0) {
        s_job_fail(j, FANGPIN__V1__CODE__NOT_FOUND, 404, "no region has that code: check region_prefix",
                   "区划表中没有该代码，请核对 region_prefix");
        return;
    }
    s_view_t v = {0};
    v.region_name = PQgetvalue(res, 0, 2);
    v.generated_ms = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    fp_period_t per = {0};
    fp_period_parse(j->period, &per);
    snprintf(v.title, sizeof v.title, "%s %d年%d月 风险线索核实情况", v.region_name, per.year, per.month);
    v.nrows = rows;
    v.labels = fp_calloc((size_t)rows, sizeof *v.labels);
    v.kinds = fp_calloc((size_t)rows, sizeof *v.kinds);
    v.nums = fp_calloc((size_t)rows, sizeof *v.nums);
    Fangpin__V1__ReportRow *rr = fp_calloc((size_t)rows, sizeof *rr);
    Fangpin__V1__ReportRow **rp = fp_calloc((size_t)rows, sizeof *rp);
    for (int i = 0; i < rows; i++) {
        fangpin__v1__report_row__init(&rr[i]);
        rp[i] = &rr[i];
        v.labels[i] = rr[i].label = PQgetvalue(res, i, 4);
        v.kinds[i] = rr[i].kind = PQgetvalue(res, i, 5);
        rr[i].code = PQgetvalue(res, i, 6);
        for (int c = 0; c < S_NCOLS - 1; c++) v.nums[i][c] = strtoll(PQgetvalue(res, i, 7 + c), NULL, 10);
        rr[i].received = v.nums[i][0];
        rr[i].verified = v.nums[i][1];
        rr[i].included = v.nums[i][2];
        rr[i].not_included = v.nums[i][3];
        rr[i].pending = v.nums[i][4];
        rr[i].unmatched = v.nums[i][5];
        rr[i].overdue = v.nums[i][6];
    }
    fp_buf_t file = {0};
    char filename[96] = "";
    const char *ctype = "";
    int rc = 0;
    if (j->fmt == S_FMT_CSV) {
        s_csv(&v, &file);
        snprintf(filename, sizeof filename, "%s-%s-%s.csv", j->report, j->prefix, j->period);
        ctype = "text/csv; charset=utf-8";
    } else if (j->fmt == S_FMT_XLSX) {
        rc = s_xlsx(&v, &file);
        snprintf(filename, sizeof filename, "%s-%s-%s.xlsx", j->report, j->prefix, j->period);
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    }
    if (rc != 0) {
        s_job_fail(j, FANGPIN__V1__CODE__INTERNAL, 500, "writing the XLSX file failed", "生成 XLSX 文件失败");
    } else if (j->req) {
        Fangpin__V1__ReportingReply out = FANGPIN__V1__REPORTING_REPLY__INIT;
        Fangpin__V1__Status st = FANGPIN__V1__STATUS__INIT;
        Fangpin__V1__Report rep = FANGPIN__V1__REPORT__INIT;
        out.request_id = j->in->request_id;
        out.status = &st;
        st.code = FANGPIN__V1__CODE__OK;
        st.message = (char *)"ok";
        rep.report = j->report;
        rep.region_prefix = j->prefix;
        rep.region_name = (char *)v.region_name;
        rep.period = j->period;
        rep.generated_at_ms = v.generated_ms;
        rep.frozen = PQgetvalue(res, 0, 0)[0] == 't';
        rep.deadline = PQgetvalue(res, 0, 3);
        rep.rows = rp;
        rep.n_rows = (size_t)rows;
        rep.file.data = (uint8_t *)file.data;
        rep.file.len = file.len;
        rep.filename = filename;
        rep.content_type = (char *)ctype;
        out.result_case = FANGPIN__V1__REPORTING_REPLY__RESULT_REPORT;
        out.report = &rep;
        fp_request_reply(j->req, &out.base, st.code);
        s_job_free(j);
    } else {
        char disp[160];
        snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", filename);
        fp_http_req_add_header(j->http, "Content-Disposition", disp);
        fp_http_req_add_header(j->http, "X-Fangpin-Frozen", PQgetvalue(res, 0, 0)[0] == 't' ? "true" : "false");
        fp_http_reply(j->http, 200, ctype, file.data, file.len);
        s_job_free(j);
    }
    fp_buf_free(&file);
    free(v.labels);
    free(v.kinds);
    free(v.nums);
    free(rr);
    free(rp);
}

static void s_run(fp_service_t *svc, s_job_t *j)
{
    char today[11];
    fp_date_format(s_today(), today);
    const char *p[4] = {j->report, j->prefix, j->period, today};
    fp_db_query(fp_service_db(svc), 0,
                "SELECT g.frozen, g.generated_at_ms, g.region_name, g.deadline::text,"
                " e.v->>'label', e.v->>'kind', e.v->>'code',"
                " (e.v->>'received')::bigint, (e.v->>'verified')::bigint, (e.v->>'included')::bigint,"
                " (e.v->>'not_included')::bigint, (e.v->>'pending')::bigint, (e.v->>'unmatched')::bigint,"
                " (e.v->>'overdue')::bigint"
                " FROM report_get($1::text, $2::text, $3::text, $4::date) g"
                " CROSS JOIN LATERAL jsonb_array_elements(g.content) WITH ORDINALITY AS e(v, ord)"
                " ORDER BY e.ord",
                4, p, s_on_report, j);
}

static bool s_forbidden(fp_request_t *req, Fangpin__V1__ReportingRequest *in, const char *prefix)
{
    const fp_principal_t *who = fp_request_principal(req);
    if (report_scope_allows(who, prefix)) return false;
    char en[200], zh[200];
    snprintf(en, sizeof en, "your key may read reports of region %s only: ask for a region inside it", who->region);
    snprintf(zh, sizeof zh, "您的密钥只能查看 %s 区域内的报表，请在该区域内查询", who->region);
    fp_request_error(req, in->request_id, FANGPIN__V1__CODE__FORBIDDEN, en, zh);
    fangpin__v1__reporting_request__free_unpacked(in, NULL);
    return true;
}

void report_get_report(fp_service_t *svc, fp_request_t *req, Fangpin__V1__ReportingRequest *in)
{
    fp_request_set_op(req, "get_report");
    const Fangpin__V1__GetReport *g = in->get_report;
    s_job_t *j = fp_new(s_job_t);
    j->req = req;
    j->in = in;
    const char *zh = NULL;
    const char *en = s_check(j, g->report ? g->report : "", g->region_prefix ? g->region_prefix : "",
                             g->period ? g->period : "", g->format ? g->format : "", &zh);
    if (en) {
        s_job_fail(j, FANGPIN__V1__CODE__BAD_REQUEST, 400, en, zh);
        return;
    }
    if (s_forbidden(req, in, j->prefix)) {
        free(j);
        return;
    }
    if (!fp_service_db_ready(svc)) {
        s_job_fail(j, FANGPIN__V1__CODE__UNAVAILABLE, 503, "the database is not reachable: retry", "数据库暂不可用，请重试");
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
        if (res) fp_log_error("reopen failed", "error", PQresultErrorMessage(res), "request_id", in->request_id);
        fp_request_error(q->req, in->request_id, res ? FANGPIN__V1__CODE__INTERNAL : FANGPIN__V1__CODE__UNAVAILABLE,
                         res ? "re-opening the report failed" : "the database is not reachable: retry",
                         res ? "重新开放报表失败" : "数据库暂不可用，请重试");
    } else if (PQntuples(res) == 0) {
        fp_request_error(q->req, in->request_id, FANGPIN__V1__CODE__NOT_FOUND,
                         "that report is not frozen: there is nothing to re-open", "该报表尚未封存，无需重新开放");
    } else {
        fp_log_info("report re-opened", "report", r->report, "region", r->region_prefix, "period", r->period,
                    "by", q->who, "reason", r->reason);
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

void report_reopen_report(fp_service_t *svc, fp_request_t *req, Fangpin__V1__ReportingRequest *in)
{
    fp_request_set_op(req, "reopen_report");
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
        fp_request_error(req, in->request_id, FANGPIN__V1__CODE__BAD_REQUEST, en, zh);
        fangpin__v1__reporting_request__free_unpacked(in, NULL);
        return;
    }
    const fp_principal_t *who = fp_request_principal(req);
    bool may = !strcmp(who->kind, "admin") ||
               (!strcmp(who->kind, "actor") &&
                (!strcmp(who->level, "county") || !strcmp(who->level, "prefecture") || !strcmp(who->level, "province")));
    if (!may) {
        fp_request_error(req, in->request_id, FANGPIN__V1__CODE__FORBIDDEN,
                         "only an administrator or a county-level (or higher) cadre may re-open a report",
                         "只有管理员或县级及以上人员可以重新开放报表");
        fangpin__v1__reporting_request__free_unpacked(in, NULL);
        return;
    }
    if (s_forbidden(req, in, chk.prefix)) return;
    if (!fp_service_db_ready(svc)) {
        fp_request_error(req, in->request_id, FANGPIN__V1__CODE__UNAVAILABLE, "the database is not reachable: retry",
                         "数据库暂不可用，请重试");
        fangpin__v1__reporting_request__free_unpacked(in, NULL);
        return;
    }
    s_reopen_t *q = fp_new(s_reopen_t);
    q->req = req;
    q->in = in;
    snprintf(q->who, sizeof q->who, "%s", who->id);
    const char *p[5] = {chk.report, chk.prefix, chk.period, q->who, reason};
    fp_db_query(fp_service_db(svc), 0, "SELECT snapshot_id, reopened_at_ms FROM report_reopen($1, $2, $3, $4, $5)", 5,
                p, s_on_reopen, q);
}

/* The value of name in an application/x-www-form-urlencoded query, copied into out (which
 * stays "" when absent); false when too long or not plain [0-9A-Za-z_-] (no decoding needed). */
static bool s_query_param(const char *query, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name);
    out[0] = '\0';
    for (const char *p = query; p && *p;) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            size_t vlen = len - nlen - 1;
            if (vlen >= outlen) return false;
            for (size_t i = 0; i < vlen; i++) {
                char c = p[nlen + 1 + i];
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
                      c == '_'))
                    return false;
            }
            memcpy(out, p + nlen + 1, vlen);
            out[vlen] = '\0';
            return true;
        }
        p = end ? end + 1 : NULL;
    }
    return true;
}

bool report_reports_http(fp_service_t *svc, fp_http_req_t *req)
{
    const char *path = fp_http_req_path(req);
    if (strncmp(path, "/reports/", 9) != 0 || !s_cfg.http) return false;
    const char *query = fp_http_req_query(req);
    char region[16], period[16], format[16];
    s_job_t *j = fp_new(s_job_t);
    j->http = req;
    if (!s_query_param(query, "region", region, sizeof region) || !s_query_param(query, "period", period, sizeof period) ||
        !s_query_param(query, "format", format, sizeof format)) {
        s_job_fail(j, FANGPIN__V1__CODE__BAD_REQUEST, 400, "region, period and format must be plain values",
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
        s_job_fail(j, FANGPIN__V1__CODE__BAD_REQUEST, strcmp(path + 9, S_LVM) ? 404 : 400, en, zh);
        return true;
    }
    if (!fp_service_db_ready(svc)) {
        fp_http_req_add_header(req, "Retry-After", "5");
        s_job_fail(j, FANGPIN__V1__CODE__UNAVAILABLE, 503, "the database is not reachable: retry", "数据库暂不可用，请重试");
        return true;
    }
    s_run(svc, j);
    return true;
}
