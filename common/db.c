/* db.c: non-blocking libpq on libuv (see db.h). Rules from libpq's docs and others' bugs:
 * PQsocket() may change between PQconnectPoll calls, so the poll handle follows the fd; on
 * readable run PQconsumeInput then PQgetResult while not busy; poll writable only while
 * PQflush returns 1; NOTIFY is lost while disconnected, so on_state(up) tells the owner to scan.
 * libpq ignores connect_timeout under PQconnectPoll ("the application's responsibility"), and
 * keepalives do not see a server process that is stopped (its kernel still answers them): the
 * watchdog timer covers both. */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* The defaults of fp_db_conninfo_defaults, in the order they are appended. */
static const struct {
    const char *keyword, *value;
} S_CONN_DEFAULTS[] = {
    {"keepalives", "1"},       {"keepalives_idle", "5"},      {"keepalives_interval", "2"},
    {"keepalives_count", "3"}, {"tcp_user_timeout", "10000"}, {"connect_timeout", "5"},
};

#define S_COPY_CHUNK 65536

typedef enum { Q_QUERY, Q_EXEC, Q_COPY, Q_COPY_OUT, Q_PREPARE, Q_LISTEN } s_qkind_t;

typedef struct s_query {
    s_qkind_t kind;
    char *sql;  /* SQL text, or statement name for Q_EXEC */
    char *sql2; /* Q_PREPARE: the statement's SQL */
    int nparams;
    char **params;
    int binary; /* Q_QUERY with FP_DB_BINARY: results in binary format */
    fp_buf_t data; /* Q_COPY */
    size_t copy_off;
    int copy_ended;
    fp_db_copy_row_fn row; /* Q_COPY_OUT: each row of the COPY ... TO STDOUT */
    fp_db_result_fn cb;
    void *arg;
    uint64_t sent_ns; /* uv_hrtime when sent */
    struct s_query *next;
} s_query_t;

typedef struct {
    char *name, *sql;
    int nparams;
} s_stmt_t;

typedef enum { S_DOWN, S_CONNECTING, S_SETUP, S_READY, S_CLOSED } s_state_t;

struct fp_db {
    uv_loop_t *loop;
    char *conninfo;
    fp_db_opts_t opts;
    PGconn *conn;
    s_state_t state;
    uv_poll_t *poll;
    int poll_fd;
    int poll_events;
    uv_timer_t reconnect_timer;
    uv_timer_t fail_timer;
    uv_timer_t watchdog;    /* a statement or a connection attempt the server does not answer */
    uint64_t heard;         /* uv_now when the current statement was sent or the server last spoke */
    int connect_timeout_ms; /* the conninfo's connect_timeout; 0 = none */
    unsigned watchdog_drops;
    s_query_t *head, *tail;
    size_t qlen;
    s_query_t *inflight;
    PGresult *kept;
    int copy_started;
    int copy_out;    /* the query in flight is in its COPY ... TO STDOUT's rows */
    int copy_paused; /* ... and its row callback asked to pause: the socket is not read */
    s_stmt_t *stmts;
    size_t nstmts;
    char **channels;
    size_t nchannels;
    int setup_pending;
    int backoff_ms;
    unsigned reconnects;
    int ever_up;
    char last_error[256];
    int pending_closes;
    fp_db_metrics_t metrics;
};

static void s_pump(fp_db_t *db);
static void s_watch(fp_db_t *db, int events);
static void s_update_poll(fp_db_t *db);
static void s_connect(fp_db_t *db);

static void s_query_free(s_query_t *q)
{
    free(q->sql);
    free(q->sql2);
    for (int i = 0; q->params && i < q->nparams; i++) free(q->params[i]);
    free(q->params);
    fp_buf_free(&q->data);
    free(q);
}

static void s_set_error(fp_db_t *db, const char *msg)
{
    snprintf(db->last_error, sizeof db->last_error, "%s", msg ? msg : "");
    size_t n = strlen(db->last_error);
    while (n && (db->last_error[n - 1] == '\n' || db->last_error[n - 1] == ' ')) db->last_error[--n] = 0;
}

static void s_complete(fp_db_t *db, s_query_t *q, PGresult *res)
{
    fp_gauge_add(db->metrics.queue, -1);
    if (q->cb) q->cb(db, res, q->arg);
    s_query_free(q);
}

/* A statement answered: its time, and its error if it failed. */
static void s_observe(fp_db_t *db, const s_query_t *q, const PGresult *res)
{
    if (q->kind != Q_COPY_OUT) fp_histogram_observe(db->metrics.seconds, (double)(uv_hrtime() - q->sent_ns) / 1e9);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_FATAL_ERROR && st != PGRES_BAD_RESPONSE) return;
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    fp_counter_add(state && !strncmp(state, "23", 2) ? db->metrics.violations : db->metrics.errors, 1);
}

/* Fails everything queued (not the in-flight query), callbacks get NULL. */
static void s_fail_queue(fp_db_t *db)
{
    while (db->head) {
        s_query_t *q = db->head;
        db->head = q->next;
        if (!db->head) db->tail = NULL;
        db->qlen--;
        s_complete(db, q, NULL);
    }
}

/* The connection is gone or going: the kept result is dropped, and the query in flight and
 * every queued one fail (callbacks get NULL). */
static void s_drop_work(fp_db_t *db)
{
    if (db->kept) PQclear(db->kept);
    db->kept = NULL;
    db->copy_out = 0;
    db->copy_paused = 0;
    if (db->inflight) {
        s_query_t *q = db->inflight;
        db->inflight = NULL;
        s_complete(db, q, NULL);
    }
    s_fail_queue(db);
}

static void s_on_fail_timer(uv_timer_t *t)
{
    fp_db_t *db = t->data;
    if (db->state == S_DOWN || db->state == S_CONNECTING) s_fail_queue(db);
}

static void s_on_poll_close(uv_handle_t *h)
{
    fp_db_t *db = h->data;
    free(h);
    if (--db->pending_closes == 0 && db->state == S_CLOSED) free(db);
}

static void s_drop_poll(fp_db_t *db)
{
    if (!db->poll) return;
    uv_poll_stop(db->poll);
    db->pending_closes++;
    uv_close((uv_handle_t *)db->poll, s_on_poll_close);
    db->poll = NULL;
    db->poll_fd = -1;
    db->poll_events = 0;
}

static void s_on_reconnect_timer(uv_timer_t *t) { s_connect(t->data); }

static void s_schedule_reconnect(fp_db_t *db)
{
    int delay = db->backoff_ms;
    db->backoff_ms = db->backoff_ms * 2 > db->opts.backoff_max_ms ? db->opts.backoff_max_ms : db->backoff_ms * 2;
    uv_timer_start(&db->reconnect_timer, s_on_reconnect_timer, (uint64_t)delay, 0);
}

/* The connection is gone: fail what was asked, tell the owner, try again later. */
static void s_lost(fp_db_t *db, const char *why)
{
    s_state_t was = db->state;
    s_set_error(db, why);
    uv_timer_stop(&db->watchdog);
    s_drop_poll(db);
    if (db->conn) {
        PQfinish(db->conn);
        db->conn = NULL;
    }
    db->state = S_DOWN;
    s_drop_work(db);
    if (was == S_READY || was == S_SETUP) {
        fp_log_warn("database connection lost", "error", db->last_error);
        if (was == S_READY && db->opts.on_state) db->opts.on_state(db, false, db->opts.arg);
    }
    if (db->state != S_CLOSED) s_schedule_reconnect(db);
}

/* --- the watchdog ---------------------------------------------------------------------------- */

/* What the watchdog allows now, in ms: connect_timeout while connecting, statement_timeout plus
 * the grace while a statement is out; 0 when nothing is awaited (or no limit is set). */
static uint64_t s_watch_limit(const fp_db_t *db)
{
    if (db->state == S_CONNECTING) return (uint64_t)db->connect_timeout_ms;
    if (db->inflight && !db->copy_paused && db->opts.statement_timeout_ms > 0 &&
        (db->state == S_READY || db->state == S_SETUP))
        return (uint64_t)db->opts.statement_timeout_ms + FP_DB_WATCHDOG_GRACE_MS;
    return 0;
}

static void s_watchdog_drop(fp_db_t *db, uint64_t limit)
{
    char msg[200];
    db->watchdog_drops++;
    if (db->state == S_CONNECTING) {
        snprintf(msg, sizeof msg, "the server did not complete the connection within connect_timeout (%llu ms)",
                 (unsigned long long)limit);
        if (!db->ever_up || db->reconnects % 16 == 0) fp_log_warn("database connect failed", "error", msg);
    } else {
        snprintf(msg, sizeof msg,
                 "the server did not answer a statement within statement_timeout + %d ms (%llu ms): dropped",
                 FP_DB_WATCHDOG_GRACE_MS, (unsigned long long)limit);
    }
    s_lost(db, msg);
}

static void s_on_watchdog(uv_timer_t *t)
{
    fp_db_t *db = t->data;
    uint64_t limit = s_watch_limit(db);
    uint64_t waited = uv_now(db->loop) - db->heard;
    if (limit == 0) return;
    if (waited < limit) uv_timer_start(&db->watchdog, s_on_watchdog, limit - waited, 0);
    else s_watchdog_drop(db, limit);
}

/* Starts the watchdog's count again: a statement was sent, or a connection attempt began. */
static void s_watch_start(fp_db_t *db)
{
    db->heard = uv_now(db->loop);
    uint64_t limit = s_watch_limit(db);
    if (limit && !uv_is_active((uv_handle_t *)&db->watchdog)) uv_timer_start(&db->watchdog, s_on_watchdog, limit, 0);
}

/* --- the queue ------------------------------------------------------------------------------ */

static void s_enqueue(fp_db_t *db, s_query_t *q, int front)
{
    if (front && db->head) {
        q->next = db->head;
        db->head = q;
    } else if (front) {
        db->head = db->tail = q;
    } else {
        if (db->tail) db->tail->next = q;
        else db->head = q;
        db->tail = q;
    }
    db->qlen++;
    fp_gauge_add(db->metrics.queue, 1);
}

/* Continues a COPY's data; returns -1 on failure, 0 when it must wait for writable, 1 done. */
static int s_copy_push(fp_db_t *db, s_query_t *q)
{
    while (q->copy_off < q->data.len) {
        size_t n = q->data.len - q->copy_off;
        if (n > S_COPY_CHUNK) n = S_COPY_CHUNK;
        int r = PQputCopyData(db->conn, q->data.data + q->copy_off, (int)n);
        if (r < 0) return -1;
        if (r == 0) return 0;
        q->copy_off += n;
    }
    if (!q->copy_ended) {
        int r = PQputCopyEnd(db->conn, NULL);
        if (r < 0) return -1;
        if (r == 0) return 0;
        q->copy_ended = 1;
    }
    return 1;
}

static void s_deliver(fp_db_t *db)
{
    s_query_t *q = db->inflight;
    PGresult *res = db->kept;
    db->inflight = NULL;
    db->kept = NULL;
    db->copy_started = 0;
    db->copy_out = 0;
    db->copy_paused = 0;
    if (q && res) s_observe(db, q, res);
    if (q) s_complete(db, q, res);
    PQclear(res);
}

/* Hands the rows of a COPY ... TO STDOUT that libpq has read to the row callback: 1 when the COPY's
 * rows ended (its result follows), 0 when more must be read or the callback paused it, -1 when the
 * connection failed. */
static int s_copy_pull(fp_db_t *db)
{
    s_query_t *q = db->inflight;
    while (!db->copy_paused) {
        char *buf = NULL;
        int n = PQgetCopyData(db->conn, &buf, 1);
        if (n == 0) return 0;
        if (n == -1) {
            db->copy_out = 0;
            return 1;
        }
        if (n < 0) {
            s_lost(db, PQerrorMessage(db->conn));
            return -1;
        }
        bool more = q->row(db, buf, (size_t)n, q->arg);
        PQfreemem(buf);
        if (!more) {
            db->copy_paused = 1;
            uv_timer_stop(&db->watchdog);
            s_watch(db, 0);
        }
    }
    return 0;
}

/* Reads every result that is ready; delivers the query when its results end. */
static void s_read_results(fp_db_t *db)
{
    if (db->copy_out && db->conn && db->inflight && s_copy_pull(db) <= 0) return;
    while (db->conn && db->inflight && !PQisBusy(db->conn)) {
        PGresult *res = PQgetResult(db->conn);
        if (!res) {
            s_deliver(db);
            if (db->state == S_SETUP && --db->setup_pending == 0) {
                db->state = S_READY;
                db->backoff_ms = db->opts.backoff_min_ms;
                if (db->ever_up) db->reconnects++;
                db->ever_up = 1;
                db->last_error[0] = '\0';
                fp_log_info("database ready");
                if (db->opts.on_state) db->opts.on_state(db, true, db->opts.arg);
            }
            s_pump(db);
            return;
        }
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_COPY_IN && db->inflight->kind == Q_COPY) {
            PQclear(res);
            db->copy_started = 1;
            int r = s_copy_push(db, db->inflight);
            if (r < 0) {
                s_lost(db, PQerrorMessage(db->conn));
                return;
            }
            s_update_poll(db);
            if (r == 0) return; /* resumes on writable */
            continue;
        }
        if (st == PGRES_COPY_OUT && db->inflight->kind == Q_COPY_OUT) {
            PQclear(res);
            db->copy_out = 1;
            if (s_copy_pull(db) <= 0) return; /* resumes on readable, or when resumed */
            continue;
        }
        if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
            /* Not a COPY this layer was asked to feed: end it with an error. */
            PQputCopyEnd(db->conn, "unexpected COPY");
            PQclear(res);
            continue;
        }
        int is_err = st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE;
        if (db->kept && (PQresultStatus(db->kept) == PGRES_FATAL_ERROR) && !is_err) {
            PQclear(res); /* keep the first error */
        } else {
            PQclear(db->kept);
            db->kept = res;
        }
    }
}

static void s_on_poll(uv_poll_t *h, int status, int events);

static void s_watch(fp_db_t *db, int events)
{
    int fd = db->conn ? PQsocket(db->conn) : -1;
    if (fd < 0) return;
    if (db->poll && db->poll_fd != fd) s_drop_poll(db);
    if (!db->poll) {
        db->poll = fp_new(uv_poll_t);
        if (uv_poll_init(db->loop, db->poll, fd) != 0) {
            free(db->poll);
            db->poll = NULL;
            return;
        }
        db->poll->data = db;
        db->poll_fd = fd;
        db->poll_events = 0;
    }
    if (events != db->poll_events) {
        if (events) uv_poll_start(db->poll, events, s_on_poll);
        else uv_poll_stop(db->poll);
        db->poll_events = events;
    }
}

/* After sending: flush, and watch writable only while libpq has unsent data. */
static void s_update_poll(fp_db_t *db)
{
    if (!db->conn) return;
    int r = PQflush(db->conn);
    if (r < 0) {
        s_lost(db, PQerrorMessage(db->conn));
        return;
    }
    s_query_t *q = db->inflight;
    int copy_waiting = q && q->kind == Q_COPY && db->copy_started && !q->copy_ended;
    s_watch(db, (db->copy_paused ? 0 : UV_READABLE) | (r == 1 || copy_waiting ? UV_WRITABLE : 0));
}

static int s_send(fp_db_t *db, s_query_t *q)
{
    switch (q->kind) {
    case Q_QUERY:
        if (q->nparams == 0) return PQsendQuery(db->conn, q->sql);
        return PQsendQueryParams(db->conn, q->sql, q->nparams, NULL, (const char *const *)q->params, NULL, NULL,
                                 q->binary);
    case Q_EXEC:
        return PQsendQueryPrepared(db->conn, q->sql, q->nparams, (const char *const *)q->params, NULL, NULL, 0);
    case Q_COPY:
    case Q_COPY_OUT:
    case Q_LISTEN: return PQsendQuery(db->conn, q->sql);
    case Q_PREPARE: return PQsendPrepare(db->conn, q->sql, q->sql2, q->nparams, NULL);
    }
    return 0;
}

static void s_pump(fp_db_t *db)
{
    if (db->inflight || !db->head || !db->conn) return;
    if (db->state != S_READY && db->state != S_SETUP) return;
    s_query_t *q = db->head;
    db->head = q->next;
    if (!db->head) db->tail = NULL;
    db->qlen--;
    q->next = NULL;
    db->inflight = q;
    q->sent_ns = uv_hrtime();
    if (!s_send(db, q)) {
        s_lost(db, PQerrorMessage(db->conn));
        return;
    }
    s_watch_start(db);
    s_update_poll(db);
}

const char *fp_db_errmsg(const PGresult *res)
{
    static _Thread_local char buf[512];
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg) msg = res ? PQresStatus(PQresultStatus(res)) : "no result (the connection is down)";
    snprintf(buf, sizeof buf, "SQLSTATE %s: %s", state ? state : "-----", msg);
    return buf;
}

static void s_notice(void *arg, const PGresult *res)
{
    (void)arg;
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    bool warning = sev && strcmp(sev, "WARNING") == 0;
    if (warning) fp_log_warn("database warning", "sqlstate", state ? state : "", "message", msg ? msg : "");
    else
        fp_log_debug("database notice", "severity", sev ? sev : "", "sqlstate", state ? state : "", "message",
                     msg ? msg : "");
}

void fp_db_log_notices(PGconn *conn)
{
    if (conn) PQsetNoticeReceiver(conn, s_notice, NULL);
}

static char *s_session_sql(const fp_db_t *db)
{
    fp_buf_t b = {0};
    fp_buf_puts(&b, "SET application_name = 'fangpin'");
    int ms = db->opts.statement_timeout_ms;
    if (ms > 0) fp_buf_printf(&b, "; SET statement_timeout = %d; SET idle_in_transaction_session_timeout = %d", ms, ms);
    return b.data;
}

static void s_on_connected(fp_db_t *db)
{
    PQsetnonblocking(db->conn, 1);
    db->state = S_SETUP;
    db->setup_pending = 0;
    /* Setup work goes to the front, in order: prepares, then LISTENs. */
    for (size_t i = db->nchannels; i-- > 0;) {
        s_query_t *q = fp_new(s_query_t);
        q->kind = Q_LISTEN;
        char *quoted = PQescapeIdentifier(db->conn, db->channels[i], strlen(db->channels[i]));
        fp_buf_t b = {0};
        fp_buf_printf(&b, "LISTEN %s", quoted ? quoted : "\"?\"");
        PQfreemem(quoted);
        q->sql = b.data;
        s_enqueue(db, q, 1);
        db->setup_pending++;
    }
    for (size_t i = db->nstmts; i-- > 0;) {
        s_query_t *q = fp_new(s_query_t);
        q->kind = Q_PREPARE;
        q->sql = fp_strdup(db->stmts[i].name);
        q->sql2 = fp_strdup(db->stmts[i].sql);
        q->nparams = db->stmts[i].nparams;
        s_enqueue(db, q, 1);
        db->setup_pending++;
    }
    /* The session's settings; they also mark the end of setup when there is nothing to prepare. */
    s_query_t *q = fp_new(s_query_t);
    q->kind = Q_QUERY;
    q->sql = s_session_sql(db);
    s_query_t **pp = &db->head; /* goes right after the setup items */
    for (int i = 0; i < db->setup_pending && *pp; i++) pp = &(*pp)->next;
    q->next = *pp;
    *pp = q;
    if (!q->next) db->tail = q;
    db->qlen++;
    db->setup_pending++;
    s_pump(db);
}

static void s_connect_poll(fp_db_t *db)
{
    switch (PQconnectPoll(db->conn)) {
    case PGRES_POLLING_READING: s_watch(db, UV_READABLE); break;
    case PGRES_POLLING_WRITING: s_watch(db, UV_WRITABLE); break;
    case PGRES_POLLING_OK: s_on_connected(db); break;
    case PGRES_POLLING_FAILED:
    default: {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(db->conn));
        if (!db->ever_up || db->reconnects % 16 == 0) fp_log_warn("database connect failed", "error", msg);
        s_lost(db, msg);
    }
    }
}

static void s_on_poll(uv_poll_t *h, int status, int events)
{
    fp_db_t *db = h->data;
    if (db->state == S_CLOSED || h != db->poll) return;
    if (db->state == S_CONNECTING) {
        s_connect_poll(db);
        return;
    }
    if (status < 0) {
        s_lost(db, uv_strerror(status));
        return;
    }
    db->heard = uv_now(db->loop); /* the server takes data or sends some: it is alive */
    if (events & UV_WRITABLE) {
        s_query_t *q = db->inflight;
        if (q && q->kind == Q_COPY && db->copy_started && !q->copy_ended) {
            if (s_copy_push(db, q) < 0) {
                s_lost(db, PQerrorMessage(db->conn));
                return;
            }
        }
        s_update_poll(db);
        if (!db->conn) return;
    }
    if (events & UV_READABLE) {
        if (!PQconsumeInput(db->conn)) {
            s_lost(db, PQerrorMessage(db->conn));
            return;
        }
        PGnotify *n;
        while (db->conn && (n = PQnotifies(db->conn)) != NULL) {
            if (db->opts.on_notify) db->opts.on_notify(db, n->relname, n->extra, db->opts.arg);
            PQfreemem(n);
        }
        s_read_results(db);
        if (db->conn && PQstatus(db->conn) == CONNECTION_BAD) s_lost(db, PQerrorMessage(db->conn));
    }
}

static void s_connect(fp_db_t *db)
{
    if (db->state == S_CLOSED) return;
    db->state = S_CONNECTING;
    db->conn = PQconnectStart(db->conninfo);
    if (!db->conn || PQstatus(db->conn) == CONNECTION_BAD) {
        s_lost(db, db->conn ? PQerrorMessage(db->conn) : "out of memory");
        return;
    }
    fp_db_log_notices(db->conn);
    s_watch_start(db);
    s_watch(db, UV_WRITABLE);
}

static const char *s_conn_default(const PQconninfoOption *o)
{
    if (o->envvar && getenv(o->envvar)) return NULL; /* the environment sets it: libpq reads it */
    for (size_t i = 0; i < sizeof S_CONN_DEFAULTS / sizeof S_CONN_DEFAULTS[0]; i++)
        if (strcmp(o->keyword, S_CONN_DEFAULTS[i].keyword) == 0) return S_CONN_DEFAULTS[i].value;
    return NULL;
}

/* keyword='value', a backslash or quote in value escaped, as libpq's conninfo syntax wants. */
static void s_conn_append(fp_buf_t *b, const char *keyword, const char *value)
{
    fp_buf_printf(b, "%s%s='", b->len ? " " : "", keyword);
    for (const char *p = value; *p; p++) {
        if (*p == '\\' || *p == '\'') fp_buf_append(b, "\\", 1);
        fp_buf_append(b, p, 1);
    }
    fp_buf_append(b, "'", 1);
}

char *fp_db_conninfo_defaults(const char *conninfo)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
    if (!opts) {
        PQfreemem(err);
        return NULL;
    }
    fp_buf_t b = {0};
    for (const PQconninfoOption *o = opts; o->keyword; o++) {
        const char *v = o->val ? o->val : s_conn_default(o);
        if (v) s_conn_append(&b, o->keyword, v);
    }
    PQconninfoFree(opts);
    return b.data ? b.data : fp_strdup("");
}

/* connect_timeout in ms as libpq reads it (in conninfo or PGCONNECT_TIMEOUT; 1 means 2 s). */
static int s_connect_timeout_ms(const char *conninfo)
{
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    const char *v = NULL;
    for (const PQconninfoOption *o = opts; o && o->keyword; o++)
        if (strcmp(o->keyword, "connect_timeout") == 0) v = o->val ? o->val : o->envvar ? getenv(o->envvar) : NULL;
    int s = v ? atoi(v) : 0;
    PQconninfoFree(opts);
    if (s <= 0) return 0;
    return (s < 2 ? 2 : s) * 1000;
}

fp_err_t fp_db_new(uv_loop_t *loop, const char *conninfo, const fp_db_opts_t *opts, fp_db_t **out)
{
    char *merged = fp_db_conninfo_defaults(conninfo);
    if (!merged) return FP_ECONFIG;
    fp_db_t *db = fp_new(fp_db_t);
    db->loop = loop;
    db->conninfo = merged;
    db->connect_timeout_ms = s_connect_timeout_ms(merged);
    if (opts) db->opts = *opts;
    if (db->opts.backoff_min_ms <= 0) db->opts.backoff_min_ms = 100;
    if (db->opts.backoff_max_ms < db->opts.backoff_min_ms) db->opts.backoff_max_ms = 5000;
    db->backoff_ms = db->opts.backoff_min_ms;
    db->poll_fd = -1;
    uv_timer_init(loop, &db->reconnect_timer);
    uv_timer_init(loop, &db->fail_timer);
    uv_timer_init(loop, &db->watchdog);
    db->reconnect_timer.data = db->fail_timer.data = db->watchdog.data = db;
    db->state = S_DOWN;
    s_connect(db);
    *out = db;
    return FP_OK;
}

static void s_on_timer_close(uv_handle_t *h)
{
    fp_db_t *db = h->data;
    if (--db->pending_closes == 0 && db->state == S_CLOSED) free(db);
}

void fp_db_destroy(fp_db_t **p)
{
    if (!p || !*p) return;
    fp_db_t *db = *p;
    *p = NULL;
    db->state = S_CLOSED;
    s_drop_work(db);
    db->pending_closes += 3; /* the three timers */
    s_drop_poll(db);
    if (db->conn) PQfinish(db->conn);
    db->conn = NULL;
    for (size_t i = 0; i < db->nstmts; i++) {
        free(db->stmts[i].name);
        free(db->stmts[i].sql);
    }
    free(db->stmts);
    for (size_t i = 0; i < db->nchannels; i++) free(db->channels[i]);
    free(db->channels);
    free(db->conninfo);
    uv_close((uv_handle_t *)&db->reconnect_timer, s_on_timer_close);
    uv_close((uv_handle_t *)&db->fail_timer, s_on_timer_close);
    uv_close((uv_handle_t *)&db->watchdog, s_on_timer_close);
}

void fp_db_prepare(fp_db_t *db, const char *name, const char *sql, int nparams)
{
    db->stmts = fp_realloc(db->stmts, (db->nstmts + 1) * sizeof *db->stmts);
    db->stmts[db->nstmts].name = fp_strdup(name);
    db->stmts[db->nstmts].sql = fp_strdup(sql);
    db->stmts[db->nstmts].nparams = nparams;
    db->nstmts++;
    if (db->state == S_READY) {
        s_query_t *q = fp_new(s_query_t);
        q->kind = Q_PREPARE;
        q->sql = fp_strdup(name);
        q->sql2 = fp_strdup(sql);
        q->nparams = nparams;
        s_enqueue(db, q, 1);
        s_pump(db);
    }
}

void fp_db_listen(fp_db_t *db, const char *channel)
{
    db->channels = fp_realloc(db->channels, (db->nchannels + 1) * sizeof *db->channels);
    db->channels[db->nchannels++] = fp_strdup(channel);
    if (db->state == S_READY) {
        s_query_t *q = fp_new(s_query_t);
        q->kind = Q_LISTEN;
        char *quoted = PQescapeIdentifier(db->conn, channel, strlen(channel));
        fp_buf_t b = {0};
        fp_buf_printf(&b, "LISTEN %s", quoted ? quoted : "\"?\"");
        PQfreemem(quoted);
        q->sql = b.data;
        s_enqueue(db, q, 0);
        s_pump(db);
    }
}

static void s_submit(fp_db_t *db, s_query_t *q, int flags)
{
    if (db->state == S_CLOSED) {
        s_complete(db, q, NULL);
        return;
    }
    s_enqueue(db, q, flags & FP_DB_FRONT);
    if (db->state == S_DOWN || db->state == S_CONNECTING)
        uv_timer_start(&db->fail_timer, s_on_fail_timer, 0, 0); /* fail it soon, not re-entrantly */
    else s_pump(db);
}

static s_query_t *s_new_query(s_qkind_t kind, const char *sql, int nparams, const char *const *params,
                              fp_db_result_fn cb, void *arg)
{
    s_query_t *q = fp_new(s_query_t);
    q->kind = kind;
    q->sql = fp_strdup(sql);
    q->nparams = nparams;
    if (nparams > 0) {
        q->params = fp_calloc((size_t)nparams, sizeof(char *));
        for (int i = 0; i < nparams; i++) q->params[i] = params[i] ? fp_strdup(params[i]) : NULL;
    }
    q->cb = cb;
    q->arg = arg;
    return q;
}

void fp_db_query(fp_db_t *db, int flags, const char *sql, int nparams, const char *const *params, fp_db_result_fn cb,
                 void *arg)
{
    s_query_t *q = s_new_query(Q_QUERY, sql, nparams, params, cb, arg);
    q->binary = nparams > 0 && (flags & FP_DB_BINARY) ? 1 : 0;
    s_submit(db, q, flags);
}

void fp_db_exec(fp_db_t *db, int flags, const char *stmt, int nparams, const char *const *params, fp_db_result_fn cb,
                void *arg)
{
    s_submit(db, s_new_query(Q_EXEC, stmt, nparams, params, cb, arg), flags);
}

void fp_db_copy(fp_db_t *db, int flags, const char *copy_sql, fp_buf_t *data, fp_db_result_fn cb, void *arg)
{
    s_query_t *q = s_new_query(Q_COPY, copy_sql, 0, NULL, cb, arg);
    q->data = *data;
    memset(data, 0, sizeof *data);
    s_submit(db, q, flags);
}

void fp_db_copy_out(fp_db_t *db, int flags, const char *copy_sql, fp_db_copy_row_fn row, fp_db_result_fn cb, void *arg)
{
    s_query_t *q = s_new_query(Q_COPY_OUT, copy_sql, 0, NULL, cb, arg);
    q->row = row;
    s_submit(db, q, flags);
}

void fp_db_copy_out_resume(fp_db_t *db)
{
    if (!db || !db->copy_out || !db->copy_paused || !db->conn) return;
    db->copy_paused = 0;
    s_watch_start(db);
    s_watch(db, UV_READABLE);
    s_read_results(db); /* the rows libpq read before the pause */
    if (db->conn && PQstatus(db->conn) == CONNECTION_BAD) s_lost(db, PQerrorMessage(db->conn));
}

void fp_db_set_metrics(fp_db_t *db, const fp_db_metrics_t *m)
{
    fp_gauge_add(db->metrics.queue, -(double)fp_db_queue_len(db));
    db->metrics = *m;
    fp_gauge_add(db->metrics.queue, (double)fp_db_queue_len(db));
}

bool fp_db_is_up(const fp_db_t *db) { return db && db->state == S_READY; }
unsigned fp_db_reconnects(const fp_db_t *db) { return db->reconnects; }
unsigned fp_db_watchdog_drops(const fp_db_t *db) { return db->watchdog_drops; }
size_t fp_db_queue_len(const fp_db_t *db) { return db->qlen + (db->inflight ? 1 : 0); }
const char *fp_db_last_error(const fp_db_t *db) { return db->last_error; }
const char *fp_db_conninfo(const fp_db_t *db) { return db->conninfo; }

void fp_db_copy_field(fp_buf_t *b, const char *s)
{
    if (!s) fp_buf_append(b, "\\N", 2);
    else fp_db_copy_fieldn(b, s, strlen(s));
}

void fp_db_copy_fieldn(fp_buf_t *b, const char *s, size_t n)
{
    const char *start = s, *end = s + n;
    for (; s < end; s++) {
        const char *esc = NULL;
        switch (*s) {
        case '\\': esc = "\\\\"; break;
        case '\t': esc = "\\t"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        default: break;
        }
        if (esc) {
            fp_buf_append(b, start, (size_t)(s - start));
            fp_buf_append(b, esc, 2);
            start = s + 1;
        }
    }
    fp_buf_append(b, start, (size_t)(s - start));
}

static void s_on_rolled_back(fp_db_t *db, PGresult *res, void *arg) {}

void fp_db_rollback(fp_db_t *db) { fp_db_query(db, FP_DB_FRONT, "ROLLBACK", 0, NULL, s_on_rolled_back, NULL); }

bool fp_db_unique_violation(const PGresult *res, const char *constraint)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (!state || strcmp(state, "23505") != 0) return false;
    const char *cons = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
    return !constraint || (cons && !strcmp(cons, constraint));
}
