/* desk_upload.c: POST /desk/api/upload and /desk/api/results (desk.h, docs/desk.md). The body is
 * the department's file. It is read as `fangpinctl push` reads it (common/leadfile.c: CSV in
 * UTF-8 or GBK, XLSX; the built-in column profile or ?profile=NAME[@N], fetched through
 * GetPushProfile), cut into the same batches with the same ids, and each batch is a SubmitLeads
 * run as the department through intake's operation table, one after another: a line is
 * acknowledged only by the answer of its committed batch, and the same file again is answered
 * from the stored batches, changing nothing. upload answers every line as JSON; results answers
 * the results file (CSV or XLSX, common/results.c) of the same run. The file is never stored:
 * it lives in the request's memory until the answer is sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desk.h"
#include "idcard.h"
#include "leadfile.h"
#include "log.h"
#include "mask.h"
#include "mem.h"

typedef struct {
    intake_t *in;
    fp_http_req_t *req;
    fp_principal_t who;
    desk_format_t format;
    char period[8];
    fp_buf_t raw; /* a view of the request's body: not freed here */
    fp_leadfile_t lf;
    size_t nchunks, next; /* batches; the one in flight is next - 1 */
    uint32_t *map;        /* the batch in flight: lead index -> row */
    size_t nsent;
    bool stopped; /* a batch was refused as a whole for a reason every batch shares */
} s_up_t;

static void s_up_free(s_up_t *u)
{
    free(u->map);
    fp_leadfile_free(&u->lf);
    free(u);
}

static void s_refuse(s_up_t *u, const char *reason, const char *en, const char *zh)
{
    desk_refuse(u->req, reason, en, zh);
    s_up_free(u);
}

/* --- the answer -------------------------------------------------------------------------------- */

static void s_line_json(const s_up_t *u, size_t i, fp_buf_t *b)
{
    const fp_leadfile_t *lf = &u->lf;
    const fp_lead_row_t *r = &lf->rows[i];
    const fp_arena_reason_t *why = r->reason >= 0 ? &lf->arena.reasons[r->reason] : NULL;
    char name[80], id[24];
    fp_mask_name(fp_arena_str(&lf->arena, r->f[FP_PF_NAME]), name, sizeof name);
    fp_idcard_mask(fp_arena_str(&lf->arena, r->f[FP_PF_ID]), id, sizeof id);
    const char *result = fp_lead_result_name(r->result);
    fp_buf_printf(b, "%s{\"line\":%u,\"ref\":", i ? "," : "", r->line);
    fp_buf_json_str(b, fp_arena_str(&lf->arena, r->f[FP_PF_REF]));
    fp_buf_printf(b, ",\"result\":\"%s\",\"result_zh\":", result);
    fp_buf_json_str(b, fp_result_zh(result));
    fp_buf_puts(b, ",\"code\":");
    fp_buf_json_str(b, why ? why->code : "");
    fp_buf_puts(b, ",\"reason_zh\":");
    fp_buf_json_str(b, why ? why->zh : "");
    fp_buf_puts(b, ",\"reason\":");
    fp_buf_json_str(b, why ? why->en : "");
    fp_buf_printf(b, ",\"lead_id\":%lld,\"village\":", (long long)r->id);
    fp_buf_json_str(b, r->village);
    fp_buf_puts(b, ",\"name_masked\":");
    fp_buf_json_str(b, name);
    fp_buf_puts(b, ",\"id_masked\":");
    fp_buf_json_str(b, id);
    fp_buf_puts(b, "}");
}

static void s_answer_json(s_up_t *u)
{
    const fp_leadfile_t *lf = &u->lf;
    fp_buf_t b = {0};
    fp_buf_puts(&b, "{\"period\":");
    fp_buf_json_str(&b, u->period);
    fp_buf_printf(&b, ",\"encoding\":\"%s\",\"profile\":", lf->encoding);
    fp_buf_json_str(&b, lf->profile_name);
    fp_buf_puts(&b, ",\"batches\":[");
    for (size_t i = 0; i < u->nchunks; i++) {
        char id[80];
        fp_leadfile_batch_id(lf, u->period, FP_LEADFILE_CHUNK, i, id);
        fp_buf_printf(&b, "%s\"%s\"", i ? "," : "", id);
    }
    fp_buf_printf(&b,
                  "],\"counts\":{\"lines\":%zu,\"accepted\":%ld,\"duplicate\":%ld,\"rejected\":%ld,\"failed\":%ld},"
                  "\"lines\":[",
                  lf->nrows, lf->n_accepted, lf->n_duplicate, lf->n_rejected, lf->n_failed);
    for (size_t i = 0; i < lf->nrows; i++) s_line_json(u, i, &b);
    fp_buf_puts(&b, "]}");
    desk_json(u->req, 200, &b);
}

static void s_answer_file(s_up_t *u)
{
    fp_outcome_t *out = fp_leadfile_outcomes(&u->lf);
    fp_buf_t file = {0}, why = {0};
    int rc = 0;
    if (u->format == DESK_CSV) fp_results_csv(&u->lf.sheet, out, u->lf.nrows, &file);
    else rc = fp_results_xlsx(&u->lf.sheet, out, u->lf.nrows, getenv("TMPDIR"), &file, &why);
    free(out);
    if (rc != 0) {
        fp_log_error("the desk's results workbook could not be written", "error", why.data ? why.data : "");
        desk_refuse(u->req, "internal.error", "the results workbook could not be made: download the CSV",
                    "无法生成 XLSX 结果文件，请下载 CSV");
    } else {
        bool csv = u->format == DESK_CSV;
        char disp[96];
        snprintf(disp, sizeof disp, "attachment; filename=\"results-%s.%s\"", u->period, csv ? "csv" : "xlsx");
        fp_http_req_add_header(u->req, "Content-Disposition", disp);
        fp_http_req_add_header(u->req, "X-Content-Type-Options", "nosniff");
        fp_http_req_add_header(u->req, "Cache-Control", "no-store");
        fp_http_reply(u->req, 200,
                      csv ? "text/csv; charset=utf-8"
                          : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      file.data ? file.data : "", file.len);
    }
    fp_buf_free(&file);
    fp_buf_free(&why);
    s_up_free(u);
}

static void s_finish(s_up_t *u)
{
    if (u->format == DESK_JSON) {
        s_answer_json(u);
        s_up_free(u);
    } else {
        s_answer_file(u);
    }
}

/* --- the batches ------------------------------------------------------------------------------- */

static void s_next(s_up_t *u);

/* Every line still without an answer when the desk stopped sending (a refusal every batch would
 * get, or the service unavailable). */
static void s_stop(s_up_t *u, const char *code, const char *zh, const char *en)
{
    u->stopped = true;
    int32_t why = fp_arena_reason(&u->lf.arena, code, zh, en);
    fp_leadfile_unanswered(&u->lf, 0, u->lf.nrows, why);
}

/* The answer of the batch in flight (as fangpinctl push takes it, tools/fangpinctl/push.c). */
static void s_on_batch(void *arg, const Fangpin__V1__IntakeReply *rep)
{
    s_up_t *u = arg;
    size_t index = u->next - 1, first = index * FP_LEADFILE_CHUNK;
    size_t count = u->lf.nrows - first < FP_LEADFILE_CHUNK ? u->lf.nrows - first : FP_LEADFILE_CHUNK;
    Fangpin__V1__Code code = rep && rep->status ? rep->status->code : FANGPIN__V1__CODE__INTERNAL;
    const char *en = rep && rep->status ? rep->status->message : "no readable answer";
    const char *zh = rep && rep->status ? rep->status->message_zh : "答复无法读取";
    bool lines =
        code == FANGPIN__V1__CODE__OK || code == FANGPIN__V1__CODE__PARTIAL || code == FANGPIN__V1__CODE__BAD_REQUEST;
    if (lines && rep->n_results > 0 && fp_leadfile_take(&u->lf, u->map, u->nsent, rep)) {
        /* every line answered */
    } else if (code == FANGPIN__V1__CODE__UNAVAILABLE) {
        s_stop(u, "push.unavailable", "线索接收服务暂不可用，本行未获答复：请稍后重新上传同一文件",
               "the intake service is unavailable: upload the same file again later");
    } else {
        bool mismatch = code == FANGPIN__V1__CODE__OK || code == FANGPIN__V1__CODE__PARTIAL;
        fp_leadfile_batch_refused(&u->lf, first, count, code, en, zh, mismatch);
        /* a bad period, too many leads, a department that may not push: every batch alike */
        if (code == FANGPIN__V1__CODE__BAD_REQUEST || code == FANGPIN__V1__CODE__FORBIDDEN ||
            code == FANGPIN__V1__CODE__UNKNOWN_OPERATION)
            s_stop(u, "push.stopped", "报送因同一错误中止，本行未获答复：更正后重新上传同一文件",
                   "the upload stopped after an error every batch shares: correct it and upload the file again");
    }
    free(u->map);
    u->map = NULL;
    s_next(u);
}

/* Sends the next batch that holds a lead to send; the answer when none is left. */
static void s_next(s_up_t *u)
{
    while (!u->stopped && u->next < u->nchunks) {
        size_t index = u->next++, first = index * FP_LEADFILE_CHUNK;
        size_t count = u->lf.nrows - first < FP_LEADFILE_CHUNK ? u->lf.nrows - first : FP_LEADFILE_CHUNK;
        char batch_id[80];
        fp_leadfile_batch_id(&u->lf, u->period, FP_LEADFILE_CHUNK, index, batch_id);
        uint8_t *req = NULL;
        size_t len = 0;
        u->nsent = fp_leadfile_request(&u->lf, u->period, batch_id, first, count, &u->map, &req, &len);
        if (u->nsent == 0) continue; /* every line refused here */
        desk_call_frame(u->in, &u->who, req, len, s_on_batch, u);
        free(req);
        return;
    }
    s_finish(u);
}

/* --- the file ---------------------------------------------------------------------------------- */

/* Reads the file under u->lf.profile, then sends its batches. */
static void s_load(s_up_t *u)
{
    if (fp_leadfile_load(&u->lf, "文件", &u->raw) != 0) {
        fp_buf_t zh = {0};
        fp_buf_printf(&zh, "文件无法读取，未报送任何数据：%s", u->lf.err.data ? u->lf.err.data : "");
        s_refuse(u, "file.unreadable", u->lf.err.data, zh.data);
        fp_buf_free(&zh);
        return;
    }
    u->nchunks = (u->lf.nrows + FP_LEADFILE_CHUNK - 1) / FP_LEADFILE_CHUNK;
    s_next(u);
}

/* GetPushProfile's answer: the department's own profile, as `fangpinctl push --profile` gets it. */
static void s_on_profile(void *arg, const Fangpin__V1__IntakeReply *rep)
{
    s_up_t *u = arg;
    char err[512] = "";
    if (!rep || !rep->status) {
        s_refuse(u, "internal.error", "the profile's answer is not readable", "无法读取列映射方案的答复");
    } else if (rep->status->code != FANGPIN__V1__CODE__OK ||
               rep->result_case != FANGPIN__V1__INTAKE_REPLY__RESULT_PUSH_PROFILE) {
        s_refuse(u, rep->status->reason[0] ? rep->status->reason : "internal.error", rep->status->message,
                 rep->status->message_zh);
    } else if (fp_profile_parse(rep->push_profile->body, strlen(rep->push_profile->body), &u->lf.profile, err,
                                sizeof err) != FP_OK) {
        s_refuse(u, "profile.unknown", err, "该列映射方案无法使用");
    } else {
        snprintf(u->lf.profile_name, sizeof u->lf.profile_name, "%s@%u", rep->push_profile->name,
                 rep->push_profile->version);
        s_load(u);
    }
}

/* ?profile=NAME[@VERSION]: false when malformed. */
static bool s_profile_arg(const char *arg, char name[72], uint32_t *version)
{
    snprintf(name, 72, "%s", arg);
    char *at = strchr(name, '@');
    *version = 0;
    if (!at) return name[0] != '\0';
    *at = '\0';
    char *end;
    unsigned long v = strtoul(at + 1, &end, 10);
    if (!at[1] || *end || v < 1 || v > 1000000 || !name[0]) return false;
    *version = (uint32_t)v;
    return true;
}

void desk_upload(intake_t *in, fp_http_req_t *req, const fp_principal_t *who, desk_format_t format)
{
    s_up_t *u = fp_new(s_up_t);
    u->in = in;
    u->req = req;
    u->who = *who;
    u->format = format;
    size_t len = 0;
    const void *body = fp_http_req_body(req, &len);
    u->raw = (fp_buf_t){.data = (char *)body, .len = len};
    fp_profile_default(&u->lf.profile);
    char profile[72], name[72];
    uint32_t version = 0;
    if (!desk_period_param(req, "period", u->period) || !u->period[0]) {
        s_refuse(u, "request.field", "period=YYYY-MM is required: the month the leads belong to",
                 "须给出 period=YYYY-MM（线索所属月份）");
    } else if (!fp_http_query_param(fp_http_req_query(req), "profile", profile, sizeof profile) ||
               (profile[0] && !s_profile_arg(profile, name, &version))) {
        s_refuse(u, "request.field", "profile: write NAME or NAME@VERSION (a version number from 1)",
                 "profile 应写作 名称 或 名称@版本号");
    } else if (len == 0) {
        s_refuse(u, "file.unreadable", "the upload is empty: send the file as the request's body",
                 "上传内容为空，请选择文件后上传");
    } else if (!profile[0]) {
        s_load(u);
    } else {
        Fangpin__V1__GetPushProfile gp = FANGPIN__V1__GET_PUSH_PROFILE__INIT;
        gp.name = name;
        gp.version = version;
        Fangpin__V1__IntakeRequest rq = FANGPIN__V1__INTAKE_REQUEST__INIT;
        rq.request_id = (char *)"desk-profile";
        rq.op_case = FANGPIN__V1__INTAKE_REQUEST__OP_GET_PUSH_PROFILE;
        rq.get_push_profile = &gp;
        desk_call(in, who, &rq, s_on_profile, u);
    }
}
