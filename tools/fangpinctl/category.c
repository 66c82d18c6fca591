/* category.c: the rural low-income population (docs/lowincome.md).
 * `fangpinctl category confirm|leave HOUSEHOLD --category C [--on DATE] --reason T` records civil
 * affairs' decision, `category decline REFERRAL_ID --reason T` its refusal of a referral, over CURVE to screening (FANGPIN_SCREENING_CONNECT; the client key must be
 * the civil-affairs department's); `category list` and `category referrals` read the categories
 * and the households screening sent to civil affairs; `category param set|list` keeps the
 * categories' parameters and `mode set|show` the county's fangpin_mode by effective date, in
 * the database (FANGPIN_PG). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "date.h"
#include "fangpin/v1/screening.pb-c.h"

static const char s_usage_text[] =
    "usage: fangpinctl category confirm|leave HOUSEHOLD --category C [--on YYYY-MM-DD] --reason T\n"
    "                                 [--request-id R]   (a civil-affairs key: FANGPIN_CLIENT_CERT)\n"
    "       fangpinctl category list [--household H] [--category C] [--region PREFIX]\n"
    "       fangpinctl category decline REFERRAL_ID --reason T [--on YYYY-MM-DD] [--request-id R]\n"
    "       fangpinctl category referrals [--region PREFIX] [--status open|confirmed|declined]\n"
    "       fangpinctl category param set NAME REGION YYYY-MM-DD VALUE --source TEXT [--by WHO]\n"
    "       fangpinctl category param list [--region REGION]\n"
    "  NAME: dibao_standard_yuan (per person per year), dibao_edge_multiple_pct, disposable_income_yuan;\n"
    "  REGION: a province (2 digits, 00 national) or a county (6 digits)\n";

static int s_usage(void)
{
    fputs(s_usage_text, stderr);
    return 2;
}

static Fangpin__V1__ScreeningReply *s_call(Fangpin__V1__ScreeningRequest *req)
{
    return (Fangpin__V1__ScreeningReply *)ctl_call("screening", "FANGPIN_SCREENING_CONNECT", "tcp://127.0.0.1:7102",
                                                   &req->base, &fangpin__v1__screening_reply__descriptor);
}

static void s_print_list(const Fangpin__V1__CategoryList *l)
{
    for (size_t i = 0; i < l->n_members; i++) {
        const Fangpin__V1__CategoryMember *m = l->members[i];
        printf("户 %s  村 %s  %s (%s)  认定 %s  自 %s  %s\n", m->household_no, m->village_code, m->name_zh, m->category,
               m->authority, m->since[0] ? m->since : "-", m->decided_by);
    }
    if (l->n_history) printf("变动记录：\n");
    for (size_t i = 0; i < l->n_history; i++) {
        const Fangpin__V1__CategoryHistoryEntry *h = l->history[i];
        printf("  %s  %s %s  %s%s%s  %s\n", h->on, !strcmp(h->change, "enter") ? "纳入" : "退出", h->category, h->actor,
               h->department[0] ? "/" : "", h->department, h->reason);
    }
}

static int s_reply(Fangpin__V1__ScreeningReply *rep)
{
    if (!rep) return 1;
    if (rep->result_case == FANGPIN__V1__SCREENING_REPLY__RESULT_CATEGORY_LIST) s_print_list(rep->category_list);
    if (rep->result_case == FANGPIN__V1__SCREENING_REPLY__RESULT_REFERRAL_LIST) {
        for (size_t i = 0; i < rep->referral_list->n_referrals; i++) {
            const Fangpin__V1__Referral *r = rep->referral_list->referrals[i];
            printf("#%lld 户 %s  村 %s  疑似 %s  发现于 %s（案件 %lld）%s  人均纯收入 %.2f 元  家庭纯收入 %.2f 元"
                   "  刚性支出 %.2f 元  低保标准 %.2f 元 × %d%%  上年人均可支配收入 %.2f 元\n",
                   (long long)r->referral_id, r->household_no, r->village_code, r->category, r->found_on,
                   (long long)r->case_id, r->status, r->per_capita_fen / 100.0, r->net_fen / 100.0,
                   r->rigid_fen / 100.0, r->standard_fen / 100.0, r->multiple_pct, r->disposable_fen / 100.0);
            if (r->closed_on[0])
                printf("    办结 %s  %s%s%s\n", r->closed_on, r->closed_by, r->close_reason[0] ? "  理由：" : "",
                       r->close_reason);
        }
        printf("共 %zu 户\n", rep->referral_list->n_referrals);
    }
    fangpin__v1__screening_reply__free_unpacked(rep, NULL);
    return 0;
}

static int s_change(int argc, char **argv, Fangpin__V1__ScreeningRequest *req)
{
    static const char *const allowed[] = {"--category", "--on", "--reason", "--request-id", NULL};
    if (argc < 3 || argv[2][0] == '-' || !ctl_opts_ok(argc, argv, 3, allowed)) return s_usage();
    const char *cat = ctl_opt(argc, argv, 3, "--category"), *reason = ctl_opt(argc, argv, 3, "--reason");
    if (!cat || !reason) return s_usage();
    Fangpin__V1__CategoryChange c = FANGPIN__V1__CATEGORY_CHANGE__INIT;
    c.household_no = argv[2];
    c.category = (char *)cat;
    c.reason = (char *)reason;
    const char *on = ctl_opt(argc, argv, 3, "--on");
    if (on) c.on = (char *)on;
    if (!strcmp(argv[1], "confirm")) {
        req->op_case = FANGPIN__V1__SCREENING_REQUEST__OP_CONFIRM_CATEGORY;
        req->confirm_category = &c;
    } else {
        req->op_case = FANGPIN__V1__SCREENING_REQUEST__OP_LEAVE_CATEGORY;
        req->leave_category = &c;
    }
    return s_reply(s_call(req));
}

static int s_decline(int argc, char **argv, Fangpin__V1__ScreeningRequest *req)
{
    static const char *const allowed[] = {"--on", "--reason", "--request-id", NULL};
    char *end = NULL;
    long long id = argc >= 3 ? strtoll(argv[2], &end, 10) : 0;
    const char *reason = ctl_opt(argc, argv, 3, "--reason"), *on = ctl_opt(argc, argv, 3, "--on");
    if (id <= 0 || !end || *end || !reason || !ctl_opts_ok(argc, argv, 3, allowed)) return s_usage();
    Fangpin__V1__DeclineReferral d = FANGPIN__V1__DECLINE_REFERRAL__INIT;
    d.referral_id = id;
    d.reason = (char *)reason;
    if (on) d.on = (char *)on;
    req->op_case = FANGPIN__V1__SCREENING_REQUEST__OP_DECLINE_REFERRAL;
    req->decline_referral = &d;
    return s_reply(s_call(req));
}

static int s_list(int argc, char **argv, Fangpin__V1__ScreeningRequest *req)
{
    static const char *const allowed[] = {"--household", "--category", "--region", "--request-id", NULL};
    if (!ctl_opts_ok(argc, argv, 2, allowed)) return s_usage();
    Fangpin__V1__ListCategories lc = FANGPIN__V1__LIST_CATEGORIES__INIT;
    const char *h = ctl_opt(argc, argv, 2, "--household"), *c = ctl_opt(argc, argv, 2, "--category"),
               *r = ctl_opt(argc, argv, 2, "--region");
    if (h) lc.household_no = (char *)h;
    if (c) lc.category = (char *)c;
    if (r) lc.region_prefix = (char *)r;
    req->op_case = FANGPIN__V1__SCREENING_REQUEST__OP_LIST_CATEGORIES;
    req->list_categories = &lc;
    return s_reply(s_call(req));
}

static int s_referrals(int argc, char **argv, Fangpin__V1__ScreeningRequest *req)
{
    static const char *const allowed[] = {"--region", "--status", "--request-id", NULL};
    if (!ctl_opts_ok(argc, argv, 2, allowed)) return s_usage();
    Fangpin__V1__ListReferrals lr = FANGPIN__V1__LIST_REFERRALS__INIT;
    const char *r = ctl_opt(argc, argv, 2, "--region"), *s = ctl_opt(argc, argv, 2, "--status");
    if (r) lr.region_prefix = (char *)r;
    if (s) lr.status = (char *)s;
    req->op_case = FANGPIN__V1__SCREENING_REQUEST__OP_LIST_REFERRALS;
    req->list_referrals = &lr;
    return s_reply(s_call(req));
}

/* Runs sql with n parameters and prints its rows tab-separated (or "ok" for a command): the exit
 * status. */
static int s_sql(const char *who, const char *sql, int n, const char *const *p)
{
    PGconn *c = ctl_pg_connect();
    if (!c) return 1;
    PGresult *r = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        for (int i = 0; i < PQntuples(r); i++)
            for (int k = 0; k < PQnfields(r); k++)
                printf("%s%s", PQgetvalue(r, i, k), k + 1 < PQnfields(r) ? "\t" : "\n");
    } else if (PQresultStatus(r) == PGRES_COMMAND_OK) {
        printf("ok\n");
    } else {
        fprintf(stderr, "fangpinctl %s: %s", who, PQresultErrorMessage(r));
        rc = 1;
    }
    PQclear(r);
    PQfinish(c);
    return rc;
}

static int s_param(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[2], "list")) {
        static const char *const allowed[] = {"--region", NULL};
        if (!ctl_opts_ok(argc, argv, 3, allowed)) return s_usage();
        const char *r = ctl_opt(argc, argv, 3, "--region");
        const char *p[1] = {r ? r : ""};
        return s_sql("category param list",
                     "SELECT name, region_code, effective_from, value, unit, source, set_by FROM lowincome_params"
                     " WHERE $1 = '' OR region_code IN ('00', left($1, 2), left($1, 6))"
                     " ORDER BY name, length(region_code), region_code, effective_from",
                     1, p);
    }
    static const char *const allowed[] = {"--source", "--by", NULL};
    int32_t day;
    if (argc < 7 || strcmp(argv[2], "set") || fp_date_parse(argv[5], &day) != FP_OK ||
        !ctl_opts_ok(argc, argv, 7, allowed) || !ctl_opt(argc, argv, 7, "--source"))
        return s_usage();
    const char *by = ctl_opt(argc, argv, 7, "--by");
    const char *p[6] = {argv[3], argv[4], argv[5], argv[6], ctl_opt(argc, argv, 7, "--source"), by ? by : "fangpinctl"};
    return s_sql("category param set",
                 "INSERT INTO lowincome_params (name, region_code, effective_from, value, unit, source, set_by)"
                 " VALUES ($1, $2, $3::date, $4::numeric, CASE $1 WHEN 'dibao_edge_multiple_pct' THEN"
                 " 'percent of the 低保 standard' ELSE 'yuan/person/year' END, $5, $6)"
                 " ON CONFLICT (name, region_code, effective_from) DO UPDATE SET value = EXCLUDED.value,"
                 " source = EXCLUDED.source, set_by = EXCLUDED.set_by, set_at = now()",
                 6, p);
}

int ctl_cmd_category(int argc, char **argv)
{
    if (argc < 2) return s_usage();
    if (!strcmp(argv[1], "param")) return s_param(argc, argv);
    Fangpin__V1__ScreeningRequest req = FANGPIN__V1__SCREENING_REQUEST__INIT;
    char rid[64];
    snprintf(rid, sizeof rid, "ctl-category-%ld-%ld", (long)time(NULL), (long)clock());
    req.request_id = rid;
    for (int i = 2; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--request-id")) req.request_id = argv[i + 1];
    if (!strcmp(argv[1], "confirm") || !strcmp(argv[1], "leave")) return s_change(argc, argv, &req);
    if (!strcmp(argv[1], "list")) return s_list(argc, argv, &req);
    if (!strcmp(argv[1], "decline")) return s_decline(argc, argv, &req);
    if (!strcmp(argv[1], "referrals")) return s_referrals(argc, argv, &req);
    return s_usage();
}

/* `fangpinctl mode set COUNTY YYYY-MM-DD unified|separate [--by WHO]`, `mode show COUNTY`. */
int ctl_cmd_mode(int argc, char **argv)
{
    static const char *const allowed[] = {"--by", NULL};
    int32_t day;
    if (argc >= 5 && !strcmp(argv[1], "set") && fp_date_parse(argv[3], &day) == FP_OK &&
        ctl_opts_ok(argc, argv, 5, allowed)) {
        const char *by = ctl_opt(argc, argv, 5, "--by");
        const char *p[4] = {argv[2], argv[3], argv[4], by ? by : "fangpinctl"};
        return s_sql("mode set",
                     "INSERT INTO fangpin_modes (county_code, effective_from, mode, set_by) VALUES ($1, $2::date, $3, "
                     "$4)"
                     " ON CONFLICT (county_code, effective_from) DO UPDATE SET mode = EXCLUDED.mode,"
                     " set_by = EXCLUDED.set_by, set_at = now()",
                     4, p);
    }
    if (argc == 3 && !strcmp(argv[1], "show")) {
        const char *p[1] = {argv[2]};
        return s_sql("mode show",
                     "SELECT effective_from, mode, set_by FROM fangpin_modes WHERE county_code = $1"
                     " ORDER BY effective_from",
                     1, p);
    }
    fputs("usage: fangpinctl mode set COUNTY YYYY-MM-DD unified|separate [--by WHO]\n"
          "       fangpinctl mode show COUNTY\n"
          "  a county's fangpin_mode from a date on: before its first row it is separate (as before)\n",
          stderr);
    return 2;
}
