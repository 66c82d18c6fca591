/* hant.h: traditional Chinese to simplified for intake's village names (OpenCC, t2s.json), as a
 * fp_village_conv_fn (domain/villagename.h). */
#ifndef INTAKE_HANT_H
#define INTAKE_HANT_H
#include <stdbool.h>
#include <stddef.h>

typedef struct intake_hant intake_hant_t;

/* Opens OpenCC's t2s.json (its dictionaries from libopencc-data); NULL, with *why set to
 * OpenCC's message, when it cannot. Once per process: opening reads the dictionaries (~15 ms). */
intake_hant_t *intake_hant_open(const char **why);
void intake_hant_close(intake_hant_t *h);

/* in converted to simplified characters into out (cap bytes, NUL-terminated); false (out "")
 * when ctx is NULL, in is not UTF-8 or longer than 1024 bytes, OpenCC fails or the result does
 * not fit. ctx is the intake_hant_t. */
bool intake_hant_t2s(void *ctx, const char *in, char *out, size_t cap);

#endif
