/* report.c: `fangpinctl report get|reopen`: the reporting service's reports (GetReport,
 * ReopenReport over CURVE to FANGPIN_REPORTING_CONNECT) for people. `get` prints the report as a
 * table in the terminal and, with --format csv|xlsx, saves the file the service rendered. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "fangpin/v1/reporting.pb-c.h"

static int s_usage(void)
{
    fprintf(stderr,
            "usage: fangpinctl report get REPORT --region PREFIX --period PERIOD [--format table|csv|xlsx]"
            " [--out FILE]\n"
            "       fangpinctl report reopen REPORT --region PREFIX --period PERIOD --reason TEXT\n"
            "  REPORT: lead_verification_monthly (PERIOD YYYY-MM), scale_quarterly, measures_quarterly,\n"
            "  elimination_quarterly (PERIOD YYYYQn), deadlines, quality_findings (YYYY-MM or YYYYQn),\n"
            "  lowincome_quarterly (YYYYQn).\n"
            "  get prints the table; csv and xlsx also save the file (default: the name the service gives it).\n");
    return 2;
}

static Fangpin__V1__ReportingReply *s_call(Fangpin__V1__ReportingRequest *req)
{
    return (Fangpin__V1__ReportingReply *)ctl_call("reporting", "FANGPIN_REPORTING_CONNECT", "tcp://127.0.0.1:7104",
                                                   &req->base, &fangpin__v1__reporting_reply__descriptor);
}

/* Columns a terminal gives a UTF-8 string: two for East Asian wide characters, one otherwise. */
static int s_width(const char *s)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        unsigned cp;
        int n;
        if (*p < 0x80) cp = *p, n = 1;
        else if ((*p & 0xE0) == 0xC0) cp = *p & 0x1F, n = 2;
        else if ((*p & 0xF0) == 0xE0) cp = *p & 0x0F, n = 3;
        else cp = *p & 0x07, n = 4;
        for (int i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80) { /* broken sequence: count the byte and go on */
                n = 1;
                break;
            }
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        p += n;
        w += (cp >= 0x1100 &&
              (cp <= 0x115F || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
               (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
               (cp >= 0xFFE0 && cp <= 0xFFE6) || cp >= 0x20000))
            ? 2
            : 1;
    }
    return w;
}

static void s_cell(const char *s, int width, bool right)
{
    int pad = width - s_width(s);
    if (right) printf("%*s%s", pad > 0 ? pad : 0, "", s);
    else printf("%s%*s", s, pad > 0 ? pad : 0, "");
}

static void s_print_table(const Fangpin__V1__Report *r)
{
    size_t nc = r->n_columns;
    int *w = calloc(nc + 1, sizeof *w);
    w[0] = s_width("单位");
    for (size_t i = 0; i < r->n_rows; i++)
        if (s_width(r->rows[i]->label) > w[0]) w[0] = s_width(r->rows[i]->label);
    for (size_t c = 0; c < nc; c++) {
        w[c + 1] = s_width(r->columns[c]->title);
        for (size_t i = 0; i < r->n_rows; i++)
            if (c < r->rows[i]->n_cells && s_width(r->rows[i]->cells[c]) > w[c + 1])
                w[c + 1] = s_width(r->rows[i]->cells[c]);
    }
    printf("%s%s\n", r->title, r->frozen ? "（已封存 frozen）" : "");
    printf("截止 due %s", r->deadline);
    if (r->generated_at_ms) {
        time_t t = (time_t)(r->generated_at_ms / 1000) + 8 * 3600; /* China time */
        struct tm tm;
        char at[32];
        gmtime_r(&t, &tm);
        strftime(at, sizeof at, "%Y-%m-%d %H:%M", &tm);
        printf("，生成于 generated %s", at);
    }
    printf("\n");
    s_cell("单位", w[0], false);
    for (size_t c = 0; c < nc; c++) {
        printf("  ");
        s_cell(r->columns[c]->title, w[c + 1], r->columns[c]->numeric);
    }
    printf("\n");
    for (size_t i = 0; i < r->n_rows; i++) {
        const Fangpin__V1__ReportRow *row = r->rows[i];
        s_cell(row->label, w[0], false);
        for (size_t c = 0; c < nc; c++) {
            printf("  ");
            s_cell(c < row->n_cells ? row->cells[c] : "", w[c + 1], r->columns[c]->numeric);
        }
        printf("\n");
    }
    free(w);
}

int ctl_cmd_report(int argc, char **argv)
{
    if (argc < 3) return s_usage();
    const char *sub = argv[1], *report = argv[2];
    const char *region = NULL, *period = NULL, *format = "table", *out = NULL, *reason = NULL;
    for (int i = 3; i < argc; i += 2) { /* --option value pairs */
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return s_usage();
        if (!strcmp(a, "--region")) region = v;
        else if (!strcmp(a, "--period")) period = v;
        else if (!strcmp(a, "--format")) format = v;
        else if (!strcmp(a, "--out")) out = v;
        else if (!strcmp(a, "--reason")) reason = v;
        else return s_usage();
    }
    if (!region || !period) return s_usage();
    char rid[64];
    snprintf(rid, sizeof rid, "ctl-report-%ld-%ld", (long)time(NULL), (long)clock());
    Fangpin__V1__ReportingRequest req = FANGPIN__V1__REPORTING_REQUEST__INIT;
    req.request_id = rid;
    if (!strcmp(sub, "reopen")) {
        if (!reason) return s_usage();
        Fangpin__V1__ReopenReport op = FANGPIN__V1__REOPEN_REPORT__INIT;
        op.report = (char *)report;
        op.region_prefix = (char *)region;
        op.period = (char *)period;
        op.reason = (char *)reason;
        req.op_case = FANGPIN__V1__REPORTING_REQUEST__OP_REOPEN_REPORT;
        req.reopen_report = &op;
        Fangpin__V1__ReportingReply *rep = s_call(&req);
        if (!rep) return 1;
        int rc = rep->result_case == FANGPIN__V1__REPORTING_REPLY__RESULT_REOPENED ? 0 : 1;
        if (!rc) printf("已重新打开 re-opened: %s %s %s (%s)\n", report, region, period, rep->reopened->reopened_by);
        fangpin__v1__reporting_reply__free_unpacked(rep, NULL);
        return rc;
    }
    if (strcmp(sub, "get") != 0) return s_usage();
    bool file = !strcmp(format, "csv") || !strcmp(format, "xlsx");
    if (!file && strcmp(format, "table") != 0) return s_usage();
    Fangpin__V1__GetReport op = FANGPIN__V1__GET_REPORT__INIT;
    op.report = (char *)report;
    op.region_prefix = (char *)region;
    op.period = (char *)period;
    op.format = file ? (char *)format : (char *)"proto";
    req.op_case = FANGPIN__V1__REPORTING_REQUEST__OP_GET_REPORT;
    req.get_report = &op;
    Fangpin__V1__ReportingReply *rep = s_call(&req);
    if (!rep) return 1;
    if (rep->result_case != FANGPIN__V1__REPORTING_REPLY__RESULT_REPORT) {
        fprintf(stderr, "fangpinctl report: the reply carries no report\n");
        fangpin__v1__reporting_reply__free_unpacked(rep, NULL);
        return 1;
    }
    const Fangpin__V1__Report *r = rep->report;
    s_print_table(r);
    int rc = 0;
    if (file) {
        const char *path = out ? out : r->filename;
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(r->file.data, 1, r->file.len, f) != r->file.len) {
            fprintf(stderr, "fangpinctl report: cannot write %s\n", path);
            rc = 1;
        } else {
            printf("已保存 saved: %s (%zu bytes)\n", path, r->file.len);
        }
        if (f && fclose(f) != 0) rc = 1;
    }
    fangpin__v1__reporting_reply__free_unpacked(rep, NULL);
    return rc;
}
