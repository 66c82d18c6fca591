/* scope.c: the caller's scope and level (scope.h). */
#include "scope.h"

#include <stdio.h>
#include <string.h>

bool fp_scope_of(const fp_principal_t *p, char out[13])
{
    const char *r = NULL;
    if (!strcmp(p->kind, "actor")) r = p->region;
    else if (!strcmp(p->kind, "admin")) r = p->county[0] ? p->county : p->region;
    if (!r || !r[0]) return false;
    snprintf(out, 13, "%s", r);
    return true;
}

fp_level_t fp_actor_level(const fp_principal_t *p)
{
    if (strcmp(p->kind, "actor") != 0 || !p->region[0]) return FP_LEVEL_COUNT_;
    for (int l = 0; l < FP_LEVEL_COUNT_; l++)
        if (!strcmp(p->level, fp_level_code((fp_level_t)l))) return (fp_level_t)l;
    return FP_LEVEL_COUNT_;
}

static bool s_digits(const char *s)
{
    for (; *s; s++)
        if (*s < '0' || *s > '9') return false;
    return true;
}

fp_scope_check_t fp_scope_narrow(const char *scope, const char *want, char out[13])
{
    if (!want || !want[0]) {
        snprintf(out, 13, "%s", scope);
        return FP_SCOPE_OK;
    }
    if (strlen(want) > 12 || !s_digits(want)) return FP_SCOPE_BAD_PREFIX;
    if (strncmp(want, scope, strlen(scope)) != 0) return FP_SCOPE_OUTSIDE;
    snprintf(out, 13, "%s", want);
    return FP_SCOPE_OK;
}
