/* httpaccess.c: the reporting service's HTTP port: token or proxy mode over common/httpauth.c, the
 * read policy's 403, and the event XPUB's subscriptions (see httpaccess.h). */
#include "httpaccess.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "mem.h"
#include "web.h"

static bool s_proxy; /* FANGPIN_REPORTING_HTTP_AUTH=proxy */

int report_httpauth_start(fp_service_t *svc)
{
    const char *mode = fp_service_str(svc, "FANGPIN_REPORTING_HTTP_AUTH");
    if (mode && !strcmp(mode, "proxy")) {
        s_proxy = true;
        fp_log_warn("the HTTP port's downloads and /events take no token (FANGPIN_REPORTING_HTTP_AUTH=proxy): keep it"
                    " behind the county's reverse proxy, which authenticates");
        return 0;
    }
    if (mode && !strcmp(mode, "token")) {
        s_proxy = false;
        return 0;
    }
    fp_log_error("FANGPIN_REPORTING_HTTP_AUTH must be token or proxy", "value", mode ? mode : "");
    return 1;
}

void report_httpauth(fp_service_t *svc, fp_http_req_t *req, report_httpauth_fn cb, void *arg)
{
    if (s_proxy) {
        cb(req, NULL, 0, false, arg);
        return;
    }
    fp_httpauth(svc, req, cb, arg);
}

int report_pub_grant(const fp_principal_t *p, const char *topic, size_t len, const char *out[2], size_t outlen[2])
{
    /* who may read events at all: the policy (access.c) for its own region */
    if (!p || report_read_policy(p, REPORT_READ_EVENTS, NULL, p->region) != REPORT_READ_OK) return 0;
    const char *region = p->region;
    size_t rlen = strlen(region);
    if (rlen == 0 || (len > 0 && (topic[0] < '0' || topic[0] > '9')) ||
        (len >= rlen && memcmp(topic, region, rlen) == 0)) {
        out[0] = topic;
        outlen[0] = len;
        return 1;
    }
    if (len < rlen && memcmp(region, topic, len) == 0) {
        out[0] = region;
        outlen[0] = rlen;
        if (len > 0) return 1;
        out[1] = "HEARTBEAT";
        outlen[1] = 9;
        return 2;
    }
    return 0;
}

bool report_httpauth_allows(fp_http_req_t *req, const fp_principal_t *who, report_read_what_t what, const char *report,
                            const char *prefix)
{
    report_read_t d = report_read_policy(who, what, report, prefix);
    if (d == REPORT_READ_OK) return true;
    char en[300], zh[300];
    report_read_message(d, who, what, en, sizeof en, zh, sizeof zh);
    fp_web_text(req, 403, report_read_reason(d), en, zh);
    return false;
}
