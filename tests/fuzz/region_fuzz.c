/* region_fuzz.c: libFuzzer target for statistical division codes. Invariants: a parsed
 * code's short form has its level's length, its pad12 re-parses to the same short code and
 * level, its parent is one level up and contains it, and its county is its first six digits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "region.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    char sh[13], sh2[13], pad[13], par[13], cty[7];
    fp_region_level_t lv, lv2, plv;
    if (fp_region_parse(s, sh, &lv) == FP_OK) {
        if (lv < FP_REGION_PROVINCE || lv > FP_REGION_VILLAGE) abort();
        if (fp_region_level_of_len(strlen(sh)) != (int)lv) abort();
        if (strncmp(sh, s, strlen(sh)) != 0) abort();
        fp_region_pad12(sh, pad);
        if (strlen(pad) != 12) abort();
        if (fp_region_parse(pad, sh2, &lv2) != FP_OK || strcmp(sh, sh2) != 0 || lv != lv2) abort();
        fp_region_pad12(s, sh2);
        if (strcmp(pad, sh2) != 0) abort();
        if (fp_region_parse(sh, sh2, &lv2) != FP_OK || strcmp(sh, sh2) != 0) abort();
        if (!fp_region_within(s, sh) || !fp_region_within(sh, s) || !fp_region_within(s, "")) abort();
        fp_err_t rc = fp_region_parent(sh, par);
        if (lv == FP_REGION_PROVINCE) {
            if (rc != FP_ENOTFOUND) abort();
        } else {
            if (rc != FP_OK) abort();
            if (fp_region_parse(par, sh2, &plv) != FP_OK || plv != lv - 1) abort();
            if (!fp_region_within(sh, par) || fp_region_within(par, sh)) abort();
        }
        rc = fp_region_county(sh, cty);
        if (lv >= FP_REGION_COUNTY) {
            if (rc != FP_OK || strncmp(cty, sh, 6) != 0 || strlen(cty) != 6) abort();
        } else if (rc != FP_ENOTFOUND) {
            abort();
        }
        if (strcmp(fp_region_level_name(lv), "unknown") == 0) abort();
    } else {
        fp_region_pad12(s, pad);
        if (pad[0] != '\0') abort();
        if (fp_region_parent(s, par) != FP_EINVAL) abort();
        if (fp_region_county(s, cty) != FP_EINVAL) abort();
        if (*s && fp_region_within(s, "13")) abort();
    }
    /* Split the input in two: containment of an arbitrary pair implies both parse and the
     * prefix's short form begins the code's. */
    size_t half = size / 2;
    char *a = malloc(half + 1);
    if (a) {
        memcpy(a, data, half);
        a[half] = '\0';
        const char *bsrc = s + half;
        if (fp_region_within(bsrc, a) && *a) {
            if (fp_region_parse(a, sh, NULL) != FP_OK || fp_region_parse(bsrc, sh2, NULL) != FP_OK) abort();
            if (strncmp(sh2, sh, strlen(sh)) != 0) abort();
        }
        free(a);
    }
    free(s);
    return 0;
}
