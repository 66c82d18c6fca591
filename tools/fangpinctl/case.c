/* case.c: `fangpinctl case list|show|visit|notice|object|review|approve|identify|return|close`:
 * the verification case over CURVE to screening (FANGPIN_SCREENING_CONNECT, the client key as in
 * ping.c). `case show` prints the case, its notice, history and the rules' explanation in Chinese. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "cert.h"
#include "ctl.h"
#include "fangpin/v1/screening.pb-c.h"
#include "service.h"

static int s_usage(void)
{
    fprintf(stderr,
            "usage: fangpinctl case list [--region PREFIX] [--state S] [--overdue]\n"
            "       fangpinctl case show ID\n"
            "       fangpinctl case visit ID --consent --findings TEXT [--guarantees T] [--labour T]"
            " [--income ITEM=FEN]...\n"
            "       fangpinctl case notice ID [--text T]\n"
            "       fangpinctl case object ID --text T\n"
            "       fangpinctl case review|approve ID [--opinion T]\n"
            "       fangpinctl case identify ID --kind unstable_lifted|marginal|sudden_hardship --risks a,b\n"
            "       fangpinctl case return|close ID --reason T\n"
            "  every command takes --request-id R (default: generated; reuse it to retry safely)\n");
    return 2;
}

/* One request, one reply; NULL (message printed) on failure. */
static Fangpin__V1__ScreeningReply *s_call(Fangpin__V1__ScreeningRequest *req)
{
    return (Fangpin__V1__ScreeningReply *)ctl_call("screening", "FANGPIN_SCREENING_CONNECT", "tcp://127.0.0.1:7102",
                                                   &req->base, &fangpin__v1__screening_reply__descriptor);
}

static const char *s_state_zh(const char *s)
{
    static const char *const map[][2] = {{"opened", "已立案"},
                                         {"visited", "已入户核实"},
                                         {"notice_posted", "公示中"},
                                         {"township_reviewed", "乡镇已审核"},
                                         {"county_approved", "县级已审批"},
                                         {"identified", "已识别纳入"},
                                         {"closed_not_included", "已关闭（未纳入）"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(s, map[i][0])) return map[i][1];
    return s;
}

static void s_print_summary(const Fangpin__V1__CaseSummary *c)
{
    printf("案件 %lld  %s  户 %s  村 %s\n", (long long)c->case_id, s_state_zh(c->state), c->household_no,
           c->village_code);
    printf("  立案 %s  办结期限 %s  本环节期限 %s%s\n", c->opened_on, c->due_on,
           c->step_due_on[0] ? c->step_due_on : "-", c->overdue ? "  【已超期】" : "");
    printf("  线索 %u 条  建议类型 %s  认定类型 %s  风险", c->leads, c->suggested_kind[0] ? c->suggested_kind : "-",
           c->kind[0] ? c->kind : "-");
    for (size_t i = 0; i < c->n_risk_types; i++) printf(" %s", c->risk_types[i]);
    printf("\n");
    if (c->notice_posted_on[0]) printf("  公示日期 %s  异议 %u 件\n", c->notice_posted_on, c->objections);
}

static int s_list(int argc, char **argv, Fangpin__V1__ScreeningRequest *req)
{
    static Fangpin__V1__ListCases lc = FANGPIN__V1__LIST_CASES__INIT;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--region") && i + 1 < argc) lc.region_prefix = argv[++i];
        else if (!strcmp(argv[i], "--state") && i + 1 < argc) lc.state = argv[++i];
        else if (!strcmp(argv[i], "--overdue")) lc.overdue_only = true;
        else if (!strcmp(argv[i], "--request-id") && i + 1 < argc) i++;
        else return s_usage();
    }
    req->op_case = FANGPIN__V1__SCREENING_REQUEST__OP_LIST_CASES;
    req->list_cases = &lc;
    Fangpin__V1__ScreeningReply *rep = s_call(req);
    if (!rep) return 1;
    if (rep->case_list) {
        for (size_t i = 0; i < rep->case_list->n_cases; i++) s_print_summary(rep->case_list->cases[i]);
        printf("共 %zu 件\n", rep->case_list->n_cases);
    }
    fangpin__v1__screening_reply__free_unpacked(rep, NULL);
    return 0;
}

static int s_show(int64_t id, Fangpin__V1__ScreeningRequest *req)
{
    Fangpin__V1__ShowCase sc = FANGPIN__V1__SHOW_CASE__INIT;
    sc.case_id = id;
    req->op_case = FANGPIN__V1__SCREENING_REQUEST__OP_SHOW_CASE;
    req->show_case = &sc;
    Fangpin__V1__ScreeningReply *rep = s_call(req);
    if (!rep) return 1;
    Fangpin__V1__CaseDetail *d = rep->case_detail;
    if (d && d->summary) {
        s_print_summary(d->summary);
        if (d->summary->line_fen)
            printf("  人均纯收入 %.2f 元，监测标准 %.2f 元\n", (double)d->summary->per_capita_net_fen / 100.0,
                   (double)d->summary->line_fen / 100.0);
        printf("\n筛查规则说明：\n");
        if (!d->n_rules) printf("  （无触发规则）\n");
        for (size_t i = 0; i < d->n_rules; i++)
            printf("  %s %s\n      %s\n", d->rules[i]->id, d->rules[i]->zh, d->rules[i]->why_zh);
        if (d->notice_text[0]) printf("\n公示内容：\n  %s\n", d->notice_text);
        printf("\n线索：\n");
        for (size_t i = 0; i < d->n_leads; i++)
            printf("  #%lld %s %s %s %s %s\n", (long long)d->leads[i]->lead_id, d->leads[i]->kind,
                   d->leads[i]->id_number_masked, d->leads[i]->occurred_on, d->leads[i]->department,
                   d->leads[i]->status);
        printf("\n办理记录：\n");
        for (size_t i = 0; i < d->n_history; i++) {
            Fangpin__V1__CaseHistoryEntry *h = d->history[i];
            char when[32] = "";
            time_t t = (time_t)(h->at_ms / 1000) + 8 * 3600; /* China time */
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
            printf("  %s  %s%s%s  %s  %s → %s  %s\n", when, h->actor, h->level[0] ? "/" : "", h->level, h->event,
                   h->from_state[0] ? s_state_zh(h->from_state) : "-", s_state_zh(h->to_state), h->reason);
        }
    }
    fangpin__v1__screening_reply__free_unpacked(rep, NULL);
    return 0;
}

/* A step's options and the request message it becomes (the messages live as long as this). */
typedef struct {
    const char *text, *findings, *guarantees, *labour, *kind, *risks;
    bool consent, has_text;
    Fangpin__V1__IncomeItem items[16], *item_ptrs[16];
    size_t n_items;
    char riskbuf[256], *risk_ptrs[8];
    Fangpin__V1__RecordVisit visit;
    Fangpin__V1__VisitFindings vf;
    Fangpin__V1__PostNotice notice;
    Fangpin__V1__RecordObjection obj;
    Fangpin__V1__TownshipReview review;
    Fangpin__V1__CountyApprove approve;
    Fangpin__V1__Identify ident;
    Fangpin__V1__ReturnCase ret;
    Fangpin__V1__CloseCase close;
} s_step_t;

/* The options after `case STEP ID`: 0, or the usage's exit code. --income ITEM=FEN is cut at
 * its '=' in argv. */
static int s_step_args(int argc, char **argv, s_step_t *s)
{
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--consent")) s->consent = true;
        else if (!v) return s_usage();
        else if (!strcmp(a, "--request-id")) i++;
        else if (!strcmp(a, "--text") || !strcmp(a, "--opinion") || !strcmp(a, "--reason"))
            s->text = v, s->has_text = true, i++;
        else if (!strcmp(a, "--findings")) s->findings = v, i++;
        else if (!strcmp(a, "--guarantees")) s->guarantees = v, i++;
        else if (!strcmp(a, "--labour")) s->labour = v, i++;
        else if (!strcmp(a, "--kind")) s->kind = v, i++;
        else if (!strcmp(a, "--risks")) s->risks = v, i++;
        else if (!strcmp(a, "--income") && s->n_items < 16 && strchr(v, '=')) {
            Fangpin__V1__IncomeItem *it = &s->items[s->n_items];
            fangpin__v1__income_item__init(it);
            it->item = (char *)v; /* cut at '=' below */
            it->amount_fen = strtoll(strchr(v, '=') + 1, NULL, 10);
            *strchr(argv[i + 1], '=') = '\0';
            s->item_ptrs[s->n_items] = it;
            s->n_items++, i++;
        } else return s_usage();
    }
    return 0;
}

/* The request of step cmd on case id: 0, or the usage's exit code (an unknown step, an
 * objection without its text). */
static int s_step_request(const char *cmd, int64_t id, s_step_t *s, Fangpin__V1__ScreeningRequest *req)
{
    if (!strcmp(cmd, "visit")) {
        s->visit.case_id = id, s->visit.consent_given = s->consent, s->visit.findings = &s->vf;
        s->vf.text = (char *)s->findings, s->vf.guarantees = (char *)s->guarantees,
        s->vf.labour_notes = (char *)s->labour;
        s->vf.n_income = s->n_items, s->vf.income = s->item_ptrs;
        req->op_case = FANGPIN__V1__SCREENING_REQUEST__OP_RECORD_VISIT, req->record_visit = &s->visit;
    } else if (!strcmp(cmd, "notice")) {
        s->notice.case_id = id, s->notice.notice_text_override = (char *)s->text;
        req->op_case = FANGPIN__V1__SCREENING_REQUEST__OP_POST_NOTICE, req->post_notice = &s->notice;
    } else if (!strcmp(cmd, "object")) {
        if (!s->has_text) return s_usage();
        s->obj.case_id = id, s->obj.text = (char *)s->text;
        req->op_case = FANGPIN__V1__SCREENING_REQUEST__OP_RECORD_OBJECTION, req->record_objection = &s->obj;
    } else if (!strcmp(cmd, "review")) {
        s->review.case_id = id, s->review.opinion = (char *)s->text;
        req->op_case = FANGPIN__V1__SCREENING_REQUEST__OP_TOWNSHIP_REVIEW, req->township_review = &s->review;
    } else if (!strcmp(cmd, "approve")) {
        s->approve.case_id = id, s->approve.opinion = (char *)s->text;
        req->op_case = FANGPIN__V1__SCREENING_REQUEST__OP_COUNTY_APPROVE, req->county_approve = &s->approve;
    } else if (!strcmp(cmd, "identify")) {
        s->ident.case_id = id, s->ident.kind = (char *)s->kind;
        snprintf(s->riskbuf, sizeof s->riskbuf, "%s", s->risks);
        s->ident.risk_types = s->risk_ptrs;
        for (char *save = NULL, *t = strtok_r(s->riskbuf, ",", &save); t && s->ident.n_risk_types < 8;
             t = strtok_r(NULL, ",", &save))
            s->risk_ptrs[s->ident.n_risk_types++] = t;
        req->op_case = FANGPIN__V1__SCREENING_REQUEST__OP_IDENTIFY, req->identify = &s->ident;
    } else if (!strcmp(cmd, "return")) {
        s->ret.case_id = id, s->ret.reason = (char *)s->text;
        req->op_case = FANGPIN__V1__SCREENING_REQUEST__OP_RETURN_CASE, req->return_case = &s->ret;
    } else if (!strcmp(cmd, "close")) {
        s->close.case_id = id, s->close.reason = (char *)s->text;
        req->op_case = FANGPIN__V1__SCREENING_REQUEST__OP_CLOSE_CASE, req->close_case = &s->close;
    } else {
        return s_usage();
    }
    return 0;
}

int ctl_cmd_case(int argc, char **argv)
{
    if (argc < 2) return s_usage();
    const char *cmd = argv[1];
    char rid[64];
    snprintf(rid, sizeof rid, "ctl-%s-%ld-%ld", cmd, (long)time(NULL), (long)clock());
    Fangpin__V1__ScreeningRequest req = FANGPIN__V1__SCREENING_REQUEST__INIT;
    req.request_id = rid;
    for (int i = 2; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--request-id")) req.request_id = argv[i + 1];
    if (!strcmp(cmd, "list")) return s_list(argc, argv, &req);
    if (argc < 3) return s_usage();
    char *end;
    int64_t id = strtoll(argv[2], &end, 10);
    if (*end || id <= 0) return s_usage();
    if (!strcmp(cmd, "show")) return s_show(id, &req);

    s_step_t s = {.text = "",
                  .findings = "",
                  .guarantees = "",
                  .labour = "",
                  .kind = "",
                  .risks = "",
                  .visit = FANGPIN__V1__RECORD_VISIT__INIT,
                  .vf = FANGPIN__V1__VISIT_FINDINGS__INIT,
                  .notice = FANGPIN__V1__POST_NOTICE__INIT,
                  .obj = FANGPIN__V1__RECORD_OBJECTION__INIT,
                  .review = FANGPIN__V1__TOWNSHIP_REVIEW__INIT,
                  .approve = FANGPIN__V1__COUNTY_APPROVE__INIT,
                  .ident = FANGPIN__V1__IDENTIFY__INIT,
                  .ret = FANGPIN__V1__RETURN_CASE__INIT,
                  .close = FANGPIN__V1__CLOSE_CASE__INIT};
    int bad = s_step_args(argc, argv, &s);
    if (!bad) bad = s_step_request(cmd, id, &s, &req);
    if (bad) return bad;
    Fangpin__V1__ScreeningReply *rep = s_call(&req);
    if (!rep) return 1;
    if (rep->case_summary) s_print_summary(rep->case_summary);
    printf("%s (request id %s)\n", rep->status->message_zh ? rep->status->message_zh : rep->status->message,
           req.request_id);
    fangpin__v1__screening_reply__free_unpacked(rep, NULL);
    return 0;
}
