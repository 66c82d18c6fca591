/* zsock.h: a ZeroMQ socket on a libuv loop. ZMQ_FD is edge-triggered and "readable" does not
 * mean a message is waiting, so: one uv_poll per socket wakes the loop; a uv_prepare (run
 * before the loop sleeps) and a uv_check (after it wakes) re-read ZMQ_EVENTS and drain up to a
 * bounded number of messages; while messages remain a uv_idle keeps the loop from sleeping.
 * Sends done anywhere in an iteration (a database callback, a timer) are therefore followed by
 * a ZMQ_EVENTS re-read before the next sleep, which is what a missed edge needs. */
#ifndef FP_ZSOCK_H
#define FP_ZSOCK_H
#include <stddef.h>
#include <uv.h>
#include <zmq.h>

#include "err.h"

#define FP_ZSOCK_MAX_PARTS 8

typedef struct fp_zsock fp_zsock_t;

/* One whole (multipart) message: parts[0..nparts). The callee may zmq_msg_move parts it keeps;
 * the rest are closed after the callback. truncated is set when the message had more parts
 * than FP_ZSOCK_MAX_PARTS (the extra parts were discarded). */
typedef struct {
    zmq_msg_t parts[FP_ZSOCK_MAX_PARTS];
    size_t nparts;
    int truncated;
} fp_zmsg_t;

typedef void (*fp_zsock_recv_fn)(fp_zsock_t *zs, fp_zmsg_t *msg, void *arg);

/* Attaches a ZeroMQ socket (not owned: the caller closes it after fp_zsock_destroy).
 * cb may be NULL for send-only sockets. */
fp_err_t fp_zsock_new(uv_loop_t *loop, void *socket, fp_zsock_recv_fn cb, void *arg, fp_zsock_t **out);
/* Stops watching and frees (after libuv's close callbacks); NULL-safe, nulls *p. */
void fp_zsock_destroy(fp_zsock_t **p);
void *fp_zsock_socket(fp_zsock_t *zs);
/* Pauses / resumes delivery (e.g. while shutting down). */
void fp_zsock_pause(fp_zsock_t *zs, int paused);

/* Sends frames (non-blocking); returns FP_OK, FP_EAGAIN at the high-water mark, or FP_EZMQ
 * (e.g. EHOSTUNREACH for a ROUTER_MANDATORY peer that left). */
fp_err_t fp_zsock_send(fp_zsock_t *zs, const void *const *data, const size_t *lens, size_t n);

#endif
