/* submit.c: SubmitLeads and GetBatch. One transaction per batch: the pure checks run in C,
 * then BEGIN + stage table, COPY of the batch, intake_apply() (village existence, duplicates,
 * inserts, events, stored answers; deploy/db/functions/intake.sql), COMMIT, and only then
 * the reply and the LeadsAccepted hint to screening. A resent (sender, batch id) gets the
 * stored answer; a reused batch id with other content is refused. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "chain.h"
#include "date.h"
#include "intake.h"
#include "log.h"
#include "mem.h"
#include "seal.h"

typedef struct {
    Fangpin__V1__Code code;
    const char *reason;              /* static: from the reason catalog, or "" */
    char *line_ref, *kind, *village; /* kind, village: the codes the line resolved to, or NULL */
    char *message, *message_zh;      /* a message of this line's own (kind.unknown, village.*), or NULL */
    int64_t id, duplicate_of;
} s_item_t;

typedef struct {
    intake_t *in;
    fp_request_t *req;
    Fangpin__V1__IntakeRequest *msg;
    fp_db_t *db;
    char sender[128], county[7], dept[40], hash[65], batch_id[80], period[8];
    s_item_t *items;
    size_t nitems;
    int64_t received_ms;
    bool replayed;
    fp_kind_key_t *aliases; /* the sender's department's kind aliases (kind_aliases) */
    size_t naliases;
    fp_village_index_t villages; /* the county's places, when a lead names a village (names.c) */
    fp_buf_t copy;               /* the batch in COPY text format, until handed to fp_db_copy */
    fp_chain_t chain;            /* a new batch's transaction (common/chain.h); its job is this */
} s_job_t;

static void s_job_free(s_job_t *j)
{
    for (size_t i = 0; i < j->nitems; i++) {
        free(j->items[i].line_ref);
        free(j->items[i].kind);
        free(j->items[i].village);
        free(j->items[i].message);
        free(j->items[i].message_zh);
    }
    free(j->items);
    free(j->aliases);
    fp_village_index_free(&j->villages);
    fp_buf_free(&j->copy);
    if (j->msg) fangpin__v1__intake_request__free_unpacked(j->msg, NULL);
    free(j);
}

/* A refusal of the whole batch, with its reason code in the status (batch.empty...). */
static void s_refuse(s_job_t *j, const char *reason, const char *en, const char *zh)
{
    fp_request_refuse(j->req, j->msg ? j->msg->request_id : "", reason, en, zh);
    s_job_free(j);
}

static void s_unavailable(s_job_t *j)
{
    s_refuse(j, "db.unavailable", "the database went away: the batch was not stored; retry with the same batch id",
             "数据库连接中断，本批次未保存，请用相同批次号重试");
}

static const char *s_static_reason(const char *code)
{
    if (!code || !*code) return "";
    const intake_reason_t *r = intake_reason(code);
    return r ? r->code : "internal";
}

static Fangpin__V1__Code s_code_of(const char *s)
{
    if (!strcmp(s, "OK")) return FANGPIN__V1__CODE__OK;
    if (!strcmp(s, "DUPLICATE")) return FANGPIN__V1__CODE__DUPLICATE;
    return FANGPIN__V1__CODE__BAD_REQUEST;
}

/* kind.unknown's message naming the closest kinds, village.ambiguous's naming the candidates
 * and village.unknown's naming the closest villages, for each such line of a SubmitLeads (a
 * GetBatch has not the lines' texts: it keeps the catalogue's message). */
static void s_line_messages(s_job_t *j)
{
    if (j->msg->op_case != FANGPIN__V1__INTAKE_REQUEST__OP_SUBMIT_LEADS) return;
    const Fangpin__V1__SubmitLeads *sl = j->msg->submit_leads;
    const fp_principal_t *p = fp_request_principal(j->req);
    intake_sender_t sender = {p->kind, p->department, p->region, NULL, 0, NULL, NULL, NULL};
    for (size_t i = 0; i < j->nitems && i < sl->n_leads; i++) {
        s_item_t *it = &j->items[i];
        char en[2048], zh[2048]; /* the catalogue message and three kinds or five villages fit */
        if (!strcmp(it->reason, INTAKE_R_KIND_UNKNOWN))
            intake_kind_unknown_message(&j->in->catalog, &sender, sl->leads[i]->kind, en, sizeof en, zh, sizeof zh);
        else if (!strcmp(it->reason, INTAKE_R_VILLAGE_AMBIGUOUS) || !strcmp(it->reason, INTAKE_R_VILLAGE_UNKNOWN))
            intake_village_message(&j->villages, j->in->hant, it->reason, sl->leads[i]->village_code, en, sizeof en, zh,
                                   sizeof zh);
        else continue;
        it->message = fp_strdup(en);
        it->message_zh = fp_strdup(zh);
    }
}

/* Rows of (idx, line_ref, code, reason, lead_id, duplicate_of, kind, village) into j->items. */
static void s_take_items(s_job_t *j, PGresult *res)
{
    int n = PQntuples(res);
    j->items = fp_calloc((size_t)(n ? n : 1), sizeof *j->items);
    j->nitems = (size_t)n;
    for (int r = 0; r < n; r++) {
        s_item_t *it = &j->items[r];
        it->line_ref = fp_strdup(PQgetvalue(res, r, 1));
        it->code = s_code_of(PQgetvalue(res, r, 2));
        it->reason = s_static_reason(PQgetvalue(res, r, 3));
        it->id = PQgetisnull(res, r, 4) ? 0 : strtoll(PQgetvalue(res, r, 4), NULL, 10);
        it->duplicate_of = PQgetisnull(res, r, 5) ? 0 : strtoll(PQgetvalue(res, r, 5), NULL, 10);
        if (!PQgetisnull(res, r, 6)) it->kind = fp_strdup(PQgetvalue(res, r, 6));
        if (!PQgetisnull(res, r, 7)) it->village = fp_strdup(PQgetvalue(res, r, 7));
    }
    s_line_messages(j);
}

static void s_reply_items(s_job_t *j)
{
    intake_t *in = j->in;
    Fangpin__V1__IntakeReply out = FANGPIN__V1__INTAKE_REPLY__INIT;
    Fangpin__V1__Status st = FANGPIN__V1__STATUS__INIT;
    Fangpin__V1__BatchSummary sum = FANGPIN__V1__BATCH_SUMMARY__INIT;
    Fangpin__V1__ItemResult *items = fp_calloc(j->nitems ? j->nitems : 1, sizeof *items);
    Fangpin__V1__ItemResult **ptrs = fp_calloc(j->nitems ? j->nitems : 1, sizeof *ptrs);
    for (size_t i = 0; i < j->nitems; i++) {
        Fangpin__V1__ItemResult *r = &items[i];
        const s_item_t *it = &j->items[i];
        fangpin__v1__item_result__init(r);
        r->index = (uint32_t)i;
        r->code = it->code;
        r->reason = (char *)it->reason;
        r->ref = it->line_ref;
        r->id = it->id;
        r->duplicate_of = it->duplicate_of;
        const intake_reason_t *why = it->reason[0] ? intake_reason(it->reason) : NULL;
        r->message = it->message ? it->message : (char *)(why ? why->en : "accepted");
        r->message_zh = it->message_zh ? it->message_zh : (char *)(why ? why->zh : "已接收");
        r->kind = it->kind ? it->kind : (char *)"";
        r->village = it->village ? it->village : (char *)"";
        if (it->code == FANGPIN__V1__CODE__OK) sum.accepted++;
        else if (it->code == FANGPIN__V1__CODE__DUPLICATE) sum.duplicates++;
        else sum.rejected++;
        ptrs[i] = r;
    }
    sum.batch_id = j->batch_id;
    sum.period = j->period;
    sum.leads = (uint32_t)j->nitems;
    sum.replayed = j->replayed;
    sum.received_at_ms = j->received_ms;
    out.request_id = j->msg->request_id;
    out.status = &st;
    out.n_results = j->nitems;
    out.results = ptrs;
    out.result_case = FANGPIN__V1__INTAKE_REPLY__RESULT_BATCH;
    out.batch = &sum;
    char en[200], zh[200];
    if (sum.rejected == 0) {
        st.code = FANGPIN__V1__CODE__OK;
        snprintf(en, sizeof en, "%u accepted, %u already received", sum.accepted, sum.duplicates);
        snprintf(zh, sizeof zh, "接收 %u 条，重复 %u 条", sum.accepted, sum.duplicates);
    } else {
        st.code = FANGPIN__V1__CODE__PARTIAL;
        snprintf(en, sizeof en, "%u accepted, %u already received, %u refused: see the results", sum.accepted,
                 sum.duplicates, sum.rejected);
        snprintf(zh, sizeof zh, "接收 %u 条，重复 %u 条，退回 %u 条，详见逐条结果", sum.accepted, sum.duplicates,
                 sum.rejected);
    }
    st.message = en;
    st.message_zh = zh;
    if (!j->replayed && j->msg->op_case == FANGPIN__V1__INTAKE_REQUEST__OP_SUBMIT_LEADS) {
        fp_counter_add(in->c_accepted, sum.accepted);
        fp_counter_add(in->c_duplicates, sum.duplicates);
        fp_counter_add(in->c_rejected, sum.rejected);
        fp_counter_add(in->c_batches, 1);
    } else if (j->replayed) {
        fp_counter_add(in->c_replayed, 1);
    }
    fp_request_reply(j->req, &out.base, st.code);
    free(items);
    free(ptrs);
}

/* --- the stored answer (replay, GetBatch) ---------------------------------------------------- */

static void s_on_stored_items(fp_db_t *db, PGresult *res, void *arg)
{
    s_job_t *j = arg;
    if (!res) {
        s_unavailable(j);
        return;
    }
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fp_log_error("reading stored batch results failed", "error", fp_db_errmsg(res));
        s_refuse(j, "db.failed", "reading the stored results failed", "读取批次结果失败");
        return;
    }
    s_take_items(j, res);
    s_reply_items(j);
    s_job_free(j);
}

static void s_load_items(s_job_t *j)
{
    const char *p[2] = {j->sender, j->batch_id};
    fp_db_query(j->db, 0, "SELECT * FROM intake_batch_results($1, $2)", 2, p, s_on_stored_items, j);
}

static void s_start_new(s_job_t *j);

/* The county's places read (names.c); then the new batch, or the stored answer of a resend
 * (whose refused names are answered with their candidates again) or of a GetBatch. */
static void s_on_villages(void *arg, intake_load_t how)
{
    s_job_t *j = arg;
    if (how == INTAKE_LOAD_GONE) s_unavailable(j);
    else if (how == INTAKE_LOAD_FAILED) s_refuse(j, "db.failed", "reading the villages failed", "读取村庄区划失败");
    else if (j->replayed || j->msg->op_case != FANGPIN__V1__INTAKE_REQUEST__OP_SUBMIT_LEADS) s_load_items(j);
    else s_start_new(j);
}

/* Only a batch that names a village by name or address reads the county's places. */
static void s_load_villages(s_job_t *j)
{
    bool submit = j->msg->op_case == FANGPIN__V1__INTAKE_REQUEST__OP_SUBMIT_LEADS;
    if (submit && intake_villages_needed(j->msg->submit_leads))
        intake_villages_load(j->db, j->county, &j->villages, s_on_villages, j);
    else s_on_villages(j, INTAKE_LOAD_OK);
}

/* The sender's department's kind aliases read (names.c); then the county's places if needed. */
static void s_on_aliases(void *arg, intake_load_t how)
{
    s_job_t *j = arg;
    if (how == INTAKE_LOAD_GONE) s_unavailable(j);
    else if (how == INTAKE_LOAD_FAILED)
        s_refuse(j, "db.failed", "reading the kind aliases failed", "读取线索类型别名失败");
    else s_load_villages(j);
}

/* (content_hash, period, received_at ms) of an existing batch, or no row. */
static void s_on_existing(fp_db_t *db, PGresult *res, void *arg)
{
    s_job_t *j = arg;
    if (!res) {
        s_unavailable(j);
        return;
    }
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fp_log_error("reading lead_batches failed", "error", fp_db_errmsg(res));
        s_refuse(j, "db.failed", "reading the batch failed", "读取批次失败");
        return;
    }
    bool get = j->msg->op_case == FANGPIN__V1__INTAKE_REQUEST__OP_GET_BATCH;
    if (PQntuples(res) == 0) {
        if (get) {
            s_refuse(j, "batch.not_found", NULL, NULL);
            return;
        }
        /* read per batch, so that an alias added while intake runs serves the next batch */
        intake_aliases_load(j->db, &j->in->catalog, j->county, j->dept, &j->aliases, &j->naliases, s_on_aliases, j);
        return;
    }
    if (!get && strcmp(PQgetvalue(res, 0, 0), j->hash) != 0) {
        s_refuse(j, "batch.reused", NULL, NULL);
        return;
    }
    snprintf(j->period, sizeof j->period, "%s", PQgetvalue(res, 0, 1));
    j->received_ms = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    j->replayed = !get;
    s_load_villages(j);
}

static void s_lookup(s_job_t *j)
{
    const char *p[2] = {j->sender, j->batch_id};
    fp_db_query(j->db, 0,
                "SELECT content_hash, period, (extract(epoch FROM received_at) * 1000)::bigint FROM lead_batches"
                " WHERE sender = $1 AND batch_id = $2",
                2, p, s_on_existing, j);
}

/* --- a new batch: one transaction ------------------------------------------------------------ */

/* The batch's transaction ended without a commit (common/chain.h). */
static void s_chain_fail(fp_chain_t *c, const char *reason, PGresult *res)
{
    s_job_t *j = c->job;
    if (!res) {
        s_unavailable(j);
        return;
    }
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (state && !strcmp(state, "FPK01")) { /* the key was rotated (fangpinctl keys rotate-data-key) */
        s_refuse(j, "data_key.changed", NULL, NULL);
        return;
    }
    s_refuse(j, reason, "storing the batch failed: nothing was stored", "批次保存失败，未保存任何数据");
}

static void s_push_hint(s_job_t *j)
{
    if (!j->in->push) return;
    Fangpin__V1__LeadsAccepted h = FANGPIN__V1__LEADS_ACCEPTED__INIT;
    int64_t *ids = fp_calloc(j->nitems ? j->nitems : 1, sizeof *ids);
    for (size_t i = 0; i < j->nitems; i++)
        if (j->items[i].code == FANGPIN__V1__CODE__OK) ids[h.n_lead_ids++] = j->items[i].id;
    if (h.n_lead_ids) {
        h.county = j->county;
        h.lead_ids = ids;
        size_t len = fangpin__v1__leads_accepted__get_packed_size(&h);
        uint8_t *buf = fp_malloc(len);
        fangpin__v1__leads_accepted__pack(&h, buf);
        /* No screening connected, or it is slow: the hint is dropped, and screening catches up
         * from the leads table (screened_at IS NULL). */
        zmq_send(j->in->push, buf, len, ZMQ_DONTWAIT);
        free(buf);
    }
    free(ids);
}

static void s_on_commit(fp_chain_t *c, PGresult *res)
{
    s_job_t *j = c->job;
    s_push_hint(j);
    s_reply_items(j);
    s_job_free(j);
}

static void s_on_apply(fp_chain_t *c, PGresult *res)
{
    s_job_t *j = c->job;
    if (PQntuples(res) == 1 && atoi(PQgetvalue(res, 0, 0)) == -1) {
        /* The same batch was stored meanwhile (a concurrent resend): answer from it. */
        fp_chain_rollback(c);
        s_lookup(j);
        return;
    }
    s_take_items(j, res);
    fp_chain_commit(c, s_on_commit);
}

static void s_on_copied(fp_chain_t *c, PGresult *res)
{
    s_job_t *j = c->job;
    char check[FP_SEAL_CHECK_HEX];
    fp_seal_check_value(fp_service_seal(j->in->svc), check);
    char today[11];
    fp_date_format(intake_today(j->in), today);
    const char *p[8] = {j->sender, j->batch_id, j->county, j->period, j->hash, j->dept, check, today};
    fp_chain_query(c, "intake_apply", "SELECT * FROM intake_apply($1, $2, $3, $4, $5, $6, $7, $8)", 8, p,
                   PGRES_TUPLES_OK, 0, s_on_apply);
}

static void s_on_begun(fp_chain_t *c, PGresult *res)
{
    s_job_t *j = c->job;
    fp_chain_copy(c, "COPY",
                  "COPY intake_stage (idx, line_ref, reason, id_hmac, id_sealed, id_masked, name, village_code, kind,"
                  " occurred_on, amount_fen, detail) FROM STDIN",
                  &j->copy, s_on_copied);
}

static void s_start_new(s_job_t *j)
{
    intake_t *in = j->in;
    Fangpin__V1__SubmitLeads *sl = j->msg->submit_leads;
    const fp_principal_t *p = fp_request_principal(j->req);
    intake_sender_t sender =
        {p->kind, p->department, p->region, j->aliases, j->naliases, &j->villages, in->hant ? intake_hant_t2s : NULL,
         in->hant};
    int32_t today = intake_today(in);
    const fp_seal_t *seal = fp_service_seal(in->svc);
    fp_buf_t *data = &j->copy;
    fp_buf_reserve(data, sl->n_leads * 160);
    for (size_t i = 0; i < sl->n_leads; i++) {
        const Fangpin__V1__Lead *l = sl->leads[i];
        intake_lead_in_t li = {l->id_number, l->name,     l->village_code, l->kind,      l->occurred_on,
                               l->detail,    l->line_ref, l->amount_fen,   l->has_amount};
        intake_lead_ok_t ok;
        const char *why = intake_check_lead(&in->catalog, &sender, &li, &in->limits, today, &ok);
        fp_buf_printf(data, "%zu\t", i);
        /* a reference that cannot be kept (too long, not UTF-8) is replaced by the position,
         * whatever else was wrong with the lead */
        if (intake_check_line_ref(l->line_ref, &in->limits)) fp_buf_printf(data, "#%zu", i + 1);
        else fp_db_copy_field(data, l->line_ref);
        fp_buf_puts(data, "\t");
        fp_db_copy_field(data, why ? why : "");
        if (why) {
            fp_buf_puts(data, "\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n");
            continue;
        }
        char date[11];
        fp_date_format(ok.occurred_days, date);
        fp_buf_puts(data, "\t");
        fp_seal_copy_fields(seal, ok.id_number, data);
        fp_buf_puts(data, "\t");
        fp_db_copy_field(data, l->name);
        fp_buf_printf(data, "\t%s\t%s\t%s\t", ok.village, ok.kind->code, date);
        if (l->has_amount) fp_buf_printf(data, "%lld", (long long)l->amount_fen);
        else fp_buf_puts(data, "\\N");
        fp_buf_puts(data, "\t");
        fp_db_copy_field(data, l->detail);
        fp_buf_puts(data, "\n");
    }
    j->chain = (fp_chain_t){.db = j->db, .what = "SubmitLeads", .job = j, .fail = s_chain_fail};
    fp_chain_begin(&j->chain,
                   "BEGIN;"
                   "CREATE TEMP TABLE IF NOT EXISTS intake_stage ("
                   " idx integer PRIMARY KEY, line_ref text NOT NULL, reason text NOT NULL,"
                   " id_hmac bytea, id_sealed bytea, id_masked text, name text,"
                   " village_code varchar(12) COLLATE \"C\", kind text,"
                   " occurred_on date, amount_fen bigint, detail text,"
                   " first_idx integer, lead_id bigint, duplicate_of bigint) ON COMMIT DELETE ROWS;"
                   "TRUNCATE intake_stage",
                   s_on_begun);
}

/* The hash of the batch's content (period and leads, not the batch id): BLAKE2b-256, hex. */
static void s_hash(const Fangpin__V1__SubmitLeads *sl, char out[65])
{
    Fangpin__V1__SubmitLeads copy = *sl;
    copy.batch_id = (char *)"";
    size_t len = fangpin__v1__submit_leads__get_packed_size(&copy);
    uint8_t *buf = fp_malloc(len ? len : 1), digest[32];
    fangpin__v1__submit_leads__pack(&copy, buf);
    crypto_generichash(digest, sizeof digest, buf, len, NULL, 0);
    free(buf);
    sodium_bin2hex(out, 65, digest, sizeof digest);
}

static s_job_t *s_job(intake_t *in, fp_request_t *req, Fangpin__V1__IntakeRequest *msg, const char *batch_id)
{
    const fp_principal_t *p = fp_request_principal(req);
    s_job_t *j = fp_new(s_job_t);
    j->in = in;
    j->req = req;
    j->msg = msg;
    j->db = intake_pick_db(in);
    snprintf(j->sender, sizeof j->sender, "%s", p->id);
    snprintf(j->dept, sizeof j->dept, "%s", p->department);
    intake_county_of(p, j->county);
    snprintf(j->batch_id, sizeof j->batch_id, "%s", batch_id);
    return j;
}

void intake_submit(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    intake_t *in = arg;
    Fangpin__V1__IntakeRequest *msg = (Fangpin__V1__IntakeRequest *)m;
    Fangpin__V1__SubmitLeads *sl = msg->submit_leads;
    s_job_t *j = s_job(in, req, msg, sl->batch_id); /* an admin was refused by the operation table */
    if (!j->county[0]) {
        s_refuse(j, "caller.county", NULL, NULL);
        return;
    }
    fp_period_t period;
    const char *why = intake_check_batch(sl->batch_id, sl->period, sl->n_leads, &in->limits, intake_today(in), &period);
    if (why && !strcmp(why, "batch.too_many")) {
        char en[200], zh[200];
        snprintf(en, sizeof en,
                 "the batch holds %zu leads, more than the limit of %d: split it into batches with"
                 " their own ids",
                 sl->n_leads, in->limits.max_leads);
        snprintf(zh, sizeof zh, "批次含 %zu 条线索，超过上限 %d 条，请拆分为多个批次（各用不同批次号）", sl->n_leads,
                 in->limits.max_leads);
        s_refuse(j, why, en, zh);
        return;
    }
    if (why) {
        const intake_reason_t *r = intake_reason(why);
        s_refuse(j, why, r ? r->en : NULL, r ? r->zh : NULL);
        return;
    }
    fp_period_format(period, j->period);
    s_hash(sl, j->hash);
    s_lookup(j);
}

void intake_get_batch(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    intake_t *in = arg;
    Fangpin__V1__IntakeRequest *msg = (Fangpin__V1__IntakeRequest *)m;
    s_job_t *j = s_job(in, req, msg, msg->get_batch->batch_id);
    s_lookup(j);
}
