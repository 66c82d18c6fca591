/* compare.c: data comparison with departments (数据比对, docs/compare.md). GetCompareSlice gives
 * the sending department the ledger slice of its own county with only its columns
 * (compare_columns, migration 028), page by page, each export audited (compare_exports) before a
 * row leaves; the ID number is opened from id_sealed here, as the department compares by it.
 * SubmitCompareAnswers keeps the department's answers as dated facts (dept_facts) by the ID
 * number's keyed hash, once per batch id, and makes the rules that read them due
 * (compare_answers_apply, deploy/db/functions/compare.sql). */
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "date.h"
#include "idcard.h"
#include "intake.h"
#include "mem.h"
#include "seal.h"

#define S_PAGE_DEFAULT 2000
#define S_PAGE_MAX 10000
#define S_MAX_COLUMNS 12 /* the columns compare_columns knows (migration 028) */
#define S_REASON_MAX 200
#define S_AFTER_MAX (32 + 1 + FP_SEAL_HMAC_LEN) /* next_after: a household_no, a zero byte, an id_hmac */

typedef struct {
    intake_t *in;
    fp_request_t *req;
    Fangpin__V1__IntakeRequest *msg;
    char county[7];
    char export_id[24];
    char after_hh[S_AFTER_MAX];           /* the cursor's household_no ('' for the first page) */
    char after_h[3 + 2 * FP_SEAL_HMAC_LEN]; /* its id_hmac as bytea input ("\\x" for the first page) */
    char limit[16];
    char *page_sql; /* compare_page_sql's statement for the export, owned */
    PGresult *page;  /* the page read, kept until it is counted on the export */
    char *columns[S_MAX_COLUMNS]; /* the export's, owned */
    size_t ncols;
    uint64_t rows;
} s_slice_t;

static void s_slice_free(s_slice_t *s)
{
    for (size_t i = 0; i < s->ncols; i++) free(s->columns[i]);
    free(s->page_sql);
    if (s->page) PQclear(s->page);
    fangpin__v1__intake_request__free_unpacked(s->msg, NULL);
    free(s);
}

static void s_refuse(s_slice_t *s, const char *reason, const char *en, const char *zh)
{
    fp_request_refuse(s->req, s->msg->request_id, reason, en, zh);
    s_slice_free(s);
}

/* Takes the columns of a text[] value ("{name,id_number}": names are [a-z_], never quoted). */
static void s_take_columns(s_slice_t *s, const char *arr)
{
    const char *p = arr + (arr[0] == '{');
    while (*p && *p != '}' && s->ncols < S_MAX_COLUMNS) {
        size_t n = strcspn(p, ",}");
        s->columns[s->ncols++] = fp_strndup(p, n);
        p += n + (p[n] == ',');
    }
}

/* A page's cursor as next_after made it: empty, or a household_no (1 to 32 of [0-9A-Za-z-]), a
 * zero byte and an id_hmac. */
static bool s_after_ok(const ProtobufCBinaryData *a)
{
    if (a->len == 0) return true;
    if (a->len < 2 + FP_SEAL_HMAC_LEN || a->len > S_AFTER_MAX || a->data[a->len - FP_SEAL_HMAC_LEN - 1] != 0)
        return false;
    for (size_t i = 0; i + FP_SEAL_HMAC_LEN + 1 < a->len; i++)
        if (!isalnum(a->data[i]) && a->data[i] != '-') return false;
    return true;
}

/* The cursor s_after_ok accepted as the page statement's parameters: its household_no, and its
 * id_hmac as bytea input ("\\x" and hex; "\\x" alone for the first page). */
static void s_take_after(const ProtobufCBinaryData *a, char hh[S_AFTER_MAX], char h[3 + 2 * FP_SEAL_HMAC_LEN])
{
    size_t hl = a->len ? a->len - FP_SEAL_HMAC_LEN - 1 : 0;
    if (hl) memcpy(hh, a->data, hl);
    hh[hl] = 0;
    memcpy(h, "\\x", 3);
    if (a->len) sodium_bin2hex(h + 2, 1 + 2 * FP_SEAL_HMAC_LEN, a->data + hl + 1, FP_SEAL_HMAC_LEN);
}

/* The ID number of one row, opened from its sealed bytes ("\x<hex>"): false when it does not open. */
static bool s_open_id(const fp_seal_t *seal, const char *sealed_hex, char id[FP_SEAL_ID_LEN + 1])
{
    uint8_t bin[FP_SEAL_SEALED_LEN];
    size_t len = 0;
    if (strncmp(sealed_hex, "\\x", 2) != 0 ||
        sodium_hex2bin(bin, sizeof bin, sealed_hex + 2, strlen(sealed_hex + 2), NULL, &len, NULL) != 0)
        return false;
    return fp_seal_open(seal, bin, len, id) == 0;
}

/* Answers with the page read (s->page), counted on the export; frees s. */
static void s_reply_page(s_slice_t *s)
{
    const PGresult *res = s->page;
    size_t n = (size_t)PQntuples(res), idcol = s->ncols;
    for (size_t c = 0; c < s->ncols; c++)
        if (strcmp(s->columns[c], "id_number") == 0) idcol = c;
    Fangpin__V1__CompareRow *rows = fp_calloc(n ? n : 1, sizeof *rows);
    Fangpin__V1__CompareRow **rowp = fp_calloc(n ? n : 1, sizeof *rowp);
    char **cells = fp_calloc(n * s->ncols + 1, sizeof *cells);
    char (*ids)[FP_SEAL_ID_LEN + 1] = fp_calloc(n ? n : 1, sizeof *ids);
    bool opened = true;
    for (size_t r = 0; r < n; r++) {
        fangpin__v1__compare_row__init(&rows[r]);
        rows[r].n_cells = s->ncols;
        rows[r].cells = &cells[r * s->ncols];
        for (size_t c = 0; c < s->ncols; c++) rows[r].cells[c] = PQgetvalue(res, (int)r, (int)(3 + c));
        if (idcol < s->ncols) {
            opened = opened && s_open_id(fp_service_seal(s->in->svc), PQgetvalue(res, (int)r, 1), ids[r]);
            rows[r].cells[idcol] = ids[r];
        }
        rowp[r] = &rows[r];
    }
    uint8_t next[S_AFTER_MAX]; /* the last row: its household_no, a zero byte, its id_hmac */
    size_t next_len = 0;
    if (n && n == (size_t)strtoul(s->limit, NULL, 10)) {
        const char *hh = PQgetvalue(res, (int)n - 1, 2), *h = PQgetvalue(res, (int)n - 1, 0) + 2; /* "\\x" */
        size_t hl = strlen(hh), bl = 0;
        memcpy(next, hh, hl);
        next[hl] = 0;
        sodium_hex2bin(next + hl + 1, FP_SEAL_HMAC_LEN, h, strlen(h), NULL, &bl, NULL);
        next_len = hl + 1 + bl;
    }
    Fangpin__V1__CompareSlice sl = FANGPIN__V1__COMPARE_SLICE__INIT;
    sl.export_id = strtoll(s->export_id, NULL, 10);
    sl.county = s->county;
    sl.n_columns = s->ncols;
    sl.columns = s->columns;
    sl.rows = s->rows;
    sl.n_page = n;
    sl.page = rowp;
    sl.next_after.data = next;
    sl.next_after.len = next_len;
    Fangpin__V1__IntakeReply out = FANGPIN__V1__INTAKE_REPLY__INIT;
    out.result_case = FANGPIN__V1__INTAKE_REPLY__RESULT_COMPARE_SLICE;
    out.compare_slice = &sl;
    if (opened)
        fp_request_reply_ok(s->req, &out.base, s->msg->request_id, "");
    else
        fp_request_refuse(s->req, s->msg->request_id, "data_key.changed",
                          "an ID number of the ledger does not open with intake's data key: restart intake with the"
                          " county's key",
                          "台账中的身份证号无法用受理服务的数据密钥解开，请用本县密钥重启受理服务");
    sodium_memzero(ids, (n ? n : 1) * sizeof *ids);
    free(ids);
    free(cells);
    free(rowp);
    free(rows);
    s_slice_free(s);
}

/* Reads and counts the page (compare_page_sql's statement, taken with the export's columns). */
static void s_on_counted(fp_db_t *db, PGresult *res, void *arg)
{
    s_slice_t *s = arg;
    if (fp_request_db_failed(s->req, s->msg->request_id, res, "counting a comparison page failed")) {
        s_slice_free(s);
        return;
    }
    s_reply_page(s);
}

/* The page read is counted on the export (pages, rows_sent, last_page_at) before a row of it
 * leaves: the audit says what left, not only what was asked. */
static void s_on_page(fp_db_t *db, PGresult *res, void *arg)
{
    s_slice_t *s = arg;
    if (fp_request_db_failed(s->req, s->msg->request_id, res, "reading a comparison page failed")) {
        s_slice_free(s);
        return;
    }
    s->page = PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
    if (!s->page) { /* out of memory */
        s_refuse(s, "db.failed", "reading a comparison page failed: nothing was sent", "读取比对数据失败，未发送任何数据");
        return;
    }
    char n[16];
    snprintf(n, sizeof n, "%d", PQntuples(res));
    const char *params[2] = {s->export_id, n};
    fp_db_query(db, 0,
                "UPDATE compare_exports SET pages = pages + 1, rows_sent = rows_sent + $2, last_page_at = now()"
                " WHERE id = $1 RETURNING pages",
                2, params, s_on_counted, s);
}

static void s_query_page(s_slice_t *s, const char *page_sql)
{
    s->page_sql = fp_strdup(page_sql);
    const char *params[4] = {s->county, s->after_hh, s->after_h, s->limit};
    fp_db_query(fp_service_db(s->in->svc), 0, s->page_sql, 4, params, s_on_page, s);
}

static void s_on_page_sql(fp_db_t *db, PGresult *res, void *arg)
{
    s_slice_t *s = arg;
    if (fp_request_db_failed(s->req, s->msg->request_id, res, "beginning a comparison export failed")) {
        s_slice_free(s);
        return;
    }
    s_query_page(s, PQgetvalue(res, 0, 0));
}

static void s_on_opened(fp_db_t *db, PGresult *res, void *arg)
{
    s_slice_t *s = arg;
    if (fp_request_db_failed(s->req, s->msg->request_id, res, "beginning a comparison export failed")) {
        s_slice_free(s);
        return;
    }
    if (!PQgetisnull(res, 0, 1)) {
        char en[240], zh[240];
        const char *bad = PQgetvalue(res, 0, 1);
        const char *dept = fp_request_principal(s->req)->department;
        snprintf(en, sizeof en, "your department (%s) may not compare %s%.40s: see docs/compare.md", dept,
                 bad[0] ? "the column " : "any column", bad);
        snprintf(zh, sizeof zh, "本部门（%s）不能比对%s%.40s，见 docs/compare.md", dept, bad[0] ? "列 " : "任何列", bad);
        s_refuse(s, "compare.columns", en, zh);
        return;
    }
    snprintf(s->export_id, sizeof s->export_id, "%s", PQgetvalue(res, 0, 0));
    s_take_columns(s, PQgetvalue(res, 0, 2));
    s->rows = strtoull(PQgetvalue(res, 0, 3), NULL, 10);
    const char *params[1] = {s->export_id};
    fp_db_query(db, 0, "SELECT compare_page_sql($1)", 1, params, s_on_page_sql, s);
}

static void s_on_export(fp_db_t *db, PGresult *res, void *arg)
{
    s_slice_t *s = arg;
    if (fp_request_db_failed(s->req, s->msg->request_id, res, "reading a comparison export failed")) {
        s_slice_free(s);
        return;
    }
    if (PQgetisnull(res, 0, 0)) {
        s_refuse(s, "compare.export_unknown", "your department has no export of this county with this id",
                 "本部门在本县没有该编号的比对导出");
        return;
    }
    s_take_columns(s, PQgetvalue(res, 0, 0));
    s->rows = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
    s_query_page(s, PQgetvalue(res, 0, 2));
}

/* The request's checks that need no database: the county, the page size, the reason and the
 * column names (known to compare_columns; whether they are the department's is the database's).
 * NULL, or the refusal's reason with its messages. */
static const char *s_check_slice(const Fangpin__V1__GetCompareSlice *g, const char *county, const char **en,
                                 const char **zh)
{
    if (!county[0] || (g->county[0] && strcmp(g->county, county) != 0)) {
        *en = "a department compares its own county's ledger only (a key of a county's department)";
        *zh = "部门只能比对本县的台账";
        return "compare.out_of_scope";
    }
    *en = "limit: at most 10000 rows a page; reason: 1 to 200 bytes, required to begin an export; after: a"
          " page's next_after";
    *zh = "limit：每页至多 10000 行；reason：开始导出时必填，1 至 200 字节；after：上一页的 next_after";
    if (g->limit > S_PAGE_MAX || !s_after_ok(&g->after) || g->n_columns > S_MAX_COLUMNS) return "request.field";
    size_t rl = strlen(g->reason);
    if (g->export_id == 0 && (rl == 0 || rl > S_REASON_MAX || strspn(g->reason, " \t") == rl)) return "request.field";
    for (size_t i = 0; i < g->n_columns; i++)
        if (!fp_compare_column_zh(g->columns[i])) {
            *en = "a column is not one of the comparison columns (docs/compare.md)";
            *zh = "列名不是比对列之一（见 docs/compare.md）";
            return "compare.columns";
        }
    return NULL;
}

void intake_get_compare_slice(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    Fangpin__V1__IntakeRequest *msg = (Fangpin__V1__IntakeRequest *)m;
    const Fangpin__V1__GetCompareSlice *g = msg->get_compare_slice;
    const fp_principal_t *p = fp_request_principal(req);
    s_slice_t *s = fp_new(s_slice_t);
    s->in = arg;
    s->req = req;
    s->msg = msg;
    intake_county_of(p, s->county);
    const char *en, *zh, *why = s_check_slice(g, s->county, &en, &zh);
    if (why) {
        s_refuse(s, why, en, zh);
        return;
    }
    snprintf(s->limit, sizeof s->limit, "%u", g->limit ? g->limit : S_PAGE_DEFAULT);
    s_take_after(&g->after, s->after_hh, s->after_h);
    fp_db_t *db = fp_service_db(s->in->svc);
    if (g->export_id) {
        snprintf(s->export_id, sizeof s->export_id, "%lld", (long long)g->export_id);
        const char *params[3] = {s->county, p->department, s->export_id};
        fp_db_query(db, 0,
                    "SELECT compare_export_columns($1, $2, $3), (SELECT rows FROM compare_exports WHERE id = $3),"
                    " compare_page_sql($3)",
                    3, params, s_on_export, s);
        return;
    }
    fp_buf_t cols = {0};
    fp_buf_puts(&cols, "{");
    for (size_t i = 0; i < g->n_columns; i++) fp_buf_printf(&cols, "%s%s", i ? "," : "", g->columns[i]);
    fp_buf_puts(&cols, "}");
    const char *params[5] = {s->county, p->department, p->id, g->reason, cols.data};
    fp_db_query(db, 0, "SELECT * FROM compare_export_open($1, $2, $3, $4, $5::text[])", 5, params, s_on_opened, s);
    fp_buf_free(&cols);
}
