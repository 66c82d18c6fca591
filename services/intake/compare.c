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

#define S_AHEAD_KEEP_MS 30000 /* a page read ahead and not asked for is dropped after this */

/* A page read, made into its answer as soon as it is read: the IntakeReply with its
 * CompareSlice, packed without request_id and status (fp_request_reply_ok_packed). It holds the
 * opened ID numbers: zeroed when freed. */
typedef struct {
    uint8_t *body; /* NULL: none */
    size_t len;
    uint32_t n;                 /* its rows */
    uint8_t next[S_AFTER_MAX]; /* its next_after (the page after it), next_len 0 for the last page */
    size_t next_len;
    bool opened; /* every ID number opened with intake's data key */
} s_page_t;

static void s_page_free(s_page_t *p)
{
    if (p->body) sodium_memzero(p->body, p->len);
    free(p->body);
    memset(p, 0, sizeof *p);
}

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
    s_page_t page;  /* the page read, kept until it is counted on the export */
    char *columns[S_MAX_COLUMNS]; /* the export's, owned */
    size_t ncols;
    uint64_t rows;
} s_slice_t;

/* The page after the one just read, read ahead (intake->cmp_ahead, one for the whole service):
 * read as soon as the page before it is read, so that the database reads it while intake and the
 * department's client handle that page, and it is ready when asked for. It is the same statement
 * with the cursor the page before gave as next_after; the request that asks for it is answered
 * from it only when it is the same export, county, department, cursor and page size (the export
 * was checked to be that department's when the page before was asked for). It is counted on the
 * export as every page is, when asked for and before a row of it leaves: a page read ahead and
 * never asked for is not counted, and is dropped after S_AHEAD_KEEP_MS or when another page is
 * read ahead. */
struct intake_cmp_ahead {
    intake_t *in; /* NULL once dropped while its read is in flight (the read frees it) */
    char county[7], dept[40], export_id[24], limit[16];
    uint8_t after[S_AFTER_MAX]; /* the cursor it is read after (the page before's next_after) */
    size_t after_len;
    char *columns[S_MAX_COLUMNS]; /* the export's, owned */
    size_t ncols;
    uint64_t rows;
    char *page_sql;
    s_page_t page;    /* once read */
    bool reading;     /* its read is in flight */
    s_slice_t *waiter; /* the request for it, come while it was read */
    uint64_t read_at;  /* uv_now when read */
};
typedef struct intake_cmp_ahead s_ahead_t;

static void s_slice_free(s_slice_t *s)
{
    for (size_t i = 0; i < s->ncols; i++) free(s->columns[i]);
    free(s->page_sql);
    s_page_free(&s->page);
    fangpin__v1__intake_request__free_unpacked(s->msg, NULL);
    free(s);
}

static void s_ahead_free(s_ahead_t *a)
{
    for (size_t i = 0; i < a->ncols; i++) free(a->columns[i]);
    free(a->page_sql);
    s_page_free(&a->page);
    free(a);
}

/* Drops the page read ahead, if any: freed now, or by its read when in flight. */
static void s_ahead_drop(intake_t *in)
{
    s_ahead_t *a = in->cmp_ahead;
    in->cmp_ahead = NULL;
    if (!a) return;
    if (a->reading) a->in = NULL;
    else s_ahead_free(a);
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
static void s_take_after(const uint8_t *data, size_t len, char hh[S_AFTER_MAX], char h[3 + 2 * FP_SEAL_HMAC_LEN])
{
    size_t hl = len ? len - FP_SEAL_HMAC_LEN - 1 : 0;
    if (hl) memcpy(hh, data, hl);
    hh[hl] = 0;
    memcpy(h, "\\x", 3);
    if (len) sodium_bin2hex(h + 2, 1 + 2 * FP_SEAL_HMAC_LEN, data + hl + 1, FP_SEAL_HMAC_LEN);
}

/* The next_after of a full page (its last row: its household_no, a zero byte, its id_hmac); 0
 * when the page is the last (fewer rows than asked for). */
static size_t s_next_after(const PGresult *res, const char *limit, uint8_t next[S_AFTER_MAX])
{
    int n = PQntuples(res);
    if (n == 0 || n != (int)strtol(limit, NULL, 10)) return 0;
    size_t hl = (size_t)PQgetlength(res, n - 1, 2), bl = (size_t)PQgetlength(res, n - 1, 0);
    if (hl + 1 + bl > S_AFTER_MAX) return 0; /* not a household_no and an id_hmac: no more pages */
    memcpy(next, PQgetvalue(res, n - 1, 2), hl);
    next[hl] = 0;
    memcpy(next + hl + 1, PQgetvalue(res, n - 1, 0), bl);
    return hl + 1 + bl;
}

/* The ID number of one row, opened from its sealed bytes: false when it does not open. */
static bool s_open_id(const fp_seal_t *seal, const PGresult *res, int row, char id[FP_SEAL_ID_LEN + 1])
{
    return fp_seal_open(seal, (const uint8_t *)PQgetvalue(res, row, 1), (size_t)PQgetlength(res, row, 1), id) == 0;
}

/* Makes the page read (res, in binary format: id_hmac, id_sealed, household_no, then the cells)
 * into its answer p: the ID numbers opened from id_sealed, packed. */
static void s_page_make(const fp_seal_t *seal, const PGresult *res, char **columns, size_t ncols, const char *export_id,
                        char *county, uint64_t slice_rows, const char *limit, s_page_t *p)
{
    size_t n = (size_t)PQntuples(res), idcol = ncols;
    for (size_t c = 0; c < ncols; c++)
        if (strcmp(columns[c], "id_number") == 0) idcol = c;
    Fangpin__V1__CompareRow *rows = fp_calloc(n ? n : 1, sizeof *rows);
    Fangpin__V1__CompareRow **rowp = fp_calloc(n ? n : 1, sizeof *rowp);
    char **cells = fp_calloc(n * ncols + 1, sizeof *cells);
    char (*ids)[FP_SEAL_ID_LEN + 1] = fp_calloc(n ? n : 1, sizeof *ids);
    p->opened = true;
    for (size_t r = 0; r < n; r++) {
        fangpin__v1__compare_row__init(&rows[r]);
        rows[r].n_cells = ncols;
        rows[r].cells = &cells[r * ncols];
        for (size_t c = 0; c < ncols; c++) rows[r].cells[c] = PQgetvalue(res, (int)r, (int)(3 + c));
        if (idcol < ncols) {
            p->opened = p->opened && s_open_id(seal, res, (int)r, ids[r]);
            rows[r].cells[idcol] = ids[r];
        }
        rowp[r] = &rows[r];
    }
    p->n = (uint32_t)n;
    p->next_len = s_next_after(res, limit, p->next);
    Fangpin__V1__CompareSlice sl = FANGPIN__V1__COMPARE_SLICE__INIT;
    sl.export_id = strtoll(export_id, NULL, 10);
    sl.county = county;
    sl.n_columns = ncols;
    sl.columns = columns;
    sl.rows = slice_rows;
    sl.n_page = n;
    sl.page = rowp;
    sl.next_after.data = p->next;
    sl.next_after.len = p->next_len;
    Fangpin__V1__IntakeReply out = FANGPIN__V1__INTAKE_REPLY__INIT;
    out.result_case = FANGPIN__V1__INTAKE_REPLY__RESULT_COMPARE_SLICE;
    out.compare_slice = &sl;
    p->len = p->opened ? fangpin__v1__intake_reply__get_packed_size(&out) : 0;
    p->body = fp_malloc(p->len ? p->len : 1);
    if (p->opened) fangpin__v1__intake_reply__pack(&out, p->body);
    sodium_memzero(ids, (n ? n : 1) * sizeof *ids);
    free(ids);
    free(cells);
    free(rowp);
    free(rows);
}

/* Answers with the page read (s->page), counted on the export; frees s. */
static void s_reply_page(s_slice_t *s)
{
    if (s->page.opened)
        fp_request_reply_ok_packed(s->req, s->msg->request_id, s->page.body, s->page.len);
    else
        fp_request_refuse(s->req, s->msg->request_id, "data_key.changed",
                          "an ID number of the ledger does not open with intake's data key: restart intake with the"
                          " county's key",
                          "台账中的身份证号无法用受理服务的数据密钥解开，请用本县密钥重启受理服务");
    s_slice_free(s);
}

static void s_on_counted(fp_db_t *db, PGresult *res, void *arg)
{
    s_slice_t *s = arg;
    if (fp_request_db_failed(s->req, s->msg->request_id, res, "counting a comparison page failed")) {
        s_slice_free(s);
        return;
    }
    if (PQntuples(res) != 1) { /* not counted: nothing leaves */
        s_refuse(s, "compare.export_unknown", "your department has no export of this county with this id",
                 "本部门在本县没有该编号的比对导出");
        return;
    }
    s_reply_page(s);
}

static void s_on_ahead(fp_db_t *db, PGresult *res, void *arg);

/* Reads ahead the page after s->page when there is one (replacing the page read ahead before). */
static void s_read_ahead(s_slice_t *s)
{
    if (!s->page.next_len) return;
    intake_t *in = s->in;
    s_ahead_drop(in);
    s_ahead_t *a = fp_new(s_ahead_t);
    a->in = in;
    memcpy(a->county, s->county, sizeof a->county);
    snprintf(a->dept, sizeof a->dept, "%s", fp_request_principal(s->req)->department);
    memcpy(a->export_id, s->export_id, sizeof a->export_id);
    memcpy(a->limit, s->limit, sizeof a->limit);
    memcpy(a->after, s->page.next, s->page.next_len);
    a->after_len = s->page.next_len;
    for (size_t i = 0; i < s->ncols; i++) a->columns[i] = fp_strdup(s->columns[i]);
    a->ncols = s->ncols;
    a->rows = s->rows;
    a->page_sql = fp_strdup(s->page_sql);
    a->reading = true;
    in->cmp_ahead = a;
    char hh[S_AFTER_MAX], h[3 + 2 * FP_SEAL_HMAC_LEN];
    s_take_after(a->after, a->after_len, hh, h);
    const char *params[4] = {a->county, hh, h, a->limit};
    fp_db_query(intake_pick_db(in), FP_DB_BINARY, a->page_sql, 4, params, s_on_ahead, a);
}

/* The page s->page is read: it is counted on the export (pages, rows_sent, last_page_at) before
 * a row of it leaves (the audit says what left, not only what was asked), and the page after it
 * is read ahead meanwhile. */
static void s_page_read(s_slice_t *s)
{
    char n[16];
    snprintf(n, sizeof n, "%u", s->page.n);
    const char *params[2] = {s->export_id, n};
    fp_db_query(fp_service_db(s->in->svc), 0,
                "UPDATE compare_exports SET pages = pages + 1, rows_sent = rows_sent + $2, last_page_at = now()"
                " WHERE id = $1 RETURNING pages",
                2, params, s_on_counted, s);
    s_read_ahead(s);
}

/* A page read ahead, made into its answer: kept for its request, or handed to the request
 * already waiting for it. */
static void s_on_ahead(fp_db_t *db, PGresult *res, void *arg)
{
    s_ahead_t *a = arg;
    a->reading = false;
    s_slice_t *w = a->waiter;
    a->waiter = NULL;
    bool ok = res && PQresultStatus(res) == PGRES_TUPLES_OK;
    if (ok && (w || a->in))
        s_page_make(fp_service_seal((w ? w->in : a->in)->svc), res, a->columns, a->ncols, a->export_id, a->county,
                    a->rows, a->limit, &a->page);
    if (w && !ok) {
        if (!fp_request_db_failed(w->req, w->msg->request_id, res, "reading a comparison page failed"))
            fp_request_refuse(w->req, w->msg->request_id, "db.failed", "reading a comparison page failed: nothing was"
                              " sent", "读取比对数据失败，未发送任何数据");
        s_slice_free(w);
        w = NULL;
    } else if (w) {
        w->page = a->page;
        memset(&a->page, 0, sizeof a->page);
    }
    if (!a->in || w || !ok) { /* dropped, taken, or failed */
        if (a->in && a->in->cmp_ahead == a) a->in->cmp_ahead = NULL;
        s_ahead_free(a);
    } else {
        a->read_at = uv_now(fp_service_loop(a->in->svc));
    }
    if (w) s_page_read(w);
}

/* The request for the page read ahead (same export, county, department, cursor and page size)
 * takes it, or waits for its read: true; false when it is not that page. */
static bool s_take_ahead(s_slice_t *s, const Fangpin__V1__GetCompareSlice *g)
{
    s_ahead_t *a = s->in->cmp_ahead;
    if (!a || a->waiter || strcmp(a->export_id, s->export_id) || strcmp(a->county, s->county) ||
        strcmp(a->dept, fp_request_principal(s->req)->department) || strcmp(a->limit, s->limit) ||
        a->after_len != g->after.len || memcmp(a->after, g->after.data, a->after_len))
        return false;
    for (size_t i = 0; i < a->ncols; i++) s->columns[i] = fp_strdup(a->columns[i]);
    s->ncols = a->ncols;
    s->rows = a->rows;
    s->page_sql = fp_strdup(a->page_sql);
    if (a->reading) {
        a->waiter = s;
        return true;
    }
    s->page = a->page;
    memset(&a->page, 0, sizeof a->page);
    s_ahead_drop(s->in);
    s_page_read(s);
    return true;
}

void intake_compare_ahead_tick(intake_t *in)
{
    s_ahead_t *a = in->cmp_ahead;
    if (a && !a->reading && uv_now(fp_service_loop(in->svc)) - a->read_at > S_AHEAD_KEEP_MS) s_ahead_drop(in);
}

void intake_compare_ahead_stop(intake_t *in) { s_ahead_drop(in); }

/* Reads the page (compare_page_sql's statement, taken with the export's columns). */
static void s_on_page(fp_db_t *db, PGresult *res, void *arg)
{
    s_slice_t *s = arg;
    if (fp_request_db_failed(s->req, s->msg->request_id, res, "reading a comparison page failed")) {
        s_slice_free(s);
        return;
    }
    s_page_make(fp_service_seal(s->in->svc), res, s->columns, s->ncols, s->export_id, s->county, s->rows, s->limit,
                &s->page);
    s_page_read(s);
}

static void s_query_page(s_slice_t *s, const char *page_sql)
{
    s->page_sql = fp_strdup(page_sql);
    const char *params[4] = {s->county, s->after_hh, s->after_h, s->limit};
    fp_db_query(fp_service_db(s->in->svc), FP_DB_BINARY, s->page_sql, 4, params, s_on_page, s);
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
    s_take_after(g->after.data, g->after.len, s->after_hh, s->after_h);
    fp_db_t *db = fp_service_db(s->in->svc);
    if (g->export_id) {
        snprintf(s->export_id, sizeof s->export_id, "%lld", (long long)g->export_id);
        if (s_take_ahead(s, g)) return; /* the page read ahead */
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
