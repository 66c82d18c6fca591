/* desk.c: the department desk's routes and what its handlers share (desk.h, docs/desk.md). */
#include "desk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "httpauth.h"
#include "log.h"
#include "mem.h"
#include "refusal.h"
#include "web.h"

extern const fp_web_file_t fp_web_desk[]; /* web/desk and web/common (cmake/web.cmake) */

void desk_json(fp_http_req_t *req, int status, fp_buf_t *b)
{
    fp_web_json(req, status, b->data ? b->data : "{}", b->data ? b->len : 2);
    fp_buf_free(b);
}

void desk_refuse(fp_http_req_t *req, const char *reason, const char *en, const char *zh)
{
    const fp_refusal_t *r = fp_refusal_find(reason);
    fp_buf_t b = {0};
    fp_buf_puts(&b, "{\"reason\":");
    fp_buf_json_str(&b, reason);
    fp_buf_puts(&b, ",\"message\":");
    fp_buf_json_str(&b, en ? en : r && r->en ? r->en : "");
    fp_buf_puts(&b, ",\"message_zh\":");
    fp_buf_json_str(&b, zh ? zh : r && r->zh ? r->zh : "");
    fp_buf_puts(&b, "}");
    fp_http_req_add_header(req, "X-Fangpin-Reason", reason);
    desk_json(req, fp_code_http(r ? r->status : FANGPIN__V1__CODE__INTERNAL), &b);
}

bool desk_period_param(fp_http_req_t *req, const char *name, char out[8])
{
    char v[16];
    out[0] = '\0';
    if (!fp_http_query_param(fp_http_req_query(req), name, v, sizeof v)) return false;
    if (!v[0]) return true;
    fp_period_t p;
    if (fp_period_parse(v, &p) != FP_OK) return false;
    fp_period_format(p, out);
    return true;
}

void desk_last_month(const intake_t *in, char out[8])
{
    fp_period_format(fp_period_prev(fp_period_of(intake_today(in))), out);
}

/* --- an operation run for the desk ----------------------------------------------------------- */

typedef struct {
    desk_reply_fn cb;
    void *arg;
} s_call_t;

static void s_on_local(void *arg, const uint8_t *reply, size_t len, Fangpin__V1__Code code)
{
    s_call_t *c = arg;
    Fangpin__V1__IntakeReply *rep = fangpin__v1__intake_reply__unpack(NULL, len, reply);
    c->cb(c->arg, rep);
    if (rep) fangpin__v1__intake_reply__free_unpacked(rep, NULL);
    free(c);
}

void desk_call_frame(intake_t *in, const fp_principal_t *who, const uint8_t *frame, size_t len, desk_reply_fn cb,
                     void *arg)
{
    s_call_t *c = fp_new(s_call_t);
    c->cb = cb;
    c->arg = arg;
    fp_service_local(in->svc, who, frame, len, s_on_local, c);
}

void desk_call(intake_t *in, const fp_principal_t *who, const Fangpin__V1__IntakeRequest *rq, desk_reply_fn cb,
               void *arg)
{
    size_t len = fangpin__v1__intake_request__get_packed_size(rq);
    uint8_t *buf = fp_malloc(len ? len : 1);
    fangpin__v1__intake_request__pack(rq, buf);
    desk_call_frame(in, who, buf, len, cb, arg);
    free(buf);
}

/* --- routes ------------------------------------------------------------------------------------ */

static bool s_method(fp_http_req_t *req, const char *want)
{
    if (!strcmp(fp_http_req_method(req), want) || (!strcmp(want, "GET") && !strcmp(fp_http_req_method(req), "HEAD")))
        return true;
    fp_http_req_add_header(req, "Allow", want);
    desk_refuse(req, "request.field", "this path takes another method (see the Allow header)",
                "请求方法不对（见 Allow 头）");
    return false;
}

/* The token is good: who may use the desk, and which handler answers. */
static void s_on_auth(fp_http_req_t *req, const fp_principal_t *who, const fp_http_token_t *tok, bool answered,
                      void *arg)
{
    intake_t *in = arg;
    if (answered) return;
    const char *api = fp_http_req_path(req) + strlen("/desk/api/");
    if (strcmp(who->kind, "department") != 0 || !who->department[0]) {
        desk_refuse(req, "caller.kind",
                    "the desk is a department's: this token's principal is not a department (ask the county for your"
                    " department's token)",
                    "报送台仅供行业部门使用：此令牌不属于行业部门（请向县里申领本部门的令牌）");
    } else if (!strcmp(api, "whoami")) {
        if (s_method(req, "GET")) fp_httpauth_whoami(req, who, tok);
    } else if (!strcmp(api, "upload")) {
        if (s_method(req, "POST")) desk_upload(in, req, who, DESK_JSON);
    } else if (!strcmp(api, "results")) {
        char f[8];
        if (!fp_http_query_param(fp_http_req_query(req), "format", f, sizeof f) ||
            (strcmp(f, "csv") && strcmp(f, "xlsx")))
            desk_refuse(req, "request.field", "format must be csv or xlsx", "format 须为 csv 或 xlsx");
        else if (s_method(req, "POST")) desk_upload(in, req, who, !strcmp(f, "csv") ? DESK_CSV : DESK_XLSX);
    } else if (!strcmp(api, "leads")) {
        if (s_method(req, "GET")) desk_leads(in, req, who);
    } else if (!strcmp(api, "deadline")) {
        if (s_method(req, "GET")) desk_deadline(in, req, who);
    } else {
        desk_refuse(req, "request.unknown_operation", "no such path under /desk/api/", "报送台没有此接口");
    }
}

bool intake_desk_http(fp_service_t *svc, fp_http_req_t *req, void *arg)
{
    const char *path = fp_http_req_path(req);
    if (strncmp(path, "/desk", 5) != 0 || (path[5] != '\0' && path[5] != '/')) return false;
    if (fp_web_serve(req, "/desk/", fp_web_desk)) return true;
    if (strncmp(path, "/desk/api/", 10) != 0) return false;
    fp_httpauth(svc, req, s_on_auth, arg);
    return true;
}
