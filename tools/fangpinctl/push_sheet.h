/* push_sheet.h: the file side of `fangpinctl push` (push.c): reading a department's file, CSV or
 * XLSX, as records (push_sheet.c), keeping every original cell of it, and writing the results
 * file a clerk acts on, as CSV and XLSX (push_results.c). docs/push.md describes both files.
 *
 * Reading: the file is an XLSX when it starts as a zip does ("PK\3\4"), whatever its name
 * (common/xlsx.c, its first worksheet; a record's line is the sheet row); otherwise CSV text in
 * UTF-8 or GBK (common/textenc.c, common/csv.c; a record's line is the physical line). When the
 * header holds the columns the results file adds (both 结果 and 原因代码 among them), those
 * columns are dropped from the header and from every row before push sees them, so that a
 * results file, corrected, is pushed again as it is.
 *
 * Keeping: push_sheet_keep_header and push_sheet_keep are given the header and each row that
 * became a lead line, in order; the results file repeats them, column for column. */
#ifndef CTL_PUSH_SHEET_H
#define CTL_PUSH_SHEET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csv.h"
#include "mem.h"
#include "xlsx.h"

/* The columns the results file adds after the original ones, in this order. */
#define PUSH_ADDED_N 9
extern const char *const push_added[PUSH_ADDED_N];

typedef struct {
    const char *path;
    bool xlsx;
    /* CSV */
    fp_buf_t text;
    fp_csv_t *csv;
    size_t text_off;
    bool done;
    /* XLSX */
    fp_xlsx_t *x;
    bool started; /* the header was read */
    /* the results file's own columns found in the header: dropped from every record */
    bool *drop;
    size_t ndrop;
    char **vf;
    size_t *vl;
    size_t vcap;
    fp_csv_record_t view;
    /* kept: the header (row 0) and each lead line's cells, NUL-separated in cells */
    fp_buf_t cells;
    size_t *first; /* row -> index of its first cell in off[]; first[nrows] = noff */
    size_t nrows, rows_cap;
    size_t *off; /* cell -> offset in cells */
    size_t noff, off_cap;
    size_t width; /* the most cells of the header or a row */
    /* the kind code each lead line resolved to (the service's answer): offset + 1 in kinds, 0 none */
    fp_buf_t kinds;
    size_t *kind;
    size_t kind_cap;
} push_sheet_t;

/* Opens the file's bytes raw (which must stay valid until push_sheet_free) for reading;
 * *encoding is "xlsx", "utf-8" or "gbk". -1 after printing why on stderr. */
int push_sheet_open(push_sheet_t *sh, const char *path, const fp_buf_t *raw, const char **encoding);
/* The next record (the results file's own columns dropped), or *rec NULL at the end. -1 after
 * printing why ("push: FILE:LINE: reason; nothing was sent"). */
int push_sheet_next(push_sheet_t *sh, const fp_csv_record_t **rec);
/* Keeps the header's cells (call once, first). */
void push_sheet_keep_header(push_sheet_t *sh, const fp_csv_record_t *rec);
/* Keeps the cells of the next lead line (the row push's rows[] got next). */
void push_sheet_keep(push_sheet_t *sh, const fp_csv_record_t *rec);
/* The kind code the service resolved lead line row (from 0) to. */
void push_sheet_resolved(push_sheet_t *sh, size_t row, const char *kind);
void push_sheet_free(push_sheet_t *sh);

/* One lead line's answer, as the results file shows it. */
typedef struct {
    const char *result;         /* "accepted", "duplicate", "rejected", "failed", "pending" */
    const char *code, *zh, *en; /* the reason ("" none) */
    int64_t id;                 /* the lead (accepted) or the one it repeats (duplicate); 0 */
    const char *village;        /* the village code sent */
    unsigned long line;         /* where the line is in the file (line or sheet row) */
} push_outcome_t;

/* Where the results go: csv (always) and xlsx (NULL: none). results is --results or NULL:
 * FILE.csv or FILE.xlsx given there is written in that form (an XLSX with its CSV beside it,
 * FILE.csv); without it, INPUT.results.csv, and INPUT.results.xlsx when the input is an XLSX.
 * -1 after printing why when results ends otherwise. The caller frees both. */
int push_results_paths(const push_sheet_t *sh, const char *input, const char *results, char **csv, char **xlsx);
/* Writes the results file(s): every kept column, then push_added. 0, or -1 after printing why
 * (a file that could not be written is not left half-written). */
int push_results_write(const push_sheet_t *sh, const push_outcome_t *rows, size_t n, const char *csv, const char *xlsx);
/* 结果 of a result: 接收, 已接收, 退回, 未获答复, 未发送. */
const char *push_result_zh(const char *result);

#endif
