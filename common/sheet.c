/* sheet.c: reading a department's file, CSV or XLSX, for `fangpinctl push` and intake's desk,
 * and keeping its original cells for the results file (sheet.h). */
#include "sheet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textenc.h"

const char *const fp_sheet_added[FP_SHEET_ADDED_N] = {"结果",     "原因代码", "原因",   "解析线索类型", "解析村代码",
                                                      "线索编号", "文件行号", "result", "reason"};

/* The CSV text: UTF-16 and NUL bytes refused with a hint, UTF-8 or GBK decoded. */
static int s_open_csv(fp_sheet_t *sh, const fp_buf_t *raw, const char **encoding)
{
    const unsigned char *d = (const unsigned char *)raw->data;
    if (raw->len >= 2 && (d[0] == 0xFF || d[0] == 0xFE) && (d[1] == 0xFE || d[1] == 0xFF)) {
        fp_buf_printf(&sh->err, "%s is UTF-16 (\"Unicode text\"): save it as \"CSV UTF-8\" or \"CSV\" instead\n",
                      sh->path);
        return -1;
    }
    fp_err_t rc = fp_text_to_utf8(raw->data ? raw->data : "", raw->len, &sh->text, encoding);
    if (rc != FP_OK) {
        fp_buf_printf(&sh->err, "%s is neither UTF-8 nor GBK text%s: save it as \"CSV UTF-8\" or \"CSV\"\n", sh->path,
                      rc == FP_EIO ? " (or this system has no GB18030 converter)" : "");
        return -1;
    }
    const char *nul = sh->text.data ? memchr(sh->text.data, '\0', sh->text.len) : NULL;
    if (nul) {
        unsigned long line = 1;
        for (const char *c = sh->text.data; c < nul; c++) line += *c == '\n';
        fp_buf_printf(&sh->err, "%s:%lu: a NUL byte: this is not a CSV text file (UTF-16? save it as \"CSV UTF-8\")\n",
                      sh->path, line);
        return -1;
    }
    sh->csv = fp_csv_new();
    fp_csv_set_limits(sh->csv, &(fp_csv_limits_t){.max_fields = 1024, .max_record_bytes = 1024 * 1024});
    return 0;
}

int fp_sheet_open(fp_sheet_t *sh, const char *path, const fp_buf_t *raw, const char **encoding)
{
    sh->path = path;
    if (!fp_xlsx_is_zip(raw->data, raw->len)) return s_open_csv(sh, raw, encoding);
    sh->xlsx = true;
    *encoding = "xlsx";
    sh->x = fp_xlsx_new();
    /* the same bounds as a CSV line: 1024 columns, 1 MiB a row */
    fp_xlsx_set_limits(sh->x, &(fp_xlsx_limits_t){.max_cols = 1024, .max_row_bytes = 1024 * 1024});
    if (fp_xlsx_open(sh->x, raw->data, raw->len) != FP_OK) {
        fp_buf_printf(&sh->err, "%s: not a workbook push can read: %s; nothing was sent\n", path, fp_xlsx_error(sh->x));
        return -1;
    }
    return 0;
}

/* The record as read, before the results file's columns are dropped. */
static int s_read(fp_sheet_t *sh, const fp_csv_record_t **rec)
{
    *rec = NULL;
    if (sh->xlsx) {
        if (fp_xlsx_next(sh->x, rec) == FP_OK) return 0;
        fp_buf_printf(&sh->err, "%s: %s; nothing was sent\n", sh->path, fp_xlsx_error(sh->x));
        return -1;
    }
    while (!sh->done && !*rec) {
        size_t used = 0;
        bool last = sh->text_off >= sh->text.len; /* then the record the file ends in without a line break */
        fp_err_t rc = last
            ? fp_csv_finish(sh->csv, rec)
            : fp_csv_feed(sh->csv, sh->text.data + sh->text_off, sh->text.len - sh->text_off, &used, rec);
        sh->text_off += used;
        sh->done = last;
        if (rc != FP_OK) {
            unsigned long line = 0;
            const char *msg = fp_csv_error(sh->csv, &line);
            fp_buf_printf(&sh->err, "%s:%lu: %s; nothing was sent\n", sh->path, line, msg);
            return -1;
        }
    }
    return 0;
}

/* At the header: which columns are the results file's own (only when 结果 and 原因代码 are
 * both there, so that a department's own 原因 column is never taken for one). */
static void s_find_added(fp_sheet_t *sh, const fp_csv_record_t *rec)
{
    bool result = false, code = false;
    for (size_t i = 0; i < rec->nfields; i++) {
        result |= strcmp(rec->fields[i], fp_sheet_added[0]) == 0;
        code |= strcmp(rec->fields[i], fp_sheet_added[1]) == 0;
    }
    if (!result || !code) return;
    sh->ndrop = rec->nfields;
    sh->drop = fp_calloc(sh->ndrop, sizeof *sh->drop);
    for (size_t i = 0; i < rec->nfields; i++)
        for (size_t k = 0; k < FP_SHEET_ADDED_N; k++) sh->drop[i] |= strcmp(rec->fields[i], fp_sheet_added[k]) == 0;
}

int fp_sheet_next(fp_sheet_t *sh, const fp_csv_record_t **rec)
{
    if (s_read(sh, rec)) return -1;
    if (!*rec) return 0;
    if (!sh->started) s_find_added(sh, *rec);
    sh->started = true;
    if (!sh->drop) return 0;
    const fp_csv_record_t *r = *rec;
    if (r->nfields > sh->vcap) {
        sh->vcap = r->nfields;
        sh->vf = fp_realloc(sh->vf, sh->vcap * sizeof *sh->vf);
        sh->vl = fp_realloc(sh->vl, sh->vcap * sizeof *sh->vl);
    }
    size_t n = 0;
    for (size_t i = 0; i < r->nfields; i++) {
        if (i < sh->ndrop && sh->drop[i]) continue;
        sh->vf[n] = r->fields[i];
        sh->vl[n++] = r->lens[i];
    }
    if (n == 0) { /* a row of nothing but the results' cells: an empty field, as a CSV line of one */
        sh->vf[0] = (char *)"";
        sh->vl[0] = 0;
        n = 1;
    }
    sh->view = (fp_csv_record_t){.fields = sh->vf, .lens = sh->vl, .nfields = n, .line = r->line};
    *rec = &sh->view;
    return 0;
}

void fp_sheet_keep(fp_sheet_t *sh, const fp_csv_record_t *rec)
{
    if (sh->nrows + 2 > sh->rows_cap) {
        sh->rows_cap = sh->rows_cap ? 2 * sh->rows_cap : 1024;
        sh->first = fp_realloc(sh->first, sh->rows_cap * sizeof *sh->first);
    }
    if (sh->noff + rec->nfields > sh->off_cap) {
        sh->off_cap = 2 * (sh->noff + rec->nfields) + 1024;
        sh->off = fp_realloc(sh->off, sh->off_cap * sizeof *sh->off);
    }
    sh->first[sh->nrows++] = sh->noff;
    size_t n = rec->nfields;
    while (n > 0 && rec->lens[n - 1] == 0) n--; /* trailing empty cells: nothing to show */
    for (size_t i = 0; i < n; i++) {
        sh->off[sh->noff++] = sh->cells.len;
        /* a NUL inside a CSV field ends it here: no file push writes holds one */
        fp_buf_append(&sh->cells, rec->fields[i], strlen(rec->fields[i]));
        fp_buf_append(&sh->cells, "", 1);
    }
    sh->first[sh->nrows] = sh->noff;
    if (n > sh->width) sh->width = n;
}

void fp_sheet_keep_header(fp_sheet_t *sh, const fp_csv_record_t *rec) { fp_sheet_keep(sh, rec); }

void fp_sheet_resolved(fp_sheet_t *sh, size_t row, const char *kind)
{
    if (!kind || !kind[0]) return;
    if (row >= sh->kind_cap) {
        size_t cap = sh->kind_cap ? sh->kind_cap : 1024;
        while (cap <= row) cap *= 2;
        sh->kind = fp_realloc(sh->kind, cap * sizeof *sh->kind);
        memset(sh->kind + sh->kind_cap, 0, (cap - sh->kind_cap) * sizeof *sh->kind);
        sh->kind_cap = cap;
    }
    sh->kind[row] = sh->kinds.len + 1;
    fp_buf_append(&sh->kinds, kind, strlen(kind) + 1);
}

void fp_sheet_free(fp_sheet_t *sh)
{
    fp_buf_free(&sh->text);
    fp_buf_free(&sh->err);
    fp_csv_destroy(&sh->csv);
    fp_xlsx_destroy(&sh->x);
    free(sh->drop);
    free(sh->vf);
    free(sh->vl);
    fp_buf_free(&sh->cells);
    free(sh->first);
    free(sh->off);
    fp_buf_free(&sh->kinds);
    free(sh->kind);
    *sh = (fp_sheet_t){0};
}
