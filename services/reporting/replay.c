/* replay.c: Replay, the snapshot half of the Clone pattern. A subscriber that was away, or saw
 * a gap in the positions, asks for the published events after its last position, a page at a
 * time, in position order, restricted to a region prefix (inside its key's own region). */
#include "replay.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpaccess.h"
#include "log.h"
#include "mem.h"
#include "relay.h"

#define S_MAX_PAGE 1000
#define S_MAX_TYPES 32

typedef struct {
    fp_request_t *req;
    Fangpin__V1__ReportingRequest *in;
    int64_t after;
    uint32_t limit;
} s_replay_t;

bool report_prefix_valid(const char *prefix)
{
    size_t n = strlen(prefix);
    if (n > 12) return false;
    for (size_t i = 0; i < n; i++)
        if (prefix[i] < '0' || prefix[i] > '9') return false;
    return true;
}

static bool s_type_valid(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > 64) return false;
    for (size_t i = 0; i < n; i++)
        if (!((t[i] >= 'a' && t[i] <= 'z') || t[i] == '.' || t[i] == '_')) return false;
    return true;
}

static void s_on_page(fp_db_t *db, PGresult *res, void *arg)
{
    s_replay_t *q = arg;
    Fangpin__V1__ReportingRequest *in = q->in;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        if (res) fp_log_error("replay query failed", "error", fp_db_errmsg(res), "request_id", in->request_id);
        fp_request_refuse(q->req, in->request_id, res ? "db.failed" : "db.unavailable",
                          res ? "reading events failed" : "the database is not reachable: retry",
                          res ? "读取事件失败" : "数据库暂不可用，请重试");
        goto out;
    }
    int rows = PQntuples(res);
    int64_t head = rows > 0 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    size_t n = 0;
    Fangpin__V1__Event *evs = fp_calloc((size_t)rows + 1, sizeof *evs);
    Fangpin__V1__Event **ptrs = fp_calloc((size_t)rows + 1, sizeof *ptrs);
    for (int i = 0; i < rows; i++) {
        if (PQgetisnull(res, i, 1)) continue; /* the head-only row of an empty page */
        report_event_from_row(res, i, 1, &evs[n]);
        ptrs[n] = &evs[n];
        n++;
    }
    Fangpin__V1__ReportingReply out = FANGPIN__V1__REPORTING_REPLY__INIT;
    Fangpin__V1__Status st = FANGPIN__V1__STATUS__INIT;
    Fangpin__V1__EventPage page = FANGPIN__V1__EVENT_PAGE__INIT;
    out.request_id = in->request_id;
    out.status = &st;
    st.code = FANGPIN__V1__CODE__OK;
    st.message = (char *)"ok";
    page.events = ptrs;
    page.n_events = n;
    page.head_position = head;
    /* A full page: go on after its last event. Otherwise every match up to head is here. */
    page.next_after = n == q->limit ? evs[n - 1].position : (head > q->after ? head : q->after);
    out.result_case = FANGPIN__V1__REPORTING_REPLY__RESULT_EVENTS;
    out.events = &page;
    fp_request_reply(q->req, &out.base, st.code);
    free(evs);
    free(ptrs);
out:
    fangpin__v1__reporting_request__free_unpacked(in, NULL);
    free(q);
}

void report_replay(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg)
{
    Fangpin__V1__ReportingRequest *in = (Fangpin__V1__ReportingRequest *)m;
    const Fangpin__V1__Replay *rp = in->replay;
    const char *prefix = rp->region_prefix ? rp->region_prefix : "";
    const char *bad = NULL, *bad_zh = NULL;
    if (!report_prefix_valid(prefix)) {
        bad = "region_prefix must be 0 to 12 digits (a region code or its beginning)";
        bad_zh = "region_prefix 须为 0 至 12 位数字（区划代码或其前缀）";
    } else if (rp->after_position < 0) {
        bad = "after_position must be 0 or more";
        bad_zh = "after_position 不能为负数";
    } else if (rp->n_types > S_MAX_TYPES) {
        bad = "too many types (at most 32)";
        bad_zh = "事件类型过多（最多 32 个）";
    }
    for (size_t i = 0; !bad && i < rp->n_types; i++)
        if (!s_type_valid(rp->types[i])) {
            bad = "a type is not an event type (lower-case words joined by dots, like lead.accepted)";
            bad_zh = "事件类型格式错误（应为以点连接的小写单词，如 lead.accepted）";
        }
    if (bad) {
        fp_request_refuse(req, in->request_id, "request.field", bad, bad_zh);
        fangpin__v1__reporting_request__free_unpacked(in, NULL);
        return;
    }
    const fp_principal_t *who = fp_request_principal(req);
    report_read_t d = report_read_policy(who, REPORT_READ_EVENTS, NULL, prefix);
    if (d != REPORT_READ_OK) {
        char en[300], zh[300];
        report_read_message(d, who, REPORT_READ_EVENTS, en, sizeof en, zh, sizeof zh);
        fp_request_refuse(req, in->request_id, report_read_reason(d), en, zh);
        fangpin__v1__reporting_request__free_unpacked(in, NULL);
        return;
    }
    s_replay_t *q = fp_new(s_replay_t);
    q->req = req;
    q->in = in;
    q->after = rp->after_position;
    q->limit = rp->limit == 0 || rp->limit > S_MAX_PAGE ? S_MAX_PAGE : rp->limit;
    fp_buf_t types = {0};
    if (rp->n_types > 0) {
        fp_buf_puts(&types, "{");
        for (size_t i = 0; i < rp->n_types; i++) fp_buf_printf(&types, "%s%s", i ? "," : "", rp->types[i]);
        fp_buf_puts(&types, "}");
    }
    char after[24], lim[16];
    snprintf(after, sizeof after, "%" PRId64, q->after);
    snprintf(lim, sizeof lim, "%u", q->limit);
    const char *p[4] = {after, prefix, lim, rp->n_types ? types.data : NULL};
    /* One statement, one snapshot: head and page agree. Digits sort before ':' in "C", so
     * [prefix, prefix || ':') is every code starting with prefix (index range on region_code). */
    fp_db_query(fp_service_db(svc), 0,
                "SELECT h.head, e.position, e.county_code, e.region_code, e.type, e.payload, e.ms"
                " FROM (SELECT coalesce(max(position), 0) AS head FROM event_positions) h"
                " LEFT JOIN LATERAL (SELECT p.position, e.county_code, e.region_code, e.type, e.payload::text AS payload,"
                "        (extract(epoch FROM e.created_at) * 1000)::bigint AS ms"
                "   FROM event_positions p JOIN events e ON e.id = p.event_id"
                "   WHERE p.position > $1::bigint AND p.region_code >= $2::text AND p.region_code < ($2::text || ':')"
                "     AND ($4::text[] IS NULL OR e.type = ANY ($4::text[]))"
                "   ORDER BY p.position LIMIT $3::int) e ON true"
                " ORDER BY e.position",
                4, p, s_on_page, q);
    fp_buf_free(&types);
}
