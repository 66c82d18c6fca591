/* quality.c: `fangpinctl quality run|list|explain`: the data-quality checks (疑点, docs/quality-checks.md).
 * The rules are rows of quality_rules (migration 022); quality_run() and quality_explain()
 * (deploy/db/functions/quality.sql) do the work in the database, this file parses the command,
 * prints and writes the CSV. Names are masked here (domain/mask.c); an ID number is never read:
 * a person is shown by the masked form the ledger keeps (id_masked). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "ctl.h"
#include "date.h"
#include "mask.h"

static const char s_usage_text[] =
    "usage: fangpinctl quality run --county CODE [--rules Q001,Q002] [--by WHO]\n"
    "       fangpinctl quality list [--region PREFIX] [--rule Q001] [--category C] [--severity S]\n"
    "                               [--state open|overdue|explained|fixed] [--format table|csv] [--out FILE]\n"
    "       fangpinctl quality explain ID --by ACTOR --reason TEXT\n"
    "  (a cadre with a key: fangpinctl check list|fix|explain|review, through the assistance service)\n"
    "  run      evaluates the rules (all, or --rules) over the county's records as on FANGPIN_TODAY\n"
    "           (default today) and keeps the findings; prints the run and its counts per rule\n"
    "  list     the findings of a region (village, township or county code prefix), masked\n"
    "  explain  a village actor's explanation of an open or overdue finding of its village\n";

static int s_usage(void)
{
    fputs(s_usage_text, stderr);
    return 2;
}

static int s_fail(PGconn *c, PGresult *r, const char *what)
{
    fprintf(stderr, "fangpinctl quality %s: %s", what, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    return 1;
}

/* Today as the services see it: FANGPIN_TODAY (YYYY-MM-DD) or the date in UTC+8. */
static int s_today(char out[11])
{
    const char *t = ctl_env("FANGPIN_TODAY", "");
    int32_t day = fp_date_today_utc8();
    if (*t && fp_date_parse(t, &day) != FP_OK) {
        fprintf(stderr, "fangpinctl quality: FANGPIN_TODAY '%s' is not a date (YYYY-MM-DD)\n", t);
        return -1;
    }
    fp_date_format(day, out);
    return 0;
}

static void s_print_run(PGresult *r)
{
    printf("run %s of county %s on %s: %s\n", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2),
           PQgetvalue(r, 0, 3));
    printf("%-5s %-8s %-15s %6s %6s %6s %9s %6s  %s\n", "RULE", "SEVERITY", "CATEGORY", "FOUND", "OPENED", "OPEN",
           "EXPLAINED", "FIXED", "MESSAGE");
    for (int i = 0; i < PQntuples(r); i++)
        printf("%-5s %-8s %-15s %6s %6s %6s %9s %6s  %s\n", PQgetvalue(r, i, 4), PQgetvalue(r, i, 5),
               PQgetvalue(r, i, 6), PQgetvalue(r, i, 7), PQgetvalue(r, i, 8), PQgetvalue(r, i, 9), PQgetvalue(r, i, 10),
               PQgetvalue(r, i, 11), PQgetvalue(r, i, 12));
}

/* Runs the rules (all, or the comma-separated rules) over county as on FANGPIN_TODAY for by, recorded
 * with reason (quality_runs.reason), and prints the run and its counts per rule; 0, or 1 on a failure
 * (said on stderr as "fangpinctl quality run: ..."), or 2 for a bad FANGPIN_TODAY. */
int ctl_quality_run(PGconn *c, const char *county, const char *rules, const char *by, const char *reason)
{
    char today[11];
    if (s_today(today)) return 2;
    const char *p[5] = {county, today, by, rules, reason};
    PGresult *r = PQexecParams(c, "SELECT quality_run($1, $2::date, $3, string_to_array($4, ','), $5)", 5, NULL, p,
                               NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return s_fail(NULL, r, "run");
    const char *q[1] = {PQgetvalue(r, 0, 0)};
    PGresult *s =
        PQexecParams(c,
                     "SELECT q.id, q.county_code, q.on_day, q.counts, u.code, u.severity, u.category,"
                     "  count(f.id) FILTER (WHERE f.last_run = q.id), count(f.id) FILTER (WHERE f.first_run = q.id),"
                     "  count(f.id) FILTER (WHERE f.last_run = q.id AND f.state IN ('open', 'overdue')),"
                     "  count(f.id) FILTER (WHERE f.last_run = q.id AND f.state = 'explained'),"
                     "  count(f.id) FILTER (WHERE f.fixed_run = q.id), u.message_zh"
                     " FROM quality_runs q JOIN quality_rules u ON u.code = ANY (q.rules)"
                     " LEFT JOIN quality_findings f ON f.county_code = q.county_code AND f.rule_code = u.code"
                     "  AND (f.last_run = q.id OR f.fixed_run = q.id)"
                     " WHERE q.id = $1::bigint GROUP BY q.county_code, q.id, u.code ORDER BY u.code",
                     1, NULL, q, NULL, NULL, 0);
    PQclear(r);
    r = s;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return s_fail(NULL, r, "run");
    if (PQntuples(r) > 0) s_print_run(r);
    PQclear(r);
    return 0;
}

static int s_run(int argc, char **argv)
{
    static const char *const allowed[] = {"--county", "--rules", "--by", NULL};
    const char *county = ctl_opt(argc, argv, 1, "--county"), *rules = ctl_opt(argc, argv, 1, "--rules"),
               *by = ctl_opt(argc, argv, 1, "--by");
    if (!ctl_opts_ok(argc, argv, 1, allowed) || !county) return s_usage();
    char today[11];
    if (s_today(today)) return 2;
    PGconn *c = ctl_pg_connect();
    if (!c) return 1;
    int rc = ctl_quality_run(c, county, rules, by ? by : "fangpinctl", "on_demand");
    PQfinish(c);
    return rc;
}

/* The columns of quality list's CSV, in the order of s_list_sql's result (the name is masked). */
static const char *const s_list_cols[] = {"id",         "rule",         "category",     "severity",
                                          "state",      "village_code", "household_no", "name",
                                          "id_masked",  "opened_on",    "due_on",       "message_zh",
                                          "message_en", "facts",        "explanation",  "explained_by"};
#define S_NCOLS (sizeof s_list_cols / sizeof s_list_cols[0])

/* quality_list() (deploy/db/functions/quality.sql), the same reading as the assistance service's
 * ListFindings, in the order of s_list_cols. */
static const char s_list_sql[] =
    "SELECT id, rule, category, severity, state, village_code, household_no, name, id_masked, opened_on, due_on,"
    " message_zh, message_en, facts, explanation, explained_by FROM quality_list($1, $2, $3, $4, $5)"
    " ORDER BY village_code, rule, household_no, id";

/* Row i of the list's result as cells, the name (column 7) masked into masked. */
static void s_list_cells(PGresult *r, int i, const char **cells, char *masked, size_t masked_len)
{
    for (size_t k = 0; k < S_NCOLS; k++) cells[k] = PQgetvalue(r, i, (int)k);
    fp_mask_name(cells[7], masked, masked_len);
    cells[7] = masked;
}

static int s_list_csv(PGresult *r, const char *out)
{
    char masked[256];
    const char *cells[S_NCOLS];
    if (out) {
        fp_buf_t header = {0};
        for (size_t k = 0; k < S_NCOLS; k++) fp_buf_printf(&header, "%s%s", k ? "," : "", s_list_cols[k]);
        fp_csv_file_t w;
        int rc = fp_csv_file_open(&w, out, header.data);
        fp_buf_free(&header);
        if (rc) {
            perror(out);
            return 1;
        }
        for (int i = 0; i < PQntuples(r); i++) {
            s_list_cells(r, i, cells, masked, sizeof masked);
            fp_csv_file_row(&w, cells, S_NCOLS);
        }
        if (fp_csv_file_close(&w, out)) {
            perror(out);
            return 1;
        }
        return 0;
    }
    fp_buf_t b = {0};
    fp_buf_puts(&b, FP_CSV_BOM);
    fp_csv_put_row(&b, s_list_cols, S_NCOLS);
    for (int i = 0; i < PQntuples(r); i++) {
        s_list_cells(r, i, cells, masked, sizeof masked);
        fp_csv_put_row(&b, cells, S_NCOLS);
    }
    bool ok = fwrite(b.data, 1, b.len, stdout) == b.len;
    fp_buf_free(&b);
    return ok ? 0 : 1;
}

static void s_list_table(PGresult *r)
{
    char masked[256];
    const char *cells[S_NCOLS];
    printf("%-6s %-5s %-8s %-9s %-12s %-20s %-12s %-18s %-10s  %s\n", "ID", "RULE", "SEVERITY", "STATE", "VILLAGE",
           "HOUSEHOLD", "NAME", "ID NUMBER", "DUE", "MESSAGE / FACTS");
    for (int i = 0; i < PQntuples(r); i++) {
        s_list_cells(r, i, cells, masked, sizeof masked);
        printf("%-6s %-5s %-8s %-9s %-12s %-20s %-12s %-18s %-10s  %s %s\n", cells[0], cells[1], cells[3], cells[4],
               cells[5], cells[6], cells[7], *cells[8] ? cells[8] : "-", cells[10], cells[11], cells[13]);
        if (*cells[14]) printf("%-6s explained by %s: %s\n", "", cells[15], cells[14]);
    }
    printf("%d finding(s)\n", PQntuples(r));
}

static int s_list(int argc, char **argv)
{
    static const char *const allowed[] = {"--region", "--rule",   "--category", "--severity",
                                          "--state",  "--format", "--out",      NULL};
    if (!ctl_opts_ok(argc, argv, 1, allowed)) return s_usage();
    const char *format = ctl_opt(argc, argv, 1, "--format"), *out = ctl_opt(argc, argv, 1, "--out");
    if (!format) format = out ? "csv" : "table";
    if (strcmp(format, "csv") != 0 && strcmp(format, "table") != 0) return s_usage();
    if (out && strcmp(format, "csv") != 0) return s_usage();
    PGconn *c = ctl_pg_connect();
    if (!c) return 1;
    const char *p[5] = {ctl_opt(argc, argv, 1, "--region"), ctl_opt(argc, argv, 1, "--rule"),
                        ctl_opt(argc, argv, 1, "--category"), ctl_opt(argc, argv, 1, "--severity"),
                        ctl_opt(argc, argv, 1, "--state")};
    PGresult *r = PQexecParams(c, s_list_sql, 5, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return s_fail(c, r, "list");
    int rc = 0;
    if (!strcmp(format, "csv")) rc = s_list_csv(r, out);
    else s_list_table(r);
    PQclear(r);
    PQfinish(c);
    return rc;
}

static int s_explain(int argc, char **argv)
{
    static const char *const allowed[] = {"--by", "--reason", NULL};
    if (argc < 2 || !ctl_opts_ok(argc, argv, 2, allowed)) return s_usage();
    const char *id = argv[1], *by = ctl_opt(argc, argv, 2, "--by"), *reason = ctl_opt(argc, argv, 2, "--reason");
    char *end = NULL;
    long n = strtol(id, &end, 10);
    if (!*id || *end || n < 1 || !by || !reason) return s_usage();
    if (fp_text_has_long_number(reason)) {
        fprintf(stderr,
                "fangpinctl quality explain: the reason holds a long number (an ID, phone or bank "
                "number?): write it without\n");
        return 2;
    }
    PGconn *c = ctl_pg_connect();
    if (!c) return 1;
    const char *p[3] = {id, by, reason};
    PGresult *r = PQexecParams(c, "SELECT quality_explain($1::bigint, $2, $3)", 3, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return s_fail(c, r, "explain");
    printf("finding %s explained by %s\n", id, by);
    PQclear(r);
    PQfinish(c);
    return 0;
}

int ctl_cmd_quality(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "run")) return s_run(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "list")) return s_list(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "explain")) return s_explain(argc - 1, argv + 1);
    return s_usage();
}
