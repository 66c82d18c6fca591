/* httpauth.c: bearer tokens on a service's HTTP port (see httpauth.h). */
#include "httpauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "digest.h"
#include "log.h"
#include "mem.h"
#include "web.h"

#define S_PREFIX "fpt_"
#define S_TOKEN_LEN (4 + 43) /* fpt_ + 32 random bytes in unpadded base64url */

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

bool fp_httpauth_token(const char *authorization, const char *query, char *out, size_t outlen)
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

/* 401 with the standard challenge, and the reason for scripts: token.missing or token.invalid. */
static void s_unauthorized(fp_http_req_t *req, bool given, const char *en, const char *zh)
{
    fp_http_req_add_header(req, "WWW-Authenticate",
                           given ? "Bearer realm=\"fangpin\", error=\"invalid_token\"" : "Bearer realm=\"fangpin\"");
    fp_web_text(req, 401, given ? "token.invalid" : "token.missing", en, zh);
}

static void s_unavailable(fp_http_req_t *req)
{
    fp_http_req_add_header(req, "Retry-After", "5");
    fp_web_text(req, 503, "db.unavailable", "the database is not reachable: retry", "数据库暂不可用，请重试");
}

typedef struct {
    fp_http_req_t *req;
    fp_httpauth_fn cb;
    void *arg;
} s_lookup_t;

static void s_on_lookup(fp_db_t *db, PGresult *res, void *arg)
{
    (void)db;
    s_lookup_t *l = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        if (res) fp_log_error("token lookup failed", "error", fp_db_errmsg(res));
        s_unavailable(l->req);
        l->cb(l->req, NULL, NULL, true, l->arg);
    } else if (PQntuples(res) != 1) {
        s_unauthorized(l->req, true, "the token is unknown, revoked or expired, or its principal is disabled",
                       "令牌无效、已吊销或已过期，或其所属用户已停用");
        l->cb(l->req, NULL, NULL, true, l->arg);
    } else {
        fp_principal_t who = {0};
        fp_http_token_t tok = {0};
        snprintf(who.id, sizeof who.id, "%s", PQgetvalue(res, 0, 0));
        snprintf(who.kind, sizeof who.kind, "%s", PQgetvalue(res, 0, 1));
        snprintf(who.display_name, sizeof who.display_name, "%s", PQgetvalue(res, 0, 2));
        snprintf(who.level, sizeof who.level, "%s", PQgetvalue(res, 0, 3));
        snprintf(who.region, sizeof who.region, "%s", PQgetvalue(res, 0, 4));
        snprintf(who.department, sizeof who.department, "%s", PQgetvalue(res, 0, 5));
        snprintf(who.county, sizeof who.county, "%s", PQgetvalue(res, 0, 6));
        tok.id = strtoll(PQgetvalue(res, 0, 7), NULL, 10);
        snprintf(tok.label, sizeof tok.label, "%s", PQgetvalue(res, 0, 8));
        snprintf(tok.expires_at, sizeof tok.expires_at, "%s", PQgetvalue(res, 0, 9));
        l->cb(l->req, &who, &tok, false, l->arg);
    }
    free(l);
}

void fp_httpauth(fp_service_t *svc, fp_http_req_t *req, fp_httpauth_fn cb, void *arg)
{
    char token[S_TOKEN_LEN + 1];
    if (!fp_httpauth_token(fp_http_req_header(req, "Authorization"), fp_http_req_query(req), token, sizeof token)) {
        bool given = fp_http_req_header(req, "Authorization") || strstr(fp_http_req_query(req), "access_token=");
        s_unauthorized(req, given,
                       given ? "the token is malformed (fpt_ and 43 characters)"
                             : "a token is required: Authorization: Bearer fpt_... (fangpinctl token add)",
                       given ? "令牌格式错误" : "须提供访问令牌（fangpinctl token add 签发）");
        cb(req, NULL, NULL, true, arg);
        return;
    }
    if (!fp_service_db_ready(svc)) {
        s_unavailable(req);
        cb(req, NULL, NULL, true, arg);
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
                " AND " FP_TOKEN_VALID_SQL
                " RETURNING p.id, p.kind, p.display_name, coalesce(p.level, ''), p.region_code,"
                " coalesce(p.department_code, ''), coalesce(p.county_code, ''), t.id, t.label,"
                " coalesce(to_char(t.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')",
                1, p, s_on_lookup, l);
}

static void s_field(fp_buf_t *b, const char *name, const char *value, bool more)
{
    fp_buf_printf(b, "\"%s\":", name);
    fp_buf_json_str(b, value);
    if (more) fp_buf_puts(b, ",");
}

void fp_httpauth_whoami(fp_http_req_t *req, const fp_principal_t *who, const fp_http_token_t *tok)
{
    fp_buf_t b = {0};
    fp_buf_puts(&b, "{");
    s_field(&b, "principal", who->id, true);
    s_field(&b, "name", who->display_name, true);
    s_field(&b, "kind", who->kind, true);
    s_field(&b, "level", who->level, true);
    s_field(&b, "region", who->region, true);
    s_field(&b, "department", who->department, true);
    s_field(&b, "county", who->county, true);
    fp_buf_printf(&b, "\"token\":{\"id\":%lld,", (long long)(tok ? tok->id : 0));
    s_field(&b, "label", tok ? tok->label : "", true);
    s_field(&b, "expires_at", tok ? tok->expires_at : "", false);
    fp_buf_puts(&b, "}}");
    fp_web_json(req, 200, b.data, b.len);
    fp_buf_free(&b);
}
