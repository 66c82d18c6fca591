/* compare.c: `fangpinctl compare export|import`, data comparison with departments (数据比对,
 * docs/compare.md). A department's PC reaches intake with the department's key, never the
 * database: export asks for the ledger slice it compares page by page (GetCompareSlice, audited
 * by intake) and writes it as CSV (UTF-8 with BOM) or XLSX with Chinese headers; import reads the
 * department's answer file (CSV or XLSX, domain/compare.h's columns), checks every line before
 * anything is sent, and sends the answers in batches whose ids come from the file's digest
 * (SubmitCompareAnswers): the same file again changes nothing. 民政's 低保 persons that intake
 * names as not in the ledger become leads minzheng.dibao_new (SubmitLeads), when the file gives
 * their 姓名, 村代码 and 纳入日期. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "compare.h"
#include "csv.h"
#include "date.h"
#include "ctl.h"
#include "digest.h"
#include "fangpin/v1/intake.pb-c.h"
#include "xlsx.h"

#define S_ANSWERS_PER_BATCH 10000 /* FANGPIN_INTAKE_MAX_BATCH's default: the fewest round trips */
#define S_XLSX_MAX_ROWS 1048576

typedef struct {
    const char *dept, *reason, *out, *columns, *county, *export_id, *file, *wait;
    ctl_peer_t peer;
} s_cmp_t;

/* One request to intake with the department's key: the reply when OK (the caller frees it), else
 * NULL after printing why. */
static Fangpin__V1__IntakeReply *s_call(s_cmp_t *c, Fangpin__V1__IntakeRequest *req, const char *what)
{
    char rid[96];
    static unsigned seq; /* the import's senders call this at once (s_import) */
    snprintf(rid, sizeof rid, "compare-%s-%ld-%ld-%u", what, (long)time(NULL), (long)getpid(),
             __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
    req->request_id = rid;
    size_t len = fangpin__v1__intake_request__get_packed_size(req);
    uint8_t *buf = fp_malloc(len ? len : 1);
    fangpin__v1__intake_request__pack(req, buf);
    zmq_msg_t m;
    int rc = ctl_peer_request(&c->peer, buf, len, &m);
    free(buf);
    if (rc != 0) return NULL;
    Fangpin__V1__IntakeReply *rep = fangpin__v1__intake_reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    if (!rep || !rep->status) {
        fprintf(stderr, "compare: the intake service's answer is not readable\n");
    } else if (rep->status->code != FANGPIN__V1__CODE__OK && rep->status->code != FANGPIN__V1__CODE__PARTIAL) {
        fprintf(stderr, "compare: refused: %s: %s (%s)\n", rep->status->reason, rep->status->message,
                rep->status->message_zh);
    } else {
        return rep;
    }
    if (rep) fangpin__v1__intake_reply__free_unpacked(rep, NULL);
    return NULL;
}

/* ---- export ----------------------------------------------------------------------------- */

typedef struct {
    bool xlsx;
    fp_csv_file_t csv;
    lxw_workbook *wb;
    lxw_worksheet *ws;
    fp_buf_t tmp;
    lxw_row_t row;
    lxw_error e;
} s_out_t;

static bool s_is_xlsx(const char *path)
{
    size_t n = strlen(path);
    return n > 5 && strcasecmp(path + n - 5, ".xlsx") == 0;
}

static int s_out_open(s_out_t *o, const char *path, const Fangpin__V1__CompareSlice *sl)
{
    fp_buf_t head = {0};
    const char **zh = fp_calloc(sl->n_columns + 1, sizeof *zh);
    for (size_t i = 0; i < sl->n_columns; i++) zh[i] = fp_compare_column_zh(sl->columns[i]);
    for (size_t i = 0; i < sl->n_columns; i++) zh[i] = zh[i] ? zh[i] : sl->columns[i];
    int rc = 0;
    o->xlsx = s_is_xlsx(path);
    if (o->xlsx) {
        fp_buf_printf(&o->tmp, "%s.tmp%ld", path, (long)getpid());
        lxw_workbook_options opt = {.constant_memory = LXW_TRUE};
        o->wb = workbook_new_opt(o->tmp.data, &opt);
        o->ws = o->wb ? workbook_add_worksheet(o->wb, "比对数据") : NULL;
        lxw_format *bold = o->ws ? workbook_add_format(o->wb) : NULL;
        if (bold) format_set_bold(bold);
        for (size_t i = 0; o->ws && i < sl->n_columns && !o->e; i++)
            o->e = worksheet_write_string(o->ws, 0, (lxw_col_t)i, zh[i], bold);
        if (!o->ws) rc = -1;
        o->row = 1;
    } else {
        fp_csv_put_row(&head, zh, sl->n_columns);
        while (head.len && (head.data[head.len - 1] == '\n' || head.data[head.len - 1] == '\r')) head.data[--head.len] = 0;
        rc = fp_csv_file_open(&o->csv, path, head.data);
    }
    if (rc) fprintf(stderr, "compare: cannot write %s: %s\n", path, strerror(errno));
    free(zh);
    fp_buf_free(&head);
    return rc;
}

static void s_out_row(s_out_t *o, const Fangpin__V1__CompareRow *r)
{
    if (!o->xlsx) {
        fp_csv_file_row(&o->csv, (const char *const *)r->cells, r->n_cells);
        return;
    }
    if (o->row >= S_XLSX_MAX_ROWS) o->e = LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE;
    for (size_t c = 0; c < r->n_cells && !o->e; c++)
        if (r->cells[c][0]) o->e = worksheet_write_string(o->ws, o->row, (lxw_col_t)c, r->cells[c], NULL);
    o->row++;
}

static int s_out_close(s_out_t *o, const char *path)
{
    int rc = 0;
    if (!o->xlsx) {
        rc = fp_csv_file_close(&o->csv, path);
        if (rc) fprintf(stderr, "compare: cannot write %s: %s\n", path, strerror(errno));
        return rc;
    }
    lxw_error closed = o->wb ? workbook_close(o->wb) : LXW_ERROR_CREATING_XLSX_FILE;
    if (!o->e) o->e = closed;
    if (o->e || rename(o->tmp.data, path) != 0) {
        fprintf(stderr, "compare: cannot write %s: %s\n", path, o->e ? lxw_strerror(o->e) : strerror(errno));
        unlink(o->tmp.data);
        rc = -1;
    }
    fp_buf_free(&o->tmp);
    return rc;
}

/* A failed export's file: its temporary file removed, nothing renamed into place. */
static void s_out_abort(s_out_t *o)
{
    if (!o->xlsx) {
        o->csv.bad = true; /* close removes the temporary file */
        (void)fp_csv_file_close(&o->csv, "");
        return;
    }
    if (o->wb) workbook_close(o->wb);
    unlink(o->tmp.data);
    fp_buf_free(&o->tmp);
}

/* Splits --columns a,b,c into req's columns (pointers into cols, which it cuts). */
static void s_columns(Fangpin__V1__GetCompareSlice *g, char *cols, char **slots, size_t max)
{
    g->columns = slots;
    for (char *t = cols ? strtok(cols, ",") : NULL; t && g->n_columns < max; t = strtok(NULL, ","))
        slots[g->n_columns++] = t;
}

/* The export's pages are written by a thread of their own, one page behind the requests: while
 * a page is written to the file, the next is already asked for and read by intake (instead of
 * intake and the database waiting for the file, and the file for them). One page waits at most:
 * the memory is two or three pages whatever the slice's size. */
typedef struct {
    s_out_t *o;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    Fangpin__V1__IntakeReply *slot; /* the page to write next, NULL when none */
    bool done;                      /* no more pages */
    uint64_t written;
} s_writer_t;

static void *s_writer_run(void *arg)
{
    s_writer_t *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (!w->slot && !w->done) pthread_cond_wait(&w->cv, &w->mu);
        Fangpin__V1__IntakeReply *rep = w->slot;
        w->slot = NULL;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        if (!rep) return NULL;
        const Fangpin__V1__CompareSlice *sl = rep->compare_slice;
        for (size_t i = 0; i < sl->n_page; i++) s_out_row(w->o, sl->page[i]);
        w->written += sl->n_page;
        fangpin__v1__intake_reply__free_unpacked(rep, NULL);
    }
}

/* Hands a page to the writer (waiting while the one before is still waiting); NULL: no more. */
static void s_writer_put(s_writer_t *w, Fangpin__V1__IntakeReply *rep)
{
    pthread_mutex_lock(&w->mu);
    while (w->slot) pthread_cond_wait(&w->cv, &w->mu);
    w->slot = rep;
    w->done = rep == NULL;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* The export's first page: the file opened (its name from the export's id when --out is not
 * given), the export announced; 0, or -1 when the file cannot be written. */
static int s_export_first(s_cmp_t *c, const Fangpin__V1__CompareSlice *sl, s_out_t *o, char *path, size_t size)
{
    snprintf(path, size, "%s", c->out ? c->out : "");
    if (!c->out) snprintf(path, size, "compare-%s-%lld.csv", c->dept, (long long)sl->export_id);
    if (s_out_open(o, path, sl)) return -1;
    printf("export %lld of %s/%s: %llu rows\n", (long long)sl->export_id, sl->county, c->dept,
           (unsigned long long)sl->rows);
    fflush(stdout);
    return 0;
}

static int s_export(s_cmp_t *c)
{
    char *cols = c->columns ? fp_strdup(c->columns) : NULL, *slots[16];
    Fangpin__V1__GetCompareSlice g = FANGPIN__V1__GET_COMPARE_SLICE__INIT;
    g.reason = (char *)c->reason;
    g.county = (char *)(c->county ? c->county : "");
    g.limit = 10000; /* the largest page intake gives: the fewest round trips */
    s_columns(&g, cols, slots, 16);
    s_out_t o = {0};
    char path[1024];
    s_writer_t w = {.o = &o, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    pthread_t th;
    bool writing = false;
    int rc = 1;
    for (bool first = true;; first = false) {
        Fangpin__V1__IntakeRequest req = FANGPIN__V1__INTAKE_REQUEST__INIT;
        req.op_case = FANGPIN__V1__INTAKE_REQUEST__OP_GET_COMPARE_SLICE;
        req.get_compare_slice = &g;
        Fangpin__V1__IntakeReply *rep = s_call(c, &req, "export");
        if (!rep) break;
        const Fangpin__V1__CompareSlice *sl = rep->compare_slice;
        if (first) {
            g.export_id = sl->export_id;
            g.n_columns = 0;
            bool opened = s_export_first(c, sl, &o, path, sizeof path) == 0;
            writing = opened && pthread_create(&th, NULL, s_writer_run, &w) == 0;
            if (opened && !writing) s_out_abort(&o);
            if (!writing) {
                fangpin__v1__intake_reply__free_unpacked(rep, NULL);
                break;
            }
        }
        free(g.after.data);
        g.after.len = sl->next_after.len;
        g.after.data = fp_malloc(g.after.len ? g.after.len : 1);
        if (g.after.len) memcpy(g.after.data, sl->next_after.data, g.after.len);
        s_writer_put(&w, rep); /* written while the next page is asked for */
        if (g.after.len == 0) {
            rc = 0;
            break;
        }
    }
    if (writing) {
        s_writer_put(&w, NULL);
        pthread_join(th, NULL);
        if (rc) s_out_abort(&o); /* a failed export leaves no file */
        else if (s_out_close(&o, path)) rc = 1;
        else printf("wrote %llu rows to %s\n", (unsigned long long)w.written, path);
    }
    free(g.after.data);
    free(cols);
    return rc;
}

/* ---- import ----------------------------------------------------------------------------- */

/* One answer of the file, as it is kept until sent: 40 bytes (a million lines are 40 MB to write
 * and fault in, not the 300 MB of an answer with its values and lead cells in place). */
typedef struct {
    char id[19];
    uint8_t nfacts;
    uint8_t col[FP_COMPARE_MAX_FACTS]; /* each fact's column in s_file_t's cols */
    unsigned long line;                /* the file's line (line_ref: in decimal) */
    size_t values;                     /* offset in s_file_t's values: nfacts NUL-terminated values */
} s_answer_t;

/* For a lead of a 低保 person not in the ledger (民政): 姓名, 村代码, 纳入日期. Kept beside the
 * answers only when the file has the three columns. */
typedef struct {
    char name[96], village[16], since[11];
} s_lead_t;

typedef struct {
    const char *dept;
    int idcol;
    const fp_compare_fact_t *cols[64]; /* by column, NULL for the others */
    int namecol, villagecol, sincecol;   /* the lead columns (-1: absent) */
    size_t width;
    s_answer_t *a;
    s_lead_t *lead; /* beside a when the file has the lead columns, else NULL */
    fp_buf_t values;
    size_t n, cap;
    unsigned bad;
} s_file_t;

/* The file has 姓名, 村代码 and 纳入日期: its answers keep their lead cells (s_lead_cells). */
static bool s_has_leads(const s_file_t *f) { return f->namecol >= 0 && f->villagecol >= 0 && f->sincecol >= 0; }

/* Answer a's values, in the order of its facts. */
static void s_values(const s_file_t *f, const s_answer_t *a, const char *out[FP_COMPARE_MAX_FACTS])
{
    const char *v = f->values.data + a->values;
    for (size_t j = 0; j < a->nfacts; j++, v += strlen(v) + 1) out[j] = v;
}

static int s_header(s_file_t *f, const fp_csv_record_t *r)
{
    f->idcol = f->namecol = f->villagecol = f->sincecol = -1;
    f->width = r->nfields < 64 ? r->nfields : 64;
    size_t facts = 0;
    for (size_t i = 0; i < f->width; i++) {
        const char *h = r->fields[i];
        if (i == 0 && strncmp(h, "\xEF\xBB\xBF", 3) == 0) h += 3;
        f->cols[i] = fp_compare_fact_by_header(f->dept, h);
        facts += f->cols[i] != NULL;
        if (strcmp(h, FP_COMPARE_ID_HEADER) == 0) f->idcol = (int)i;
        if (strcmp(h, "姓名") == 0) f->namecol = (int)i;
        if (strcmp(h, "村代码") == 0) f->villagecol = (int)i;
        if (strcmp(h, "纳入日期") == 0) f->sincecol = (int)i;
    }
    if (f->idcol < 0 || facts == 0) {
        fprintf(stderr, "compare: the answer file's first line must name 身份证号 and at least one of %s's columns"
                        " (docs/compare.md)\n", f->dept);
        return -1;
    }
    return 0;
}

/* The cells a lead needs (trimmed of spaces; a date as YYYY-MM-DD). Read only when the file has
 * the three columns (s_has_leads): a file without one of them makes no lead (s_lead_ready). */
static void s_lead_cells(const s_file_t *f, const fp_csv_record_t *r, s_lead_t *a)
{
    const int cols[3] = {f->namecol, f->villagecol, f->sincecol};
    char *out[3] = {a->name, a->village, a->since};
    const size_t size[3] = {sizeof a->name, sizeof a->village, sizeof a->since};
    for (int k = 0; k < 3; k++) {
        if (cols[k] < 0 || (size_t)cols[k] >= r->nfields) continue;
        const char *v = r->fields[cols[k]];
        while (*v == ' ') v++;
        size_t n = strlen(v);
        while (n && v[n - 1] == ' ') n--;
        if (k < 2 && n < size[k]) snprintf(out[k], size[k], "%.*s", (int)n, v);
        int32_t d;
        char day[16];
        snprintf(day, sizeof day, "%.*s", (int)(n < 15 ? n : 15), v);
        if (k == 2 && fp_date_parse(day, &d) == FP_OK) fp_date_format(d, out[k]);
    }
}

/* n in decimal into out (at least 21 bytes). A million lines of snprintf for the line refs and
 * the ID numbers were a fifth of reading the file. */
static void s_utoa(unsigned long n, char *out)
{
    char tmp[21];
    size_t k = 0;
    do tmp[k++] = (char)('0' + n % 10);
    while ((n /= 10) != 0);
    for (size_t i = 0; i < k; i++) out[i] = tmp[k - 1 - i];
    out[k] = '\0';
}

static void s_line(s_file_t *f, const fp_csv_record_t *r)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 256;
        f->a = fp_realloc(f->a, f->cap * sizeof *f->a);
        if (s_has_leads(f)) f->lead = fp_realloc(f->lead, f->cap * sizeof *f->lead);
    }
    s_answer_t *a = &f->a[f->n];
    memset(a, 0, sizeof *a);
    a->line = r->line;
    a->values = f->values.len;
    const char *id = (size_t)f->idcol < r->nfields ? r->fields[f->idcol] : "";
    while (*id == ' ') id++;
    size_t idn = strnlen(id, 18);
    memcpy(a->id, id, idn); /* a->id is zeroed: NUL-terminated */
    if (a->id[17] == 'x') a->id[17] = 'X';
    if (f->lead) {
        memset(&f->lead[f->n], 0, sizeof *f->lead);
        s_lead_cells(f, r, &f->lead[f->n]);
    }
    bool refused = false;
    for (size_t i = 0; i < f->width && i < r->nfields && !refused; i++) {
        if (!f->cols[i]) continue;
        fp_buf_reserve(&f->values, FP_COMPARE_VALUE_MAX);
        char *value = f->values.data + f->values.len;
        int v = fp_compare_value(f->cols[i], r->fields[i], value, FP_COMPARE_VALUE_MAX);
        if (v < 0) {
            if (++f->bad <= 20)
                fprintf(stderr, "compare: line %lu: %s: \"%.40s\" is not a value of this column\n", r->line,
                        f->cols[i]->header_zh, r->fields[i]);
            refused = true;
        } else if (v == 0 && a->nfacts < FP_COMPARE_MAX_FACTS) {
            a->col[a->nfacts++] = (uint8_t)i;
            f->values.len += strlen(value) + 1;
        }
    }
    if (!refused && (strlen(a->id) != 18 || strlen(id) > 18)) {
        if (++f->bad <= 20) fprintf(stderr, "compare: line %lu: 身份证号 is not 18 characters\n", r->line);
        refused = true;
    }
    if (!refused && a->nfacts) f->n++;
    else f->values.len = a->values; /* the line's values go with it */
}

/* Reads every line of the answer file (CSV or XLSX): 0, or -1 after printing why. */
static int s_read(s_file_t *f, const fp_buf_t *data, const char *path)
{
    bool header = false;
    const fp_csv_record_t *r = NULL;
    if (fp_xlsx_is_zip(data->data, data->len)) {
        fp_xlsx_t *x = fp_xlsx_new();
        fp_err_t e = fp_xlsx_open(x, data->data, data->len);
        while (!e && (e = fp_xlsx_next(x, &r)) == FP_OK && r) {
            if (header) s_line(f, r);
            else if (s_header(f, r)) break;
            header = true;
        }
        if (e) fprintf(stderr, "compare: %s: %s\n", path, fp_xlsx_error(x));
        fp_xlsx_destroy(&x);
        return e || !header || f->bad ? -1 : 0;
    }
    fp_csv_t *csv = fp_csv_new();
    fp_err_t e = FP_OK;
    for (size_t off = 0, used; !e && off < data->len; off += used) {
        e = fp_csv_feed(csv, data->data + off, data->len - off, &used, &r);
        if (!e && r && header) s_line(f, r);
        else if (!e && r && s_header(f, r)) e = FP_EINVAL;
        header = header || (r && !e);
    }
    if (!e && (e = fp_csv_finish(csv, &r)) == FP_OK && r && header) s_line(f, r);
    if (e && fp_csv_error(csv, NULL)[0]) fprintf(stderr, "compare: %s: %s\n", path, fp_csv_error(csv, NULL));
    fp_csv_destroy(&csv);
    return e || !header || f->bad ? -1 : 0;
}


/* How long intake may hold the last batch's answer for its rules' run (wait_ms): what is left
 * of --wait, at most three quarters of FANGPIN_TIMEOUT_MS (the answer must come before the
 * request is given up). */
static uint32_t s_hold_ms(const s_cmp_t *c, time_t until)
{
    long long left = ((long long)until - (long long)time(NULL)) * 1000, most = c->peer.timeout_ms * 3LL / 4;
    return left <= 0 ? 0 : (uint32_t)(left < most ? left : most);
}

/* The last batch's rules are due: the assistance service runs them at once, and intake holds the
 * batch's answer until their run is committed (wait_ms). Sends the same batch again (replayed:
 * nothing is stored twice) while the answer still says queued, for at most --wait seconds
 * (default 3600; 0: not at all). The last answer (the caller frees it), NULL when a call failed. */
static Fangpin__V1__IntakeReply *s_wait_rules(s_cmp_t *c, Fangpin__V1__IntakeRequest *req,
                                              Fangpin__V1__IntakeReply *rep, time_t until)
{
    if (until > time(NULL))
        printf("the rules are queued: waiting for the assistance service's run (at most %lds)\n",
               (long)(until - time(NULL)));
    while (rep && rep->compare_answers->rules_queued && s_hold_ms(c, until) > 0) {
        fangpin__v1__intake_reply__free_unpacked(rep, NULL);
        time_t sent = time(NULL);
        req->submit_compare_answers->wait_ms = s_hold_ms(c, until);
        rep = s_call(c, req, "import");
        /* an intake that does not hold answers (older than wait_ms) is asked once a second */
        if (rep && rep->compare_answers->rules_queued && time(NULL) - sent < 1)
            nanosleep(&(struct timespec){.tv_sec = 1}, NULL);
    }
    if (rep && rep->compare_answers->rules_queued)
        printf("the rules are still queued: the assistance service runs them; their findings appear in"
               " ListFindings, and this import again prints them\n");
    return rep;
}
/* Sends answers [from, to) as batch k; prints its counts: 0, or 1. */
static int s_send(s_cmp_t *c, const s_file_t *f, size_t from, size_t to, const char *digest, size_t k,
                  unsigned *opened, bool *unmatched)
{
    size_t n = to - from;
    Fangpin__V1__CompareAnswer *ans = fp_calloc(n, sizeof *ans), **ansp = fp_calloc(n, sizeof *ansp);
    Fangpin__V1__CompareFact *facts = fp_calloc(n * FP_COMPARE_MAX_FACTS, sizeof *facts);
    Fangpin__V1__CompareFact **factp = fp_calloc(n * FP_COMPARE_MAX_FACTS, sizeof *factp);
    char(*lines)[21] = fp_calloc(n, sizeof *lines);
    for (size_t i = 0; i < n; i++) {
        const s_answer_t *a = &f->a[from + i];
        const char *values[FP_COMPARE_MAX_FACTS];
        s_values(f, a, values);
        s_utoa(a->line, lines[i]);
        fangpin__v1__compare_answer__init(&ans[i]);
        ans[i].id_number = (char *)a->id;
        ans[i].line_ref = lines[i];
        ans[i].n_facts = a->nfacts;
        ans[i].facts = &factp[i * FP_COMPARE_MAX_FACTS];
        for (size_t j = 0; j < a->nfacts; j++) {
            Fangpin__V1__CompareFact *cf = &facts[i * FP_COMPARE_MAX_FACTS + j];
            fangpin__v1__compare_fact__init(cf);
            cf->fact = (char *)f->cols[a->col[j]]->fact;
            cf->value = (char *)values[j];
            ans[i].facts[j] = cf;
        }
        ansp[i] = &ans[i];
    }
    char batch[72];
    snprintf(batch, sizeof batch, "cmp%s-%.24s-%zu", c->export_id, digest, k);
    Fangpin__V1__SubmitCompareAnswers sa = FANGPIN__V1__SUBMIT_COMPARE_ANSWERS__INIT;
    sa.batch_id = batch;
    sa.export_id = strtoll(c->export_id, NULL, 10);
    sa.defer_rules = to < f->n; /* the rules run once, after the file's last batch */
    time_t until = time(NULL) + (c->wait ? strtol(c->wait, NULL, 10) : 3600);
    sa.wait_ms = sa.defer_rules ? 0 : s_hold_ms(c, until); /* the answer when the rules have run */
    sa.n_answers = n;
    sa.answers = ansp;
    Fangpin__V1__IntakeRequest req = FANGPIN__V1__INTAKE_REQUEST__INIT;
    req.op_case = FANGPIN__V1__INTAKE_REQUEST__OP_SUBMIT_COMPARE_ANSWERS;
    req.submit_compare_answers = &sa;
    Fangpin__V1__IntakeReply *rep = s_call(c, &req, "import");
    bool replayed = rep && rep->compare_answers->replayed; /* the waiting's answers are all replayed */
    if (rep && rep->compare_answers->rules_queued) rep = s_wait_rules(c, &req, rep, until);
    if (rep) {
        const Fangpin__V1__CompareAnswersSummary *s = rep->compare_answers;
        printf("batch %s: %u answers, %u in the ledger, %u facts stored, %u findings opened%s\n", s->batch_id,
               s->answers, s->matched, s->facts, s->findings_opened, replayed ? " (already received: nothing changed)" : "");
        *opened += s->findings_opened;
        if (s->n_unmatched_refs) {
            printf("  %zu answers name no one present in the ledger, lines:", s->n_unmatched_refs);
            for (size_t i = 0; i < s->n_unmatched_refs; i++) printf(" %s", s->unmatched_refs[i]);
            printf("\n");
        }
        for (size_t i = 0; i < s->n_unmatched_refs; i++)
            for (size_t j = from; j < to; j++)
                if (strcmp(lines[j - from], s->unmatched_refs[i]) == 0) unmatched[j] = true;
        fangpin__v1__intake_reply__free_unpacked(rep, NULL);
    }
    free(lines);
    free(factp);
    free(facts);
    free(ansp);
    free(ans);
    return rep ? 0 : 1;
}

/* Is answer i a 低保 person (民政 says dibao = yes) with what a lead needs? */
static bool s_lead_ready(const s_file_t *f, size_t i)
{
    if (!f->lead) return false;
    const s_answer_t *a = &f->a[i];
    const s_lead_t *l = &f->lead[i];
    const char *values[FP_COMPARE_MAX_FACTS];
    s_values(f, a, values);
    bool dibao = false;
    for (size_t j = 0; j < a->nfacts; j++)
        dibao = dibao || (!strcmp(f->cols[a->col[j]]->fact, "dibao") && !strcmp(values[j], "yes"));
    return dibao && l->name[0] && l->village[0] && l->since[0];
}

/* Sends the leads idx[0..n) (answers of f) as one SubmitLeads batch k; prints what became of them. */
static int s_send_leads(s_cmp_t *c, const s_file_t *f, const size_t *idx, size_t n, const char *digest, size_t k)
{
    Fangpin__V1__Lead *leads = fp_calloc(n, sizeof *leads), **leadp = fp_calloc(n, sizeof *leadp);
    char(*lines)[21] = fp_calloc(n, sizeof *lines);
    char period[8] = "";
    for (size_t i = 0; i < n; i++) {
        const s_answer_t *a = &f->a[idx[i]];
        const s_lead_t *l = &f->lead[idx[i]];
        s_utoa(a->line, lines[i]);
        fangpin__v1__lead__init(&leads[i]);
        leads[i].id_number = (char *)a->id;
        leads[i].name = (char *)l->name;
        leads[i].village_code = (char *)l->village;
        leads[i].kind = "minzheng.dibao_new";
        leads[i].occurred_on = (char *)l->since;
        leads[i].detail = "数据比对：民政低保对象不在台账中";
        leads[i].line_ref = lines[i];
        if (strncmp(l->since, period, 7) > 0) snprintf(period, sizeof period, "%.7s", l->since);
        leadp[i] = &leads[i];
    }
    char batch[72];
    snprintf(batch, sizeof batch, "cmpl%s-%.24s-%zu", c->export_id, digest, k);
    Fangpin__V1__SubmitLeads sl = FANGPIN__V1__SUBMIT_LEADS__INIT;
    sl.batch_id = batch;
    sl.period = period;
    sl.n_leads = n;
    sl.leads = leadp;
    Fangpin__V1__IntakeRequest req = FANGPIN__V1__INTAKE_REQUEST__INIT;
    req.op_case = FANGPIN__V1__INTAKE_REQUEST__OP_SUBMIT_LEADS;
    req.submit_leads = &sl;
    Fangpin__V1__IntakeReply *rep = s_call(c, &req, "leads");
    if (rep && rep->batch) {
        printf("leads %s (minzheng.dibao_new): %u accepted, %u already received, %u refused%s\n", batch,
               rep->batch->accepted, rep->batch->duplicates, rep->batch->rejected,
               rep->batch->replayed ? " (already received: nothing changed)" : "");
        for (size_t i = 0; i < rep->n_results; i++)
            if (rep->results[i]->code == FANGPIN__V1__CODE__BAD_REQUEST)
                printf("  line %s: %s: %s\n", rep->results[i]->ref, rep->results[i]->reason, rep->results[i]->message_zh);
    }
    if (rep) fangpin__v1__intake_reply__free_unpacked(rep, NULL);
    free(lines);
    free(leadp);
    free(leads);
    return rep ? 0 : 1;
}

/* 民政's 低保 persons not present in the ledger, with 姓名, 村代码 and 纳入日期 in the file, become
 * leads of kind minzheng.dibao_new through SubmitLeads (the path every lead takes: screening
 * matches them, a village task for a person not in the ledger), in batches named by the file. */
static int s_leads(s_cmp_t *c, const s_file_t *f, const bool *unmatched, const char *digest)
{
    size_t *idx = fp_calloc(f->n + 1, sizeof *idx), n = 0, k = 1;
    int rc = 0;
    for (size_t i = 0; i < f->n && rc == 0; i++) {
        if (unmatched[i] && s_lead_ready(f, i)) idx[n++] = i;
        if (n == S_ANSWERS_PER_BATCH || (n && i + 1 == f->n)) {
            rc = s_send_leads(c, f, idx, n, digest, k++);
            n = 0;
        }
    }
    free(idx);
    return rc;
}

/* The batches before the last go S_SENDERS at a time, each sender on a connection of its own:
 * intake commits them on its database connections in parallel (FANGPIN_INTAKE_DB_CONNECTIONS)
 * while the next is checked and hashed, instead of each side waiting for the other. The last
 * batch goes alone once they all are committed: the rules it makes due read every fact. */
#define S_SENDERS 2

typedef struct {
    s_cmp_t c; /* a copy of the command's, with a connection of its own */
    const s_file_t *f;
    const char *digest;
    size_t first, last; /* sends batches first, first + S_SENDERS, ... up to last (1-based) */
    bool *unmatched;    /* of the whole file: each sender writes its own batches' answers */
    unsigned opened;
    int rc;
} s_sender_t;

static int s_open(s_cmp_t *c);

static void *s_sender_run(void *arg)
{
    s_sender_t *s = arg;
    for (size_t k = s->first; s->rc == 0 && k <= s->last; k += S_SENDERS) {
        size_t from = (k - 1) * S_ANSWERS_PER_BATCH;
        size_t to = from + S_ANSWERS_PER_BATCH < s->f->n ? from + S_ANSWERS_PER_BATCH : s->f->n;
        s->rc = s_send(&s->c, s->f, from, to, s->digest, k, &s->opened, s->unmatched);
    }
    return NULL;
}

/* Sends every batch but the last, S_SENDERS at a time: 0, or 1 when one failed. */
static int s_send_deferred(s_cmp_t *c, const s_file_t *f, const char *digest, size_t last, unsigned *opened,
                           bool *unmatched)
{
    s_sender_t snd[S_SENDERS];
    pthread_t th[S_SENDERS];
    bool started[S_SENDERS] = {false};
    int rc = 0;
    for (size_t i = 0; i < S_SENDERS; i++) {
        snd[i] = (s_sender_t){.c = *c, .f = f, .digest = digest, .first = i + 1, .last = last, .unmatched = unmatched};
        snd[i].rc = i + 1 > last ? 0 : s_open(&snd[i].c);
        started[i] = snd[i].rc == 0 && i + 1 <= last && pthread_create(&th[i], NULL, s_sender_run, &snd[i]) == 0;
        if (snd[i].rc == 0 && i + 1 <= last && !started[i]) snd[i].rc = 1;
    }
    for (size_t i = 0; i < S_SENDERS; i++) {
        if (started[i]) pthread_join(th[i], NULL);
        if (i + 1 <= last) ctl_peer_close(&snd[i].c.peer);
        rc = rc ? rc : snd[i].rc;
        *opened += snd[i].opened;
    }
    return rc ? 1 : 0;
}

/* The file's SHA-256 (the batch ids' digest), taken by a thread of its own while the main one
 * checks every line: a 50 MB file's digest is a fifth of a second, no longer added to the parse. */
typedef struct {
    const fp_buf_t *data;
    char hex[65];
} s_digest_t;

static void *s_digest_run(void *arg)
{
    s_digest_t *d = arg;
    fp_sha256_hex(d->data->data, d->data->len, d->hex);
    return NULL;
}

static int s_import(s_cmp_t *c)
{
    char *end;
    long long ex = strtoll(c->export_id, &end, 10);
    if (ex <= 0 || *end) {
        fprintf(stderr, "compare: --export %s: the export's id, as compare export printed it\n", c->export_id);
        return 2;
    }
    fp_buf_t data = {0};
    if (ctl_read_file("compare", c->file, "into several files", &data)) return 2;
    s_digest_t dg = {.data = &data};
    pthread_t dth;
    bool digesting = pthread_create(&dth, NULL, s_digest_run, &dg) == 0;
    s_file_t f = {.dept = c->dept};
    int rc = s_read(&f, &data, c->file) ? 2 : 0;
    if (digesting) pthread_join(dth, NULL);
    else s_digest_run(&dg);
    const char *digest = dg.hex;
    if (rc) fprintf(stderr, "compare: %s: nothing was sent\n", c->file);
    unsigned opened = 0;
    bool *unmatched = fp_calloc(f.n + 1, sizeof *unmatched);
    size_t nb = (f.n + S_ANSWERS_PER_BATCH - 1) / S_ANSWERS_PER_BATCH;
    if (rc == 0 && nb > 1) rc = s_send_deferred(c, &f, digest, nb - 1, &opened, unmatched);
    if (rc == 0 && nb > 0) rc = s_send(c, &f, (nb - 1) * S_ANSWERS_PER_BATCH, f.n, digest, nb, &opened, unmatched);
    if (rc == 0) rc = s_leads(c, &f, unmatched, digest);
    free(unmatched);
    if (rc == 0) printf("%zu answers of %s sent for export %s; %u findings opened\n", f.n, c->dept, c->export_id, opened);
    free(f.a);
    free(f.lead);
    fp_buf_free(&f.values);
    fp_buf_free(&data);
    return rc;
}

/* ---- the command ------------------------------------------------------------------------ */

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: fangpinctl compare export --dept NAME --reason TEXT [--out FILE.csv|FILE.xlsx]\n"
            "                                 [--columns a,b,...] [--county CODE]\n"
            "       fangpinctl compare import --dept NAME --export ID [--wait S] FILE.csv|FILE.xlsx\n"
            "export: the ledger slice your department compares (docs/compare.md), audited with the reason;\n"
            "  default file compare-NAME-ID.csv (UTF-8 with BOM; .xlsx for a workbook)\n"
            "import: your answer file for export ID; every line is checked before anything is sent; the\n"
            "  same file again changes nothing; 民政's 低保 persons not in the ledger are sent as leads\n"
            "  minzheng.dibao_new when the file has 姓名, 村代码 and 纳入日期; after the last batch the\n"
            "  assistance service runs the rules that read the answers: import waits up to S seconds\n"
            "  (default 3600, 0: not) for that run to print its findings\n"
            "The key is $FANGPIN_KEYS_DIR/dept-NAME.key_secret; FANGPIN_INTAKE_CONNECT (default\n"
            "tcp://127.0.0.1:7101), FANGPIN_TIMEOUT_MS. Exit: 0 done, 1 refused or failed, 2 usage error.\n");
}

static int s_args(s_cmp_t *c, int argc, char **argv)
{
    static const char *const opts[] = {"--dept", "--reason", "--out", "--columns", "--county", "--export", "--wait",
                                       NULL};
    bool import = strcmp(argv[1], "import") == 0;
    int nopt = argc - 2 - import;
    if (nopt < 0 || nopt % 2 || !ctl_opts_ok(2 + nopt, argv, 2, opts)) return 2;
    const char **dst[] = {&c->dept, &c->reason, &c->out, &c->columns, &c->county, &c->export_id, &c->wait};
    for (int i = 0; opts[i]; i++) *dst[i] = ctl_opt(2 + nopt, argv, 2, opts[i]);
    if (import) c->file = argv[argc - 1];
    if (!c->dept || strspn(c->dept, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(c->dept)) return 2;
    if (import ? !c->export_id || !c->file : !c->reason || !c->reason[0]) return 2;
    if (c->wait && (!import || strspn(c->wait, "0123456789") != strlen(c->wait) || !c->wait[0] || strlen(c->wait) > 6))
        return 2;
    if (c->out && !s_is_xlsx(c->out) && (strlen(c->out) < 4 || strcasecmp(c->out + strlen(c->out) - 4, ".csv")))
        return 2;
    return 0;
}

/* The connection to intake with the department's key: 0, or non-zero after printing why. */
static int s_open(s_cmp_t *c)
{
    const char *endpoint = ctl_env("FANGPIN_INTAKE_CONNECT", "tcp://127.0.0.1:7101");
    int rc = ctl_peer_open(&c->peer, "intake", endpoint, 20000);
    char path[4096];
    snprintf(path, sizeof path, "%s/dept-%s.key_secret", ctl_env("FANGPIN_KEYS_DIR", "var/keys"), c->dept);
    if (rc == 0 && (fp_cert_load(path, &c->peer.client) != FP_OK || !c->peer.client.secret_key[0])) {
        fprintf(stderr, "compare: cannot read the department's secret key %s\n", path);
        rc = 2;
    }
    return rc;
}

int ctl_cmd_compare(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
        s_usage(stdout);
        return 0;
    }
    s_cmp_t c = {0};
    if (argc < 2 || (strcmp(argv[1], "export") && strcmp(argv[1], "import")) || s_args(&c, argc, argv)) {
        s_usage(stderr);
        return 2;
    }
    int rc = s_open(&c);
    if (rc == 0) rc = strcmp(argv[1], "export") == 0 ? s_export(&c) : s_import(&c);
    ctl_peer_close(&c.peer);
    return rc;
}
