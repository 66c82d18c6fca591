/* xlsx.h: a reader for the first worksheet of an .xlsx workbook (Office Open XML, as Excel and
 * WPS save it), giving its rows as the same records as the CSV reader (csv.h), so that code
 * reading a CSV record reads a sheet row unchanged. The zip is read with libzip, the XML with
 * expat (no DTD, no entities: a document with a DOCTYPE is refused). Pure: no I/O beyond the
 * bytes given.
 *
 * What it reads:
 *   - the package rels (_rels/.rels) to find the workbook, the workbook's rels to find its
 *     first worksheet (in tab order), the shared strings and the styles; parts are found
 *     without regard to case, and a target may be relative to the workbook or absolute;
 *   - cells: shared strings (t="s", rich-text runs <r><t> joined, phonetic runs <rPh>
 *     skipped), inline strings (t="inlineStr"), formula results (t="str", "e"), booleans
 *     (TRUE / FALSE), ISO dates (t="d"), numbers;
 *   - a number whose cell style is a date (built-in formats 14-17, 22, 27-31, 36, 50-58, or a
 *     custom format with y, d, or m without h/s, outside quotes and brackets) as YYYY-MM-DD
 *     (the 1900 and the 1904 date systems; the time of day dropped); a number whose style is a
 *     time of day only (18-21 ...) stays a number;
 *   - other numbers as Excel shows them in General: the shortest of %.15g ("0.1" for a stored
 *     0.10000000000000001, "1234.5", "20261003", "1.10101199001011e+17" for a long number
 *     typed into a number cell);
 *   - gaps: a cell is placed by its column letters (r="C5"), a missing cell is an empty field;
 *     a cell or row without r follows the one before it. Trailing empty cells are dropped,
 *     and a row without a non-empty cell is no record (as a blank CSV line).
 *
 * What it refuses (FP_EINVAL, FP_ETOOBIG; fp_xlsx_error says why, in English): not a zip, no
 * workbook or worksheet, XML that is not well-formed, a DOCTYPE, a cell reference out of range
 * or not after the one before it, a shared string index past the table, and anything past the
 * limits (total uncompressed XML, cells, shared strings, a string's length, columns, a row's
 * bytes). An error leaves the reader failed: every further call returns it.
 *
 * Use:
 *     fp_xlsx_t *x = fp_xlsx_new();
 *     if (fp_xlsx_open(x, data, len)) { puts(fp_xlsx_error(x)); ... }
 *     const fp_csv_record_t *rec;
 *     while ((rc = fp_xlsx_next(x, &rec)) == FP_OK && rec) handle(rec); // rec->line: sheet row
 *     fp_xlsx_destroy(&x);
 */
#ifndef FP_XLSX_H
#define FP_XLSX_H
#include <stdbool.h>
#include <stddef.h>

#include "csv.h"
#include "err.h"

typedef struct fp_xlsx fp_xlsx_t;

/* Limits; a 0 member keeps the default. */
typedef struct {
    size_t max_xml_bytes;    /* uncompressed XML of all parts read; default 512 MiB */
    size_t max_cells;        /* cells of the sheet; default 8 Mi */
    size_t max_strings;      /* shared strings; default 4 Mi */
    size_t max_string_bytes; /* one string or cell value; default 128 KiB (Excel: 32767 chars) */
    size_t max_cols;         /* a row's columns; default 16384 (XFD) */
    size_t max_row_bytes;    /* a row's values summed; default 16 MiB */
} fp_xlsx_limits_t;

/* True when data starts as a zip archive does ("PK\3\4", or "PK\5\6" for an empty one). */
bool fp_xlsx_is_zip(const void *data, size_t len);

fp_xlsx_t *fp_xlsx_new(void);
/* NULL-safe, sets *p to NULL. */
void fp_xlsx_destroy(fp_xlsx_t **p);
/* Sets the limits (before fp_xlsx_open). */
void fp_xlsx_set_limits(fp_xlsx_t *x, const fp_xlsx_limits_t *limits);

/* Reads the workbook in data[0..len) (which must stay valid until fp_xlsx_destroy) up to its
 * first worksheet's cells. FP_OK, or an error with its reason in fp_xlsx_error. */
fp_err_t fp_xlsx_open(fp_xlsx_t *x, const void *data, size_t len);

/* The next row with a non-empty cell, in sheet order, or *rec NULL at the end. The record and
 * what it points to stay valid until the next call. */
fp_err_t fp_xlsx_next(fp_xlsx_t *x, const fp_csv_record_t **rec);

/* The reason of the last error, in English (e.g. "xl/worksheets/sheet1.xml line 3: not
 * well-formed (invalid token)"); "" when there was none. */
const char *fp_xlsx_error(const fp_xlsx_t *x);

/* A sheet serial number (days since 1899-12-31, with Excel's 1900-02-29 as serial 60) as
 * YYYY-MM-DD in out; false for a serial outside 1 .. 2958465 (9999-12-31). date1904: the
 * workbook counts from 1904-01-01 (serial 0). */
bool fp_xlsx_serial_date(double serial, bool date1904, char out[11]);

/* Whether a number format code (styles.xml numFmt formatCode) shows a date. */
bool fp_xlsx_format_is_date(const char *code);

#endif
