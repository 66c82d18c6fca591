/* scope.h: what a caller may see and at which level it acts, decided once from its principal
 * (the key's row, never the request): an actor sees its region and acts at its level; an admin
 * sees its county and takes no step; departments and the gateway see no case or plan. Pure. */
#ifndef FP_SCOPE_H
#define FP_SCOPE_H
#include <stdbool.h>

#include "auth.h"
#include "vocab.h"

/* The region prefix p may read into out: an actor's region, an admin's county (its region when
 * it has no county). false for departments, the gateway, or a principal without a region. */
bool fp_scope_of(const fp_principal_t *p, char out[13]);

/* The level p takes steps at: an actor of level village, township or county with a region;
 * FP_LEVEL_COUNT_ for everyone else. */
fp_level_t fp_actor_level(const fp_principal_t *p);

typedef enum {
    FP_SCOPE_OK = 0,
    FP_SCOPE_BAD_PREFIX, /* not a region code: digits, at most 12 */
    FP_SCOPE_OUTSIDE     /* not inside the caller's scope */
} fp_scope_check_t;

/* A region prefix asked for (want; "" asks for the whole scope) checked against the caller's
 * scope; on FP_SCOPE_OK out (13 bytes) holds the prefix to read. */
fp_scope_check_t fp_scope_narrow(const char *scope, const char *want, char out[13]);

#endif
