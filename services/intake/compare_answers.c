/* compare_answers.c: SubmitCompareAnswers (docs/compare.md, "The answer files"). A department's
 * answers to one of its exports: each answer's ID number (checked, then only its keyed hash goes
 * on) and its facts (domain/compare.h: the department's facts, in their kept form), stored as
 * dated facts once per batch id in one transaction: BEGIN, COPY of the facts into a temporary
 * stage, compare_answers_apply (deploy/db/functions/compare.sql), COMMIT, and only then the
 * answer. The last batch of a file makes the rules that read that department's facts due; the
 * assistance service runs them, not the request. A batch sent with wait_ms whose rules are due is
 * held until their run is committed (NOTIFY fangpin_compare_rules_done, heard on a connection of
 * its own: the batch's state read again then) or wait_ms has passed, and answered as the same
 * batch again: an import learns of the run when it ends, without asking every second. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "compare.h"
#include "compare_presence.h"
#include "date.h"
#include "idcard.h"
#include "intake.h"
#include "log.h"
#include "mem.h"
#include "seal.h"

#define S_WAIT_MAX_MS 3600000u /* SubmitCompareAnswers.wait_ms at most */

typedef char s_hex_t[2 * FP_SEAL_HMAC_LEN + 1];

struct intake_cmp_wait {
    intake_t *in;
    fp_request_t *req;
    Fangpin__V1__IntakeRequest *msg;
    s_hex_t *hex;  /* each answer's person, the keyed hash in hex */
    uint8_t (*h)[FP_SEAL_HMAC_LEN]; /* and the same hash in bytes */
    fp_buf_t copy; /* the facts in COPY text format, until handed to the chain */
    fp_chain_t chain;
    /* the batch's persons looked up in the members intake holds (compare_presence.c): the
     * snapshot they were read in (NULL: not held, the database looks them up), how many are
     * present, the others as a text[] of hex */
    char county[7];
    char *seen;
    uint32_t seen_matched;
    fp_buf_t seen_unmatched;
    /* the answer, once committed */
    bool replayed, queued;
    uint32_t answers, matched, facts, opened;
    int64_t run;
    char *unmatched; /* a text[] of hex */
    /* held for the rules' run (wait_ms) */
    struct intake_cmp_wait *next;
    uint64_t deadline; /* uv_now */
    bool checking;     /* a read of the batch's rules is in flight */
    bool expired;      /* answer when that read returns */
};
typedef struct intake_cmp_wait s_answers_t;

static void s_done(s_answers_t *a)
{
    fangpin__v1__intake_request__free_unpacked(a->msg, NULL);
    fp_buf_free(&a->copy);
    free(a->seen);
    fp_buf_free(&a->seen_unmatched);
    free(a->unmatched);
    free(a->hex);
    free(a->h);
    free(a);
}

/* The line refs of the answers whose person is in unmatched (a text[] of hex: "{ab..,cd..}"), in
 * the answers' order, into refs (n_answers long); returns how many. */
static size_t s_unmatched(const s_answers_t *a, const char *unmatched, char **refs)
{
    const Fangpin__V1__SubmitCompareAnswers *sa = a->msg->submit_compare_answers;
    size_t n = 0;
    for (size_t i = 0; i < sa->n_answers; i++) {
        const char *hit = strstr(unmatched, a->hex[i]);
        if (hit && (hit[-1] == '{' || hit[-1] == ',')) refs[n++] = sa->answers[i]->line_ref;
    }
    return n;
}

/* Answers the request with the batch's counts and frees a. */
static void s_reply(s_answers_t *a)
{
    Fangpin__V1__CompareAnswersSummary sum = FANGPIN__V1__COMPARE_ANSWERS_SUMMARY__INIT;
    sum.batch_id = a->msg->submit_compare_answers->batch_id;
    sum.replayed = a->replayed;
    sum.answers = a->answers;
    sum.matched = a->matched;
    sum.facts = a->facts;
    sum.quality_run_id = a->run;
    sum.findings_opened = a->opened;
    char **refs = fp_calloc(a->msg->submit_compare_answers->n_answers, sizeof *refs);
    sum.n_unmatched_refs = s_unmatched(a, a->unmatched ? a->unmatched : "{}", refs);
    sum.unmatched_refs = refs;
    sum.rules_queued = a->queued;
    Fangpin__V1__IntakeReply out = FANGPIN__V1__INTAKE_REPLY__INIT;
    out.result_case = FANGPIN__V1__INTAKE_REPLY__RESULT_COMPARE_ANSWERS;
    out.compare_answers = &sum;
    fp_request_reply_ok(a->req, &out.base, a->msg->request_id, "");
    free(refs);
    s_done(a);
}

/* ---- held for the rules' run ---------------------------------------------------------------- */

static void s_unlink(s_answers_t *a)
{
    for (s_answers_t **p = &a->in->cmp_waits; *p; p = &(*p)->next)
        if (*p == a) {
            *p = a->next;
            return;
        }
}

static void s_on_rules(fp_db_t *db, PGresult *res, void *arg)
{
    s_answers_t *a = arg;
    a->checking = false;
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && PQgetvalue(res, 0, 2)[0] == 'f') {
        a->run = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        a->opened = (uint32_t)strtoul(PQgetvalue(res, 0, 1), NULL, 10);
        a->queued = false;
    } else if (res && PQresultStatus(res) != PGRES_TUPLES_OK) {
        fp_log_warn("reading a comparison batch's rules failed; read again at the next run", "error",
                    fp_db_errmsg(res));
    }
    if (!a->queued || a->expired || a->in->cmp_stopping) {
        s_unlink(a);
        s_reply(a);
    }
}

/* Reads the batch's rules again (their run, the findings it opened, whether still due). */
static void s_read_rules(s_answers_t *a)
{
    if (a->checking || !a->in->cmp_db || !a->in->cmp_db_up) return;
    a->checking = true;
    const fp_principal_t *who = fp_request_principal(a->req);
    char county[7];
    intake_county_of(who, county);
    const char *params[3] = {county, who->department, a->msg->submit_compare_answers->batch_id};
    fp_db_query(a->in->cmp_db, 0, "SELECT coalesce(run, 0), opened, queued FROM compare_batch_rules($1, $2, $3)", 3,
                params, s_on_rules, a);
}

/* Reads again the rules of every batch held and not being read. */
static void s_check_all(intake_t *in)
{
    for (s_answers_t *a = in->cmp_waits; a; a = a->next) s_read_rules(a);
}

static void s_on_wait_state(fp_db_t *db, bool up, void *arg)
{
    intake_t *in = arg;
    in->cmp_db_up = up;
    if (up) s_check_all(in); /* a run committed while the connection was down is read now */
}

static void s_on_wait_notify(fp_db_t *db, const char *channel, const char *payload, void *arg)
{
    if (strcmp(channel, "fangpin_compare_rules_done") == 0) s_check_all(arg);
}

/* Holds a, whose rules are due, until their run or its wait_ms; the connection that hears of the
 * runs is made the first time. */
static void s_hold(s_answers_t *a)
{
    intake_t *in = a->in;
    if (!in->cmp_db) {
        if (!(in->cmp_db = intake_new_db(in, s_on_wait_state, s_on_wait_notify))) {
            fp_log_error("no database connection to hear of the comparison rules' runs: answering at once");
            s_reply(a);
            return;
        }
        fp_db_listen(in->cmp_db, "fangpin_compare_rules_done");
    }
    uint32_t ms = a->msg->submit_compare_answers->wait_ms;
    a->deadline = uv_now(fp_service_loop(in->svc)) + (ms < S_WAIT_MAX_MS ? ms : S_WAIT_MAX_MS);
    a->next = in->cmp_waits;
    in->cmp_waits = a;
    s_read_rules(a); /* the run may have been committed before the connection listened */
}

/* Answers each batch held past its wait_ms (all of them when stopping) with what is known: the
 * rules still due. One being read is answered when its read returns. */
static void s_expire(intake_t *in, bool all)
{
    uint64_t now = uv_now(fp_service_loop(in->svc));
    for (s_answers_t **p = &in->cmp_waits; *p;) {
        s_answers_t *a = *p;
        if (!all && now < a->deadline) {
            p = &a->next;
        } else if (a->checking) {
            a->expired = true;
            p = &a->next;
        } else {
            *p = a->next;
            s_reply(a);
        }
    }
}

void intake_compare_waits_tick(intake_t *in)
{
    if (in->cmp_waits) s_expire(in, false);
}

void intake_compare_waits_stopping(intake_t *in)
{
    in->cmp_stopping = true;
    s_expire(in, true);
}

void intake_compare_waits_stop(intake_t *in)
{
    in->cmp_stopping = true;
    fp_db_destroy(&in->cmp_db); /* a read in flight is answered NULL: its batch is answered then */
    s_expire(in, true);
}

/* ---- a batch: one transaction ----------------------------------------------------------------- */

static void s_chain_fail(fp_chain_t *c, const char *reason, PGresult *res)
{
    s_answers_t *a = c->job;
    if (!res)
        fp_request_refuse(a->req, a->msg->request_id, "db.unavailable",
                          "the database went away: the batch was not stored; retry with the same batch id",
                          "数据库连接中断，本批次未保存，请用相同批次号重试");
    else
        fp_request_refuse(a->req, a->msg->request_id, "db.failed", "storing comparison answers failed: nothing was stored",
                          "比对结果保存失败，未保存任何数据");
    s_done(a);
}

static void s_on_commit(fp_chain_t *c, PGresult *res)
{
    s_answers_t *a = c->job;
    if (a->queued && a->msg->submit_compare_answers->wait_ms && !a->in->cmp_stopping) s_hold(a);
    else s_reply(a);
}

static void s_on_applied(fp_chain_t *c, PGresult *res)
{
    s_answers_t *a = c->job;
    const char *rid = a->msg->request_id;
    const char *problem = PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0);
    if (problem[0]) {
        fp_chain_rollback(c);
        if (strcmp(problem, "compare.export_unknown") == 0)
            fp_request_refuse(a->req, rid, problem, "your department has no export of this county with this id",
                              "本部门在本县没有该编号的比对导出");
        else
            fp_request_refuse(a->req, rid, "data_key.changed",
                              "the county's data key was changed: intake must be restarted with the new key; nothing"
                              " was stored, retry with the same batch id",
                              "县级数据密钥已更换，需用新密钥重启受理服务；本批次未保存，请用相同批次号重试");
        s_done(a);
        return;
    }
    a->replayed = PQgetvalue(res, 0, 1)[0] == 't';
    a->answers = (uint32_t)strtoul(PQgetvalue(res, 0, 2), NULL, 10);
    a->matched = (uint32_t)strtoul(PQgetvalue(res, 0, 3), NULL, 10);
    a->facts = (uint32_t)strtoul(PQgetvalue(res, 0, 4), NULL, 10);
    a->run = strtoll(PQgetvalue(res, 0, 5), NULL, 10);
    a->opened = (uint32_t)strtoul(PQgetvalue(res, 0, 6), NULL, 10);
    a->unmatched = fp_strdup(PQgetvalue(res, 0, 7));
    a->queued = PQgetvalue(res, 0, 8)[0] == 't';
    if (!a->replayed) {
        bool stale = PQgetvalue(res, 0, 9)[0] == 't';
        if (stale) intake_presence_stale(a->in, a->county);
        fp_counter_add(a->seen && !stale ? a->in->c_presence_held : a->in->c_presence_db, 1);
    }
    fp_chain_commit(c, s_on_commit);
}

static void s_on_copied(fp_chain_t *c, PGresult *res)
{
    s_answers_t *a = c->job;
    const Fangpin__V1__SubmitCompareAnswers *sa = a->msg->submit_compare_answers;
    const fp_principal_t *p = fp_request_principal(a->req);
    char county[7], export_id[24], today[11], n[16], check[FP_SEAL_CHECK_HEX];
    intake_county_of(p, county);
    snprintf(export_id, sizeof export_id, "%lld", (long long)sa->export_id);
    fp_date_format(intake_today(a->in), today);
    snprintf(n, sizeof n, "%zu", sa->n_answers);
    fp_seal_check_value(fp_service_seal(a->in->svc), check);
    char matched[16];
    snprintf(matched, sizeof matched, "%u", a->seen_matched);
    const char *params[12] = {county, p->department, p->id, sa->batch_id, export_id, today, n, check,
                              sa->defer_rules ? "f" : "t", a->seen, a->seen ? matched : NULL,
                              a->seen ? (const char *)a->seen_unmatched.data : NULL};
    fp_chain_query(c, "compare_answers_apply",
                   "SELECT a.problem, a.replayed, a.answers, a.matched, a.facts, coalesce(a.run, 0), a.opened,"
                   " a.unmatched, a.queued, a.seen_stale"
                   " FROM compare_answers_apply($1, $2, $3, $4, $5::bigint, $6::date, $7::int, $8, $9::boolean,"
                   " $10::pg_snapshot, $11::int, $12::text[]) a",
                   12, params, PGRES_TUPLES_OK, 0, s_on_applied);
}

static void s_on_begun(fp_chain_t *c, PGresult *res)
{
    s_answers_t *a = c->job;
    fp_chain_copy(c, "COPY", "COPY compare_stage (h, f, v) FROM STDIN", &a->copy, s_on_copied);
}

/* Checks an answer and appends its facts to the COPY data (the keyed hash, the fact, the value);
 * the keyed hash into h, and in hex into hex: NULL, or why not (the answer's line named by the
 * caller). */
static const char *s_take_answer(const fp_seal_t *seal, const char *dept, const Fangpin__V1__CompareAnswer *ans,
                                 int32_t today, s_hex_t hex, uint8_t h[FP_SEAL_HMAC_LEN], fp_buf_t *copy)
{
    fp_idcard_t id;
    if (fp_idcard_parse(ans->id_number, today, &id) != FP_OK) return "id_number is not a valid ID number";
    if (ans->n_facts == 0 || ans->n_facts > FP_COMPARE_MAX_FACTS) return "an answer gives 1 to 4 facts";
    fp_seal_hmac(seal, id.number, h);
    sodium_bin2hex(hex, sizeof(s_hex_t), h, FP_SEAL_HMAC_LEN);
    sodium_memzero(&id, sizeof id);
    for (size_t i = 0; i < ans->n_facts; i++) {
        const fp_compare_fact_t *f = fp_compare_fact_by_name(dept, ans->facts[i]->fact);
        if (!f) return "a fact your department does not give";
        if (!fp_compare_value_ok(f, ans->facts[i]->value)) return "a fact's value is not in its kept form";
        fp_buf_append(copy, "\\\\x", 3); /* COPY text: \\x, the hash in hex, a tab, the fact, a tab */
        fp_buf_append(copy, hex, 2 * FP_SEAL_HMAC_LEN);
        fp_buf_append(copy, "\t", 1);
        fp_buf_puts(copy, f->fact);
        fp_buf_append(copy, "\t", 1);
        fp_db_copy_field(copy, ans->facts[i]->value);
        fp_buf_puts(copy, "\n");
    }
    return NULL;
}

/* The batch's checks and its facts as COPY rows: NULL, or the refusal's reason, with en/zh. */
static const char *s_check(intake_t *in, const char *county, const char *dept,
                           const Fangpin__V1__SubmitCompareAnswers *sa, fp_buf_t *copy, s_hex_t **hex,
                           uint8_t (**h)[FP_SEAL_HMAC_LEN], char *en,
                           size_t en_size, char *zh, size_t zh_size)
{
    size_t nfacts;
    if (!county[0]) {
        snprintf(en, en_size, "a department answers for its own county only (a key of a county's department)");
        snprintf(zh, zh_size, "部门只能提交本县的比对结果（须为县级部门的密钥）");
        return "compare.out_of_scope";
    }
    if (!fp_compare_facts(dept, &nfacts)) {
        snprintf(en, en_size, "your department (%s) has no answer file (docs/compare.md)", dept);
        snprintf(zh, zh_size, "本部门（%s）没有比对回复文件（见 docs/compare.md）", dept);
        return "compare.columns";
    }
    if (!intake_batch_id_ok(sa->batch_id) || sa->export_id <= 0 || sa->n_answers == 0 ||
        sa->n_answers > (size_t)in->limits.max_leads) {
        snprintf(en, en_size, "batch_id: 1..64 of [A-Za-z0-9._:-]; export_id: an export of yours; answers: 1 to %d",
                 in->limits.max_leads);
        snprintf(zh, zh_size, "batch_id：1 至 64 个 [A-Za-z0-9._:-]；export_id：本部门的导出编号；answers：1 至 %d 条",
                 in->limits.max_leads);
        return "request.field";
    }
    *hex = fp_calloc(sa->n_answers, sizeof **hex);
    *h = fp_calloc(sa->n_answers, sizeof **h);
    fp_buf_reserve(copy, sa->n_answers * 96);
    for (size_t i = 0; i < sa->n_answers; i++) {
        const char *why =
            s_take_answer(fp_service_seal(in->svc), dept, sa->answers[i], intake_today(in), (*hex)[i], (*h)[i], copy);
        if (why) {
            snprintf(en, en_size, "answer %zu (line %.32s): %s", i + 1, sa->answers[i]->line_ref, why);
            snprintf(zh, zh_size, "第 %zu 条回复（行 %.32s）有误：%s", i + 1, sa->answers[i]->line_ref,
                     strncmp(why, "id_number", 9) == 0 ? "身份证号无效" : "比对事项或其取值不符合本部门的回复格式");
            return "compare.answer";
        }
    }
    return NULL;
}

void intake_submit_compare_answers(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    intake_t *in = arg;
    Fangpin__V1__IntakeRequest *msg = (Fangpin__V1__IntakeRequest *)m;
    const fp_principal_t *p = fp_request_principal(req);
    char en[240], zh[240], county[7];
    intake_county_of(p, county);
    s_answers_t *a = fp_new(s_answers_t);
    a->in = in;
    a->req = req;
    a->msg = msg;
    const char *why = s_check(in, county, p->department, msg->submit_compare_answers, &a->copy, &a->hex, &a->h, en,
                              sizeof en, zh, sizeof zh);
    if (why) {
        fp_request_refuse(req, msg->request_id, why, en, zh);
        s_done(a);
        return;
    }
    /* a file of several batches: the county's members are read once, and each batch's persons
     * looked up in them once read (the database checks they are still the ledger's) */
    memcpy(a->county, county, sizeof a->county);
    if (msg->submit_compare_answers->defer_rules) intake_presence_want(in, county);
    const intake_presence_t *pr = intake_presence_ready(in, county);
    if (pr) {
        a->seen = fp_strdup(intake_presence_snapshot(pr));
        a->seen_matched = intake_presence_check(pr, (const uint8_t(*)[FP_SEAL_HMAC_LEN])a->h,
                                                msg->submit_compare_answers->n_answers, &a->seen_unmatched);
    }
    a->chain = (fp_chain_t){.db = intake_pick_db(in), .what = "SubmitCompareAnswers", .job = a, .fail = s_chain_fail};
    fp_chain_begin(&a->chain,
                   "BEGIN;"
                   "CREATE TEMP TABLE IF NOT EXISTS compare_stage (h bytea NOT NULL, f text NOT NULL, v text NOT NULL)"
                   " ON COMMIT DELETE ROWS;"
                   "TRUNCATE compare_stage",
                   s_on_begun);
}
