/* money.c: strict parsing and formatting of yuan amounts held as int64_t fen. The parser
 * accepts one plain decimal form and rejects everything else rather than guessing, so a
 * figure typed into a form or pushed by a department is either exact or refused. */
#include "money.h"

#include <stdbool.h>
#include <stdio.h>

fp_err_t fp_money_parse_yuan(const char *s, int64_t *fen)
{
    if (!s || !fen) return FP_EINVAL;
    const char *p = s;
    while (*p == ' ') p++;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    /* Integer part: at least one digit. Accumulate saturating just above the limit so that
     * arbitrarily long input cannot overflow; syntax is checked to the end first. */
    uint64_t v = 0;
    const uint64_t cap = (uint64_t)FP_MONEY_MAX_FEN + 1;
    int ndig = 0;
    for (; *p >= '0' && *p <= '9'; p++, ndig++) {
        if (v < cap) v = v * 10 + (uint64_t)(*p - '0') * 100;
        if (v > cap) v = cap;
    }
    if (ndig == 0) return FP_EINVAL;
    if (*p == '.') {
        p++;
        int nfrac = 0;
        uint64_t frac = 0;
        for (; *p >= '0' && *p <= '9'; p++, nfrac++)
            if (nfrac < 2) frac = frac * 10 + (uint64_t)(*p - '0');
        if (nfrac == 0 || nfrac > 2) return FP_EINVAL;
        if (nfrac == 1) frac *= 10;
        v += frac;
    }
    while (*p == ' ') p++;
    if (*p != '\0') return FP_EINVAL;
    if (v > (uint64_t)FP_MONEY_MAX_FEN) return FP_ERANGE;
    *fen = neg ? -(int64_t)v : (int64_t)v;
    return FP_OK;
}

fp_err_t fp_money_parse_yuan_nonneg(const char *s, int64_t *fen)
{
    int64_t v;
    fp_err_t rc = fp_money_parse_yuan(s, &v);
    if (rc != FP_OK) return rc;
    if (v < 0) return FP_ERANGE;
    *fen = v;
    return FP_OK;
}

void fp_money_format(int64_t fen, char *out, size_t outsz)
{
    if (!out || outsz == 0) return;
    /* Magnitude in unsigned arithmetic: -INT64_MIN does not fit an int64_t. */
    uint64_t mag = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    snprintf(out, outsz, "%s%llu.%02u", fen < 0 ? "-" : "", (unsigned long long)(mag / 100), (unsigned)(mag % 100));
}
