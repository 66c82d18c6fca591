/* compare_answers.c: SubmitCompareAnswers (docs/compare.md, "The answer files"). A department's
 * answers to one of its exports: each answer's ID number (checked, then only its keyed hash goes
 * on) and its facts (domain/compare.h: the department's facts, in their kept form), stored as
 * dated facts once per batch id by compare_answers_apply (deploy/db/functions/compare.sql), which
 * then records that the rules that read that department's facts are due (unless the batch defers
 * them to the file's last batch: defer_rules); the assistance service runs them, not the request. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "date.h"
#include "idcard.h"
#include "intake.h"
#include "mem.h"
#include "seal.h"

typedef char s_hex_t[2 * FP_SEAL_HMAC_LEN + 1];

typedef struct {
    fp_request_t *req;
    Fangpin__V1__IntakeRequest *msg;
    s_hex_t *hex; /* each answer's person, the keyed hash in hex */
} s_answers_t;

static void s_done(s_answers_t *a)
{
    fangpin__v1__intake_request__free_unpacked(a->msg, NULL);
    free(a->hex);
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

static void s_on_applied(fp_db_t *db, PGresult *res, void *arg)
{
    s_answers_t *a = arg;
    const char *rid = a->msg->request_id;
    if (fp_request_db_failed(a->req, rid, res, "storing comparison answers failed")) {
        s_done(a);
        return;
    }
    const char *problem = PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0);
    if (strcmp(problem, "compare.export_unknown") == 0) {
        fp_request_refuse(a->req, rid, problem, "your department has no export of this county with this id",
                          "本部门在本县没有该编号的比对导出");
    } else if (problem[0]) {
        fp_request_refuse(a->req, rid, "data_key.changed",
                          "the county's data key was changed: intake must be restarted with the new key; nothing was"
                          " stored, retry with the same batch id",
                          "县级数据密钥已更换，需用新密钥重启受理服务；本批次未保存，请用相同批次号重试");
    } else {
        Fangpin__V1__CompareAnswersSummary sum = FANGPIN__V1__COMPARE_ANSWERS_SUMMARY__INIT;
        sum.batch_id = a->msg->submit_compare_answers->batch_id;
        sum.replayed = PQgetvalue(res, 0, 1)[0] == 't';
        sum.answers = (uint32_t)strtoul(PQgetvalue(res, 0, 2), NULL, 10);
        sum.matched = (uint32_t)strtoul(PQgetvalue(res, 0, 3), NULL, 10);
        sum.facts = (uint32_t)strtoul(PQgetvalue(res, 0, 4), NULL, 10);
        sum.quality_run_id = strtoll(PQgetvalue(res, 0, 5), NULL, 10);
        sum.findings_opened = (uint32_t)strtoul(PQgetvalue(res, 0, 6), NULL, 10);
        char **refs = fp_calloc(a->msg->submit_compare_answers->n_answers, sizeof *refs);
        sum.n_unmatched_refs = s_unmatched(a, PQgetvalue(res, 0, 7), refs);
        sum.rules_queued = PQgetvalue(res, 0, 8)[0] == 't';
        sum.unmatched_refs = refs;
        Fangpin__V1__IntakeReply out = FANGPIN__V1__INTAKE_REPLY__INIT;
        out.result_case = FANGPIN__V1__INTAKE_REPLY__RESULT_COMPARE_ANSWERS;
        out.compare_answers = &sum;
        fp_request_reply_ok(a->req, &out.base, rid, "");
        free(refs);
    }
    s_done(a);
}

/* Checks answer i of department dept and appends its facts to the three array literals: NULL, or
 * why not (the answer's line named by the caller). */
static const char *s_take_answer(const fp_seal_t *seal, const char *dept, const Fangpin__V1__CompareAnswer *ans,
                                 int32_t today, s_hex_t hex, fp_buf_t *hmacs, fp_buf_t *facts, fp_buf_t *values)
{
    fp_idcard_t id;
    if (fp_idcard_parse(ans->id_number, today, &id) != FP_OK) return "id_number is not a valid ID number";
    if (ans->n_facts == 0 || ans->n_facts > FP_COMPARE_MAX_FACTS) return "an answer gives 1 to 4 facts";
    uint8_t h[FP_SEAL_HMAC_LEN];
    fp_seal_hmac(seal, id.number, h);
    sodium_bin2hex(hex, sizeof(s_hex_t), h, sizeof h);
    sodium_memzero(&id, sizeof id);
    for (size_t i = 0; i < ans->n_facts; i++) {
        const fp_compare_fact_t *f = fp_compare_fact_by_name(dept, ans->facts[i]->fact);
        if (!f) return "a fact your department does not give";
        if (!fp_compare_value_ok(f, ans->facts[i]->value)) return "a fact's value is not in its kept form";
        const char *sep = hmacs->len > 1 ? "," : "";
        fp_buf_printf(hmacs, "%s%s", sep, hex);
        fp_buf_printf(facts, "%s%s", sep, f->fact);
        fp_buf_printf(values, "%s%s", sep, ans->facts[i]->value);
    }
    return NULL;
}

/* The batch's checks and the answers as array literals: NULL, or the refusal's reason, with en/zh. */
static const char *s_check(intake_t *in, const char *county, const char *dept,
                           const Fangpin__V1__SubmitCompareAnswers *sa, fp_buf_t arr[3],
                           s_hex_t **hex, char *en, size_t en_size, char *zh, size_t zh_size)
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
    for (int k = 0; k < 3; k++) fp_buf_puts(&arr[k], "{");
    *hex = fp_calloc(sa->n_answers, sizeof **hex);
    for (size_t i = 0; i < sa->n_answers; i++) {
        const char *why = s_take_answer(fp_service_seal(in->svc), dept, sa->answers[i], intake_today(in), (*hex)[i],
                                        &arr[0], &arr[1], &arr[2]);
        if (why) {
            snprintf(en, en_size, "answer %zu (line %.32s): %s", i + 1, sa->answers[i]->line_ref, why);
            snprintf(zh, zh_size, "第 %zu 条回复（行 %.32s）有误：%s", i + 1, sa->answers[i]->line_ref,
                     strncmp(why, "id_number", 9) == 0 ? "身份证号无效" : "比对事项或其取值不符合本部门的回复格式");
            return "compare.answer";
        }
    }
    for (int k = 0; k < 3; k++) fp_buf_puts(&arr[k], "}");
    return NULL;
}

void intake_submit_compare_answers(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    intake_t *in = arg;
    Fangpin__V1__IntakeRequest *msg = (Fangpin__V1__IntakeRequest *)m;
    const Fangpin__V1__SubmitCompareAnswers *sa = msg->submit_compare_answers;
    const fp_principal_t *p = fp_request_principal(req);
    fp_buf_t arr[3] = {{0}, {0}, {0}};
    char en[240], zh[240];
    s_hex_t *hex = NULL;
    char county[7];
    intake_county_of(p, county);
    const char *why = s_check(in, county, p->department, sa, arr, &hex, en, sizeof en, zh, sizeof zh);
    if (why) {
        fp_request_refuse(req, msg->request_id, why, en, zh);
        free(hex);
        for (int k = 0; k < 3; k++) fp_buf_free(&arr[k]);
        fangpin__v1__intake_request__free_unpacked(msg, NULL);
        return;
    }
    s_answers_t *a = fp_new(s_answers_t);
    a->req = req;
    a->msg = msg;
    a->hex = hex;
    char export_id[24], today[11], n[16], check[FP_SEAL_CHECK_HEX];
    snprintf(export_id, sizeof export_id, "%lld", (long long)sa->export_id);
    fp_date_format(intake_today(in), today);
    snprintf(n, sizeof n, "%zu", sa->n_answers);
    fp_seal_check_value(fp_service_seal(in->svc), check);
    const char *params[12] = {county, p->department, p->id, sa->batch_id, export_id, today, n,
                              arr[0].data, arr[1].data, arr[2].data, check, sa->defer_rules ? "f" : "t"};
    fp_db_query(fp_service_db(in->svc), 0,
                "SELECT a.problem, a.replayed, a.answers, a.matched, a.facts, coalesce(a.run, 0), a.opened,"
                " a.unmatched, a.queued"
                " FROM compare_answers_apply($1, $2, $3, $4, $5::bigint, $6::date, $7::int,"
                " ARRAY(SELECT decode(x, 'hex') FROM unnest($8::text[]) WITH ORDINALITY u(x, i) ORDER BY i), $9::text[], $10::text[], $11, $12::boolean) a",
                12, params, s_on_applied, a);
    for (int k = 0; k < 3; k++) fp_buf_free(&arr[k]);
}
