/* ledger_fuzz.c: libFuzzer target for the rules of the ledger's census file (common/ledger.c),
 * what `fangpinctl ledger import` does in C before the database: encoding detection
 * (UTF-8/GBK), CSV, the header and every line's own checks, read whole and again in pieces of
 * a size taken from the input. Invariants: no crash, leak or blow-up; the pieces give the same
 * lines as the whole; every refused line has a reason with a code and both texts; an accepted
 * line has its household's columns, its ID number and its stored codes; a refused file says
 * why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "ledger.h"
#include "textenc.h"

typedef struct {
    unsigned long n;
    uint64_t sum; /* of the line numbers and codes' first bytes: the pieces must agree */
} s_seen_t;

static int s_check(void *ctx, const fp_ledger_t *lg, const fp_ledger_line_t *l)
{
    (void)lg;
    s_seen_t *s = ctx;
    s->n++;
    s->sum = s->sum * 31 + l->line + (l->code ? (unsigned char)l->code[0] : 0);
    if (l->code && (!l->code[0] || !l->zh || !l->zh[0] || !l->en || !l->en[0])) abort();
    if (!l->code &&
        (!l->household_no || !l->hh.has_data || strlen(l->id) != 18 || !l->sex || !l->labour || !l->health ||
         !l->schooling || !l->relation || !l->name))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fp_ledger_t lg;
    s_seen_t whole = {0}, cut = {0};
    fp_ledger_init(&lg, fp_date_from_civil(2026, 11, 24), s_check, &whole);
    unsigned long line;
    char msg[1024];
    fp_err_t rc = fp_ledger_read(&lg, (const char *)data, size, &line, msg, sizeof msg);
    if (rc != FP_OK && !msg[0]) abort();
    if (rc == FP_OK && lg.nlines != whole.n) abort();
    fp_ledger_free(&lg);
    if (rc != FP_OK || !size) return 0;
    /* again in pieces, decoded as the whole was */
    fp_buf_t text = {0};
    if (fp_text_to_utf8((const char *)data, size, &text, NULL) != FP_OK) abort();
    size_t step = 1 + data[0] % 61;
    fp_ledger_init(&lg, fp_date_from_civil(2026, 11, 24), s_check, &cut);
    for (size_t off = 0; off < text.len; off += step) {
        size_t n = text.len - off < step ? text.len - off : step;
        if (fp_ledger_feed(&lg, text.data + off, n, &line, msg, sizeof msg) != FP_OK) abort();
    }
    if (fp_ledger_finish(&lg, &line, msg, sizeof msg) != FP_OK) abort();
    if (cut.n != whole.n || cut.sum != whole.sum) abort();
    fp_ledger_free(&lg);
    fp_buf_free(&text);
    return 0;
}
