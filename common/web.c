/* web.c: embedded pages and JSON answers on a service's HTTP port (see web.h). */
#include "web.h"

#include <stdio.h>
#include <string.h>

#define S_CSP                                                                                                   \
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "          \
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "          \
    "frame-ancestors 'none'"

static const struct {
    const char *ext;
    const char *type;
} s_types[] = {
    {".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},    {".json", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},              {".png", "image/png"},
    {".ico", "image/x-icon"},               {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},               {".map", "application/json; charset=utf-8"},
};

const char *fp_web_content_type(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (dot && (!slash || dot > slash)) {
        for (size_t i = 0; i < sizeof s_types / sizeof s_types[0]; i++)
            if (!strcmp(dot, s_types[i].ext)) return s_types[i].type;
    }
    /* LICENSE, NOTICE and other files without a known extension are read as text */
    return dot && (!slash || dot > slash) ? "application/octet-stream" : "text/plain; charset=utf-8";
}

const fp_web_file_t *fp_web_find(const fp_web_file_t *files, const char *path)
{
    for (const fp_web_file_t *f = files; f && f->path; f++)
        if (!strcmp(f->path, path)) return f;
    return NULL;
}

void fp_web_headers(fp_http_req_t *req)
{
    fp_http_req_add_header(req, "Content-Security-Policy", S_CSP);
    fp_http_req_add_header(req, "X-Content-Type-Options", "nosniff");
    fp_http_req_add_header(req, "Referrer-Policy", "no-referrer");
    fp_http_req_add_header(req, "X-Frame-Options", "DENY");
}

void fp_web_json(fp_http_req_t *req, int status, const char *json, size_t len)
{
    fp_web_headers(req);
    fp_http_req_add_header(req, "Cache-Control", "no-store");
    fp_http_reply(req, status, "application/json; charset=utf-8", json, len);
}

void fp_web_text(fp_http_req_t *req, int status, const char *reason, const char *en, const char *zh)
{
    char body[640];
    int n = snprintf(body, sizeof body, "%s\n%s\n", en, zh);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof body) n = (int)sizeof body - 1;
    if (reason) fp_http_req_add_header(req, "X-Fangpin-Reason", reason);
    fp_web_headers(req);
    fp_http_reply(req, status, "text/plain; charset=utf-8", body, (size_t)n);
}

static bool s_etag_matches(const char *header, const char *etag)
{
    if (!header) return false;
    if (!strcmp(header, "*")) return true;
    const char *p = strstr(header, etag); /* a list: "a", "b"; a weak W/"x" compares equal too */
    return p != NULL;
}

bool fp_web_serve(fp_http_req_t *req, const char *prefix, const fp_web_file_t *files)
{
    const char *path = fp_http_req_path(req);
    size_t plen = strlen(prefix);
    if (plen > 1 && strlen(path) == plen - 1 && !strncmp(path, prefix, plen - 1)) { /* "/dash" */
        fp_http_req_add_header(req, "Location", prefix);
        fp_web_text(req, 301, NULL, "moved", "已移至");
        return true;
    }
    if (strncmp(path, prefix, plen) != 0) return false;
    const char *rel = path + plen;
    if (!strncmp(rel, "api/", 4)) return false;
    const fp_web_file_t *f = fp_web_find(files, *rel ? rel : "index.html");
    if (!f) {
        fp_web_text(req, 404, NULL, "no such page", "页面不存在");
        return true;
    }
    const char *m = fp_http_req_method(req);
    if (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0) {
        fp_http_req_add_header(req, "Allow", "GET, HEAD");
        fp_web_text(req, 405, NULL, "only GET and HEAD", "仅支持 GET 与 HEAD");
        return true;
    }
    fp_web_headers(req);
    fp_http_req_add_header(req, "ETag", f->etag);
    fp_http_req_add_header(req, "Cache-Control", "no-cache");
    if (s_etag_matches(fp_http_req_header(req, "If-None-Match"), f->etag)) {
        fp_http_reply(req, 304, NULL, NULL, 0);
        return true;
    }
    fp_http_reply(req, 200, fp_web_content_type(f->path), f->data, f->len);
    return true;
}
