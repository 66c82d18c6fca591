/* auth.h: CURVE authentication through ZAP. The handler (a REP socket on
 * inproc://zeromq.zap.01, bound before any CURVE socket binds) admits only public keys
 * registered in PostgreSQL (curve_keys joined to principals, neither revoked nor disabled)
 * and hands each connection its public key (Z85) as its User-Id, so that every request is judged
 * by the key it came on: revoking one key of a principal shuts out that key's open connections,
 * not the principal's others (fp_auth_principal on each request). Keys are cached in memory and
 * reloaded on NOTIFY fangpin_keys, on every database reconnect and periodically; while a reload
 * runs (or fails) the previous set keeps answering. Before the first load the handler answers
 * every key with ZAP status 300 (temporary: "keys not loaded yet"), never 400 ("unknown key"),
 * but a service binds no CURVE socket before then (fp_service_bind_curve), so none is asked. */
#ifndef FP_AUTH_H
#define FP_AUTH_H
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "db.h"
#include "err.h"

typedef struct {
    char id[128];  /* e.g. "dept:130822:yibao", "actor:130822112001:wang" */
    char kind[16]; /* department | actor | gateway | admin */
    char display_name[128];
    char level[16];      /* village | township | county | prefecture | province | "" */
    char region[13];     /* short region code the principal is scoped to */
    char department[40]; /* department code for kind department, else "" */
    char county[7];      /* county code, "" above county */
} fp_principal_t;

typedef struct fp_auth fp_auth_t;

/* What the cache knows of a key: admitted, revoked, of a disabled principal, or not in the table. */
typedef enum { FP_KEY_UNKNOWN, FP_KEY_ACTIVE, FP_KEY_REVOKED, FP_KEY_DISABLED } fp_key_state_t;

fp_err_t fp_auth_new(uv_loop_t *loop, void *zctx, fp_db_t *db, fp_auth_t **out);
void fp_auth_destroy(fp_auth_t **p);
/* Reloads the key cache from the database (asynchronously). */
void fp_auth_reload(fp_auth_t *a);
/* The principal of a User-Id (a connection's public key, Z85) as the cache holds it now, or NULL
 * when the key is not admitted any more (revoked or its principal disabled since connecting). */
const fp_principal_t *fp_auth_principal(const fp_auth_t *a, const char *user_id);
/* Why a User-Id is (not) admitted now (the reason a refusal names). */
fp_key_state_t fp_auth_key_state(const fp_auth_t *a, const char *user_id);
bool fp_auth_loaded(const fp_auth_t *a);
/* cb(arg) runs after every successful load of the key table (the first one included). */
void fp_auth_on_loaded(fp_auth_t *a, void (*cb)(void *arg), void *arg);
/* Keys admitted now (revoked ones and those of disabled principals are not counted). */
size_t fp_auth_key_count(const fp_auth_t *a);
unsigned long fp_auth_denied(const fp_auth_t *a);
unsigned long fp_auth_allowed(const fp_auth_t *a);
/* ZAP requests answered 300 because the keys were not loaded yet (0 while services bind late). */
unsigned long fp_auth_not_ready(const fp_auth_t *a);

#endif
