/* http_test.c: a real fp_http server on 127.0.0.1 (port 0) runs in a uv loop on its own thread;
 * the test speaks plain blocking sockets to it and checks exact status lines and bodies: sync and
 * late replies, keep-alive and pipelining, HEAD, limits, client gone before a late reply, SSE,
 * streams, timeouts, the connection cap and destroy with connections open. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <uv.h>

#include "http.h"
#include "mem.h"
#include "web.h"

/* ---- the server side: fixture and application, on the loop thread ------------------------- */

typedef struct {
    uv_loop_t loop;
    uv_async_t stop;
    uv_thread_t thread;
    fp_http_t *srv;
    int port;
    bool running;
    /* touched only on the loop thread (read by the test through GET /stats, or after join) */
    int late_started, gone, late_replied, sse_started, sse_gone;
} fx_t;

/* cmocka's asserts longjmp and must stay on the test thread; the loop thread aborts instead. */
#define APP_CHECK(x)                                                                          \
    do {                                                                                      \
        if (!(x)) {                                                                           \
            fprintf(stderr, "%s:%d: loop thread check failed: %s\n", __FILE__, __LINE__, #x); \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

typedef struct {
    uv_timer_t timer;
    fp_http_req_t *req;
    fx_t *fx;
    int n;
} job_t;

static void s_job_free(uv_handle_t *h) { free(h->data); }

static void s_late_gone(fp_http_req_t *req, void *arg)
{
    job_t *j = arg;
    j->fx->gone++;
}

static void s_late_fire(uv_timer_t *t)
{
    job_t *j = t->data;
    fp_http_reply(j->req, 200, "text/plain", "late\n", 5); /* discarded if the client is gone */
    j->fx->late_replied++;
    uv_close((uv_handle_t *)t, s_job_free);
}

static void s_sse_tick(uv_timer_t *t)
{
    job_t *j = t->data;
    char ev[64];
    int n = snprintf(ev, sizeof ev, "data: event %d\n\n", ++j->n);
    if (fp_http_stream_write(j->req, ev, (size_t)n) != FP_OK || j->n == 3) uv_timer_stop(t);
}

static void s_sse_gone(fp_http_req_t *req, void *arg)
{
    job_t *j = arg;
    j->fx->sse_gone++;
    APP_CHECK(fp_http_req_gone(req));
    APP_CHECK(fp_http_stream_write(req, "x", 1) == FP_EIO);
    fp_http_stream_end(req);
    uv_close((uv_handle_t *)&j->timer, s_job_free);
}

static void s_slow_end(uv_timer_t *t)
{
    job_t *j = t->data;
    APP_CHECK(!fp_http_req_gone(j->req));
    APP_CHECK(fp_http_stream_queued(j->req) == 0);
    fp_http_stream_end(j->req);
    uv_close((uv_handle_t *)t, s_job_free);
}

/* the pages of /w/ (common/web.c), as cmake/web.cmake would embed them */
static const unsigned char s_index[] = "<!doctype html><title>w</title>";
static const unsigned char s_js[] = "FP.start();";
static const fp_web_file_t s_pages[] = {
    {"index.html", s_index, sizeof s_index - 1, "\"0123456789abcdef0123\""},
    {"fangpin.js", s_js, sizeof s_js - 1, "\"aaaaaaaaaaaaaaaaaaaa\""},
    {"LICENSE", s_js, sizeof s_js - 1, "\"bbbbbbbbbbbbbbbbbbbb\""},
    {NULL, NULL, 0, NULL},
};

static void s_app(fp_http_req_t *req, void *arg)
{
    fx_t *fx = arg;
    const char *m = fp_http_req_method(req);
    const char *path = fp_http_req_path(req);
    if (fp_web_serve(req, "/w/", s_pages)) return;
    if (!strcmp(path, "/w/api/json")) {
        fp_web_json(req, 200, "{\"a\":1}", 7);
    } else if (strcmp(m, "GET") && strcmp(m, "HEAD") && strcmp(m, "POST")) {
        APP_CHECK(fp_http_req_add_header(req, "Allow", "GET, HEAD, POST") == FP_OK);
        fp_http_reply(req, 405, "text/plain", "method not allowed\n", 19);
    } else if (!strcmp(path, "/hello")) {
        fp_http_reply(req, 200, "text/plain", "hello\n", 6);
    } else if (!strcmp(path, "/echo")) {
        size_t blen;
        const char *body = fp_http_req_body(req, &blen);
        const char *xt = fp_http_req_header(req, "X-Test");
        fp_buf_t b = {0};
        fp_buf_printf(&b, "%s %s [%s] %s %zu:", m, path, fp_http_req_query(req), xt ? xt : "-", blen);
        fp_buf_append(&b, body, blen);
        fp_http_reply(req, 200, "text/plain", b.data, b.len);
        fp_buf_free(&b);
    } else if (!strcmp(path, "/late")) {
        job_t *j = fp_new(job_t);
        j->req = req;
        j->fx = fx;
        uv_timer_init(&fx->loop, &j->timer);
        j->timer.data = j;
        uv_timer_start(&j->timer, s_late_fire, (uint64_t)atoi(fp_http_req_query(req)), 0);
        fp_http_req_on_close(req, s_late_gone, j);
        fx->late_started++;
    } else if (!strcmp(path, "/stats")) {
        char b[128];
        int n = snprintf(b, sizeof b, "late_started=%d gone=%d late=%d sse_started=%d sse_gone=%d", fx->late_started,
                         fx->gone, fx->late_replied, fx->sse_started, fx->sse_gone);
        fp_http_reply(req, 200, "text/plain", b, (size_t)n);
    } else if (!strcmp(path, "/sse")) {
        job_t *j = fp_new(job_t);
        j->req = req;
        j->fx = fx;
        uv_timer_init(&fx->loop, &j->timer);
        j->timer.data = j;
        fp_http_stream_start(req, 200, "text/event-stream");
        fp_http_req_on_close(req, s_sse_gone, j);
        uv_timer_start(&j->timer, s_sse_tick, 10, 10);
        fx->sse_started++;
    } else if (!strcmp(path, "/chunks")) {
        APP_CHECK(fp_http_stream_write(req, "x", 1) == FP_EINVAL); /* not started */
        APP_CHECK(fp_http_req_add_header(req, "Content-Disposition", "attachment; filename=\"r.csv\"") == FP_OK);
        APP_CHECK(fp_http_req_add_header(req, "Bad\r\nName", "x") == FP_EINVAL);
        APP_CHECK(fp_http_req_add_header(req, "X-Inject", "a\r\nSet-Cookie: x") == FP_EINVAL);
        APP_CHECK(fp_http_req_add_header(req, "content-length", "1") == FP_EINVAL);
        fp_http_stream_start(req, 200, "text/csv");
        APP_CHECK(fp_http_stream_write(req, "abc", 3) == FP_OK);
        APP_CHECK(fp_http_stream_write(req, "", 0) == FP_OK);
        APP_CHECK(fp_http_stream_write(req, "defg", 4) == FP_OK);
        fp_http_stream_end(req);
    } else if (!strcmp(path, "/slowstream")) { /* ends from a timer, after the head is out */
        job_t *j = fp_new(job_t);
        j->req = req;
        j->fx = fx;
        uv_timer_init(&fx->loop, &j->timer);
        j->timer.data = j;
        fp_http_stream_start(req, 200, "text/plain");
        APP_CHECK(fp_http_stream_write(req, "a", 1) == FP_OK);
        uv_timer_start(&j->timer, s_slow_end, 30, 0);
    } else if (!strcmp(path, "/big")) { /* N bytes of a..z, like a report download */
        size_t n = (size_t)atol(fp_http_req_query(req));
        char *body = malloc(n ? n : 1);
        APP_CHECK(body != NULL);
        for (size_t i = 0; i < n; i++) body[i] = (char)('a' + i % 26);
        fp_http_reply(req, 200, "text/csv", body, n);
        free(body);
    } else if (!strcmp(path, "/misuse")) {
        fp_http_stream_end(req); /* never started: answered 500 */
    } else if (!strcmp(path, "/nocontent")) {
        fp_http_reply(req, 204, NULL, "ignored", 7);
    } else {
        fp_http_reply(req, 404, "text/plain", "not found\n", 10);
    }
}

static void s_on_stop(uv_async_t *a)
{
    fx_t *fx = a->data;
    fp_http_destroy(&fx->srv);
    fp_http_destroy(&fx->srv); /* twice is fine */
    uv_close((uv_handle_t *)a, NULL);
}

static void s_loop_thread(void *arg)
{
    fx_t *fx = arg;
    uv_run(&fx->loop, UV_RUN_DEFAULT);
}

static int s_start(void **state, size_t max_body, uint64_t idle_ms, unsigned max_conns)
{
    fx_t *fx = fp_new(fx_t);
    assert_int_equal(uv_loop_init(&fx->loop), 0);
    assert_int_equal(fp_http_new(&fx->loop, "127.0.0.1:0", s_app, fx, &fx->srv), FP_OK);
    fx->port = fp_http_port(fx->srv);
    assert_true(fx->port > 0);
    fp_http_set_max_body(fx->srv, max_body);
    if (idle_ms) fp_http_set_idle_timeout(fx->srv, idle_ms);
    if (max_conns) fp_http_set_max_conns(fx->srv, max_conns);
    assert_int_equal(uv_async_init(&fx->loop, &fx->stop, s_on_stop), 0);
    fx->stop.data = fx;
    assert_int_equal(uv_thread_create(&fx->thread, s_loop_thread, fx), 0);
    fx->running = true;
    *state = fx;
    return 0;
}

static void s_stop(fx_t *fx)
{
    if (!fx->running) return;
    uv_async_send(&fx->stop);
    uv_thread_join(&fx->thread);
    fx->running = false;
}

static int s_setup(void **state) { return s_start(state, 1024, 0, 0); }
static int s_setup_short_idle(void **state) { return s_start(state, 1024, 200, 0); }
static int s_setup_two_conns(void **state) { return s_start(state, 1024, 0, 2); }

static int s_teardown(void **state)
{
    fx_t *fx = *state;
    s_stop(fx);
    assert_int_equal(uv_loop_close(&fx->loop), 0); /* every handle was closed */
    free(fx);
    return 0;
}

/* ---- the client side: blocking sockets ----------------------------------------------------- */

typedef struct {
    int fd;
    size_t len;
    char buf[256 * 1024];
} cl_t;

typedef struct {
    char status[128];
    char head[8192];
    fp_buf_t body;
} resp_t;

static cl_t *cl_open(int port)
{
    cl_t *c = fp_new(cl_t);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(c->fd >= 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return c;
}

static void cl_close(cl_t *c)
{
    close(c->fd);
    free(c);
}

static void cl_sendn(cl_t *c, const void *p, size_t n)
{
    const char *s = p;
    while (n) {
        ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return; /* the server may have closed already; reading tells */
        s += w;
        n -= (size_t)w;
    }
}

static void cl_send(cl_t *c, const char *s) { cl_sendn(c, s, strlen(s)); }

static ssize_t cl_fill(cl_t *c)
{
    if (c->len == sizeof c->buf) return -1;
    ssize_t n;
    do n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
    while (n < 0 && errno == EINTR);
    if (n > 0) c->len += (size_t)n;
    return n;
}

static void cl_consume(cl_t *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

static bool cl_need(cl_t *c, size_t n)
{
    while (c->len < n)
        if (cl_fill(c) <= 0) return false;
    return true;
}

/* Position of needle in the buffer, reading more as needed; -1 at EOF. */
static ssize_t cl_find(cl_t *c, const char *needle)
{
    size_t nl = strlen(needle);
    for (;;) {
        for (size_t i = 0; i + nl <= c->len; i++)
            if (!memcmp(c->buf + i, needle, nl)) return (ssize_t)i;
        if (cl_fill(c) <= 0) return -1;
    }
}

static bool cl_read_head(cl_t *c, resp_t *r)
{
    ssize_t end = cl_find(c, "\r\n\r\n");
    if (end < 0) return false;
    size_t hl = (size_t)end + 4;
    assert_true(hl < sizeof r->head);
    memcpy(r->head, c->buf, hl);
    r->head[hl] = '\0';
    size_t sl = (size_t)(strstr(r->head, "\r\n") - r->head);
    assert_true(sl < sizeof r->status);
    memcpy(r->status, r->head, sl);
    r->status[sl] = '\0';
    cl_consume(c, hl);
    return true;
}

/* True if the head has exactly this header line. */
static bool resp_has(const resp_t *r, const char *line)
{
    char want[512];
    snprintf(want, sizeof want, "\r\n%s\r\n", line);
    return strstr(r->head, want) != NULL;
}

static bool resp_has_name(const resp_t *r, const char *name)
{
    char want[128];
    snprintf(want, sizeof want, "\r\n%s:", name);
    return strstr(r->head, want) != NULL;
}

/* One chunk of a chunked body into out: its size, 0 for the last chunk, -1 on EOF. */
static long cl_read_chunk(cl_t *c, fp_buf_t *out)
{
    ssize_t eol = cl_find(c, "\r\n");
    if (eol < 0) return -1;
    long size = strtol(c->buf, NULL, 16);
    cl_consume(c, (size_t)eol + 2);
    if (!cl_need(c, (size_t)size + 2)) return -1;
    fp_buf_append(out, c->buf, (size_t)size);
    assert_memory_equal(c->buf + size, "\r\n", 2);
    cl_consume(c, (size_t)size + 2);
    return size;
}

static bool cl_eof(cl_t *c)
{
    for (;;) {
        char tmp[4096];
        ssize_t n = recv(c->fd, tmp, sizeof tmp, 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
        if (n < 0) return false; /* timeout */
    }
}

static void resp_free(resp_t *r) { fp_buf_free(&r->body); }

/* A whole response: by Content-Length, chunked, or (otherwise) until EOF. */
static bool cl_read_response(cl_t *c, resp_t *r, bool head_request)
{
    memset(r, 0, sizeof *r);
    if (!cl_read_head(c, r)) return false;
    const char *cl = strstr(r->head, "\r\nContent-Length: ");
    if (head_request || !strncmp(r->status, "HTTP/1.1 204", 12) || !strncmp(r->status, "HTTP/1.1 1", 10)) return true;
    if (cl) {
        size_t n = strtoul(cl + 18, NULL, 10);
        if (!cl_need(c, n)) return false;
        fp_buf_append(&r->body, c->buf, n);
        cl_consume(c, n);
        return true;
    }
    if (resp_has(r, "Transfer-Encoding: chunked")) {
        long n;
        while ((n = cl_read_chunk(c, &r->body)) > 0) {}
        return n == 0;
    }
    while (cl_fill(c) > 0) {}
    fp_buf_append(&r->body, c->buf, c->len);
    cl_consume(c, c->len);
    return true;
}

static const char *s_body(const resp_t *r) { return r->body.data ? r->body.data : ""; }

/* One request on a fresh connection; returns the body's status line and body in r. */
static void s_get(const fx_t *fx, const char *req, resp_t *r)
{
    cl_t *c = cl_open(fx->port);
    cl_send(c, req);
    assert_true(cl_read_response(c, r, false));
    cl_close(c);
}

static void s_wait_stats(const fx_t *fx, const char *want)
{
    for (int i = 0; i < 200; i++) {
        resp_t r;
        s_get(fx, "GET /stats HTTP/1.1\r\nConnection: close\r\n\r\n", &r);
        bool ok = !strcmp(s_body(&r), want);
        if (ok || i == 199) assert_string_equal(s_body(&r), want);
        resp_free(&r);
        if (ok) return;
        usleep(10000);
    }
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_query_param(void **state)
{
    (void)state;
    char out[8];
    assert_true(fp_http_query_param("region=130822&from=0", "region", out, sizeof out));
    assert_string_equal(out, "130822");
    assert_true(fp_http_query_param("region=130822&from=0", "from", out, sizeof out));
    assert_string_equal(out, "0");
    assert_true(fp_http_query_param("xregion=1&region=2", "region", out, sizeof out)); /* whole names only */
    assert_string_equal(out, "2");
    assert_true(fp_http_query_param("region=1&region=2", "region", out, sizeof out)); /* the first */
    assert_string_equal(out, "1");
    assert_true(fp_http_query_param("region", "region", out, sizeof out)); /* no '=': absent */
    assert_string_equal(out, "");
    assert_true(fp_http_query_param("region=&a=1", "region", out, sizeof out));
    assert_string_equal(out, "");
    assert_true(fp_http_query_param("", "region", out, sizeof out));
    assert_true(fp_http_query_param(NULL, "region", out, sizeof out));
    assert_string_equal(out, "");
    assert_true(fp_http_query_param("a=1234567", "a", out, sizeof out)); /* 7 + NUL fits */
    assert_string_equal(out, "1234567");
    assert_false(fp_http_query_param("a=12345678", "a", out, sizeof out)); /* does not fit */
    assert_string_equal(out, "");
    assert_false(fp_http_query_param("a=1", "a", NULL, 8));
    assert_true(fp_http_query_param("a=1", "", out, sizeof out));
    assert_string_equal(out, "");
}

static void test_get_sync(void **state)
{
    fx_t *fx = *state;
    resp_t r;
    s_get(fx, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", &r);
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    assert_string_equal(s_body(&r), "hello\n");
    assert_true(resp_has(&r, "Content-Length: 6"));
    assert_true(resp_has(&r, "Content-Type: text/plain"));
    assert_true(resp_has(&r, "Connection: keep-alive"));
    assert_true(resp_has_name(&r, "Date"));
    resp_free(&r);

    s_get(fx, "GET /nowhere HTTP/1.1\r\n\r\n", &r);
    assert_string_equal(r.status, "HTTP/1.1 404 Not Found");
    assert_string_equal(s_body(&r), "not found\n");
    resp_free(&r);
}

/* common/web.c: embedded pages with their headers, revalidation, redirects and refusals */
static void test_web_pages(void **state)
{
    fx_t *fx = *state;
    resp_t r;
    s_get(fx, "GET /w/ HTTP/1.1\r\n\r\n", &r);
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    assert_string_equal(s_body(&r), "<!doctype html><title>w</title>");
    assert_true(resp_has(&r, "Content-Type: text/html; charset=utf-8"));
    assert_true(resp_has(&r, "ETag: \"0123456789abcdef0123\""));
    assert_true(resp_has(&r, "Cache-Control: no-cache"));
    assert_true(resp_has(&r, "X-Content-Type-Options: nosniff"));
    assert_true(resp_has(&r, "Referrer-Policy: no-referrer"));
    assert_true(resp_has(&r, "X-Frame-Options: DENY"));
    assert_true(resp_has_name(&r, "Content-Security-Policy"));
    resp_free(&r);

    s_get(fx, "GET /w/fangpin.js HTTP/1.1\r\nIf-None-Match: \"aaaaaaaaaaaaaaaaaaaa\"\r\n\r\n", &r);
    assert_string_equal(r.status, "HTTP/1.1 304 Not Modified");
    assert_string_equal(s_body(&r), "");
    resp_free(&r);
    s_get(fx, "GET /w/fangpin.js HTTP/1.1\r\nIf-None-Match: \"cccccccccccccccccccc\"\r\n\r\n", &r);
    assert_string_equal(r.status, "HTTP/1.1 200 OK"); /* another version: the file */
    assert_true(resp_has(&r, "Content-Type: text/javascript; charset=utf-8"));
    assert_string_equal(s_body(&r), "FP.start();");
    resp_free(&r);

    s_get(fx, "GET /w HTTP/1.1\r\n\r\n", &r);
    assert_string_equal(r.status, "HTTP/1.1 301 Moved Permanently");
    assert_true(resp_has(&r, "Location: /w/"));
    resp_free(&r);
    s_get(fx, "GET /w/../http.c HTTP/1.1\r\n\r\n", &r);
    assert_string_equal(r.status, "HTTP/1.1 404 Not Found");
    resp_free(&r);
    s_get(fx, "POST /w/index.html HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &r);
    assert_string_equal(r.status, "HTTP/1.1 405 Method Not Allowed");
    assert_true(resp_has(&r, "Allow: GET, HEAD"));
    resp_free(&r);
    s_get(fx, "GET /w/api/json HTTP/1.1\r\n\r\n", &r); /* api/ is the caller's */
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    assert_true(resp_has(&r, "Content-Type: application/json; charset=utf-8"));
    assert_true(resp_has(&r, "Cache-Control: no-store"));
    assert_string_equal(s_body(&r), "{\"a\":1}");
    resp_free(&r);
    s_get(fx, "GET /wx HTTP/1.1\r\n\r\n", &r); /* not under the prefix: the app's own 404 */
    assert_string_equal(s_body(&r), "not found\n");
    resp_free(&r);

    assert_string_equal(fp_web_content_type("a/b.css"), "text/css; charset=utf-8");
    assert_string_equal(fp_web_content_type("LICENSE"), "text/plain; charset=utf-8");
    assert_string_equal(fp_web_content_type("x.bin"), "application/octet-stream");
    assert_string_equal(fp_web_content_type("d.v/README"), "text/plain; charset=utf-8");
    assert_non_null(fp_web_find(s_pages, "LICENSE"));
    assert_null(fp_web_find(s_pages, "license"));
}

static void test_request_parts(void **state)
{
    fx_t *fx = *state;
    resp_t r;
    s_get(fx, "GET /echo?a=1&b=%20#frag HTTP/1.1\r\nx-TEST:  Zz \r\nX-Test: second\r\n\r\n", &r);
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    assert_string_equal(s_body(&r), "GET /echo [a=1&b=%20] Zz 0:"); /* OWS trimmed; first of two */
    resp_free(&r);

    s_get(fx, "POST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", &r);
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    assert_string_equal(s_body(&r), "POST /echo [] - 5:hello");
    resp_free(&r);

    s_get(fx, "POST /echo?c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", &r);
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    assert_string_equal(s_body(&r), "POST /echo [c] - 5:abcde");
    resp_free(&r);

    s_get(fx, "GET http://example.org/echo?q HTTP/1.1\r\n\r\n", &r);
    assert_string_equal(s_body(&r), "GET /echo [q] - 0:");
    resp_free(&r);
}

static void test_get_async(void **state)
{
    fx_t *fx = *state;
    resp_t r;
    s_get(fx, "GET /late?50 HTTP/1.1\r\n\r\n", &r);
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    assert_string_equal(s_body(&r), "late\n");
    assert_true(resp_has(&r, "Content-Length: 5"));
    resp_free(&r);
    s_wait_stats(fx, "late_started=1 gone=0 late=1 sse_started=0 sse_gone=0");
}

static void test_keepalive(void **state)
{
    fx_t *fx = *state;
    cl_t *c = cl_open(fx->port);
    resp_t r;
    cl_send(c, "GET /hello HTTP/1.1\r\n\r\n");
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    assert_string_equal(s_body(&r), "hello\n");
    resp_free(&r);
    cl_send(c, "GET /echo?2 HTTP/1.1\r\n\r\n");
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    assert_string_equal(s_body(&r), "GET /echo [2] - 0:");
    resp_free(&r);

    /* Pipelined: a late answer first, and the rest waits for it, in order. */
    cl_send(c, "GET /late?30 HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\n\r\nGET /echo?3 HTTP/1.1\r\n\r\n");
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(s_body(&r), "late\n");
    resp_free(&r);
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(s_body(&r), "hello\n");
    resp_free(&r);
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(s_body(&r), "GET /echo [3] - 0:");
    resp_free(&r);
    cl_close(c);
}

static void test_connection_close(void **state)
{
    fx_t *fx = *state;
    cl_t *c = cl_open(fx->port);
    resp_t r;
    cl_send(c, "GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    assert_string_equal(s_body(&r), "hello\n");
    assert_true(resp_has(&r, "Connection: close"));
    resp_free(&r);
    assert_true(cl_eof(c));
    cl_close(c);

    c = cl_open(fx->port); /* HTTP/1.0 closes by default ... */
    cl_send(c, "GET /hello HTTP/1.0\r\n\r\n");
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    assert_true(resp_has(&r, "Connection: close"));
    resp_free(&r);
    assert_true(cl_eof(c));
    cl_close(c);

    c = cl_open(fx->port); /* ... unless it asks for keep-alive */
    cl_send(c, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_true(cl_read_response(c, &r, false));
    assert_true(resp_has(&r, "Connection: keep-alive"));
    resp_free(&r);
    cl_send(c, "GET /hello HTTP/1.0\r\n\r\n");
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(s_body(&r), "hello\n");
    resp_free(&r);
    cl_close(c);
}

static void test_head(void **state)
{
    fx_t *fx = *state;
    cl_t *c = cl_open(fx->port);
    resp_t r;
    cl_send(c, "HEAD /hello HTTP/1.1\r\n\r\n");
    assert_true(cl_read_response(c, &r, true));
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    assert_true(resp_has(&r, "Content-Length: 6"));
    resp_free(&r);
    /* No body bytes followed: the next response starts right here. */
    cl_send(c, "GET /hello HTTP/1.1\r\n\r\n");
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    assert_string_equal(s_body(&r), "hello\n");
    resp_free(&r);
    cl_close(c);
}

static void test_status_codes(void **state)
{
    fx_t *fx = *state;
    resp_t r;
    s_get(fx, "DELETE /hello HTTP/1.1\r\n\r\n", &r);
    assert_string_equal(r.status, "HTTP/1.1 405 Method Not Allowed");
    assert_string_equal(s_body(&r), "method not allowed\n");
    assert_true(resp_has(&r, "Allow: GET, HEAD, POST"));
    resp_free(&r);

    /* We do not upgrade: the request is answered and the connection closed. */
    cl_t *c = cl_open(fx->port);
    cl_send(c, "GET /hello HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x05hello");
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    assert_string_equal(s_body(&r), "hello\n");
    assert_true(resp_has(&r, "Connection: close"));
    resp_free(&r);
    assert_true(cl_eof(c));
    cl_close(c);
    c = cl_open(fx->port);
    cl_send(c, "CONNECT example.org:443 HTTP/1.1\r\n\r\n");
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(r.status, "HTTP/1.1 405 Method Not Allowed");
    resp_free(&r);
    assert_true(cl_eof(c));
    cl_close(c);

    c = cl_open(fx->port);
    cl_send(c, "GET /nocontent HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\n\r\n");
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(r.status, "HTTP/1.1 204 No Content");
    assert_false(resp_has_name(&r, "Content-Length"));
    resp_free(&r);
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(s_body(&r), "hello\n");
    resp_free(&r);
    cl_close(c);
}

static void s_expect_refusal(const fx_t *fx, const char *req, size_t len, const char *status, const char *body)
{
    cl_t *c = cl_open(fx->port);
    cl_sendn(c, req, len);
    resp_t r;
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(r.status, status);
    assert_string_equal(s_body(&r), body);
    assert_true(resp_has(&r, "Connection: close"));
    resp_free(&r);
    assert_true(cl_eof(c));
    cl_close(c);
}

static void test_garbage(void **state)
{
    fx_t *fx = *state;
    const char *bad = "\x01\x02garbage \xff\r\n\r\n";
    s_expect_refusal(fx, bad, strlen(bad), "HTTP/1.1 400 Bad Request", "Bad Request\n");
    const char *ver = "GET / HTTP/9.Z\r\n\r\n";
    s_expect_refusal(fx, ver, strlen(ver), "HTTP/1.1 400 Bad Request", "Bad Request\n");
    const char *cl = "POST /echo HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab";
    s_expect_refusal(fx, cl, strlen(cl), "HTTP/1.1 400 Bad Request", "Bad Request\n");
    /* After a good request, garbage on the same connection still gets its 400. */
    const char *two = "GET /hello HTTP/1.1\r\n\r\nNOPE\r\n\r\n";
    cl_t *c = cl_open(fx->port);
    cl_send(c, two);
    resp_t r;
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(s_body(&r), "hello\n");
    resp_free(&r);
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(r.status, "HTTP/1.1 400 Bad Request");
    resp_free(&r);
    assert_true(cl_eof(c));
    cl_close(c);
}

static void test_header_too_large(void **state)
{
    fx_t *fx = *state;
    fp_buf_t b = {0};
    fp_buf_puts(&b, "GET /hello HTTP/1.1\r\nX-Big: ");
    for (int i = 0; i < 20 * 1024; i++) fp_buf_append(&b, "a", 1);
    fp_buf_puts(&b, "\r\n\r\n");
    s_expect_refusal(fx, b.data, b.len, "HTTP/1.1 431 Request Header Fields Too Large",
                     "Request Header Fields Too Large\n");
    fp_buf_reset(&b);
    fp_buf_puts(&b, "GET /hello HTTP/1.1\r\n");
    for (int i = 0; i < FP_HTTP_MAX_HEADERS + 5; i++) fp_buf_printf(&b, "X-%d: 1\r\n", i);
    fp_buf_puts(&b, "\r\n");
    s_expect_refusal(fx, b.data, b.len, "HTTP/1.1 431 Request Header Fields Too Large",
                     "Request Header Fields Too Large\n");
    fp_buf_free(&b);
}

static void test_body_too_large(void **state)
{
    fx_t *fx = *state; /* max body 1024 */
    const char *big = "POST /echo HTTP/1.1\r\nContent-Length: 2000\r\n\r\n";
    s_expect_refusal(fx, big, strlen(big), "HTTP/1.1 413 Payload Too Large", "Payload Too Large\n");

    fp_buf_t b = {0};
    fp_buf_puts(&b, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 3; i++) {
        fp_buf_puts(&b, "200\r\n");
        for (int k = 0; k < 0x200; k++) fp_buf_append(&b, "z", 1);
        fp_buf_puts(&b, "\r\n");
    }
    fp_buf_puts(&b, "0\r\n\r\n");
    s_expect_refusal(fx, b.data, b.len, "HTTP/1.1 413 Payload Too Large", "Payload Too Large\n");
    fp_buf_free(&b);

    resp_t r; /* exactly the limit is fine */
    fp_buf_t ok = {0};
    fp_buf_puts(&ok, "POST /echo HTTP/1.1\r\nContent-Length: 1024\r\n\r\n");
    for (int k = 0; k < 1024; k++) fp_buf_append(&ok, "y", 1);
    cl_t *c = cl_open(fx->port);
    cl_sendn(c, ok.data, ok.len);
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    assert_int_equal(r.body.len, strlen("POST /echo [] - 1024:") + 1024);
    resp_free(&r);
    cl_close(c);
    fp_buf_free(&ok);
}

static void test_expect_continue(void **state)
{
    fx_t *fx = *state;
    cl_t *c = cl_open(fx->port);
    cl_send(c, "POST /echo HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    resp_t r;
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(r.status, "HTTP/1.1 100 Continue");
    resp_free(&r);
    cl_send(c, "hello");
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    assert_string_equal(s_body(&r), "POST /echo [] - 5:hello");
    resp_free(&r);
    cl_close(c);
}

static void test_gone_before_late_reply(void **state)
{
    fx_t *fx = *state;
    cl_t *c = cl_open(fx->port);
    cl_send(c, "GET /late?150 HTTP/1.1\r\n\r\n");
    s_wait_stats(fx, "late_started=1 gone=0 late=0 sse_started=0 sse_gone=0");
    cl_close(c); /* before the answer */
    s_wait_stats(fx, "late_started=1 gone=1 late=0 sse_started=0 sse_gone=0");
    s_wait_stats(fx, "late_started=1 gone=1 late=1 sse_started=0 sse_gone=0"); /* discarded, no crash */

    /* Same with a reset instead of a close. */
    c = cl_open(fx->port);
    cl_send(c, "GET /late?100 HTTP/1.1\r\n\r\n");
    s_wait_stats(fx, "late_started=2 gone=1 late=1 sse_started=0 sse_gone=0");
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    cl_close(c);
    s_wait_stats(fx, "late_started=2 gone=2 late=2 sse_started=0 sse_gone=0");
}

static void test_sse(void **state)
{
    fx_t *fx = *state;
    cl_t *c = cl_open(fx->port);
    cl_send(c, "GET /sse HTTP/1.1\r\nAccept: text/event-stream\r\n\r\n");
    resp_t r;
    memset(&r, 0, sizeof r);
    assert_true(cl_read_head(c, &r));
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    assert_true(resp_has(&r, "Content-Type: text/event-stream"));
    assert_true(resp_has(&r, "Cache-Control: no-cache"));
    assert_true(resp_has(&r, "Transfer-Encoding: chunked"));
    assert_false(resp_has_name(&r, "Content-Length"));
    for (int i = 1; i <= 3; i++) {
        fp_buf_t ev = {0};
        char want[32];
        snprintf(want, sizeof want, "data: event %d\n\n", i);
        assert_int_equal(cl_read_chunk(c, &ev), (long)strlen(want));
        assert_string_equal(ev.data, want);
        fp_buf_free(&ev);
    }
    cl_close(c);
    s_wait_stats(fx, "late_started=0 gone=0 late=0 sse_started=1 sse_gone=1");
}

static void test_stream(void **state)
{
    fx_t *fx = *state;
    cl_t *c = cl_open(fx->port);
    resp_t r;
    cl_send(c, "GET /chunks HTTP/1.1\r\n\r\n");
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    assert_string_equal(s_body(&r), "abcdefg");
    assert_true(resp_has(&r, "Content-Disposition: attachment; filename=\"r.csv\""));
    assert_true(resp_has(&r, "Transfer-Encoding: chunked"));
    assert_false(resp_has_name(&r, "X-Inject"));
    resp_free(&r);
    cl_send(c, "GET /hello HTTP/1.1\r\n\r\n"); /* still usable after the stream */
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(s_body(&r), "hello\n");
    resp_free(&r);
    cl_close(c);

    c = cl_open(fx->port); /* HTTP/1.0: close-delimited */
    cl_send(c, "GET /chunks HTTP/1.0\r\n\r\n");
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    assert_false(resp_has_name(&r, "Transfer-Encoding"));
    assert_true(resp_has(&r, "Connection: close"));
    assert_string_equal(s_body(&r), "abcdefg");
    resp_free(&r);
    cl_close(c);

    c = cl_open(fx->port); /* HEAD of a stream: headers only */
    cl_send(c, "HEAD /chunks HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\n\r\n");
    assert_true(cl_read_response(c, &r, true));
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    resp_free(&r);
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(s_body(&r), "hello\n");
    resp_free(&r);
    cl_close(c);
}

static void test_stream_late_end(void **state)
{
    fx_t *fx = *state;
    resp_t r;
    cl_t *c = cl_open(fx->port); /* close-delimited, ended after the head was written */
    cl_send(c, "GET /slowstream HTTP/1.0\r\n\r\n");
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    assert_string_equal(s_body(&r), "a");
    resp_free(&r);
    cl_close(c);

    c = cl_open(fx->port); /* chunked, ended late, connection reused */
    cl_send(c, "GET /slowstream HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\n\r\n");
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(s_body(&r), "a");
    resp_free(&r);
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(s_body(&r), "hello\n");
    resp_free(&r);
    cl_close(c);

    c = cl_open(fx->port); /* HEAD, ended late: headers, then the connection closes */
    cl_send(c, "HEAD /slowstream HTTP/1.1\r\n\r\n");
    assert_true(cl_read_response(c, &r, true));
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    resp_free(&r);
    assert_true(cl_eof(c));
    cl_close(c);

    s_get(fx, "GET /misuse HTTP/1.1\r\n\r\n", &r);
    assert_string_equal(r.status, "HTTP/1.1 500 Internal Server Error");
    assert_string_equal(s_body(&r), "");
    resp_free(&r);
}

/* Far more pipelined input than the server buffers while a late answer is pending: it stops
 * reading, then resumes, and every request is answered in order. */
static void test_pipeline_flood(void **state)
{
    fx_t *fx = *state;
    enum { N = 3000 };
    fp_buf_t b = {0};
    fp_buf_puts(&b, "GET /late?50 HTTP/1.1\r\n\r\n");
    for (int i = 0; i < N; i++) fp_buf_printf(&b, "GET /echo?%d HTTP/1.1\r\n\r\n", i);
    cl_t *c = cl_open(fx->port);
    cl_sendn(c, b.data, b.len);
    fp_buf_free(&b);
    resp_t r;
    assert_true(cl_read_response(c, &r, false));
    assert_string_equal(s_body(&r), "late\n");
    resp_free(&r);
    for (int i = 0; i < N; i++) {
        char want[64];
        snprintf(want, sizeof want, "GET /echo [%d] - 0:", i);
        assert_true(cl_read_response(c, &r, false));
        assert_string_equal(s_body(&r), want);
        resp_free(&r);
    }
    cl_close(c);
}

/* A client that half-closes after its request still gets the answer, then EOF. */
static void test_half_close(void **state)
{
    fx_t *fx = *state;
    for (int i = 0; i < 20; i++) {
        cl_t *c = cl_open(fx->port);
        cl_send(c, "GET /hello HTTP/1.1\r\n\r\n");
        shutdown(c->fd, SHUT_WR);
        resp_t r;
        assert_true(cl_read_response(c, &r, false));
        assert_string_equal(r.status, "HTTP/1.1 200 OK");
        assert_string_equal(s_body(&r), "hello\n");
        resp_free(&r);
        assert_true(cl_eof(c));
        cl_close(c);
    }
}

/* A large body to a client that half-closed at once and reads slowly: EOF arrives while the
 * answer is still being written; all of it is delivered, then the connection closes. */
static void test_big_reply_half_close(void **state)
{
    fx_t *fx = *state;
    enum { N = 16 * 1024 * 1024 };
    cl_t *c = cl_open(fx->port);
    char req[64];
    snprintf(req, sizeof req, "GET /big?%d HTTP/1.1\r\n\r\n", N);
    cl_send(c, req);
    shutdown(c->fd, SHUT_WR);
    usleep(200000);
    resp_t r;
    memset(&r, 0, sizeof r);
    assert_true(cl_read_head(c, &r));
    assert_string_equal(r.status, "HTTP/1.1 200 OK");
    char want[64];
    snprintf(want, sizeof want, "Content-Length: %d", N);
    assert_true(resp_has(&r, want));
    size_t got = 0;
    bool same = true;
    while (got < N) {
        if (c->len == 0 && cl_fill(c) <= 0) break;
        for (size_t i = 0; i < c->len && got + i < N; i++) same = same && c->buf[i] == (char)('a' + (got + i) % 26);
        size_t take = c->len < N - got ? c->len : N - got;
        got += take;
        cl_consume(c, take);
    }
    assert_int_equal(got, N);
    assert_true(same);
    assert_int_equal(c->len, 0);
    assert_true(cl_eof(c));
    cl_close(c);
}

static void test_destroy_with_open_connections(void **state)
{
    fx_t *fx = *state;
    cl_t *idle = cl_open(fx->port);
    cl_t *partial = cl_open(fx->port);
    cl_send(partial, "GET /hel");
    cl_t *late = cl_open(fx->port);
    cl_send(late, "GET /late?300 HTTP/1.1\r\n\r\n");
    cl_t *sse = cl_open(fx->port);
    cl_send(sse, "GET /sse HTTP/1.1\r\n\r\n");
    resp_t r;
    memset(&r, 0, sizeof r);
    assert_true(cl_read_head(sse, &r));
    fp_buf_t ev = {0};
    assert_true(cl_read_chunk(sse, &ev) > 0);
    fp_buf_free(&ev);
    s_wait_stats(fx, "late_started=1 gone=0 late=0 sse_started=1 sse_gone=0");

    s_stop(fx); /* destroy in the loop; the loop ends once every handle has closed */
    assert_int_equal(fx->gone, 1);
    assert_int_equal(fx->sse_gone, 1);
    assert_int_equal(fx->late_replied, 1); /* the late timer still fired and was discarded */
    assert_true(cl_eof(idle));
    assert_true(cl_eof(partial));
    assert_true(cl_eof(late));
    assert_true(cl_eof(sse));
    cl_close(idle);
    cl_close(partial);
    cl_close(late);
    cl_close(sse);
}

static void test_idle_timeout(void **state)
{
    fx_t *fx = *state; /* idle 200 ms */
    cl_t *c = cl_open(fx->port);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_true(cl_eof(c));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(s >= 0.15 && s < 3.0);
    cl_close(c);

    s_expect_refusal(fx, "GET /hello HTTP/1.1\r\nX-Slow: ", 29, "HTTP/1.1 408 Request Timeout", "Request Timeout\n");

    c = cl_open(fx->port); /* the clock restarts after each answer */
    resp_t r;
    for (int i = 0; i < 3; i++) {
        usleep(120000);
        cl_send(c, "GET /hello HTTP/1.1\r\n\r\n");
        assert_true(cl_read_response(c, &r, false));
        assert_string_equal(s_body(&r), "hello\n");
        resp_free(&r);
    }
    assert_true(cl_eof(c));
    cl_close(c);
}

static void test_max_conns(void **state)
{
    fx_t *fx = *state; /* two connections at most */
    cl_t *a = cl_open(fx->port);
    cl_t *b = cl_open(fx->port);
    resp_t r;
    cl_send(a, "GET /hello HTTP/1.1\r\n\r\n");
    assert_true(cl_read_response(a, &r, false));
    resp_free(&r);
    cl_send(b, "GET /hello HTTP/1.1\r\n\r\n");
    assert_true(cl_read_response(b, &r, false));
    resp_free(&r);
    cl_t *c = cl_open(fx->port); /* accepted and closed */
    cl_send(c, "GET /hello HTTP/1.1\r\n\r\n");
    assert_false(cl_read_head(c, &r));
    cl_close(c);
    cl_close(a);
    /* Once a's close has been seen, a new connection gets in. */
    bool served = false;
    for (int i = 0; i < 100 && !served; i++) {
        c = cl_open(fx->port);
        cl_send(c, "GET /hello HTTP/1.1\r\n\r\n");
        served = cl_read_response(c, &r, false);
        if (served) {
            assert_string_equal(s_body(&r), "hello\n");
            resp_free(&r);
        }
        cl_close(c);
        if (!served) usleep(10000);
    }
    assert_true(served);
    cl_close(b);
}

static void s_noop(fp_http_req_t *req, void *arg) { fp_http_reply(req, 200, NULL, NULL, 0); }

static void test_addresses(void **state)
{
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    fp_http_t *h = (fp_http_t *)&loop; /* must be set to NULL on failure */
    const char *bad[] = {NULL,
                         "",
                         "nonsense",
                         "127.0.0.1",
                         "127.0.0.1:",
                         ":8101",
                         "127.0.0.1:99999",
                         "127.0.0.1:80x",
                         "127.0.0.1:-1",
                         "localhost:8101",
                         "::1:8101",
                         "[::1]8101",
                         "[::1:8101",
                         "[]:8101",
                         "300.1.1.1:80",
                         "127.0.0.1:123456"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(fp_http_new(&loop, bad[i], s_noop, NULL, &h), FP_EINVAL);
        assert_null(h);
    }
    assert_int_equal(fp_http_new(&loop, "127.0.0.1:0", NULL, NULL, &h), FP_EINVAL);

    assert_int_equal(fp_http_new(&loop, "0.0.0.0:0", s_noop, NULL, &h), FP_OK);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", fp_http_port(h));
    fp_http_t *h2 = NULL;
    assert_int_equal(fp_http_new(&loop, addr, s_noop, NULL, &h2), FP_EIO); /* port taken */
    assert_null(h2);
    assert_int_equal(fp_http_new(&loop, "192.0.2.1:0", s_noop, NULL, &h2), FP_EIO); /* not ours */
    fp_http_destroy(&h);
    assert_null(h);
    fp_http_destroy(&h);
    fp_http_destroy(NULL);

    if (fp_http_new(&loop, "[::1]:0", s_noop, NULL, &h) == FP_OK) { /* where IPv6 exists */
        assert_true(fp_http_port(h) > 0);
        fp_http_destroy(&h);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_query_param),
        cmocka_unit_test_setup_teardown(test_get_sync, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_request_parts, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_get_async, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_keepalive, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_connection_close, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_head, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_status_codes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_garbage, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_header_too_large, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_body_too_large, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_expect_continue, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_gone_before_late_reply, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_sse, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_stream, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_stream_late_end, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_pipeline_flood, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_half_close, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_big_reply_half_close, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_destroy_with_open_connections, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_idle_timeout, s_setup_short_idle, s_teardown),
        cmocka_unit_test_setup_teardown(test_max_conns, s_setup_two_conns, s_teardown),
        cmocka_unit_test_setup_teardown(test_web_pages, s_setup, s_teardown),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
