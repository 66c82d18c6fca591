/* open.c: a plan for every identified household (一户一策). A PULL socket takes screening's
 * HouseholdIdentified hints; a hint only wakes the opener, which then opens, in ONE statement
 * (one transaction), a monitoring plan for every identified case that has none: the plan row,
 * its 'plan.opened' history and the 'plan.opened' event (region = the village). The same runs when
 * the database comes up and every FANGPIN_ASSISTANCE_SCAN_S, so a lost hint or a crash loses
 * nothing, and running it twice opens nothing twice (plans.case_id is UNIQUE). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "assist.h"
#include "date.h"
#include "fangpin/v1/screening.pb-c.h"
#include "log.h"
#include "today.h"

#define S_OPEN_BATCH 2000

int32_t assist_today(const assist_t *a) { return fp_today(); }

static void s_open(assist_t *a);

static void s_on_opened(fp_db_t *db, PGresult *res, void *arg)
{
    assist_t *a = arg;
    a->opening = false;
    long n = 0;
    if (!res) {
        /* the database went away: the statement did not commit; the next ready/scan retries */
    } else if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fp_log_error("opening plans failed; retried by the next scan", "error", fp_db_errmsg(res));
    } else if (PQntuples(res) == 1) {
        fp_counter_add(a->c_scans, 1);
        n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
        if (n > 0) {
            a->opened += (uint64_t)n;
            fp_counter_add(a->c_opened, (uint64_t)n);
            fp_log_info("plans opened for identified households", "count", PQgetvalue(res, 0, 0));
        }
    }
    if (n == S_OPEN_BATCH || a->again) {
        a->again = false;
        s_open(a);
    }
}

static void s_open(assist_t *a)
{
    if (!fp_service_db_ready(a->svc)) return;
    if (a->opening) {
        a->again = true;
        return;
    }
    a->opening = true;
    a->last_scan = uv_now(fp_service_loop(a->svc));
    char today[11], batch[16];
    fp_date_format(assist_today(a), today);
    snprintf(batch, sizeof batch, "%d", S_OPEN_BATCH);
    const char *p[2] = {today, batch};
    /* SKIP LOCKED: two assistance processes never wait on each other; ON CONFLICT: a plan opened
     * meanwhile by another is left alone. identified_on is the day the case entered 'identified'. */
    fp_db_query(fp_service_db(a->svc), 0,
                "WITH c AS (SELECT c.id, c.county_code, c.village_code, c.household_no, c.kind, c.risk_types,"
                "   coalesce(c.step_since, c.opened_on) AS identified_on FROM cases c"
                "  WHERE c.state = 'identified' AND NOT EXISTS (SELECT 1 FROM plans p"
                "   WHERE p.county_code = c.county_code AND p.case_id = c.id)"
                "  ORDER BY c.id LIMIT $2::int FOR UPDATE OF c SKIP LOCKED),"
                " p AS (INSERT INTO plans (county_code, village_code, household_no, kind, case_id, monitored_kind,"
                "   risk_types, identified_on, opened_on, elim_step_since)"
                "  SELECT county_code, village_code, household_no, 'monitoring', id, kind, risk_types, identified_on,"
                "   $1::date, $1::date FROM c ON CONFLICT (county_code, case_id) DO NOTHING"
                "  RETURNING id, county_code, village_code, case_id, monitored_kind),"
                " h AS (INSERT INTO plan_history (county_code, plan_id, on_day, actor, event, to_state, reason)"
                "  SELECT county_code, id, $1::date, 'system', 'plan.opened', 'monitored', '识别纳入监测，建立帮扶计划'"
                "  FROM p),"
                " e AS (SELECT events_write(array_agg(ROW(county_code, village_code, 'plan.opened',"
                "   jsonb_build_object('plan_id', id, 'case_id', case_id, 'kind', 'monitoring', 'monitored_kind',"
                "   monitored_kind))::event_new ORDER BY id)) FROM p)"
                " SELECT count(*) FROM p, e", /* e read, so that it runs */
                2, p, s_on_opened, a);
}

static void s_on_hint(fp_zsock_t *zs, fp_zmsg_t *m, void *arg)
{
    assist_t *a = arg;
    if (m->nparts != 1) return;
    Fangpin__V1__HouseholdIdentified *h =
        fangpin__v1__household_identified__unpack(NULL, zmq_msg_size(&m->parts[0]), zmq_msg_data(&m->parts[0]));
    if (!h) {
        fp_log_warn("undecodable HouseholdIdentified hint ignored");
        return;
    }
    fangpin__v1__household_identified__free_unpacked(h, NULL);
    s_open(a); /* the hint wakes us; the cases table says what to open */
}

int assist_open_start(assist_t *a, fp_service_t *svc)
{
    a->svc = svc;
    if (fp_today_start(svc)) return 1;
    a->c_opened = fp_metrics_counter(fp_service_metrics(svc), "fangpin_assistance_plans_opened_total",
                                     "Monitoring plans opened for identified households by this process.", "");
    a->c_scans = fp_metrics_scans(fp_service_metrics(svc), "plans");
    a->pull = zmq_socket(fp_service_zctx(svc), ZMQ_PULL);
    int linger = 0;
    int64_t maxmsg = fp_service_int(svc, "FANGPIN_MAX_FRAME_BYTES");
    zmq_setsockopt(a->pull, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(a->pull, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    const char *ep = fp_service_str(svc, "FANGPIN_ASSISTANCE_IDENTIFIED_PULL");
    if (zmq_connect(a->pull, ep) != 0) {
        fp_log_error("bad FANGPIN_ASSISTANCE_IDENTIFIED_PULL endpoint", "endpoint", ep, "error",
                     zmq_strerror(zmq_errno()));
        zmq_close(a->pull);
        a->pull = NULL;
        return 1;
    }
    fp_zsock_new(fp_service_loop(svc), a->pull, s_on_hint, a, &a->zs);
    return 0;
}

void assist_open_ready(assist_t *a) { s_open(a); }

void assist_open_tick(assist_t *a)
{
    uint64_t now = uv_now(fp_service_loop(a->svc));
    uint64_t every = (uint64_t)fp_service_int(a->svc, "FANGPIN_ASSISTANCE_SCAN_S") * 1000;
    if (now - a->last_scan < every) return;
    s_open(a);
}

void assist_open_stop(assist_t *a)
{
    fp_zsock_destroy(&a->zs);
    if (a->pull) zmq_close(a->pull);
    a->pull = NULL;
}
