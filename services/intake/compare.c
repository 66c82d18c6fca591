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
#include "copybin.h"
#include "date.h"
#include "idcard.h"
#include "intake.h"
#include "log.h"
#include "mem.h"
#include "seal.h"

#define S_PAGE_DEFAULT 2000
#define S_PAGE_MAX 10000
#define S_MAX_COLUMNS 12 /* the columns compare_columns knows (migration 028) */
#define S_FIELDS (3 + S_MAX_COLUMNS) /* a row read: id_hmac, id_sealed, household_no, the cells */
#define S_REASON_MAX 200
#define S_AFTER_MAX (32 + 1 + FP_SEAL_HMAC_LEN) /* next_after: a household_no, a zero byte, an id_hmac */

#define S_STREAM_PAGES 2          /* pages a stream holds made and not asked for: then the database waits */
#define S_STREAM_KEEP_MS 30000    /* a stream nobody asked a page of for this long is dropped */
#define S_STREAM_ROW_MAX 65536    /* a row split across messages is kept up to this size */

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

/* The rows a page is made of, from a query's result or from a stream: field f of row r (0
 * id_hmac, 1 id_sealed, 2 household_no, 3... the cells), len bytes followed by a zero byte. */
typedef struct {
    const PGresult *res; /* read with its statement, in binary format */
    const char *cells;   /* or streamed: the fields one after the other, each with its zero byte */
    const uint32_t *off; /* where field f of row r begins: off[r * nfields + f] */
    size_t nrows, nfields;
} s_rows_t;

static const char *s_field(const s_rows_t *rs, size_t r, size_t f, size_t *len)
{
    if (rs->res) {
        *len = (size_t)PQgetlength(rs->res, (int)r, (int)f);
        return PQgetvalue(rs->res, (int)r, (int)f);
    }
    size_t i = r * rs->nfields + f;
    *len = rs->off[i + 1] - rs->off[i] - 1;
    return rs->cells + rs->off[i];
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
    bool streamed;  /* the page came from the export's stream (which goes on) */
    char *columns[S_MAX_COLUMNS]; /* the export's, owned */
    size_t ncols;
    uint64_t rows;
} s_slice_t;

/* The pages after the one just read, streamed (intake->cmp_stream, one for the whole service): as
 * soon as a page is read with its statement, the rows after it to the county's last are read with
 * one COPY in binary format (compare_stream_sql) on intake's connection for streams
 * (cmp_stream_db), and made into pages of the same size as they arrive, each into its answer as a
 * page read is; at most S_STREAM_PAGES ahead of the requests (then that connection is not read,
 * and the database waits). The database reads the county once instead of a statement a page, and
 * sends COPY's rows instead of a query's: half its time at a million rows (bench/compare/README.md).
 * The request for the next of them (same export, county, department and page size, and as its
 * cursor the next_after of the page before) is answered from it; any other is read with its
 * statement, and its page begins a stream of its own in place of this one. A page is counted on the
 * export as every page is, when asked for and before a row of it leaves: a page streamed and never
 * asked for is not counted; it is zeroed and dropped with the stream, after S_STREAM_KEEP_MS without
 * a request, when another stream begins, or when intake stops. A stream that fails (its connection
 * lost, statement_timeout, rows not as expected) ends: the pages it made are still given, and the
 * request after them is read with its statement and streams again. */
struct intake_cmp_stream {
    intake_t *in; /* NULL once dropped while the connection still had its work (the work's end frees it) */
    char county[7], dept[40], export_id[24], limit[16];
    char *columns[S_MAX_COLUMNS]; /* the export's, owned */
    size_t ncols;
    uint64_t rows;
    char *page_sql;
    uint32_t page_rows;
    uint8_t expect[S_AFTER_MAX]; /* the cursor of the next page to give: the page before's next_after */
    size_t expect_len;
    s_page_t ready[S_STREAM_PAGES + 1]; /* made, in order, not asked for yet (+1: the last, short page) */
    size_t nready;
    fp_buf_t cells; /* the page being made: its rows' fields, each with a zero byte */
    uint32_t *off;  /* where each begins, page_rows * nfields + 1 of them */
    size_t nrows;
    fp_buf_t partial; /* the start of a row whose end is in the next message */
    bool header;      /* the COPY's header was read */
    bool busy;        /* the connection has its work (the statement's text, then the COPY) */
    bool copying;     /* ... and it is the COPY */
    bool waiting_db;  /* begun while its connection was not up: its work is sent when it comes up */
    bool ended;       /* every row was read and made into pages (the last shorter than the others) */
    bool failed;
    s_slice_t *waiter; /* the request for the next page, come before the page was made */
    uint64_t used_at;  /* uv_now when begun or last asked */
};
typedef struct intake_cmp_stream s_stream_t;

static void s_slice_free(s_slice_t *s)
{
    for (size_t i = 0; i < s->ncols; i++) free(s->columns[i]);
    free(s->page_sql);
    s_page_free(&s->page);
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
static size_t s_next_after(const s_rows_t *rs, const char *limit, uint8_t next[S_AFTER_MAX])
{
    size_t n = rs->nrows, hl, bl;
    if (n == 0 || n != strtoul(limit, NULL, 10)) return 0;
    const char *hh = s_field(rs, n - 1, 2, &hl), *h = s_field(rs, n - 1, 0, &bl);
    if (hl + 1 + bl > S_AFTER_MAX) return 0; /* not a household_no and an id_hmac: no more pages */
    memcpy(next, hh, hl);
    next[hl] = 0;
    memcpy(next + hl + 1, h, bl);
    return hl + 1 + bl;
}

/* Makes the rows read (id_hmac, id_sealed, household_no, then the cells) into their page's answer
 * p: the ID numbers opened from id_sealed, packed. */
static void s_page_make(const fp_seal_t *seal, const s_rows_t *rs, char **columns, size_t ncols, const char *export_id,
                        char *county, uint64_t slice_rows, const char *limit, s_page_t *p)
{
    size_t n = rs->nrows, idcol = ncols, len;
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
        for (size_t c = 0; c < ncols; c++) rows[r].cells[c] = (char *)s_field(rs, r, 3 + c, &len);
        if (idcol < ncols) {
            const char *sealed = s_field(rs, r, 1, &len);
            p->opened = p->opened && fp_seal_open(seal, (const uint8_t *)sealed, len, ids[r]) == 0;
            rows[r].cells[idcol] = ids[r];
        }
        rowp[r] = &rows[r];
    }
    p->n = (uint32_t)n;
    p->next_len = s_next_after(rs, limit, p->next);
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

static void s_stream_begin(s_slice_t *s);
static void s_read_page(s_slice_t *s);

/* The page s->page is read: it is counted on the export (pages, rows_sent, last_page_at) before
 * a row of it leaves (the audit says what left, not only what was asked); a page read with its
 * statement begins the stream of the pages after it meanwhile. */
static void s_page_read(s_slice_t *s)
{
    char n[16];
    snprintf(n, sizeof n, "%u", s->page.n);
    const char *params[2] = {s->export_id, n};
    if (!s->streamed) s_stream_begin(s);
    fp_db_query(fp_service_db(s->in->svc), 0,
                "UPDATE compare_exports SET pages = pages + 1, rows_sent = rows_sent + $2, last_page_at = now()"
                " WHERE id = $1 RETURNING pages",
                2, params, s_on_counted, s);
}

/* ---- the stream --------------------------------------------------------------------------- */

/* A buffer of ledger rows (names, sealed ID numbers), zeroed and freed. */
static void s_zero_free(fp_buf_t *b)
{
    if (b->data) sodium_memzero(b->data, b->len);
    fp_buf_free(b);
}

static void s_stream_free(s_stream_t *st)
{
    for (size_t i = 0; i < st->ncols; i++) free(st->columns[i]);
    free(st->page_sql);
    for (size_t i = 0; i < st->nready; i++) s_page_free(&st->ready[i]);
    s_zero_free(&st->cells);
    s_zero_free(&st->partial);
    free(st->off);
    free(st);
}

/* The request waiting for the stream's next page gets it read with its statement instead. */
static void s_stream_unwait(s_stream_t *st)
{
    s_slice_t *w = st->waiter;
    st->waiter = NULL;
    if (w) {
        w->streamed = false;
        s_read_page(w);
    }
}

/* Drops the stream, if any: its pages zeroed and freed, its COPY ended with its connection. */
static void s_stream_drop(intake_t *in)
{
    s_stream_t *st = in->cmp_stream;
    in->cmp_stream = NULL;
    if (!st) return;
    s_stream_unwait(st);
    if (!st->busy) {
        s_stream_free(st);
        return;
    }
    st->in = NULL; /* its work's end frees it */
    if (st->copying) fp_db_destroy(&in->cmp_stream_db); /* the COPY ends now (NULL result) */
}

/* The stream's next page, made: to the request waiting for it, or kept. */
static void s_stream_give(s_stream_t *st)
{
    s_slice_t *w = st->waiter;
    if (!w || st->nready == 0) return;
    st->waiter = NULL;
    w->page = st->ready[0];
    memmove(&st->ready[0], &st->ready[1], --st->nready * sizeof st->ready[0]);
    memset(&st->ready[st->nready], 0, sizeof st->ready[0]);
    memcpy(st->expect, w->page.next, w->page.next_len);
    st->expect_len = w->page.next_len;
    s_page_read(w);
}

/* Makes the rows gathered into the next page (the last one when fewer than a page). */
static void s_stream_page(s_stream_t *st)
{
    size_t nf = 3 + st->ncols;
    st->off[st->nrows * nf] = (uint32_t)st->cells.len;
    s_rows_t rs = {.cells = st->cells.data, .off = st->off, .nrows = st->nrows, .nfields = nf};
    s_page_make(fp_service_seal(st->in->svc), &rs, st->columns, st->ncols, st->export_id, st->county, st->rows,
                st->limit, &st->ready[st->nready++]);
    if (st->cells.data) sodium_memzero(st->cells.data, st->cells.len);
    st->cells.len = 0;
    st->nrows = 0;
    s_stream_give(st);
}

/* Takes one row of the COPY (r) into the page being made: false when it is not a row of the
 * export's statement. */
static bool s_stream_take(s_stream_t *st, const fp_copybin_row_t *r)
{
    size_t nf = 3 + st->ncols;
    if ((size_t)r->n != nf) return false;
    for (size_t f = 0; f < nf; f++) {
        st->off[st->nrows * nf + f] = (uint32_t)st->cells.len;
        if (r->len[f] > 0) fp_buf_append(&st->cells, r->v[f], (size_t)r->len[f]);
        fp_buf_append(&st->cells, "", 1);
    }
    if (++st->nrows == st->page_rows) s_stream_page(st);
    return true;
}

/* Reads the rows in n bytes at p (after what was left of the message before): how many were
 * used; the stream fails on what is not the export's rows. */
static size_t s_stream_parse(void *arg, const uint8_t *p, size_t n)
{
    s_stream_t *st = arg;
    size_t off = 0, used;
    fp_copybin_row_t r;
    /* PostgreSQL sends a row a message, so a message makes at most one page; bytes past a full
     * queue wait in partial (and a COPY that ends with some left has failed: its pages are read
     * with their statements) */
    while (off < n && !st->failed && !st->ended && st->nready <= S_STREAM_PAGES) {
        fp_err_t e = st->header ? fp_copybin_row(p + off, n - off, &used, &r) : fp_copybin_header(p + off, n - off, &used);
        if (e == FP_EAGAIN) break;
        if (e == FP_ENOTFOUND) { /* the trailer: the rows after the last full page are the last page */
            off += used;
            st->ended = true;
            s_stream_page(st);
            s_zero_free(&st->cells);
            free(st->off);
            st->off = NULL;
        } else if (e != FP_OK || (st->header && !s_stream_take(st, &r))) {
            st->failed = true;
        } else {
            st->header = true;
            off += used;
        }
    }
    return off;
}

static bool s_on_stream_row(fp_db_t *db, const char *data, size_t len, void *arg)
{
    s_stream_t *st = arg;
    if (!st->in || st->failed) return false;
    fp_copybin_feed(&st->partial, data, len, s_stream_parse, st);
    if (st->partial.len > S_STREAM_ROW_MAX) st->failed = true;
    if (st->failed && st->nready == 0) s_stream_unwait(st);
    return !st->failed && st->nready < S_STREAM_PAGES; /* failed: paused until dropped */
}

static void s_on_stream_end(fp_db_t *db, PGresult *res, void *arg)
{
    s_stream_t *st = arg;
    st->busy = st->copying = false;
    if (!st->in) {
        s_stream_free(st);
        return;
    }
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK || !st->ended) {
        if (!st->failed || res)
            fp_log_info("streaming a comparison export ended early: its next page is read with its statement",
                        "export_id", st->export_id, "error", res ? fp_db_errmsg(res) : "the connection went away");
        st->failed = true;
        if (st->nready == 0) s_stream_unwait(st);
    }
}

static void s_on_stream_sql(fp_db_t *db, PGresult *res, void *arg)
{
    s_stream_t *st = arg;
    if (!st->in) {
        st->busy = false;
        s_stream_free(st);
        return;
    }
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
        st->busy = false;
        st->failed = true;
        s_stream_unwait(st);
        return;
    }
    st->copying = true;
    fp_db_copy_out(db, FP_DB_FRONT, PQgetvalue(res, 0, 0), s_on_stream_row, s_on_stream_end, st);
}

/* Sends the stream's work to its connection: the COPY's statement, then the COPY. */
static void s_stream_send(s_stream_t *st)
{
    char hh[S_AFTER_MAX], h[3 + 2 * FP_SEAL_HMAC_LEN];
    s_take_after(st->expect, st->expect_len, hh, h);
    const char *params[4] = {st->export_id, st->county, hh, h};
    st->waiting_db = false;
    st->busy = true;
    fp_db_query(st->in->cmp_stream_db, 0, "SELECT compare_stream_sql($1, $2, $3, $4::bytea)", 4, params,
                s_on_stream_sql, st);
}

/* The streams' connection came up (the first time, or again): a stream begun meanwhile starts. */
static void s_on_stream_db(fp_db_t *db, bool up, void *arg)
{
    intake_t *in = arg;
    if (up && in->cmp_stream && in->cmp_stream->waiting_db) s_stream_send(in->cmp_stream);
}

/* Begins the stream of the pages after s->page (read with its statement), in place of the one
 * before; none after the last page. The streams' connection is made the first time; a stream
 * begun before it is up starts when it comes up (its pages are read with their statements until
 * then). */
static void s_stream_begin(s_slice_t *s)
{
    intake_t *in = s->in;
    s_stream_drop(in);
    if (!s->page.next_len) return;
    if (!in->cmp_stream_db && !(in->cmp_stream_db = intake_new_db(in, s_on_stream_db, NULL)))
        return; /* no stream: each page read with its statement */
    s_stream_t *st = fp_new(s_stream_t);
    st->in = in;
    memcpy(st->county, s->county, sizeof st->county);
    snprintf(st->dept, sizeof st->dept, "%s", fp_request_principal(s->req)->department);
    memcpy(st->export_id, s->export_id, sizeof st->export_id);
    memcpy(st->limit, s->limit, sizeof st->limit);
    st->page_rows = (uint32_t)strtoul(s->limit, NULL, 10);
    for (size_t i = 0; i < s->ncols; i++) st->columns[i] = fp_strdup(s->columns[i]);
    st->ncols = s->ncols;
    st->rows = s->rows;
    st->page_sql = fp_strdup(s->page_sql);
    st->off = fp_calloc((size_t)st->page_rows * (3 + s->ncols) + 1, sizeof *st->off);
    memcpy(st->expect, s->page.next, s->page.next_len);
    st->expect_len = s->page.next_len;
    st->used_at = uv_now(fp_service_loop(in->svc));
    in->cmp_stream = st;
    if (fp_db_is_up(in->cmp_stream_db)) s_stream_send(st);
    else st->waiting_db = true;
}

/* The request for the stream's next page (same export, county, department, page size and
 * cursor) takes it, or waits for it to be made: true; false when it is not that page, or the
 * stream failed before making it (then it is read with its statement). */
static bool s_stream_take_page(s_slice_t *s, const Fangpin__V1__GetCompareSlice *g)
{
    s_stream_t *st = s->in->cmp_stream;
    if (!st || st->waiter || strcmp(st->export_id, s->export_id) || strcmp(st->county, s->county) ||
        strcmp(st->dept, fp_request_principal(s->req)->department) || strcmp(st->limit, s->limit) ||
        st->expect_len != g->after.len || memcmp(st->expect, g->after.data, st->expect_len) ||
        (st->nready == 0 && (st->failed || st->ended || st->waiting_db)))
        return false;
    for (size_t i = 0; i < st->ncols; i++) s->columns[i] = fp_strdup(st->columns[i]);
    s->ncols = st->ncols;
    s->rows = st->rows;
    s->page_sql = fp_strdup(st->page_sql);
    s->streamed = true;
    st->used_at = uv_now(fp_service_loop(s->in->svc));
    st->waiter = s;
    s_stream_give(st);
    if (s->in->cmp_stream == st && st->busy) fp_db_copy_out_resume(s->in->cmp_stream_db);
    return true;
}

void intake_compare_stream_tick(intake_t *in)
{
    s_stream_t *st = in->cmp_stream;
    if (st && !st->waiter && uv_now(fp_service_loop(in->svc)) - st->used_at > S_STREAM_KEEP_MS) s_stream_drop(in);
}

void intake_compare_stream_stop(intake_t *in)
{
    s_stream_drop(in);
    fp_db_destroy(&in->cmp_stream_db);
}


/* Reads the page (compare_page_sql's statement, taken with the export's columns). */
static void s_on_page(fp_db_t *db, PGresult *res, void *arg)
{
    s_slice_t *s = arg;
    if (fp_request_db_failed(s->req, s->msg->request_id, res, "reading a comparison page failed")) {
        s_slice_free(s);
        return;
    }
    s_rows_t rs = {.res = res, .nrows = (size_t)PQntuples(res)};
    s_page_make(fp_service_seal(s->in->svc), &rs, s->columns, s->ncols, s->export_id, s->county, s->rows, s->limit,
                &s->page);
    s_page_read(s);
}

static void s_read_page(s_slice_t *s)
{
    const char *params[4] = {s->county, s->after_hh, s->after_h, s->limit};
    fp_db_query(fp_service_db(s->in->svc), FP_DB_BINARY, s->page_sql, 4, params, s_on_page, s);
}

static void s_query_page(s_slice_t *s, const char *page_sql)
{
    s->page_sql = fp_strdup(page_sql);
    s_read_page(s);
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
        if (s_stream_take_page(s, g)) return; /* the export's next page, streamed */
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
