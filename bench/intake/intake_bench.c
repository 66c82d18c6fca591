/* intake_bench.c: pushes generated leads through the real intake protocol (DEALER + CURVE,
 * SubmitLeads batches with a window of batches in flight), then COPYs the same rows into the
 * same leads table in the same run: the physical limit. Prints leads/s for both, the ratio,
 * and the service's peak memory (VmHWM of --pid).
 *   intake_bench --villages villages.csv.gz --prefix 130822 --leads 1000000 --pg CONNINFO --pid PID
 * With --streets streets.csv.gz each lead names its village by its township's and its own name
 * (三道河镇花水村民委员会), as a department's file may (docs/push.md "Villages by name"), instead
 * of its code; the COPY beside it still writes the code.
 * The client key is FANGPIN_CLIENT_CERT, the server key $FANGPIN_KEYS_DIR/intake.key, the
 * endpoint FANGPIN_INTAKE_CONNECT (see var/fangpin.env). */
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include <zmq.h>

#include "cert.h"
#include "db.h"
#include "fangpin/v1/intake.pb-c.h"
#include "idcard.h"
#include "mem.h"
#include "seal.h"

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *s_arg(int argc, char **argv, const char *name, const char *dflt)
{
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], name)) return argv[i + 1];
    return dflt;
}

static const char *s_env(const char *n, const char *d)
{
    const char *v = getenv(n);
    return v && *v ? v : d;
}

typedef struct {
    char id[19], village[13], date[11];
    const char *text; /* what the lead's village_code holds: the code, or names (--streets) */
    int64_t amount;
} s_row_t;

static long s_vmhwm_kb(const char *pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%s/status", pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kb = strtol(line + 6, NULL, 10);
    if (f) fclose(f);
    return kb;
}

/* The villages under prefix, from the published CSV (code is the first column); NULL (said
 * why) when there are none. */
static char (*s_villages(const char *vfile, const char *prefix, size_t *nv))[13]
{
    gzFile gz = gzopen(vfile, "rb");
    if (!gz) {
        fprintf(stderr, "cannot read %s\n", vfile);
        return NULL;
    }
    char line[512];
    size_t cap = 1024;
    char(*vill)[13] = fp_malloc(cap * sizeof *vill);
    size_t plen = strlen(prefix);
    *nv = 0;
    while (gzgets(gz, line, sizeof line)) {
        if (strncmp(line, prefix, plen) != 0 || strlen(line) < 12) continue;
        if (*nv == cap) vill = fp_realloc(vill, (cap *= 2) * sizeof *vill);
        memcpy(vill[*nv], line, 12);
        vill[(*nv)++][12] = 0;
    }
    gzclose(gz);
    if (!*nv) {
        fprintf(stderr, "no villages under %s\n", prefix);
        free(vill);
        return NULL;
    }
    return vill;
}

/* The second field of a published CSV line (code,"name",...) into out; false if none. */
static bool s_csv_name(const char *line, char *out, size_t cap)
{
    const char *a = strchr(line, '"'), *b = a ? strchr(a + 1, '"') : NULL;
    if (!b || (size_t)(b - a - 1) >= cap) return false;
    memcpy(out, a + 1, (size_t)(b - a - 1));
    out[b - a - 1] = '\0';
    return true;
}

/* For each village (its code in vill), its township's name and its own, from the published
 * streets and villages files; NULL (said why) when one cannot be read. */
static char (*s_names(const char *sfile, const char *vfile, char (*vill)[13], size_t nv))[112]
{
    gzFile st = gzopen(sfile, "rb"), vg = gzopen(vfile, "rb");
    char line[512], town_code[64][10], town_name[64][48];
    size_t nt = 0, k = 0;
    while (st && nt < 64 && gzgets(st, line, sizeof line))
        if (!strncmp(line, vill[0], 6) && s_csv_name(line, town_name[nt], sizeof town_name[nt]))
            memcpy(town_code[nt++], line, 9), town_code[nt - 1][9] = '\0';
    char(*names)[112] = vg && nt ? fp_calloc(nv, sizeof *names) : NULL;
    while (names && k < nv && gzgets(vg, line, sizeof line)) {
        char name[64];
        if (strncmp(line, vill[k], 12) != 0 || !s_csv_name(line, name, sizeof name)) continue;
        for (size_t t = 0; t < nt; t++)
            if (!strncmp(town_code[t], line, 9)) snprintf(names[k], sizeof names[k], "%.47s%.63s", town_name[t], name);
        k++;
    }
    if (st) gzclose(st);
    if (vg) gzclose(vg);
    if (names && k == nv) return names;
    fprintf(stderr, "cannot read the township and village names from %s and %s\n", sfile, vfile);
    free(names);
    return NULL;
}

/* nleads rows: unique (ID number, kind, date); valid ID numbers of people born 1940-1999 */
static s_row_t *s_rows(long nleads, char (*vill)[13], size_t nv)
{
    s_row_t *rows = fp_calloc((size_t)nleads, sizeof *rows);
    for (long i = 0; i < nleads; i++) {
        s_row_t *r = &rows[i];
        snprintf(r->village, sizeof r->village, "%s", vill[(size_t)i % nv]);
        r->text = r->village;
        long seq = i % 1000, day = (i / 1000) % 28 + 1, month = (i / 28000) % 12 + 1, year = 1940 + (i / 336000) % 60;
        char body[18];
        snprintf(body, sizeof body, "%.6s%04ld%02ld%02ld%03ld", r->village, year, month, day, seq);
        snprintf(r->id, sizeof r->id, "%s%c", body, fp_idcard_check_char(body));
        snprintf(r->date, sizeof r->date, "2026-10-%02ld", (i / 1000 / 28 / 12 / 60) % 28 + 1);
        r->amount = 100000 + i % 5000000;
    }
    return rows;
}

/* A DEALER to the intake service with the bench's client key; NULL (said why) without keys. */
static void *s_dealer(void *ctx, int timeout_ms)
{
    fp_cert_t server, client;
    char path[4096];
    snprintf(path, sizeof path, "%s/intake.key", s_env("FANGPIN_KEYS_DIR", "var/keys"));
    if (fp_cert_load(path, &server) != FP_OK || fp_cert_load(s_env("FANGPIN_CLIENT_CERT", ""), &client) != FP_OK) {
        fprintf(stderr, "cannot read the server key %s or FANGPIN_CLIENT_CERT\n", path);
        return NULL;
    }
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server.public_key, 40);
    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, client.public_key, 40);
    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, client.secret_key, 40);
    zmq_connect(s, s_env("FANGPIN_INTAKE_CONNECT", "tcp://127.0.0.1:7101"));
    return s;
}

/* The bench's run: its rows, batches and what came back. */
typedef struct {
    const s_row_t *rows;
    long nleads, nbatches;
    int batch, window;
    char run[32];
    long accepted, other;
    Fangpin__V1__Lead *leads, **lptr; /* one batch's request, reused */
    char (*refs)[24];
} s_bench_t;

/* Sends batch number `index` (its rows from b->rows) as one SubmitLeads. */
static void s_send_batch(void *s, const s_bench_t *b, long index)
{
    Fangpin__V1__Lead *leads = b->leads, **lptr = b->lptr;
    char(*refs)[24] = b->refs;
    long first = index * b->batch, n = b->nleads - first < b->batch ? b->nleads - first : b->batch;
    for (long k = 0; k < n; k++) {
        const s_row_t *r = &b->rows[first + k];
        Fangpin__V1__Lead *l = &leads[k];
        fangpin__v1__lead__init(l);
        l->id_number = (char *)r->id;
        l->name = (char *)"王某某";
        l->village_code = (char *)r->text;
        l->kind = (char *)"yibao.high_cost";
        l->occurred_on = (char *)r->date;
        l->amount_fen = r->amount;
        l->has_amount = 1;
        l->detail = (char *)"住院自付费用较高";
        snprintf(refs[k], sizeof refs[k], "%ld", first + k + 2);
        l->line_ref = refs[k];
        lptr[k] = l;
    }
    Fangpin__V1__IntakeRequest req = FANGPIN__V1__INTAKE_REQUEST__INIT;
    Fangpin__V1__SubmitLeads sl = FANGPIN__V1__SUBMIT_LEADS__INIT;
    char bid[64], rid[32];
    snprintf(bid, sizeof bid, "%s-%ld", b->run, index);
    snprintf(rid, sizeof rid, "%ld", index);
    sl.batch_id = bid;
    sl.period = (char *)"2026-10";
    sl.n_leads = (size_t)n;
    sl.leads = lptr;
    req.request_id = rid;
    req.op_case = FANGPIN__V1__INTAKE_REQUEST__OP_SUBMIT_LEADS;
    req.submit_leads = &sl;
    size_t len = fangpin__v1__intake_request__get_packed_size(&req);
    uint8_t *buf = fp_malloc(len);
    fangpin__v1__intake_request__pack(&req, buf);
    zmq_send(s, buf, len, 0);
    free(buf);
}

/* Every batch through the service, --window of them in flight. The seconds it took, or a
 * negative number (said why) when a reply was missing or bad. */
static double s_through_service(s_bench_t *b)
{
    int tmo = 120000;
    void *ctx = zmq_ctx_new(), *s = s_dealer(ctx, tmo);
    if (!s) {
        zmq_ctx_term(ctx);
        return -2;
    }
    b->leads = fp_calloc((size_t)b->batch, sizeof *b->leads);
    b->lptr = fp_calloc((size_t)b->batch, sizeof *b->lptr);
    b->refs = fp_calloc((size_t)b->batch, sizeof *b->refs);
    long sent = 0, done = 0;
    double t0 = s_now(), secs = -1;
    while (done < b->nbatches) {
        while (sent < b->nbatches && sent - done < b->window) s_send_batch(s, b, sent++);
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s, 0) < 0) {
            fprintf(stderr, "no reply within %d ms\n", tmo);
            goto out;
        }
        Fangpin__V1__IntakeReply *rep = fangpin__v1__intake_reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
        if (!rep || !rep->status || rep->result_case != FANGPIN__V1__INTAKE_REPLY__RESULT_BATCH) {
            fprintf(stderr, "bad reply: %s\n", rep && rep->status ? rep->status->message : "undecodable");
            goto out;
        }
        b->accepted += rep->batch->accepted;
        b->other += rep->batch->duplicates + rep->batch->rejected;
        fangpin__v1__intake_reply__free_unpacked(rep, NULL);
        done++;
        if (done % 20 == 0) fprintf(stderr, "\r  %ld/%ld batches", done, b->nbatches);
    }
    secs = s_now() - t0;
    fprintf(stderr, "\r");
out:
    zmq_close(s);
    zmq_ctx_term(ctx);
    free(b->leads);
    free(b->lptr);
    free(b->refs);
    return secs;
}

/* The rows as the table stores them: the ID number sealed, matched and masked with the county's
 * data key (FANGPIN_KEYS_DIR/data.key), made before the clock starts. -1 (said why) without it. */
static int s_copy_text(const s_bench_t *b, fp_buf_t *out)
{
    char keypath[4096], kerr[4200];
    fp_seal_default_path(keypath, sizeof keypath);
    fp_seal_t *seal = NULL;
    if (fp_seal_load(keypath, &seal, kerr, sizeof kerr) != FP_OK) {
        fprintf(stderr, "%s\n", kerr);
        return -1;
    }
    for (long i = 0; i < b->nleads; i++) {
        const s_row_t *r = &b->rows[i];
        fp_buf_printf(out, "%.6s\t%s\tbench:copy\tyibao\t%s-copy\t%ld\t%ld\t2026-10\tyibao.high_cost\t", r->village,
                      r->village, b->run, i, i + 2);
        fp_seal_copy_fields(seal, r->id, out);
        fp_buf_printf(out, "\t王某某\t%s\t%lld\t住院自付费用较高\n", r->date, (long long)r->amount);
    }
    fp_seal_free(&seal);
    return 0;
}

/* The yardstick: COPY of the same rows into the same table, then removed. The seconds the COPY
 * took; *ok false when it failed. A negative number when it could not start. */
static double s_through_copy(const s_bench_t *b, const char *pg, bool *ok)
{
    PGconn *c = PQconnectdb(pg);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "%s", PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    fp_buf_t text = {0};
    if (s_copy_text(b, &text) != 0) {
        PQfinish(c);
        return -1;
    }
    double t1 = s_now();
    PGresult *res = PQexec(c,
                           "COPY leads (county_code, village_code, sender, department_code, batch_id, line_no,"
                           " line_ref, period, kind, id_hmac, id_sealed, id_masked, name, occurred_on, amount_fen,"
                           " detail) FROM STDIN");
    *ok = PQresultStatus(res) == PGRES_COPY_IN;
    PQclear(res);
    for (size_t off = 0; *ok && off < text.len; off += 1 << 20) {
        size_t n = text.len - off < (1u << 20) ? text.len - off : (1u << 20);
        *ok = PQputCopyData(c, text.data + off, (int)n) == 1;
    }
    *ok = *ok && PQputCopyEnd(c, NULL) == 1;
    res = PQgetResult(c);
    *ok = *ok && PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!*ok) fprintf(stderr, "COPY failed: %s", PQresultErrorMessage(res));
    PQclear(res);
    double t_copy = s_now() - t1;
    PQclear(PQexec(c, "DELETE FROM leads WHERE sender = 'bench:copy'"));
    PQfinish(c);
    fp_buf_free(&text);
    return t_copy;
}

int main(int argc, char **argv)
{
    s_bench_t b = {.nleads = atol(s_arg(argc, argv, "--leads", "1000000")),
                   .batch = atoi(s_arg(argc, argv, "--batch", "5000")),
                   .window = atoi(s_arg(argc, argv, "--window", "4"))};
    const char *vfile = s_arg(argc, argv, "--villages", NULL);
    const char *prefix = s_arg(argc, argv, "--prefix", "130822"); /* the department's county */
    const char *pg = s_arg(argc, argv, "--pg", NULL);
    const char *pid = s_arg(argc, argv, "--pid", NULL);
    const char *streets = s_arg(argc, argv, "--streets", NULL);
    if (!vfile || !pg || b.nleads <= 0 || b.batch <= 0 || b.window <= 0) {
        fprintf(stderr,
                "usage: intake_bench --villages FILE --pg CONNINFO [--prefix 1308] [--leads N] [--batch N]"
                " [--window N] [--pid PID] [--streets FILE]\n");
        return 2;
    }
    size_t nv = 0;
    char(*vill)[13] = s_villages(vfile, prefix, &nv);
    if (!vill) return 2;
    s_row_t *rows = s_rows(b.nleads, vill, nv);
    char(*names)[112] = streets ? s_names(streets, vfile, vill, nv) : NULL;
    free(vill);
    if (streets && !names) return 2;
    for (long i = 0; names && i < b.nleads; i++) rows[i].text = names[(size_t)i % nv];
    b.rows = rows;
    b.nbatches = (b.nleads + b.batch - 1) / b.batch;
    snprintf(b.run, sizeof b.run, "bench-%ld", (long)time(NULL));

    double t_service = s_through_service(&b);
    bool ok = false;
    double t_copy = t_service >= 0 ? s_through_copy(&b, pg, &ok) : -1;
    free(rows);
    free(names);
    if (t_service < 0 || t_copy < 0) return t_service < -1 ? 2 : 1;

    long hwm = pid ? s_vmhwm_kb(pid) : -1;
    printf("intake, %ld leads in %ld batches of %d (window %d), validated, committed, acknowledged, events written%s\n",
           b.nleads, b.nbatches, b.batch, b.window, names ? "; villages by township and village name" : "");
    printf("  through the service:   %8.2f s  %9.0f leads/s  (%ld accepted, %ld not)\n", t_service,
           (double)b.nleads / t_service, b.accepted, b.other);
    printf("  raw COPY, same rows:   %8.2f s  %9.0f rows/s   (into the same leads table)\n", t_copy,
           (double)b.nleads / t_copy);
    printf("  ratio service / COPY:  %8.2f\n", t_copy / t_service);
    if (hwm >= 0) printf("  intake peak memory:    %8.1f MiB (VmHWM)\n", (double)hwm / 1024.0);
    /* machine-readable, for bench/summary.sh */
    printf("BENCH path=intake rows=%ld secs=%.2f rate=%.0f copy_rate=%.0f ratio=%.2f proc=fangpin-intake hwm_kib=%ld\n",
           b.nleads, t_service, (double)b.nleads / t_service, (double)b.nleads / t_copy, t_copy / t_service, hwm);
    return ok && b.accepted == b.nleads ? 0 : 1;
}
