/* tail.c: `fangpinctl tail --region PREFIX [--from N]`: follows the reporting service's event
 * stream the zguide Clone way: subscribe first, then Replay from N (or take the head) until
 * caught up, then print live events, dropping positions already printed and replaying any gap. */
#include <inttypes.h>
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

typedef struct {
    void *dealer, *sub;
    const char *prefix;
    char **types;
    size_t ntypes;
    int64_t last;      /* every matching event up to here has been printed */
    long count, printed;
    int reply_ms;
    unsigned seq;
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

static void s_print(s_tail_t *t, const Fangpin__V1__Event *ev)
{
    time_t secs = (time_t)(ev->created_at_ms / 1000) + 8 * 3600; /* China time, UTC+8 */
    struct tm tm;
    gmtime_r(&secs, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    fp_buf_t payload = {0};
    fp_mask_ids_in_text(ev->payload_json, &payload);
    printf("%" PRId64 "  %s  %s  %s  %s\n", ev->position, when, ev->region, ev->type, payload.data ? payload.data : "");
    fflush(stdout);
    fp_buf_free(&payload);
    t->printed++;
}

/* Replays after t->last until caught up. 0 ok, 1 refused or no answer. */
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
        zmq_send(t->dealer, buf, len, 0);
        free(buf);
        zmq_pollitem_t it = {t->dealer, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, t->reply_ms) <= 0) {
            fprintf(stderr, "fangpinctl tail: no Replay answer within %d ms (reporting down, or our key is not registered)\n",
                    t->reply_ms);
            return 1;
        }
        zmq_msg_t m;
        zmq_msg_init(&m);
        zmq_msg_recv(&m, t->dealer, 0);
        Fangpin__V1__ReportingReply *rep =
            fangpin__v1__reporting_reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
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
            s_print(t, pg->events[i]);
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

static int s_usage(void)
{
    fprintf(stderr, "usage: fangpinctl tail --region PREFIX [--from N] [--types a,b] [--count N] [--timeout-ms T]\n"
                    "  follows events of regions starting with PREFIX; --from N starts after position N\n"
                    "  (default: only new events); exits after --count events or --timeout-ms\n");
    return 2;
}

int ctl_cmd_tail(int argc, char **argv)
{
    s_tail_t t = {0};
    const char *from = NULL, *types = NULL;
    long timeout_ms = 0;
    for (int i = 1; i < argc; i += 2) { /* --option value pairs */
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            s_usage();
            return 0;
        }
        if (!v) return s_usage();
        if (!strcmp(a, "--region")) t.prefix = v;
        else if (!strcmp(a, "--from")) from = v;
        else if (!strcmp(a, "--types")) types = v;
        else if (!strcmp(a, "--count")) t.count = atol(v);
        else if (!strcmp(a, "--timeout-ms")) timeout_ms = atol(v);
        else return s_usage();
    }
    if (!t.prefix || strlen(t.prefix) > 12 || strspn(t.prefix, "0123456789") != strlen(t.prefix)) {
        fprintf(stderr, "fangpinctl tail: --region must be a region code or its beginning (up to 12 digits)\n");
        return 2;
    }
    char *typesbuf = types ? fp_strdup(types) : NULL;
    char *tsave = NULL;
    char *tlist[32];
    for (char *tok = typesbuf ? strtok_r(typesbuf, ",", &tsave) : NULL; tok && t.ntypes < 32;
         tok = strtok_r(NULL, ",", &tsave))
        tlist[t.ntypes++] = tok;
    t.types = tlist;

    const char *keys = ctl_env("FANGPIN_KEYS_DIR", "var/keys");
    char path[4096];
    fp_cert_t server, client;
    snprintf(path, sizeof path, "%s/reporting.key", keys);
    if (fp_cert_load(path, &server) != FP_OK) {
        fprintf(stderr, "fangpinctl tail: cannot read the server certificate %s\n", path);
        free(typesbuf);
        return 1;
    }
    snprintf(path, sizeof path, "%s/admin.key_secret", keys);
    const char *cpath = ctl_env("FANGPIN_CLIENT_CERT", path);
    if (fp_cert_load(cpath, &client) != FP_OK || !client.secret_key[0]) {
        fprintf(stderr, "fangpinctl tail: cannot read this client's secret certificate %s\n", cpath);
        free(typesbuf);
        return 1;
    }
    t.reply_ms = atoi(ctl_env("FANGPIN_TIMEOUT_MS", "5000"));

    void *ctx = zmq_ctx_new();
    t.sub = zmq_socket(ctx, ZMQ_SUB);
    t.dealer = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, rc = 1;
    int64_t maxmsg = 64 * 1024 * 1024;
    void *socks[2] = {t.sub, t.dealer};
    for (int i = 0; i < 2; i++) {
        zmq_setsockopt(socks[i], ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(socks[i], ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
        zmq_setsockopt(socks[i], ZMQ_CURVE_SERVERKEY, server.public_key, 40);
        zmq_setsockopt(socks[i], ZMQ_CURVE_PUBLICKEY, client.public_key, 40);
        zmq_setsockopt(socks[i], ZMQ_CURVE_SECRETKEY, client.secret_key, 40);
    }
    /* Subscribe first, so nothing published during the replay is missed. */
    zmq_setsockopt(t.sub, ZMQ_SUBSCRIBE, t.prefix, strlen(t.prefix));
    zmq_setsockopt(t.sub, ZMQ_SUBSCRIBE, "HEARTBEAT", 9);
    const char *pub_ep = ctl_env("FANGPIN_REPORTING_PUB_CONNECT", "tcp://127.0.0.1:7105");
    const char *ep = ctl_env("FANGPIN_REPORTING_CONNECT", "tcp://127.0.0.1:7104");
    if (zmq_connect(t.sub, pub_ep) != 0 || zmq_connect(t.dealer, ep) != 0) {
        fprintf(stderr, "fangpinctl tail: bad endpoint %s or %s: %s\n", pub_ep, ep, zmq_strerror(zmq_errno()));
        goto out;
    }
    int64_t head = 0;
    if (from) {
        t.last = strtoll(from, NULL, 10);
        if (t.last < 0) t.last = 0;
        if (s_replay(&t, t.last, &head)) goto out;
    } else {
        if (s_replay(&t, INT64_MAX, &head)) goto out; /* an empty page: just the head */
        t.last = head;
    }
    int64_t deadline = timeout_ms > 0 ? s_now_ms() + timeout_ms : 0;
    rc = 0;
    while (t.count <= 0 || t.printed < t.count) {
        long wait = 1000;
        if (deadline) {
            int64_t left = deadline - s_now_ms();
            if (left <= 0) {
                rc = t.count > 0 ? 1 : 0;
                break;
            }
            if (left < wait) wait = (long)left;
        }
        zmq_pollitem_t it = {t.sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, wait) <= 0) continue;
        zmq_msg_t parts[3];
        int n = 0, more = 1;
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, t.sub, 0) < 0) break;
            more = zmq_msg_more(&m);
            if (n < 3) {
                zmq_msg_init(&parts[n]);
                zmq_msg_move(&parts[n++], &m);
            }
            zmq_msg_close(&m);
        }
        char topic[96] = "", posbuf[24] = "";
        if (n >= 2) {
            size_t tl = zmq_msg_size(&parts[0]) < sizeof topic - 1 ? zmq_msg_size(&parts[0]) : sizeof topic - 1;
            memcpy(topic, zmq_msg_data(&parts[0]), tl);
            size_t pl = zmq_msg_size(&parts[1]) < sizeof posbuf - 1 ? zmq_msg_size(&parts[1]) : sizeof posbuf - 1;
            memcpy(posbuf, zmq_msg_data(&parts[1]), pl);
        }
        int64_t pos = strtoll(posbuf, NULL, 10);
        Fangpin__V1__Event *ev = NULL;
        if (n == 3 && strncmp(topic, "HEARTBEAT", 9) != 0)
            ev = fangpin__v1__event__unpack(NULL, zmq_msg_size(&parts[2]), zmq_msg_data(&parts[2]));
        for (int i = 0; i < n; i++) zmq_msg_close(&parts[i]);
        if (n >= 2 && !strcmp(topic, "HEARTBEAT")) {
            if (pos > t.last && s_replay(&t, t.last, NULL)) rc = 1; /* silence may have hidden events */
        } else if (ev && pos > t.last) {
            if (pos > t.last + 1) {
                if (s_replay(&t, t.last, NULL)) rc = 1; /* a gap (or other regions' events): fill it */
            } else if (s_type_wanted(&t, ev->type)) {
                s_print(&t, ev);
                t.last = pos;
            } else {
                t.last = pos;
            }
        }
        if (ev) fangpin__v1__event__free_unpacked(ev, NULL);
        if (rc) break;
    }
out:
    zmq_close(t.sub);
    zmq_close(t.dealer);
    zmq_ctx_term(ctx);
    free(typesbuf);
    return rc;
}
