/* pub.c: the relay's event PUB socket (relay.h): an XPUB in manual mode whose subscriptions are
 * what each subscriber's principal may read (report_pub_grant), the keys granted on it, and
 * recycling it (every subscriber drops and is judged again) when one of those keys is revoked or
 * its principal changes. */
#include "relay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "httpaccess.h"
#include "log.h"
#include "mem.h"

static void s_on_subscription(fp_zsock_t *zs, fp_zmsg_t *m, void *arg);

/* Remembers that key (of principal who, as it is now) was granted a subscription on this socket. */
static void s_track_key(report_relay_t *r, const char *key, const fp_principal_t *who)
{
    if (!key || !who) return;
    for (size_t i = 0; i < r->nsubkeys; i++)
        if (strcmp(r->subkeys[i].key, key) == 0) return; /* the grant was judged against the same cache */
    if (r->nsubkeys == r->capsubkeys) {
        r->capsubkeys = r->capsubkeys ? 2 * r->capsubkeys : 16;
        r->subkeys = fp_realloc(r->subkeys, r->capsubkeys * sizeof *r->subkeys);
    }
    report_sub_key_t *k = &r->subkeys[r->nsubkeys++];
    snprintf(k->key, sizeof k->key, "%s", key);
    snprintf(k->id, sizeof k->id, "%s", who->id);
    snprintf(k->kind, sizeof k->kind, "%s", who->kind);
    snprintf(k->level, sizeof k->level, "%s", who->level);
    snprintf(k->region, sizeof k->region, "%s", who->region);
}

/* A new XPUB with the socket options of the event PUB (not bound). */
int report_pub_open(report_relay_t *r)
{
    /* ZAP is per context: the service's handler, already bound, authenticates subscribers too.
     * XPUB in manual mode: each subscription reaches s_on_subscription, which applies what the
     * subscriber's principal may read (report_pub_grant) instead of what it asked for. */
    r->pub = zmq_socket(fp_service_zctx(r->svc), ZMQ_XPUB);
    if (!r->pub) return 1;
    int one = 1, linger = 0, hwm = (int)fp_service_int(r->svc, "FANGPIN_ZMQ_HWM");
    zmq_setsockopt(r->pub, ZMQ_XPUB_MANUAL, &one, sizeof one);
    int64_t maxmsg = 4096; /* subscribers only send subscriptions */
    zmq_setsockopt(r->pub, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt(r->pub, ZMQ_CURVE_SECRETKEY, r->pub_secret, 40);
    zmq_setsockopt(r->pub, ZMQ_ZAP_DOMAIN, "fangpin", 7);
    zmq_setsockopt(r->pub, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(r->pub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(r->pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (fp_zsock_new(fp_service_loop(r->svc), r->pub, s_on_subscription, r, &r->zpub) != FP_OK) {
        zmq_close(r->pub);
        r->pub = NULL;
        return 1;
    }
    r->nsubkeys = 0; /* a new socket: nobody is subscribed to it yet */
    return 0;
}

void report_pub_close(report_relay_t *r)
{
    fp_zsock_destroy(&r->zpub);
    if (r->pub) zmq_close(r->pub);
    r->pub = NULL;
}

/* The old socket's listener closes in libzmq's I/O thread: until it has, the port is taken. */
static void s_on_rebind(uv_timer_t *t)
{
    report_relay_t *r = t->data;
    if (!r->rebinding || !r->pub) {
        uv_timer_stop(t);
        return;
    }
    if (zmq_bind(r->pub, r->pub_ep) == 0) {
        r->rebinding = false;
        uv_timer_stop(t);
        fp_log_info("event PUB listening again", "endpoint", r->pub_ep);
        return;
    }
    if (++r->rebind_tries == 250) /* about 5 s: something else may hold the port; keep trying */
        fp_log_error("event PUB cannot bind its endpoint again: retrying", "endpoint", r->pub_ep, "error",
                     zmq_strerror(zmq_errno()));
}

/* Drops every subscriber (the only way libzmq has to drop one): each reconnects by itself and is
 * judged again by ZAP and report_pub_grant; a subscriber heals the events it missed meanwhile
 * with Replay (docs/protocol.md, "Clients that heal"). */
static void s_pub_recycle(report_relay_t *r, const report_sub_key_t *why, const char *what)
{
    char shortkey[12];
    snprintf(shortkey, sizeof shortkey, "%.8s", why->key);
    fp_log_info("event PUB recycled: a subscribed key is no longer admitted as it was", "why", what, "principal",
                why->id, "key", shortkey);
    fp_counter_add(r->c_recycled, 1);
    report_pub_close(r);
    if (report_pub_open(r) != 0) {
        fp_log_error("cannot make the event PUB socket again", "error", zmq_strerror(zmq_errno()));
        return;
    }
    r->rebinding = true;
    r->rebind_tries = 0;
    if (!r->rebind_started) {
        uv_timer_init(fp_service_loop(r->svc), &r->rebind);
        r->rebind.data = r;
        r->rebind_started = true;
    }
    s_on_rebind(&r->rebind);
    if (r->rebinding) uv_timer_start(&r->rebind, s_on_rebind, 20, 20);
}

void report_relay_check_keys(report_relay_t *r)
{
    if (r->stopping || !r->pub || r->rebinding || !fp_service_listening(r->svc)) return;
    for (size_t i = 0; i < r->nsubkeys; i++) {
        const report_sub_key_t *k = &r->subkeys[i];
        const fp_principal_t *p = fp_service_principal(r->svc, k->key);
        const char *what = !p ? "revoked or disabled"
            : strcmp(p->id, k->id) || strcmp(p->kind, k->kind) || strcmp(p->level, k->level) ||
                strcmp(p->region, k->region)
            ? "principal or scope changed"
            : NULL;
        if (what) {
            report_sub_key_t copy = *k;
            s_pub_recycle(r, &copy, what);
            return;
        }
    }
}

/* A subscriber's (un)subscription on the XPUB: byte 1 (subscribe) or 0 (unsubscribe), then the
 * topic prefix. ZMQ_XPUB_MANUAL applies nothing by itself: the (un)subscriptions set here, right
 * after receiving the message, apply to the pipe it came from, and to no other. A subscriber
 * of a revoked key, or one asking for another region, gets nothing; one asking for more than its
 * region gets its region (and the heartbeat). */
static void s_on_subscription(fp_zsock_t *zs, fp_zmsg_t *m, void *arg)
{
    report_relay_t *r = arg;
    if (m->nparts != 1 || m->truncated) return;
    zmq_msg_t *f = &m->parts[0];
    size_t len = zmq_msg_size(f);
    const char *data = zmq_msg_data(f);
    if (len < 1 || (data[0] != 0 && data[0] != 1)) return;
    const char *uid = zmq_msg_gets(f, "User-Id"); /* the subscriber's public key (auth.c) */
    const fp_principal_t *who = fp_service_principal(r->svc, uid);
    const char *out[2];
    size_t outlen[2];
    int n = report_pub_grant(who, data + 1, len - 1, out, outlen);
    for (int i = 0; i < n; i++) zmq_setsockopt(r->pub, data[0] ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE, out[i], outlen[i]);
    if (data[0] && n > 0) s_track_key(r, uid, who);
    if (data[0] && (n == 0 || out[0] != data + 1)) {
        char topic[64];
        size_t k = len - 1 < sizeof topic - 1 ? len - 1 : sizeof topic - 1;
        for (size_t i = 0; i < k; i++) topic[i] = data[1 + i] >= 0x20 && data[1 + i] < 0x7f ? data[1 + i] : '?';
        topic[k] = '\0';
        fp_counter_add(n == 0 ? r->c_sub_refused : r->c_sub_narrowed, 1);
        fp_log_info(n == 0 ? (who && report_read_policy(who, REPORT_READ_EVENTS, NULL, who->region) != REPORT_READ_OK
                                  ? "event subscription refused: this kind of principal reads no events"
                                  : "event subscription refused: outside the key's region")
                           : "event subscription narrowed to the key's region",
                    "principal", who ? who->id : "(revoked)", "asked", topic, "region", who ? who->region : "");
    }
}
