/* profile.c: `fangpinctl profile add|list|show|remove`: the departments' column profiles (table
 * push_profiles, migration 025; docs/push.md "Column profiles"), how each department's export
 * file is laid out, which `fangpinctl push --profile NAME` fetches through intake. A profile's
 * text is checked here (common/profile.h) before it is stored; each add of a name is a new
 * version, and remove retires the name (its versions stay readable with show). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "profile.h"

static const char s_usage_text[] =
    "usage: fangpinctl profile add NAME --dept CODE --file PROFILE.ini [--county CODE] [--by WHO]\n"
    "       fangpinctl profile list [--dept CODE] [--county CODE]\n"
    "       fangpinctl profile show NAME [--version N] [--dept CODE] [--county CODE]\n"
    "       fangpinctl profile remove NAME [--dept CODE] [--county CODE] [--by WHO]\n"
    "A profile says which column of a department's file gives each lead field, the date forms, the\n"
    "unit of amounts and the columns kept in the detail (docs/push.md, \"Column profiles\"). NAME is\n"
    "1 to 63 of a-z, 0-9, '_', '.', '-'. --county may be left out while the department's code is\n"
    "one county's only. Adding a name again makes a new version; push uses the newest unless\n"
    "given NAME@VERSION. remove retires the name: push refuses it, show still reads it.\n";

static int s_usage(void)
{
    fputs(s_usage_text, stderr);
    return 2;
}

static int s_fail(PGconn *c, PGresult *r, const char *what)
{
    fprintf(stderr, "fangpinctl profile %s: %s", what, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    return 1;
}

static bool s_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n >= 1 && n <= 63 && strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n && name[0] != '.' &&
        name[0] != '_' && name[0] != '-')
        return true;
    fprintf(stderr,
            "fangpinctl profile: '%s' is not a profile name: 1 to 63 of a-z, 0-9, '_', '.', '-', starting"
            " with a letter or digit\n",
            name);
    return false;
}

/* The (county, department) a command means: for add, the department's county (--county or the
 * one county with that department code); otherwise the one department that has the name. 0,
 * or 1 after printing why. */
static int s_which(PGconn *c, const char *what, const char *name, const char *dept, const char *county,
                   char out_county[8], char out_dept[40])
{
    const char *p[3] = {name, dept, county};
    PGresult *r = PQexecParams(c,
                               name ? "SELECT DISTINCT county_code, department_code FROM push_profiles WHERE name = $1"
                                      " AND ($2::text IS NULL OR department_code = $2)"
                                      " AND ($3::text IS NULL OR county_code = $3) ORDER BY 1, 2"
                                    : "SELECT county_code, code FROM departments WHERE $1::text IS NULL AND code = $2"
                                      " AND ($3::text IS NULL OR county_code = $3) ORDER BY 1",
                               3, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "fangpinctl profile %s: %s", what, PQresultErrorMessage(r));
        PQclear(r);
        return 1;
    }
    int n = PQntuples(r);
    if (n == 1) {
        snprintf(out_county, 8, "%s", PQgetvalue(r, 0, 0));
        snprintf(out_dept, 40, "%s", PQgetvalue(r, 0, 1));
    } else if (n == 0 && name) {
        fprintf(stderr, "fangpinctl profile %s: no profile %s%s%s (see fangpinctl profile list)\n", what, name,
                dept ? " of department " : "", dept ? dept : "");
    } else if (n == 0) {
        fprintf(stderr, "fangpinctl profile %s: no department %s%s%s\n", what, dept, county ? " in county " : "",
                county ? county : "");
    } else {
        fprintf(stderr, "fangpinctl profile %s: %s is %s of %d: say which with --county%s:", what, name ? name : dept,
                name ? "a profile" : "a department", n, name ? " and --dept" : "");
        for (int i = 0; i < n; i++) fprintf(stderr, " %s/%s", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
        fprintf(stderr, "\n");
    }
    PQclear(r);
    return n == 1 ? 0 : 1;
}

/* A connection and the department of the profile argv[1] (--dept, --county narrow it), or NULL
 * after printing why. */
static PGconn *s_connect_which(int argc, char **argv, const char *what, char cty[8], char dep[40])
{
    PGconn *c = ctl_pg_connect();
    if (c &&
        s_which(c, what, argv[1], ctl_opt(argc, argv, 2, "--dept"), ctl_opt(argc, argv, 2, "--county"), cty, dep)) {
        PQfinish(c);
        c = NULL;
    }
    return c;
}

/* Reads and checks the profile's text; 0, or 2 after printing why. */
static int s_read(const char *path, fp_buf_t *text)
{
    if (ctl_read_file("fangpinctl profile add", path, "into several profiles", text)) return 2;
    fp_profile_t p;
    char err[512];
    if (fp_profile_parse(text->data ? text->data : "", text->len, &p, err, sizeof err) != FP_OK) {
        fprintf(stderr, "fangpinctl profile add: %s: %s\n", path, err);
        return 2;
    }
    fp_buf_append(text, "", 1); /* as a C string */
    return 0;
}

static int s_add(int argc, char **argv)
{
    static const char *const allowed[] = {"--dept", "--file", "--county", "--by", NULL};
    if (argc < 2 || argv[1][0] == '-') return s_usage();
    const char *name = argv[1], *dept = ctl_opt(argc, argv, 2, "--dept"), *file = ctl_opt(argc, argv, 2, "--file"),
               *county = ctl_opt(argc, argv, 2, "--county"), *by = ctl_opt(argc, argv, 2, "--by");
    if (!ctl_opts_ok(argc, argv, 2, allowed) || !dept || !file) return s_usage();
    if (!s_name_ok(name)) return 2;
    fp_buf_t text = {0};
    int rc = s_read(file, &text);
    PGconn *c = rc ? NULL : ctl_pg_connect();
    char cty[8], dep[40];
    if (!c || s_which(c, "add", NULL, dept, county, cty, dep)) {
        fp_buf_free(&text);
        if (c) PQfinish(c);
        return rc ? rc : 1;
    }
    const char *p[5] = {cty, dep, name, text.data, by ? by : ctl_env("USER", "fangpinctl")};
    /* the same text as the newest live version adds nothing: running the same add twice is safe */
    PGresult *r = PQexecParams(c,
                               "WITH last AS (SELECT version, body, retired_at FROM push_profiles"
                               "  WHERE county_code = $1 AND department_code = $2 AND name = $3"
                               "  ORDER BY version DESC LIMIT 1),"
                               " ins AS (INSERT INTO push_profiles (county_code, department_code, name, version, body,"
                               "  added_by) SELECT $1, $2, $3, COALESCE((SELECT version FROM last), 0) + 1, $4, $5"
                               "  WHERE NOT EXISTS (SELECT 1 FROM last WHERE body = $4 AND retired_at IS NULL)"
                               "  RETURNING version)"
                               " SELECT version, true FROM ins UNION ALL SELECT version, false FROM last"
                               "  WHERE NOT EXISTS (SELECT 1 FROM ins)",
                               5, NULL, p, NULL, NULL, 0);
    fp_buf_free(&text);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) return s_fail(c, r, "add");
    if (!strcmp(PQgetvalue(r, 0, 1), "t"))
        printf("added profile %s version %s for %s/%s\n", name, PQgetvalue(r, 0, 0), cty, dep);
    else
        printf("profile %s version %s for %s/%s already has this text: nothing added\n", name, PQgetvalue(r, 0, 0), cty,
               dep);
    PQclear(r);
    PQfinish(c);
    return 0;
}

static int s_list(int argc, char **argv)
{
    static const char *const allowed[] = {"--dept", "--county", NULL};
    if (!ctl_opts_ok(argc, argv, 1, allowed)) return s_usage();
    const char *p[2] = {ctl_opt(argc, argv, 1, "--dept"), ctl_opt(argc, argv, 1, "--county")};
    PGconn *c = ctl_pg_connect();
    if (!c) return 1;
    PGresult *r = PQexecParams(c,
                               "SELECT DISTINCT ON (county_code, department_code, name) county_code, department_code,"
                               " name, version, CASE WHEN retired_at IS NULL THEN 'live' ELSE 'retired' END, added_by,"
                               " to_char(added_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI')"
                               " FROM push_profiles WHERE ($1::text IS NULL OR department_code = $1)"
                               " AND ($2::text IS NULL OR county_code = $2)"
                               " ORDER BY county_code, department_code, name, version DESC",
                               2, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return s_fail(c, r, "list");
    printf("%-6s %-10s %-24s %-7s %-7s %-16s %s\n", "COUNTY", "DEPT", "NAME", "VERSION", "STATUS", "ADDED", "BY");
    for (int i = 0; i < PQntuples(r); i++)
        printf("%-6s %-10s %-24s %-7s %-7s %-16s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
               PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 6), PQgetvalue(r, i, 5));
    PQclear(r);
    PQfinish(c);
    return 0;
}

static int s_show(int argc, char **argv)
{
    static const char *const allowed[] = {"--version", "--dept", "--county", NULL};
    if (argc < 2 || argv[1][0] == '-' || !ctl_opts_ok(argc, argv, 2, allowed)) return s_usage();
    const char *name = argv[1], *version = ctl_opt(argc, argv, 2, "--version");
    if (!s_name_ok(name)) return 2;
    if (version && (strspn(version, "0123456789") != strlen(version) || !version[0] || strlen(version) > 9)) {
        fprintf(stderr, "fangpinctl profile show: --version is a version number (1, 2, ...)\n");
        return 2;
    }
    char cty[8], dep[40];
    PGconn *c = s_connect_which(argc, argv, "show", cty, dep);
    if (!c) return 1;
    const char *p[4] = {cty, dep, name, version};
    PGresult *r = PQexecParams(c,
                               "SELECT version, body, added_by, to_char(added_at AT TIME ZONE 'Asia/Shanghai',"
                               " 'YYYY-MM-DD HH24:MI'), retired_by, to_char(retired_at AT TIME ZONE 'Asia/Shanghai',"
                               " 'YYYY-MM-DD HH24:MI'), (SELECT max(version) FROM push_profiles WHERE county_code = $1"
                               " AND department_code = $2 AND name = $3)"
                               " FROM push_profiles WHERE county_code = $1 AND department_code = $2 AND name = $3"
                               " AND ($4::int IS NULL OR version = $4::int) ORDER BY version DESC LIMIT 1",
                               4, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return s_fail(c, r, "show");
    int rc = 0;
    if (PQntuples(r) == 0) {
        fprintf(stderr, "fangpinctl profile show: %s of %s/%s has no version %s\n", name, cty, dep, version);
        rc = 1;
    } else {
        printf("# profile %s version %s of %s (%s/%s), added by %s at %s%s%s%s%s\n", name, PQgetvalue(r, 0, 0),
               PQgetvalue(r, 0, 6), cty, dep, PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3),
               PQgetisnull(r, 0, 5) ? "" : "; retired by ", PQgetvalue(r, 0, 4), PQgetisnull(r, 0, 5) ? "" : " at ",
               PQgetvalue(r, 0, 5));
        const char *body = PQgetvalue(r, 0, 1);
        size_t n = strlen(body);
        printf("%s%s", body, n && body[n - 1] == '\n' ? "" : "\n");
    }
    PQclear(r);
    PQfinish(c);
    return rc;
}

static int s_remove(int argc, char **argv)
{
    static const char *const allowed[] = {"--dept", "--county", "--by", NULL};
    if (argc < 2 || argv[1][0] == '-' || !ctl_opts_ok(argc, argv, 2, allowed)) return s_usage();
    const char *name = argv[1], *by = ctl_opt(argc, argv, 2, "--by");
    if (!s_name_ok(name)) return 2;
    char cty[8], dep[40];
    PGconn *c = s_connect_which(argc, argv, "remove", cty, dep);
    if (!c) return 1;
    const char *p[4] = {cty, dep, name, by ? by : ctl_env("USER", "fangpinctl")};
    PGresult *r = PQexecParams(c,
                               "UPDATE push_profiles SET retired_at = now(), retired_by = $4 WHERE county_code = $1"
                               " AND department_code = $2 AND name = $3 AND retired_at IS NULL",
                               4, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) return s_fail(c, r, "remove");
    int n = atoi(PQcmdTuples(r));
    if (n)
        printf("retired profile %s of %s/%s (%d version%s; show still reads them)\n", name, cty, dep, n,
               n == 1 ? "" : "s");
    else printf("profile %s of %s/%s was already retired\n", name, cty, dep);
    PQclear(r);
    PQfinish(c);
    return 0;
}

int ctl_cmd_profile(int argc, char **argv)
{
    if (argc >= 2) {
        if (!strcmp(argv[1], "add")) return s_add(argc - 1, argv + 1);
        if (!strcmp(argv[1], "list")) return s_list(argc - 1, argv + 1);
        if (!strcmp(argv[1], "show")) return s_show(argc - 1, argv + 1);
        if (!strcmp(argv[1], "remove")) return s_remove(argc - 1, argv + 1);
    }
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(s_usage_text, stdout);
        return 0;
    }
    return s_usage();
}
