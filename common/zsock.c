/* zsock.c: ZeroMQ socket integration with libuv (see zsock.h for the edge-trigger rules).
 * Modelled on the public uv_zsock / flux-core ev_zmq designs. */
#include "zsock.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "log.h"
#include "mem.h"

/* Messages handled per wake-up before yielding to other handles. */
#define S_BATCH 256

struct fp_zsock {
    uv_loop_t *loop;
    void *socket;
    fp_zsock_recv_fn cb;
    void *arg;
    uv_poll_t poll;
    uv_prepare_t prepare;
    uv_check_t check;
    uv_idle_t idle;
    int paused;
    int closing;
    int pending_closes;
    int in_drain;
};

static int s_readable(fp_zsock_t *zs)
{
    uint32_t events = 0;
    size_t len = sizeof events;
    if (zmq_getsockopt(zs->socket, ZMQ_EVENTS, &events, &len) != 0) return 0;
    return (events & ZMQ_POLLIN) != 0;
}

static int s_recv_one(fp_zsock_t *zs, fp_zmsg_t *m)
{
    m->nparts = 0;
    m->truncated = 0;
    for (;;) {
        zmq_msg_t tmp;
        zmq_msg_init(&tmp);
        if (zmq_msg_recv(&tmp, zs->socket, m->nparts == 0 && !m->truncated ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&tmp);
            for (size_t i = 0; i < m->nparts; i++) zmq_msg_close(&m->parts[i]);
            m->nparts = 0;
            return -1;
        }
        int more = zmq_msg_more(&tmp);
        if (m->nparts < FP_ZSOCK_MAX_PARTS) {
            zmq_msg_init(&m->parts[m->nparts]);
            zmq_msg_move(&m->parts[m->nparts], &tmp);
            m->nparts++;
        } else {
            m->truncated = 1;
        }
        zmq_msg_close(&tmp);
        if (!more) return 0;
    }
}

static void s_keep_awake(fp_zsock_t *zs);

/* Drains up to S_BATCH messages; keeps the loop awake (idle) while more are waiting. */
static void s_drain(fp_zsock_t *zs)
{
    if (zs->closing || zs->in_drain) return;
    zs->in_drain = 1;
    int n = 0;
    while (!zs->paused && !zs->closing && zs->cb && n < S_BATCH && s_readable(zs)) {
        fp_zmsg_t m;
        if (s_recv_one(zs, &m) != 0) break;
        zs->cb(zs, &m, zs->arg);
        for (size_t i = 0; i < m.nparts; i++) zmq_msg_close(&m.parts[i]);
        n++;
    }
    zs->in_drain = 0;
}

static void s_on_idle(uv_idle_t *h)
{
    fp_zsock_t *zs = h->data;
    uv_idle_stop(h);
    s_drain(zs);
    s_keep_awake(zs);
}

static void s_keep_awake(fp_zsock_t *zs)
{
    if (!zs->closing && !zs->paused && zs->cb && s_readable(zs)) uv_idle_start(&zs->idle, s_on_idle);
}

static void s_on_poll(uv_poll_t *h, int status, int events)
{
    fp_zsock_t *zs = h->data;
    s_drain(zs);
    s_keep_awake(zs);
}

static void s_on_prepare(uv_prepare_t *h)
{
    fp_zsock_t *zs = h->data;
    s_drain(zs);
    s_keep_awake(zs);
}

static void s_on_check(uv_check_t *h)
{
    fp_zsock_t *zs = h->data;
    s_drain(zs);
    s_keep_awake(zs);
}

fp_err_t fp_zsock_new(uv_loop_t *loop, void *socket, fp_zsock_recv_fn cb, void *arg, fp_zsock_t **out)
{
    int fd = -1;
    size_t len = sizeof fd;
    if (zmq_getsockopt(socket, ZMQ_FD, &fd, &len) != 0) return FP_EZMQ;
    fp_zsock_t *zs = fp_new(fp_zsock_t);
    zs->loop = loop;
    zs->socket = socket;
    zs->cb = cb;
    zs->arg = arg;
    uv_poll_init(loop, &zs->poll, fd);
    uv_prepare_init(loop, &zs->prepare);
    uv_check_init(loop, &zs->check);
    uv_idle_init(loop, &zs->idle);
    zs->poll.data = zs->prepare.data = zs->check.data = zs->idle.data = zs;
    if (cb) {
        uv_poll_start(&zs->poll, UV_READABLE, s_on_poll);
        uv_prepare_start(&zs->prepare, s_on_prepare);
        uv_check_start(&zs->check, s_on_check);
        /* Messages may be queued before the first poll: look once right away. */
        uv_idle_start(&zs->idle, s_on_idle);
    }
    *out = zs;
    return FP_OK;
}

void *fp_zsock_socket(fp_zsock_t *zs) { return zs->socket; }

void fp_zsock_pause(fp_zsock_t *zs, int paused)
{
    zs->paused = paused;
    if (!paused) s_keep_awake(zs);
}

fp_err_t fp_zsock_send(fp_zsock_t *zs, const void *const *data, const size_t *lens, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int flags = ZMQ_DONTWAIT | (i + 1 < n ? ZMQ_SNDMORE : 0);
        if (zmq_send(zs->socket, data[i], lens[i], flags) < 0) {
            int e = zmq_errno();
            /* A partly sent multipart message cannot be taken back; ZeroMQ discards it when
             * the first part failed, and later parts cannot fail with EAGAIN once the first
             * was queued. */
            return e == EAGAIN ? FP_EAGAIN : FP_EZMQ;
        }
    }
    /* A send may consume the edge: make sure the loop re-reads ZMQ_EVENTS before sleeping. */
    s_keep_awake(zs);
    return FP_OK;
}

static void s_on_close(uv_handle_t *h)
{
    fp_zsock_t *zs = h->data;
    if (--zs->pending_closes == 0) free(zs);
}

void fp_zsock_destroy(fp_zsock_t **p)
{
    if (!p || !*p) return;
    fp_zsock_t *zs = *p;
    *p = NULL;
    zs->closing = 1;
    zs->pending_closes = 4;
    uv_close((uv_handle_t *)&zs->poll, s_on_close);
    uv_close((uv_handle_t *)&zs->prepare, s_on_close);
    uv_close((uv_handle_t *)&zs->check, s_on_close);
    uv_close((uv_handle_t *)&zs->idle, s_on_close);
}
