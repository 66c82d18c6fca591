/* reason.c: reason catalog lookup (reason.h). */
#include "reason.h"

#include <string.h>

const fp_reason_t *fp_reason_find(const fp_reason_t *catalog, const char *code)
{
    if (!catalog || !code) return NULL;
    for (const fp_reason_t *r = catalog; r->code; r++)
        if (strcmp(r->code, code) == 0) return r;
    return NULL;
}

bool fp_has_text(const char *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') return true;
    return false;
}
