/* idcard.c: resident ID numbers (GB 11643-1999): validation with the MOD 11-2 check
 * character and the birth date, upgrade of the legacy 15-digit form, and the masker that
 * keeps ID numbers out of logs, events and public notices. */
#include "idcard.h"

#include <stdbool.h>
#include <string.h>

#include "date.h"

static const int s_weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char s_check_map[] = "10X98765432";

static bool s_is_digit(char c) { return c >= '0' && c <= '9'; }

static bool s_all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!s_is_digit(s[i])) return false;
    return true;
}

/* GB/T 2260 province-level codes. */
static bool s_province_ok(const char *s)
{
    int p = (s[0] - '0') * 10 + (s[1] - '0');
    switch (p / 10) {
    case 1: return p >= 11 && p <= 15;
    case 2: return p >= 21 && p <= 23;
    case 3: return p >= 31 && p <= 37;
    case 4: return p >= 41 && p <= 46;
    case 5: return p >= 50 && p <= 54;
    case 6: return p >= 61 && p <= 65;
    case 7: return p == 71;
    case 8: return p >= 81 && p <= 83; /* 83: residence permits of Taiwan residents (GB 11643 as amended 2018) */
    default: return false;
    }
}

char fp_idcard_check_char(const char *digits17)
{
    if (!digits17) return '\0';
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (!s_is_digit(digits17[i])) return '\0';
        sum += (digits17[i] - '0') * s_weights[i];
    }
    return s_check_map[sum % 11];
}

static int s_num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) v = v * 10 + (s[i] - '0');
    return v;
}

fp_err_t fp_idcard_parse(const char *s, int32_t today_days, fp_idcard_t *out)
{
    if (!s || !out) return FP_EINVAL;
    size_t len = strnlen(s, 19);
    if (len == 15 && s_all_digits(s, 15)) return FP_ELEGACY;
    if (len != 18 || !s_all_digits(s, 17)) return FP_EINVAL;
    char last = s[17];
    if (last == 'x') last = 'X';
    if (!s_is_digit(last) && last != 'X') return FP_EINVAL;
    if (!s_province_ok(s)) return FP_EINVAL;
    if (fp_idcard_check_char(s) != last) return FP_ECHECKSUM;

    int y = s_num(s + 6, 4), m = s_num(s + 10, 2), d = s_num(s + 12, 2);
    if (y < FP_DATE_MIN_YEAR || y > FP_DATE_MAX_YEAR || !fp_date_valid(y, m, d)) return FP_EDATE;
    if (today_days > 0 && fp_date_from_civil(y, m, d) > today_days) return FP_EDATE;

    memcpy(out->number, s, 17);
    out->number[17] = last;
    out->number[18] = '\0';
    out->birth_year = y;
    out->birth_month = m;
    out->birth_day = d;
    out->sex = (s[16] - '0') % 2 == 1 ? 1 : 2;
    memcpy(out->region6, s, 6);
    out->region6[6] = '\0';
    return FP_OK;
}

fp_err_t fp_idcard_upgrade15(const char *s15, char out[19])
{
    if (!s15 || !out) return FP_EINVAL;
    if (strnlen(s15, 16) != 15 || !s_all_digits(s15, 15) || !s_province_ok(s15)) return FP_EINVAL;
    if (!fp_date_valid(1900 + s_num(s15 + 6, 2), s_num(s15 + 8, 2), s_num(s15 + 10, 2))) return FP_EDATE;
    char n[19];
    memcpy(n, s15, 6);
    n[6] = '1';
    n[7] = '9';
    memcpy(n + 8, s15 + 6, 9);
    n[17] = fp_idcard_check_char(n);
    n[18] = '\0';
    memcpy(out, n, 19);
    return FP_OK;
}

/* Writes the masked form of the n (15 or 18) characters at in into dst (n bytes, no NUL). */
static void s_mask_into(const char *in, size_t n, char *dst)
{
    memcpy(dst, in, 4);
    memset(dst + 4, '*', n - 8);
    memcpy(dst + n - 4, in + n - 4, 4);
}

void fp_idcard_mask(const char *in, char *out, size_t outsz)
{
    if (!out || outsz == 0) return;
    char tmp[19];
    size_t n = in ? strnlen(in, 19) : 0;
    if (n == 15 || n == 18) {
        s_mask_into(in, n, tmp);
        tmp[n] = '\0';
    } else {
        memcpy(tmp, "****", 5);
        n = 4;
    }
    if (n >= outsz) n = outsz - 1;
    memcpy(out, tmp, n);
    out[n] = '\0';
}

void fp_mask_ids_in_text(const char *in, fp_buf_t *out)
{
    if (!out) return;
    fp_buf_append(out, "", 0);
    if (!in) return;
    const char *p = in;
    while (*p) {
        if (!s_is_digit(*p)) {
            const char *q = p;
            while (*q && !s_is_digit(*q)) q++;
            fp_buf_append(out, p, (size_t)(q - p));
            p = q;
            continue;
        }
        const char *q = p;
        while (s_is_digit(*q)) q++;
        size_t run = (size_t)(q - p);
        size_t idlen = 0;
        if (run == 15 || run == 18) idlen = run;
        else if (run == 17 && (*q == 'X' || *q == 'x')) idlen = 18;
        if (idlen) {
            char m[18];
            s_mask_into(p, idlen, m);
            fp_buf_append(out, m, idlen);
            p += idlen;
        } else {
            fp_buf_append(out, p, run);
            p = q;
        }
    }
}
