/* receive.c: screening's intake of accepted leads. A PULL socket takes intake's LeadsAccepted
 * hints; the hint only wakes the worker, which then claims unscreened leads from the table in
 * batches (FOR UPDATE SKIP LOCKED: workers share the load, no lead is taken twice; the lock is
 * the claim, screen_match marks the leads screened) and screens each batch into cases in the
 * claim's own transaction (see s_claim). The same claim runs on
 * every database-ready and periodically, so leads accepted while screening was down, or whose
 * hint was lost, are received all the same. */
#include "receive.h"

#include "categories.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "cases.h"
#include "fangpin/v1/intake.pb-c.h"
#include "log.h"
#include "mem.h"

#define S_CLAIM_BATCH "2000"

static void s_claim(screen_recv_t *r);

/* One batch on its way through the transaction chain. */
typedef struct {
    screen_recv_t *r;
    int n;               /* leads claimed */
    int cases;           /* cases touched */
    fp_buf_t cases_json; /* the decisions stored: their case ids, for the low-income rules */
} s_batch_t;

/* The chain ended (committed, rolled back or the database went away): maybe go again. */
static void s_done(s_batch_t *b, bool committed)
{
    screen_recv_t *r = b->r;
    int n = committed ? b->n : 0;
    r->claiming = false;
    if (n > 0) {
        r->received += (uint64_t)n;
        fp_counter_add(r->c_received, (uint64_t)n);
        char count[16], cases[16];
        snprintf(count, sizeof count, "%d", n);
        snprintf(cases, sizeof cases, "%d", b->cases);
        fp_log_info("leads received", "count", count, "cases", cases, "worker", r->worker);
    }
    fp_buf_free(&b->cases_json);
    free(b);
    /* a full batch means there may be more: keep going; also go again if woken meanwhile */
    if (n == atoi(S_CLAIM_BATCH) || r->again) {
        r->again = false;
        s_claim(r);
    }
}

static void s_on_rolled_back(fp_db_t *db, PGresult *res, void *arg) { s_done(arg, false); }

static void s_abort(fp_db_t *db, s_batch_t *b, PGresult *res, const char *what)
{
    if (!res) { /* connection lost: the server rolled the transaction back */
        s_done(b, false);
        return;
    }
    fp_log_error("screening a batch failed; rolled back, retried by the next scan", "step", what, "error",
                 fp_db_errmsg(res));
    fp_db_query(db, FP_DB_FRONT, "ROLLBACK", 0, NULL, s_on_rolled_back, b);
}

static void s_on_committed(fp_db_t *db, PGresult *res, void *arg)
{
    s_batch_t *b = arg;
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
        s_abort(db, b, res, "COMMIT");
        return;
    }
    s_done(b, true);
}

static void s_on_referred(fp_db_t *db, PGresult *res, void *arg)
{
    s_batch_t *b = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        s_abort(db, b, res, "refer to civil affairs");
        return;
    }
    fp_db_query(db, FP_DB_FRONT, "COMMIT", 0, NULL, s_on_committed, b);
}

/* The cases of a unified county with their facts: the low-income rules decide (refer.c). */
static void s_on_candidates(fp_db_t *db, PGresult *res, void *arg)
{
    s_batch_t *b = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        s_abort(db, b, res, "low-income candidates");
        return;
    }
    fp_buf_t json = {0};
    if (screen_refer_json(res, &json) == 0) {
        fp_buf_free(&json);
        fp_db_query(db, FP_DB_FRONT, "COMMIT", 0, NULL, s_on_committed, b);
        return;
    }
    const char *p[1] = {json.data};
    fp_db_query(db, FP_DB_FRONT, "SELECT lowincome_refer($1::jsonb)", 1, p, s_on_referred, b);
    fp_buf_free(&json);
}

static void s_on_stored(fp_db_t *db, PGresult *res, void *arg)
{
    s_batch_t *b = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        s_abort(db, b, res, "store decisions");
        return;
    }
    const char *p[1] = {b->cases_json.data};
    fp_db_query(db, FP_DB_FRONT, "SELECT * FROM lowincome_candidates($1::jsonb)", 1, p, s_on_candidates, b);
}

/* screen_match() opened or merged the cases and returned their facts: the rules decide. */
static void s_on_matched(fp_db_t *db, PGresult *res, void *arg)
{
    s_batch_t *b = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        s_abort(db, b, res, "match");
        return;
    }
    fp_buf_t json = {0};
    b->cases = screen_cases_decide(res, &json);
    if (b->cases == 0) {
        fp_buf_free(&json);
        fp_db_query(db, FP_DB_FRONT, "COMMIT", 0, NULL, s_on_committed, b);
        return;
    }
    const char *p[1] = {json.data};
    fp_db_query(db, FP_DB_FRONT, "SELECT screen_store_decisions($1::jsonb)", 1, p, s_on_stored, b);
    b->cases_json = json; /* kept for lowincome_candidates */
}

static void s_on_claimed(fp_db_t *db, PGresult *res, void *arg)
{
    s_batch_t *b = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        s_abort(db, b, res, "claim");
        return;
    }
    b->n = PQntuples(res);
    if (b->n == 0) {
        fp_db_query(db, FP_DB_FRONT, "COMMIT", 0, NULL, s_on_committed, b);
        return;
    }
    fp_buf_t ids = {0};
    fp_buf_puts(&ids, "{");
    for (int i = 0; i < b->n; i++) fp_buf_printf(&ids, "%s%s", i ? "," : "", PQgetvalue(res, i, 0));
    fp_buf_puts(&ids, "}");
    const char *p[2] = {ids.data, b->r->worker};
    fp_db_query(db, FP_DB_FRONT, "SELECT * FROM screen_match($1::bigint[], $2)", 2, p, s_on_matched, b);
    fp_buf_free(&ids);
}

static void s_on_begun(fp_db_t *db, PGresult *res, void *arg)
{
    s_batch_t *b = arg;
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
        s_abort(db, b, res, "BEGIN");
        return;
    }
    /* the claim only locks the leads, in key order; screen_match marks them screened in the
     * UPDATE that sets their status (one write of each lead row) */
    fp_db_query(db, FP_DB_FRONT,
                "SELECT id FROM leads WHERE screened_at IS NULL ORDER BY county_code, id"
                " LIMIT " S_CLAIM_BATCH " FOR UPDATE SKIP LOCKED",
                0, NULL, s_on_claimed, b);
}

/* One transaction per batch: BEGIN; claim; screen_match (cases, history, events, statuses);
 * the rules in C; store the decisions; COMMIT. A crash anywhere rolls all of it back and the
 * leads stay unclaimed for the next scan: nothing lost, nothing done twice. */
static void s_claim(screen_recv_t *r)
{
    if (!fp_service_db_ready(r->svc)) return;
    if (r->claiming) {
        r->again = true;
        return;
    }
    r->claiming = true;
    s_batch_t *b = fp_new(s_batch_t);
    b->r = r;
    fp_db_query(fp_service_db(r->svc), 0, "BEGIN", 0, NULL, s_on_begun, b);
}

static void s_on_hint(fp_zsock_t *zs, fp_zmsg_t *m, void *arg)
{
    screen_recv_t *r = arg;
    if (m->nparts != 1) return;
    Fangpin__V1__LeadsAccepted *h =
        fangpin__v1__leads_accepted__unpack(NULL, zmq_msg_size(&m->parts[0]), zmq_msg_data(&m->parts[0]));
    if (!h) {
        fp_log_warn("undecodable LeadsAccepted hint ignored");
        return;
    }
    fangpin__v1__leads_accepted__free_unpacked(h, NULL);
    s_claim(r); /* the hint wakes us; the table says what to take */
}

int screen_recv_start(screen_recv_t *r, fp_service_t *svc)
{
    r->svc = svc;
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    snprintf(r->worker, sizeof r->worker, "%s:%ld", host, (long)getpid());
    r->c_received = fp_metrics_counter(fp_service_metrics(svc), "fangpin_screening_leads_received_total",
                                       "Accepted leads received (claimed) by this worker.", "");
    r->pull = zmq_socket(fp_service_zctx(svc), ZMQ_PULL);
    int linger = 0;
    int64_t maxmsg = fp_service_int(svc, "FANGPIN_MAX_FRAME_BYTES");
    zmq_setsockopt(r->pull, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(r->pull, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    const char *ep = fp_service_str(svc, "FANGPIN_SCREENING_LEADS_PULL");
    if (zmq_connect(r->pull, ep) != 0) {
        fp_log_error("bad FANGPIN_SCREENING_LEADS_PULL endpoint", "endpoint", ep, "error", zmq_strerror(zmq_errno()));
        zmq_close(r->pull);
        r->pull = NULL;
        return 1;
    }
    fp_zsock_new(fp_service_loop(svc), r->pull, s_on_hint, r, &r->zs);
    return 0;
}

void screen_recv_ready(screen_recv_t *r) { s_claim(r); }

void screen_recv_tick(screen_recv_t *r)
{
    uint64_t now = uv_now(fp_service_loop(r->svc));
    uint64_t every = (uint64_t)fp_service_int(r->svc, "FANGPIN_SCREENING_SCAN_S") * 1000;
    if (now - r->last_scan < every) return;
    r->last_scan = now;
    s_claim(r);
}

void screen_recv_stop(screen_recv_t *r)
{
    fp_zsock_destroy(&r->zs);
    if (r->pull) zmq_close(r->pull);
    r->pull = NULL;
}
