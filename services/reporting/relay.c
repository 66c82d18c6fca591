/* relay.c: the event relay. One relay numbers unpublished outbox rows in id order (their rows in
 * events_pending, FOR UPDATE SKIP LOCKED: a row whose writer has not committed is invisible and
 * gets a later position when it does) as max(position)+1.., by inserting their positions into
 * event_positions (migration 051: the wide events rows are not rewritten), in one statement that
 * commits on its own (relay_number(), deploy/db/functions/events.sql), then publishes them.
 *
 * Gap-free and unique: only the relay writes positions, in relay_number(), which first takes
 * pg_advisory_xact_lock(7105001); a second relay (a mistaken second reporting process) waits
 * for the lock and then numbers after the first one's commit, so positions stay 1..N even then
 * (both would publish, and a subscriber dedups by position).
 * Restart: relay_state.published (one row, migration 013) is the high-water mark: every position
 * at or below it went out on the PUB. The relay raises it to what it has sent in the statement
 * that numbers its next batch (so marking costs neither a statement of its own nor a commit):
 * while events stream, the next batch's; after the last batch of a run, the next wake-up's, at
 * the latest the next heartbeat's (an empty numbering statement); after each page of a recovery,
 * on its own. It never raises it before the PUB sends: the mark rides in a statement that
 * commits after them. On start and on every reconnect it republishes, from the table, every
 * position above the mark (and above what this process already sent), before numbering new rows.
 * A crash between publishing a batch and the next commit therefore repeats at most one batch:
 * subscribers must treat positions idempotently (ignore a position at or below the last one
 * they handled). */
#include "relay.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "cert.h"
#include "httpaccess.h"
#include "log.h"
#include "mem.h"

#define S_LAG_EVERY_MS 5000 /* how often the relay's lag is measured (at a heartbeat) */

#define S_EVENT_COLS                                                   \
    "p.position, e.county_code, e.region_code, e.type, e.payload::text," \
    " (extract(epoch FROM e.created_at) * 1000)::bigint"

static void s_run(report_relay_t *r);

void report_event_from_row(const PGresult *res, int row, int col, Fangpin__V1__Event *ev)
{
    fangpin__v1__event__init(ev);
    ev->position = strtoll(PQgetvalue(res, row, col), NULL, 10);
    ev->county = PQgetvalue(res, row, col + 1);
    ev->region = PQgetvalue(res, row, col + 2);
    ev->type = PQgetvalue(res, row, col + 3);
    ev->payload_json = PQgetvalue(res, row, col + 4);
    ev->created_at_ms = strtoll(PQgetvalue(res, row, col + 5), NULL, 10);
}

/* --- publishing -------------------------------------------------------------------------------- */

static void s_publish_rows(report_relay_t *r, const PGresult *res, bool republish)
{
    int n = PQntuples(res);
    uint8_t stack[2048];
    for (int i = 0; i < n; i++) {
        Fangpin__V1__Event ev;
        report_event_from_row(res, i, 0, &ev);
        if (ev.position <= r->published) continue; /* this process sent it already */
        char topic[80], pos[24];
        int tl = snprintf(topic, sizeof topic, "%s/%s", ev.region, ev.type);
        if (tl < 0 || (size_t)tl >= sizeof topic) tl = (int)sizeof topic - 1;
        int pl = snprintf(pos, sizeof pos, "%" PRId64, ev.position);
        size_t len = fangpin__v1__event__get_packed_size(&ev);
        uint8_t *buf = len <= sizeof stack ? stack : fp_malloc(len);
        fangpin__v1__event__pack(&ev, buf);
        const void *parts[3] = {topic, pos, buf};
        size_t lens[3] = {(size_t)tl, (size_t)pl, len};
        fp_zsock_send(r->zpub, parts, lens, 3); /* PUB never blocks: at the HWM it drops, subscribers replay */
        if (buf != stack) free(buf);
        r->published = ev.position;
        if (r->listener) r->listener(&ev, r->listener_arg);
    }
    if (n > 0) {
        fp_counter_add(republish ? r->c_republished : r->c_published, (uint64_t)n);
        fp_gauge_set(r->g_position, (double)r->published);
    }
}

static void s_on_marked(fp_db_t *db, PGresult *res, void *arg)
{
    report_relay_t *r = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        if (res)
            fp_log_warn("recording the published position failed (events may be republished)", "error",
                        fp_db_errmsg(res));
        return;
    }
    int64_t m = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    if (m > r->marked) r->marked = m;
}

/* Records, on its own, that everything up to r->published went out (queued behind nothing else
 * of ours: the connection is ours): after a page of a recovery. Otherwise the next numbering
 * statement carries the mark (s_run). */
static void s_mark(report_relay_t *r)
{
    if (r->published <= r->marked) return;
    char a[24];
    snprintf(a, sizeof a, "%" PRId64, r->published);
    const char *p[1] = {a};
    fp_db_query(r->db, 0,
                "UPDATE relay_state SET published = greatest(published, $1::bigint), published_at = now()"
                " RETURNING published",
                1, p, s_on_marked, r);
}

static void s_done(report_relay_t *r, bool more)
{
    r->busy = false;
    if (more || r->again) {
        r->again = false;
        s_run(r);
    }
}

/* --- recovery: republish what got a position but was perhaps never sent ------------------------ */

static void s_recover_page(report_relay_t *r);

static void s_on_recover_page(fp_db_t *db, PGresult *res, void *arg)
{
    report_relay_t *r = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        if (res) fp_log_error("reading unpublished positions failed", "error", fp_db_errmsg(res));
        s_done(r, false);
        return;
    }
    int n = PQntuples(res);
    if (n > 0) {
        char first[24], last[24];
        snprintf(first, sizeof first, "%s", PQgetvalue(res, 0, 0));
        snprintf(last, sizeof last, "%s", PQgetvalue(res, n - 1, 0));
        fp_log_info("republishing events numbered but not marked published", "from", first, "to", last);
        s_publish_rows(r, res, true);
        s_mark(r);
    }
    if (n >= r->batch) {
        s_recover_page(r);
        return;
    }
    r->recovered = true;
    r->busy = false;
    s_run(r);
}

static void s_recover_page(report_relay_t *r)
{
    char after[24], lim[24];
    snprintf(after, sizeof after, "%" PRId64, r->published);
    snprintf(lim, sizeof lim, "%" PRId64, r->batch);
    const char *p[2] = {after, lim};
    fp_db_query(r->db, FP_DB_FRONT,
                "SELECT " S_EVENT_COLS " FROM event_positions p JOIN events e ON e.id = p.event_id"
                " WHERE p.position > $1 ORDER BY p.position LIMIT $2", 2, p,
                s_on_recover_page, r);
}

static void s_on_mark_found(fp_db_t *db, PGresult *res, void *arg)
{
    report_relay_t *r = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        if (res) fp_log_error("reading the last published position failed", "error", fp_db_errmsg(res));
        s_done(r, false);
        return;
    }
    int64_t marked = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    r->marked = marked;
    r->mark_known = true;
    if (marked > r->published) r->published = marked;
    fp_gauge_set(r->g_position, (double)r->published);
    s_recover_page(r);
}

/* --- numbering: one statement (and commit) per batch ------------------------------------------- */

static void s_on_numbered(fp_db_t *db, PGresult *res, void *arg)
{
    report_relay_t *r = arg;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        /* not committed (an error rolls the statement back), or not known (connection lost):
         * nothing is published; if it did commit, the recovery republishes it from the table */
        if (res) fp_log_error("numbering events failed", "error", fp_db_errmsg(res));
        r->recovered = false;
        s_done(r, false);
        return;
    }
    if (r->marking > r->marked) r->marked = r->marking;
    int n = PQntuples(res);
    if (n > 0) {
        int64_t lo = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        if (lo != r->published + 1 && r->published > 0) {
            /* another relay numbered rows between our batches: republish from the table */
            char a[24], b[24];
            snprintf(a, sizeof a, "%" PRId64, r->published);
            snprintf(b, sizeof b, "%" PRId64, lo);
            fp_log_warn("positions jumped: another relay is numbering events? catching up from the table", "published",
                        a, "first", b);
            r->recovered = false;
            s_done(r, true);
            return;
        }
        s_publish_rows(r, res, false);
    }
    /* The last batch for now leaves its mark to the next batch's statement or, when none comes
     * first, to the next heartbeat (s_on_beat): a commit of its own here would hold the
     * connection (and the next wake-up behind it) for one more WAL flush. */
    s_done(r, n >= r->batch);
}

static void s_run(report_relay_t *r)
{
    if (r->stopping || !r->db || !r->zpub || !fp_db_is_up(r->db) || !fp_service_db_ready(r->svc)) return;
    if (r->busy) {
        r->again = true;
        return;
    }
    r->busy = true;
    if (!r->recovered) {
        fp_db_query(r->db, 0, "SELECT published FROM relay_state", 0, NULL, s_on_mark_found, r);
        return;
    }
    /* relay_number() (deploy/db/functions/events.sql) takes the lock, records the mark of what
     * went out since the last one (it commits with this batch's positions, after the sends) and
     * numbers the batch: one round trip and one commit. */
    r->marking = r->published > r->marked ? r->published : 0;
    char lim[24], mark[24];
    snprintf(lim, sizeof lim, "%" PRId64, r->batch);
    snprintf(mark, sizeof mark, "%" PRId64, r->marking);
    const char *p[2] = {lim, mark};
    fp_db_query(r->db, 0, "SELECT * FROM relay_number($1::integer, $2::bigint)", 2, p, s_on_numbered, r);
}

void report_relay_kick(report_relay_t *r) { s_run(r); }

/* --- wiring -------------------------------------------------------------------------------------- */

static void s_on_db_state(fp_db_t *db, bool up, void *arg)
{
    report_relay_t *r = arg;
    r->recovered = false; /* on every (re)connection: republish what may not have gone out */
    if (up) s_run(r);
}

static void s_on_notify(fp_db_t *db, const char *channel, const char *payload, void *arg)
{
    report_relay_t *r = arg;
    if (strcmp(channel, "fangpin_events") == 0) s_run(r);
}

/* --- lag: events written and not yet published ------------------------------------------------------ */

static void s_on_lag(fp_db_t *db, PGresult *res, void *arg)
{
    report_relay_t *r = arg;
    r->lag_busy = false;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        if (res) fp_log_warn("measuring the relay's lag failed", "error", fp_db_errmsg(res));
        return;
    }
    fp_gauge_set(r->g_lag_events, strtod(PQgetvalue(res, 0, 0), NULL));
    fp_gauge_set(r->g_lag_seconds, strtod(PQgetvalue(res, 0, 1), NULL));
}

/* Unpublished: not numbered yet (events_pending, migration 051), or numbered above what this
 * relay has sent; the age is the oldest one's, by the database's clock. On the relay's connection,
 * between its transactions (theirs continue with FP_DB_FRONT). Not before the published mark is
 * read back after a start: until then every position would look unpublished. */
static void s_measure_lag(report_relay_t *r)
{
    uint64_t now = uv_now(fp_service_loop(r->svc));
    if (r->lag_busy || !r->mark_known || !r->db || !fp_db_is_up(r->db)) return;
    if (r->lag_at && now - r->lag_at < S_LAG_EVERY_MS) return;
    r->lag_at = now ? now : 1;
    r->lag_busy = true;
    char pub[24];
    snprintf(pub, sizeof pub, "%" PRId64, r->published);
    const char *p[1] = {pub};
    fp_db_query(r->db, 0,
                "SELECT (SELECT count(*) FROM events_pending)"
                "       + (SELECT count(*) FROM event_positions WHERE position > $1::bigint),"
                " coalesce(greatest(0, extract(epoch FROM now() - least("
                "   (SELECT e.created_at FROM events_pending q JOIN events e ON e.id = q.id ORDER BY q.id LIMIT 1),"
                "   (SELECT e.created_at FROM event_positions p JOIN events e ON e.id = p.event_id"
                "     WHERE p.position > $1::bigint ORDER BY p.position LIMIT 1)))), 0)",
                1, p, s_on_lag, r);
}

static void s_on_beat(uv_timer_t *t)
{
    report_relay_t *r = t->data;
    char pos[24];
    int pl = snprintf(pos, sizeof pos, "%" PRId64, r->published);
    const void *parts[2] = {"HEARTBEAT", pos};
    size_t lens[2] = {9, (size_t)pl};
    /* not before the published position is read back after a start: a heartbeat says the head */
    if (r->zpub && r->mark_known) fp_zsock_send(r->zpub, parts, lens, 2);
    if (r->beat_listener) r->beat_listener(r->listener_arg);
    s_run(r); /* the periodic scan: NOTIFY is only a hint */
    s_measure_lag(r);
}

int report_relay_start(report_relay_t *r, fp_service_t *svc)
{
    r->svc = svc;
    r->batch = fp_service_int(svc, "FANGPIN_REPORTING_RELAY_BATCH");
    fp_metrics_t *m = fp_service_metrics(svc);
    r->c_published = fp_metrics_counter(m, "fangpin_events_published_total", "Events published by the relay.", "");
    r->c_republished = fp_metrics_counter(m, "fangpin_events_republished_total",
                                          "Events published again after a restart or reconnect.", "");
    r->g_position = fp_metrics_gauge(m, "fangpin_events_position", "Highest event position published.", "");
    r->g_lag_events = fp_metrics_gauge(m, "fangpin_relay_lag_events",
                                       "Events written and not yet published (measured every 5 s).", "");
    r->g_lag_seconds =
        fp_metrics_gauge(m, "fangpin_relay_lag_seconds",
                         "Age of the oldest event not yet published, 0 when none (measured every 5 s).", "");
    r->c_sub_narrowed =
        fp_metrics_counter(m, "fangpin_event_subscriptions_narrowed_total",
                           "Event PUB subscriptions wider than the key's region, given its region.", "");
    r->c_sub_refused =
        fp_metrics_counter(m, "fangpin_event_subscriptions_refused_total",
                           "Event PUB subscriptions outside the key's region (or of a revoked key).", "");

    r->c_recycled = fp_metrics_counter(m, "fangpin_event_pub_recycled_total",
                                       "Event PUB sockets recycled because a subscribed key was revoked (or its"
                                       " principal disabled or changed).",
                                       "");

    /* the certificate the skeleton read at start, before root was given up: a recycle needs it */
    snprintf(r->pub_secret, sizeof r->pub_secret, "%s", fp_service_cert(svc)->secret_key);
    const char *ep = fp_service_str(svc, "FANGPIN_REPORTING_PUB");
    snprintf(r->pub_ep, sizeof r->pub_ep, "%s", ep);
    if (report_pub_open(r) != 0) {
        fp_log_error("cannot make the event PUB socket", "error", zmq_strerror(zmq_errno()));
        return 1;
    }
    /* bound once the keys are loaded, like the ROUTER: a subscriber that connects while the
     * service starts is retried by libzmq, never refused for good at the handshake */
    fp_service_bind_curve(svc, r->pub, ep, "event PUB");

    fp_db_opts_t o = {.backoff_min_ms = 100,
                      .backoff_max_ms = (int)fp_service_int(svc, "FANGPIN_DB_BACKOFF_MAX_MS"),
                      .statement_timeout_ms = (int)fp_service_int(svc, "FANGPIN_DB_STATEMENT_TIMEOUT_MS"),
                      .on_state = s_on_db_state,
                      .on_notify = s_on_notify,
                      .arg = r};
    if (fp_db_new(fp_service_loop(svc), fp_service_str(svc, "FANGPIN_PG"), &o, &r->db) != FP_OK) return 1;
    fp_service_db_metrics(svc, r->db);
    fp_db_listen(r->db, "fangpin_events");

    fp_service_every(svc, &r->beat, "FANGPIN_REPORTING_HEARTBEAT_MS", s_on_beat, r);
    r->beat_started = true;
    return 0;
}

void report_relay_stop(report_relay_t *r)
{
    r->stopping = true;
    if (r->beat_started) {
        uv_timer_stop(&r->beat);
        uv_close((uv_handle_t *)&r->beat, NULL);
        r->beat_started = false;
    }
    if (r->rebind_started) {
        uv_timer_stop(&r->rebind);
        uv_close((uv_handle_t *)&r->rebind, NULL);
        r->rebind_started = false;
    }
    fp_db_destroy(&r->db);
    report_pub_close(r);
    free(r->subkeys);
    r->subkeys = NULL;
    r->nsubkeys = r->capsubkeys = 0;
}
