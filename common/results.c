/* results.c: the results file of a department's push (sheet.h), written by `fangpinctl push` and
 * served by intake's desk: every column of the
 * department's file as it was, then the columns push adds (fp_sheet_added), one row per lead line,
 * as CSV (UTF-8 with BOM, common/csv.c's writer) and as XLSX (libxlsxwriter). */
#include "sheet.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <xlsxwriter.h>

#define S_XLSX_MAX_ROWS 1048576u
#define S_XLSX_MAX_CHARS 32767u

const char *fp_result_zh(const char *result)
{
    static const char *const names[][2] = {{"accepted", "接收"},
                                           {"duplicate", "已接收"},
                                           {"rejected", "退回"},
                                           {"failed", "未获答复"},
                                           {"pending", "未发送"}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(result, names[i][0]) == 0) return names[i][1];
    return result;
}

static bool s_ends(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcasecmp(s + a - b, tail) == 0;
}

/* path less ext (if it ends so) plus add. */
static char *s_swap(const char *path, const char *ext, const char *add)
{
    size_t n = strlen(path);
    fp_buf_t b = {0};
    fp_buf_append(&b, path, s_ends(path, ext) ? n - strlen(ext) : n);
    fp_buf_puts(&b, add);
    return b.data;
}

int fp_results_paths(const fp_sheet_t *sh, const char *input, const char *results, char **csv, char **xlsx,
                     fp_buf_t *err)
{
    *csv = *xlsx = NULL;
    if (results && s_ends(results, ".csv")) {
        *csv = fp_strdup(results);
    } else if (results && s_ends(results, ".xlsx")) {
        *xlsx = fp_strdup(results);
        *csv = s_swap(results, ".xlsx", ".csv");
    } else if (results) {
        fp_buf_printf(err, "--results %s: name a FILE.csv or a FILE.xlsx\n", results);
        return -1;
    } else if (sh->xlsx) {
        *csv = s_swap(input, ".xlsx", ".results.csv");
        *xlsx = s_swap(input, ".xlsx", ".results.xlsx");
    } else {
        *csv = fp_csv_results_path(input);
    }
    if (strcmp(*csv, input) == 0 || (*xlsx && strcmp(*xlsx, input) == 0)) {
        fp_buf_printf(err, "the results would overwrite %s itself: give --results another name\n", input);
        free(*csv);
        free(*xlsx);
        *csv = *xlsx = NULL;
        return -1;
    }
    return 0;
}

/* Cell col of kept row (0: the header), "" past its end. */
static const char *s_kept(const fp_sheet_t *sh, size_t row, size_t col)
{
    size_t k = sh->first[row] + col;
    return k < sh->first[row + 1] ? sh->cells.data + sh->off[k] : "";
}

/* The added cells of lead line i; num holds the numbers they point to. */
static void s_added(const fp_sheet_t *sh, const fp_outcome_t *o, size_t i, char num[2][24],
                    const char *out[FP_SHEET_ADDED_N])
{
    bool taken = strcmp(o->result, "accepted") == 0 || strcmp(o->result, "duplicate") == 0;
    num[0][0] = '\0';
    if (o->id > 0) snprintf(num[0], 24, "%" PRId64, o->id);
    snprintf(num[1], 24, "%lu", o->line);
    out[0] = fp_result_zh(o->result);
    out[1] = o->code;
    out[2] = o->zh;
    out[3] = i < sh->kind_cap && sh->kind[i] ? sh->kinds.data + sh->kind[i] - 1 : "";
    out[4] = taken ? o->village : "";
    out[5] = num[0];
    out[6] = num[1];
    out[7] = o->result;
    out[8] = o->en;
}

/* The header row: every kept column, then fp_sheet_added; cells is sh->width + FP_SHEET_ADDED_N. */
static void s_head_cells(const fp_sheet_t *sh, const char **cells)
{
    for (size_t c = 0; c < sh->width; c++) cells[c] = s_kept(sh, 0, c);
    memcpy(cells + sh->width, fp_sheet_added, sizeof fp_sheet_added);
}

static int s_write_csv(const fp_sheet_t *sh, const fp_outcome_t *rows, size_t n, const char *path, fp_buf_t *err)
{
    size_t w = sh->width + FP_SHEET_ADDED_N;
    const char **cells = fp_calloc(w, sizeof *cells);
    s_head_cells(sh, cells);
    fp_buf_t head = {0};
    fp_csv_put_row(&head, cells, w);
    head.data[head.len -= 2] = '\0'; /* fp_csv_file_open ends the header line */
    fp_csv_file_t f;
    int rc = fp_csv_file_open(&f, path, head.data);
    fp_buf_free(&head);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char num[2][24];
        for (size_t c = 0; c < sh->width; c++) cells[c] = s_kept(sh, i + 1, c);
        s_added(sh, &rows[i], i, num, cells + sh->width);
        fp_csv_file_row(&f, cells, w);
    }
    free(cells);
    if (rc == 0) rc = fp_csv_file_close(&f, path);
    if (rc != 0) fp_buf_printf(err, "cannot write %s: %s\n", path, strerror(errno));
    return rc;
}

void fp_results_csv(const fp_sheet_t *sh, const fp_outcome_t *rows, size_t n, fp_buf_t *out)
{
    size_t w = sh->width + FP_SHEET_ADDED_N;
    const char **cells = fp_calloc(w, sizeof *cells);
    s_head_cells(sh, cells);
    fp_buf_puts(out, FP_CSV_BOM);
    fp_csv_put_row(out, cells, w);
    for (size_t i = 0; i < n; i++) {
        char num[2][24];
        for (size_t c = 0; c < sh->width; c++) cells[c] = s_kept(sh, i + 1, c);
        s_added(sh, &rows[i], i, num, cells + sh->width);
        fp_csv_put_row(out, cells, w);
    }
    free(cells);
}

/* s as an XLSX cell: at most Excel's 32767 characters (cut at a character). */
static lxw_error s_cell(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s, lxw_format *fmt)
{
    if (!s[0]) return LXW_NO_ERROR;
    size_t n = strlen(s);
    if (n <= S_XLSX_MAX_CHARS) return worksheet_write_string(ws, r, c, s, fmt);
    size_t k = S_XLSX_MAX_CHARS;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    char *cut = fp_strndup(s, k);
    lxw_error e = worksheet_write_string(ws, r, c, cut, fmt);
    free(cut);
    return e;
}

static lxw_error s_xlsx_rows(lxw_workbook *wb, lxw_worksheet *ws, const fp_sheet_t *sh, const fp_outcome_t *rows,
                             size_t n)
{
    lxw_format *bold = workbook_add_format(wb), *refused = workbook_add_format(wb);
    format_set_bold(bold);
    format_set_bold(refused);
    format_set_font_color(refused, LXW_COLOR_RED);
    lxw_error e = LXW_NO_ERROR;
    lxw_col_t w = (lxw_col_t)(sh->width + FP_SHEET_ADDED_N);
    for (size_t c = 0; c < w && !e; c++)
        e = s_cell(ws, 0, (lxw_col_t)c, c < sh->width ? s_kept(sh, 0, c) : fp_sheet_added[c - sh->width], bold);
    for (size_t i = 0; i < n && !e; i++) {
        char num[2][24];
        const char *add[FP_SHEET_ADDED_N];
        s_added(sh, &rows[i], i, num, add);
        lxw_row_t r = (lxw_row_t)(i + 1);
        for (size_t c = 0; c < sh->width && !e; c++) e = s_cell(ws, r, (lxw_col_t)c, s_kept(sh, i + 1, c), NULL);
        bool bad = strcmp(rows[i].result, "accepted") != 0 && strcmp(rows[i].result, "duplicate") != 0;
        for (size_t k = 0; k < FP_SHEET_ADDED_N && !e; k++)
            e = s_cell(ws, r, (lxw_col_t)(sh->width + k), add[k], k == 0 && bad ? refused : NULL);
    }
    if (!e) e = worksheet_set_column(ws, 0, (lxw_col_t)(w - 1), 16, NULL);
    if (!e) e = worksheet_autofilter(ws, 0, 0, (lxw_row_t)n, (lxw_col_t)(w - 1));
    worksheet_freeze_panes(ws, 1, 0);
    return e;
}

/* The XLSX, written to a temporary name and renamed when whole. */
static int s_write_xlsx(const fp_sheet_t *sh, const fp_outcome_t *rows, size_t n, const char *path, fp_buf_t *err)
{
    if (n + 1 > S_XLSX_MAX_ROWS) {
        fp_buf_printf(err, "%zu lines do not fit in one XLSX sheet: %s is not written (the CSV results are)\n", n,
                      path);
        return -1;
    }
    fp_buf_t tmp = {0};
    fp_buf_printf(&tmp, "%s.tmp%ld", path, (long)getpid());
    lxw_workbook *wb = workbook_new(tmp.data);
    lxw_worksheet *ws = wb ? workbook_add_worksheet(wb, "结果") : NULL;
    lxw_error e = ws ? s_xlsx_rows(wb, ws, sh, rows, n) : LXW_ERROR_CREATING_TMPFILE;
    lxw_error closed = wb ? workbook_close(wb) : LXW_ERROR_CREATING_XLSX_FILE;
    if (!e) e = closed;
    int rc = 0;
    if (e || rename(tmp.data, path) != 0) {
        fp_buf_printf(err, "cannot write %s: %s\n", path, e ? lxw_strerror(e) : strerror(errno));
        unlink(tmp.data);
        rc = -1;
    }
    fp_buf_free(&tmp);
    return rc;
}

int fp_results_write(const fp_sheet_t *sh, const fp_outcome_t *rows, size_t n, const char *csv, const char *xlsx,
                     fp_buf_t *err)
{
    int rc = s_write_csv(sh, rows, n, csv, err);
    if (xlsx && s_write_xlsx(sh, rows, n, xlsx, err) != 0) rc = -1;
    return rc;
}

int fp_results_xlsx(const fp_sheet_t *sh, const fp_outcome_t *rows, size_t n, const char *tmpdir, fp_buf_t *out,
                    fp_buf_t *err)
{
    fp_buf_t dir = {0}, path = {0};
    fp_buf_printf(&dir, "%s/fangpin-results-XXXXXX", tmpdir && tmpdir[0] ? tmpdir : "/tmp");
    if (!mkdtemp(dir.data)) { /* mode 0700: nobody else reads the cells while they are there */
        fp_buf_printf(err, "cannot make a folder in %s: %s\n", tmpdir, strerror(errno));
        fp_buf_free(&dir);
        return -1;
    }
    fp_buf_printf(&path, "%s/results.xlsx", dir.data);
    int rc = s_write_xlsx(sh, rows, n, path.data, err);
    FILE *f = rc == 0 ? fopen(path.data, "rb") : NULL;
    if (rc == 0 && !f) rc = -1;
    char chunk[65536];
    size_t got;
    while (f && (got = fread(chunk, 1, sizeof chunk, f)) > 0) fp_buf_append(out, chunk, got);
    if (f && ferror(f)) rc = -1;
    if (f) fclose(f);
    unlink(path.data);
    rmdir(dir.data);
    fp_buf_free(&dir);
    fp_buf_free(&path);
    return rc;
}
