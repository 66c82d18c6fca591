/* region.c: parsing and prefix arithmetic of statistical division codes (short and 12-digit
 * padded forms). Structure only: whether a code exists is the region table's business. */
#include "region.h"

#include <string.h>

/* End offsets of the five groups: province [0,2) city [2,4) county [4,6) township [6,9)
 * village [9,12). s_ends[level-1] is the short-form length of that level. */
static const size_t s_ends[5] = {2, 4, 6, 9, 12};

static bool s_all(const char *s, size_t from, size_t to, char c)
{
    for (size_t i = from; i < to; i++)
        if (s[i] != c) return false;
    return true;
}

int fp_region_level_of_len(size_t len)
{
    for (int i = 0; i < 5; i++)
        if (s_ends[i] == len) return i + 1;
    return -1;
}

fp_err_t fp_region_parse(const char *s, char out_short[13], fp_region_level_t *level)
{
    if (!s || !out_short) return FP_EINVAL;
    size_t len = strnlen(s, 13);
    int lv = fp_region_level_of_len(len);
    if (lv < 0) return FP_EINVAL;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9') return FP_EINVAL;
    if (lv == FP_REGION_VILLAGE) {
        /* Padded form: strip trailing zero groups to find the level. */
        while (lv > 1 && s_all(s, s_ends[lv - 2], s_ends[lv - 1], '0')) lv--;
    }
    size_t from = 0;
    for (int i = 0; i < lv; i++) {
        if (s_all(s, from, s_ends[i], '0')) return FP_EINVAL;
        from = s_ends[i];
    }
    memcpy(out_short, s, s_ends[lv - 1]);
    out_short[s_ends[lv - 1]] = '\0';
    if (level) *level = (fp_region_level_t)lv;
    return FP_OK;
}

void fp_region_pad12(const char *short_code, char out[13])
{
    char sh[13];
    if (fp_region_parse(short_code, sh, NULL) != FP_OK) {
        out[0] = '\0';
        return;
    }
    size_t n = strlen(sh);
    memcpy(out, sh, n);
    memset(out + n, '0', 12 - n);
    out[12] = '\0';
}

fp_err_t fp_region_parent(const char *short_code, char out[13])
{
    char sh[13];
    fp_region_level_t lv;
    fp_err_t rc = fp_region_parse(short_code, sh, &lv);
    if (rc != FP_OK) return rc;
    if (lv == FP_REGION_PROVINCE) return FP_ENOTFOUND;
    size_t n = s_ends[lv - 2];
    memcpy(out, sh, n);
    out[n] = '\0';
    return FP_OK;
}

bool fp_region_within(const char *code, const char *prefix)
{
    if (!code) return false;
    if (!prefix || !*prefix) return true;
    char c[13], p[13];
    if (fp_region_parse(code, c, NULL) != FP_OK || fp_region_parse(prefix, p, NULL) != FP_OK) return false;
    return strncmp(c, p, strlen(p)) == 0;
}

fp_err_t fp_region_county(const char *code, char out[7])
{
    char sh[13];
    fp_region_level_t lv;
    fp_err_t rc = fp_region_parse(code, sh, &lv);
    if (rc != FP_OK) return rc;
    if (lv < FP_REGION_COUNTY) return FP_ENOTFOUND;
    memcpy(out, sh, 6);
    out[6] = '\0';
    return FP_OK;
}

const char *fp_region_level_name(fp_region_level_t level)
{
    switch (level) {
    case FP_REGION_PROVINCE: return "province";
    case FP_REGION_CITY: return "city";
    case FP_REGION_COUNTY: return "county";
    case FP_REGION_TOWNSHIP: return "township";
    case FP_REGION_VILLAGE: return "village";
    }
    return "unknown";
}
