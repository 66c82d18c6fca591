/* receive.c: screening's intake of accepted leads. A PULL socket takes intake's LeadsAccepted
 * hints; the hint only wakes the worker, which then claims unscreened leads from the table in
 * batches (FOR UPDATE SKIP LOCKED: workers share the load, no lead is taken twice). The same
 * claim runs on every database-ready and periodically, so leads accepted while screening was
 * down, or whose hint was lost, are received all the same. */
#include "receive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "fangpin/v1/intake.pb-c.h"
#include "log.h"
#include "mem.h"

#define S_CLAIM_BATCH "2000"

static void s_claim(screen_recv_t *r);

static void s_on_claimed(fp_db_t *db, PGresult *res, void *arg)
{
    screen_recv_t *r = arg;
    r->claiming = false;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        if (res) fp_log_error("claiming leads failed", "error", PQresultErrorMessage(res));
        return; /* the periodic scan tries again */
    }
    int n = PQntuples(res);
    if (n > 0) {
        r->received += (uint64_t)n;
        fp_counter_add(r->c_received, (uint64_t)n);
        char count[16];
        snprintf(count, sizeof count, "%d", n);
        fp_log_info("leads received", "count", count, "worker", r->worker);
    }
    /* a full batch means there may be more: keep going; also go again if woken meanwhile */
    if (n == atoi(S_CLAIM_BATCH) || r->again) {
        r->again = false;
        s_claim(r);
    }
}

static void s_claim(screen_recv_t *r)
{
    if (!fp_service_db_ready(r->svc)) return;
    if (r->claiming) {
        r->again = true;
        return;
    }
    r->claiming = true;
    const char *p[1] = {r->worker};
    fp_db_query(fp_service_db(r->svc), 0,
                "WITH c AS (SELECT id FROM leads WHERE screened_at IS NULL ORDER BY county_code, id"
                "           LIMIT " S_CLAIM_BATCH " FOR UPDATE SKIP LOCKED)"
                " UPDATE leads l SET screened_at = now(), screened_by = $1 FROM c WHERE l.id = c.id"
                " RETURNING l.id",
                1, p, s_on_claimed, r);
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
