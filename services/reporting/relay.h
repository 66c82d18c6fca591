/* relay.h: the reporting service's event relay. It gives every row of the events outbox a
 * gap-free position in one total order (commit order), then publishes it on the PUB socket,
 * and beats a heartbeat carrying the latest position. See relay.c for the design. */
#ifndef REPORT_RELAY_H
#define REPORT_RELAY_H
#include <stdbool.h>
#include <stdint.h>

#include "fangpin/v1/reporting.pb-c.h"
#include "service.h"
#include "zsock.h"

/* Called for each event just published (in position order), e.g. by the SSE streams. */
typedef void (*report_event_fn)(const Fangpin__V1__Event *ev, void *arg);

/* A key that was granted a subscription on the current PUB socket, with the principal it had then:
 * when the key is revoked, its principal disabled, or the principal's scope changes, the grant is
 * stale and the socket is recycled (report_relay_check_keys). */
typedef struct {
    char key[41];
    char id[128];
    char kind[16];
    char level[16];
    char region[13];
} report_sub_key_t;

typedef struct {
    fp_service_t *svc;
    fp_db_t *db; /* the relay's own connection: LISTEN fangpin_events, the numbering statements */
    void *pub;   /* XPUB (manual subscriptions, by the key's region), CURVE server */
    fp_zsock_t *zpub;
    uv_timer_t beat; /* heartbeat, and a periodic scan */
    bool beat_started;
    bool stopping;
    bool busy;         /* a claim or recovery chain is running on db */
    bool again;        /* woken while busy: run once more */
    bool recovered;    /* positions given out but not published before have been republished */
    bool mark_known;   /* relay_state.published has been read since the start: heartbeats may go out */
    int64_t published; /* highest position sent on the PUB */
    int64_t batch;     /* rows per numbering statement (one transaction) */
    int64_t marked;    /* highest position known recorded in relay_state.published */
    int64_t marking;   /* the mark the numbering statement in flight records (0: none) */
    report_event_fn listener;
    void *listener_arg;
    void (*beat_listener)(void *arg); /* called at every heartbeat (listener_arg), e.g. the SSE streams' catch-up */
    fp_counter_t *c_published, *c_republished, *c_sub_narrowed, *c_sub_refused, *c_recycled;
    char pub_ep[512];          /* FANGPIN_REPORTING_PUB */
    char pub_secret[41];       /* the server's secret key (Z85), to make the socket again */
    report_sub_key_t *subkeys; /* keys granted subscriptions on the current socket */
    size_t nsubkeys, capsubkeys;
    uv_timer_t rebind; /* binds a recycled socket (the old listener closes asynchronously) */
    bool rebind_started;
    bool rebinding; /* a recycled socket is not bound yet */
    unsigned rebind_tries;
    fp_gauge_t *g_position;
    fp_gauge_t *g_lag_events, *g_lag_seconds; /* fangpin_relay_lag_events / _seconds */
    bool lag_busy;                            /* the lag query is queued or running */
    uint64_t lag_at;                          /* uv_now of the last lag query sent */
} report_relay_t;

/* Binds the PUB socket (FANGPIN_REPORTING_PUB) once the keys are loaded, opens the relay's connection; non-zero on error. */
int report_relay_start(report_relay_t *r, fp_service_t *svc);
/* Called on every service tick: when a key granted subscriptions on the PUB has since been revoked
 * (or its principal disabled, or its scope changed), recycles the PUB socket: every subscriber is
 * disconnected and reconnects by itself, when the revoked key fails its handshake (ZAP 400) and
 * the others are admitted and granted again. libzmq cannot drop one peer of a socket. */
void report_relay_check_keys(report_relay_t *r);
/* Wakes the relay (database ready, NOTIFY, timer). */
void report_relay_kick(report_relay_t *r);
void report_relay_stop(report_relay_t *r);
/* Packs and frames an event row of the shape report_relay's queries select:
 * position, county_code, region_code, type, payload::text, created_at in Unix ms. */
void report_event_from_row(const PGresult *res, int row, int col, Fangpin__V1__Event *ev);

/* The event PUB socket (pub.c): a new XPUB with the relay's options, not bound (0, or 1 with
 * zmq_errno set); and closing it. */
int report_pub_open(report_relay_t *r);
void report_pub_close(report_relay_t *r);

#endif
