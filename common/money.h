/* money.h: amounts of money as int64_t fen (1 yuan = 100 fen), parsed from and formatted as
 * decimal yuan. Never floating point. */
#ifndef FP_MONEY_H
#define FP_MONEY_H
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* The largest magnitude the parser accepts: 10^13 yuan (10^15 fen). */
#define FP_MONEY_MAX_FEN INT64_C(1000000000000000)
/* Enough for any int64_t: "-92233720368547758.08" is 21 characters. */
#define FP_MONEY_FMT_SIZE 24

/* Parses decimal yuan: optional surrounding ASCII spaces (' '), an optional '-', one or more
 * digits, and optionally '.' followed by one or two digits.
 *   "1234.5" -> 123450, "1234" -> 123400, "0.01" -> 1, "-0.01" -> -1, " 12 " -> 1200.
 * FP_EINVAL for: empty or blank, "+" or a leading '+', "-" alone, letters, "1e5", "1,234",
 * "1 234", "1.2.3", a trailing "." ("12."), no integer digit (".5"), more than two decimals
 * ("1.234": amounts are never rounded silently). FP_ERANGE if the magnitude exceeds
 * 10^13 yuan. *fen is written only on FP_OK. Negative amounts are returned as such; callers
 * that forbid them use fp_money_parse_yuan_nonneg. */
fp_err_t fp_money_parse_yuan(const char *s, int64_t *fen);

/* As fp_money_parse_yuan, but a negative amount is FP_ERANGE ("-0" and "-0.00" are zero and
 * accepted). */
fp_err_t fp_money_parse_yuan_nonneg(const char *s, int64_t *fen);

/* Writes yuan with exactly two decimals: 123450 -> "1234.50", -1 -> "-0.01", 0 -> "0.00".
 * Any int64_t, INT64_MIN included. Truncated (still NUL-terminated) if outsz is too small;
 * FP_MONEY_FMT_SIZE always suffices. Nothing is written if outsz is 0. */
void fp_money_format(int64_t fen, char *out, size_t outsz);

#endif
