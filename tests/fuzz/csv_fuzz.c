/* csv_fuzz.c: libFuzzer target for the streaming CSV reader (common/csv.c). Invariants: the
 * records, and the error with its line, are the same whether the input comes in one chunk,
 * byte by byte, or in chunks of sizes taken from the input; every field is NUL-terminated at
 * its length; record lines strictly increase; the limits hold. Run with default and small
 * limits (the second exercises every limit path). And the writer: every record read, written
 * back with fp_csv_put_n, reads again as the same fields, each after the apostrophe the
 * formula guard adds to a field that starts with = + - @ tab or CR. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "mem.h"

/* Writes rec with the writer, reads it back, and aborts unless every field is the same bytes
 * (after the guard's apostrophe). */
static void s_roundtrip(const fp_csv_record_t *rec)
{
    fp_buf_t b = {0};
    fp_buf_puts(&b, FP_CSV_BOM); /* as the files begin; a field's own BOM then stays its bytes */
    for (size_t i = 0; i < rec->nfields; i++) {
        if (i) fp_buf_puts(&b, ",");
        fp_csv_put_n(&b, rec->fields[i], rec->lens[i]);
    }
    fp_buf_puts(&b, "\r\n");
    fp_csv_t *csv = fp_csv_new();
    const fp_csv_record_t *back = NULL;
    size_t used = 0;
    if (fp_csv_feed(csv, b.data, b.len, &used, &back) != FP_OK || !back) {
        /* a record of one empty field is written as a blank line, which the reader skips */
        if (rec->nfields != 1 || rec->lens[0] != 0) abort();
    } else {
        if (back->nfields != rec->nfields) abort();
        for (size_t i = 0; i < rec->nfields; i++) {
            const char *f = rec->fields[i];
            size_t n = rec->lens[i];
            bool guard = n && strchr("=+-@\t\r", f[0]) && f[0];
            if (back->lens[i] != n + guard) abort();
            if (guard && back->fields[i][0] != '\'') abort();
            if (memcmp(back->fields[i] + guard, f, n)) abort();
        }
    }
    fp_csv_destroy(&csv);
    fp_buf_free(&b);
}

/* Parses data in chunks: step 0 = one chunk, otherwise the chunk sizes cycle through
 * 1..step driven by the bytes themselves. Returns a transcript of the records and error. */
static void s_parse(const uint8_t *data, size_t size, size_t step, const fp_csv_limits_t *lim, fp_buf_t *out)
{
    fp_csv_t *csv = fp_csv_new();
    if (lim) fp_csv_set_limits(csv, lim);
    const fp_csv_record_t *rec;
    size_t off = 0, k = 0;
    unsigned long last = 0;
    fp_err_t rc = FP_OK;
    fp_buf_puts(out, "");
    while (off < size && rc == FP_OK) {
        size_t n = size - off;
        if (step) {
            n = 1 + (data[k % size] + k) % step;
            k++;
        }
        if (n > size - off) n = size - off;
        size_t done = 0, used;
        while (done < n) {
            rc = fp_csv_feed(csv, (const char *)data + off + done, n - done, &used, &rec);
            if (rc != FP_OK) break;
            if (used == 0 || used > n - done) abort();
            if (!rec && used != n - done) abort();
            done += used;
            if (rec) {
                if (rec->nfields < 1 || rec->line <= last) abort();
                if (lim && lim->max_fields && rec->nfields > lim->max_fields) abort();
                last = rec->line;
                size_t total = 0;
                fp_buf_printf(out, "%lu:%zu", rec->line, rec->nfields);
                for (size_t i = 0; i < rec->nfields; i++) {
                    if (rec->fields[i][rec->lens[i]] != '\0') abort();
                    if (lim && lim->max_field_bytes && rec->lens[i] > lim->max_field_bytes) abort();
                    total += rec->lens[i];
                    fp_buf_printf(out, "[%zu]", rec->lens[i]);
                    fp_buf_append(out, rec->fields[i], rec->lens[i]);
                }
                if (lim && lim->max_record_bytes && total > lim->max_record_bytes) abort();
                if (step == 0) s_roundtrip(rec);
                fp_buf_puts(out, "\n");
            }
        }
        off += n;
    }
    if (rc == FP_OK) {
        rc = fp_csv_finish(csv, &rec);
        if (rc == FP_OK && rec) {
            if (rec->line <= last) abort();
            fp_buf_printf(out, "%lu:%zu", rec->line, rec->nfields);
            for (size_t i = 0; i < rec->nfields; i++) {
                fp_buf_printf(out, "[%zu]", rec->lens[i]);
                fp_buf_append(out, rec->fields[i], rec->lens[i]);
            }
            fp_buf_puts(out, "\n");
        }
    }
    if (rc != FP_OK) {
        if (rc != FP_EINVAL && rc != FP_ETOOBIG) abort();
        unsigned long line = 0;
        const char *msg = fp_csv_error(csv, &line);
        if (!msg[0] || line < 1 || line < last) abort();
        fp_buf_printf(out, "ERR %d %lu %s\n", rc, line, msg);
    }
    fp_csv_destroy(&csv);
}

static void s_check(const uint8_t *data, size_t size, const fp_csv_limits_t *lim)
{
    fp_buf_t whole = {0}, bytes = {0}, mixed = {0};
    s_parse(data, size, 0, lim, &whole);
    s_parse(data, size, 1, lim, &bytes);
    s_parse(data, size, 17, lim, &mixed);
    if (whole.len != bytes.len || memcmp(whole.data, bytes.data, whole.len) != 0) abort();
    if (whole.len != mixed.len || memcmp(whole.data, mixed.data, whole.len) != 0) abort();
    fp_buf_free(&whole);
    fp_buf_free(&bytes);
    fp_buf_free(&mixed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024) return 0;
    s_check(data, size, NULL);
    fp_csv_limits_t small = {.max_fields = 5, .max_field_bytes = 12, .max_record_bytes = 30};
    s_check(data, size, &small);
    return 0;
}
