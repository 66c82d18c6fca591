/* profiles.c: GetPushProfile, a department's column profile (table push_profiles, migration
 * 025; docs/push.md "Column profiles") for fangpinctl push --profile, which reaches intake with
 * the department's key but never the database. A department reads only its own department's
 * live profiles: another department's name, a retired one or an unknown version is
 * profile.unknown, so a name says nothing about other departments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake.h"
#include "mem.h"

typedef struct {
    fp_request_t *req;
    Fangpin__V1__IntakeRequest *msg;
} s_get_t;

static void s_free(s_get_t *g)
{
    fangpin__v1__intake_request__free_unpacked(g->msg, NULL);
    free(g);
}

static void s_on_profile(fp_db_t *db, PGresult *res, void *arg)
{
    s_get_t *g = arg;
    if (fp_request_db_failed(g->req, g->msg->request_id, res, "reading a push profile failed")) {
        s_free(g);
        return;
    }
    if (PQntuples(res) != 1) {
        char en[240], zh[240];
        const Fangpin__V1__GetPushProfile *gp = g->msg->get_push_profile;
        const fp_principal_t *p = fp_request_principal(g->req);
        char ver[16] = "";
        if (gp->version) snprintf(ver, sizeof ver, "@%u", gp->version);
        snprintf(en, sizeof en, "department %s has no live column profile %.64s%s: see fangpinctl profile list",
                 p->department, gp->name, ver);
        snprintf(zh, sizeof zh, "部门 %s 没有在用的列映射方案 %.64s%s，请用 fangpinctl profile list 查看",
                 p->department, gp->name, ver);
        fp_request_refuse(g->req, g->msg->request_id, "profile.unknown", en, zh);
        s_free(g);
        return;
    }
    Fangpin__V1__PushProfile pp = FANGPIN__V1__PUSH_PROFILE__INIT;
    pp.name = PQgetvalue(res, 0, 0);
    pp.version = (uint32_t)strtoul(PQgetvalue(res, 0, 1), NULL, 10);
    pp.department = PQgetvalue(res, 0, 2);
    pp.body = PQgetvalue(res, 0, 3);
    pp.added_by = PQgetvalue(res, 0, 4);
    pp.added_at_ms = strtoll(PQgetvalue(res, 0, 5), NULL, 10);
    Fangpin__V1__IntakeReply out = FANGPIN__V1__INTAKE_REPLY__INIT;
    out.result_case = FANGPIN__V1__INTAKE_REPLY__RESULT_PUSH_PROFILE;
    out.push_profile = &pp;
    fp_request_reply_ok(g->req, &out.base, g->msg->request_id, "");
    s_free(g);
}

void intake_get_push_profile(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    intake_t *in = arg;
    Fangpin__V1__IntakeRequest *msg = (Fangpin__V1__IntakeRequest *)m;
    const fp_principal_t *p = fp_request_principal(req);
    const char *name = msg->get_push_profile->name;
    size_t n = strlen(name);
    if (n == 0 || n > 63 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != n) {
        fp_request_refuse(req, msg->request_id, "request.field",
                          "name: a profile's name is 1 to 63 of a-z, 0-9, '_', '.' and '-'",
                          "name：方案名称为 1 至 63 个小写字母、数字、'_'、'.' 或 '-'");
        fangpin__v1__intake_request__free_unpacked(msg, NULL);
        return;
    }
    s_get_t *g = fp_new(s_get_t);
    g->req = req;
    g->msg = msg;
    char county[7], version[16];
    intake_county_of(p, county);
    snprintf(version, sizeof version, "%u", msg->get_push_profile->version);
    const char *params[4] = {county, p->department, name, version};
    fp_db_query(fp_service_db(in->svc), 0,
                "SELECT name, version, department_code, body, added_by,"
                " (extract(epoch FROM added_at) * 1000)::bigint FROM push_profiles"
                " WHERE county_code = $1 AND department_code = $2 AND name = $3 AND retired_at IS NULL"
                " AND ($4::int = 0 OR version = $4::int) ORDER BY version DESC LIMIT 1",
                4, params, s_on_profile, g);
}
