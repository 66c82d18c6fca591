/* rpc.c: one request and its reply over CURVE to a fangpin service, for every fangpinctl
 * subcommand that talks to a ROUTER socket (ping, case, plan, measure, check, eliminate, report,
 * tail's Replay). The server's public certificate is FANGPIN_KEYS_DIR/<service>.key, the client's
 * secret one FANGPIN_CLIENT_CERT (default FANGPIN_KEYS_DIR/admin.key_secret).
 *
 * The zguide's Lazy Pirate: a request with no reply within FANGPIN_TIMEOUT_MS is sent again, the
 * same bytes (so the same request id, which the services treat as the idempotency key), on a new
 * socket, up to FANGPIN_RETRIES more times; a reply UNAVAILABLE (the service is not ready, or
 * stopping) is retried the same way after a short pause. A monitor on the socket tells a
 * handshake refused for an unregistered key (ZAP 400: no retry helps) from a temporary refusal
 * (ZAP 300: retried). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "ctl.h"
#include "fangpin/v1/common.pb-c.h"
#include "service.h"

static unsigned s_monitor_seq;

int ctl_peer_open(ctl_peer_t *p, const char *service, const char *endpoint, int timeout_ms_default)
{
    memset(p, 0, sizeof *p);
    p->service = service;
    p->endpoint = endpoint;
    const char *keys = ctl_env("FANGPIN_KEYS_DIR", "var/keys");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.key", keys, service);
    if (fp_cert_load(path, &p->server) != FP_OK) {
        fprintf(stderr, "fangpinctl: cannot read the server certificate %s\n", path);
        return 1;
    }
    snprintf(path, sizeof path, "%s/admin.key_secret", keys);
    const char *cpath = ctl_env("FANGPIN_CLIENT_CERT", path);
    if (fp_cert_load(cpath, &p->client) != FP_OK || !p->client.secret_key[0]) {
        fprintf(stderr, "fangpinctl: cannot read this client's secret certificate %s\n", cpath);
        return 1;
    }
    char dflt[16];
    snprintf(dflt, sizeof dflt, "%d", timeout_ms_default);
    p->timeout_ms = atoi(ctl_env("FANGPIN_TIMEOUT_MS", dflt));
    p->retries = atoi(ctl_env("FANGPIN_RETRIES", "2"));
    if (p->timeout_ms < 1 || p->timeout_ms > 3600000 || p->retries < 0 || p->retries > 100) {
        fprintf(stderr, "fangpinctl: FANGPIN_TIMEOUT_MS must be 1..3600000 and FANGPIN_RETRIES 0..100\n");
        return 2;
    }
    p->ctx = zmq_ctx_new();
    return 0;
}

static void s_sock_close(ctl_peer_t *p)
{
    if (p->mon) zmq_close(p->mon);
    if (p->sock) {
        zmq_socket_monitor(p->sock, NULL, 0);
        zmq_close(p->sock);
    }
    p->sock = p->mon = NULL;
}

static int s_sock_open(ctl_peer_t *p)
{
    p->sock = zmq_socket(p->ctx, ZMQ_DEALER);
    int linger = 0;
    int64_t maxmsg = 256 * 1024 * 1024;
    zmq_setsockopt(p->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(p->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(p->sock, ZMQ_CURVE_SERVERKEY, p->server.public_key, 40);
    zmq_setsockopt(p->sock, ZMQ_CURVE_PUBLICKEY, p->client.public_key, 40);
    zmq_setsockopt(p->sock, ZMQ_CURVE_SECRETKEY, p->client.secret_key, 40);
    char mon[64];
    snprintf(mon, sizeof mon, "inproc://fangpinctl-monitor-%u", ++s_monitor_seq);
    if (zmq_socket_monitor(p->sock, mon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) == 0) {
        p->mon = zmq_socket(p->ctx, ZMQ_PAIR);
        zmq_setsockopt(p->mon, ZMQ_LINGER, &linger, sizeof linger);
        if (zmq_connect(p->mon, mon) != 0) {
            zmq_close(p->mon);
            p->mon = NULL;
        }
    }
    if (zmq_connect(p->sock, p->endpoint) != 0) {
        fprintf(stderr, "fangpinctl: bad endpoint %s: %s\n", p->endpoint, zmq_strerror(zmq_errno()));
        s_sock_close(p);
        return -1;
    }
    return 0;
}

/* The ZAP status of a refused handshake reported by the monitor (300, 400, 500), or 0. */
static int s_auth_failure(ctl_peer_t *p)
{
    int status = 0;
    for (;;) {
        zmq_msg_t ev, addr;
        zmq_msg_init(&ev);
        if (zmq_msg_recv(&ev, p->mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&ev);
            return status;
        }
        if (zmq_msg_size(&ev) >= 6) {
            const uint8_t *d = zmq_msg_data(&ev);
            uint16_t event;
            uint32_t value;
            memcpy(&event, d, 2);
            memcpy(&value, d + 2, 4);
            if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) status = (int)value;
        }
        zmq_msg_close(&ev);
        zmq_msg_init(&addr);
        zmq_msg_recv(&addr, p->mon, 0); /* the endpoint frame */
        zmq_msg_close(&addr);
    }
}

int ctl_peer_request(ctl_peer_t *p, const void *req, size_t len, zmq_msg_t *reply)
{
    int pause_ms = 200;
    for (int attempt = 0; attempt <= p->retries; attempt++) {
        if (!p->sock && s_sock_open(p) != 0) return -1;
        if (zmq_send(p->sock, req, len, 0) < 0) {
            fprintf(stderr, "fangpinctl: cannot send to %s: %s\n", p->service, zmq_strerror(zmq_errno()));
            return -1;
        }
        int64_t left = p->timeout_ms;
        int refused = 0;
        bool answered = false;
        while (left > 0 && !answered && !refused) {
            zmq_pollitem_t it[2] = {{p->sock, 0, ZMQ_POLLIN, 0}, {p->mon, 0, ZMQ_POLLIN, 0}};
            int64_t step = left < 100 ? left : 100;
            int n = zmq_poll(it, p->mon ? 2 : 1, (long)step);
            left -= step;
            if (n > 0 && (it[0].revents & ZMQ_POLLIN)) answered = true;
            else if (n > 0 && p->mon && (it[1].revents & ZMQ_POLLIN)) refused = s_auth_failure(p);
        }
        if (refused == 400 || refused == 500) {
            fprintf(stderr,
                    "fangpinctl: %s at %s refused this client's key at the handshake (ZAP %d): it is not registered,"
                    " revoked, or its principal is disabled\n",
                    p->service, p->endpoint, refused);
            return -1;
        }
        if (!answered) {
            if (attempt < p->retries)
                fprintf(stderr,
                        "fangpinctl: no reply from %s at %s within %d ms%s; retrying on a new connection (%d of %d)\n",
                        p->service, p->endpoint, p->timeout_ms, refused ? " (refused for now: not ready)" : "",
                        attempt + 1, p->retries);
            s_sock_close(p);
            continue;
        }
        zmq_msg_init(reply);
        if (zmq_msg_recv(reply, p->sock, 0) < 0) {
            zmq_msg_close(reply);
            s_sock_close(p);
            continue;
        }
        Fangpin__V1__ReplyHeader *h = fangpin__v1__reply_header__unpack(NULL, zmq_msg_size(reply), zmq_msg_data(reply));
        bool unavailable = h && h->status && h->status->code == FANGPIN__V1__CODE__UNAVAILABLE;
        if (h) fangpin__v1__reply_header__free_unpacked(h, NULL);
        if (!unavailable || attempt == p->retries) return 0;
        fprintf(stderr, "fangpinctl: %s is unavailable for now; retrying in %d ms (%d of %d)\n", p->service, pause_ms,
                attempt + 1, p->retries);
        zmq_msg_close(reply);
        zmq_poll(NULL, 0, pause_ms);
        if (pause_ms < 2000) pause_ms *= 2;
    }
    fprintf(stderr, "fangpinctl: no reply from %s at %s within %d ms, %d time%s\n", p->service, p->endpoint,
            p->timeout_ms, p->retries + 1, p->retries ? "s" : "");
    return -1;
}

void ctl_peer_reset(ctl_peer_t *p) { s_sock_close(p); }

void ctl_peer_close(ctl_peer_t *p)
{
    s_sock_close(p);
    if (p->ctx) zmq_ctx_term(p->ctx);
    p->ctx = NULL;
}

ProtobufCMessage *ctl_call(const char *service, const char *endpoint_env, const char *endpoint_default,
                           const ProtobufCMessage *req, const ProtobufCMessageDescriptor *reply_type)
{
    ctl_peer_t peer;
    if (ctl_peer_open(&peer, service, ctl_env(endpoint_env, endpoint_default), 10000) != 0) {
        ctl_peer_close(&peer);
        return NULL;
    }
    ProtobufCMessage *rep = NULL;
    size_t len = protobuf_c_message_get_packed_size(req);
    uint8_t *buf = malloc(len ? len : 1);
    protobuf_c_message_pack(req, buf);
    zmq_msg_t m;
    if (ctl_peer_request(&peer, buf, len, &m) == 0) {
        /* every reply starts with request_id = 1 and status = 2 (common.proto, ReplyHeader) */
        Fangpin__V1__ReplyHeader *h = fangpin__v1__reply_header__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        if (!h || !h->status) {
            fprintf(stderr, "fangpinctl: undecodable reply from %s\n", service);
        } else if (h->status->code != FANGPIN__V1__CODE__OK) {
            fprintf(stderr, "fangpinctl: %s: %s\n  %s\n", fp_code_name(h->status->code),
                    h->status->message_zh ? h->status->message_zh : "", h->status->message);
        } else if (!(rep = protobuf_c_message_unpack(reply_type, NULL, zmq_msg_size(&m), zmq_msg_data(&m)))) {
            fprintf(stderr, "fangpinctl: undecodable reply from %s\n", service);
        }
        if (h) fangpin__v1__reply_header__free_unpacked(h, NULL);
        zmq_msg_close(&m);
    }
    free(buf);
    ctl_peer_close(&peer);
    return rep;
}
