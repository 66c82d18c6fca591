/* villagename.h: a village given as people write it. A department's file names a village by its
 * 12-digit code, by its township and village names (三道河镇花水村, 三道河镇 花水村) or by an
 * address that holds them (河北省承德市兴隆县三道河镇花水村5组). This module matches such a
 * text against an index of one county's regions (its province, prefecture, county, townships
 * and villages, as the region table names them), after fp_kind_norm (full-width to ASCII, no
 * spaces or punctuation) and, when the simplified text matches nothing, again after a caller's
 * traditional-to-simplified conversion. Nothing is guessed: a text two villages answer equally
 * well is ambiguous. Pure: the conversion is the caller's (intake: OpenCC). */
#ifndef FP_VILLAGENAME_H
#define FP_VILLAGENAME_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for a normalised place name or text, its NUL included (as FP_KIND_NORM_MAX). */
#define FP_VNAME_MAX 192
/* Ways a place may be written (full name, without its 镇/乡/县... suffix, without an ethnic
 * part such as 满族). */
#define FP_VNAME_FORMS 4

typedef struct {
    char code[13];                            /* the region code: 2, 4, 6, 9 or 12 digits */
    char name[128];                           /* as in the region table: "花水村民委员会", cut at 127 bytes */
    int level;                                /* 1 province .. 5 village */
    char forms[FP_VNAME_FORMS][FP_VNAME_MAX]; /* normalised; a village's: its core, its name */
    int nforms;
    bool community; /* a village: its name ends in 社区, 居民委员会 or 居委会 (not 村) */
} fp_vplace_t;

/* One county's places; fp_village_index_add fills it, fp_village_index_free empties it. */
typedef struct {
    fp_vplace_t *places;
    uint32_t *lead; /* per place: the bytes of the first character its forms all begin with, so
                       that a match skips most places without reading them */
    size_t n, cap;
} fp_village_index_t;

/* Adds a region row (code, level 1..5, name). A village's forms are its core, its normalised
 * name without one suffix 村民委员会, 居民委员会, 村委会 or 居委会 and then without a trailing
 * 村 or 社区 ("花水村民委员会" -> "花水", "东关社区居民委员会" -> "东关"), and its name as
 * people write it (花水村, 东关社区: tells 东关村 from 东关社区); a township's forms are its name,
 * the name without 镇/乡/街道办事处/街道/苏木, and both without an ethnic part (南天门满族乡 ->
 * 南天门乡, 南天门); a province, prefecture or county's forms are its name and the name without
 * its 省/市/县/区/旗/盟/自治州/自治县 (and without an ethnic part). False (nothing added) for a
 * bad level, a code that is not 2 to 12 digits, or a name that does not normalise to a form. */
bool fp_village_index_add(fp_village_index_t *ix, const char *code, int level, const char *name);
void fp_village_index_free(fp_village_index_t *ix);

typedef enum { FP_VILLAGE_NONE = 0, FP_VILLAGE_ONE, FP_VILLAGE_AMBIGUOUS } fp_village_match_t;

/* Converts traditional characters to simplified: the result into out (cap bytes, NUL-terminated);
 * false when it cannot. */
typedef bool (*fp_village_conv_fn)(void *ctx, const char *in, char *out, size_t cap);

/* The village a text names (raw, as the line holds it). The text is normalised (fp_kind_norm);
 * it may begin with the province, prefecture and county (each by a form, each optional, in that
 * order), then names a township by a form followed at once by a village of it, or a village
 * alone. The village's form must be followed by the end, 村 (not for a community), 社区 or
 * 居委会/居民委员会 (only for a community), a digit (0-9 or 一..十, 〇, 零) or 组/队, so
 * 新庄村 is not 新村, and whatever follows that (5组) is not read. The matches that reach furthest into the text win: one
 * village is FP_VILLAGE_ONE, several are FP_VILLAGE_AMBIGUOUS. With no match and a conv, the
 * text is converted and matched again. Writes up to max place indexes of the winning villages
 * into out (ordered by code) and their number into *n (may be NULL). */
fp_village_match_t fp_village_match(const fp_village_index_t *ix, const char *text, fp_village_conv_fn conv,
                                    void *conv_ctx, size_t *out, size_t max, size_t *n);

/* The villages closest to a text that matched none: a village's score is the characters
 * (fp_kind_shared) the text, after its province/prefecture/county prefix, shares with the
 * village's core, plus those it shares with the village's township's name; villages sharing
 * nothing with their core are left out. Up to max place indexes into out, best first, ties by
 * code; returns how many. */
size_t fp_village_closest(const fp_village_index_t *ix, const char *text, fp_village_conv_fn conv, void *conv_ctx,
                          size_t *out, size_t max);

/* The township of a village (the place whose code is the village's first 9 digits), or NULL. */
const fp_vplace_t *fp_village_township(const fp_village_index_t *ix, const fp_vplace_t *village);

#endif
