/* kinds.c: `fangpinctl kinds alias add|list|remove`: the names a county lets one department
 * write for a lead kind (table kind_aliases, migration 023; docs/push.md "Kinds by name").
 * intake compares a lead's kind with the codes, the Chinese names and the sender's aliases
 * after one normalisation (domain/kindname.h), so an alias is refused here when it normalises
 * to another kind's code or name, or to an alias of another kind for that department. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "kindname.h"

static const char s_usage_text[] =
    "usage: fangpinctl kinds alias add --county CODE --dept CODE --alias TEXT --kind KIND [--by WHO]\n"
    "       fangpinctl kinds alias list [--county CODE] [--dept CODE]\n"
    "       fangpinctl kinds alias remove --county CODE --dept CODE --alias TEXT\n"
    "An alias is compared after normalising: full-width letters and digits as ASCII, letters in\n"
    "lower case, no spaces, no punctuation (ASCII or Chinese).\n";

static int s_usage(void)
{
    fputs(s_usage_text, stderr);
    return 2;
}

static int s_fail(PGconn *c, PGresult *r, const char *what)
{
    fprintf(stderr, "fangpinctl kinds alias %s: %s", what, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    return 1;
}

/* The alias normalised into norm; false after printing why it cannot be one. */
static bool s_norm(const char *alias, char norm[FP_KIND_NORM_MAX])
{
    if (fp_kind_norm(alias, norm, FP_KIND_NORM_MAX) && norm[0]) return true;
    fprintf(stderr,
            "fangpinctl kinds alias: '%s' is not an alias: it must be UTF-8 text with a letter, digit or"
            " character besides spaces and punctuation, at most %d bytes after normalising\n",
            alias, FP_KIND_NORM_MAX - 1);
    return false;
}

/* Why norm cannot name kind for (county, dept), printed; or 0 when it can (1 = refused, 2 =
 * already there). Reads every kind's code and name and the department's aliases. */
static int s_conflict(PGconn *c, const char *county, const char *dept, const char *kind, const char *norm)
{
    const char *p[2] = {county, dept};
    PGresult *r = PQexecParams(c,
                               "SELECT code, name_zh, 'code', code FROM lead_kinds"
                               " UNION ALL SELECT code, name_zh, 'name', name_zh FROM lead_kinds"
                               " UNION ALL SELECT a.kind, k.name_zh, 'alias', a.alias FROM kind_aliases a"
                               " JOIN lead_kinds k ON k.code = a.kind"
                               " WHERE a.county_code = $1 AND a.department_code = $2",
                               2, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return s_fail(c, r, "add"), -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        char other[FP_KIND_NORM_MAX];
        if (!fp_kind_norm(PQgetvalue(r, i, 3), other, sizeof other) || strcmp(other, norm) != 0) continue;
        const char *code = PQgetvalue(r, i, 0), *name = PQgetvalue(r, i, 1), *via = PQgetvalue(r, i, 2);
        bool same = !strcmp(code, kind);
        if (same && !strcmp(via, "alias")) {
            printf("'%s' is already an alias of %s (%s) for %s/%s\n", PQgetvalue(r, i, 3), code, name, county, dept);
            rc = 2;
        } else if (same) {
            fprintf(stderr,
                    "fangpinctl kinds alias add: refused: it is the kind's own %s ('%s'), which needs no alias\n", via,
                    PQgetvalue(r, i, 3));
            rc = 1;
        } else {
            fprintf(stderr,
                    "fangpinctl kinds alias add: refused: after normalising it is the %s '%s' of another kind, %s (%s),"
                    " so a lead could not tell the two apart\n",
                    via, PQgetvalue(r, i, 3), code, name);
            rc = 1;
        }
    }
    PQclear(r);
    return rc;
}

/* The kind exists and is the department's (its sender); 0, or 1 after printing why not. */
static int s_kind_of_dept(PGconn *c, const char *county, const char *dept, const char *kind)
{
    const char *p[3] = {county, dept, kind};
    PGresult *r = PQexecParams(c,
                               "SELECT (SELECT sender FROM lead_kinds WHERE code = $3),"
                               " EXISTS (SELECT 1 FROM departments WHERE county_code = $1 AND code = $2)",
                               3, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return s_fail(c, r, "add"), -1;
    int rc = 0;
    if (strcmp(PQgetvalue(r, 0, 1), "t") != 0) {
        fprintf(stderr, "fangpinctl kinds alias add: county %s has no department %s\n", county, dept);
        rc = 1;
    } else if (PQgetisnull(r, 0, 0)) {
        fprintf(stderr, "fangpinctl kinds alias add: there is no lead kind %s (see ListLeadKinds, docs/push.md)\n",
                kind);
        rc = 1;
    } else if (strcmp(PQgetvalue(r, 0, 0), dept) != 0) {
        fprintf(stderr, "fangpinctl kinds alias add: %s is sent by %s, not by %s: an alias for %s would never serve\n",
                kind, PQgetvalue(r, 0, 0), dept, dept);
        rc = 1;
    }
    PQclear(r);
    return rc;
}

static int s_add(int argc, char **argv)
{
    static const char *const allowed[] = {"--county", "--dept", "--alias", "--kind", "--by", NULL};
    const char *county = ctl_opt(argc, argv, 1, "--county"), *dept = ctl_opt(argc, argv, 1, "--dept"),
               *alias = ctl_opt(argc, argv, 1, "--alias"), *kind = ctl_opt(argc, argv, 1, "--kind"),
               *by = ctl_opt(argc, argv, 1, "--by");
    if (!ctl_opts_ok(argc, argv, 1, allowed) || !county || !dept || !alias || !kind) return s_usage();
    char norm[FP_KIND_NORM_MAX];
    if (!s_norm(alias, norm)) return 2;
    PGconn *c = ctl_pg_connect();
    if (!c) return 1;
    int rc = s_kind_of_dept(c, county, dept, kind);
    if (rc == 0) rc = s_conflict(c, county, dept, kind, norm);
    if (rc < 0) return 1;
    if (rc) {
        PQfinish(c);
        return rc == 2 ? 0 : 1;
    }
    const char *p[6] = {county, dept, alias, norm, kind, by ? by : ctl_env("USER", "fangpinctl")};
    PGresult *r = PQexecParams(c,
                               "INSERT INTO kind_aliases (county_code, department_code, alias, norm, kind, added_by)"
                               " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                               6, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) return s_fail(c, r, "add");
    bool added = atoi(PQcmdTuples(r)) == 1;
    PQclear(r);
    PQfinish(c);
    if (!added) { /* another alias of the same normal form came in meanwhile */
        fprintf(stderr, "fangpinctl kinds alias add: refused: %s/%s got an alias written the same way meanwhile\n",
                county, dept);
        return 1;
    }
    printf("added alias '%s' of %s for %s/%s\n", alias, kind, county, dept);
    return 0;
}

static int s_list(int argc, char **argv)
{
    static const char *const allowed[] = {"--county", "--dept", NULL};
    if (!ctl_opts_ok(argc, argv, 1, allowed)) return s_usage();
    const char *p[2] = {ctl_opt(argc, argv, 1, "--county"), ctl_opt(argc, argv, 1, "--dept")};
    PGconn *c = ctl_pg_connect();
    if (!c) return 1;
    PGresult *r = PQexecParams(c,
                               "SELECT a.county_code, a.department_code, a.kind, k.name_zh, a.alias, a.added_by,"
                               " to_char(a.added_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI')"
                               " FROM kind_aliases a JOIN lead_kinds k ON k.code = a.kind"
                               " WHERE ($1::text IS NULL OR a.county_code = $1)"
                               " AND ($2::text IS NULL OR a.department_code = $2)"
                               " ORDER BY a.county_code, a.department_code, a.kind, a.norm",
                               2, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return s_fail(c, r, "list");
    printf("%-6s %-10s %-24s %-16s %-16s %s\n", "COUNTY", "DEPT", "KIND", "ADDED", "BY", "ALIAS / KIND NAME");
    for (int i = 0; i < PQntuples(r); i++)
        printf("%-6s %-10s %-24s %-16s %-16s %s / %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
               PQgetvalue(r, i, 6), PQgetvalue(r, i, 5), PQgetvalue(r, i, 4), PQgetvalue(r, i, 3));
    PQclear(r);
    PQfinish(c);
    return 0;
}

static int s_remove(int argc, char **argv)
{
    static const char *const allowed[] = {"--county", "--dept", "--alias", NULL};
    const char *county = ctl_opt(argc, argv, 1, "--county"), *dept = ctl_opt(argc, argv, 1, "--dept"),
               *alias = ctl_opt(argc, argv, 1, "--alias");
    if (!ctl_opts_ok(argc, argv, 1, allowed) || !county || !dept || !alias) return s_usage();
    char norm[FP_KIND_NORM_MAX];
    if (!s_norm(alias, norm)) return 2;
    PGconn *c = ctl_pg_connect();
    if (!c) return 1;
    const char *p[3] = {county, dept, norm};
    PGresult *r = PQexecParams(c,
                               "DELETE FROM kind_aliases WHERE county_code = $1 AND department_code = $2 AND norm = $3"
                               " RETURNING alias, kind",
                               3, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return s_fail(c, r, "remove");
    int rc = 0;
    if (PQntuples(r) == 1) {
        printf("removed alias '%s' of %s for %s/%s\n", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), county, dept);
    } else {
        fprintf(stderr, "fangpinctl kinds alias remove: %s/%s has no alias written like '%s'\n", county, dept, alias);
        rc = 1;
    }
    PQclear(r);
    PQfinish(c);
    return rc;
}

int ctl_cmd_kinds(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "alias")) {
        if (!strcmp(argv[2], "add")) return s_add(argc - 2, argv + 2);
        if (!strcmp(argv[2], "list")) return s_list(argc - 2, argv + 2);
        if (!strcmp(argv[2], "remove")) return s_remove(argc - 2, argv + 2);
    }
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(s_usage_text, stdout);
        return 0;
    }
    return s_usage();
}
