/* push.c: `fangpinctl push --dept NAME --period YYYY-MM FILE` sends a department's monthly CSV
 * or XLSX of risk leads to the intake service and writes FILE.results.csv (and .xlsx) with the
 * file's own columns and the answer for every line (common/leadfile.c reads the file into leads
 * and takes the answers, common/results.c writes the results). docs/push.md is the user's guide: columns,
 * results, exit status.
 *
 * How it runs. The file is read whole, hashed, decoded (an XLSX's first sheet; a CSV in UTF-8
 * with or without BOM, or GBK) and parsed before anything is sent, so a broken file or a missing column sends nothing. The lines
 * are cut into chunks of --chunk lines; each chunk is one SubmitLeads batch whose id is made of
 * the file's hash, the period, the chunk size and the chunk's number. Running the same command
 * again therefore sends the same batches, and the service, for which (sender, batch id) is the
 * idempotency key, answers them from what it stored: nothing is taken twice, whether the first
 * run finished, was killed, or lost the network.
 *
 * Up to --window chunks are in flight on one DEALER socket; replies are matched by request id
 * (the batch id). A chunk with no reply within FANGPIN_TIMEOUT_MS is sent again after a backoff
 * on a new socket (the old one is closed with linger 0, so requests queued for a dead peer are
 * dropped rather than piling up); every chunk in flight goes again on the new socket, but only
 * the one that timed out counts a retry. An UNAVAILABLE answer is retried the same way, without
 * a new socket. After --retries retries of one chunk the service counts as unreachable. */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "cert.h"
#include "csv.h"
#include "ctl.h"
#include "date.h"
#include "fangpin/v1/intake.pb-c.h"
#include "mem.h"
#include "money.h"
#include "leadfile.h"
#include "profile.h"
#include "service.h"
#include "textenc.h"

#define S_MAX_SHOWN 20 /* refused lines printed to stderr */
#define S_EXIT_USAGE 2
#define S_EXIT_UNREACHABLE 3

typedef struct {
    size_t first, count; /* rows */
    uint32_t *map;       /* lead index in the request -> row */
    size_t nsent;
    uint8_t *req; /* the packed request, kept until answered */
    size_t reqlen;
    char batch_id[80];
    int state, retries;
    double due; /* C_WAIT: send at; C_SENT: answer expected by */
} s_chunk_t;

/* a chunk of the file: not sent yet, waiting to be (re)sent, sent and awaiting its answer, answered */
enum { C_UNSENT, C_WAIT, C_SENT, C_DONE };

typedef struct {
    /* options */
    const char *dept, *period, *key, *path, *profile_arg;
    long chunk, window, retries;
    int timeout_ms;
    const char *results; /* --results */
    /* the file: read, its lines and their answers (common/leadfile.h) */
    fp_buf_t raw;
    fp_leadfile_t lf;
    /* sending */
    s_chunk_t *chunks;
    size_t nchunks;
    const char *endpoint;
    fp_cert_t server, client;
    void *ctx, *sock;
    double reconnect_at, t0, last_progress;
    bool progress; /* stderr is a terminal */
    bool unreachable, stopped;
    size_t chunks_done;
} s_push_t;

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints each line of why as "push: LINE". */
static void s_print_lines(const fp_buf_t *why)
{
    for (size_t at = 0; at < why->len;) {
        const char *nl = memchr(why->data + at, '\n', why->len - at);
        size_t n = nl ? (size_t)(nl - (why->data + at)) : why->len - at;
        fprintf(stderr, "push: %.*s\n", (int)n, why->data + at);
        at += n + 1;
    }
}

/* Reads and parses the file (common/leadfile.c); -1 after printing why. */
static int s_load(s_push_t *p)
{
    if (ctl_read_file("push", p->path, "into several files", &p->raw)) return -1;
    if (fp_leadfile_load(&p->lf, p->path, &p->raw) == 0) return 0;
    s_print_lines(&p->lf.err);
    if (p->lf.header_failed && p->lf.profile_name[0])
        fprintf(stderr, "push: see `fangpinctl profile show %.*s` for the columns of this profile; nothing was sent\n",
                (int)strcspn(p->lf.profile_name, "@"), p->lf.profile_name);
    else if (p->lf.header_failed)
        fprintf(stderr, "push: see `fangpinctl push --help` for the column names; nothing was sent\n");
    return -1;
}

/* ---- the protocol ----------------------------------------------------------------------- */

static double s_backoff(int retry)
{
    double d = 0.2;
    for (int i = 1; i < retry && d < 10; i++) d *= 2;
    return d < 10 ? d : 10;
}

static int s_open(s_push_t *p)
{
    p->sock = zmq_socket(p->ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(p->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(p->sock, ZMQ_CURVE_SERVERKEY, p->server.public_key, 40);
    zmq_setsockopt(p->sock, ZMQ_CURVE_PUBLICKEY, p->client.public_key, 40);
    zmq_setsockopt(p->sock, ZMQ_CURVE_SECRETKEY, p->client.secret_key, 40);
    if (zmq_connect(p->sock, p->endpoint) != 0) {
        fprintf(stderr, "push: bad endpoint %s (FANGPIN_INTAKE_CONNECT): %s\n", p->endpoint, zmq_strerror(zmq_errno()));
        zmq_close(p->sock);
        p->sock = NULL;
        return -1;
    }
    return 0;
}

static void s_close(s_push_t *p)
{
    if (p->sock) zmq_close(p->sock);
    p->sock = NULL;
}

/* Packs chunk c's request; a chunk whose lines were all refused here is done at once. */
static void s_chunk_build(s_push_t *p, s_chunk_t *c, size_t index)
{
    fp_leadfile_batch_id(&p->lf, p->period, p->chunk, index, c->batch_id);
    c->nsent = fp_leadfile_request(&p->lf, p->period, c->batch_id, c->first, c->count, &c->map, &c->req, &c->reqlen);
    if (c->nsent == 0) {
        c->state = C_DONE;
        p->chunks_done++;
        return;
    }
    c->state = C_WAIT;
    c->due = 0;
}

static void s_chunk_release(s_chunk_t *c)
{
    free(c->req);
    free(c->map);
    c->req = NULL;
    c->map = NULL;
}

/* Lines of a chunk that got no answer. */
static void s_chunk_unanswered(s_push_t *p, s_chunk_t *c, int32_t reason)
{
    fp_leadfile_unanswered(&p->lf, c->first, c->count, reason);
}

static void s_chunk_done(s_push_t *p, s_chunk_t *c)
{
    s_chunk_release(c);
    c->state = C_DONE;
    p->chunks_done++;
}

static void s_progress_clear(s_push_t *p)
{
    if (p->progress && p->last_progress > 0) fputs("\r\033[K", stderr);
}

static void s_progress(s_push_t *p, bool force)
{
    if (!p->progress) return;
    double now = s_now();
    if (!force && now - p->last_progress < 0.1) return;
    p->last_progress = now;
    const fp_leadfile_t *lf = &p->lf;
    long answered = lf->n_accepted + lf->n_duplicate + lf->n_rejected - lf->n_local;
    double secs = now - p->t0;
    fprintf(stderr, "\r\033[Kpush: chunks %zu/%zu, leads %ld accepted, %ld duplicate, %ld rejected, %.0f leads/s",
            p->chunks_done, p->nchunks, lf->n_accepted, lf->n_duplicate, lf->n_rejected,
            secs > 0 ? (double)answered / secs : 0.0);
    fflush(stderr);
}

/* One reply frame. */
static void s_on_reply(s_push_t *p, const uint8_t *data, size_t len, size_t lo, size_t hi)
{
    Fangpin__V1__IntakeReply *rep = fangpin__v1__intake_reply__unpack(NULL, len, data);
    if (!rep) return; /* not ours to understand: the chunk times out and goes again */
    s_chunk_t *c = NULL;
    for (size_t i = lo; i < hi; i++)
        if (p->chunks[i].state == C_SENT && !strcmp(p->chunks[i].batch_id, rep->request_id)) c = &p->chunks[i];
    if (!c) {
        fangpin__v1__intake_reply__free_unpacked(rep, NULL);
        return; /* an answer already taken, or not for us */
    }
    Fangpin__V1__Code code = rep->status ? rep->status->code : FANGPIN__V1__CODE__INTERNAL;
    const char *en = rep->status && rep->status->message ? rep->status->message : "";
    const char *zh = rep->status && rep->status->message_zh ? rep->status->message_zh : "";
    size_t index = (size_t)(c - p->chunks);
    if (code == FANGPIN__V1__CODE__UNAVAILABLE) {
        if (++c->retries > p->retries) {
            s_progress_clear(p);
            fprintf(stderr, "push: chunk %zu: the service is unavailable after %d retries: %s\n", index + 1,
                    c->retries - 1, en);
            p->unreachable = true;
        } else {
            c->state = C_WAIT;
            c->due = s_now() + s_backoff(c->retries);
            s_progress_clear(p);
            fprintf(stderr, "push: chunk %zu: the service is unavailable (%s): sending it again (retry %d of %ld)\n",
                    index + 1, en, c->retries, p->retries);
        }
    } else if ((code == FANGPIN__V1__CODE__OK || code == FANGPIN__V1__CODE__PARTIAL ||
                code == FANGPIN__V1__CODE__BAD_REQUEST) &&
               rep->n_results > 0 && fp_leadfile_take(&p->lf, c->map, c->nsent, rep)) {
        s_chunk_done(p, c);
    } else {
        /* The whole batch was refused. BAD_REQUEST (a bad period, too many leads), FORBIDDEN
         * (this key may not push) and UNKNOWN_OPERATION (an intake without SubmitLeads) would
         * refuse every chunk alike: stop. Other failures concern this chunk only. */
        bool fatal = code == FANGPIN__V1__CODE__BAD_REQUEST || code == FANGPIN__V1__CODE__FORBIDDEN ||
            code == FANGPIN__V1__CODE__UNKNOWN_OPERATION;
        bool mismatch = code == FANGPIN__V1__CODE__OK || code == FANGPIN__V1__CODE__PARTIAL;
        s_progress_clear(p);
        if (mismatch)
            fprintf(stderr, "push: chunk %zu (batch %s): the answer's %zu results do not match the %zu leads sent\n",
                    index + 1, c->batch_id, rep->n_results, c->nsent);
        else
            fprintf(stderr, "push: chunk %zu (batch %s) refused as a whole: %s: %s%s%s\n", index + 1, c->batch_id,
                    fp_code_name(code), en, zh[0] ? " / " : "", zh);
        if (code == FANGPIN__V1__CODE__TOO_LARGE) fprintf(stderr, "push: use a smaller --chunk (now %ld)\n", p->chunk);
        fp_leadfile_batch_refused(&p->lf, c->first, c->count, code, en, zh, mismatch);
        s_chunk_done(p, c);
        if (fatal) p->stopped = true;
    }
    fangpin__v1__intake_reply__free_unpacked(rep, NULL);
}

/* Starts chunks until --window of them are in flight; [*lo, *next) are the ones started and not
 * all done. */
static void s_fill_window(s_push_t *p, size_t *lo, size_t *next)
{
    while (*lo < *next && p->chunks[*lo].state == C_DONE) (*lo)++;
    while (*next < p->nchunks && *next - *lo < (size_t)p->window) {
        s_chunk_build(p, &p->chunks[*next], *next);
        (*next)++;
        while (*lo < *next && p->chunks[*lo].state == C_DONE) (*lo)++;
    }
}

/* Sends the chunks of [lo, hi) that are due; returns when the next one is due or its answer
 * expected (at the latest now + 0.25 s). */
static double s_send_due(s_push_t *p, size_t lo, size_t hi, double now)
{
    double wake = now + 0.25;
    for (size_t i = lo; i < hi; i++) {
        s_chunk_t *c = &p->chunks[i];
        if (c->state == C_WAIT && p->sock && c->due <= now) {
            if (zmq_send(p->sock, c->req, c->reqlen, ZMQ_DONTWAIT) < 0) {
                c->due = now + 0.05; /* the queue is full: a moment later */
            } else {
                c->state = C_SENT;
                c->due = now + p->timeout_ms / 1000.0;
            }
        }
        if (c->state == C_WAIT || c->state == C_SENT)
            if (c->due < wake) wake = c->due;
    }
    if (!p->sock && p->reconnect_at < wake) wake = p->reconnect_at;
    return wake;
}

/* Waits up to ms for replies and takes every one that came (without a socket, just waits). */
static void s_take_replies(s_push_t *p, size_t lo, size_t hi, long ms)
{
    if (!p->sock) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        return;
    }
    zmq_pollitem_t it = {p->sock, 0, ZMQ_POLLIN, 0};
    zmq_poll(&it, 1, ms);
    zmq_msg_t m;
    zmq_msg_init(&m);
    while (!p->unreachable && !p->stopped && zmq_msg_recv(&m, p->sock, ZMQ_DONTWAIT) >= 0) {
        /* a REQ-style empty delimiter may come first: the reply is the last frame */
        if (zmq_msg_more(&m)) continue;
        s_on_reply(p, zmq_msg_data(&m), zmq_msg_size(&m), lo, hi);
    }
    zmq_msg_close(&m);
}

/* Answers overdue: each such chunk counts a retry (past --retries the service is unreachable),
 * then a new socket after the longest backoff and everything in flight again. */
static void s_resend_overdue(s_push_t *p, size_t lo, size_t hi)
{
    double now = s_now(), backoff = 0;
    for (size_t i = lo; i < hi; i++) {
        s_chunk_t *c = &p->chunks[i];
        if (c->state != C_SENT || c->due > now) continue;
        if (++c->retries > p->retries) {
            s_progress_clear(p);
            fprintf(stderr,
                    "push: no answer from the intake service at %s for chunk %zu after %d tries of %d ms"
                    " (down, unreachable, or this key is not registered)\n",
                    p->endpoint, i + 1, c->retries, p->timeout_ms);
            p->unreachable = true;
            return;
        }
        double b = s_backoff(c->retries);
        if (b > backoff) backoff = b;
        s_progress_clear(p);
        fprintf(stderr,
                "push: no answer for chunk %zu within %d ms: sending it again (retry %d of %ld) on a new"
                " connection\n",
                i + 1, p->timeout_ms, c->retries, p->retries);
    }
    if (backoff > 0) {
        s_close(p);
        p->reconnect_at = now + backoff;
        for (size_t i = lo; i < hi; i++)
            if (p->chunks[i].state == C_SENT) {
                p->chunks[i].state = C_WAIT;
                p->chunks[i].due = p->reconnect_at;
            }
    }
}

/* After the push was given up: every line still without an answer gets why. */
static void s_mark_unanswered(s_push_t *p)
{
    int32_t why = p->unreachable
        ? fp_arena_reason(&p->lf.arena, "push.unreachable",
                          "未能连接线索接收服务，本行未获答复：请稍后重新运行同一命令",
                          "the intake service could not be reached: run the same command again later")
        : fp_arena_reason(&p->lf.arena, "push.stopped", "报送因上述错误中止，本行未获答复：更正后重新运行同一命令",
                          "the push stopped after the error above: correct it and run the same command again");
    for (size_t i = 0; i < p->nchunks; i++) {
        s_chunk_unanswered(p, &p->chunks[i], why);
        s_chunk_release(&p->chunks[i]);
    }
}

/* Sends every chunk, keeping up to --window in flight; returns when all are answered, the
 * service is unreachable, or a fatal answer stopped the push. */
static void s_send_all(s_push_t *p)
{
    size_t lo = 0, next = 0; /* chunks [lo, next) have been started; those before lo are done */
    p->reconnect_at = 0;
    while (!p->unreachable && !p->stopped) {
        s_fill_window(p, &lo, &next);
        if (lo == next) break; /* all done */
        double now = s_now();
        if (!p->sock && now >= p->reconnect_at && s_open(p)) {
            p->unreachable = true;
            break;
        }
        double wake = s_send_due(p, lo, next, now);
        long ms = (long)((wake - now) * 1000) + 1;
        if (ms < 0) ms = 0;
        s_take_replies(p, lo, next, ms);
        if (p->unreachable || p->stopped) break;
        s_resend_overdue(p, lo, next);
        if (p->unreachable) break;
        s_progress(p, false);
    }
    s_close(p);
    if (p->unreachable || p->stopped) s_mark_unanswered(p);
}

/* ---- results ---------------------------------------------------------------------------- */

/* The results file(s) (common/results.c): the file's own columns, then the answers. */
static int s_write_results(s_push_t *p, const char *csv, const char *xlsx)
{
    fp_outcome_t *out = fp_leadfile_outcomes(&p->lf);
    fp_buf_t why = {0};
    int rc = fp_results_write(&p->lf.sheet, out, p->lf.nrows, csv, xlsx, &why);
    s_print_lines(&why);
    fp_buf_free(&why);
    free(out);
    return rc;
}

static void s_show_refused(const s_push_t *p, const char *results)
{
    long shown = 0, refused = 0;
    const fp_leadfile_t *lf = &p->lf;
    for (size_t i = 0; i < lf->nrows; i++) {
        const fp_lead_row_t *r = &lf->rows[i];
        if (r->result != FP_LF_REJECTED) continue;
        if (++refused > S_MAX_SHOWN) continue;
        shown++;
        const fp_arena_reason_t *why = &lf->arena.reasons[r->reason];
        char num[24];
        snprintf(num, sizeof num, "%" PRIu32, r->line);
        const char *ref = fp_arena_str(&lf->arena, r->f[FP_PF_REF]);
        fprintf(stderr, "%s:%s%s%s%s%s: refused: %s: %s (%s)\n", p->path, lf->sheet.xlsx ? "row " : "", num,
                strcmp(ref, num) ? " (ref " : "", strcmp(ref, num) ? ref : "", strcmp(ref, num) ? ")" : "", why->code,
                why->zh, why->en);
    }
    if (refused > shown) fprintf(stderr, "... and %ld more refused lines: see %s\n", refused - shown, results);
}

/* ---- the column profile ----------------------------------------------------------------- */

/* --profile NAME[@VERSION]: the department's profile as intake keeps it, asked with this push's
 * own key (a department's PC reaches intake, not the database); 0, or -1 after printing why. */
static int s_fetch_profile(s_push_t *p)
{
    char name[72];
    snprintf(name, sizeof name, "%s", p->profile_arg);
    char *at = strchr(name, '@');
    unsigned long version = 0;
    if (at) {
        *at = '\0';
        char *end;
        version = strtoul(at + 1, &end, 10);
        if (!at[1] || *end || version < 1 || version > 1000000) {
            fprintf(stderr, "push: --profile %s: write NAME or NAME@VERSION (a version number from 1)\n",
                    p->profile_arg);
            return -1;
        }
    }
    Fangpin__V1__GetPushProfile gp = FANGPIN__V1__GET_PUSH_PROFILE__INIT;
    gp.name = name;
    gp.version = (uint32_t)version;
    Fangpin__V1__IntakeRequest req = FANGPIN__V1__INTAKE_REQUEST__INIT;
    char rid[64];
    snprintf(rid, sizeof rid, "push-profile-%ld-%ld", (long)time(NULL), (long)getpid());
    req.request_id = rid;
    req.op_case = FANGPIN__V1__INTAKE_REQUEST__OP_GET_PUSH_PROFILE;
    req.get_push_profile = &gp;
    size_t len = fangpin__v1__intake_request__get_packed_size(&req);
    uint8_t *buf = fp_malloc(len ? len : 1);
    fangpin__v1__intake_request__pack(&req, buf);
    ctl_peer_t peer = {.service = "intake",
                       .endpoint = p->endpoint,
                       .server = p->server,
                       .client = p->client,
                       .timeout_ms = p->timeout_ms,
                       .retries = 2,
                       .ctx = zmq_ctx_new()};
    zmq_msg_t m;
    int rc = ctl_peer_request(&peer, buf, len, &m);
    free(buf);
    Fangpin__V1__IntakeReply *rep = NULL;
    if (rc == 0) {
        rep = fangpin__v1__intake_reply__unpack(NULL, zmq_msg_size(&m), zmq_msg_data(&m));
        zmq_msg_close(&m);
    }
    ctl_peer_close(&peer);
    rc = -1;
    char err[512] = "";
    if (!rep || !rep->status) {
        if (rep) fprintf(stderr, "push: --profile %s: the intake service's answer is not readable\n", p->profile_arg);
    } else if (rep->status->code != FANGPIN__V1__CODE__OK ||
               rep->result_case != FANGPIN__V1__INTAKE_REPLY__RESULT_PUSH_PROFILE) {
        fprintf(stderr, "push: --profile %s: refused: %s: %s (%s)\n", p->profile_arg, rep->status->reason,
                rep->status->message, rep->status->message_zh);
    } else if (fp_profile_parse(rep->push_profile->body, strlen(rep->push_profile->body), &p->lf.profile, err,
                                sizeof err) != FP_OK) {
        fprintf(stderr, "push: profile %s version %u: %s\n", rep->push_profile->name, rep->push_profile->version, err);
    } else {
        snprintf(p->lf.profile_name, sizeof p->lf.profile_name, "%s@%u", rep->push_profile->name,
                 rep->push_profile->version);
        rc = 0;
    }
    if (rep) fangpin__v1__intake_reply__free_unpacked(rep, NULL);
    return rc;
}

/* ---- the command ------------------------------------------------------------------------ */

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: fangpinctl push --dept NAME --period YYYY-MM [--profile NAME[@VERSION]] [options]\n"
            "                       FILE.csv|FILE.xlsx\n"
            "  Sends a department's CSV or XLSX of risk leads (风险预警线索) to the intake service and\n"
            "  writes FILE.results.csv beside it (and FILE.results.xlsx for an XLSX): every column of\n"
            "  the file, then 结果, 原因代码, 原因 ... for every line; correct the refused lines there\n"
            "  and push that file again. Running the same command again is safe: the service answers\n"
            "  what it already took from what it stored.\n\n"
            "  The file: CSV in UTF-8 (with or without BOM) or GBK, or an XLSX (its first sheet, as\n"
            "  Excel and WPS save it), a header line naming the columns:\n"
            "    身份证号 | 公民身份号码 | id_number        required\n"
            "    姓名 | name                               required\n"
            "    村代码 | 行政村代码 | village_code        required\n"
            "    线索类型 | lead_kind | kind               required (e.g. yibao.high_cost)\n"
            "    发生日期 | 日期 | occurred_on | date      required (YYYY-MM-DD)\n"
            "    金额(元) | 金额（元） | 金额 | amount_yuan | amount   in yuan, e.g. 1234.50\n"
            "    情况说明 | 说明 | detail\n"
            "    行号 | 序号 | ref | line_ref               your reference (default: the line number)\n"
            "  Other columns are ignored. Dates also as 2026/10/3, 2026.10.03, 20261003, 2026年10月3日.\n"
            "  --profile NAME[@VERSION] reads the file by the department's column profile instead\n"
            "  (its column names, date forms, amounts in 元 or 万元, columns kept in the detail, a\n"
            "  title above the header): fangpinctl profile add|list|show, docs/push.md.\n\n"
            "options:\n"
            "  --dept NAME      the department; its key is $FANGPIN_KEYS_DIR/dept-NAME.key_secret\n"
            "  --period YYYY-MM the month the leads belong to\n"
            "  --profile NAME[@VERSION]  the department's column profile, fetched from intake\n"
            "                   (the newest version unless @VERSION)\n"
            "  --key FILE       this client's secret certificate (instead of the --dept one;\n"
            "                   without --dept and --key: $FANGPIN_CLIENT_CERT)\n"
            "  --chunk N        leads per batch (default 2000)\n"
            "  --window N       batches in flight at once (default 4)\n"
            "  --retries N      resends of a batch without an answer (default 8)\n"
            "  --results FILE   where the results go: FILE.csv, or FILE.xlsx (with FILE.csv beside it)\n\n"
            "environment: FANGPIN_INTAKE_CONNECT (default tcp://127.0.0.1:7101), FANGPIN_KEYS_DIR\n"
            "(default var/keys; the service's key is intake.key there), FANGPIN_TIMEOUT_MS (wait for\n"
            "an answer, default 30000).\n"
            "exit status: 0 every line accepted or already received, 1 a line refused or a batch\n"
            "failed, 2 usage error (arguments, file, columns, keys, profile), 3 the service was\n"
            "unreachable.\n");
}

static bool s_long_opt(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) return false;
    *out = x;
    return true;
}

static int s_args(s_push_t *p, int argc, char **argv)
{
    const char *chunk = NULL, *window = NULL, *retries = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            s_usage(stdout);
            return 1;
        }
        static const char *const opts[] = {"--dept",   "--period",  "--key",     "--chunk",
                                           "--window", "--retries", "--profile", "--results"};
        const char **dst[] = {&p->dept, &p->period, &p->key, &chunk, &window, &retries, &p->profile_arg, &p->results};
        bool matched = false;
        for (size_t k = 0; k < sizeof opts / sizeof opts[0] && !matched; k++) {
            size_t n = strlen(opts[k]);
            if (strncmp(a, opts[k], n) != 0 || (a[n] != '\0' && a[n] != '=')) continue;
            matched = true;
            if (a[n] == '=') {
                *dst[k] = a + n + 1;
            } else if (i + 1 < argc) {
                *dst[k] = argv[++i];
            } else {
                fprintf(stderr, "push: %s needs a value\n", opts[k]);
                return -1;
            }
        }
        if (matched) continue;
        if (a[0] == '-' && a[1]) {
            fprintf(stderr, "push: unknown option %s\n", a);
            return -1;
        }
        if (p->path) {
            fprintf(stderr, "push: one file at a time (got %s and %s)\n", p->path, a);
            return -1;
        }
        p->path = a;
    }
    if (!p->path || !p->period) {
        fprintf(stderr, "push: %s\n",
                !p->path ? "which file? give FILE.csv or FILE.xlsx" : "--period YYYY-MM is required");
        return -1;
    }
    fp_period_t per;
    if (fp_period_parse(p->period, &per) != FP_OK) {
        fprintf(stderr, "push: --period %s: write the month as YYYY-MM, e.g. 2026-03\n", p->period);
        return -1;
    }
    if (p->dept && (strspn(p->dept, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(p->dept) || !p->dept[0])) {
        fprintf(stderr, "push: --dept %s: a department code is lower-case letters, digits, _ and - (e.g. yibao)\n",
                p->dept);
        return -1;
    }
    if ((chunk && !s_long_opt(chunk, 1, 100000, &p->chunk)) || (window && !s_long_opt(window, 1, 64, &p->window)) ||
        (retries && !s_long_opt(retries, 0, 1000, &p->retries))) {
        fprintf(stderr, "push: --chunk is 1..100000, --window 1..64, --retries 0..1000\n");
        return -1;
    }
    long t = 0;
    if (!s_long_opt(ctl_env("FANGPIN_TIMEOUT_MS", "30000"), 1, 3600000, &t)) {
        fprintf(stderr, "push: FANGPIN_TIMEOUT_MS must be 1..3600000 milliseconds\n");
        return -1;
    }
    p->timeout_ms = (int)t;
    return 0;
}

static int s_keys(s_push_t *p)
{
    const char *keys = ctl_env("FANGPIN_KEYS_DIR", "var/keys");
    char path[4096], cpath_buf[4096];
    snprintf(path, sizeof path, "%s/intake.key", keys);
    if (fp_cert_load(path, &p->server) != FP_OK) {
        fprintf(stderr, "push: cannot read the intake service's certificate %s (FANGPIN_KEYS_DIR)\n", path);
        return -1;
    }
    const char *cpath = p->key;
    if (!cpath && p->dept) {
        snprintf(cpath_buf, sizeof cpath_buf, "%s/dept-%s.key_secret", keys, p->dept);
        cpath = cpath_buf;
    }
    if (!cpath) cpath = ctl_env("FANGPIN_CLIENT_CERT", NULL);
    if (!cpath) {
        fprintf(stderr,
                "push: whose key? give --dept NAME (uses %s/dept-NAME.key_secret), --key FILE, or set "
                "FANGPIN_CLIENT_CERT\n",
                keys);
        return -1;
    }
    if (fp_cert_load(cpath, &p->client) != FP_OK || !p->client.secret_key[0]) {
        fprintf(stderr, "push: cannot read this client's secret certificate %s\n", cpath);
        return -1;
    }
    return 0;
}

static void s_free(s_push_t *p)
{
    for (size_t i = 0; i < p->nchunks; i++) s_chunk_release(&p->chunks[i]);
    free(p->chunks);
    fp_leadfile_free(&p->lf);
    fp_buf_free(&p->raw);
    if (p->ctx) zmq_ctx_term(p->ctx);
}

int ctl_cmd_push(int argc, char **argv)
{
    s_push_t p = {.chunk = FP_LEADFILE_CHUNK, .window = 4, .retries = 8};
    int a = s_args(&p, argc, argv);
    if (a) {
        if (a < 0) fprintf(stderr, "usage: fangpinctl push --dept NAME --period YYYY-MM FILE (see --help)\n");
        return a > 0 ? 0 : S_EXIT_USAGE;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "push: libsodium failed to start\n");
        return 1;
    }
    p.endpoint = ctl_env("FANGPIN_INTAKE_CONNECT", "tcp://127.0.0.1:7101");
    fp_profile_default(&p.lf.profile);
    if (s_keys(&p) || (p.profile_arg && s_fetch_profile(&p)) || s_load(&p)) {
        s_free(&p);
        return S_EXIT_USAGE;
    }
    char *results = NULL, *results_xlsx = NULL;
    fp_buf_t why = {0};
    int bad = fp_results_paths(&p.lf.sheet, p.path, p.results, &results, &results_xlsx, &why);
    s_print_lines(&why);
    fp_buf_free(&why);
    if (bad) {
        s_free(&p);
        return S_EXIT_USAGE;
    }
    p.progress = isatty(STDERR_FILENO);
    p.t0 = s_now();
    const fp_leadfile_t *lf = &p.lf;
    p.nchunks = (lf->nrows + (size_t)p.chunk - 1) / (size_t)p.chunk;
    p.chunks = fp_calloc(p.nchunks ? p.nchunks : 1, sizeof *p.chunks);
    for (size_t i = 0; i < p.nchunks; i++) {
        p.chunks[i].first = i * (size_t)p.chunk;
        p.chunks[i].count =
            lf->nrows - p.chunks[i].first < (size_t)p.chunk ? lf->nrows - p.chunks[i].first : (size_t)p.chunk;
    }
    p.ctx = zmq_ctx_new();
    int rc = 0;
    if (s_open(&p)) {
        rc = S_EXIT_USAGE;
    } else {
        s_send_all(&p);
        s_progress(&p, true);
        s_progress_clear(&p);
    }
    if (rc == 0) {
        s_show_refused(&p, results);
        bool written = s_write_results(&p, results, results_xlsx) == 0;
        double secs = s_now() - p.t0;
        long sent = lf->n_accepted + lf->n_duplicate + lf->n_rejected - lf->n_local;
        printf("push %s (%s, period %s%s%s): %zu lines in %zu batch%s: %ld accepted, %ld already received, %ld refused"
               " (%ld here, %ld by the service)",
               p.path, lf->encoding, p.period, lf->profile_name[0] ? ", profile " : "", lf->profile_name, lf->nrows,
               p.nchunks, p.nchunks == 1 ? "" : "es", lf->n_accepted, lf->n_duplicate, lf->n_rejected, lf->n_local,
               lf->n_rejected - lf->n_local);
        if (lf->n_failed) printf(", %ld without an answer", lf->n_failed);
        printf("; %.1f s, %.0f leads/s; results in %s%s%s\n", secs, secs > 0 ? (double)sent / secs : 0.0,
               written ? results : "(not written)", written && results_xlsx ? " and " : "",
               written && results_xlsx ? results_xlsx : "");
        fflush(stdout);
        if (p.unreachable) rc = S_EXIT_UNREACHABLE;
        else if (lf->n_rejected || lf->n_failed || !written) rc = 1;
    }
    free(results);
    free(results_xlsx);
    s_free(&p);
    return rc;
}
