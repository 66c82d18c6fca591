/* csv.h: a streaming RFC 4180 CSV reader, and the one CSV writer (at the end) that every CSV
 * file fangpin writes goes through.
 *
 * The reader: Bytes go in as chunks of any size (a file read in
 * blocks, a socket, a whole buffer); complete records come out one at a time, each field a
 * NUL-terminated string, with the 1-based line where the record started. Pure: no I/O.
 *
 * What it accepts: fields separated by ',', records ended by LF, CRLF or a lone CR (or the end
 * of the input); a field that starts with '"' is quoted and may hold ',', '"' written as '""',
 * and line breaks; a UTF-8 byte order mark at the very start of the input is skipped. A blank
 * line (nothing between two line ends) is no record and is skipped; a line of only commas is a
 * record of empty fields. Bytes are not interpreted otherwise: fields may hold any bytes,
 * NUL included (the length is in lens[]).
 *
 * What it refuses, with the line where the record started (fp_csv_error):
 *   FP_EINVAL: a quote inside an unquoted field (`a"b`), a character after a closing quote
 *              (`"a"b`), a quoted field still open at the end of the input;
 *   FP_ETOOBIG: more fields in a record than max_fields, a field longer than max_field_bytes,
 *              a record longer than max_record_bytes (usually an unbalanced quote).
 * After an error the reader stays failed: every further call returns the same error.
 *
 * Use:
 *     fp_csv_t *csv = fp_csv_new();
 *     const fp_csv_record_t *rec;
 *     while ((n = read(fd, buf, sizeof buf)) > 0)
 *         for (size_t off = 0, used; off < (size_t)n; off += used) {
 *             if (fp_csv_feed(csv, buf + off, n - off, &used, &rec)) goto bad;
 *             if (rec) handle(rec);
 *         }
 *     if (fp_csv_finish(csv, &rec)) goto bad;
 *     if (rec) handle(rec);
 *     fp_csv_destroy(&csv);
 */
#ifndef FP_CSV_H
#define FP_CSV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "mem.h"

typedef struct fp_csv fp_csv_t;

/* One record. Everything it points to belongs to the reader and stays valid until the next
 * fp_csv_feed, fp_csv_finish or fp_csv_destroy. */
typedef struct {
    char **fields;      /* nfields NUL-terminated strings */
    const size_t *lens; /* their lengths in bytes (a field may hold a NUL byte) */
    size_t nfields;     /* at least 1 */
    unsigned long line; /* 1-based physical line where the record starts */
} fp_csv_record_t;

/* Limits; a 0 member keeps the default. */
typedef struct {
    size_t max_fields;       /* default 4096 */
    size_t max_field_bytes;  /* default: max_record_bytes */
    size_t max_record_bytes; /* field contents summed; default 16 MiB */
} fp_csv_limits_t;

#define FP_CSV_DEFAULT_MAX_FIELDS 4096
#define FP_CSV_DEFAULT_MAX_RECORD_BYTES (16u * 1024 * 1024)

fp_csv_t *fp_csv_new(void);
/* NULL-safe, sets *p to NULL; safe to call twice. */
void fp_csv_destroy(fp_csv_t **p);
/* Sets the limits (before the first fp_csv_feed). */
void fp_csv_set_limits(fp_csv_t *csv, const fp_csv_limits_t *limits);

/* Reads from data[0..len) up to the end of the next complete record. *used is how many bytes
 * were taken (all of them when no record completed); *rec is that record, or NULL. Call it
 * again with the rest of the chunk until *used == len. On an error *rec is NULL, *used is 0
 * and the error and its line are available from fp_csv_error. */
fp_err_t fp_csv_feed(fp_csv_t *csv, const char *data, size_t len, size_t *used, const fp_csv_record_t **rec);

/* Ends the input: *rec is the last record if the input did not end with a line break (else
 * NULL). FP_EINVAL when a quoted field is still open. Afterwards fp_csv_feed and fp_csv_finish
 * return no more records. */
fp_err_t fp_csv_finish(fp_csv_t *csv, const fp_csv_record_t **rec);

/* The last error's description in English (e.g. "unterminated quoted field 3"), "" when
 * there was none; *line (if not NULL) gets the line where the failing record started. */
const char *fp_csv_error(const fp_csv_t *csv, unsigned long *line);

/* The physical line (1-based) of the next byte to be read. */
unsigned long fp_csv_line(const fp_csv_t *csv);

/* ---- writing ----------------------------------------------------------------------------------
 *
 * One field, appended to b as RFC 4180 text that the reader above gives back:
 *   - spreadsheet-formula guard: a field whose first byte is '=', '+', '-', '@', a tab or a CR
 *     gets a leading apostrophe ('), so that text typed by a person (a name, a reason) is never
 *     run as a formula by the spreadsheet a cadre opens the file in;
 *   - quoted ("...", a '"' written as '""') when it holds ',', '"', CR, LF or NUL, or begins or
 *     ends with a space (so that no reader trims it).
 * Read back, a field is the same bytes, after the apostrophe if one was added. */
void fp_csv_put_n(fp_buf_t *b, const char *s, size_t n);
/* fp_csv_put_n of a NUL-terminated string. */
void fp_csv_put(fp_buf_t *b, const char *s);
/* A number the program formatted: an optional '-', digits, at most one '.' between digits, is
 * written as it is (a negative number stays a number in the spreadsheet); anything else is
 * written by fp_csv_put, guard included. */
void fp_csv_put_number(fp_buf_t *b, const char *s);
/* The n fields, by fp_csv_put, separated by ',' and ended by CRLF. */
void fp_csv_put_row(fp_buf_t *b, const char *const *fields, size_t n);
/* The UTF-8 byte order mark that makes Excel read the file as UTF-8 (at the start of a file). */
#define FP_CSV_BOM "\xEF\xBB\xBF"

/* ---- a results file ---------------------------------------------------------------------------
 *
 * The file a reader of department or ledger files writes beside its input (FILE.results.csv):
 * rows buffered and written in 64 KiB pieces to OUT.tmpPID, which is renamed to OUT only when
 * every byte is written, so that a reader never sees half of one. */
typedef struct {
    FILE *f;
    fp_buf_t tmp; /* the temporary name */
    fp_buf_t buf; /* rows not yet written */
    bool bad;     /* a write failed */
} fp_csv_file_t;

/* FILE.csv -> FILE.results.csv (any other name gets ".results.csv" added); caller frees. */
char *fp_csv_results_path(const char *input);
/* Opens OUT's temporary file and writes the BOM and the header line (header without CRLF).
 * -1 (errno set, nothing left open) when it cannot be created. */
int fp_csv_file_open(fp_csv_file_t *w, const char *out, const char *header);
void fp_csv_file_row(fp_csv_file_t *w, const char *const *cells, size_t n);
/* Writes what is buffered, closes and renames to OUT: 0, or -1 (errno set) when any write, the
 * close or the rename failed; then the temporary file is removed. Frees w's buffers either way. */
int fp_csv_file_close(fp_csv_file_t *w, const char *out);

#endif
