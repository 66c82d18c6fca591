/* zsock_test.c: the libuv/ZeroMQ glue must not miss an edge of ZMQ_FD. Each case would hang
 * (and fail on the guard timer) with a naive "uv_poll readable -> recv one" integration:
 * messages queued before the first poll, replies sent from a deferred callback (as from a
 * database result), and a burst arriving while the loop sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include <zmq.h>

#include "zsock.h"

typedef struct {
    uv_loop_t loop;
    uv_timer_t guard;
    int received;
    int expected;
    int timed_out;
    fp_zsock_t *zs;
    fp_zsock_t *zs2;
    void *push;
} ctx_t;

static void on_guard(uv_timer_t *t)
{
    ctx_t *c = t->data;
    c->timed_out = 1;
    uv_stop(&c->loop);
}

static void setup_loop(ctx_t *c, int expected)
{
    memset(c, 0, sizeof *c);
    uv_loop_init(&c->loop);
    uv_timer_init(&c->loop, &c->guard);
    c->guard.data = c;
    c->expected = expected;
    uv_timer_start(&c->guard, on_guard, 10000, 0);
}

static void close_walk(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

static void teardown_loop(ctx_t *c)
{
    fp_zsock_destroy(&c->zs);
    fp_zsock_destroy(&c->zs2);
    uv_walk(&c->loop, close_walk, NULL);
    uv_run(&c->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&c->loop), 0);
}

static void on_pull(fp_zsock_t *zs, fp_zmsg_t *m, void *arg)
{
    ctx_t *c = arg;
    assert_int_equal(m->nparts, 1);
    char expect[32];
    snprintf(expect, sizeof expect, "msg-%d", c->received);
    assert_int_equal(zmq_msg_size(&m->parts[0]), strlen(expect));
    assert_memory_equal(zmq_msg_data(&m->parts[0]), expect, strlen(expect));
    if (++c->received == c->expected) uv_stop(&c->loop);
}

static void test_messages_queued_before_first_poll(void **state)
{
    ctx_t c;
    setup_loop(&c, 5000);
    void *ctx = zmq_ctx_new();
    void *pull = zmq_socket(ctx, ZMQ_PULL), *push = zmq_socket(ctx, ZMQ_PUSH);
    int hwm = 0;
    zmq_setsockopt(pull, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(push, ZMQ_SNDHWM, &hwm, sizeof hwm);
    assert_int_equal(zmq_bind(pull, "inproc://queued"), 0);
    assert_int_equal(zmq_connect(push, "inproc://queued"), 0);
    for (int i = 0; i < c.expected; i++) {
        char b[32];
        int n = snprintf(b, sizeof b, "msg-%d", i);
        assert_int_equal(zmq_send(push, b, (size_t)n, 0), n);
    }
    assert_int_equal(fp_zsock_new(&c.loop, pull, on_pull, &c, &c.zs), FP_OK);
    uv_run(&c.loop, UV_RUN_DEFAULT);
    assert_false(c.timed_out);
    assert_int_equal(c.received, c.expected);
    teardown_loop(&c);
    zmq_close(pull);
    zmq_close(push);
    zmq_ctx_term(ctx);
}

/* ROUTER answers each request from a zero-delay timer (like a database callback); the DEALER
 * on the same loop counts replies. */
typedef struct {
    uv_timer_t t;
    ctx_t *c;
    zmq_msg_t id, body;
} deferred_t;

static void on_deferred_close(uv_handle_t *h) { free(h->data); }

static void on_deferred(uv_timer_t *t)
{
    deferred_t *d = t->data;
    const void *data[2] = {zmq_msg_data(&d->id), zmq_msg_data(&d->body)};
    size_t lens[2] = {zmq_msg_size(&d->id), zmq_msg_size(&d->body)};
    assert_int_equal(fp_zsock_send(d->c->zs, data, lens, 2), FP_OK);
    zmq_msg_close(&d->id);
    zmq_msg_close(&d->body);
    uv_close((uv_handle_t *)t, on_deferred_close);
}

static void on_router(fp_zsock_t *zs, fp_zmsg_t *m, void *arg)
{
    ctx_t *c = arg;
    assert_int_equal(m->nparts, 2);
    deferred_t *d = calloc(1, sizeof *d);
    d->c = c;
    zmq_msg_init(&d->id);
    zmq_msg_init(&d->body);
    zmq_msg_move(&d->id, &m->parts[0]);
    zmq_msg_move(&d->body, &m->parts[1]);
    uv_timer_init(&c->loop, &d->t);
    d->t.data = d;
    uv_timer_start(&d->t, on_deferred, 0, 0);
}

static void on_dealer(fp_zsock_t *zs, fp_zmsg_t *m, void *arg)
{
    ctx_t *c = arg;
    if (++c->received == c->expected) uv_stop(&c->loop);
}

static void test_replies_sent_from_deferred_callbacks(void **state)
{
    ctx_t c;
    setup_loop(&c, 3000);
    void *ctx = zmq_ctx_new();
    void *router = zmq_socket(ctx, ZMQ_ROUTER), *dealer = zmq_socket(ctx, ZMQ_DEALER);
    int hwm = 0;
    zmq_setsockopt(router, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(router, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(dealer, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(dealer, ZMQ_RCVHWM, &hwm, sizeof hwm);
    assert_int_equal(zmq_bind(router, "inproc://deferred"), 0);
    assert_int_equal(zmq_connect(dealer, "inproc://deferred"), 0);
    assert_int_equal(fp_zsock_new(&c.loop, router, on_router, &c, &c.zs), FP_OK);
    assert_int_equal(fp_zsock_new(&c.loop, dealer, on_dealer, &c, &c.zs2), FP_OK);
    for (int i = 0; i < c.expected; i++) assert_int_equal(zmq_send(dealer, "req", 3, 0), 3);
    uv_run(&c.loop, UV_RUN_DEFAULT);
    assert_false(c.timed_out);
    assert_int_equal(c.received, c.expected);
    teardown_loop(&c);
    zmq_close(router);
    zmq_close(dealer);
    zmq_ctx_term(ctx);
}

/* The loop goes to sleep with nothing to read; a timer then sends a burst. */
static void on_burst(uv_timer_t *t)
{
    ctx_t *c = t->data;
    for (int i = 0; i < c->expected; i++) {
        char b[32];
        int n = snprintf(b, sizeof b, "msg-%d", i);
        zmq_send(c->push, b, (size_t)n, 0);
    }
}

static void test_burst_while_sleeping(void **state)
{
    ctx_t c;
    setup_loop(&c, 2000);
    void *ctx = zmq_ctx_new();
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    c.push = zmq_socket(ctx, ZMQ_PUSH);
    int hwm = 0;
    zmq_setsockopt(pull, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(c.push, ZMQ_SNDHWM, &hwm, sizeof hwm);
    assert_int_equal(zmq_bind(pull, "ipc:///tmp/fp-zsock-test.ipc"), 0);
    assert_int_equal(zmq_connect(c.push, "ipc:///tmp/fp-zsock-test.ipc"), 0);
    assert_int_equal(fp_zsock_new(&c.loop, pull, on_pull, &c, &c.zs), FP_OK);
    uv_timer_t burst;
    uv_timer_init(&c.loop, &burst);
    burst.data = &c;
    uv_timer_start(&burst, on_burst, 200, 0);
    uv_run(&c.loop, UV_RUN_DEFAULT);
    assert_false(c.timed_out);
    assert_int_equal(c.received, c.expected);
    teardown_loop(&c);
    zmq_close(pull);
    zmq_close(c.push);
    zmq_ctx_term(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messages_queued_before_first_poll),
        cmocka_unit_test(test_replies_sent_from_deferred_callbacks),
        cmocka_unit_test(test_burst_while_sleeping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
