/* profile_fuzz.c: libFuzzer target for the column-profile text (common/profile.c). Invariants:
 * a refusal always has a message; a parsed profile maps every required field, names no column
 * twice and finds its own columns in a header made of its names; its dates come out as
 * YYYY-MM-DD and its amounts within the money limit for any cell. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "profile.h"

/* A header of the profile's own names (each once) must lay out. */
static void s_own_header(const fp_profile_t *p)
{
    const char *cells[FP_PF_N * FP_PROFILE_NAMES + FP_PROFILE_KEEP];
    size_t lens[FP_PF_N * FP_PROFILE_NAMES + FP_PROFILE_KEEP], n = 0;
    for (int f = 0; f < FP_PF_N; f++) {
        if (p->f[f].how == FP_PROFILE_FIXED) continue;
        for (uint8_t k = 0; k < (p->f[f].how == FP_PROFILE_ANY_OF ? 1 : p->f[f].n); k++) {
            cells[n] = p->f[f].names[k];
            lens[n++] = strlen(p->f[f].names[k]);
        }
    }
    for (uint8_t k = 0; k < p->nkeep; k++) cells[n] = p->keep[k], lens[n++] = strlen(p->keep[k]);
    fp_profile_layout_t lay;
    fp_buf_t why = {0}, v = {0};
    if (fp_profile_header(p, cells, lens, n, &lay, &why) != FP_OK) abort();
    for (int f = 0; f < FP_PF_N; f++) fp_profile_value(p, &lay, (fp_pf_field_t)f, cells, lens, n, &v);
    fp_buf_free(&why);
    fp_buf_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fp_profile_t p;
    char err[256];
    if (fp_profile_parse((const char *)data, size, &p, err, sizeof err) != FP_OK) {
        if (!err[0] || !memchr(err, '\0', sizeof err)) abort();
    } else {
        for (int f = 0; f < FP_PF_REQUIRED; f++)
            if (p.f[f].how == FP_PROFILE_NONE) abort();
        s_own_header(&p);
    }
    /* the input as a cell, for the profile (if it parsed) or the built-in one */
    fp_profile_t d;
    fp_profile_default(&d);
    const fp_profile_t *use = err[0] ? &d : &p;
    size_t n = size > 64 ? 64 : size;
    char out[11];
    fp_err_t rc = fp_profile_date(use, (const char *)data, n, out);
    if ((rc == FP_OK || rc == FP_EDATE) && (strlen(out) != 10 || out[4] != '-' || out[7] != '-')) abort();
    int64_t fen = 0;
    if (fp_profile_amount(use, (const char *)data, n, &fen) == FP_OK &&
        (fen > FP_MONEY_MAX_FEN || fen < -FP_MONEY_MAX_FEN))
        abort();
    return 0;
}
