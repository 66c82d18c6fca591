/* region.h: national statistical division codes (统计用区划代码). Short forms by level:
 * 2 digits province, 4 city/prefecture, 6 county, 9 township, 12 village; a code's prefix is
 * its parent. The 12-digit padded national form fills the missing levels with zeros
 * (130822000000 is county 130822, 130822112000 township 130822112). */
#ifndef FP_REGION_H
#define FP_REGION_H
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

typedef enum {
    FP_REGION_PROVINCE = 1,
    FP_REGION_CITY,
    FP_REGION_COUNTY,
    FP_REGION_TOWNSHIP,
    FP_REGION_VILLAGE
} fp_region_level_t;

/* Parses a code into its short form and level.
 * - 2/4/6/9 digits: a short form; every group must be non-zero (province "00", city "00",
 *   county "00", township "000" are FP_EINVAL). Only the 12-digit form is read as padded, so
 *   the 6-digit GB/T 2260 spelling "130800" is FP_EINVAL, not city 1308.
 * - 12 digits: trailing zero groups are stripped (village 000, township 000, county 00,
 *   city 00, in that order) to find the level; what remains must have no zero group
 *   (130800112000 is FP_EINVAL, 000000000000 too). Not ending in 000: a village.
 * FP_EINVAL also for NULL, empty, non-digits (spaces included) and other lengths.
 * out_short and *level are written only on FP_OK (level may be NULL). */
fp_err_t fp_region_parse(const char *s, char out_short[13], fp_region_level_t *level);

/* The 12-digit padded form of a valid short (or padded) code; "" if it is not valid. */
void fp_region_pad12(const char *short_code, char out[13]);

/* Level for a short-form length (2,4,6,9,12 -> 1..5); -1 for any other length. */
int fp_region_level_of_len(size_t len);

/* Short form of the parent. FP_ENOTFOUND for a province, FP_EINVAL for a malformed code. */
fp_err_t fp_region_parent(const char *short_code, char out[13]);

/* True if `code` is `prefix` or lies inside it. Both are parsed first (so padded forms work);
 * a malformed code or prefix is never within anything. An empty (or NULL) prefix contains
 * every non-NULL code. */
bool fp_region_within(const char *code, const char *prefix);

/* The 6-digit county containing a county, township or village code. FP_ENOTFOUND for a
 * province or city code, FP_EINVAL for a malformed one. */
fp_err_t fp_region_county(const char *code, char out[7]);

/* "province", "city", "county", "township", "village"; "unknown" for anything else. */
const char *fp_region_level_name(fp_region_level_t level);

#endif
