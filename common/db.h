/* db.h: PostgreSQL on the libuv loop, never blocking it. One connection, a FIFO of queries
 * (one in flight), prepared statements re-prepared on every (re)connection, LISTEN channels
 * re-issued on reconnect, COPY FROM STDIN for batched writes, and reconnection with
 * exponential backoff when the server goes away. Queued work fails fast (callback with a NULL
 * result) while the database is down: callers answer UNAVAILABLE rather than hang.
 *
 * A server that stops answering (stopped, hung, its host gone) is a lost connection too: the
 * conninfo gets TCP keepalives, tcp_user_timeout and connect_timeout unless it sets them
 * (fp_db_conninfo_defaults), every session gets statement_timeout and
 * idle_in_transaction_session_timeout, and a watchdog drops the connection when a statement
 * has heard nothing from the server for statement_timeout + FP_DB_WATCHDOG_GRACE_MS, or a
 * connection attempt has not finished within connect_timeout. */
#ifndef FP_DB_H
#define FP_DB_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <uv.h>

#include "err.h"
#include "mem.h"
#include "metrics.h"

typedef struct fp_db fp_db_t;

/* res is NULL when the query could not run (database down); otherwise a result whose status
 * the callee checks (PGRES_TUPLES_OK / PGRES_COMMAND_OK / PGRES_FATAL_ERROR...). The result is
 * cleared after the callback returns. */
typedef void (*fp_db_result_fn)(fp_db_t *db, PGresult *res, void *arg);
/* Called when the connection comes up (up=true, after statements are prepared and channels
 * listened: scan for work missed while down) and when it is lost (up=false). */
typedef void (*fp_db_state_fn)(fp_db_t *db, bool up, void *arg);
/* Called for each row (one CopyData message: len bytes at data, valid during the call) of a
 * COPY ... TO STDOUT (fp_db_copy_out): true to go on, false to pause (fp_db_copy_out_resume). */
typedef bool (*fp_db_copy_row_fn)(fp_db_t *db, const char *data, size_t len, void *arg);
/* Called for each NOTIFY on a listened channel. */
typedef void (*fp_db_notify_fn)(fp_db_t *db, const char *channel, const char *payload, void *arg);

typedef struct {
    int backoff_min_ms; /* first reconnect delay (default 100) */
    int backoff_max_ms; /* cap (default 5000) */
    /* statement_timeout and idle_in_transaction_session_timeout of every session, and the
     * watchdog's limit (plus FP_DB_WATCHDOG_GRACE_MS); 0 = none of them */
    int statement_timeout_ms;
    fp_db_state_fn on_state;
    fp_db_notify_fn on_notify;
    void *arg;
} fp_db_opts_t;

/* How long past statement_timeout the server may stay silent on a statement before the
 * watchdog drops the connection (a server enforces statement_timeout itself; one that is
 * stopped cannot). */
#define FP_DB_WATCHDOG_GRACE_MS 2000

/* conninfo (keyword/value or URI) rewritten as keyword/value with the defaults for a server that
 * stops answering: keepalives=1 keepalives_idle=5 keepalives_interval=2 keepalives_count=3
 * tcp_user_timeout=10000 connect_timeout=5, each only where neither conninfo nor its
 * environment variable (PGCONNECT_TIMEOUT...) sets it. Malloc'd; NULL when conninfo is invalid. */
char *fp_db_conninfo_defaults(const char *conninfo);

fp_err_t fp_db_new(uv_loop_t *loop, const char *conninfo, const fp_db_opts_t *opts, fp_db_t **out);
/* Fails queued work, closes the connection; NULL-safe, nulls *p. */
void fp_db_destroy(fp_db_t **p);

/* Registers a statement prepared on every connection (before any queued query runs). Call
 * before or after fp_db_new's connection comes up. */
void fp_db_prepare(fp_db_t *db, const char *name, const char *sql, int nparams);
/* LISTENs on channel on every connection. */
void fp_db_listen(fp_db_t *db, const char *channel);

enum {
    FP_DB_FRONT = 1, /* run before other queued work: to continue a transaction chain */
    FP_DB_BINARY = 2 /* fp_db_query with parameters: every column's value in binary format (bytea as its bytes,
                        text as it is, both still followed by a zero byte; PQgetlength for the bytes' length) */
};

/* Inside a transaction chain: ROLLBACK, queued in front, its result ignored (a connection lost
 * meanwhile rolls the transaction back anyway). */
void fp_db_rollback(fp_db_t *db);
/* True when res failed on a unique violation (SQLSTATE 23505), of constraint when it is not
 * NULL: in a chained write, the same request committed meanwhile by a concurrent retry. */
bool fp_db_unique_violation(const PGresult *res, const char *constraint);

/* Queues a query with text parameters (copied). sql may hold several statements when
 * nparams is 0 (simple protocol); the last result, or the first error, is delivered. */
void fp_db_query(fp_db_t *db, int flags, const char *sql, int nparams, const char *const *params, fp_db_result_fn cb,
                 void *arg);
/* Queues execution of a prepared statement. */
void fp_db_exec(fp_db_t *db, int flags, const char *stmt, int nparams, const char *const *params, fp_db_result_fn cb,
                void *arg);
/* Queues `copy_sql` (a COPY ... FROM STDIN) with its data in text format; takes *data. */
void fp_db_copy(fp_db_t *db, int flags, const char *copy_sql, fp_buf_t *data, fp_db_result_fn cb, void *arg);

/* Queues `copy_sql` (a COPY ... TO STDOUT): row gets each row as it arrives, then cb the COPY's
 * result (NULL when the connection went away). A row callback that returns false pauses the COPY:
 * the socket is not read (the server waits when its buffers are full, and the watchdog does not
 * count) until fp_db_copy_out_resume, which is not to be called from inside the row callback. */
void fp_db_copy_out(fp_db_t *db, int flags, const char *copy_sql, fp_db_copy_row_fn row, fp_db_result_fn cb,
                    void *arg);
/* Goes on with a paused COPY ... TO STDOUT: first with the rows libpq already holds. */
void fp_db_copy_out_resume(fp_db_t *db);

/* A connection's instruments, shared by all the connections of a service (fp_service_db_metrics);
 * any may be NULL. seconds: each statement's time from sent to its last result (a statement cut
 * off by a lost connection is not counted, nor a COPY ... TO STDOUT: it lasts as long as its
 * reader takes); errors: statements that failed, except integrity
 * violations (SQLSTATE class 23: a duplicate request id the services expect and answer), which
 * count in violations; queue: statements queued or running, added to and taken from as they
 * come and go (the ones already queued are added now). */
typedef struct {
    fp_histogram_t *seconds;
    fp_counter_t *errors;
    fp_counter_t *violations;
    fp_gauge_t *queue;
} fp_db_metrics_t;
void fp_db_set_metrics(fp_db_t *db, const fp_db_metrics_t *m);

bool fp_db_is_up(const fp_db_t *db);
unsigned fp_db_reconnects(const fp_db_t *db);
size_t fp_db_queue_len(const fp_db_t *db);
/* The last connection error (for logs and /readyz); "" when none. */
const char *fp_db_last_error(const fp_db_t *db);
/* The conninfo connected with (fp_db_conninfo_defaults of the one given). */
const char *fp_db_conninfo(const fp_db_t *db);
/* Times the watchdog dropped the connection because the server did not answer. */
unsigned fp_db_watchdog_drops(const fp_db_t *db);

/* A failed result for a log line: "SQLSTATE 23505: <primary message>", never DETAIL, HINT or
 * CONTEXT (DETAIL holds row values: a failing row's ID number, a duplicate key). Points to a
 * per-thread buffer, valid until the next call on the thread; res may be NULL. */
const char *fp_db_errmsg(const PGresult *res);
/* Routes the connection's NOTICE/WARNING messages to the JSON logger (severity, SQLSTATE and
 * primary message; never DETAIL) instead of libpq's default, a plain line on stderr. */
void fp_db_log_notices(PGconn *conn);

/* A COPY text-format field: escapes backslash, tab, newline, carriage return; NULL is \N. */
void fp_db_copy_field(fp_buf_t *b, const char *s);
/* The same for the n bytes at s (which need not be NUL-terminated). */
void fp_db_copy_fieldn(fp_buf_t *b, const char *s, size_t n);

#endif
