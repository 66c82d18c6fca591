/* httpauth.h: who asks on a service's HTTP port. Each request carries a bearer token that
 * `fangpinctl token add` issued to a registered principal (migration 015, http_tokens: only its
 * SHA-256 is stored), in an `Authorization: Bearer` header (or, for clients that cannot set
 * headers, an `access_token` query parameter; the project's own pages never put a token in a
 * URL). The token is looked up by its SHA-256, computed by PostgreSQL: a service never stores or
 * logs a token; the same statement stamps its last use. Used by reporting (downloads, /events,
 * the dashboard, under its FANGPIN_REPORTING_HTTP_AUTH wrapper) and intake (the department desk). */
#ifndef FP_HTTPAUTH_H
#define FP_HTTPAUTH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "http.h"
#include "service.h"

/* The token a request was admitted with. */
typedef struct {
    int64_t id;          /* http_tokens.id (fangpinctl token list) */
    char label[128];     /* what it is for: "县指挥部大屏" */
    char expires_at[32]; /* "2026-12-31T16:00:00Z" (UTC), "" when it does not expire */
} fp_http_token_t;

/* The SQL condition that token t (http_tokens t JOIN principals p) still admits: not revoked,
 * not expired, its principal not disabled. */
#define FP_TOKEN_VALID_SQL \
    "t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now()) AND p.disabled_at IS NULL"

/* Called once: with the principal and the token of the request, or with answered true when the
 * request was already answered (401 without a valid token, 503 without the database; the
 * reason in the header X-Fangpin-Reason): then only arg is to be released. */
typedef void (*fp_httpauth_fn)(fp_http_req_t *req, const fp_principal_t *who, const fp_http_token_t *tok,
                               bool answered, void *arg);

/* Authenticates req and calls cb (after a database lookup; at once when there is no token). */
void fp_httpauth(fp_service_t *svc, fp_http_req_t *req, fp_httpauth_fn cb, void *arg);

/* The bearer token of the request: the Authorization header's, else the access_token query
 * parameter's, copied into out; false when there is none or it is not a well-formed token
 * (fpt_ and 43 base64url characters). Pure; unit-tested. */
bool fp_httpauth_token(const char *authorization, const char *query, char *out, size_t outlen);

/* Answers GET <prefix>api/whoami for a page's header: {"principal","name","kind","level",
 * "region","department","county","token":{"id","label","expires_at"}} (JSON, no-store). */
void fp_httpauth_whoami(fp_http_req_t *req, const fp_principal_t *who, const fp_http_token_t *tok);

#endif
