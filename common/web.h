/* web.h: the pages a service serves from its own HTTP port (the dashboard on reporting at /dash/,
 * the department desk on intake at /desk/), embedded in the binary at build time by
 * cmake/web.cmake (fp_web_bundle), so a county's network needs nothing else: no CDN, no folder
 * to deploy. Every answer carries the same security headers: a Content-Security-Policy that
 * admits only the service's own scripts, styles, images and connections (inline styles allowed,
 * inline scripts not), X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer and
 * X-Frame-Options: DENY. */
#ifndef FP_WEB_H
#define FP_WEB_H
#include <stdbool.h>
#include <stddef.h>

#include "http.h"

typedef struct {
    const char *path;          /* inside the bundle: "index.html", "fangpin.js"; NULL ends the table */
    const unsigned char *data; /* the bytes (NUL-terminated; the NUL is not counted in len) */
    size_t len;
    const char *etag; /* "\"<20 hex digits of the SHA-256>\"" */
} fp_web_file_t;

/* Answers GET and HEAD of <prefix><path> from files: <prefix> itself is index.html, <prefix>
 * without its final slash is a 301 to <prefix>. Content-Type by extension, ETag and 304 on a
 * matching If-None-Match, Cache-Control: no-cache (revalidated, so a rebuilt service's pages are
 * seen at once). Another method on a file: 405 with Allow. A path under prefix that is no file:
 * 404. Paths under <prefix>api/ are the caller's: false. True when it answered, false when the
 * path is not its own (prefix: "/dash/", with both slashes). */
bool fp_web_serve(fp_http_req_t *req, const char *prefix, const fp_web_file_t *files);

/* The file at path in files, or NULL. Pure. */
const fp_web_file_t *fp_web_find(const fp_web_file_t *files, const char *path);
/* The Content-Type for a file name by its extension ("text/html; charset=utf-8"). Pure. */
const char *fp_web_content_type(const char *path);

/* Adds the security headers to the coming reply. */
void fp_web_headers(fp_http_req_t *req);
/* Replies with a JSON body (application/json; charset=utf-8, Cache-Control: no-store) and the
 * security headers. Releases req. */
void fp_web_json(fp_http_req_t *req, int status, const char *json, size_t len);
/* Replies with a short text in both languages ("en\nzh\n", text/plain; charset=utf-8); with
 * reason (a machine-readable code) in the header X-Fangpin-Reason unless NULL. Releases req. */
void fp_web_text(fp_http_req_t *req, int status, const char *reason, const char *en, const char *zh);

#endif
