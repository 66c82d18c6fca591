/* httpaccess.h: who asks on the reporting service's HTTP port (report downloads, the /events
 * stream). FANGPIN_REPORTING_HTTP_AUTH=token (the default): each request carries a bearer token
 * that `fangpinctl token add` issued to a registered principal (migration 015, http_tokens: only
 * its SHA-256 is stored), in an `Authorization: Bearer` header or, for a browser's EventSource
 * that cannot set headers, an `access_token` query parameter; the principal's region scope then
 * applies as on the ROUTER. =proxy: no token, every region: the county's reverse proxy
 * authenticates (the behaviour before 015). */
#ifndef REPORT_HTTPACCESS_H
#define REPORT_HTTPACCESS_H
#include <stdbool.h>
#include <stdint.h>

#include "access.h"
#include "auth.h"
#include "http.h"
#include "httpauth.h"
#include "service.h"

/* Reads FANGPIN_REPORTING_HTTP_AUTH; 1 (logged) when it is neither token nor proxy. */
int report_httpauth_start(fp_service_t *svc);

/* Called once as fp_httpauth_fn says (common/httpauth.h); who and tok are NULL in proxy mode
 * (no scope). */
typedef fp_httpauth_fn report_httpauth_fn;

/* Authenticates req and calls cb: now in proxy mode, else through fp_httpauth (common/httpauth.h:
 * 401 with X-Fangpin-Reason token.missing or token.invalid, 503 db.unavailable). */
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

#endif
