/* notice.h: the public notices (公示), pure: a verification case's (screening) and a risk
 * elimination's (assistance). The household head's name is cleaned and masked (mask.h) in one
 * place for both; the text never shows an ID number, a phone or bank number, or a health
 * condition, whatever the inputs carry. Each returns malloc'd text. */
#ifndef FP_NOTICE_H
#define FP_NOTICE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The case notice: masked head name, village (cleaned by fp_text_clean: long numbers and health
 * words removed), the kind suggested, risk types (known codes only), the period posted_on ..
 * ends_on: notice_days days, or working days when working_days (ends_on as the case machine
 * counts them: screen_notice_end). */
char *screen_notice_text(const char *head_name, const char *village_name, const char *kind_code,
                         const char *risk_codes_csv, int32_t posted_on, int notice_days, bool working_days,
                         int32_t ends_on);

/* The elimination notice: the village and the masked head name, the notice period. notice_days
 * 1..60 (clamped). */
char *assist_elim_notice_text(const char *head_name, const char *village_name, int32_t posted_on, int notice_days);

/* The head's name as a notice shows it, into out: cleaned first (fp_text_clean), so that what
 * survives the mask is never a digit or a health word, then masked (fp_mask_name). */
void fp_notice_name(const char *head_name, char *out, size_t outsz);

#endif
