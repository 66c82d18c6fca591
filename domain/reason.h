/* reason.h: one reason type for every refusal the domain gives (a lead refused at intake, a step
 * of a case or of an elimination refused): a stable code, what went wrong and what to do in
 * English and in Chinese. Catalogs are arrays ended by an entry whose code is NULL. Pure. */
#ifndef FP_REASON_H
#define FP_REASON_H
#include <stdbool.h>

typedef struct {
    const char *code;
    const char *en;
    const char *zh;
} fp_reason_t;

/* The catalog's entry for code; NULL if absent (or either is NULL). */
const fp_reason_t *fp_reason_find(const fp_reason_t *catalog, const char *code);

/* True if s holds a character other than blanks (space, tab, CR, LF): a reason, a finding or an
 * objection was given. */
bool fp_has_text(const char *s);

#endif
