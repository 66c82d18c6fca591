/* service.c: the shared service skeleton (see service.h). Order at start matters: the ZAP
 * handler is bound before the CURVE ROUTER socket, or CURVE would accept any client key; and the
 * CURVE sockets bind only once the registered keys are loaded, or ZAP would have to refuse
 * registered clients (libzmq 4.3 does not reconnect after a refused handshake). */
#include "service.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "cert.h"
#include "http.h"
#include "log.h"
#include "mem.h"
#include "migrate.h"
#include "seal.h"
#include "pbdecode.h"
#include "privdrop.h"
#include "refusal.h"
#include "zsock.h"

enum {
    S_CFG_PG,
    S_CFG_LOG,
    S_CFG_KEYS,
    S_CFG_ENDPOINT,
    S_CFG_HTTP,
    S_CFG_MAXREQ,
    S_CFG_MAXFRAME,
    S_CFG_GRACE,
    S_CFG_REFRESH,
    S_CFG_BACKOFF,
    S_CFG_MIGRATE,
    S_CFG_HWM,
    S_CFG_RUNAS,
    S_CFG_MAXINFLIGHT,
    S_CFG_STMT_TIMEOUT,
    S_CFG_DATAKEY,
    S_CFG_COMMON_N
};

/* A CURVE server socket waiting for the keys before it binds (fp_service_bind_curve). */
typedef struct s_bind {
    void *sock;
    char *endpoint;
    char *what;
    struct s_bind *next;
} s_bind_t;

struct fp_service {
    const fp_service_def_t *def;
    fp_cfg_t *cfg;
    uv_loop_t *loop;
    void *zctx;
    void *router;
    fp_zsock_t *zrouter;
    fp_db_t *db;
    fp_auth_t *auth;
    fp_http_t *http;
    fp_metrics_t *metrics;
    fp_cert_t cert;
    fp_seal_t *seal;
    uv_signal_t sigterm, sigint;
    uv_timer_t tick; /* periodic: key refresh, metrics gauges, shutdown grace */
    uv_timer_t migrate_retry;
    bool schema_ready;
    bool migrating;
    bool told_not_owner; /* logged once: FANGPIN_MIGRATE=true on a role that may not migrate */
    bool catalogue_bad;  /* the last check found the catalogue disagreeing (catalogue_sql) */
    bool told_catalogue; /* logged once until it agrees */
    bool stopping;
    bool closed;
    bool started;
    bool listening;  /* every CURVE socket is bound (after the first key load) */
    s_bind_t *binds; /* CURVE sockets not bound yet, in the order asked */
    int exit_code;   /* set when the service stops itself (a late bind failed) */
    uint64_t stop_deadline;
    uint64_t last_refresh;
    size_t inflight;
    bool stopping_told; /* def->on_stopping was called */
    size_t max_inflight;
    bool full; /* inflight reached max_inflight: the ROUTER is not read */
    size_t max_request;
    fp_gauge_t *g_db_up, *g_ready, *g_inflight, *g_keys;
    fp_db_metrics_t dbm; /* the instruments of every database connection of the service */
    fp_counter_t *c_reconnects_seen, *c_zap_denied, *c_zap_allowed, *c_too_large, *c_bad_frames, *c_paused;
    fp_counter_t *c_zap_not_ready, *c_unanswered;
    unsigned long zap_denied_seen, zap_allowed_seen, zap_not_ready_seen;
    unsigned reconnects_seen, unanswered_seen;
};

struct fp_request {
    fp_service_t *svc;
    zmq_msg_t route; /* the ROUTER identity frame */
    bool delimiter;  /* the client sent an empty frame before the payload (REQ style) */
    fp_principal_t principal;
    char op[32];
    uint64_t start_ns;
    fp_local_reply_fn local; /* a request the service made itself (fp_service_local): its answer */
    void *local_arg;
};

static uint64_t s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *fp_code_name(Fangpin__V1__Code code)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&fangpin__v1__code__descriptor, (int)code);
    return v ? v->name : "UNKNOWN";
}

uv_loop_t *fp_service_loop(fp_service_t *svc) { return svc->loop; }
fp_db_t *fp_service_db(fp_service_t *svc) { return svc->db; }
fp_metrics_t *fp_service_metrics(fp_service_t *svc) { return svc->metrics; }
fp_http_t *fp_service_http(fp_service_t *svc) { return svc->http; }
const struct fp_cert *fp_service_cert(const fp_service_t *svc) { return &svc->cert; }
const struct fp_seal *fp_service_seal(const fp_service_t *svc) { return svc->seal; }
void *fp_service_zctx(fp_service_t *svc) { return svc->zctx; }
const fp_principal_t *fp_service_principal(fp_service_t *svc, const char *user_id)
{
    return user_id ? fp_auth_principal(svc->auth, user_id) : NULL;
}
const fp_cfg_t *fp_service_config(fp_service_t *svc) { return svc->cfg; }
const char *fp_service_name(const fp_service_t *svc) { return svc->def->name; }
const fp_service_def_t *fp_service_def(const fp_service_t *svc) { return svc->def; }
const char *fp_service_str(fp_service_t *svc, const char *env) { return fp_config_str(svc->cfg, env); }
int64_t fp_service_int(fp_service_t *svc, const char *env) { return fp_config_int(svc->cfg, env); }
bool fp_service_db_ready(const fp_service_t *svc) { return svc->schema_ready && fp_db_is_up(svc->db); }
bool fp_service_ready(const fp_service_t *svc)
{
    return svc->schema_ready && fp_db_is_up(svc->db) && fp_auth_loaded(svc->auth) && svc->listening;
}

void fp_service_every(fp_service_t *svc, uv_timer_t *t, const char *env, uv_timer_cb cb, void *data)
{
    uint64_t every = (uint64_t)fp_service_int(svc, env);
    uv_timer_init(fp_service_loop(svc), t);
    t->data = data;
    uv_timer_start(t, cb, every, every);
}
bool fp_service_listening(const fp_service_t *svc) { return svc->listening; }
const fp_principal_t *fp_request_principal(const fp_request_t *req) { return &req->principal; }
void fp_request_set_op(fp_request_t *req, const char *op) { snprintf(req->op, sizeof req->op, "%s", op); }

static void s_maybe_finish_stop(fp_service_t *svc);

/* --- replies ------------------------------------------------------------------------------ */

static void s_count(fp_service_t *svc, const char *op, Fangpin__V1__Code code)
{
    char labels[128];
    snprintf(labels, sizeof labels, "service=\"%s\",op=\"%s\",code=\"%s\"", svc->def->name, op, fp_code_name(code));
    fp_counter_add(fp_metrics_counter(svc->metrics, "fangpin_requests_total",
                                      "Requests answered, by operation and status code.", labels),
                   1);
}

static void s_send_reply(fp_request_t *req, const uint8_t *buf, size_t len, Fangpin__V1__Code code)
{
    fp_service_t *svc = req->svc;
    const void *data[3];
    size_t lens[3];
    size_t n = 0;
    data[n] = zmq_msg_data(&req->route);
    lens[n++] = zmq_msg_size(&req->route);
    if (req->delimiter) {
        data[n] = "";
        lens[n++] = 0;
    }
    data[n] = buf;
    lens[n++] = len;
    if (req->local) {
        req->local(req->local_arg, buf, len, code);
    } else if (!svc->closed) {
        fp_err_t e = fp_zsock_send(svc->zrouter, data, lens, n);
        if (e != FP_OK)
            fp_log_warn("reply not delivered: the client is gone or too slow", "op", req->op, "error",
                        zmq_strerror(zmq_errno()));
    }
    s_count(svc, req->op[0] ? req->op : "unknown", code);
    zmq_msg_close(&req->route);
    free(req);
    svc->inflight--;
    if (svc->full && svc->inflight < svc->max_inflight) {
        svc->full = false;
        if (!svc->stopping && !svc->closed) fp_zsock_pause(svc->zrouter, 0);
    }
    if (svc->stopping) s_maybe_finish_stop(svc);
}

void fp_request_reply(fp_request_t *req, const ProtobufCMessage *reply, Fangpin__V1__Code code)
{
    size_t len = protobuf_c_message_get_packed_size(reply);
    uint8_t *buf = fp_malloc(len ? len : 1);
    protobuf_c_message_pack(reply, buf);
    s_send_reply(req, buf, len, code);
    free(buf);
}

void fp_request_reply_ok_packed(fp_request_t *req, const char *request_id, const uint8_t *body, size_t len)
{
    Fangpin__V1__Status st = FANGPIN__V1__STATUS__INIT;
    st.code = FANGPIN__V1__CODE__OK;
    st.message = (char *)"ok";
    st.message_zh = (char *)"";
    Fangpin__V1__ReplyHeader h = FANGPIN__V1__REPLY_HEADER__INIT;
    h.request_id = (char *)request_id;
    h.status = &st;
    size_t hl = fangpin__v1__reply_header__get_packed_size(&h);
    uint8_t *buf = fp_malloc(hl + len);
    fangpin__v1__reply_header__pack(&h, buf);
    if (len) memcpy(buf + hl, body, len);
    s_send_reply(req, buf, hl + len, FANGPIN__V1__CODE__OK);
    free(buf);
}

void fp_request_refuse(fp_request_t *req, const char *request_id, const char *reason, const char *msg_en,
                       const char *msg_zh)
{
    const fp_refusal_t *r = fp_refusal_find(reason);
    Fangpin__V1__Code code = r ? r->status : FANGPIN__V1__CODE__INTERNAL;
    if (!r) fp_log_error("a reason code without a row in common/refusal.c", "reason", reason ? reason : "");
    Fangpin__V1__ReplyHeader h = FANGPIN__V1__REPLY_HEADER__INIT;
    Fangpin__V1__Status st = FANGPIN__V1__STATUS__INIT;
    st.code = code;
    st.message = (char *)(msg_en ? msg_en : r && r->en ? r->en : "");
    st.message_zh = (char *)(msg_zh ? msg_zh : r && r->zh ? r->zh : "");
    st.reason = (char *)(reason ? reason : "");
    h.request_id = (char *)(request_id ? request_id : "");
    h.status = &st;
    fp_log_info("request refused", "op", req->op[0] ? req->op : "unknown", "code", fp_code_name(code), "reason",
                st.reason, "principal", req->principal.id, "request_id",
                fp_request_id_valid(h.request_id) ? h.request_id : "");
    fp_request_reply(req, &h.base, code);
}

void fp_request_fill_pong(fp_service_t *svc, fp_request_t *req, const char *note, Fangpin__V1__Pong *pong)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    pong->service = (char *)svc->def->name;
    pong->version = (char *)FANGPIN_VERSION;
    pong->note = (char *)(note ? note : "");
    pong->principal = req->principal.id;
    pong->kind = req->principal.kind;
    pong->level = req->principal.level;
    pong->region = req->principal.region;
    pong->db_ready = fp_service_ready(svc);
    pong->server_time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- the ROUTER socket --------------------------------------------------------------------- */

static void s_on_router(fp_zsock_t *zs, fp_zmsg_t *m, void *arg)
{
    fp_service_t *svc = arg;
    if (m->nparts < 2) return; /* a ROUTER always prepends the identity; nothing to answer */
    fp_request_t *req = fp_new(fp_request_t);
    req->svc = svc;
    req->start_ns = s_now_ns();
    zmq_msg_init(&req->route);
    zmq_msg_copy(&req->route, &m->parts[0]);
    if (++svc->inflight >= svc->max_inflight && !svc->full) {
        svc->full = true; /* no more reads: the pipe fills to its HWM, then the sender's */
        fp_counter_add(svc->c_paused, 1);
        fp_zsock_pause(svc->zrouter, 1);
    }

    zmq_msg_t *payload = &m->parts[m->nparts - 1];
    req->delimiter = m->nparts == 3 && zmq_msg_size(&m->parts[1]) == 0;
    const char *uid = zmq_msg_gets(payload, "User-Id");
    const fp_principal_t *p = uid ? fp_auth_principal(svc->auth, uid) : NULL;
    if (p) req->principal = *p;

    if (m->truncated || m->nparts > 3 || (m->nparts == 3 && !req->delimiter)) {
        fp_counter_add(svc->c_bad_frames, 1);
        fp_request_refuse(req, "", "request.frames", "expected one frame holding the request message", NULL);
        return;
    }
    if (!p) { /* the key this connection came on, as the cache holds it now (revoked since it connected?) */
        fp_key_state_t ks = fp_auth_key_state(svc->auth, uid);
        if (ks == FP_KEY_REVOKED) fp_request_refuse(req, "", "key.revoked", NULL, NULL);
        else if (ks == FP_KEY_DISABLED) fp_request_refuse(req, "", "principal.disabled", NULL, NULL);
        else fp_request_refuse(req, "", "key.unregistered", NULL, NULL);
        return;
    }
    size_t len = zmq_msg_size(payload);
    if (len > svc->max_request) {
        char msg[160];
        snprintf(msg, sizeof msg, "request of %zu bytes exceeds the limit of %zu bytes (FANGPIN_MAX_REQUEST_BYTES)",
                 len, svc->max_request);
        fp_counter_add(svc->c_too_large, 1);
        fp_request_refuse(req, "", "request.too_large", msg, "请求过大");
        return;
    }
    if (svc->stopping) {
        fp_request_refuse(req, "", "service.stopping", "service is stopping; retry", "服务正在停止，请重试");
        return;
    }
    fp_ops_dispatch(svc, req, zmq_msg_data(payload), len);
}

void fp_service_local(fp_service_t *svc, const fp_principal_t *who, const uint8_t *frame, size_t len,
                      fp_local_reply_fn cb, void *arg)
{
    fp_request_t *req = fp_new(fp_request_t);
    req->svc = svc;
    req->start_ns = s_now_ns();
    zmq_msg_init(&req->route);
    req->principal = *who;
    req->local = cb;
    req->local_arg = arg;
    svc->inflight++;
    if (svc->stopping) {
        fp_request_refuse(req, "", "service.stopping", "service is stopping; retry", "服务正在停止，请重试");
        return;
    }
    fp_ops_dispatch(svc, req, frame, len);
}

/* --- database state, migration ------------------------------------------------------------- */

typedef struct {
    uv_work_t work;
    fp_service_t *svc;
    char *conninfo;
    bool apply;
    bool not_owner;            /* apply was asked, but the role may not: checked only */
    const char *catalogue_sql; /* fp_service_def_t.catalogue_sql */
    fp_err_t err;
    int applied;
    char errbuf[512];
} s_migrate_job_t;

/* The catalogue check (fp_service_def_t.catalogue_sql): FP_OK, FP_ECONFLICT with the
 * disagreements in errbuf, or FP_EDB. */
static fp_err_t s_check_catalogue(PGconn *c, const char *sql, char *errbuf, size_t n)
{
    PGresult *res = PQexec(c, sql);
    fp_err_t err = FP_OK;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(errbuf, n, "the catalogue check failed: %s", PQresultErrorMessage(res));
        err = FP_EDB;
    } else if (PQntuples(res) > 0 && PQnfields(res) >= 3) {
        size_t used = 0;
        errbuf[0] = '\0';
        for (int r = 0; r < PQntuples(res) && used + 1 < n; r++) {
            int w = snprintf(errbuf + used, n - used, "%s%s: compiled %s, database %s", r ? "; " : "",
                             PQgetvalue(res, r, 0), PQgetvalue(res, r, 1), PQgetvalue(res, r, 2));
            used += w > 0 ? (size_t)w : 0;
        }
        err = FP_ECONFLICT;
    }
    PQclear(res);
    return err;
}

static void s_migrate_work(uv_work_t *w)
{
    s_migrate_job_t *j = w->data;
    PGconn *c = PQconnectdb(j->conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        snprintf(j->errbuf, sizeof j->errbuf, "%s", PQerrorMessage(c));
        j->err = FP_EDBDOWN;
        PQfinish(c);
        return;
    }
    /* FANGPIN_MIGRATE=true as a service's own role (not the database's owner): nothing it may
     * apply, so it waits for the schema like FANGPIN_MIGRATE=false */
    if (j->apply && fp_migrate_can_apply(c, j->errbuf, sizeof j->errbuf) == 0) {
        j->apply = false;
        j->not_owner = true;
    }
    if (j->apply) j->err = fp_migrate_blocking(c, j->svc->seal, &j->applied, j->errbuf, sizeof j->errbuf);
    else j->err = fp_migrate_check(c, j->errbuf, sizeof j->errbuf);
    if (j->err == FP_OK && j->svc->seal)
        j->err = fp_migrate_check_data_key(c, j->svc->seal, j->errbuf, sizeof j->errbuf);
    if (j->err == FP_OK && j->catalogue_sql)
        j->err = s_check_catalogue(c, j->catalogue_sql, j->errbuf, sizeof j->errbuf);
    PQfinish(c);
}

static void s_start_migration(fp_service_t *svc);

static void s_on_migrate_retry(uv_timer_t *t) { s_start_migration(t->data); }

static void s_became_ready(fp_service_t *svc)
{
    svc->last_refresh = uv_now(svc->loop);
    fp_auth_reload(svc->auth);
    if (svc->def->on_ready) svc->def->on_ready(svc, svc->def->arg);
}

static void s_migrate_done(uv_work_t *w, int status)
{
    s_migrate_job_t *j = w->data;
    fp_service_t *svc = j->svc;
    svc->migrating = false;
    if (j->not_owner && !svc->told_not_owner) {
        svc->told_not_owner = true;
        fp_log_info("FANGPIN_MIGRATE=true, but this role does not own the database: waiting for the"
                    " schema",
                    "apply_with", "fangpinctl migrate, as the owner");
    }
    svc->catalogue_bad = j->err == FP_ECONFLICT;
    if (j->err == FP_OK) {
        char n[16];
        snprintf(n, sizeof n, "%d", j->applied);
        fp_log_info(j->apply ? "schema ready" : "schema found ready", "applied_now", n);
        svc->told_catalogue = false;
        svc->schema_ready = true;
        if (!svc->stopping && fp_db_is_up(svc->db)) s_became_ready(svc);
    } else if (!svc->stopping) {
        if (j->err != FP_ECONFLICT)
            fp_log_warn(j->apply ? "migration failed; retrying" : "waiting for the schema", "error", j->errbuf);
        else if (!svc->told_catalogue) /* said once; checked again every 2 s */
            fp_log_error("the vocabulary compiled in disagrees with the database's catalogue: not becoming ready",
                         "disagreement", j->errbuf);
        svc->told_catalogue = svc->told_catalogue || j->err == FP_ECONFLICT;
        uv_timer_start(&svc->migrate_retry, s_on_migrate_retry, 2000, 0);
    }
    free(j->conninfo);
    free(j);
}

static void s_start_migration(fp_service_t *svc)
{
    if (svc->migrating || svc->schema_ready || svc->stopping) return;
    svc->migrating = true;
    s_migrate_job_t *j = fp_new(s_migrate_job_t);
    j->svc = svc;
    j->work.data = j;
    j->conninfo = fp_db_conninfo_defaults(svc->cfg[S_CFG_PG].str); /* valid: fp_db_new took it */
    j->apply = svc->cfg[S_CFG_MIGRATE].num != 0;
    j->catalogue_sql = svc->def->catalogue_sql;
    uv_queue_work(svc->loop, &j->work, s_migrate_work, s_migrate_done);
}

static void s_on_db_state(fp_db_t *db, bool up, void *arg)
{
    fp_service_t *svc = arg;
    if (!up) return;
    if (svc->schema_ready) s_became_ready(svc);
    else s_start_migration(svc);
}

static void s_on_db_notify(fp_db_t *db, const char *channel, const char *payload, void *arg)
{
    fp_service_t *svc = arg;
    if (strcmp(channel, "fangpin_keys") == 0 && svc->schema_ready) fp_auth_reload(svc->auth);
}

/* --- binding the CURVE sockets once the keys are loaded ---------------------------------------- */

/* Stops the service from the inside with exit status code; the tick closes everything (never
 * from inside a callback of what it closes). */
static void s_stop_self(fp_service_t *svc, int code)
{
    svc->exit_code = code;
    if (svc->stopping) return;
    svc->stopping = true;
    if (svc->zrouter) fp_zsock_pause(svc->zrouter, 1);
    svc->stop_deadline = uv_now(svc->loop);
}

static void s_bind_pending(fp_service_t *svc)
{
    if (!svc->auth || !fp_auth_loaded(svc->auth) || svc->stopping) return;
    while (svc->binds) {
        s_bind_t *b = svc->binds;
        if (zmq_bind(b->sock, b->endpoint) != 0) {
            fp_log_error("cannot bind a CURVE endpoint: stopping", "socket", b->what, "endpoint", b->endpoint, "error",
                         zmq_strerror(zmq_errno()));
            s_stop_self(svc, 1);
            return;
        }
        fp_log_info("listening", "socket", b->what, "endpoint", b->endpoint);
        svc->binds = b->next;
        free(b->endpoint);
        free(b->what);
        free(b);
    }
    svc->listening = true;
}

static void s_on_keys_loaded(void *arg)
{
    fp_service_t *svc = arg;
    if (svc->binds) s_bind_pending(svc);
}

void *fp_service_bind_push(fp_service_t *svc, const char *env, const char *what)
{
    void *s = zmq_socket(fp_service_zctx(svc), ZMQ_PUSH);
    int linger = 0, hwm = 100000;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    const char *ep = fp_service_str(svc, env);
    if (zmq_bind(s, ep) == 0) return s;
    fp_log_error("cannot bind a PUSH endpoint", "what", what, "endpoint", ep, "error", zmq_strerror(zmq_errno()));
    zmq_close(s);
    return NULL;
}

void fp_service_bind_curve(fp_service_t *svc, void *socket, const char *endpoint, const char *what)
{
    s_bind_t *b = fp_new(s_bind_t);
    b->sock = socket;
    b->endpoint = fp_strdup(endpoint);
    b->what = fp_strdup(what);
    s_bind_t **tail = &svc->binds;
    while (*tail) tail = &(*tail)->next;
    *tail = b;
    svc->listening = false;
    s_bind_pending(svc);
}

/* --- HTTP: /healthz /readyz /metrics --------------------------------------------------------- */

typedef struct {
    fp_http_req_t *req;
    fp_service_t *svc;
} s_ready_probe_t;

static void s_on_ready_probe(fp_db_t *db, PGresult *res, void *arg)
{
    s_ready_probe_t *p = arg;
    fp_service_t *svc = p->svc;
    bool ok = res && PQresultStatus(res) == PGRES_TUPLES_OK && svc->schema_ready && fp_auth_loaded(svc->auth) &&
        svc->listening && !svc->stopping;
    fp_buf_t b = {0};
    if (ok) {
        fp_buf_puts(&b, "ready\n");
    } else {
        fp_buf_printf(&b, "not ready: database %s, schema %s, keys %s, sockets %s%s\n",
                      res && PQresultStatus(res) == PGRES_TUPLES_OK ? "reachable" : "unreachable",
                      svc->schema_ready
                          ? "ready"
                          : (svc->catalogue_bad ? "disagrees with the vocabulary compiled in" : "not ready"),
                      fp_auth_loaded(svc->auth) ? "loaded" : "not loaded",
                      svc->listening ? "bound" : "not bound (they bind once the keys are loaded)",
                      svc->stopping ? ", stopping" : "");
    }
    fp_http_reply(p->req, ok ? 200 : 503, "text/plain; charset=utf-8", b.data, b.len);
    fp_buf_free(&b);
    free(p);
}

static void s_update_gauges(fp_service_t *svc)
{
    fp_gauge_set(svc->g_db_up, fp_db_is_up(svc->db) ? 1 : 0);
    fp_gauge_set(svc->g_ready, fp_service_ready(svc) ? 1 : 0);
    fp_gauge_set(svc->g_inflight, (double)svc->inflight);
    fp_gauge_set(svc->g_keys, (double)fp_auth_key_count(svc->auth));
    unsigned r = fp_db_reconnects(svc->db);
    fp_counter_add(svc->c_reconnects_seen, r - svc->reconnects_seen);
    svc->reconnects_seen = r;
    unsigned u = fp_db_watchdog_drops(svc->db);
    fp_counter_add(svc->c_unanswered, u - svc->unanswered_seen);
    svc->unanswered_seen = u;
    unsigned long d = fp_auth_denied(svc->auth), a = fp_auth_allowed(svc->auth);
    fp_counter_add(svc->c_zap_denied, d - svc->zap_denied_seen);
    fp_counter_add(svc->c_zap_allowed, a - svc->zap_allowed_seen);
    svc->zap_denied_seen = d;
    svc->zap_allowed_seen = a;
    unsigned long nr = fp_auth_not_ready(svc->auth);
    fp_counter_add(svc->c_zap_not_ready, nr - svc->zap_not_ready_seen);
    svc->zap_not_ready_seen = nr;
}

static void s_on_http(fp_http_req_t *req, void *arg)
{
    fp_service_t *svc = arg;
    const char *path = fp_http_req_path(req);
    const char *method = fp_http_req_method(req);
    bool read = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool post = strcmp(method, "POST") == 0 && svc->def->http_post && strcmp(path, "/healthz") != 0 &&
        strcmp(path, "/readyz") != 0 && strcmp(path, "/metrics") != 0;
    if (!read && !post) {
        static const char msg[] = "method not allowed\n";
        fp_http_reply(req, 405, "text/plain; charset=utf-8", msg, sizeof msg - 1);
    } else if (strcmp(path, "/healthz") == 0) {
        fp_http_reply(req, 200, "text/plain; charset=utf-8", "ok\n", 3);
    } else if (strcmp(path, "/readyz") == 0) {
        s_ready_probe_t *p = fp_new(s_ready_probe_t);
        p->req = req;
        p->svc = svc;
        fp_db_query(svc->db, 0, "SELECT 1", 0, NULL, s_on_ready_probe, p);
    } else if (strcmp(path, "/metrics") == 0) {
        s_update_gauges(svc);
        fp_buf_t b = {0};
        fp_metrics_render(svc->metrics, &b);
        fp_http_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", b.data ? b.data : "", b.len);
        fp_buf_free(&b);
    } else if (!(svc->def->on_http && svc->started && svc->def->on_http(svc, req, svc->def->arg))) {
        static const char msg[] = "not found: try /healthz, /readyz or /metrics\n";
        fp_http_reply(req, 404, "text/plain; charset=utf-8", msg, sizeof msg - 1);
    }
}

/* --- stopping -------------------------------------------------------------------------------- */

static void s_binds_free(fp_service_t *svc)
{
    while (svc->binds) {
        s_bind_t *b = svc->binds;
        svc->binds = b->next;
        free(b->endpoint);
        free(b->what);
        free(b);
    }
}

static void s_close_all(fp_service_t *svc)
{
    if (svc->closed) return;
    svc->closed = true;
    fp_log_info("stopping", "inflight", svc->inflight ? "abandoned" : "none");
    uv_timer_stop(&svc->tick);
    uv_close((uv_handle_t *)&svc->tick, NULL);
    uv_close((uv_handle_t *)&svc->migrate_retry, NULL);
    uv_close((uv_handle_t *)&svc->sigterm, NULL);
    uv_close((uv_handle_t *)&svc->sigint, NULL);
    s_binds_free(svc);
    if (svc->started && svc->def->on_stop) svc->def->on_stop(svc, svc->def->arg);
    fp_http_destroy(&svc->http);
    fp_zsock_destroy(&svc->zrouter);
    fp_auth_destroy(&svc->auth);
    fp_db_destroy(&svc->db);
}

static void s_maybe_finish_stop(fp_service_t *svc)
{
    if (svc->inflight == 0 || uv_now(svc->loop) >= svc->stop_deadline) s_close_all(svc);
}

static void s_on_signal(uv_signal_t *h, int signum)
{
    fp_service_t *svc = h->data;
    if (svc->stopping) return;
    svc->stopping = true;
    char inflight[24];
    snprintf(inflight, sizeof inflight, "%zu", svc->inflight);
    fp_log_info("signal received: finishing in-flight requests", "signal", signum == SIGTERM ? "SIGTERM" : "SIGINT",
                "inflight", inflight);
    fp_zsock_pause(svc->zrouter, 1);
    svc->stop_deadline = uv_now(svc->loop) + (uint64_t)svc->cfg[S_CFG_GRACE].num;
    s_maybe_finish_stop(svc);
}

static void s_on_tick(uv_timer_t *t)
{
    fp_service_t *svc = t->data;
    if (svc->stopping) {
        if (!svc->stopping_told && svc->started && svc->def->on_stopping) svc->def->on_stopping(svc, svc->def->arg);
        svc->stopping_told = true;
        s_maybe_finish_stop(svc);
        return;
    }
    uint64_t now = uv_now(svc->loop);
    /* Until the key table has been read once (the sockets wait for it), try again every second. */
    uint64_t every = fp_auth_loaded(svc->auth) ? (uint64_t)svc->cfg[S_CFG_REFRESH].num * 1000 : 1000;
    if (svc->schema_ready && fp_db_is_up(svc->db) && now - svc->last_refresh >= every) {
        svc->last_refresh = now;
        fp_auth_reload(svc->auth);
    }
    if (svc->def->on_tick) svc->def->on_tick(svc, svc->def->arg);
}

/* --- start ----------------------------------------------------------------------------------- */

/* The settings every service has; the endpoint's and the HTTP port's names and defaults and the
 * request limit's default come from the service's definition (s_build_cfg). */
static const fp_cfg_t s_common_cfg[S_CFG_COMMON_N] = {
    [S_CFG_PG] = {"FANGPIN_PG", FP_CFG_STR, "host=127.0.0.1 port=5432 dbname=fangpin user=postgres", 0, 0,
                  "PostgreSQL connection string (libpq conninfo)"},
    [S_CFG_LOG] = {"FANGPIN_LOG_LEVEL", FP_CFG_STR, "info", 0, 0, "debug, info, warn or error"},
    [S_CFG_KEYS] = {"FANGPIN_KEYS_DIR", FP_CFG_STR, "/var/lib/fangpin/keys", 0, 0,
                    "folder holding this service's <name>.key_secret CURVE certificate"},
    [S_CFG_ENDPOINT] = {NULL, FP_CFG_STR, NULL, 0, 0, "ZeroMQ ROUTER endpoint to bind (CURVE server)"},
    [S_CFG_HTTP] = {NULL, FP_CFG_STR, NULL, 0, 0, "HOST:PORT for /healthz, /readyz, /metrics"},
    [S_CFG_MAXREQ] = {"FANGPIN_MAX_REQUEST_BYTES", FP_CFG_INT, "1048576", 1024, 268435456,
                      "largest request frame answered; larger ones get TOO_LARGE (request.too_large)"},
    [S_CFG_MAXFRAME] = {"FANGPIN_MAX_FRAME_BYTES", FP_CFG_INT, "67108864", 1024, 1073741824,
                        "ZMQ_MAXMSGSIZE: a peer sending a larger frame is disconnected"},
    [S_CFG_GRACE] = {"FANGPIN_SHUTDOWN_GRACE_MS", FP_CFG_INT, "10000", 0, 600000,
                     "on SIGTERM, how long to let in-flight requests finish"},
    [S_CFG_REFRESH] = {"FANGPIN_KEYS_REFRESH_S", FP_CFG_INT, "60", 1, 86400,
                       "reload registered keys at least this often (also on NOTIFY)"},
    [S_CFG_BACKOFF] = {"FANGPIN_DB_BACKOFF_MAX_MS", FP_CFG_INT, "5000", 100, 600000,
                       "longest wait between database reconnection attempts"},
    [S_CFG_MIGRATE] = {"FANGPIN_MIGRATE", FP_CFG_BOOL, "true", 0, 0,
                       "apply schema migrations at start (false: wait for them)"},
    [S_CFG_HWM] = {"FANGPIN_ZMQ_HWM", FP_CFG_INT, "10000", 10, 10000000,
                   "ZeroMQ send/receive high-water marks (messages)"},
    [S_CFG_RUNAS] = {"FANGPIN_RUN_AS", FP_CFG_STR, "fangpin", 0, 0,
                     "started as root: the unprivileged user to run as, once the certificate is read"},
    [S_CFG_STMT_TIMEOUT] = {"FANGPIN_DB_STATEMENT_TIMEOUT_MS", FP_CFG_INT, "10000", 100, 86400000,
                            "statement_timeout and idle_in_transaction_session_timeout of the service's"
                            " database sessions; a statement unanswered 2000 ms longer drops the"
                            " connection (a server that stopped answering)"},
    [S_CFG_MAXINFLIGHT] = {"FANGPIN_MAX_INFLIGHT", FP_CFG_INT, "64", 1, 100000,
                           "requests in flight at most; above it the ROUTER stops reading, so that"
                           " ZeroMQ's high-water mark pushes back on senders"},
    [S_CFG_DATAKEY] = {"FANGPIN_DATA_KEY", FP_CFG_STR, "", 0, 0,
                       "the county's data key file (ID numbers at rest; intake only); empty:"
                       " FANGPIN_KEYS_DIR/data.key"},
};

static fp_cfg_t *s_build_cfg(const fp_service_def_t *def)
{
    size_t extra = 0;
    while (def->extra_cfg && def->extra_cfg[extra].env) extra++;
    fp_cfg_t *t = fp_calloc(S_CFG_COMMON_N + extra + 1, sizeof *t);
    memcpy(t, s_common_cfg, sizeof s_common_cfg);
    t[S_CFG_ENDPOINT].env = def->endpoint_env;
    t[S_CFG_ENDPOINT].dflt = def->endpoint_default;
    t[S_CFG_HTTP].env = def->http_env;
    t[S_CFG_HTTP].dflt = def->http_default;
    if (def->max_request_default) t[S_CFG_MAXREQ].dflt = def->max_request_default;
    for (size_t i = 0; i < extra; i++) t[S_CFG_COMMON_N + i] = def->extra_cfg[i];
    return t;
}

static int s_load_data_key(fp_service_t *svc)
{
    char path[4096], err[4200];
    if (svc->cfg[S_CFG_DATAKEY].str[0]) snprintf(path, sizeof path, "%s", svc->cfg[S_CFG_DATAKEY].str);
    else snprintf(path, sizeof path, "%s/data.key", svc->cfg[S_CFG_KEYS].str);
    if (fp_seal_load(path, &svc->seal, err, sizeof err) == FP_OK) return 0;
    fp_log_error("cannot read the county's data key (fangpinctl keys make writes one; back it up)", "error", err);
    return 1;
}

/* The buckets of fangpin_db_statement_seconds, in seconds: from an index probe to a slow report. */
static const double S_DB_BUCKETS[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

static void s_register_metrics(fp_service_t *svc)
{
    char labels[64];
    snprintf(labels, sizeof labels, "service=\"%s\"", svc->def->name);
    char build[256];
    snprintf(build, sizeof build, "service=\"%s\",version=\"%s\",schema=\"%s\"", svc->def->name, FANGPIN_VERSION,
             fp_migrations_schema());
    fp_gauge_set(fp_metrics_gauge(svc->metrics, "fangpin_build_info",
                                  "Always 1: the binary's version and the schema it carries (its last migration).",
                                  build),
                 1);
    svc->g_db_up = fp_metrics_gauge(svc->metrics, "fangpin_db_up", "1 while the PostgreSQL connection is up.", labels);
    svc->g_ready =
        fp_metrics_gauge(svc->metrics, "fangpin_ready", "1 while database, schema and keys are ready.", labels);
    svc->g_inflight =
        fp_metrics_gauge(svc->metrics, "fangpin_inflight_requests", "Requests received and not yet answered.", labels);
    svc->g_keys = fp_metrics_gauge(svc->metrics, "fangpin_keys_loaded", "Registered CURVE keys in the cache.", labels);
    svc->dbm.queue =
        fp_metrics_gauge(svc->metrics, "fangpin_db_queue",
                         "Database statements queued or running, on all of the service's connections.", labels);
    svc->dbm.seconds = fp_metrics_histogram(svc->metrics, "fangpin_db_statement_seconds",
                                            "Database statements' time from sent to answered, on all of the service's"
                                            " connections.",
                                            labels, S_DB_BUCKETS, sizeof S_DB_BUCKETS / sizeof *S_DB_BUCKETS);
    svc->dbm.errors = fp_metrics_counter(svc->metrics, "fangpin_db_errors_total",
                                         "Database statements that failed (a timeout, a lost lock, a bug), except"
                                         " integrity violations.",
                                         labels);
    svc->dbm.violations = fp_metrics_counter(svc->metrics, "fangpin_db_violations_total",
                                             "Database statements refused as integrity violations (SQLSTATE class 23:"
                                             " a duplicate request id answered as such).",
                                             labels);
    svc->c_reconnects_seen =
        fp_metrics_counter(svc->metrics, "fangpin_db_reconnects_total", "Database reconnections after a loss.", labels);
    svc->c_zap_denied = fp_metrics_counter(svc->metrics, "fangpin_zap_denied_total",
                                           "Connections refused by ZAP (unknown key).", labels);
    svc->c_zap_allowed =
        fp_metrics_counter(svc->metrics, "fangpin_zap_allowed_total", "Connections admitted by ZAP.", labels);
    svc->c_too_large =
        fp_metrics_counter(svc->metrics, "fangpin_requests_too_large_total", "Requests refused as too large.", labels);
    svc->c_bad_frames = fp_metrics_counter(svc->metrics, "fangpin_bad_frames_total",
                                           "Messages with the wrong number of frames.", labels);
    svc->c_zap_not_ready =
        fp_metrics_counter(svc->metrics, "fangpin_zap_not_ready_total",
                           "Connections refused for now (ZAP 300) because the keys were not loaded yet.", labels);
    svc->c_unanswered = fp_metrics_counter(svc->metrics, "fangpin_db_unanswered_total",
                                           "Times the service's database connection was dropped because the server did"
                                           " not answer (a statement past FANGPIN_DB_STATEMENT_TIMEOUT_MS + 2000 ms, or"
                                           " a connection attempt past connect_timeout).",
                                           labels);
    svc->c_paused =
        fp_metrics_counter(svc->metrics, "fangpin_requests_paused_total",
                           "Times the ROUTER stopped reading at FANGPIN_MAX_INFLIGHT requests in flight.", labels);
}

void fp_service_db_metrics(fp_service_t *svc, fp_db_t *db) { fp_db_set_metrics(db, &svc->dbm); }

static int s_setup(fp_service_t *svc)
{
    const fp_service_def_t *def = svc->def;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.key_secret", svc->cfg[S_CFG_KEYS].str, def->name);
    fp_err_t e = fp_cert_load(path, &svc->cert);
    if (e != FP_OK || !svc->cert.secret_key[0]) {
        fp_log_error("cannot read the server's secret certificate (make one with: fangpinctl keys make)", "path", path,
                     "error", e != FP_OK ? fp_strerror(e) : "no secret-key in file");
        return 1;
    }
    if (def->data_key && s_load_data_key(svc) != 0) return 1;
    /* the secret certificate may be readable by root only: read it, then give up root before
     * anything listens or connects */
    if (fp_privdrop(svc->cfg[S_CFG_RUNAS].str) != 0) return 1;
    s_register_metrics(svc);

    fp_db_opts_t dbo = {.backoff_min_ms = 100,
                        .backoff_max_ms = (int)svc->cfg[S_CFG_BACKOFF].num,
                        .statement_timeout_ms = (int)svc->cfg[S_CFG_STMT_TIMEOUT].num,
                        .on_state = s_on_db_state,
                        .on_notify = s_on_db_notify,
                        .arg = svc};
    if (fp_db_new(svc->loop, svc->cfg[S_CFG_PG].str, &dbo, &svc->db) != FP_OK) {
        fp_log_error("FANGPIN_PG is not a valid connection string");
        return 1;
    }
    fp_service_db_metrics(svc, svc->db);
    fp_db_listen(svc->db, "fangpin_keys");

    /* ZAP first, then bind: CURVE without a ZAP handler accepts any key. And bind only once
     * the keys are loaded (s_on_keys_loaded): until then a client's connection is refused by
     * the kernel and libzmq retries it, instead of a handshake refused for good. */
    if (fp_auth_new(svc->loop, svc->zctx, svc->db, &svc->auth) != FP_OK) {
        fp_log_error("cannot start the ZAP handler", "error", zmq_strerror(zmq_errno()));
        return 1;
    }
    fp_auth_on_loaded(svc->auth, s_on_keys_loaded, svc);
    svc->router = zmq_socket(svc->zctx, ZMQ_ROUTER);
    int one = 1, linger = 2000, hwm = (int)svc->cfg[S_CFG_HWM].num;
    int64_t maxmsg = svc->cfg[S_CFG_MAXFRAME].num;
    zmq_setsockopt(svc->router, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt(svc->router, ZMQ_CURVE_SECRETKEY, svc->cert.secret_key, 40);
    zmq_setsockopt(svc->router, ZMQ_ZAP_DOMAIN, "fangpin", 7);
    zmq_setsockopt(svc->router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(svc->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt(svc->router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(svc->router, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(svc->router, ZMQ_RCVHWM, &hwm, sizeof hwm);
    fp_zsock_new(svc->loop, svc->router, s_on_router, svc, &svc->zrouter);
    fp_service_bind_curve(svc, svc->router, svc->cfg[S_CFG_ENDPOINT].str, "ROUTER");

    if (fp_http_new(svc->loop, svc->cfg[S_CFG_HTTP].str, s_on_http, svc, &svc->http) != FP_OK) {
        fp_log_error("cannot listen for HTTP", "address", svc->cfg[S_CFG_HTTP].str);
        return 1;
    }

    uv_signal_start(&svc->sigterm, s_on_signal, SIGTERM);
    uv_signal_start(&svc->sigint, s_on_signal, SIGINT);
    uv_timer_start(&svc->tick, s_on_tick, 200, 200);
    fp_log_info("started: the CURVE sockets bind once the database answers and the keys are loaded", "endpoint",
                svc->cfg[S_CFG_ENDPOINT].str, "http", svc->cfg[S_CFG_HTTP].str, "public_key", svc->cert.public_key,
                "version", FANGPIN_VERSION);
    return 0;
}

int fp_service_main(const fp_service_def_t *def, int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    fp_service_t *svc = fp_new(fp_service_t);
    svc->def = def;
    svc->cfg = s_build_cfg(def);
    char prog[64];
    snprintf(prog, sizeof prog, "fangpin-%s", def->name);
    int rc = fp_config_main(svc->cfg, prog, def->about, argc, argv);
    if (rc != 0) {
        free(svc->cfg);
        free(svc);
        return rc == 1 ? 0 : 2;
    }
    int level = fp_log_level_parse(svc->cfg[S_CFG_LOG].str);
    fp_log_init(def->name, level < 0 ? FP_LOG_INFO : (fp_log_level_t)level);
    if (level < 0) fp_log_warn("unknown FANGPIN_LOG_LEVEL, using info", "value", svc->cfg[S_CFG_LOG].str);
    svc->max_request = (size_t)svc->cfg[S_CFG_MAXREQ].num;
    svc->max_inflight = (size_t)svc->cfg[S_CFG_MAXINFLIGHT].num;

    svc->loop = fp_new(uv_loop_t);
    uv_loop_init(svc->loop);
    svc->zctx = zmq_ctx_new();
    uv_signal_init(svc->loop, &svc->sigterm);
    uv_signal_init(svc->loop, &svc->sigint);
    uv_timer_init(svc->loop, &svc->tick);
    uv_timer_init(svc->loop, &svc->migrate_retry);
    svc->sigterm.data = svc->sigint.data = svc->tick.data = svc->migrate_retry.data = svc;
    svc->metrics = fp_metrics_new();
    int exit_code = s_setup(svc);
    if (exit_code == 0 && def->on_start) exit_code = def->on_start(svc, def->arg) ? 1 : 0;
    svc->started = exit_code == 0;
    if (exit_code != 0) s_close_all(svc);
    uv_run(svc->loop, UV_RUN_DEFAULT);
    if (exit_code == 0) exit_code = svc->exit_code;
    if (svc->router) zmq_close(svc->router);
    zmq_ctx_term(svc->zctx);
    uv_loop_close(svc->loop);
    free(svc->loop);
    fp_metrics_destroy(&svc->metrics);
    fp_seal_free(&svc->seal);
    free(svc->cfg);
    free(svc);
    if (exit_code == 0) fp_log_info("stopped");
    return exit_code;
}
