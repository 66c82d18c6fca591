/* report_render.c: CSV and XLSX of a report (report_render.h). */
#include "report_render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "csv.h"
#include "log.h"

void report_render_csv(const report_view_t *v, fp_buf_t *b)
{
    const report_def_t *d = v->def;
    fp_buf_puts(b, FP_CSV_BOM);
    fp_csv_put(b, d->first);
    for (int c = 0; c < d->ncols; c++) {
        fp_buf_puts(b, ",");
        fp_csv_put(b, d->cols[c].title);
    }
    fp_buf_puts(b, "\r\n");
    for (int r = 0; r < v->nrows; r++) {
        fp_csv_put(b, v->labels[r]);
        for (int c = 0; c < d->ncols; c++) {
            fp_buf_puts(b, ",");
            if (d->cols[c].numeric) fp_csv_put_number(b, v->cells[r][c]);
            else fp_csv_put(b, v->cells[r][c]);
        }
        fp_buf_puts(b, "\r\n");
    }
}

/* Writes the workbook to a temporary file (libxlsxwriter writes files only) and reads it back.
 * The document's creation time is the report's, and the zip entries carry libxlsxwriter's fixed
 * date, so a frozen report renders to the same bytes every time. */
int report_render_xlsx(const report_view_t *v, fp_buf_t *out)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    char path[1024];
    snprintf(path, sizeof path, "%s/fangpin-report-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    close(fd);
    lxw_workbook_options opt = {.constant_memory = LXW_FALSE, .tmpdir = (char *)dir, .use_zip64 = LXW_FALSE};
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    if (!wb) {
        unlink(path);
        return -1;
    }
    lxw_doc_properties props = {0};
    props.title = (char *)v->title;
    props.author = (char *)"fangpin";
    props.created = (time_t)(v->generated_ms / 1000);
    workbook_set_properties(wb, &props);
    const report_def_t *d = v->def;
    lxw_worksheet *ws = workbook_add_worksheet(wb, d->sheet);
    lxw_format *ft = workbook_add_format(wb);
    format_set_bold(ft);
    format_set_font_size(ft, 14);
    format_set_align(ft, LXW_ALIGN_CENTER);
    lxw_format *fh = workbook_add_format(wb);
    format_set_bold(fh);
    format_set_border(fh, LXW_BORDER_THIN);
    format_set_align(fh, LXW_ALIGN_CENTER);
    format_set_bg_color(fh, 0xDDEBF7);
    lxw_format *fc = workbook_add_format(wb);
    format_set_border(fc, LXW_BORDER_THIN);
    lxw_format *fb = workbook_add_format(wb);
    format_set_border(fb, LXW_BORDER_THIN);
    format_set_bold(fb);
    worksheet_merge_range(ws, 0, 0, 0, (lxw_col_t)d->ncols, v->title, ft);
    worksheet_write_string(ws, 1, 0, d->first, fh);
    for (int c = 0; c < d->ncols; c++) worksheet_write_string(ws, 1, (lxw_col_t)(c + 1), d->cols[c].title, fh);
    for (int r = 0; r < v->nrows; r++) {
        lxw_format *f = strcmp(v->kinds[r], "total") == 0 ? fb : fc;
        worksheet_write_string(ws, (lxw_row_t)(r + 2), 0, v->labels[r], f);
        for (int c = 0; c < d->ncols; c++) {
            if (d->cols[c].numeric)
                worksheet_write_number(ws, (lxw_row_t)(r + 2), (lxw_col_t)(c + 1),
                                       (double)strtoll(v->cells[r][c], NULL, 10), f);
            else worksheet_write_string(ws, (lxw_row_t)(r + 2), (lxw_col_t)(c + 1), v->cells[r][c], f);
        }
    }
    worksheet_set_column(ws, 0, 0, 32, NULL);
    worksheet_set_column(ws, 1, (lxw_col_t)d->ncols, 12, NULL);
    worksheet_freeze_panes(ws, 2, 1);
    lxw_error err = workbook_close(wb);
    int rc = -1;
    if (err == LXW_NO_ERROR) {
        FILE *f = fopen(path, "rb");
        if (f) {
            char chunk[8192];
            size_t n;
            while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) fp_buf_append(out, chunk, n);
            rc = ferror(f) ? -1 : 0;
            fclose(f);
        }
    } else {
        fp_log_error("writing the XLSX report failed", "error", lxw_strerror(err));
    }
    unlink(path);
    return rc;
}
