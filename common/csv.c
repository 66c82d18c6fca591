/* csv.c: the streaming RFC 4180 reader of csv.h. One byte-level state machine (s_step) that
 * any chunking drives identically, plus a fast path that copies runs of ordinary bytes inside
 * a field in one go; the fast path never decides anything the state machine would not. */
#include "csv.h"

#include <errno.h>
#include <strings.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

typedef enum { S_START, S_UNQUOTED, S_QUOTED, S_QUOTE_SEEN } s_state_t;

enum { S_CONTINUE = 0, S_RECORD = 1, S_ERROR = -1 };

static const unsigned char s_bom[3] = {0xEF, 0xBB, 0xBF};

struct fp_csv {
    fp_csv_limits_t lim;
    s_state_t st;
    int bom;     /* bytes of a BOM matched so far; 3 when done looking */
    int open;    /* a record has begun */
    int any;     /* the record has content besides its line end */
    int skip_lf; /* the last byte was CR: an LF right after it is part of that line end */
    int finished;
    unsigned long line; /* physical line of the next byte */
    unsigned long rec_line;
    fp_buf_t data;     /* the record's fields, each NUL-terminated, back to back */
    size_t *off, *len; /* per field: offset in data, length */
    char **ptrs;       /* per field: pointer, filled when the record completes */
    size_t nf, cap;    /* fields in the record, size of the arrays */
    size_t rec_bytes;  /* field bytes in the record */
    fp_csv_record_t rec;
    fp_err_t err;
    unsigned long err_line;
    char errmsg[160];
};

fp_csv_t *fp_csv_new(void)
{
    fp_csv_t *p = fp_new(fp_csv_t);
    p->lim.max_fields = FP_CSV_DEFAULT_MAX_FIELDS;
    p->lim.max_record_bytes = FP_CSV_DEFAULT_MAX_RECORD_BYTES;
    p->lim.max_field_bytes = FP_CSV_DEFAULT_MAX_RECORD_BYTES;
    p->line = 1;
    return p;
}

void fp_csv_destroy(fp_csv_t **pp)
{
    if (!pp || !*pp) return;
    fp_csv_t *p = *pp;
    fp_buf_free(&p->data);
    free(p->off);
    free(p->len);
    free(p->ptrs);
    free(p);
    *pp = NULL;
}

void fp_csv_set_limits(fp_csv_t *p, const fp_csv_limits_t *limits)
{
    if (!p || !limits) return;
    p->lim.max_fields = limits->max_fields ? limits->max_fields : FP_CSV_DEFAULT_MAX_FIELDS;
    p->lim.max_record_bytes = limits->max_record_bytes ? limits->max_record_bytes : FP_CSV_DEFAULT_MAX_RECORD_BYTES;
    p->lim.max_field_bytes = limits->max_field_bytes ? limits->max_field_bytes : p->lim.max_record_bytes;
}

const char *fp_csv_error(const fp_csv_t *p, unsigned long *line)
{
    if (line) *line = p ? p->err_line : 0;
    return p && p->err ? p->errmsg : "";
}

unsigned long fp_csv_line(const fp_csv_t *p) { return p ? p->line : 0; }

static int s_fail(fp_csv_t *p, fp_err_t err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int s_fail(fp_csv_t *p, fp_err_t err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->errmsg, sizeof p->errmsg, fmt, ap);
    va_end(ap);
    p->err = err;
    p->err_line = p->rec_line;
    return S_ERROR;
}

static int s_field_start(fp_csv_t *p)
{
    if (p->nf == p->lim.max_fields) return s_fail(p, FP_ETOOBIG, "more than %zu fields", p->lim.max_fields);
    if (p->nf == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        if (p->cap > p->lim.max_fields) p->cap = p->lim.max_fields;
        p->off = fp_realloc(p->off, p->cap * sizeof *p->off);
        p->len = fp_realloc(p->len, p->cap * sizeof *p->len);
        p->ptrs = fp_realloc(p->ptrs, p->cap * sizeof *p->ptrs);
    }
    p->off[p->nf] = p->data.len;
    p->len[p->nf] = 0;
    p->nf++;
    p->st = S_START;
    return S_CONTINUE;
}

/* Ends the current field: its terminating NUL. */
static void s_field_end(fp_csv_t *p) { fp_buf_append(&p->data, "", 1); }

static void s_record_begin(fp_csv_t *p)
{
    fp_buf_reset(&p->data);
    p->nf = 0;
    p->rec_bytes = 0;
    p->any = 0;
    p->open = 1;
    p->rec_line = p->line;
    s_field_start(p); /* cannot fail: max_fields >= 1 */
}

/* How many of n more bytes fit in the current field and record. */
static size_t s_room(const fp_csv_t *p, size_t n)
{
    size_t flen = p->len[p->nf - 1];
    size_t room_f = p->lim.max_field_bytes > flen ? p->lim.max_field_bytes - flen : 0;
    size_t room_r = p->lim.max_record_bytes > p->rec_bytes ? p->lim.max_record_bytes - p->rec_bytes : 0;
    size_t room = room_f < room_r ? room_f : room_r;
    return n < room ? n : room;
}

static int s_put(fp_csv_t *p, const char *s, size_t n)
{
    if (s_room(p, n) < n) {
        if (p->rec_bytes >= p->lim.max_record_bytes)
            return s_fail(p, FP_ETOOBIG, "the record is longer than %zu bytes (an unbalanced quote?)",
                          p->lim.max_record_bytes);
        return s_fail(p, FP_ETOOBIG, "field %zu is longer than %zu bytes (an unbalanced quote?)", p->nf,
                      p->lim.max_field_bytes);
    }
    fp_buf_append(&p->data, s, n);
    p->len[p->nf - 1] += n;
    p->rec_bytes += n;
    return S_CONTINUE;
}

static int s_record_end(fp_csv_t *p)
{
    s_field_end(p);
    for (size_t i = 0; i < p->nf; i++) p->ptrs[i] = p->data.data + p->off[i];
    p->rec.fields = p->ptrs;
    p->rec.lens = p->len;
    p->rec.nfields = p->nf;
    p->rec.line = p->rec_line;
    p->open = 0;
    return S_RECORD;
}

/* A line end (CR or LF) outside quotes. */
static int s_line_end(fp_csv_t *p, unsigned char ch)
{
    p->line++;
    if (ch == '\r') p->skip_lf = 1;
    if (p->any) return s_record_end(p);
    p->open = 0; /* a blank line is no record */
    return S_CONTINUE;
}

static int s_step(fp_csv_t *p, unsigned char ch)
{
    if (p->skip_lf) {
        p->skip_lf = 0;
        if (ch == '\n') return S_CONTINUE;
    }
    if (!p->open) s_record_begin(p);
    char c = (char)ch;
    switch (p->st) {
    case S_QUOTED:
        if (ch == '"') {
            p->st = S_QUOTE_SEEN;
            return S_CONTINUE;
        }
        if (ch == '\n') p->line++;
        return s_put(p, &c, 1);
    case S_QUOTE_SEEN:
        if (ch == '"') { /* a doubled quote inside quotes */
            p->st = S_QUOTED;
            return s_put(p, &c, 1);
        }
        if (ch == ',') {
            s_field_end(p);
            return s_field_start(p);
        }
        if (ch == '\r' || ch == '\n') return s_line_end(p, ch);
        return s_fail(p, FP_EINVAL, "field %zu: unexpected character after the closing quote", p->nf);
    case S_START:
    case S_UNQUOTED:
        if (ch == ',') {
            p->any = 1;
            s_field_end(p);
            return s_field_start(p);
        }
        if (ch == '\r' || ch == '\n') return s_line_end(p, ch);
        p->any = 1;
        if (ch == '"') {
            if (p->st == S_START) {
                p->st = S_QUOTED;
                return S_CONTINUE;
            }
            return s_fail(p, FP_EINVAL,
                          "field %zu: a quote inside an unquoted field (quote the whole field and double the quote)",
                          p->nf);
        }
        p->st = S_UNQUOTED;
        return s_put(p, &c, 1);
    }
    return S_CONTINUE;
}

/* Bytes of a partly matched BOM that turned out not to be one are data. */
static int s_bom_replay(fp_csv_t *p)
{
    int n = p->bom;
    p->bom = 3;
    for (int i = 0; i < n; i++) {
        int r = s_step(p, s_bom[i]);
        if (r != S_CONTINUE) return r; /* an error: these bytes never end a record */
    }
    return S_CONTINUE;
}

/* The length of the run at s that the state machine would only append to the field. */
static size_t s_plain_run(const fp_csv_t *p, const unsigned char *s, size_t n)
{
    size_t i = 0;
    if (p->st == S_UNQUOTED) {
        while (i < n && s[i] != ',' && s[i] != '"' && s[i] != '\n' && s[i] != '\r') i++;
    } else if (p->st == S_QUOTED) {
        while (i < n && s[i] != '"' && s[i] != '\n') i++;
    }
    return i;
}

fp_err_t fp_csv_feed(fp_csv_t *p, const char *data, size_t len, size_t *used, const fp_csv_record_t **rec)
{
    *rec = NULL;
    *used = 0;
    if (p->err) return p->err;
    if (p->finished) {
        *used = len;
        return FP_OK;
    }
    const unsigned char *s = (const unsigned char *)data;
    size_t i = 0;
    while (i < len) {
        if (p->bom < 3) {
            if (s[i] == s_bom[p->bom]) {
                p->bom++; /* 3: the whole BOM was seen and is dropped */
                i++;
                continue;
            }
            if (s_bom_replay(p) == S_ERROR) return p->err;
        }
        if (p->open && !p->skip_lf && (p->st == S_UNQUOTED || p->st == S_QUOTED)) {
            size_t run = s_plain_run(p, s + i, len - i);
            size_t fit = s_room(p, run);
            if (fit) {
                fp_buf_append(&p->data, s + i, fit);
                p->len[p->nf - 1] += fit;
                p->rec_bytes += fit;
                i += fit;
                continue;
            }
        }
        int r = s_step(p, s[i]);
        if (r == S_ERROR) return p->err;
        i++;
        if (r == S_RECORD) {
            *used = i;
            *rec = &p->rec;
            return FP_OK;
        }
    }
    *used = len;
    return FP_OK;
}

fp_err_t fp_csv_finish(fp_csv_t *p, const fp_csv_record_t **rec)
{
    *rec = NULL;
    if (p->err) return p->err;
    if (p->finished) return FP_OK;
    if (p->bom < 3 && s_bom_replay(p) == S_ERROR) return p->err;
    p->finished = 1;
    if (!p->open) return FP_OK;
    if (p->st == S_QUOTED) {
        s_fail(p, FP_EINVAL, "unterminated quoted field %zu", p->nf);
        return p->err;
    }
    if (!p->any) return FP_OK;
    s_record_end(p);
    *rec = &p->rec;
    return FP_OK;
}

/* ---- writing -------------------------------------------------------------------------------- */

static bool s_formula(char c) { return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r'; }

void fp_csv_put_n(fp_buf_t *b, const char *s, size_t n)
{
    bool guard = n > 0 && s_formula(s[0]);
    bool quote = n > 0 && (s[0] == ' ' || s[n - 1] == ' ');
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n' || s[i] == '\0';
    if (!quote) {
        if (guard) fp_buf_puts(b, "'");
        fp_buf_append(b, s, n);
        return;
    }
    fp_buf_puts(b, guard ? "\"'" : "\"");
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') fp_buf_puts(b, "\"");
        fp_buf_append(b, s + i, 1);
    }
    fp_buf_puts(b, "\"");
}

void fp_csv_put(fp_buf_t *b, const char *s) { fp_csv_put_n(b, s, strlen(s)); }

static bool s_is_number(const char *s)
{
    const char *p = s + (*s == '-');
    size_t digits = 0;
    bool dot = false;
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            digits++;
        } else if (*p == '.' && !dot && digits && p[1] >= '0' && p[1] <= '9') {
            dot = true;
        } else {
            return false;
        }
    }
    return digits > 0;
}

void fp_csv_put_number(fp_buf_t *b, const char *s)
{
    if (s_is_number(s)) fp_buf_puts(b, s);
    else fp_csv_put(b, s);
}

void fp_csv_put_row(fp_buf_t *b, const char *const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i) fp_buf_puts(b, ",");
        fp_csv_put(b, fields[i]);
    }
    fp_buf_puts(b, "\r\n");
}

/* ---- a results file ------------------------------------------------------------------------- */

#define S_WRITE_CHUNK (64 * 1024)

char *fp_csv_results_path(const char *input)
{
    size_t n = strlen(input);
    fp_buf_t b = {0};
    fp_buf_append(&b, input, n >= 4 && !strcasecmp(input + n - 4, ".csv") ? n - 4 : n);
    fp_buf_puts(&b, ".results.csv");
    return b.data;
}

int fp_csv_file_open(fp_csv_file_t *w, const char *out, const char *header)
{
    *w = (fp_csv_file_t){0};
    fp_buf_printf(&w->tmp, "%s.tmp%ld", out, (long)getpid());
    w->f = fopen(w->tmp.data, "wb");
    if (!w->f) {
        int e = errno;
        fp_buf_free(&w->tmp);
        errno = e;
        return -1;
    }
    fp_buf_puts(&w->buf, FP_CSV_BOM);
    fp_buf_puts(&w->buf, header);
    fp_buf_puts(&w->buf, "\r\n");
    return 0;
}

void fp_csv_file_row(fp_csv_file_t *w, const char *const *cells, size_t n)
{
    fp_csv_put_row(&w->buf, cells, n);
    if (w->buf.len >= S_WRITE_CHUNK) {
        w->bad |= fwrite(w->buf.data, 1, w->buf.len, w->f) != w->buf.len;
        fp_buf_reset(&w->buf);
    }
}

int fp_csv_file_close(fp_csv_file_t *w, const char *out)
{
    bool bad = w->bad;
    bad |= fwrite(w->buf.data, 1, w->buf.len, w->f) != w->buf.len;
    bad |= ferror(w->f) != 0;
    bad |= fclose(w->f) != 0;
    int rc = 0;
    if (bad || rename(w->tmp.data, out) != 0) {
        int e = errno;
        unlink(w->tmp.data);
        errno = e;
        rc = -1;
    }
    fp_buf_free(&w->buf);
    fp_buf_free(&w->tmp);
    w->f = NULL;
    return rc;
}
