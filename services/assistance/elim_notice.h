/* elim_notice.h: the public notice (公示) of a risk elimination nomination (elim_notice.c), pure:
 * the head's name masked and the village's name cleaned (common/mask.h), the notice period;
 * never an ID number, phone or bank number or a health word, whatever the inputs carry. */
#ifndef ASSIST_ELIM_NOTICE_H
#define ASSIST_ELIM_NOTICE_H
#include <stdbool.h>
#include <stdint.h>

/* Returns malloc'd text. notice_days 1..60 (clamped). */
char *assist_elim_notice_text(const char *head_name, const char *village_name, int32_t posted_on,
                              int notice_days);

#endif
