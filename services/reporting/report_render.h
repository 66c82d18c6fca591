/* report_render.h: a report's rows as the files people download: CSV (UTF-8 with a BOM, Chinese
 * headers, CRLF, for Excel; written by common/csv.c, formula guard included) and XLSX
 * (libxlsxwriter: a title row, a header row, frozen panes, totals in bold). */
#ifndef REPORT_RENDER_H
#define REPORT_RENDER_H
#include <stdint.h>

#include "mem.h"
#include "report_defs.h"

/* The rendered view of a result: what CSV and XLSX need. cells[r][c] for the def's columns. */
typedef struct {
    const report_def_t *def;
    const char *region_name;
    char title[256];
    int64_t generated_ms;
    int nrows;
    const char **labels;
    const char **kinds;
    const char *(*cells)[REPORT_MAX_COLS];
} report_view_t;

void report_render_csv(const report_view_t *v, fp_buf_t *b);
/* 0, or -1 when the workbook could not be written (logged). */
int report_render_xlsx(const report_view_t *v, fp_buf_t *out);

#endif
