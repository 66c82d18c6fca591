/* http.c: HTTP/1.1 server on libuv with http-parser (see http.h): keep-alive, pipelining held
 * back until each answer is written, late (asynchronous) answers, chunked streams, limits on
 * head, body, idle time and connections, and a socket-free entry point for the fuzzer.
 *
 * A connection moves through these states:
 *
 *   S_READ --request complete--> S_HANDLER --fp_http_reply--------> S_WRITE --written--> S_READ
 *      |                            |        --fp_http_stream_start-> S_STREAM --end--> S_WRITE
 *      +--bad request: error reply, S_WRITE (no keep-alive)                        |
 *   S_WRITE --written, no keep-alive--> S_LINGER (FIN sent; read and discard until EOF or 2 s)
 *
 * Only S_READ feeds bytes to the parser; in every other state input is buffered (up to a cap,
 * then reading stops), so pipelined requests are answered in order. Parsing resumes only from a
 * write callback, never from inside fp_http_reply() or fp_http_stream_end(), so a handler is
 * never re-entered from its own call. A connection's memory is freed only in its handles' close
 * callbacks; a request answered late keeps its own memory and forgets the connection when the
 * client goes (req->conn = NULL), so a late answer is discarded without touching freed memory. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <http_parser.h>

#include "mem.h"

#define S_READ_BUF (64 * 1024)                /* one read; shared by all connections */
#define S_MAX_BUFFERED (2 * FP_HTTP_MAX_HEAD) /* input held while a request is in flight */
#define S_LINGER_MS 2000
#define S_KEEPALIVE_S 60

typedef enum { S_READ, S_HANDLER, S_STREAM, S_WRITE, S_LINGER } s_state_t;
typedef enum { S_FRAME_LENGTH, S_FRAME_NONE, S_FRAME_CHUNKED, S_FRAME_CLOSE } s_frame_t;
typedef enum { S_HDR_NONE, S_HDR_FIELD, S_HDR_VALUE } s_hdr_state_t;

typedef struct s_conn s_conn_t;

struct fp_http {
    uv_loop_t *loop;
    uv_tcp_t listener;
    fp_http_handler_fn handler;
    void *arg;
    size_t max_body;
    uint64_t idle_ms;
    unsigned max_conns;
    unsigned nconns;
    int port;
    bool destroying;
    bool listener_closed;
    s_conn_t *conns;
    char *rbuf;
};

struct s_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_shutdown_t shut;
    fp_http_t *srv;
    s_conn_t *prev, *next;
    http_parser parser;
    fp_buf_t in; /* received, not yet parsed */
    size_t inoff;
    fp_http_req_t *req; /* being parsed (S_READ), or handed to the handler and unanswered */
    s_state_t state;
    int err_status; /* set by a parser callback that refuses the request */
    size_t head_bytes;
    unsigned writes; /* write requests in flight */
    int open_handles;
    bool ready;      /* a request is complete: dispatch it once the parser returns */
    bool keep_alive; /* of the response being written */
    bool reading;
    bool closing;
    bool peer_eof;
    bool fuzz;            /* in-memory connection of fp_http_parse_for_fuzz */
    unsigned fuzz_writes; /* fake writes not yet "completed" */
};

struct fp_http_req {
    s_conn_t *conn; /* NULL once the client is gone */
    const char *method;
    fp_buf_t url;
    char *path;
    char *query;
    char **hnames;
    char **hvalues;
    size_t nhdrs;
    size_t caphdrs;
    fp_buf_t hfield;
    fp_buf_t hvalue;
    s_hdr_state_t hstate;
    fp_buf_t body;
    fp_buf_t resp_hdrs; /* "Name: value\r\n" lines added by the handler */
    void (*on_close)(fp_http_req_t *req, void *arg);
    void *on_close_arg;
    bool headers_done;
    bool dispatched;
    bool keep_alive;
    bool http10;
    bool head;
    bool streaming;
    bool chunked;
};

typedef struct {
    uv_write_t w;
    s_conn_t *conn;
    char data[];
} s_wreq_t;

static void s_conn_close(s_conn_t *c);
static void s_conn_pump(s_conn_t *c);

/* ---- small helpers ------------------------------------------------------------------------ */

static const char *s_str(const fp_buf_t *b) { return b->data ? b->data : ""; }

static int s_lower(int ch) { return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch; }

static bool s_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (s_lower((unsigned char)*a) != s_lower((unsigned char)*b)) return false;
    return *a == *b;
}

static bool s_is_tchar(int ch)
{
    if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) return true;
    return ch && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static bool s_token_ok(const char *s)
{
    if (!s || !*s) return false;
    for (; *s; s++)
        if (!s_is_tchar((unsigned char)*s)) return false;
    return true;
}

/* A header value we may send: visible characters, spaces and tabs only (no CR/LF injection). */
static bool s_value_ok(const char *s)
{
    if (!s) return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f) return false;
    return true;
}

static int s_status_ok(int status) { return status >= 200 && status <= 599 ? status : 500; }

static const char *s_reason(int status)
{
    const char *r = http_status_str((enum http_status)status);
    return r && r[0] != '<' ? r : "Unknown";
}

/* ---- requests ----------------------------------------------------------------------------- */

static fp_http_req_t *s_req_new(s_conn_t *c)
{
    fp_http_req_t *r = fp_new(fp_http_req_t);
    r->conn = c;
    r->method = "";
    return r;
}

static void s_req_free(fp_http_req_t *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->nhdrs; i++) {
        free(r->hnames[i]);
        free(r->hvalues[i]);
    }
    free(r->hnames);
    free(r->hvalues);
    free(r->path);
    free(r->query);
    fp_buf_free(&r->url);
    fp_buf_free(&r->hfield);
    fp_buf_free(&r->hvalue);
    fp_buf_free(&r->body);
    fp_buf_free(&r->resp_hdrs);
    free(r);
}

static bool s_req_commit_header(fp_http_req_t *r)
{
    if (r->nhdrs >= FP_HTTP_MAX_HEADERS) return false;
    if (r->nhdrs == r->caphdrs) {
        r->caphdrs = r->caphdrs ? r->caphdrs * 2 : 8;
        r->hnames = fp_realloc(r->hnames, r->caphdrs * sizeof *r->hnames);
        r->hvalues = fp_realloc(r->hvalues, r->caphdrs * sizeof *r->hvalues);
    }
    while (r->hvalue.len && (r->hvalue.data[r->hvalue.len - 1] == ' ' || r->hvalue.data[r->hvalue.len - 1] == '\t'))
        r->hvalue.data[--r->hvalue.len] = '\0'; /* trailing whitespace is not part of the value */
    r->hnames[r->nhdrs] = fp_strdup(s_str(&r->hfield));
    r->hvalues[r->nhdrs] = fp_strdup(s_str(&r->hvalue));
    r->nhdrs++;
    fp_buf_reset(&r->hfield);
    fp_buf_reset(&r->hvalue);
    r->hstate = S_HDR_NONE;
    return true;
}

const char *fp_http_req_method(const fp_http_req_t *req) { return req ? req->method : ""; }
const char *fp_http_req_path(const fp_http_req_t *req) { return req && req->path ? req->path : ""; }
const char *fp_http_req_query(const fp_http_req_t *req) { return req && req->query ? req->query : ""; }

bool fp_http_query_param(const char *query, const char *name, char *out, size_t outlen)
{
    if (!out || outlen == 0) return false;
    out[0] = '\0';
    size_t nl = name ? strlen(name) : 0;
    for (const char *q = query; nl && q && *q;) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        if (len > nl && strncmp(q, name, nl) == 0 && q[nl] == '=') {
            size_t vl = len - nl - 1;
            if (vl >= outlen) return false;
            memcpy(out, q + nl + 1, vl);
            out[vl] = '\0';
            return true;
        }
        q = amp ? amp + 1 : NULL;
    }
    return true;
}

const char *fp_http_req_header(const fp_http_req_t *req, const char *name)
{
    if (!req || !name) return NULL;
    for (size_t i = 0; i < req->nhdrs; i++)
        if (s_ieq(req->hnames[i], name)) return req->hvalues[i];
    return NULL;
}

const void *fp_http_req_body(const fp_http_req_t *req, size_t *len)
{
    if (len) *len = req ? req->body.len : 0;
    return req ? s_str(&req->body) : "";
}

bool fp_http_req_gone(const fp_http_req_t *req) { return !req || !req->conn; }

void fp_http_req_on_close(fp_http_req_t *req, void (*cb)(fp_http_req_t *, void *), void *arg)
{
    if (!req) return;
    req->on_close = cb;
    req->on_close_arg = arg;
}

fp_err_t fp_http_req_add_header(fp_http_req_t *req, const char *name, const char *value)
{
    if (!req || !s_token_ok(name) || !s_value_ok(value)) return FP_EINVAL;
    if (s_ieq(name, "Content-Length") || s_ieq(name, "Transfer-Encoding") || s_ieq(name, "Connection"))
        return FP_EINVAL;
    fp_buf_printf(&req->resp_hdrs, "%s: %s\r\n", name, value);
    return FP_OK;
}

/* ---- connection I/O (the only place that touches libuv for a connection) ------------------ */

static void s_on_closed(uv_handle_t *h);
static void s_on_timer(uv_timer_t *t);
static void s_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void s_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void s_timer_start(s_conn_t *c, uint64_t ms)
{
    if (c->fuzz || c->closing) return;
    if (ms) uv_timer_start(&c->timer, s_on_timer, ms, 0);
    else uv_timer_stop(&c->timer);
}

static void s_timer_stop(s_conn_t *c)
{
    if (!c->fuzz && !c->closing) uv_timer_stop(&c->timer);
}

static void s_read_start(s_conn_t *c)
{
    if (c->reading || c->closing || c->peer_eof) return;
    c->reading = true;
    if (!c->fuzz && uv_read_start((uv_stream_t *)&c->tcp, s_on_alloc, s_on_read) != 0) s_conn_close(c);
}

static void s_read_stop(s_conn_t *c)
{
    if (!c->reading) return;
    c->reading = false;
    if (!c->fuzz && !c->closing) uv_read_stop((uv_stream_t *)&c->tcp);
}

static void s_on_write_done(s_conn_t *c, int status);

static void s_on_write(uv_write_t *w, int status)
{
    s_wreq_t *wr = (s_wreq_t *)w;
    s_conn_t *c = wr->conn;
    free(wr);
    s_on_write_done(c, status);
}

/* Queues the pieces as one write (copied). A failed write closes the connection. */
static void s_conn_send(s_conn_t *c, const uv_buf_t *parts, unsigned n)
{
    if (c->closing) return;
    c->writes++;
    if (c->fuzz) {
        c->fuzz_writes++;
        return;
    }
    size_t total = 0;
    for (unsigned i = 0; i < n; i++) total += parts[i].len;
    s_wreq_t *wr = fp_malloc(sizeof *wr + total);
    wr->conn = c;
    size_t off = 0;
    for (unsigned i = 0; i < n; i++) {
        if (parts[i].len) memcpy(wr->data + off, parts[i].base, parts[i].len);
        off += parts[i].len;
    }
    uv_buf_t b = uv_buf_init(wr->data, 0);
    b.len = total; /* uv_buf_init takes an unsigned int */
    if (uv_write(&wr->w, (uv_stream_t *)&c->tcp, &b, 1, s_on_write) != 0) {
        free(wr);
        c->writes--;
        s_conn_close(c);
    }
}

static size_t s_conn_queued(const s_conn_t *c)
{
    if (c->fuzz || c->closing) return 0;
    return uv_stream_get_write_queue_size((const uv_stream_t *)&c->tcp);
}

static void s_on_shutdown(uv_shutdown_t *sh, int status)
{
    s_conn_t *c = sh->data;
    if (status < 0) s_conn_close(c);
}

/* Ends a connection gracefully: FIN after the last response, then read and discard what the
 * client still sends (so unread input does not turn our close into a reset that destroys the
 * response in flight), until its EOF or a short timeout. */
static void s_conn_finish(s_conn_t *c)
{
    if (c->closing) return;
    if (c->fuzz || c->peer_eof) {
        s_conn_close(c);
        return;
    }
    c->state = S_LINGER;
    fp_buf_free(&c->in);
    c->inoff = 0;
    c->shut.data = c;
    if (uv_shutdown(&c->shut, (uv_stream_t *)&c->tcp, s_on_shutdown) != 0) {
        s_conn_close(c);
        return;
    }
    s_read_start(c);
    s_timer_start(c, S_LINGER_MS);
}

/* Closes at once. An unanswered request forgets the connection and hears about it. */
static void s_conn_close(s_conn_t *c)
{
    if (c->closing) return;
    c->closing = true;
    c->reading = false;
    if (!c->fuzz) {
        uv_close((uv_handle_t *)&c->tcp, s_on_closed);
        uv_close((uv_handle_t *)&c->timer, s_on_closed);
    }
    fp_http_req_t *r = c->req;
    if (r && r->dispatched) {
        c->req = NULL;
        r->conn = NULL;
        void (*cb)(fp_http_req_t *, void *) = r->on_close;
        r->on_close = NULL;
        if (cb) cb(r, r->on_close_arg); /* may answer, and so free, r */
    }
}

static void s_server_maybe_free(fp_http_t *srv)
{
    if (!srv->destroying || !srv->listener_closed || srv->nconns) return;
    free(srv->rbuf);
    free(srv);
}

static void s_conn_free(s_conn_t *c)
{
    fp_http_t *srv = c->srv;
    if (c->prev) c->prev->next = c->next;
    else if (srv->conns == c) srv->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    s_req_free(c->req); /* a request still being parsed */
    fp_buf_free(&c->in);
    bool fuzz = c->fuzz;
    free(c);
    srv->nconns--;
    if (!fuzz) s_server_maybe_free(srv);
}

static void s_on_closed(uv_handle_t *h)
{
    s_conn_t *c = h->data;
    if (--c->open_handles == 0) s_conn_free(c);
}

static s_conn_t *s_conn_new(fp_http_t *srv)
{
    s_conn_t *c = fp_new(s_conn_t);
    c->srv = srv;
    c->next = srv->conns;
    if (srv->conns) srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    c->state = S_READ;
    return c;
}

/* ---- responses ---------------------------------------------------------------------------- */

static void s_head(fp_buf_t *b, const fp_http_req_t *r, int status, const char *ctype, s_frame_t frame, size_t len,
                   bool keep_alive)
{
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);

    fp_buf_printf(b, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status, s_reason(status), date);
    if (ctype && *ctype && s_value_ok(ctype)) fp_buf_printf(b, "Content-Type: %s\r\n", ctype);
    switch (frame) {
    case S_FRAME_LENGTH: fp_buf_printf(b, "Content-Length: %zu\r\n", len); break;
    case S_FRAME_CHUNKED: fp_buf_puts(b, "Transfer-Encoding: chunked\r\nCache-Control: no-cache\r\n"); break;
    case S_FRAME_CLOSE: fp_buf_puts(b, "Cache-Control: no-cache\r\n"); break;
    case S_FRAME_NONE: break;
    }
    if (r && r->resp_hdrs.len) fp_buf_append(b, r->resp_hdrs.data, r->resp_hdrs.len);
    fp_buf_puts(b, keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
}

/* The server's own answer to a request it refuses (400, 408, 413, 431); then it closes. */
static void s_conn_fail(s_conn_t *c, int status)
{
    if (c->closing) return;
    if (c->req && !c->req->dispatched) {
        s_req_free(c->req);
        c->req = NULL;
    }
    c->inoff = c->in.len;
    c->keep_alive = false;
    c->state = S_WRITE;
    s_timer_stop(c);
    char body[64];
    int n = snprintf(body, sizeof body, "%s\n", s_reason(status));
    fp_buf_t h = {0};
    s_head(&h, NULL, status, "text/plain; charset=utf-8", S_FRAME_LENGTH, (size_t)n, false);
    uv_buf_t parts[2] = {uv_buf_init(h.data, (unsigned)h.len), uv_buf_init(body, (unsigned)n)};
    s_conn_send(c, parts, 2);
    fp_buf_free(&h);
}

/* All writes of a finished response are out: next request, or close. Runs only from a write
 * callback (or the fuzz driver), never from inside a public call. */
static void s_response_done(s_conn_t *c)
{
    if (!c->keep_alive || c->peer_eof || c->srv->destroying) {
        s_conn_finish(c);
        return;
    }
    c->state = S_READ;
    s_timer_start(c, c->srv->idle_ms);
    s_read_start(c);
    s_conn_pump(c);
}

static void s_on_write_done(s_conn_t *c, int status)
{
    c->writes--;
    if (status < 0) {
        s_conn_close(c);
        return;
    }
    if (!c->closing && c->writes == 0 && c->state == S_WRITE) s_response_done(c);
}

void fp_http_reply(fp_http_req_t *req, int status, const char *content_type, const void *body, size_t len)
{
    if (!req) return;
    if (req->streaming) {
        fp_http_stream_end(req);
        return;
    }
    s_conn_t *c = req->conn;
    if (!c || c->closing || c->req != req) { /* client gone: discard */
        if (c && c->req == req) c->req = NULL;
        s_req_free(req);
        return;
    }
    status = s_status_ok(status);
    bool nobody = status == 204 || status == 304;
    if (!body) len = 0;
    c->keep_alive = req->keep_alive;
    c->req = NULL;
    c->state = S_WRITE;
    fp_buf_t h = {0};
    s_head(&h, req, status, content_type, nobody ? S_FRAME_NONE : S_FRAME_LENGTH, len, c->keep_alive);
    uv_buf_t parts[2] = {uv_buf_init(h.data, (unsigned)h.len), uv_buf_init((char *)body, 0)};
    unsigned n = 1;
    if (!req->head && !nobody && len) {
        parts[1].len = len;
        n = 2;
    }
    s_conn_send(c, parts, n);
    fp_buf_free(&h);
    s_req_free(req);
}

void fp_http_stream_start(fp_http_req_t *req, int status, const char *content_type)
{
    if (!req || req->streaming) return;
    req->streaming = true;
    req->chunked = !req->http10;
    s_conn_t *c = req->conn;
    if (!c || c->closing) return;
    status = s_status_ok(status);
    c->keep_alive = req->keep_alive && req->chunked;
    c->state = S_STREAM;
    fp_buf_t h = {0};
    s_head(&h, req, status, content_type, req->chunked ? S_FRAME_CHUNKED : S_FRAME_CLOSE, 0, c->keep_alive);
    uv_buf_t part = uv_buf_init(h.data, (unsigned)h.len);
    s_conn_send(c, &part, 1);
    fp_buf_free(&h);
}

int fp_http_stream_write(fp_http_req_t *req, const void *data, size_t len)
{
    if (!req || !req->streaming) return FP_EINVAL;
    s_conn_t *c = req->conn;
    if (!c || c->closing) return FP_EIO;
    if (req->head || !data || len == 0) return FP_OK; /* an empty chunk would end the stream */
    if (s_conn_queued(c) > FP_HTTP_STREAM_MAX_QUEUED) return FP_EAGAIN;
    if (req->chunked) {
        char pre[24];
        int n = snprintf(pre, sizeof pre, "%zx\r\n", len);
        uv_buf_t parts[3] = {uv_buf_init(pre, (unsigned)n), uv_buf_init((char *)data, (unsigned)len),
                             uv_buf_init((char *)"\r\n", 2)};
        parts[1].len = len;
        s_conn_send(c, parts, 3);
    } else {
        uv_buf_t part = uv_buf_init((char *)data, 0);
        part.len = len;
        s_conn_send(c, &part, 1);
    }
    return c->closing ? FP_EIO : FP_OK;
}

size_t fp_http_stream_queued(const fp_http_req_t *req) { return req && req->conn ? s_conn_queued(req->conn) : 0; }

void fp_http_stream_end(fp_http_req_t *req)
{
    if (!req) return;
    if (!req->streaming) { /* never started: a programming slip, answered as an error */
        fp_http_reply(req, 500, NULL, NULL, 0);
        return;
    }
    s_conn_t *c = req->conn;
    if (c && !c->closing && c->req == req) {
        c->req = NULL;
        c->state = S_WRITE;
        if (req->chunked && !req->head) {
            uv_buf_t part = uv_buf_init((char *)"0\r\n\r\n", 5);
            s_conn_send(c, &part, 1);
        } else if (c->writes == 0) {
            /* Nothing left to write and no write callback to come: end here, without keep-alive
             * so that no handler runs from inside this call. */
            c->keep_alive = false;
            s_conn_finish(c);
        } /* else the last write's callback ends the response (close-delimited: no keep-alive) */
    } else if (c && c->req == req) {
        c->req = NULL;
    }
    s_req_free(req);
}

/* ---- parser callbacks --------------------------------------------------------------------- */

static bool s_head_add(s_conn_t *c, size_t n)
{
    c->head_bytes += n;
    if (c->head_bytes <= FP_HTTP_MAX_HEAD) return true;
    c->err_status = 431;
    return false;
}

static int s_on_message_begin(http_parser *p)
{
    s_conn_t *c = p->data;
    if (c->closing) return 1;
    s_req_free(c->req);
    c->req = s_req_new(c);
    c->head_bytes = 0;
    c->err_status = 0;
    return 0;
}

static int s_on_url(http_parser *p, const char *at, size_t len)
{
    s_conn_t *c = p->data;
    if (c->closing || !c->req || !s_head_add(c, len)) return 1;
    fp_buf_append(&c->req->url, at, len);
    return 0;
}

static int s_on_header_field(http_parser *p, const char *at, size_t len)
{
    s_conn_t *c = p->data;
    fp_http_req_t *r = c->req;
    if (c->closing || !r || !s_head_add(c, len + 4)) return 1;
    if (r->headers_done) return 0; /* trailers of a chunked body: counted, not kept */
    if (r->hstate == S_HDR_VALUE && !s_req_commit_header(r)) {
        c->err_status = 431;
        return 1;
    }
    r->hstate = S_HDR_FIELD;
    fp_buf_append(&r->hfield, at, len);
    return 0;
}

static int s_on_header_value(http_parser *p, const char *at, size_t len)
{
    s_conn_t *c = p->data;
    fp_http_req_t *r = c->req;
    if (c->closing || !r || !s_head_add(c, len)) return 1;
    if (r->headers_done) return 0;
    r->hstate = S_HDR_VALUE;
    fp_buf_append(&r->hvalue, at, len);
    return 0;
}

static int s_on_headers_complete(http_parser *p)
{
    s_conn_t *c = p->data;
    fp_http_req_t *r = c->req;
    if (c->closing || !r) return -1;
    if (r->hstate != S_HDR_NONE && !s_req_commit_header(r)) {
        c->err_status = 431;
        return -1;
    }
    r->headers_done = true;
    r->method = http_method_str((enum http_method)p->method);
    r->head = p->method == HTTP_HEAD;
    r->http10 = p->http_major < 1 || (p->http_major == 1 && p->http_minor == 0);

    struct http_parser_url u;
    http_parser_url_init(&u);
    bool connect = p->method == HTTP_CONNECT;
    if (!r->url.len || http_parser_parse_url(r->url.data, r->url.len, connect, &u) != 0) {
        c->err_status = 400;
        return -1;
    }
    if (u.field_set & (1 << UF_PATH))
        r->path = fp_strndup(r->url.data + u.field_data[UF_PATH].off, u.field_data[UF_PATH].len);
    else r->path = fp_strdup((u.field_set & (1 << UF_HOST)) && !connect ? "/" : "");
    if (u.field_set & (1 << UF_QUERY))
        r->query = fp_strndup(r->url.data + u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len);
    else r->query = fp_strdup("");

    if ((p->flags & F_CONTENTLENGTH) && p->content_length > c->srv->max_body) {
        c->err_status = 413;
        return -1;
    }
    const char *expect = fp_http_req_header(r, "Expect");
    if (expect && !r->http10 && s_ieq(expect, "100-continue") && (p->flags & (F_CHUNKED | F_CONTENTLENGTH))) {
        uv_buf_t part = uv_buf_init((char *)"HTTP/1.1 100 Continue\r\n\r\n", 25);
        s_conn_send(c, &part, 1);
        if (c->closing) return -1;
    }
    return 0;
}

static int s_on_body(http_parser *p, const char *at, size_t len)
{
    s_conn_t *c = p->data;
    fp_http_req_t *r = c->req;
    if (c->closing || !r) return 1;
    if (len > c->srv->max_body || r->body.len > c->srv->max_body - len) {
        c->err_status = 413;
        return 1;
    }
    fp_buf_append(&r->body, at, len);
    return 0;
}

static int s_on_message_complete(http_parser *p)
{
    s_conn_t *c = p->data;
    if (c->closing || !c->req) return 1;
    c->req->keep_alive = http_should_keep_alive(p) && !p->upgrade;
    c->ready = true;
    http_parser_pause(p, 1); /* one request at a time: the rest waits in c->in */
    return 0;
}

static const http_parser_settings s_settings = {
    .on_message_begin = s_on_message_begin,
    .on_url = s_on_url,
    .on_header_field = s_on_header_field,
    .on_header_value = s_on_header_value,
    .on_headers_complete = s_on_headers_complete,
    .on_body = s_on_body,
    .on_message_complete = s_on_message_complete,
};

/* ---- parsing and dispatch ----------------------------------------------------------------- */

static void s_dispatch(s_conn_t *c)
{
    fp_http_req_t *r = c->req;
    r->dispatched = true;
    c->state = S_HANDLER;
    s_timer_stop(c);
    c->srv->handler(r, c->srv->arg); /* r may be freed and c closing when this returns */
}

static void s_in_compact(s_conn_t *c)
{
    if (c->inoff >= c->in.len) {
        if (c->in.cap > S_READ_BUF * 2) fp_buf_free(&c->in);
        else fp_buf_reset(&c->in);
        c->inoff = 0;
    } else if (c->inoff > 0) {
        memmove(c->in.data, c->in.data + c->inoff, c->in.len - c->inoff);
        c->in.len -= c->inoff;
        c->in.data[c->in.len] = '\0';
        c->inoff = 0;
    }
}

/* Feeds buffered input to the parser while the connection waits for a request. */
static void s_conn_pump(s_conn_t *c)
{
    while (!c->closing && c->state == S_READ && c->inoff < c->in.len) {
        size_t n = c->in.len - c->inoff;
        size_t used = http_parser_execute(&c->parser, &s_settings, c->in.data + c->inoff, n);
        if (c->closing) break;
        enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
        if (e == HPE_PAUSED) {
            http_parser_pause(&c->parser, 0);
            c->inoff += used;
            if (c->ready) {
                c->ready = false;
                s_dispatch(c);
            }
            continue;
        }
        if (e != HPE_OK) {
            int st = c->err_status ? c->err_status : e == HPE_HEADER_OVERFLOW ? 431 : 400;
            s_conn_fail(c, st);
            break;
        }
        c->inoff += used;
        if (used < n) break;
    }
    if (!c->closing) s_in_compact(c);
}

static void s_conn_on_data(s_conn_t *c, const char *p, size_t n)
{
    if (c->closing || c->state == S_LINGER) return;
    fp_buf_append(&c->in, p, n);
    if (c->state == S_READ) s_conn_pump(c);
    if (!c->closing && c->state != S_READ && c->state != S_LINGER && c->in.len - c->inoff > S_MAX_BUFFERED)
        s_read_stop(c);
}

static void s_conn_on_eof(s_conn_t *c, int err)
{
    if (c->closing) return;
    c->reading = false;
    if (c->state == S_WRITE && err == UV_EOF) {
        c->peer_eof = true; /* the response goes out, then the connection closes */
        return;
    }
    s_conn_close(c);
}

/* ---- libuv callbacks ---------------------------------------------------------------------- */

static void s_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    s_conn_t *c = h->data;
    *buf = uv_buf_init(c->srv->rbuf, S_READ_BUF);
}

static void s_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    s_conn_t *c = s->data;
    if (nread > 0) s_conn_on_data(c, buf->base, (size_t)nread);
    else if (nread < 0) s_conn_on_eof(c, (int)nread);
}

static void s_on_timer(uv_timer_t *t)
{
    s_conn_t *c = t->data;
    if (c->closing) return;
    if (c->state == S_READ && (c->req || c->inoff < c->in.len)) s_conn_fail(c, 408);
    else if (c->state == S_READ || c->state == S_LINGER) s_conn_close(c);
}

static void s_free_handle(uv_handle_t *h) { free(h); }

static void s_on_connection(uv_stream_t *l, int status)
{
    fp_http_t *srv = l->data;
    if (status < 0 || srv->destroying) return;
    if (srv->nconns >= srv->max_conns) { /* accept, so the backlog drains, and close */
        uv_tcp_t *t = fp_new(uv_tcp_t);
        if (uv_tcp_init(srv->loop, t) != 0) {
            free(t);
            return;
        }
        (void)uv_accept(l, (uv_stream_t *)t);
        uv_close((uv_handle_t *)t, s_free_handle);
        return;
    }
    s_conn_t *c = s_conn_new(srv);
    uv_tcp_init(srv->loop, &c->tcp);
    uv_timer_init(srv->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->open_handles = 2;
    if (uv_accept(l, (uv_stream_t *)&c->tcp) != 0) {
        s_conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    uv_tcp_keepalive(&c->tcp, 1, S_KEEPALIVE_S);
    s_read_start(c);
    s_timer_start(c, srv->idle_ms);
}

/* ---- server ------------------------------------------------------------------------------- */

static fp_err_t s_parse_addr(const char *addr, struct sockaddr_storage *ss)
{
    if (!addr) return FP_EINVAL;
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr) return FP_EINVAL;
    const char *ps = colon + 1;
    size_t plen = strlen(ps);
    if (plen == 0 || plen > 5 || strspn(ps, "0123456789") != plen) return FP_EINVAL;
    long port = strtol(ps, NULL, 10);
    if (port > 65535) return FP_EINVAL;

    char host[64];
    size_t hlen = (size_t)(colon - addr);
    memset(ss, 0, sizeof *ss);
    if (addr[0] == '[') {
        if (hlen < 3 || addr[hlen - 1] != ']' || hlen - 2 >= sizeof host) return FP_EINVAL;
        memcpy(host, addr + 1, hlen - 2);
        host[hlen - 2] = '\0';
        if (uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ss) != 0) return FP_EINVAL;
        return FP_OK;
    }
    if (hlen >= sizeof host) return FP_EINVAL;
    memcpy(host, addr, hlen);
    host[hlen] = '\0';
    if (strchr(host, ':')) return FP_EINVAL; /* bare IPv6 needs brackets */
    if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss) != 0) return FP_EINVAL;
    return FP_OK;
}

static void s_on_listener_closed(uv_handle_t *h)
{
    fp_http_t *srv = h->data;
    srv->listener_closed = true;
    s_server_maybe_free(srv);
}

fp_err_t fp_http_new(uv_loop_t *loop, const char *addr, fp_http_handler_fn handler, void *arg, fp_http_t **out)
{
    if (!out) return FP_EINVAL;
    *out = NULL;
    struct sockaddr_storage ss;
    if (!loop || !handler || s_parse_addr(addr, &ss) != FP_OK) return FP_EINVAL;

    /* libuv writes with write(2): a client that resets mid-response must not kill the service.
     * Only a default SIGPIPE disposition is changed; a handler set by main is left alone. */
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
    }

    /* The socket is bound before libuv sees it, so a failure leaves no handle to close. */
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return FP_EIO;
    int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    socklen_t slen = ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    if (bind(fd, (struct sockaddr *)&ss, slen) != 0 || listen(fd, SOMAXCONN) != 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &blen) != 0) {
        close(fd);
        return FP_EIO;
    }

    fp_http_t *srv = fp_new(fp_http_t);
    srv->loop = loop;
    srv->handler = handler;
    srv->arg = arg;
    srv->max_body = FP_HTTP_DEFAULT_MAX_BODY;
    srv->idle_ms = FP_HTTP_DEFAULT_IDLE_MS;
    srv->max_conns = FP_HTTP_DEFAULT_MAX_CONNS;
    srv->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                  : ((struct sockaddr_in *)&bound)->sin_port);
    srv->rbuf = fp_malloc(S_READ_BUF);
    if (uv_tcp_init(loop, &srv->listener) != 0) {
        close(fd);
        free(srv->rbuf);
        free(srv);
        return FP_EIO;
    }
    srv->listener.data = srv;
    int rc = uv_tcp_open(&srv->listener, fd);
    if (rc != 0) close(fd);
    if (rc != 0 || uv_listen((uv_stream_t *)&srv->listener, SOMAXCONN, s_on_connection) != 0) {
        srv->destroying = true; /* freed once the loop runs the close callback */
        uv_close((uv_handle_t *)&srv->listener, s_on_listener_closed);
        return FP_EIO;
    }
    *out = srv;
    return FP_OK;
}

void fp_http_destroy(fp_http_t **p)
{
    if (!p || !*p) return;
    fp_http_t *srv = *p;
    *p = NULL;
    srv->destroying = true;
    for (s_conn_t *c = srv->conns; c; c = c->next) s_conn_close(c); /* unlinked only when freed */
    uv_close((uv_handle_t *)&srv->listener, s_on_listener_closed);
}

int fp_http_port(const fp_http_t *http) { return http ? http->port : 0; }

void fp_http_set_max_body(fp_http_t *http, size_t max_body)
{
    if (http) http->max_body = max_body;
}

void fp_http_set_idle_timeout(fp_http_t *http, uint64_t ms)
{
    if (http) http->idle_ms = ms;
}

void fp_http_set_max_conns(fp_http_t *http, unsigned max_conns)
{
    if (http) http->max_conns = max_conns;
}

/* ---- fuzzing: the same parser, callbacks and reply paths over an in-memory connection ------ */

#define S_FUZZ_PENDING 4

typedef struct {
    fp_http_req_t *pending[S_FUZZ_PENDING];
    size_t n;
} s_fuzz_t;

static void s_fuzz_remove(s_fuzz_t *fz, size_t i)
{
    memmove(&fz->pending[i], &fz->pending[i + 1], (fz->n - i - 1) * sizeof fz->pending[0]);
    fz->n--;
}

static void s_fuzz_on_close(fp_http_req_t *req, void *arg)
{
    s_fuzz_t *fz = arg;
    for (size_t i = 0; i < fz->n; i++) {
        if (fz->pending[i] != req) continue;
        if (req->streaming) { /* an SSE owner ends its stream when the client goes */
            s_fuzz_remove(fz, i);
            (void)fp_http_stream_write(req, "x", 1);
            fp_http_stream_end(req);
        }
        return;
    }
}

/* Answers the oldest pending request, as a late database reply or stream would. */
static void s_fuzz_answer(s_fuzz_t *fz)
{
    if (!fz->n) return;
    fp_http_req_t *req = fz->pending[0];
    s_fuzz_remove(fz, 0);
    if (req->streaming) {
        (void)fp_http_stream_write(req, "data: late\n\n", 12);
        fp_http_stream_end(req);
    } else {
        fp_http_reply(req, 200, "text/plain", "late\n", 5);
    }
}

static void s_fuzz_handler(fp_http_req_t *req, void *arg)
{
    s_fuzz_t *fz = arg;
    const char *path = fp_http_req_path(req);
    const char *query = fp_http_req_query(req);
    size_t blen;
    const char *body = fp_http_req_body(req, &blen);
    const char *echo = fp_http_req_header(req, "X-Echo");
    if (echo) (void)fp_http_req_add_header(req, echo, query);
    char kind = path[0] ? path[1] : '\0';
    if (kind == 'a' && fz->n < S_FUZZ_PENDING) {
        fp_http_req_on_close(req, s_fuzz_on_close, fz);
        fz->pending[fz->n++] = req;
        return;
    }
    if (kind == 's') {
        fp_http_stream_start(req, (int)strtol(query, NULL, 10), fp_http_req_header(req, "Accept"));
        (void)fp_http_stream_write(req, body, blen);
        (void)fp_http_stream_write(req, path, strlen(path));
        if (fz->n < S_FUZZ_PENDING) {
            fp_http_req_on_close(req, s_fuzz_on_close, fz);
            fz->pending[fz->n++] = req;
        } else {
            fp_http_stream_end(req);
        }
        return;
    }
    int status = kind == 'e' ? (int)strtol(query, NULL, 10) : 200;
    fp_http_reply(req, status, fp_http_req_header(req, "Accept"), body, blen);
}

static void s_fuzz_settle(s_conn_t *c)
{
    while (!c->closing && c->fuzz_writes) {
        c->fuzz_writes--;
        s_on_write_done(c, 0);
    }
}

int fp_http_parse_for_fuzz(const uint8_t *data, size_t len)
{
    if (len == 0) return 0;
    s_fuzz_t fz = {0};
    fp_http_t srv = {0};
    srv.handler = s_fuzz_handler;
    srv.arg = &fz;
    srv.max_body = 4096;
    srv.max_conns = 1;
    size_t chunk = (size_t)(data[0] % 64) + 1; /* first byte: how the input is split into reads */
    data++;
    len--;

    s_conn_t *c = s_conn_new(&srv);
    c->fuzz = true;
    s_read_start(c);
    size_t off = 0;
    for (unsigned round = 1; !c->closing && round < 1000000; round++) {
        if (off < len && c->reading) {
            size_t n = len - off < chunk ? len - off : chunk;
            s_conn_on_data(c, (const char *)data + off, n);
            off += n;
        } else if (fz.n) {
            s_fuzz_answer(&fz);
        } else {
            break;
        }
        s_fuzz_settle(c);
        if ((round & 3) == 0 && fz.n) {
            s_fuzz_answer(&fz);
            s_fuzz_settle(c);
        }
    }
    if (!c->closing) {
        s_conn_on_eof(c, UV_EOF);
        s_fuzz_settle(c);
    }
    if (!c->closing) s_conn_close(c);
    while (fz.n) s_fuzz_answer(&fz);
    s_conn_free(c);
    return 0;
}
