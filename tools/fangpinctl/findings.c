/* findings.c: `fangpinctl check list|fix|explain|review`: the data-quality findings (疑点,
 * docs/quality-checks.md) through the assistance service with the actor's key (FANGPIN_ASSISTANCE_CONNECT,
 * the client key as in plan.c): ListFindings (paged to the end), MarkFindingFixed, ExplainFinding,
 * ReviewExplanation. The service masks names and never sends an ID number. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csv.h"
#include "ctl.h"
#include "fangpin/v1/assistance.pb-c.h"

static const char s_usage_text[] =
    "usage: fangpinctl check list [--region PREFIX] [--rule Q001] [--category C] [--severity S]\n"
    "                             [--state open|overdue|explained|fixed] [--format table|csv]\n"
    "       fangpinctl check fix FINDING                     (village: the finding was corrected)\n"
    "       fangpinctl check explain FINDING --reason TEXT   (village: why it is not an error)\n"
    "       fangpinctl check review FINDING accept|reject [--reason TEXT]   (township; reject needs a reason)\n"
    "  through the assistance service with the actor's key; every command takes --request-id R\n";

static int s_usage(void)
{
    fputs(s_usage_text, stderr);
    return 2;
}

bool ctl_check_is_finding_cmd(const char *cmd)
{
    return !strcmp(cmd, "list") || !strcmp(cmd, "fix") || !strcmp(cmd, "explain") || !strcmp(cmd, "review");
}

static Fangpin__V1__AssistanceReply *s_call(Fangpin__V1__AssistanceRequest *req, const char *cmd, int argc,
                                            char **argv, int from)
{
    char rid[64];
    snprintf(rid, sizeof rid, "ctl-check-%s-%ld-%ld", cmd, (long)time(NULL), (long)clock());
    const char *r = ctl_opt(argc, argv, from, "--request-id");
    req->request_id = (char *)(r ? r : rid);
    return (Fangpin__V1__AssistanceReply *)ctl_call("assistance", "FANGPIN_ASSISTANCE_CONNECT", "tcp://127.0.0.1:7103",
                                                    &req->base, &fangpin__v1__assistance_reply__descriptor);
}

static const char *const s_cols[] = {"id",           "rule",        "category",  "severity",       "state",
                                     "village_code", "household_no", "name",     "id_masked",      "opened_on",
                                     "due_on",       "message_zh",  "facts",     "explanation",    "explained_by",
                                     "fix_claimed_by", "fix_held",  "review",    "rejection_reason"};
#define S_NCOLS (sizeof s_cols / sizeof s_cols[0])

static void s_print(const Fangpin__V1__Finding *x, bool csv, fp_buf_t *b)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)x->finding_id);
    if (csv) {
        const char *cells[S_NCOLS] = {id,           x->rule,         x->category,  x->severity,     x->state,
                                      x->village_code, x->household_no, x->name_masked, x->id_masked, x->opened_on,
                                      x->due_on,    x->message_zh,   x->facts,     x->explanation,  x->explained_by,
                                      x->fix_claimed_by, x->fix_held, x->review,  x->rejection_reason};
        fp_csv_put_row(b, cells, S_NCOLS);
        return;
    }
    printf("%-6s %-5s %-8s %-9s %-12s %-20s %-12s %-18s %-10s  %s %s\n", id, x->rule, x->severity, x->state,
           x->village_code, x->household_no, x->name_masked, *x->id_masked ? x->id_masked : "-", x->due_on,
           x->message_zh, x->facts);
    if (*x->fix_claimed_by)
        printf("%-6s fix claimed by %s at %s%s\n", "", x->fix_claimed_by, x->fix_claimed_at,
               !strcmp(x->fix_held, "no") ? ": found again, the fix did not hold" : "");
    if (*x->explanation) printf("%-6s explained by %s: %s\n", "", x->explained_by, x->explanation);
    if (*x->review) printf("%-6s explanation %s by %s\n", "", x->review, x->reviewed_by);
    if (*x->rejection_reason) printf("%-6s last rejection: %s\n", "", x->rejection_reason);
}

static int s_list(int argc, char **argv)
{
    static const char *const allowed[] = {"--region", "--rule",   "--category",   "--severity",
                                          "--state",  "--format", "--request-id", NULL};
    if (!ctl_opts_ok(argc, argv, 2, allowed)) return s_usage();
    const char *format = ctl_opt(argc, argv, 2, "--format");
    bool csv = format && !strcmp(format, "csv");
    if (format && !csv && strcmp(format, "table")) return s_usage();
    Fangpin__V1__ListFindings lf = FANGPIN__V1__LIST_FINDINGS__INIT;
    const char *v;
    if ((v = ctl_opt(argc, argv, 2, "--region"))) lf.region_prefix = (char *)v;
    if ((v = ctl_opt(argc, argv, 2, "--rule"))) lf.rule = (char *)v;
    if ((v = ctl_opt(argc, argv, 2, "--category"))) lf.category = (char *)v;
    if ((v = ctl_opt(argc, argv, 2, "--severity"))) lf.severity = (char *)v;
    if ((v = ctl_opt(argc, argv, 2, "--state"))) lf.state = (char *)v;
    fp_buf_t b = {0};
    if (csv) {
        fp_buf_puts(&b, FP_CSV_BOM);
        fp_csv_put_row(&b, s_cols, S_NCOLS);
    } else {
        printf("%-6s %-5s %-8s %-9s %-12s %-20s %-12s %-18s %-10s  %s\n", "ID", "RULE", "SEVERITY", "STATE", "VILLAGE",
               "HOUSEHOLD", "NAME", "ID NUMBER", "DUE", "MESSAGE / FACTS");
    }
    size_t total = 0;
    do {
        Fangpin__V1__AssistanceRequest req = FANGPIN__V1__ASSISTANCE_REQUEST__INIT;
        req.op_case = FANGPIN__V1__ASSISTANCE_REQUEST__OP_LIST_FINDINGS;
        req.list_findings = &lf;
        Fangpin__V1__AssistanceReply *rep = s_call(&req, "list", argc, argv, 2);
        if (!rep) {
            fp_buf_free(&b);
            return 1;
        }
        Fangpin__V1__FindingList *l = rep->finding_list;
        for (size_t i = 0; l && i < l->n_findings; i++) s_print(l->findings[i], csv, &b);
        total += l ? l->n_findings : 0;
        lf.after_id = l ? l->next_after_id : 0;
        fangpin__v1__assistance_reply__free_unpacked(rep, NULL);
    } while (lf.after_id);
    bool ok = true;
    if (csv) ok = fwrite(b.data, 1, b.len, stdout) == b.len;
    else printf("%zu finding(s)\n", total);
    fp_buf_free(&b);
    return ok ? 0 : 1;
}

/* The finding id of argv[2]; 0 if it is not one. */
static int64_t s_id(int argc, char **argv)
{
    if (argc < 3) return 0;
    char *end = NULL;
    long long n = strtoll(argv[2], &end, 10);
    return *argv[2] && !*end && n > 0 ? n : 0;
}

static int s_step(Fangpin__V1__AssistanceRequest *req, const char *cmd, int argc, char **argv, int from)
{
    Fangpin__V1__AssistanceReply *rep = s_call(req, cmd, argc, argv, from);
    if (!rep) return 1;
    if (rep->finding) {
        printf("finding %lld: %s\n", (long long)rep->finding->finding_id, rep->finding->state);
        s_print(rep->finding, false, NULL);
    }
    fangpin__v1__assistance_reply__free_unpacked(rep, NULL);
    return 0;
}

/* fix, explain, review: one step on one finding. */
static int s_one(int argc, char **argv)
{
    const char *cmd = argv[1];
    int64_t id = s_id(argc, argv);
    if (!id) return s_usage();
    Fangpin__V1__AssistanceRequest req = FANGPIN__V1__ASSISTANCE_REQUEST__INIT;
    if (!strcmp(cmd, "fix")) {
        static const char *const allowed[] = {"--request-id", NULL};
        if (!ctl_opts_ok(argc, argv, 3, allowed)) return s_usage();
        Fangpin__V1__MarkFindingFixed mf = FANGPIN__V1__MARK_FINDING_FIXED__INIT;
        mf.finding_id = id;
        req.op_case = FANGPIN__V1__ASSISTANCE_REQUEST__OP_MARK_FINDING_FIXED;
        req.mark_finding_fixed = &mf;
        return s_step(&req, cmd, argc, argv, 3);
    }
    static const char *const allowed[] = {"--reason", "--request-id", NULL};
    const char *reason = NULL;
    if (!strcmp(cmd, "explain")) {
        if (!ctl_opts_ok(argc, argv, 3, allowed) || !(reason = ctl_opt(argc, argv, 3, "--reason"))) return s_usage();
        Fangpin__V1__ExplainFinding ef = FANGPIN__V1__EXPLAIN_FINDING__INIT;
        ef.finding_id = id;
        ef.reason = (char *)reason;
        req.op_case = FANGPIN__V1__ASSISTANCE_REQUEST__OP_EXPLAIN_FINDING;
        req.explain_finding = &ef;
        return s_step(&req, cmd, argc, argv, 3);
    }
    if (argc < 4 || (strcmp(argv[3], "accept") && strcmp(argv[3], "reject")) || !ctl_opts_ok(argc, argv, 4, allowed))
        return s_usage();
    reason = ctl_opt(argc, argv, 4, "--reason");
    Fangpin__V1__ReviewExplanation re = FANGPIN__V1__REVIEW_EXPLANATION__INIT;
    re.finding_id = id;
    re.accept = !strcmp(argv[3], "accept");
    re.reason = (char *)(reason ? reason : "");
    req.op_case = FANGPIN__V1__ASSISTANCE_REQUEST__OP_REVIEW_EXPLANATION;
    req.review_explanation = &re;
    return s_step(&req, cmd, argc, argv, 4);
}

int ctl_check_findings(int argc, char **argv)
{
    if (argc < 2) return s_usage();
    if (!strcmp(argv[1], "list")) return s_list(argc, argv);
    return s_one(argc, argv);
}
