/* compare_presence.c: which persons of a department's answers are present in the ledger, for the
 * batches of a large answer file (docs/compare.md, "Who is in the ledger").
 *
 * Each answer batch tells the department which of its persons the ledger holds (matched, and the
 * lines of those it does not). Asked of the database, that is one descent of ledger_members'
 * primary key a person: at a million answers, as much work as storing the facts. A file of
 * several batches instead has intake read the county's present members once, as the keyed hashes
 * of their ID numbers, sorted, with the snapshot they were read in (compare_presence(), one COPY
 * on a connection of intake's own), and look each batch's persons up in them. The batch passes the
 * snapshot with its counts: compare_answers_apply takes them only when no transaction that
 * changed ledger_members (ledger_changes, written by a trigger) has committed since that snapshot;
 * otherwise it asks the ledger as before and says so (seen_stale), and intake reads the members
 * again. The answers are the same either way.
 *
 * One county at a time; read again after S_PRESENCE_MAX_AGE_MS, dropped after S_PRESENCE_IDLE_MS
 * unused and when the service stops. At most S_PRESENCE_MAX_MEMBERS persons (32 bytes each): a
 * larger county is asked of the database batch by batch. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "compare_presence.h"
#include "copybin.h"
#include "log.h"
#include "mem.h"
#include "seal.h"

#define S_PRESENCE_MAX_MEMBERS 4000000u /* 128 MB of hashes */
#define S_PRESENCE_MAX_AGE_MS 600000u   /* read again after 10 minutes (ledger_changes keeps 7 days) */
#define S_PRESENCE_IDLE_MS 60000u       /* dropped after a minute unused */
#define S_PRESENCE_SNAP_MAX 4096        /* a pg_snapshot's text: xmin:xmax:xip,... */

struct intake_presence {
    intake_t *in;
    char county[7];
    char *snap; /* the snapshot the members were read in (pg_snapshot as text) */
    uint8_t *h; /* n keyed hashes, sorted */
    size_t n, cap;
    bool ready;       /* read to the end */
    bool failed;      /* the read failed: not used; dropped when it ends */
    bool header;      /* the COPY's header read */
    bool sorted;      /* so far in order */
    bool reading;     /* the COPY is running */
    fp_buf_t partial; /* the bytes of a row split across messages */
    uint64_t read_at, used_at;
};

static void s_free(intake_presence_t *p)
{
    if (!p) return;
    free(p->snap);
    free(p->h);
    fp_buf_free(&p->partial);
    free(p);
}

static void s_gauge(intake_t *in)
{
    const intake_presence_t *p = in->presence;
    fp_gauge_set(in->g_presence, p && p->ready ? (double)p->n : 0);
}

/* Drops the members held (a read in flight ends on its own and frees them then). */
static void s_drop(intake_t *in)
{
    intake_presence_t *p = in->presence;
    in->presence = NULL;
    if (p && p->reading) p->in = NULL;
    else s_free(p);
    s_gauge(in);
}

static int s_cmp(const void *a, const void *b) { return memcmp(a, b, FP_SEAL_HMAC_LEN); }

/* Takes one row: (snapshot, NULL) once, then (NULL, a keyed hash) a member. */
static bool s_take(intake_presence_t *p, const fp_copybin_row_t *r)
{
    if (r->n != 2) return false;
    if (r->len[0] >= 0) {
        if (p->snap || r->len[1] != -1 || r->len[0] == 0 || r->len[0] > S_PRESENCE_SNAP_MAX) return false;
        p->snap = fp_malloc((size_t)r->len[0] + 1);
        memcpy(p->snap, r->v[0], (size_t)r->len[0]);
        p->snap[r->len[0]] = '\0';
        return true;
    }
    if (r->len[1] != FP_SEAL_HMAC_LEN || p->n == S_PRESENCE_MAX_MEMBERS) return false;
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 65536;
        if (p->cap > S_PRESENCE_MAX_MEMBERS) p->cap = S_PRESENCE_MAX_MEMBERS;
        p->h = fp_realloc(p->h, p->cap * FP_SEAL_HMAC_LEN);
    }
    uint8_t *dst = p->h + p->n * FP_SEAL_HMAC_LEN;
    memcpy(dst, r->v[1], FP_SEAL_HMAC_LEN);
    if (p->n && memcmp(dst - FP_SEAL_HMAC_LEN, dst, FP_SEAL_HMAC_LEN) >= 0) p->sorted = false;
    p->n++;
    return true;
}

/* Reads the rows in n bytes at data: how many bytes were used (the rest is a row not yet whole). */
static size_t s_parse(void *arg, const uint8_t *data, size_t n)
{
    intake_presence_t *p = arg;
    size_t off = 0, used;
    fp_copybin_row_t r;
    while (off < n && !p->failed && !p->ready) {
        fp_err_t e =
            p->header ? fp_copybin_row(data + off, n - off, &used, &r) : fp_copybin_header(data + off, n - off, &used);
        if (e == FP_EAGAIN) break;
        if (e == FP_ENOTFOUND) p->ready = true; /* the trailer */
        else if (e != FP_OK || (p->header && !s_take(p, &r))) p->failed = true;
        p->header = true;
        off += used;
    }
    return off;
}

static bool s_on_row(fp_db_t *db, const char *data, size_t len, void *arg)
{
    intake_presence_t *p = arg;
    if (!p->in || p->failed) return true; /* read to the end, ignored */
    fp_copybin_feed(&p->partial, data, len, s_parse, p);
    if (p->partial.len > S_PRESENCE_SNAP_MAX + 64) p->failed = true;
    return true;
}

static void s_on_end(fp_db_t *db, PGresult *res, void *arg)
{
    intake_presence_t *p = arg;
    p->reading = false;
    intake_t *in = p->in;
    if (!in) {
        s_free(p);
        return;
    }
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK || p->failed || !p->ready || !p->snap) {
        fp_log_warn("reading the county's present members for comparison answers failed: each batch asks the"
                    " database",
                    "county", p->county, "members", p->n == S_PRESENCE_MAX_MEMBERS ? "too many" : "", "error",
                    res ? fp_db_errmsg(res) : "the connection went away");
        p->ready = false;
        p->failed = true; /* kept, unused, until idle: not read again at every batch */
        fp_buf_free(&p->partial);
        free(p->h);
        p->h = NULL;
        p->n = p->cap = 0;
        return;
    }
    if (!p->sorted) qsort(p->h, p->n, FP_SEAL_HMAC_LEN, s_cmp);
    fp_buf_free(&p->partial);
    fp_counter_add(in->c_presence_reads, 1);
    s_gauge(in);
}

/* Sends the read: ledger_changes older than kept are removed (compare_presence_prune), then the
 * COPY of compare_presence(county). */
static void s_send(intake_presence_t *p)
{
    char sql[160];
    snprintf(sql, sizeof sql, "COPY (SELECT snap, h FROM compare_presence('%s')) TO STDOUT (FORMAT binary)", p->county);
    p->reading = true;
    fp_db_query(p->in->presence_db, 0, "SELECT compare_presence_prune()", 0, NULL, NULL, NULL);
    fp_db_copy_out(p->in->presence_db, 0, sql, s_on_row, s_on_end, p);
}

static void s_on_db(fp_db_t *db, bool up, void *arg)
{
    intake_t *in = arg;
    intake_presence_t *p = in->presence;
    if (up && p && !p->reading && !p->ready && !p->failed) s_send(p);
}

void intake_presence_want(intake_t *in, const char *county)
{
    uint64_t now = uv_now(fp_service_loop(in->svc));
    intake_presence_t *p = in->presence;
    if (p && strcmp(p->county, county) == 0) {
        p->used_at = now;
        if (p->reading || p->failed || !p->ready || now - p->read_at < S_PRESENCE_MAX_AGE_MS) return;
    } else if (p && now - p->used_at < S_PRESENCE_IDLE_MS) {
        return; /* another county's, in use: this one asks the database */
    }
    if (strlen(county) != 6 || strspn(county, "0123456789") != 6) return;
    s_drop(in);
    if (!in->presence_db && !(in->presence_db = intake_new_db(in, s_on_db, NULL))) return;
    p = fp_new(intake_presence_t);
    p->in = in;
    memcpy(p->county, county, sizeof p->county);
    p->sorted = true;
    p->read_at = p->used_at = now;
    in->presence = p;
    if (fp_db_is_up(in->presence_db)) s_send(p); /* otherwise when it comes up (s_on_db) */
}

const intake_presence_t *intake_presence_ready(intake_t *in, const char *county)
{
    intake_presence_t *p = in->presence;
    if (!p || !p->ready || strcmp(p->county, county) != 0) return NULL;
    p->used_at = uv_now(fp_service_loop(in->svc));
    return p;
}

const char *intake_presence_snapshot(const intake_presence_t *p) { return p->snap; }

bool intake_presence_has(const intake_presence_t *p, const uint8_t h[FP_SEAL_HMAC_LEN])
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(p->h + mid * FP_SEAL_HMAC_LEN, h, FP_SEAL_HMAC_LEN);
        if (c == 0) return true;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return false;
}

void intake_presence_stale(intake_t *in, const char *county)
{
    if (in->presence && strcmp(in->presence->county, county) == 0 && in->presence->ready) s_drop(in);
}

void intake_presence_tick(intake_t *in)
{
    intake_presence_t *p = in->presence;
    if (p && !p->reading && uv_now(fp_service_loop(in->svc)) - p->used_at > S_PRESENCE_IDLE_MS) s_drop(in);
}

void intake_presence_stop(intake_t *in)
{
    s_drop(in);
    fp_db_destroy(&in->presence_db); /* a read in flight ends (NULL) and frees its members */
}

uint32_t intake_presence_check(const intake_presence_t *p, const uint8_t (*h)[FP_SEAL_HMAC_LEN], size_t n,
                               fp_buf_t *out)
{
    uint8_t *sorted = fp_malloc(n ? n * FP_SEAL_HMAC_LEN : 1);
    if (n) memcpy(sorted, h, n * FP_SEAL_HMAC_LEN);
    qsort(sorted, n, FP_SEAL_HMAC_LEN, s_cmp);
    uint32_t matched = 0;
    bool first = true;
    fp_buf_puts(out, "{");
    for (size_t i = 0; i < n; i++) {
        const uint8_t *x = sorted + i * FP_SEAL_HMAC_LEN;
        if (i && memcmp(x - FP_SEAL_HMAC_LEN, x, FP_SEAL_HMAC_LEN) == 0) continue;
        if (intake_presence_has(p, x)) {
            matched++;
            continue;
        }
        char hx[2 * FP_SEAL_HMAC_LEN + 1];
        sodium_bin2hex(hx, sizeof hx, x, FP_SEAL_HMAC_LEN);
        if (!first) fp_buf_puts(out, ",");
        fp_buf_puts(out, hx);
        first = false;
    }
    fp_buf_puts(out, "}");
    free(sorted);
    return matched;
}
