/* http.h: the small HTTP/1.1 server every service runs on its libuv loop, for /healthz, /readyz
 * and /metrics, and later report downloads and a Server-Sent Events stream.
 *
 * One request is in flight per connection at a time: the handler gets a request once its head
 * and body have arrived, and answers it with exactly one of
 *   - fp_http_reply()                              (now, inside the handler, or later), or
 *   - fp_http_stream_start() .. fp_http_stream_end()  (chunked stream, e.g. SSE or a download).
 * Either call is mandatory, even after the client has gone (the answer is then discarded): the
 * request object is released by fp_http_reply() or fp_http_stream_end() and must not be used after.
 * Pipelined requests wait in the connection's buffer until the previous answer has been written.
 *
 * A client that closes (or half-closes) its side while its request is still unanswered counts as
 * gone: its on_close callback runs, writes fail with FP_EIO, and the late answer is discarded.
 * Everything here runs on the loop's thread; nothing is thread-safe. */
#ifndef FP_HTTP_H
#define FP_HTTP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "err.h"

typedef struct fp_http fp_http_t;
typedef struct fp_http_req fp_http_req_t;

/* Called once per complete request (head and body received), on the loop thread. */
typedef void (*fp_http_handler_fn)(fp_http_req_t *req, void *arg);

#define FP_HTTP_MAX_HEAD (16 * 1024)                /* request line + headers; beyond: 431 */
#define FP_HTTP_MAX_HEADERS 100                     /* header lines; beyond: 431 */
#define FP_HTTP_DEFAULT_MAX_BODY (1024 * 1024)      /* beyond: 413 */
#define FP_HTTP_DEFAULT_IDLE_MS 30000               /* a whole request must arrive within this */
#define FP_HTTP_DEFAULT_MAX_CONNS 256               /* further connections are accepted and closed */
#define FP_HTTP_STREAM_MAX_QUEUED (4 * 1024 * 1024) /* unsent stream bytes before FP_EAGAIN */

/* Binds and listens on addr, "HOST:PORT" with a numeric host: "127.0.0.1:8101", "0.0.0.0:8101",
 * "[::1]:8101", "[::]:0" (port 0 picks a free port; see fp_http_port). Returns FP_EINVAL for a
 * malformed address, FP_EIO if the socket cannot be bound or listened on; logs nothing.
 * If SIGPIPE still has its default disposition it is set to ignored (writes to a vanished client
 * then fail with EPIPE instead of killing the process). */
fp_err_t fp_http_new(uv_loop_t *loop, const char *addr, fp_http_handler_fn handler, void *arg, fp_http_t **out);
/* Closes the listener and every connection (unanswered requests see their on_close callback and
 * remain valid until answered). Memory is released in libuv close callbacks, so run the loop
 * afterwards before uv_loop_close(). NULL-safe; sets *p to NULL. */
void fp_http_destroy(fp_http_t **p);
/* The port actually bound. */
int fp_http_port(const fp_http_t *http);

/* Settings; they apply to requests parsed after the call. The idle timeout bounds the time from
 * connect (or the end of the previous answer) until a whole request has arrived: a silent
 * connection is closed, a partial request gets 408. It does not limit the handler or a stream.
 * 0 disables it. */
void fp_http_set_max_body(fp_http_t *http, size_t max_body);
void fp_http_set_idle_timeout(fp_http_t *http, uint64_t ms);
void fp_http_set_max_conns(fp_http_t *http, unsigned max_conns);

/* The request. Strings stay valid until the request is answered. */
const char *fp_http_req_method(const fp_http_req_t *req); /* "GET", "HEAD", "POST", ... */
const char *fp_http_req_path(const fp_http_req_t *req);   /* "/readyz"; not percent-decoded */
const char *fp_http_req_query(const fp_http_req_t *req);  /* "a=1&b=2", "" if none */
/* The value of parameter name in a query string ("a=1&b=2"), not percent-decoded, copied into
 * out: "" when absent (or given empty). False, with out "", when it does not fit in outlen. */
bool fp_http_query_param(const char *query, const char *name, char *out, size_t outlen);
/* The first header of that name (case-insensitive), or NULL. */
const char *fp_http_req_header(const fp_http_req_t *req, const char *name);
/* The request body (NUL-terminated for convenience; may contain NULs). */
const void *fp_http_req_body(const fp_http_req_t *req, size_t *len);
/* True once the client has gone; any answer is then discarded. */
bool fp_http_req_gone(const fp_http_req_t *req);
/* cb runs once if the client goes away while the request is unanswered (including when the
 * server is destroyed). It may answer the request from inside the callback. Registering on a
 * request whose client is already gone does nothing: check fp_http_req_gone(). */
void fp_http_req_on_close(fp_http_req_t *req, void (*cb)(fp_http_req_t *req, void *arg), void *arg);
/* Adds a response header (e.g. Content-Disposition, Retry-After) to the coming reply or stream.
 * FP_EINVAL for a malformed name or value, or for the headers this server manages itself
 * (Content-Length, Transfer-Encoding, Connection). */
fp_err_t fp_http_req_add_header(fp_http_req_t *req, const char *name, const char *value);

/* Answers with a complete body (copied). Always sends Content-Length (none for 204 and 304,
 * which carry no body); a HEAD request gets the headers only. Releases req. */
void fp_http_reply(fp_http_req_t *req, int status, const char *content_type, const void *body, size_t len);

/* Starts a stream: no Content-Length, Cache-Control: no-cache; chunked for HTTP/1.1 clients
 * (the connection stays usable after fp_http_stream_end), close-delimited for HTTP/1.0. */
void fp_http_stream_start(fp_http_req_t *req, int status, const char *content_type);
/* Queues data (copied). FP_OK; FP_EIO once the client is gone; FP_EAGAIN when more than
 * FP_HTTP_STREAM_MAX_QUEUED bytes are still unsent (nothing queued; try again later);
 * FP_EINVAL if the stream was not started. */
int fp_http_stream_write(fp_http_req_t *req, const void *data, size_t len);
/* Bytes queued on the connection but not yet written to the socket (0 once gone). */
size_t fp_http_stream_queued(const fp_http_req_t *req);
/* Ends the stream and releases req. */
void fp_http_stream_end(fp_http_req_t *req);

/* For tests/fuzz only: runs arbitrary bytes through the same parser settings, callbacks and
 * reply paths as a real connection, over an in-memory connection without sockets. Returns 0. */
int fp_http_parse_for_fuzz(const uint8_t *data, size_t len);

#endif
