/* sse.c: GET /events?region=PREFIX&from=N as text/event-stream (id: position, event: type,
 * data: the Event as JSON). Each stream reads the table after its last position whenever the
 * relay publishes (so replay and live are one code path and cannot leave a gap), a page at a
 * time, and pauses while the client is slow. A client that goes away is dropped. Every relay
 * heartbeat reads them up too, and the stream's first lines tell an EventSource to reconnect
 * after 3 heartbeats (retry:), resuming from Last-Event-ID. */
#include "sse.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpaccess.h"
#include "log.h"
#include "mem.h"
#include "replay.h"

#define S_PAGE "500"
#define S_MAX_QUEUED (1024 * 1024)

struct report_sse_stream {
    report_sse_t *owner;
    fp_http_req_t *req;
    report_sse_stream_t *prev, *next;
    char prefix[16];
    int64_t last;     /* -1: start at the head */
    int64_t token_id; /* the bearer token that opened it (0: proxy mode), checked at each keep-alive */
    bool busy, again, gone;
};

static void s_pump(report_sse_stream_t *st);

static void s_unlink_free(report_sse_stream_t *st)
{
    report_sse_t *s = st->owner;
    if (st->prev) st->prev->next = st->next;
    else s->streams = st->next;
    if (st->next) st->next->prev = st->prev;
    free(st);
}

static void s_finish(report_sse_stream_t *st)
{
    fp_http_stream_end(st->req);
    s_unlink_free(st);
}

static void s_on_gone(fp_http_req_t *req, void *arg)
{
    report_sse_stream_t *st = arg;
    st->gone = true;
    if (!st->busy) s_finish(st);
}

static void s_on_page(fp_db_t *db, PGresult *res, void *arg)
{
    report_sse_stream_t *st = arg;
    st->busy = false;
    if (st->gone) {
        s_finish(st);
        return;
    }
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        if (res) fp_log_error("SSE read failed", "error", fp_db_errmsg(res));
        return; /* the next publish or keep-alive tries again */
    }
    int rows = PQntuples(res), n = 0;
    int64_t head = rows > 0 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    fp_buf_t b = {0};
    for (int i = 0; i < rows; i++) {
        if (PQgetisnull(res, i, 1)) continue;
        Fangpin__V1__Event ev;
        report_event_from_row(res, i, 1, &ev);
        fp_buf_printf(&b, "id: %" PRId64 "\nevent: %s\ndata: {\"position\":%" PRId64 ",\"county\":", ev.position,
                      ev.type, ev.position);
        fp_buf_json_str(&b, ev.county);
        fp_buf_puts(&b, ",\"region\":");
        fp_buf_json_str(&b, ev.region);
        fp_buf_puts(&b, ",\"type\":");
        fp_buf_json_str(&b, ev.type);
        fp_buf_printf(&b, ",\"created_at_ms\":%" PRId64 ",\"payload\":%s}\n\n", ev.created_at_ms, ev.payload_json);
        st->last = ev.position;
        n++;
    }
    if (st->last < 0 || (n < atoi(S_PAGE) && head > st->last)) st->last = head;
    if (b.len && fp_http_stream_write(st->req, b.data, b.len) == FP_EIO) st->gone = true;
    fp_buf_free(&b);
    if (st->gone) {
        s_finish(st);
        return;
    }
    if (n == atoi(S_PAGE) || st->again) {
        st->again = false;
        s_pump(st);
    }
}

static void s_pump(report_sse_stream_t *st)
{
    if (st->gone) return;
    if (st->busy) {
        st->again = true;
        return;
    }
    if (fp_http_stream_queued(st->req) > S_MAX_QUEUED) return; /* slow client: the keep-alive retries */
    st->busy = true;
    char after[24];
    snprintf(after, sizeof after, "%" PRId64, st->last < 0 ? INT64_MAX : st->last);
    const char *p[2] = {after, st->prefix};
    fp_db_query(fp_service_db(st->owner->svc), 0,
                "SELECT h.head, e.position, e.county_code, e.region_code, e.type, e.payload, e.ms"
                " FROM (SELECT coalesce(max(position), 0) AS head FROM event_positions) h"
                " LEFT JOIN LATERAL (SELECT p.position, e.county_code, e.region_code, e.type, e.payload::text AS payload,"
                "        (extract(epoch FROM e.created_at) * 1000)::bigint AS ms"
                "   FROM event_positions p JOIN events e ON e.id = p.event_id"
                "   WHERE p.position > $1::bigint AND p.region_code >= $2::text AND p.region_code < ($2::text || ':')"
                "   ORDER BY p.position LIMIT " S_PAGE ") e ON true"
                " ORDER BY e.position",
                2, p, s_on_page, st);
}

static void s_pump_all(report_sse_t *s)
{
    for (report_sse_stream_t *st = s->streams, *nx; st; st = nx) {
        nx = st->next;
        s_pump(st);
    }
}

static void s_on_event(const Fangpin__V1__Event *ev, void *arg) { s_pump_all(arg); }

/* At every relay heartbeat each stream reads the table after its last position, as a healing
 * subscriber replays: a stream never depends on an in-process notification it could miss (one
 * published by another reporting process, or while its read was failing). */
static void s_on_beat(void *arg) { s_pump_all(arg); }

/* The tokens of open streams that no longer admit (revoked, expired, principal disabled): their
 * streams end, with a comment saying why (an EventSource then reconnects and gets 401). */
static void s_on_tokens(fp_db_t *db, PGresult *res, void *arg)
{
    report_sse_t *s = arg;
    s->checking = false;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        if (res) fp_log_warn("SSE token check failed", "error", fp_db_errmsg(res));
        return; /* the next keep-alive checks again */
    }
    for (int i = 0; i < PQntuples(res); i++) {
        int64_t id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        for (report_sse_stream_t *st = s->streams, *nx; st; st = nx) {
            nx = st->next;
            if (st->token_id != id || st->gone) continue;
            static const char why[] = ": token revoked or expired\n\n";
            fp_http_stream_write(st->req, why, sizeof why - 1);
            st->gone = true;
            if (!st->busy) s_finish(st); /* else its page's callback finishes it */
        }
    }
}

static void s_check_tokens(report_sse_t *s)
{
    if (s->checking || !fp_service_db_ready(s->svc)) return;
    fp_buf_t ids = {0};
    fp_buf_puts(&ids, "{");
    for (report_sse_stream_t *st = s->streams; st; st = st->next)
        if (st->token_id > 0 && !st->gone) fp_buf_printf(&ids, "%s%" PRId64, ids.len > 1 ? "," : "", st->token_id);
    fp_buf_puts(&ids, "}");
    if (ids.len > 2) {
        s->checking = true;
        const char *p[1] = {ids.data};
        fp_db_query(fp_service_db(s->svc), 0,
                    "SELECT x::text FROM unnest($1::bigint[]) x WHERE NOT EXISTS (SELECT 1 FROM http_tokens t"
                    " JOIN principals p ON p.id = t.principal_id WHERE t.id = x AND " FP_TOKEN_VALID_SQL ")",
                    1, p, s_on_tokens, s);
    }
    fp_buf_free(&ids);
}

static void s_on_keepalive(uv_timer_t *t)
{
    report_sse_t *s = t->data;
    for (report_sse_stream_t *st = s->streams; st; st = st->next)
        if (!st->gone && fp_http_stream_write(st->req, ": keep-alive\n\n", 14) == FP_EIO) st->gone = true;
    s_pump_all(s);
    s_check_tokens(s);
}

static void s_reply(fp_http_req_t *req, int status, const char *msg)
{
    fp_http_reply(req, status, "text/plain; charset=utf-8", msg, strlen(msg));
}

static void s_on_auth(fp_http_req_t *req, const fp_principal_t *who, const fp_http_token_t *tok, bool answered,
                      void *arg);

bool report_sse_handle(report_sse_t *s, fp_http_req_t *req)
{
    if (strcmp(fp_http_req_path(req), "/events") != 0) return false;
    if (!s->enabled) {
        s_reply(req, 404, "the /events stream is off (FANGPIN_REPORTING_SSE=false)\n");
        return true;
    }
    if (strcmp(fp_http_req_method(req), "GET") != 0) {
        s_reply(req, 405, "method not allowed\n");
        return true;
    }
    char prefix[16], from[24];
    const char *q = fp_http_req_query(req);
    if (!fp_http_query_param(q, "region", prefix, sizeof prefix) || !report_prefix_valid(prefix) ||
        !fp_http_query_param(q, "from", from, sizeof from)) {
        s_reply(req, 400, "region must be 0 to 12 digits and from a position (0 or more)\n");
        return true;
    }
    int64_t last = -1;
    const char *lei = fp_http_req_header(req, "Last-Event-ID"); /* an EventSource reconnecting */
    const char *f = lei && *lei ? lei : from;
    if (*f) {
        char *end;
        last = strtoll(f, &end, 10);
        if (*end || last < 0) {
            s_reply(req, 400, "from must be a position (0 or more)\n");
            return true;
        }
    }
    if (!fp_service_db_ready(s->svc)) {
        fp_http_req_add_header(req, "Retry-After", "5");
        s_reply(req, 503, "the database is not reachable: retry\n");
        return true;
    }
    report_sse_stream_t *st = fp_new(report_sse_stream_t);
    st->owner = s;
    st->req = req;
    st->last = last;
    memcpy(st->prefix, prefix, strlen(prefix) + 1); /* valid: at most 12 digits */
    report_httpauth(s->svc, req, s_on_auth, st);
    return true;
}

/* The stream's principal is known (NULL: the reverse proxy authenticates): its region scope, as
 * Replay's, then the stream starts. */
static void s_on_auth(fp_http_req_t *req, const fp_principal_t *who, const fp_http_token_t *tok, bool answered,
                      void *arg)
{
    report_sse_stream_t *st = arg;
    st->token_id = tok ? tok->id : 0;
    report_sse_t *s = st->owner;
    if (answered || !report_httpauth_allows(req, who, REPORT_READ_EVENTS, NULL, st->prefix)) {
        free(st);
        return;
    }
    st->next = s->streams;
    if (s->streams) s->streams->prev = st;
    s->streams = st;
    fp_http_stream_start(req, 200, "text/event-stream; charset=utf-8");
    /* retry: an EventSource whose stream ends (the service restarts) reconnects after this,
     * sending Last-Event-ID, from which the stream resumes */
    char hello[64];
    int hl = snprintf(hello, sizeof hello, ": fangpin events\nretry: %" PRId64 "\n\n", s->retry_ms);
    fp_http_stream_write(req, hello, (size_t)hl);
    fp_http_req_on_close(req, s_on_gone, st);
    s_pump(st);
}

int report_sse_start(report_sse_t *s, report_relay_t *relay, fp_service_t *svc)
{
    s->svc = svc;
    s->enabled = fp_config_bool(fp_service_config(svc), "FANGPIN_REPORTING_SSE");
    if (!s->enabled) return 0;
    relay->listener = s_on_event;
    relay->beat_listener = s_on_beat;
    relay->listener_arg = s;
    s->retry_ms = 3 * fp_service_int(svc, "FANGPIN_REPORTING_HEARTBEAT_MS");
    fp_service_every(svc, &s->keepalive, "FANGPIN_REPORTING_SSE_KEEPALIVE_MS", s_on_keepalive, s);
    s->timer_started = true;
    return 0;
}

void report_sse_stop(report_sse_t *s)
{
    if (s->timer_started) {
        uv_timer_stop(&s->keepalive);
        uv_close((uv_handle_t *)&s->keepalive, NULL);
        s->timer_started = false;
    }
    /* open streams end and are freed by their on_close when the service closes its HTTP port */
}
