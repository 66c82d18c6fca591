/* idcard.h: the 18-character resident ID number (身份证号, GB 11643-1999): parsing with its
 * MOD 11-2 check character, conversion of the legacy 15-digit form, and masking for logs and
 * public notices (an ID number is personal data and never appears unmasked). */
#ifndef FP_IDCARD_H
#define FP_IDCARD_H
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "mem.h"

typedef struct {
    char number[19]; /* normalized: 17 digits + digit or upper-case 'X' */
    int birth_year;
    int birth_month;
    int birth_day;
    int sex;         /* 1 male (odd 17th digit), 2 female (even) */
    char region6[7]; /* the first six digits: the issuing county's GB/T 2260 code */
} fp_idcard_t;

/* Parses and validates an ID number. today_days (days since 1970-01-01, see date.h) bounds
 * the birth date; pass 0 or a negative value to skip that check. Checks, in this order:
 *   FP_EINVAL     NULL, or a 15-digit string is not the case and the length is not 18,
 *                 or the first 17 are not all digits, or the last is not a digit/X/x,
 *                 or the first two digits are not a GB/T 2260 province code
 *                 (11-15, 21-23, 31-37, 41-46, 50-54, 61-65, 71, 81, 82);
 *   FP_ELEGACY    exactly 15 digits: the legacy form, see fp_idcard_upgrade15;
 *   FP_ECHECKSUM  the check character does not match;
 *   FP_EDATE      the birth date (characters 7-14, YYYYMMDD) is not a real date, or its year
 *                 is before 1900 or after 2199, or it is after today_days (when given).
 * The check character is verified before the date: a number that passes it was transcribed
 * as issued, so a bad date then means a bad number rather than a typing slip.
 * *out is written only on FP_OK (the trailing 'x' normalized to 'X'). */
fp_err_t fp_idcard_parse(const char *s, int32_t today_days, fp_idcard_t *out);

/* The MOD 11-2 check character ('0'-'9' or 'X') of 17 leading digits; '\0' if the first 17
 * characters of digits17 are not all digits. */
char fp_idcard_check_char(const char *digits17);

/* Converts a legacy 15-digit number (6 region digits, YYMMDD birth date in the 1900s, 3-digit
 * sequence) to the 18-character form: inserts "19" before the year and appends the check
 * character. FP_EINVAL unless exactly 15 digits with a valid province; FP_EDATE if the birth
 * date is not a real date. out (NUL-terminated) is written only on FP_OK. */
fp_err_t fp_idcard_upgrade15(const char *s15, char out[19]);

/* Masks one ID number: the first 4 and last 4 characters are kept, the rest become '*'
 * ("130822199001011234" -> "1308**********1234", 15 characters -> 4 + 7 '*' + 4). Anything
 * that is not 15 or 18 characters long (NULL included) gives "****". Truncated, still
 * NUL-terminated, if outsz is too small (19 always suffices); nothing written if outsz is 0. */
void fp_idcard_mask(const char *in, char *out, size_t outsz);

/* Appends `in` to `out`, masking as fp_idcard_mask every ID-like run:
 *   - a maximal run of exactly 18 or exactly 15 ASCII digits, or
 *   - a maximal run of exactly 17 ASCII digits followed by 'X' or 'x' (18 characters).
 * Runs of other lengths (a 19-digit account number, a 16-digit run, ...) are copied as they
 * are. Letters or punctuation around a run do not stop it being masked: masking too much is
 * the safe side. Only ASCII bytes are inspected and they never occur inside a multi-byte
 * UTF-8 sequence, so Chinese text passes through byte for byte. Full-width digits (１２３) are
 * not recognized. out->data is non-NULL afterwards, even for empty input. */
void fp_mask_ids_in_text(const char *in, fp_buf_t *out);

#endif
