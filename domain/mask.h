/* mask.h: what a public notice (公示) may show of a person, pure. One rule for every notice,
 * generated or written by a cadre: screening's case notice, assistance's elimination notice
 * and the texts cadres type instead of them. */
#ifndef FP_MASK_H
#define FP_MASK_H
#include <stdbool.h>
#include <stddef.h>

#include "mem.h"

/* The name with its middle characters (UTF-8 aware) masked, into out: 张三 -> 张*, 王小明 ->
 * 王*明, 欧阳娜娜 -> 欧**娜, 阿依古丽·买买提 -> 阿******提 (the · is masked like any character),
 * John Smith -> J********h; one character -> *; empty -> empty. At most 16 stars. */
void fp_mask_name(const char *name, char *out, size_t outsz);

/* Appends s to b cleaned for a notice: a number is written *** when it has a run of 5 or more
 * digits, or 11 or more digits in groups separated by spaces or hyphens (138 0013 8000,
 * 6222-0212-3456-7890); digits may be ASCII or full-width (０..９), and an ID number's trailing
 * X goes with it. Health words (慢性病, 残疾, 癌症, ...) become ** (dropping them could join
 * the digits or characters around them into a number or another health word). Shorter numbers (dates,
 * days) stay. Invalid UTF-8 is copied byte by byte, never read past the NUL. */
void fp_text_clean(fp_buf_t *b, const char *s);

/* True if s holds a number of 11 or more digits (an ID, phone or bank number), counted as
 * fp_text_clean counts them: ASCII or full-width, in groups separated by spaces or hyphens. */
bool fp_text_has_long_number(const char *s);

#endif
