/* tail.c: `fangpinctl tail --region PREFIX [--from N]`: follows the reporting service's event
 * stream the zguide Clone way: subscribe first, then Replay from N (or take the head) until
 * caught up, then print live events, dropping positions already printed and replaying any gap.
 *
 * It heals after a restart of the reporting service or a silent network: it expects a HEARTBEAT
 * every FANGPIN_REPORTING_HEARTBEAT_MS (default 1000); when S_MISSED of them in a row are
 * missing it closes its SUB socket, opens a new one and replays from its last position; a
 * heartbeat whose head is above the last position printed replays too. The SUB socket sets
 * ZMQ_HEARTBEAT_IVL/TIMEOUT/TTL so libzmq itself drops and redials a dead TCP connection. Replay
 * goes through rpc.c's Lazy Pirate (a new socket and the same request id after a timeout). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "cert.h"
#include "ctl.h"
#include "fangpin/v1/reporting.pb-c.h"
#include "idcard.h"
#include "mem.h"
#include "service.h"

#define S_MISSED 3 /* heartbeats missed in a row before the SUB socket is reopened */

typedef struct {
    ctl_peer_t peer; /* the Replay DEALER (Lazy Pirate) and the zmq context */
    void *sub;
    const char *pub_ep;
    const char *prefix;
    int hb_ms;        /* the heartbeat period expected */
    bool show_source; /* --show-source: each line begins with live or replay */
    long reopened;    /* SUB sockets reopened after missed heartbeats */
    char **types;
    size_t ntypes;
    int64_t last; /* every matching event up to here has been printed */
    long count, printed;
    unsigned seq;
    int64_t heard;   /* the last time anything came on the SUB socket */
    bool replay_due; /* a gap to fill whose Replay got no answer yet */
} s_tail_t;

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool s_type_wanted(const s_tail_t *t, const char *type)
{
    if (!t->ntypes) return true;
    for (size_t i = 0; i < t->ntypes; i++)
        if (!strcmp(t->types[i], type)) return true;
    return false;
}

static void s_print(s_tail_t *t, const Fangpin__V1__Event *ev, const char *source)
{
    time_t secs = (time_t)(ev->created_at_ms / 1000) + 8 * 3600; /* China time, UTC+8 */
    struct tm tm;
    gmtime_r(&secs, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    fp_buf_t payload = {0};
    fp_mask_ids_in_text(ev->payload_json, &payload);
    if (t->show_source) printf("%s  ", source);
    printf("%" PRId64 "  %s  %s  %s  %s\n", ev->position, when, ev->region, ev->type, payload.data ? payload.data : "");
    fflush(stdout);
    fp_buf_free(&payload);
    t->printed++;
}

/* Replays after t->last until caught up. 0 ok, 1 refused, 2 no answer (after the retries). */
static int s_replay(s_tail_t *t, int64_t after, int64_t *head_out)
{
    for (;;) {
        Fangpin__V1__ReportingRequest req = FANGPIN__V1__REPORTING_REQUEST__INIT;
        Fangpin__V1__Replay rp = FANGPIN__V1__REPLAY__INIT;
        char rid[48];
        snprintf(rid, sizeof rid, "tail-%ld-%u", (long)time(NULL), ++t->seq);
        req.request_id = rid;
        req.op_case = FANGPIN__V1__REPORTING_REQUEST__OP_REPLAY;
        req.replay = &rp;
        rp.region_prefix = (char *)t->prefix;
        rp.after_position = after;
        rp.limit = 1000;
        rp.types = t->types;
        rp.n_types = t->ntypes;
        size_t len = fangpin__v1__reporting_request__get_packed_size(&req);
        uint8_t *buf = fp_malloc(len + 1);
        fangpin__v1__reporting_request__pack(&req, buf);
        zmq_msg_t m;
        int sent = ctl_peer_request(&t->peer, buf, len, &m);
        free(buf);
        if (sent != 0) return 2;
        Fangpin__V1__ReportingReply *rep =
            fangpin__v1__reporting_reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        if (rep && rep->status && rep->status->code == FANGPIN__V1__CODE__UNAVAILABLE) {
            fprintf(stderr, "fangpinctl tail: Replay unavailable for now: %s\n", rep->status->message);
            fangpin__v1__reporting_reply__free_unpacked(rep, NULL);
            return 2;
        }
        if (!rep || !rep->status || rep->status->code != FANGPIN__V1__CODE__OK || !rep->events) {
            fprintf(stderr, "fangpinctl tail: Replay refused: %s: %s\n",
                    rep && rep->status ? fp_code_name(rep->status->code) : "undecodable reply",
                    rep && rep->status ? rep->status->message : "");
            if (rep) fangpin__v1__reporting_reply__free_unpacked(rep, NULL);
            return 1;
        }
        const Fangpin__V1__EventPage *pg = rep->events;
        for (size_t i = 0; i < pg->n_events && (t->count <= 0 || t->printed < t->count); i++) {
            if (pg->events[i]->position <= t->last) continue;
            s_print(t, pg->events[i], "replay");
            t->last = pg->events[i]->position;
        }
        bool more = pg->n_events == 1000 && (t->count <= 0 || t->printed < t->count);
        if (t->count <= 0 || t->printed < t->count) {
            if (pg->next_after > t->last) t->last = pg->next_after;
        }
        if (head_out) *head_out = pg->head_position;
        after = pg->next_after;
        fangpin__v1__reporting_reply__free_unpacked(rep, NULL);
        if (!more) return 0;
    }
}

/* A new SUB socket: CURVE, subscribed to the prefix and the heartbeat, ZMTP heartbeats on. */
static int s_sub_open(s_tail_t *t)
{
    t->sub = zmq_socket(t->peer.ctx, ZMQ_SUB);
    int linger = 0, ivl = t->hb_ms, timeout = S_MISSED * t->hb_ms;
    int64_t maxmsg = 64 * 1024 * 1024;
    zmq_setsockopt(t->sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(t->sub, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(t->sub, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(t->sub, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout);
    zmq_setsockopt(t->sub, ZMQ_HEARTBEAT_TTL, &timeout, sizeof timeout);
    zmq_setsockopt(t->sub, ZMQ_CURVE_SERVERKEY, t->peer.server.public_key, 40);
    zmq_setsockopt(t->sub, ZMQ_CURVE_PUBLICKEY, t->peer.client.public_key, 40);
    zmq_setsockopt(t->sub, ZMQ_CURVE_SECRETKEY, t->peer.client.secret_key, 40);
    zmq_setsockopt(t->sub, ZMQ_SUBSCRIBE, t->prefix, strlen(t->prefix));
    zmq_setsockopt(t->sub, ZMQ_SUBSCRIBE, "HEARTBEAT", 9);
    if (zmq_connect(t->sub, t->pub_ep) != 0) {
        fprintf(stderr, "fangpinctl tail: bad endpoint %s: %s\n", t->pub_ep, zmq_strerror(zmq_errno()));
        zmq_close(t->sub);
        t->sub = NULL;
        return -1;
    }
    return 0;
}

static int s_usage(void)
{
    fprintf(stderr,
            "usage: fangpinctl tail --region PREFIX [--from N] [--types a,b] [--count N] [--timeout-ms T]\n"
            "                       [--show-source]\n"
            "  follows events of regions starting with PREFIX; --from N starts after position N\n"
            "  (default: only new events); exits after --count events or --timeout-ms;\n"
            "  --show-source begins each line with live or replay (how it arrived)\n");
    return 2;
}

/* --option value pairs and flags into t, from, types and timeout_ms. -1 to go on, or the exit
 * code (0 after --help, 2 on a bad command line). */
static int s_args(s_tail_t *t, int argc, char **argv, const char **from, const char **types, long *timeout_ms)
{
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            s_usage();
            return 0;
        }
        if (!strcmp(a, "--show-source")) {
            t->show_source = true;
            i--;
            continue;
        }
        if (!v) return s_usage();
        if (!strcmp(a, "--region")) t->prefix = v;
        else if (!strcmp(a, "--from")) *from = v;
        else if (!strcmp(a, "--types")) *types = v;
        else if (!strcmp(a, "--count")) t->count = atol(v);
        else if (!strcmp(a, "--timeout-ms")) *timeout_ms = atol(v);
        else return s_usage();
    }
    if (!t->prefix || strlen(t->prefix) > 12 || strspn(t->prefix, "0123456789") != strlen(t->prefix)) {
        fprintf(stderr, "fangpinctl tail: --region must be a region code or its beginning (up to 12 digits)\n");
        return 2;
    }
    return -1;
}

/* The first Replay: after --from N, or an empty page for just the head (only new events). */
static int s_catch_up(s_tail_t *t, const char *from)
{
    int64_t head = 0;
    if (from) {
        t->last = strtoll(from, NULL, 10);
        if (t->last < 0) t->last = 0;
        return s_replay(t, t->last, &head);
    }
    if (s_replay(t, INT64_MAX, &head)) return 1;
    t->last = head;
    return 0;
}

/* Nothing came within a poll: after S_MISSED heartbeats of silence the Clone pattern's cure for
 * a subscriber connected to nothing, a new socket, then Replay from the last position (the
 * socket may have missed events). 0 to go on, 1 to stop with an error. */
static int s_on_silence(s_tail_t *t)
{
    int64_t silent = s_now_ms() - t->heard;
    if (silent > (int64_t)S_MISSED * t->hb_ms) {
        fprintf(stderr,
                "fangpinctl tail: no heartbeat for %" PRId64 " ms: reopening the event socket,"
                " then replaying after position %" PRId64 "\n",
                silent, t->last);
        zmq_close(t->sub);
        t->sub = NULL;
        if (s_sub_open(t) != 0) return 1;
        t->reopened++;
        t->heard = s_now_ms();
        t->replay_due = true;
    }
    if (t->replay_due) {
        int r = s_replay(t, t->last, NULL);
        if (r == 1) return 1;
        t->replay_due = r != 0;
    }
    return 0;
}

/* One message from the SUB socket: its topic and position (the first two frames) and, for an
 * event, the decoded event (NULL for a heartbeat or an undecodable one). The frame count. */
static int s_recv(s_tail_t *t, char topic[96], int64_t *pos, Fangpin__V1__Event **ev)
{
    zmq_msg_t parts[3];
    int n = 0, more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, t->sub, 0) < 0) break;
        more = zmq_msg_more(&m);
        if (n < 3) {
            zmq_msg_init(&parts[n]);
            zmq_msg_move(&parts[n++], &m);
        }
        zmq_msg_close(&m);
    }
    char posbuf[24] = "";
    topic[0] = '\0';
    if (n >= 2) {
        size_t tl = zmq_msg_size(&parts[0]) < 96 - 1 ? zmq_msg_size(&parts[0]) : 96 - 1;
        memcpy(topic, zmq_msg_data(&parts[0]), tl);
        topic[tl] = '\0';
        size_t pl = zmq_msg_size(&parts[1]) < sizeof posbuf - 1 ? zmq_msg_size(&parts[1]) : sizeof posbuf - 1;
        memcpy(posbuf, zmq_msg_data(&parts[1]), pl);
    }
    *pos = strtoll(posbuf, NULL, 10);
    *ev = NULL;
    if (n == 3 && strncmp(topic, "HEARTBEAT", 9) != 0)
        *ev = fangpin__v1__event__unpack(NULL, zmq_msg_size(&parts[2]), zmq_msg_data(&parts[2]));
    for (int i = 0; i < n; i++) zmq_msg_close(&parts[i]);
    return n;
}

/* A message arrived: a heartbeat above the last position (silence may have hidden events) or an
 * event after a gap (or other regions' events) replays; the next event is printed. 0 to go on,
 * 1 to stop with an error. */
static int s_on_message(s_tail_t *t)
{
    t->heard = s_now_ms();
    char topic[96];
    int64_t pos;
    Fangpin__V1__Event *ev;
    int n = s_recv(t, topic, &pos, &ev);
    int r = -1; /* -1: no Replay made */
    if (n >= 2 && !strcmp(topic, "HEARTBEAT")) {
        if (pos > t->last || t->replay_due) r = s_replay(t, t->last, NULL);
    } else if (ev && pos > t->last) {
        if (pos > t->last + 1 || t->replay_due) {
            r = s_replay(t, t->last, NULL);
        } else if (s_type_wanted(t, ev->type)) {
            s_print(t, ev, "live");
            t->last = pos;
        } else {
            t->last = pos;
        }
    }
    if (ev) fangpin__v1__event__free_unpacked(ev, NULL);
    if (r == 1) return 1;
    if (r >= 0) t->replay_due = r == 2; /* no answer: try again at the next heartbeat or silence */
    return 0;
}

/* Prints live events until --count of them or --timeout-ms. The exit code. */
static int s_follow(s_tail_t *t, long timeout_ms)
{
    int64_t deadline = timeout_ms > 0 ? s_now_ms() + timeout_ms : 0;
    t->heard = s_now_ms();
    t->replay_due = false;
    while (t->count <= 0 || t->printed < t->count) {
        long wait = t->hb_ms;
        if (deadline) {
            int64_t left = deadline - s_now_ms();
            if (left <= 0) return t->count > 0 ? 1 : 0;
            if (left < wait) wait = (long)left;
        }
        zmq_pollitem_t it = {t->sub, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&it, 1, wait) <= 0 ? s_on_silence(t) : s_on_message(t);
        if (rc) return rc;
    }
    return 0;
}

int ctl_cmd_tail(int argc, char **argv)
{
    s_tail_t t = {0};
    const char *from = NULL, *types = NULL;
    long timeout_ms = 0;
    int rc = s_args(&t, argc, argv, &from, &types, &timeout_ms);
    if (rc >= 0) return rc;
    char *typesbuf = types ? fp_strdup(types) : NULL;
    char *tsave = NULL;
    char *tlist[32];
    for (char *tok = typesbuf ? strtok_r(typesbuf, ",", &tsave) : NULL; tok && t.ntypes < 32;
         tok = strtok_r(NULL, ",", &tsave))
        tlist[t.ntypes++] = tok;
    t.types = tlist;

    t.hb_ms = atoi(ctl_env("FANGPIN_REPORTING_HEARTBEAT_MS", "1000"));
    if (t.hb_ms < 50 || t.hb_ms > 60000) {
        fprintf(stderr, "fangpinctl tail: FANGPIN_REPORTING_HEARTBEAT_MS must be 50..60000 (the service's setting)\n");
        free(typesbuf);
        return 2;
    }
    rc = ctl_peer_open(&t.peer, "reporting", ctl_env("FANGPIN_REPORTING_CONNECT", "tcp://127.0.0.1:7104"), 5000);
    if (rc == 0) {
        t.pub_ep = ctl_env("FANGPIN_REPORTING_PUB_CONNECT", "tcp://127.0.0.1:7105");
        /* Subscribe first, so nothing published during the replay is missed. */
        if (s_sub_open(&t) != 0 || s_catch_up(&t, from) != 0) rc = 1;
        else rc = s_follow(&t, timeout_ms);
    }
    if (t.sub) zmq_close(t.sub);
    ctl_peer_close(&t.peer);
    free(typesbuf);
    return rc;
}
