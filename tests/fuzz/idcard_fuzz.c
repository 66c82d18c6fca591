/* idcard_fuzz.c: libFuzzer target for ID-number parsing, the 15-digit upgrade and the
 * masker. Invariants: a parsed number is normalized and self-consistent, an upgraded number
 * parses, and masked text keeps its length, changes only digits/X into '*', holds no
 * ID-like run, and masking it again changes nothing. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "idcard.h"
#include "mem.h"

static bool s_has_id_run(const char *t)
{
    const char *p = t;
    while (*p) {
        if (*p < '0' || *p > '9') {
            p++;
            continue;
        }
        const char *q = p;
        while (*q >= '0' && *q <= '9') q++;
        size_t n = (size_t)(q - p);
        if (n == 15 || n == 18 || (n == 17 && (*q == 'X' || *q == 'x'))) return true;
        p = q;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    fp_idcard_t id;
    int32_t today = size > 0 ? (int32_t)data[0] * 100 : 0;
    fp_err_t rc = fp_idcard_parse(s, today, &id);
    if (rc == FP_OK) {
        if (strlen(id.number) != 18 || strncmp(id.number, s, 17) != 0) abort();
        if (fp_idcard_check_char(id.number) != id.number[17]) abort();
        if (!fp_date_valid(id.birth_year, id.birth_month, id.birth_day)) abort();
        if (today > 0 && fp_date_from_civil(id.birth_year, id.birth_month, id.birth_day) > today) abort();
        if (id.sex != 1 && id.sex != 2) abort();
        if (strncmp(id.region6, s, 6) != 0 || strlen(id.region6) != 6) abort();
        fp_idcard_t again;
        if (fp_idcard_parse(id.number, today, &again) != FP_OK) abort();
        if (memcmp(again.number, id.number, 19) != 0) abort();
        char m[19];
        fp_idcard_mask(id.number, m, sizeof m);
        if (strlen(m) != 18 || strspn(m + 4, "*") != 10) abort();
    }

    char up[19];
    fp_err_t urc = fp_idcard_upgrade15(s, up);
    if (urc == FP_OK) {
        if (rc != FP_ELEGACY) abort();
        if (fp_idcard_parse(up, 0, &id) != FP_OK) abort();
        if (id.birth_year < 1900 || id.birth_year > 1999) abort();
    }

    char m[8];
    fp_idcard_mask(s, m, sizeof m); /* truncating path */

    fp_buf_t out = {0}, twice = {0};
    fp_mask_ids_in_text(s, &out);
    size_t len = strlen(s);
    if (out.len != len || strlen(out.data) != len) abort();
    for (size_t i = 0; i < len; i++) {
        if (out.data[i] == s[i]) continue;
        bool digit = (s[i] >= '0' && s[i] <= '9') || s[i] == 'X' || s[i] == 'x';
        if (out.data[i] != '*' || !digit) abort();
    }
    if (s_has_id_run(out.data)) abort();
    fp_mask_ids_in_text(out.data, &twice);
    if (strcmp(twice.data, out.data) != 0) abort();
    fp_buf_free(&out);
    fp_buf_free(&twice);
    free(s);
    return 0;
}
