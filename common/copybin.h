/* copybin.h: reading PostgreSQL's binary COPY format, as `COPY ... TO STDOUT (FORMAT binary)`
 * sends it: an 11-byte signature, 32-bit flags and a header extension (a 32-bit length and its
 * bytes), once; then each row as a 16-bit field count and each field as a 32-bit length (-1:
 * NULL) and its bytes; then a trailer, the field count -1. All integers big-endian. Pure: no I/O,
 * no allocation but fp_copybin_feed's; the caller holds the bytes, in pieces of any size (a row
 * split across pieces is FP_EAGAIN until the caller has the rest). */
#ifndef FP_COPYBIN_H
#define FP_COPYBIN_H
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "mem.h"

#define FP_COPYBIN_MAX_FIELDS 32 /* a row with more is refused (FP_ETOOBIG) */

/* One row: field i is len[i] bytes at v[i] (pointers into the caller's bytes), or NULL with len -1. */
typedef struct {
    const uint8_t *v[FP_COPYBIN_MAX_FIELDS];
    int32_t len[FP_COPYBIN_MAX_FIELDS];
    int n;
} fp_copybin_row_t;

/* The header at the start of data: FP_OK and *used (its whole length); FP_EAGAIN when len is too
 * short to tell; FP_EINVAL when it is not the signature, or the flags ask for OIDs or a critical
 * flag this reader does not know; FP_ETOOBIG when the extension is longer than 64 KiB. */
fp_err_t fp_copybin_header(const uint8_t *data, size_t len, size_t *used);

/* The row at data (after the header): FP_OK, *used and *row; FP_ENOTFOUND at the trailer (*used
 * 2: no more rows); FP_EAGAIN when data ends inside the row; FP_EINVAL for a field count below -1
 * or a length below -1; FP_ETOOBIG for more than FP_COPYBIN_MAX_FIELDS fields. *row is only
 * meaningful after FP_OK. */
fp_err_t fp_copybin_row(const uint8_t *data, size_t len, size_t *used, fp_copybin_row_t *row);

/* Reads the bytes of a COPY that arrive in pieces (one per CopyData message): parse(arg, bytes,
 * n) reads whole rows from the bytes it is given and returns how many it used; fp_copybin_feed
 * gives it the piece at data, after the bytes of earlier pieces it left, and keeps what it leaves
 * now in partial (a row split across messages, or rows the reader is not ready for) for the next
 * piece. The one function here that allocates: partial grows as the bytes left do. */
typedef size_t (*fp_copybin_parse_fn)(void *arg, const uint8_t *data, size_t n);
void fp_copybin_feed(fp_buf_t *partial, const void *data, size_t len, fp_copybin_parse_fn parse, void *arg);

#endif
