/* httpauth.h: who asks on the reporting service's HTTP port (report downloads, the /events
 * stream). FANGPIN_REPORTING_HTTP_AUTH=token (the default): each request carries a bearer token
 * that `fangpinctl token add` issued to a registered principal (migration 015, http_tokens: only
 * its SHA-256 is stored), in an `Authorization: Bearer` header or, for a browser's EventSource
 * that cannot set headers, an `access_token` query parameter; the principal's region scope then
 * applies as on the ROUTER. =proxy: no token, every region: the county's reverse proxy
 * authenticates (the behaviour before 015). */
#ifndef REPORT_HTTPAUTH_H
#define REPORT_HTTPAUTH_H
#include <stdbool.h>
#include <stdint.h>

#include "access.h"
#include "auth.h"
#include "http.h"
#include "service.h"

/* Reads FANGPIN_REPORTING_HTTP_AUTH; 1 (logged) when it is neither token nor proxy. */
int report_httpauth_start(fp_service_t *svc);

/* Called once: with the principal of the request and the id of its token (NULL and 0 in proxy
 * mode: no scope), or with answered true when the request was already answered (401 without a
 * valid token, 503 without the database): then only arg is to be released. */
typedef void (*report_httpauth_fn)(fp_http_req_t *req, const fp_principal_t *who, int64_t token_id, bool answered,
                                   void *arg);

/* The SQL condition that token t (http_tokens t JOIN principals p) still admits: not revoked,
 * not expired, its principal not disabled. */
#define REPORT_TOKEN_VALID_SQL \
    "t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now()) AND p.disabled_at IS NULL"

/* Authenticates req and calls cb (now in proxy mode, after a database lookup in token mode). */
void report_httpauth(fp_service_t *svc, fp_http_req_t *req, report_httpauth_fn cb, void *arg);

/* True when who (NULL: proxy mode) may read `what` (report: its code) of region prefix, as
 * report_read_policy says (access.h); else answers req 403 (text, both languages, the reason in
 * the header X-Fangpin-Reason) and returns false. */
bool report_httpauth_allows(fp_http_req_t *req, const fp_principal_t *who, report_read_what_t what, const char *report,
                            const char *prefix);

/* The event XPUB's subscriptions (relay.c): what a subscriber of principal p (NULL: its key is
 * not admitted any more) is subscribed to when it asks for topic prefix topic[0..len). Writes 0,
 * 1 or 2 prefixes to out/outlen (pointing into p's region, topic or a constant) and returns how
 * many:
 * - none for a principal that may read no events (report_read_policy: departments, the gateway);
 * - no region (province), a prefix inside the region, or one that is not a region code (it can
 *   only match HEARTBEAT): as asked;
 * - a prefix wider than the region ("", "13", "1308"): the region instead, and for "" (all)
 *   HEARTBEAT too;
 * - another region: none. Pure; unit-tested. */
int report_pub_grant(const fp_principal_t *p, const char *topic, size_t len, const char *out[2], size_t outlen[2]);

/* The bearer token of the request: the Authorization header's, else the access_token query
 * parameter's, copied into out; false when there is none or it is not a well-formed token
 * (fpt_ and 43 base64url characters). Pure; unit-tested. */
bool report_httpauth_token(const char *authorization, const char *query, char *out, size_t outlen);

#endif
