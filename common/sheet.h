/* sheet.h: a department's monthly file, as `fangpinctl push` and intake's desk read it: reading
 * it, CSV or XLSX, as records (sheet.c), keeping every original cell of it, and writing the
 * results file a clerk acts on, as CSV and XLSX (results.c). docs/push.md describes both files;
 * common/leadfile.h turns the records into leads under a column profile.
 *
 * Reading: the file is an XLSX when it starts as a zip does ("PK\3\4"), whatever its name
 * (common/xlsx.c, its first worksheet; a record's line is the sheet row); otherwise CSV text in
 * UTF-8 or GBK (common/textenc.c, common/csv.c; a record's line is the physical line). When the
 * header holds the columns the results file adds (both 结果 and 原因代码 among them), those
 * columns are dropped from the header and from every row before push sees them, so that a
 * results file, corrected, is pushed again as it is.
 *
 * Keeping: fp_sheet_keep_header and fp_sheet_keep are given the header and each row that
 * became a lead line, in order; the results file repeats them, column for column. */
#ifndef FP_SHEET_H
#define FP_SHEET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csv.h"
#include "mem.h"
#include "xlsx.h"

/* The columns the results file adds after the original ones, in this order. */
#define FP_SHEET_ADDED_N 9
extern const char *const fp_sheet_added[FP_SHEET_ADDED_N];

typedef struct {
    const char *path; /* the file's name in messages */
    bool xlsx;
    fp_buf_t err; /* why reading failed: lines ending in '\n' ("FILE:LINE: ...; nothing was sent") */
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
} fp_sheet_t;

/* Opens the file's bytes raw (which must stay valid until fp_sheet_free) for reading;
 * *encoding is "xlsx", "utf-8" or "gbk". -1 with why in sh->err. */
int fp_sheet_open(fp_sheet_t *sh, const char *path, const fp_buf_t *raw, const char **encoding);
/* The next record (the results file's own columns dropped), or *rec NULL at the end. -1 with
 * why in sh->err ("FILE:LINE: reason; nothing was sent"). */
int fp_sheet_next(fp_sheet_t *sh, const fp_csv_record_t **rec);
/* Keeps the header's cells (call once, first). */
void fp_sheet_keep_header(fp_sheet_t *sh, const fp_csv_record_t *rec);
/* Keeps the cells of the next lead line (the row push's rows[] got next). */
void fp_sheet_keep(fp_sheet_t *sh, const fp_csv_record_t *rec);
/* The kind code the service resolved lead line row (from 0) to. */
void fp_sheet_resolved(fp_sheet_t *sh, size_t row, const char *kind);
void fp_sheet_free(fp_sheet_t *sh);

/* One lead line's answer, as the results file shows it. */
typedef struct {
    const char *result;         /* "accepted", "duplicate", "rejected", "failed", "pending" */
    const char *code, *zh, *en; /* the reason ("" none) */
    int64_t id;                 /* the lead (accepted) or the one it repeats (duplicate); 0 */
    const char *village;        /* the village code sent */
    unsigned long line;         /* where the line is in the file (line or sheet row) */
} fp_outcome_t;

/* Where the results go: csv (always) and xlsx (NULL: none). results is --results or NULL:
 * FILE.csv or FILE.xlsx given there is written in that form (an XLSX with its CSV beside it,
 * FILE.csv); without it, INPUT.results.csv, and INPUT.results.xlsx when the input is an XLSX.
 * -1 with why in err when results ends otherwise. The caller frees both. */
int fp_results_paths(const fp_sheet_t *sh, const char *input, const char *results, char **csv, char **xlsx,
                     fp_buf_t *err);
/* Writes the results file(s): every kept column, then fp_sheet_added. 0, or -1 with why in err
 * (a file that could not be written is not left half-written). */
int fp_results_write(const fp_sheet_t *sh, const fp_outcome_t *rows, size_t n, const char *csv, const char *xlsx,
                     fp_buf_t *err);
/* The same results as a CSV file's bytes (UTF-8 with BOM) appended to out. */
void fp_results_csv(const fp_sheet_t *sh, const fp_outcome_t *rows, size_t n, fp_buf_t *out);
/* The same results as an XLSX file's bytes appended to out. libxlsxwriter writes only to a file:
 * it is written in a new folder of mode 0700 under tmpdir (NULL or "": /tmp), read back and
 * removed at once. 0, or -1 with why in err. */
int fp_results_xlsx(const fp_sheet_t *sh, const fp_outcome_t *rows, size_t n, const char *tmpdir, fp_buf_t *out,
                    fp_buf_t *err);
/* 结果 of a result: 接收, 已接收, 退回, 未获答复, 未发送. */
const char *fp_result_zh(const char *result);

#endif
