/* db_test.c: common/db.c against the test run's real PostgreSQL: prepared statements,
 * multi-statement errors, COPY batches, front-chained transactions, LISTEN/NOTIFY, the server
 * killing our connection (reconnect, statements re-prepared, channels re-listened), work
 * failing fast while the database is unreachable, the session timeouts, and the watchdog on a
 * server that accepts the connection and never answers. (A server that stops answering in the
 * middle of a statement: tests/integration/test_db_freeze.py.) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "db.h"

static char g_conninfo[256];

typedef struct {
    int done;
    int had_result;
    ExecStatusType status;
    char value[256];
    int ntuples;
    char error[256];
} res_t;

typedef struct {
    int ups, downs, notifies;
    char last_payload[64];
} state_t;

static void on_res(fp_db_t *db, PGresult *res, void *arg)
{
    res_t *r = arg;
    r->done = 1;
    r->had_result = res != NULL;
    if (!res) return;
    r->status = PQresultStatus(res);
    r->ntuples = PQntuples(res);
    if (r->ntuples > 0 && PQnfields(res) > 0) snprintf(r->value, sizeof r->value, "%s", PQgetvalue(res, 0, 0));
    snprintf(r->error, sizeof r->error, "%s", PQresultErrorMessage(res));
}

static void on_state(fp_db_t *db, bool up, void *arg)
{
    state_t *s = arg;
    if (up) s->ups++;
    else s->downs++;
}

static void on_notify(fp_db_t *db, const char *ch, const char *payload, void *arg)
{
    state_t *s = arg;
    s->notifies++;
    snprintf(s->last_payload, sizeof s->last_payload, "%s", payload);
}

static void run_until(uv_loop_t *loop, const int *flag, int ms)
{
    uint64_t end = uv_now(loop) + (uint64_t)ms;
    while (!*flag && uv_now(loop) < end) { /* NOWAIT + sleep: never blocks past the deadline */
        uv_run(loop, UV_RUN_NOWAIT);
        if (*flag) break;
        uv_sleep(1);
        uv_update_time(loop);
    }
}

static void sync_query(uv_loop_t *loop, fp_db_t *db, const char *sql, res_t *r)
{
    memset(r, 0, sizeof *r);
    fp_db_query(db, 0, sql, 0, NULL, on_res, r);
    run_until(loop, &r->done, 10000);
    assert_true(r->done);
}

static void blocking(const char *sql, char *out, size_t outlen)
{
    PGconn *c = PQconnectdb(g_conninfo);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    assert_true(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK);
    if (out) snprintf(out, outlen, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    PQfinish(c);
}

typedef struct {
    uv_loop_t loop;
    fp_db_t *db;
    state_t st;
} fx_t;

static void wait_up(fx_t *f, int ups)
{
    uint64_t end = uv_now(&f->loop) + 10000;
    while (f->st.ups < ups && uv_now(&f->loop) < end) {
        uv_run(&f->loop, UV_RUN_NOWAIT);
        uv_sleep(2);
        uv_update_time(&f->loop);
    }
    assert_int_equal(f->st.ups, ups);
}

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    uv_loop_init(&f->loop);
    fp_db_opts_t o = {.backoff_min_ms = 20,
                      .backoff_max_ms = 200,
                      .on_state = on_state,
                      .on_notify = on_notify,
                      .arg = &f->st};
    assert_int_equal(fp_db_new(&f->loop, g_conninfo, &o, &f->db), FP_OK);
    fp_db_prepare(f->db, "add", "SELECT ($1::int + $2::int)::text", 2);
    fp_db_listen(f->db, "fp_test_chan");
    wait_up(f, 1);
    *state = f;
    return 0;
}

/* The same with statement_timeout_ms = 500. */
static int setup_timeouts(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    uv_loop_init(&f->loop);
    fp_db_opts_t o = {.backoff_min_ms = 20,
                      .backoff_max_ms = 200,
                      .statement_timeout_ms = 500,
                      .on_state = on_state,
                      .arg = &f->st};
    assert_int_equal(fp_db_new(&f->loop, g_conninfo, &o, &f->db), FP_OK);
    wait_up(f, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    fp_db_destroy(&f->db);
    fp_db_destroy(&f->db); /* safe twice */
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    free(f);
    return 0;
}

static void test_prepared_and_params(void **state)
{
    fx_t *f = *state;
    res_t r = {0};
    const char *p[2] = {"40", "2"};
    fp_db_exec(f->db, 0, "add", 2, p, on_res, &r);
    run_until(&f->loop, &r.done, 5000);
    assert_int_equal(r.status, PGRES_TUPLES_OK);
    assert_string_equal(r.value, "42");
    memset(&r, 0, sizeof r);
    const char *q[1] = {"兴隆县\t'quoted'"};
    fp_db_query(f->db, 0, "SELECT $1::text", 1, q, on_res, &r);
    run_until(&f->loop, &r.done, 5000);
    assert_string_equal(r.value, "兴隆县\t'quoted'");
}

static void test_error_then_connection_still_usable(void **state)
{
    fx_t *f = *state;
    res_t r;
    sync_query(&f->loop, f->db, "SELECT 1; SELECT no_such_column FROM pg_class; SELECT 3", &r);
    assert_int_equal(r.status, PGRES_FATAL_ERROR);
    assert_non_null(strstr(r.error, "no_such_column"));
    sync_query(&f->loop, f->db, "SELECT 'still fine'", &r);
    assert_string_equal(r.value, "still fine");
    assert_int_equal(f->st.downs, 0);
}

static void test_copy_batch(void **state)
{
    fx_t *f = *state;
    res_t r;
    sync_query(&f->loop, f->db, "DROP TABLE IF EXISTS fp_copy_t; CREATE TABLE fp_copy_t (n int, s text)", &r);
    assert_int_equal(r.status, PGRES_COMMAND_OK);
    fp_buf_t b = {0};
    for (int i = 0; i < 200000; i++) {
        fp_buf_printf(&b, "%d\t", i);
        fp_db_copy_field(&b, i % 1000 == 0 ? "tab\there\\back\nnewline" : "村民");
        fp_buf_puts(&b, "\n");
    }
    memset(&r, 0, sizeof r);
    fp_db_copy(f->db, 0, "COPY fp_copy_t (n, s) FROM STDIN", &b, on_res, &r);
    assert_null(b.data); /* taken */
    run_until(&f->loop, &r.done, 20000);
    assert_int_equal(r.status, PGRES_COMMAND_OK);
    sync_query(&f->loop, f->db, "SELECT count(*) || ':' || sum(n) FROM fp_copy_t", &r);
    assert_string_equal(r.value, "200000:19999900000");
    sync_query(&f->loop, f->db, "SELECT s FROM fp_copy_t WHERE n = 5000", &r);
    assert_string_equal(r.value, "tab\there\\back\nnewline");
    /* a COPY with a bad row fails as a whole and leaves the connection usable */
    fp_buf_puts(&b, "1\tok\nnot-a-number\tbad\n");
    memset(&r, 0, sizeof r);
    fp_db_copy(f->db, 0, "COPY fp_copy_t (n, s) FROM STDIN", &b, on_res, &r);
    run_until(&f->loop, &r.done, 5000);
    assert_int_equal(r.status, PGRES_FATAL_ERROR);
    sync_query(&f->loop, f->db, "SELECT count(*) FROM fp_copy_t", &r);
    assert_string_equal(r.value, "200000");
}

/* A transaction chain: each step queues the next at the front, so queued work cannot interleave. */
typedef struct {
    fx_t *f;
    int step;
    int done;
    ExecStatusType last;
} chain_t;

static void on_chain(fp_db_t *db, PGresult *res, void *arg)
{
    chain_t *c = arg;
    static const char *const steps[] = {"INSERT INTO fp_chain_t VALUES (1)", "INSERT INTO fp_chain_t VALUES (2)",
                                        "COMMIT"};
    c->last = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (c->step < 3) fp_db_query(db, FP_DB_FRONT, steps[c->step++], 0, NULL, on_chain, c);
    else c->done = 1;
}

static void test_front_chained_transaction(void **state)
{
    fx_t *f = *state;
    res_t r, other;
    sync_query(&f->loop, f->db, "DROP TABLE IF EXISTS fp_chain_t; CREATE TABLE fp_chain_t (n int)", &r);
    chain_t c = {.f = f};
    fp_db_query(f->db, 0, "BEGIN", 0, NULL, on_chain, &c);
    memset(&other, 0, sizeof other);
    /* queued behind BEGIN: must see the committed rows, i.e. run after COMMIT */
    fp_db_query(f->db, 0, "SELECT count(*) FROM fp_chain_t", 0, NULL, on_res, &other);
    run_until(&f->loop, &other.done, 5000);
    assert_true(c.done);
    assert_int_equal(c.last, PGRES_COMMAND_OK);
    assert_string_equal(other.value, "2");
}

static void test_notify(void **state)
{
    fx_t *f = *state;
    blocking("NOTIFY fp_test_chan, 'hello'", NULL, 0);
    int target = 1;
    uint64_t end = uv_now(&f->loop) + 5000;
    while (f->st.notifies < target && uv_now(&f->loop) < end) {
        uv_run(&f->loop, UV_RUN_NOWAIT);
        uv_sleep(2);
        uv_update_time(&f->loop);
    }
    assert_int_equal(f->st.notifies, 1);
    assert_string_equal(f->st.last_payload, "hello");
}

static void test_server_kills_connection_then_reconnect(void **state)
{
    fx_t *f = *state;
    res_t r;
    sync_query(&f->loop, f->db, "SELECT pg_backend_pid()", &r);
    char sql[400], out[64];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%s)", r.value);
    blocking(sql, out, sizeof out);
    assert_string_equal(out, "t");
    /* the next query either fails (NULL) or finds the connection already replaced */
    sync_query(&f->loop, f->db, "SELECT 1", &r);
    wait_up(f, 2);
    assert_int_equal(f->st.downs, 1);
    assert_int_equal(fp_db_reconnects(f->db), 1);
    /* statements re-prepared and channels re-listened on the new connection */
    const char *p[2] = {"1", "2"};
    memset(&r, 0, sizeof r);
    fp_db_exec(f->db, 0, "add", 2, p, on_res, &r);
    run_until(&f->loop, &r.done, 5000);
    assert_string_equal(r.value, "3");
    blocking("NOTIFY fp_test_chan, 'again'", NULL, 0);
    uint64_t end = uv_now(&f->loop) + 5000;
    while (strcmp(f->st.last_payload, "again") != 0 && uv_now(&f->loop) < end) {
        uv_run(&f->loop, UV_RUN_NOWAIT);
        uv_sleep(2);
        uv_update_time(&f->loop);
    }
    assert_string_equal(f->st.last_payload, "again");
}

static void test_unreachable_fails_fast(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    fp_db_t *db = NULL;
    fp_db_opts_t o = {.backoff_min_ms = 50, .backoff_max_ms = 100};
    assert_int_equal(fp_db_new(&loop, "host=127.0.0.1 port=1 dbname=x user=x connect_timeout=2", &o, &db), FP_OK);
    res_t r = {0};
    fp_db_query(db, 0, "SELECT 1", 0, NULL, on_res, &r);
    run_until(&loop, &r.done, 3000);
    assert_true(r.done);
    assert_false(r.had_result);
    assert_false(fp_db_is_up(db));
    assert_true(strlen(fp_db_last_error(db)) > 0);
    fp_db_destroy(&db);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    /* a malformed conninfo is refused up front */
    assert_int_equal(fp_db_new(&loop, "host=127.0.0.1 no_such_option=1", &o, &db), FP_ECONFIG);
}

static void test_session_timeouts(void **state)
{
    fx_t *f = *state;
    res_t r;
    sync_query(&f->loop, f->db, "SHOW statement_timeout", &r);
    assert_string_equal(r.value, "500ms");
    sync_query(&f->loop, f->db, "SHOW idle_in_transaction_session_timeout", &r);
    assert_string_equal(r.value, "500ms");
    /* the server cancels what runs too long, and says so: the watchdog leaves that alone */
    sync_query(&f->loop, f->db, "SELECT pg_sleep(60)", &r);
    assert_true(r.had_result);
    assert_int_equal(r.status, PGRES_FATAL_ERROR);
    assert_non_null(strstr(r.error, "statement timeout"));
    sync_query(&f->loop, f->db, "SELECT 7", &r);
    assert_string_equal(r.value, "7");
    assert_int_equal(fp_db_watchdog_drops(f->db), 0);
    assert_int_equal(f->st.downs, 0);
    assert_non_null(strstr(fp_db_conninfo(f->db), "tcp_user_timeout='10000'"));
}

/* A listening socket nobody accepts from: the kernel completes the TCP handshake, and the
 * "server" never says a word, as a stopped postmaster. */
static int silent_listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 16), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void test_connect_watchdog(void **state)
{
    int port = 0;
    int fd = silent_listener(&port);
    uv_loop_t loop;
    uv_loop_init(&loop);
    char ci[128];
    snprintf(ci, sizeof ci, "host=127.0.0.1 port=%d dbname=x user=x connect_timeout=2", port);
    fp_db_opts_t o = {.backoff_min_ms = 50, .backoff_max_ms = 100, .statement_timeout_ms = 500};
    fp_db_t *db = NULL;
    assert_int_equal(fp_db_new(&loop, ci, &o, &db), FP_OK);
    uint64_t end = uv_now(&loop) + 20000; /* a bound for a hang, far above connect_timeout */
    while (fp_db_watchdog_drops(db) == 0 && uv_now(&loop) < end) {
        uv_run(&loop, UV_RUN_NOWAIT);
        uv_sleep(5);
        uv_update_time(&loop);
    }
    assert_true(fp_db_watchdog_drops(db) >= 1);
    assert_false(fp_db_is_up(db));
    assert_non_null(strstr(fp_db_last_error(db), "connect_timeout"));
    res_t r = {0};
    fp_db_query(db, 0, "SELECT 1", 0, NULL, on_res, &r); /* fails fast while down */
    run_until(&loop, &r.done, 20000);
    assert_true(r.done);
    assert_false(r.had_result);
    fp_db_destroy(&db);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    close(fd);
}

/* A chained write's duplicate: a unique violation, of the constraint named or of any. */
static void test_unique_violation(void **st)
{
    PGconn *c = PQconnectdb(g_conninfo);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PQclear(PQexec(c, "CREATE TEMP TABLE uv (a int CONSTRAINT uv_a UNIQUE, b int CHECK (b > 0))"));
    PQclear(PQexec(c, "INSERT INTO uv VALUES (1, 1)"));
    PGresult *dup = PQexec(c, "INSERT INTO uv VALUES (1, 2)");
    PGresult *chk = PQexec(c, "INSERT INTO uv VALUES (2, 0)");
    assert_true(fp_db_unique_violation(dup, NULL));
    assert_true(fp_db_unique_violation(dup, "uv_a"));
    assert_false(fp_db_unique_violation(dup, "other"));
    assert_false(fp_db_unique_violation(chk, NULL)); /* another violation */
    assert_false(fp_db_unique_violation(NULL, NULL));
    PQclear(dup);
    PQclear(chk);
    PQfinish(c);
}

int main(void)
{
    const char *var = getenv("FANGPIN_TEST_VAR");
    char path[512];
    snprintf(path, sizeof path, "%s/pg/port", var ? var : ".");
    FILE *fpo = fopen(path, "r");
    int port = 0;
    if (!fpo || fscanf(fpo, "%d", &port) != 1) {
        fprintf(stderr, "db_test: no test PostgreSQL (%s)\n", path);
        return 1;
    }
    fclose(fpo);
    snprintf(g_conninfo, sizeof g_conninfo, "host=127.0.0.1 port=%d dbname=postgres user=postgres", port);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_prepared_and_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_then_connection_still_usable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_front_chained_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_kills_connection_then_reconnect, setup, teardown),
        cmocka_unit_test(test_unreachable_fails_fast),
        cmocka_unit_test_setup_teardown(test_session_timeouts, setup_timeouts, teardown),
        cmocka_unit_test(test_connect_watchdog),
        cmocka_unit_test(test_unique_violation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
