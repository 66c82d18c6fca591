/* sse.h: GET /events, the event stream as Server-Sent Events for dashboards, on the service's
 * HTTP port (FANGPIN_REPORTING_SSE, off by default), to a bearer token of a principal and for
 * its region (httpaccess.h). Every FANGPIN_REPORTING_SSE_KEEPALIVE_MS a comment keeps proxies from
 * closing a quiet stream, and the streams whose token no longer admits are ended. */
#ifndef REPORT_SSE_H
#define REPORT_SSE_H
#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "relay.h"
#include "service.h"

typedef struct report_sse_stream report_sse_stream_t;

typedef struct {
    fp_service_t *svc;
    bool enabled;
    report_sse_stream_t *streams; /* doubly linked */
    uv_timer_t keepalive;
    bool timer_started;
    bool checking;    /* a token check is in flight */
    int64_t retry_ms; /* the retry: an EventSource is told (3 heartbeats) */
} report_sse_t;

/* Follows the relay when FANGPIN_REPORTING_SSE is true; non-zero on error. */
int report_sse_start(report_sse_t *s, report_relay_t *relay, fp_service_t *svc);
/* GET /events on the service's HTTP port: true when the path was the stream's (answered). */
bool report_sse_handle(report_sse_t *s, fp_http_req_t *req);
void report_sse_stop(report_sse_t *s);

#endif
