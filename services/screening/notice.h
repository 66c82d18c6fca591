/* notice.h: the village's public notice (公示) of a verification case (notice.c), pure: no I/O.
 * The household head's name is masked; the text never shows an ID number, a phone or bank
 * number, or a health condition, whatever the inputs carry. */
#ifndef SCREEN_NOTICE_H
#define SCREEN_NOTICE_H
#include <stddef.h>
#include <stdint.h>

/* The name with its middle characters (UTF-8 aware) masked, into out: 张三 -> 张*, 王小明 ->
 * 王*明, 欧阳娜娜 -> 欧**娜, 阿依古丽·买买提 -> 阿******提 (the · is masked like any character),
 * John Smith -> J********h; one character -> *; empty -> empty. At most 16 stars. */
void screen_mask_name(const char *name, char *out, size_t outsz);

/* The notice text: masked head name, village (digit runs of 5 or more and health words
 * removed), kind suggested, risk types (known codes only), the period posted_on ..
 * posted_on + notice_days. Returns malloc'd. */
char *screen_notice_text(const char *head_name, const char *village_name, const char *kind_code,
                         const char *risk_codes_csv, int32_t posted_on, int notice_days);

#endif
