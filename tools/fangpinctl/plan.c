/* plan.c: `fangpinctl plan|measure|check|eliminate`: assistance plans (一户一策) over CURVE to the
 * assistance service (FANGPIN_ASSISTANCE_CONNECT, the client key as in ping.c and case.c).
 * `plan show` prints the plan, what the plan checks found, its measures, checks, income follow-up,
 * the elimination criteria and notice, and its history in Chinese. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "cert.h"
#include "ctl.h"
#include "fangpin/v1/assistance.pb-c.h"
#include "service.h"

static int s_usage(void)
{
    fprintf(stderr,
            "usage: fangpinctl plan list [--region PREFIX] [--state S] [--finding P01|any] [--kind "
            "monitoring|consolidation]\n"
            "       fangpinctl plan show PLAN\n"
            "       fangpinctl plan open --county C --household NO --year YYYY   (a lifted household's consolidation "
            "plan)\n"
            "       fangpinctl plan income PLAN --month YYYY-MM --fen N         (per capita net income, 12 months)\n"
            "       fangpinctl measure add PLAN --category C --title T --unit U --start YYYY-MM-DD [--end D] "
            "[--amount-fen N]\n"
            "       fangpinctl measure status MEASURE in_progress|delivered|stopped [--reason T]\n"
            "       fangpinctl check add MEASURE --result on_track|problem --finding T [--quarter YYYYQn]\n"
            "       fangpinctl check unchecked [--region PREFIX] [--quarter YYYYQn]\n"
            "       fangpinctl check summary [--quarter YYYYQn] [--note T]\n"
            "       fangpinctl check list|fix|explain|review ...   (data-quality findings: fangpinctl check list -h)\n"
            "       fangpinctl eliminate PLAN nominate --rigid-resolved --guarantees-hold --water-holds\n"
            "       fangpinctl eliminate PLAN post_notice [--notice-text T]\n"
            "       fangpinctl eliminate PLAN objection|approve|confirm|return|refuse|undo [--text T]\n"
            "       fangpinctl eliminate PLAN announce --way by_assistance|natural\n"
            "  every command takes --request-id R (default: generated; reuse it to retry safely)\n"
            "  categories: industry finance employment housing water health education social_help relocation\n"
            "              backstop helper risk_fund\n");
    return 2;
}

/* One request, one reply; NULL (message printed) on failure or refusal. */
static Fangpin__V1__AssistanceReply *s_call(Fangpin__V1__AssistanceRequest *req)
{
    return (Fangpin__V1__AssistanceReply *)ctl_call("assistance", "FANGPIN_ASSISTANCE_CONNECT", "tcp://127.0.0.1:7103",
                                                    &req->base, &fangpin__v1__assistance_reply__descriptor);
}

static const char *s_zh(const char *s)
{
    static const char *const map[][2] = {{"monitored", "监测帮扶中"},
                                         {"nominated", "已提名"},
                                         {"notice_posted", "公示中"},
                                         {"township_approved", "乡镇已核准"},
                                         {"county_confirmed", "县级已确认"},
                                         {"eliminated", "已标注风险消除"},
                                         {"planned", "计划"},
                                         {"in_progress", "实施中"},
                                         {"delivered", "已落实"},
                                         {"stopped", "已终止"},
                                         {"on_track", "正常"},
                                         {"problem", "有问题"},
                                         {"by_assistance", "帮扶消除"},
                                         {"natural", "自然消除"},
                                         {"monitoring", "监测帮扶计划"},
                                         {"consolidation", "年度巩固提升计划"},
                                         {"industry", "产业"},
                                         {"finance", "金融"},
                                         {"employment", "就业"},
                                         {"housing", "住房"},
                                         {"water", "饮水"},
                                         {"health", "健康"},
                                         {"education", "教育"},
                                         {"social_help", "社会帮扶"},
                                         {"relocation", "搬迁"},
                                         {"backstop", "综合保障兜底"},
                                         {"helper", "专人帮扶"},
                                         {"risk_fund", "防贫基金"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(s, map[i][0])) return map[i][1];
    return s;
}

static void s_print_summary(const Fangpin__V1__PlanSummary *p)
{
    printf("计划 %lld  %s  户 %s  村 %s  %s%s\n", (long long)p->plan_id, s_zh(p->kind), p->household_no,
           p->village_code, s_zh(p->elim_state), p->backstop ? "  【兜底保障户】" : "");
    if (!strcmp(p->kind, "monitoring")) {
        printf("  识别 %s  建立 %s  类型 %s  风险", p->identified_on, p->opened_on, p->monitored_kind);
        for (size_t i = 0; i < p->n_risk_types; i++) printf(" %s", p->risk_types[i]);
        printf("\n");
    } else {
        printf("  %d 年度  建立 %s\n", (int)p->year, p->opened_on);
    }
    printf("  措施 %u 项（已落实 %u）", p->measures, p->measures_delivered);
    if (p->notice_posted_on[0]) printf("  公示 %s 异议 %u 件", p->notice_posted_on, p->objections);
    if (p->eliminated_on[0]) printf("  消除 %s（%s）", p->eliminated_on, s_zh(p->elim_way));
    printf("\n");
    for (size_t i = 0; i < p->n_findings; i++)
        printf("  【%s %s】%s\n      %s\n", p->findings[i]->id, p->findings[i]->zh, p->findings[i]->why_zh,
               p->findings[i]->seen);
}

static void s_print_measure(const Fangpin__V1__Measure *m)
{
    printf("  措施 %lld  %s  %s（%s）", (long long)m->measure_id, s_zh(m->category), m->title, m->responsible_unit);
    if (m->amount_fen) printf("  %.2f元", (double)m->amount_fen / 100.0);
    printf("  %s~%s  %s%s%s\n", m->start_on, m->end_on[0] ? m->end_on : "", s_zh(m->status),
           m->checked_quarter[0] ? "  已核查 " : "", m->checked_quarter);
}

static const char *s_opt(int argc, char **argv, int from, const char *name)
{
    for (int i = from; i + 1 < argc; i++)
        if (!strcmp(argv[i], name)) return argv[i + 1];
    return NULL;
}

static bool s_flag(int argc, char **argv, int from, const char *name)
{
    for (int i = from; i < argc; i++)
        if (!strcmp(argv[i], name)) return true;
    return false;
}

/* Options known to the command (value-taking ones in vals, flags in flags): false on others. */
static bool s_opts_ok(int argc, char **argv, int from, const char *const *vals, const char *const *flags)
{
    for (int i = from; i < argc; i++) {
        bool ok = false;
        for (const char *const *v = vals; *v && !ok; v++)
            if (!strcmp(argv[i], *v) && i + 1 < argc) ok = true, i++;
        for (const char *const *f = flags; *f && !ok; f++)
            if (!strcmp(argv[i], *f)) ok = true;
        if (!ok) return false;
    }
    return true;
}

static int64_t s_id(const char *s)
{
    char *end;
    int64_t id = s ? strtoll(s, &end, 10) : 0;
    return s && !*end && id > 0 ? id : 0;
}

static int s_done(Fangpin__V1__AssistanceRequest *req, Fangpin__V1__AssistanceReply *rep)
{
    if (!rep) return 1;
    /* the result is a oneof: its members share storage */
    int rc = rep->result_case;
    if (rc == FANGPIN__V1__ASSISTANCE_REPLY__RESULT_PLAN_SUMMARY) s_print_summary(rep->plan_summary);
    if (rc == FANGPIN__V1__ASSISTANCE_REPLY__RESULT_MEASURE) s_print_measure(rep->measure);
    if (rc == FANGPIN__V1__ASSISTANCE_REPLY__RESULT_MEASURE_CHECK)
        printf("  核查 %s 措施 %lld  %s  %s\n", rep->measure_check->quarter, (long long)rep->measure_check->measure_id,
               s_zh(rep->measure_check->result), rep->measure_check->finding);
    if (rc == FANGPIN__V1__ASSISTANCE_REPLY__RESULT_QUARTER_SUMMARY) {
        Fangpin__V1__QuarterSummary *q = rep->quarter_summary;
        printf("县 %s %s 季度汇总  报送 %s  期限 %s%s\n ", q->county_code, q->quarter, q->submitted_on, q->due_on,
               q->late ? "  【逾期】" : "");
        for (size_t i = 0; i < q->n_counts; i++) printf(" %s=%u", q->counts[i]->key, q->counts[i]->value);
        printf("\n");
    }
    printf("%s (request id %s)\n", rep->status->message_zh ? rep->status->message_zh : rep->status->message,
           req->request_id);
    fangpin__v1__assistance_reply__free_unpacked(rep, NULL);
    return 0;
}

static void s_rid(Fangpin__V1__AssistanceRequest *req, char *buf, size_t n, const char *cmd, int argc, char **argv)
{
    snprintf(buf, n, "ctl-%s-%ld-%ld", cmd, (long)time(NULL), (long)clock());
    req->request_id = buf;
    const char *r = s_opt(argc, argv, 1, "--request-id");
    if (r) req->request_id = (char *)r;
}

static int s_plan_show(Fangpin__V1__AssistanceRequest *req, int64_t id)
{
    Fangpin__V1__ShowPlan sp = FANGPIN__V1__SHOW_PLAN__INIT;
    sp.plan_id = id;
    req->op_case = FANGPIN__V1__ASSISTANCE_REQUEST__OP_SHOW_PLAN;
    req->show_plan = &sp;
    Fangpin__V1__AssistanceReply *rep = s_call(req);
    if (!rep) return 1;
    Fangpin__V1__PlanDetail *d =
        rep->result_case == FANGPIN__V1__ASSISTANCE_REPLY__RESULT_PLAN_DETAIL ? rep->plan_detail : NULL;
    if (d && d->summary) {
        s_print_summary(d->summary);
        printf("\n计划核查：%s\n", d->summary->n_findings ? "" : "（未发现问题）");
        printf("\n帮扶措施：\n");
        for (size_t i = 0; i < d->n_measures; i++) s_print_measure(d->measures[i]);
        printf("\n季度核查：\n");
        for (size_t i = 0; i < d->n_checks; i++)
            printf("  %s 措施 %lld  %s  %s  %s/%s\n", d->checks[i]->quarter, (long long)d->checks[i]->measure_id,
                   s_zh(d->checks[i]->result), d->checks[i]->finding, d->checks[i]->actor, d->checks[i]->level);
        if (d->n_income) {
            printf("\n收入监测（人均纯收入，元）：\n ");
            for (size_t i = 0; i < d->n_income; i++)
                printf(" %s:%.2f", d->income[i]->month, (double)d->income[i]->per_capita_net_fen / 100.0);
            printf("\n");
        }
        if (d->n_criteria) {
            printf("\n风险消除条件（最近一次提名）：\n");
            for (size_t i = 0; i < d->n_criteria; i++)
                printf("  %s %s %s  %s\n", d->criteria[i]->id, d->criteria[i]->met ? "✓" : "✗", d->criteria[i]->zh,
                       d->criteria[i]->seen);
        }
        if (d->notice_text[0]) printf("\n公示内容：\n  %s\n", d->notice_text);
        printf("\n办理记录：\n");
        for (size_t i = 0; i < d->n_history; i++) {
            Fangpin__V1__PlanHistoryEntry *h = d->history[i];
            printf("  %s  %s%s%s  %s  %s%s%s  %s\n", h->on_day, h->actor, h->level[0] ? "/" : "", h->level, h->event,
                   h->from_state[0] ? s_zh(h->from_state) : "", h->from_state[0] ? " → " : "",
                   h->to_state[0] ? s_zh(h->to_state) : "", h->reason);
        }
    }
    fangpin__v1__assistance_reply__free_unpacked(rep, NULL);
    return 0;
}

int ctl_cmd_plan(int argc, char **argv)
{
    if (argc < 2) return s_usage();
    const char *cmd = argv[1];
    char rid[64];
    Fangpin__V1__AssistanceRequest req = FANGPIN__V1__ASSISTANCE_REQUEST__INIT;
    s_rid(&req, rid, sizeof rid, cmd, argc, argv);
    if (!strcmp(cmd, "list")) {
        static const char *const vals[] = {"--region", "--state", "--finding", "--kind", "--request-id", NULL};
        static const char *const flags[] = {NULL};
        if (!s_opts_ok(argc, argv, 2, vals, flags)) return s_usage();
        Fangpin__V1__ListPlans lp = FANGPIN__V1__LIST_PLANS__INIT;
        const char *v;
        if ((v = s_opt(argc, argv, 2, "--region"))) lp.region_prefix = (char *)v;
        if ((v = s_opt(argc, argv, 2, "--state"))) lp.elim_state = (char *)v;
        if ((v = s_opt(argc, argv, 2, "--finding"))) lp.finding = (char *)v;
        if ((v = s_opt(argc, argv, 2, "--kind"))) lp.kind = (char *)v;
        req.op_case = FANGPIN__V1__ASSISTANCE_REQUEST__OP_LIST_PLANS;
        req.list_plans = &lp;
        Fangpin__V1__AssistanceReply *rep = s_call(&req);
        if (!rep) return 1;
        Fangpin__V1__PlanList *l =
            rep->result_case == FANGPIN__V1__ASSISTANCE_REPLY__RESULT_PLAN_LIST ? rep->plan_list : NULL;
        if (l) {
            for (size_t i = 0; i < l->n_plans; i++) s_print_summary(l->plans[i]);
            printf("共 %zu 个计划", l->n_plans);
            if (l->n_finding_counts) printf("；核查发现（全辖区）：");
            for (size_t i = 0; i < l->n_finding_counts; i++)
                printf(" %s=%u", l->finding_counts[i]->key, l->finding_counts[i]->value);
            printf("\n");
        }
        fangpin__v1__assistance_reply__free_unpacked(rep, NULL);
        return 0;
    }
    if (!strcmp(cmd, "open")) {
        static const char *const vals[] = {"--county", "--household", "--year", "--request-id", NULL};
        static const char *const flags[] = {NULL};
        const char *c = s_opt(argc, argv, 2, "--county"), *h = s_opt(argc, argv, 2, "--household"),
                   *y = s_opt(argc, argv, 2, "--year");
        if (!s_opts_ok(argc, argv, 2, vals, flags) || !c || !h || !y) return s_usage();
        Fangpin__V1__OpenConsolidationPlan o = FANGPIN__V1__OPEN_CONSOLIDATION_PLAN__INIT;
        o.county_code = (char *)c, o.household_no = (char *)h, o.year = atoi(y);
        req.op_case = FANGPIN__V1__ASSISTANCE_REQUEST__OP_OPEN_CONSOLIDATION_PLAN;
        req.open_consolidation_plan = &o;
        return s_done(&req, s_call(&req));
    }
    int64_t id = argc > 2 ? s_id(argv[2]) : 0;
    if (!id) return s_usage();
    if (!strcmp(cmd, "show"))
        return argc == 3 || s_opt(argc, argv, 3, "--request-id") ? s_plan_show(&req, id) : s_usage();
    if (!strcmp(cmd, "income")) {
        static const char *const vals[] = {"--month", "--fen", "--request-id", NULL};
        static const char *const flags[] = {NULL};
        const char *m = s_opt(argc, argv, 3, "--month"), *f = s_opt(argc, argv, 3, "--fen");
        if (!s_opts_ok(argc, argv, 3, vals, flags) || !m || !f) return s_usage();
        Fangpin__V1__RecordIncome ri = FANGPIN__V1__RECORD_INCOME__INIT;
        ri.plan_id = id, ri.month = (char *)m, ri.per_capita_net_fen = strtoll(f, NULL, 10);
        req.op_case = FANGPIN__V1__ASSISTANCE_REQUEST__OP_RECORD_INCOME;
        req.record_income = &ri;
        return s_done(&req, s_call(&req));
    }
    return s_usage();
}

int ctl_cmd_measure(int argc, char **argv)
{
    if (argc < 3) return s_usage();
    const char *cmd = argv[1];
    char rid[64];
    Fangpin__V1__AssistanceRequest req = FANGPIN__V1__ASSISTANCE_REQUEST__INIT;
    s_rid(&req, rid, sizeof rid, cmd, argc, argv);
    int64_t id = s_id(argv[2]);
    if (!id) return s_usage();
    if (!strcmp(cmd, "add")) {
        static const char *const vals[] = {"--category", "--title",      "--unit",       "--start",
                                           "--end",      "--amount-fen", "--request-id", NULL};
        static const char *const flags[] = {NULL};
        const char *c = s_opt(argc, argv, 3, "--category"), *t = s_opt(argc, argv, 3, "--title"),
                   *u = s_opt(argc, argv, 3, "--unit"), *s = s_opt(argc, argv, 3, "--start"),
                   *e = s_opt(argc, argv, 3, "--end"), *a = s_opt(argc, argv, 3, "--amount-fen");
        if (!s_opts_ok(argc, argv, 3, vals, flags) || !c || !t || !u || !s) return s_usage();
        Fangpin__V1__AddMeasure am = FANGPIN__V1__ADD_MEASURE__INIT;
        am.plan_id = id, am.category = (char *)c, am.title = (char *)t, am.responsible_unit = (char *)u;
        am.start_on = (char *)s, am.end_on = (char *)(e ? e : ""), am.amount_fen = a ? strtoll(a, NULL, 10) : 0;
        req.op_case = FANGPIN__V1__ASSISTANCE_REQUEST__OP_ADD_MEASURE;
        req.add_measure = &am;
        return s_done(&req, s_call(&req));
    }
    if (!strcmp(cmd, "status")) {
        static const char *const vals[] = {"--reason", "--request-id", NULL};
        static const char *const flags[] = {NULL};
        if (argc < 4 || !s_opts_ok(argc, argv, 4, vals, flags)) return s_usage();
        const char *r = s_opt(argc, argv, 4, "--reason");
        Fangpin__V1__SetMeasureStatus ss = FANGPIN__V1__SET_MEASURE_STATUS__INIT;
        ss.measure_id = id, ss.status = argv[3], ss.reason = (char *)(r ? r : "");
        req.op_case = FANGPIN__V1__ASSISTANCE_REQUEST__OP_SET_MEASURE_STATUS;
        req.set_measure_status = &ss;
        return s_done(&req, s_call(&req));
    }
    return s_usage();
}

int ctl_cmd_check(int argc, char **argv)
{
    if (argc < 2) return s_usage();
    if (ctl_check_is_finding_cmd(argv[1])) return ctl_check_findings(argc, argv);
    const char *cmd = argv[1];
    char rid[64];
    Fangpin__V1__AssistanceRequest req = FANGPIN__V1__ASSISTANCE_REQUEST__INIT;
    s_rid(&req, rid, sizeof rid, cmd, argc, argv);
    if (!strcmp(cmd, "unchecked")) {
        static const char *const vals[] = {"--region", "--quarter", "--request-id", NULL};
        static const char *const flags[] = {NULL};
        if (!s_opts_ok(argc, argv, 2, vals, flags)) return s_usage();
        const char *r = s_opt(argc, argv, 2, "--region"), *q = s_opt(argc, argv, 2, "--quarter");
        Fangpin__V1__ListUnchecked lu = FANGPIN__V1__LIST_UNCHECKED__INIT;
        lu.region_prefix = (char *)(r ? r : ""), lu.quarter = (char *)(q ? q : "");
        req.op_case = FANGPIN__V1__ASSISTANCE_REQUEST__OP_LIST_UNCHECKED;
        req.list_unchecked = &lu;
        Fangpin__V1__AssistanceReply *rep = s_call(&req);
        if (!rep) return 1;
        Fangpin__V1__UncheckedList *l =
            rep->result_case == FANGPIN__V1__ASSISTANCE_REPLY__RESULT_UNCHECKED_LIST ? rep->unchecked_list : NULL;
        if (l) {
            printf("%s 季度措施核查：\n", l->quarter);
            for (size_t i = 0; i < l->n_regions; i++)
                printf("  %-12s %-8s 未核查 %u  已核查 %u\n", l->regions[i]->region_code,
                       !strcmp(l->regions[i]->level, "village") ? "村" : "乡镇", l->regions[i]->unchecked,
                       l->regions[i]->checked);
            printf("未核查措施 %zu 项", l->n_measure_ids);
            for (size_t i = 0; i < l->n_measure_ids && i < 50; i++) printf(" #%lld", (long long)l->measure_ids[i]);
            printf("\n");
        }
        fangpin__v1__assistance_reply__free_unpacked(rep, NULL);
        return 0;
    }
    if (!strcmp(cmd, "summary")) {
        static const char *const vals[] = {"--quarter", "--note", "--request-id", NULL};
        static const char *const flags[] = {NULL};
        if (!s_opts_ok(argc, argv, 2, vals, flags)) return s_usage();
        const char *q = s_opt(argc, argv, 2, "--quarter"), *n = s_opt(argc, argv, 2, "--note");
        Fangpin__V1__SubmitQuarterSummary qs = FANGPIN__V1__SUBMIT_QUARTER_SUMMARY__INIT;
        qs.quarter = (char *)(q ? q : ""), qs.note = (char *)(n ? n : "");
        req.op_case = FANGPIN__V1__ASSISTANCE_REQUEST__OP_SUBMIT_QUARTER_SUMMARY;
        req.submit_quarter_summary = &qs;
        return s_done(&req, s_call(&req));
    }
    if (!strcmp(cmd, "add")) {
        static const char *const vals[] = {"--result", "--finding", "--quarter", "--request-id", NULL};
        static const char *const flags[] = {NULL};
        int64_t id = argc > 2 ? s_id(argv[2]) : 0;
        const char *r = s_opt(argc, argv, 3, "--result"), *f = s_opt(argc, argv, 3, "--finding"),
                   *q = s_opt(argc, argv, 3, "--quarter");
        if (!id || !s_opts_ok(argc, argv, 3, vals, flags) || !r || !f) return s_usage();
        Fangpin__V1__CheckMeasure cm = FANGPIN__V1__CHECK_MEASURE__INIT;
        cm.measure_id = id, cm.result = (char *)r, cm.finding = (char *)f, cm.quarter = (char *)(q ? q : "");
        req.op_case = FANGPIN__V1__ASSISTANCE_REQUEST__OP_CHECK_MEASURE;
        req.check_measure = &cm;
        return s_done(&req, s_call(&req));
    }
    return s_usage();
}

int ctl_cmd_eliminate(int argc, char **argv)
{
    if (argc < 3) return s_usage();
    int64_t id = s_id(argv[1]);
    if (!id) return s_usage();
    static const char *const vals[] = {"--text", "--way", "--notice-text", "--request-id", NULL};
    static const char *const flags[] = {"--rigid-resolved", "--guarantees-hold", "--water-holds", NULL};
    if (!s_opts_ok(argc, argv, 3, vals, flags)) return s_usage();
    char rid[64];
    Fangpin__V1__AssistanceRequest req = FANGPIN__V1__ASSISTANCE_REQUEST__INIT;
    s_rid(&req, rid, sizeof rid, argv[2], argc, argv);
    const char *t = s_opt(argc, argv, 3, "--text"), *w = s_opt(argc, argv, 3, "--way"),
               *n = s_opt(argc, argv, 3, "--notice-text");
    Fangpin__V1__EliminationStep es = FANGPIN__V1__ELIMINATION_STEP__INIT;
    es.plan_id = id, es.event = argv[2], es.text = (char *)(t ? t : ""), es.way = (char *)(w ? w : "");
    es.notice_text_override = (char *)(n ? n : "");
    es.rigid_costs_resolved = s_flag(argc, argv, 3, "--rigid-resolved");
    es.guarantees_hold = s_flag(argc, argv, 3, "--guarantees-hold");
    es.water_holds = s_flag(argc, argv, 3, "--water-holds");
    req.op_case = FANGPIN__V1__ASSISTANCE_REQUEST__OP_ELIMINATION_STEP;
    req.elimination_step = &es;
    return s_done(&req, s_call(&req));
}
