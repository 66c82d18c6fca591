/* httpauth.c: bearer tokens on the reporting service's HTTP port (see httpauth.h). The token is
 * looked up by its SHA-256 (computed by PostgreSQL: the service never stores or logs a token),
 * with the principal it was issued to; the same statement stamps the token's last use. */
#include "httpauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "digest.h"
#include "log.h"
#include "mem.h"

#define S_PREFIX "fpt_"
#define S_TOKEN_LEN (4 + 43) /* fpt_ + 32 random bytes in unpadded base64url */

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

static bool s_token_ok(const char *t, size_t n)
{
    if (n != S_TOKEN_LEN || strncmp(t, S_PREFIX, 4) != 0) return false;
    for (size_t i = 4; i < n; i++) {
        char c = t[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

static bool s_copy(const char *t, size_t n, char *out, size_t outlen)
{
    if (!s_token_ok(t, n) || n >= outlen) return false;
    memcpy(out, t, n);
    out[n] = '\0';
    return true;
}

bool report_httpauth_token(const char *authorization, const char *query, char *out, size_t outlen)
{
    if (!out || outlen == 0) return false;
    out[0] = '\0';
    if (authorization && *authorization) { /* "Bearer <token>", the scheme in any case */
        const char *a = authorization;
        while (*a == ' ' || *a == '\t') a++;
        if (strncasecmp(a, "Bearer", 6) != 0 || (a[6] != ' ' && a[6] != '\t')) return false;
        a += 6;
        while (*a == ' ' || *a == '\t') a++;
        size_t n = strlen(a);
        while (n > 0 && (a[n - 1] == ' ' || a[n - 1] == '\t')) n--;
        return s_copy(a, n, out, outlen);
    }
    char t[S_TOKEN_LEN + 1];
    if (!fp_http_query_param(query, "access_token", t, sizeof t)) return false;
    return s_copy(t, strlen(t), out, outlen);
}

static void s_text(fp_http_req_t *req, int status, const char *en, const char *zh)
{
    char body[512];
    int n = snprintf(body, sizeof body, "%s\n%s\n", en, zh);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof body) n = (int)sizeof body - 1;
    fp_http_reply(req, status, "text/plain; charset=utf-8", body, (size_t)n);
}

static void s_unauthorized(fp_http_req_t *req, const char *error, const char *en, const char *zh)
{
    char h[128];
    snprintf(h, sizeof h, "Bearer realm=\"fangpin\"%s%s%s", error ? ", error=\"" : "", error ? error : "",
             error ? "\"" : "");
    fp_http_req_add_header(req, "WWW-Authenticate", h);
    s_text(req, 401, en, zh);
}

typedef struct {
    fp_http_req_t *req;
    report_httpauth_fn cb;
    void *arg;
} s_lookup_t;

static void s_on_lookup(fp_db_t *db, PGresult *res, void *arg)
{
    s_lookup_t *l = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        if (res) fp_log_error("token lookup failed", "error", fp_db_errmsg(res));
        fp_http_req_add_header(l->req, "Retry-After", "5");
        s_text(l->req, 503, "the database is not reachable: retry", "数据库暂不可用，请重试");
        l->cb(l->req, NULL, 0, true, l->arg);
    } else if (PQntuples(res) != 1) {
        s_unauthorized(l->req, "invalid_token",
                       "the token is unknown, revoked or expired, or its principal is disabled",
                       "令牌无效、已吊销或已过期，或其所属用户已停用");
        l->cb(l->req, NULL, 0, true, l->arg);
    } else {
        fp_principal_t who = {0};
        snprintf(who.id, sizeof who.id, "%s", PQgetvalue(res, 0, 0));
        snprintf(who.kind, sizeof who.kind, "%s", PQgetvalue(res, 0, 1));
        snprintf(who.display_name, sizeof who.display_name, "%s", PQgetvalue(res, 0, 2));
        snprintf(who.level, sizeof who.level, "%s", PQgetvalue(res, 0, 3));
        snprintf(who.region, sizeof who.region, "%s", PQgetvalue(res, 0, 4));
        snprintf(who.department, sizeof who.department, "%s", PQgetvalue(res, 0, 5));
        snprintf(who.county, sizeof who.county, "%s", PQgetvalue(res, 0, 6));
        l->cb(l->req, &who, strtoll(PQgetvalue(res, 0, 7), NULL, 10), false, l->arg);
    }
    free(l);
}

void report_httpauth(fp_service_t *svc, fp_http_req_t *req, report_httpauth_fn cb, void *arg)
{
    if (s_proxy) {
        cb(req, NULL, 0, false, arg);
        return;
    }
    char token[S_TOKEN_LEN + 1];
    if (!report_httpauth_token(fp_http_req_header(req, "Authorization"), fp_http_req_query(req), token, sizeof token)) {
        bool given = fp_http_req_header(req, "Authorization") || strstr(fp_http_req_query(req), "access_token=");
        s_unauthorized(req, given ? "invalid_token" : NULL,
                       given ? "the token is malformed (fpt_ and 43 characters)"
                             : "a token is required: Authorization: Bearer fpt_... (or access_token=fpt_...)",
                       given ? "令牌格式错误" : "须提供访问令牌（fangpinctl token add 签发）");
        cb(req, NULL, 0, true, arg);
        return;
    }
    if (!fp_service_db_ready(svc)) {
        fp_http_req_add_header(req, "Retry-After", "5");
        s_text(req, 503, "the database is not reachable: retry", "数据库暂不可用，请重试");
        cb(req, NULL, 0, true, arg);
        return;
    }
    s_lookup_t *l = fp_new(s_lookup_t);
    l->req = req;
    l->cb = cb;
    l->arg = arg;
    char digest[65]; /* only the token's SHA-256 reaches SQL, never the token */
    fp_sha256_hex(token, strlen(token), digest);
    const char *p[1] = {digest};
    fp_db_query(fp_service_db(svc), 0,
                "UPDATE http_tokens t SET last_used_at = now() FROM principals p"
                " WHERE t.token_sha256 = decode($1, 'hex') AND p.id = t.principal_id"
                " AND " REPORT_TOKEN_VALID_SQL
                " RETURNING p.id, p.kind, p.display_name, coalesce(p.level, ''), p.region_code,"
                " coalesce(p.department_code, ''), coalesce(p.county_code, ''), t.id",
                1, p, s_on_lookup, l);
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
    fp_http_req_add_header(req, "X-Fangpin-Reason", report_read_reason(d));
    s_text(req, 403, en, zh);
    return false;
}
