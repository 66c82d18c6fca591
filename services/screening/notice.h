/* notice.h: the village's public notice (公示) of a verification case (notice.c), pure: no I/O.
 * The household head's name is masked; the text never shows an ID number, a phone or bank
 * number, or a health condition, whatever the inputs carry. */
#ifndef SCREEN_NOTICE_H
#define SCREEN_NOTICE_H
#include <stddef.h>
#include <stdint.h>

/* The notice text: masked head name (fp_mask_name), village (cleaned by fp_text_clean: long
 * numbers and health words removed; common/mask.h), kind suggested, risk types (known codes only), the period posted_on ..
 * posted_on + notice_days. Returns malloc'd. */
char *screen_notice_text(const char *head_name, const char *village_name, const char *kind_code,
                         const char *risk_codes_csv, int32_t posted_on, int notice_days);

#endif
