/* keys.c: `fangpinctl keys make|register|revoke|list`: CURVE certificates on disk and their
 * registration in PostgreSQL (principals, curve_keys), which the services' ZAP handlers read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cert.h"
#include "ctl.h"
#include "migrate.h"
#include "seal.h"

static const char *s_opt(int argc, char **argv, const char *name)
{
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], name)) return argv[i + 1];
    return NULL;
}

static int s_has(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], name)) return 1;
    return 0;
}

/* The county's data key (common/seal.h) beside the certificates: made once, never replaced
 * (--force included: ID numbers sealed with a lost key cannot be matched or recovered). */
static int s_make_data_key(const char *dir)
{
    char path[4096], err[4200];
    snprintf(path, sizeof path, "%s/data.key", dir);
    fp_err_t e = fp_seal_make_keyfile(path, err, sizeof err);
    if (e == FP_ECONFLICT) return 0;
    if (e != FP_OK) {
        fprintf(stderr, "fangpinctl keys make: %s\n", err);
        return 1;
    }
    printf("%s  the county's data key (ID numbers at rest): back it up with the database\n", path);
    return 0;
}

static int s_make(int argc, char **argv)
{
    const char *dir = s_opt(argc, argv, "--dir");
    if (!dir) dir = ctl_env("FANGPIN_KEYS_DIR", "var/keys");
    int force = s_has(argc, argv, "--force"), made = 0, names = 0;
    mkdir(dir, 0755);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dir")) {
            i++;
            continue;
        }
        if (argv[i][0] == '-') continue;
        names++;
        const char *name = argv[i];
        if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(name) ||
            name[0] == '.') {
            fprintf(stderr, "fangpinctl keys make: bad name '%s' (letters, digits, _ . -)\n", name);
            return 2;
        }
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s.key_secret", dir, name);
        if (!force && stat(path, &st) == 0) {
            printf("%s: exists, kept\n", path);
            continue;
        }
        fp_cert_t c;
        if (fp_cert_generate(name, &c) != FP_OK) {
            fprintf(stderr, "fangpinctl keys make: libzmq has no CURVE support\n");
            return 1;
        }
        if (fp_cert_save(&c, dir, name) != FP_OK) {
            fprintf(stderr, "fangpinctl keys make: cannot write %s\n", path);
            return 1;
        }
        printf("%s/%s.key  public key %s\n", dir, name, c.public_key);
        made++;
    }
    if (!names) {
        fprintf(stderr, "usage: fangpinctl keys make [--dir DIR] [--force] NAME...\n");
        return 2;
    }
    return s_make_data_key(dir);
}

static int s_exec(PGconn *c, const char *sql, int n, const char *const *params)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) fprintf(stderr, "fangpinctl: %s", PQresultErrorMessage(r));
    PQclear(r);
    return ok;
}

static int s_ensure_schema(PGconn *c)
{
    if (ctl_migrate(c, "fangpinctl", NULL) != 0) return 0;
    return 1;
}

/* A key given as a certificate file or as the 40-character Z85 text. A file that exists wins:
 * a 40-character path such as /tmp/fp-bench-intake/keys/dept-yibao.key is also valid Z85. */
static int s_key_arg(const char *arg, char out[41])
{
    fp_cert_t c;
    struct stat st;
    if (stat(arg, &st) != 0 && fp_z85_key_valid(arg)) {
        memcpy(out, arg, 41);
        return 1;
    }
    if (fp_cert_load(arg, &c) != FP_OK) {
        fprintf(stderr, "fangpinctl: '%s' is neither a readable certificate file nor a Z85 key\n", arg);
        return 0;
    }
    memcpy(out, c.public_key, 41);
    return 1;
}

/* A level names a region of one length: a "village" actor with a county code would read the
 * whole county. Without a level the region is any code. 0 when it fits, else the exit code. */
static int s_check_region(const char *level, const char *region)
{
    static const struct {
        const char *level;
        size_t len;
    } levels[] = {{"province", 2}, {"prefecture", 4}, {"county", 6}, {"township", 9}, {"village", 12}};
    bool digits = region[strspn(region, "0123456789")] == '\0';
    if (level) {
        size_t want = 0;
        for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
            if (!strcmp(level, levels[i].level)) want = levels[i].len;
        if (!want) {
            fprintf(stderr,
                    "fangpinctl keys register: --level must be province, prefecture, county, township or"
                    " village\n");
            return 2;
        }
        if (strlen(region) != want || !digits) {
            fprintf(stderr, "fangpinctl keys register: a %s's --region is %zu digits, not '%s'\n", level, want, region);
            return 2;
        }
    } else if (!digits) {
        fprintf(stderr, "fangpinctl keys register: --region must be a region code (digits), not '%s'\n", region);
        return 2;
    }
    return 0;
}

/* The county's department row (SubmissionStatus lists these); the code must be one of
 * department_types and the department's region its county. 1 ok, 0 refused (said why). */
static int s_add_department(PGconn *c, const char *county, const char *dept)
{
    const char *d[2] = {county, dept ? dept : ""};
    PGresult *r = PQexecParams(c,
                               "INSERT INTO departments (county_code, code, name_zh, name_en)"
                               " SELECT $1, code, name_zh, name_en FROM department_types WHERE code = $2"
                               " ON CONFLICT DO NOTHING RETURNING 1",
                               2, NULL, d, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) fprintf(stderr, "fangpinctl: %s", PQresultErrorMessage(r));
    PQclear(r);
    if (ok && strlen(county) != 6) {
        fprintf(stderr, "fangpinctl keys register: a department's --region must be its county (6 digits)\n");
        ok = 0;
    }
    if (ok) {
        r = PQexecParams(c, "SELECT 1 FROM department_types WHERE code = $1", 1, NULL, d + 1, NULL, NULL, 0);
        if (PQntuples(r) == 0) {
            fprintf(stderr,
                    "fangpinctl keys register: unknown department code '%s' (see department_types:"
                    " yibao weijian minzheng jiaoyu zhujian shuiwu canlian yingji renshe gongan nongye)\n",
                    d[1]);
            ok = 0;
        }
        PQclear(r);
    }
    return ok;
}

/* A revoked key comes back only on purpose (--force). 1 when key is not a revoked one. */
static int s_not_revoked(PGconn *c, const char *key)
{
    const char *k[1] = {key};
    int ok = 1;
    PGresult *r = PQexecParams(c, "SELECT 1 FROM curve_keys WHERE public_key = $1 AND revoked_at IS NOT NULL", 1, NULL,
                               k, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "fangpinctl: %s", PQresultErrorMessage(r));
        ok = 0;
    } else if (PQntuples(r) > 0) {
        fprintf(stderr,
                "fangpinctl keys register: key %.8s… was revoked; register it again only with --force"
                " (better: make a new key)\n",
                key);
        ok = 0;
    }
    PQclear(r);
    return ok;
}

static int s_register(int argc, char **argv)
{
    const char *id = s_opt(argc, argv, "--id"), *kind = s_opt(argc, argv, "--kind"),
               *name = s_opt(argc, argv, "--name"), *region = s_opt(argc, argv, "--region"),
               *level = s_opt(argc, argv, "--level"), *dept = s_opt(argc, argv, "--dept"),
               *keyarg = s_opt(argc, argv, "--key");
    if (!id || !kind || !name || !region || !keyarg) {
        fprintf(stderr,
                "usage: fangpinctl keys register --id ID --kind department|actor|gateway|admin --name TEXT\n"
                "         --region CODE [--level LEVEL] [--dept CODE] --key FILE.key|Z85 [--force]\n");
        return 2;
    }
    int bad = s_check_region(level, region);
    if (bad) return bad;
    int force = s_has(argc, argv, "--force");
    char key[41];
    if (!s_key_arg(keyarg, key)) return 1;
    char county[7] = "";
    if (strlen(region) >= 6) snprintf(county, sizeof county, "%.6s", region);
    PGconn *c = ctl_pg_connect();
    if (!c) return 1;
    int ok = s_ensure_schema(c) && s_exec(c, "BEGIN", 0, NULL);
    const char *p[7] = {id, kind, name, level, region, dept, county[0] ? county : NULL};
    ok = ok &&
        s_exec(c,
               "INSERT INTO principals (id, kind, display_name, level, region_code, department_code, county_code)"
               " VALUES ($1, $2, $3, $4, $5, $6, $7)"
               " ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, display_name = EXCLUDED.display_name,"
               " level = EXCLUDED.level, region_code = EXCLUDED.region_code,"
               " department_code = EXCLUDED.department_code, county_code = EXCLUDED.county_code,"
               " disabled_at = NULL",
               7, p);
    if (ok && !strcmp(kind, "department")) ok = s_add_department(c, county, dept);
    if (ok && !force) ok = s_not_revoked(c, key);
    const char *k[2] = {key, id};
    ok = ok &&
        s_exec(c,
               "INSERT INTO curve_keys (public_key, principal_id) VALUES ($1, $2)"
               " ON CONFLICT (public_key) DO UPDATE SET principal_id = EXCLUDED.principal_id, revoked_at = NULL",
               2, k);
    ok = ok && s_exec(c, "COMMIT", 0, NULL);
    PQfinish(c);
    if (ok) printf("registered %s (%s, region %s) key %.8s…\n", id, kind, region, key);
    return ok ? 0 : 1;
}

static int s_revoke(int argc, char **argv)
{
    const char *keyarg = s_opt(argc, argv, "--key");
    char key[41];
    if (!keyarg) {
        fprintf(stderr, "usage: fangpinctl keys revoke --key FILE.key|Z85\n");
        return 2;
    }
    if (!s_key_arg(keyarg, key)) return 1;
    PGconn *c = ctl_pg_connect();
    if (!c) return 1;
    const char *p[1] = {key};
    PGresult *r =
        PQexecParams(c, "UPDATE curve_keys SET revoked_at = now() WHERE public_key = $1 AND revoked_at IS NULL", 1,
                     NULL, p, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    int n = ok ? atoi(PQcmdTuples(r)) : 0;
    if (!ok) fprintf(stderr, "fangpinctl: %s", PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    if (ok && n == 0) {
        fprintf(stderr, "fangpinctl keys revoke: no active key %.8s…\n", key);
        return 1;
    }
    if (ok) printf("revoked key %.8s…\n", key);
    return ok ? 0 : 1;
}

static int s_list(void)
{
    PGconn *c = ctl_pg_connect();
    if (!c) return 1;
    PGresult *r = PQexec(c,
                         "SELECT p.id, p.kind, coalesce(p.level, '-'), p.region_code, k.public_key,"
                         " CASE WHEN k.revoked_at IS NOT NULL THEN 'revoked' WHEN p.disabled_at IS NOT NULL"
                         " THEN 'disabled' ELSE 'active' END"
                         " FROM principals p LEFT JOIN curve_keys k ON k.principal_id = p.id ORDER BY p.id");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "fangpinctl: %s", PQresultErrorMessage(r));
        PQclear(r);
        PQfinish(c);
        return 1;
    }
    printf("%-40s %-10s %-10s %-12s %-40s %s\n", "ID", "KIND", "LEVEL", "REGION", "PUBLIC KEY", "STATE");
    for (int i = 0; i < PQntuples(r); i++)
        printf("%-40s %-10s %-10s %-12s %-40s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
               PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5));
    PQclear(r);
    PQfinish(c);
    return 0;
}

int ctl_cmd_keys(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "make")) return s_make(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "register")) return s_register(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "revoke")) return s_revoke(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "list")) return s_list();
    if (argc >= 2 && !strcmp(argv[1], "rotate-data-key")) return ctl_rotate_data_key(argc - 1, argv + 1);
    fprintf(stderr, "usage: fangpinctl keys make|register|revoke|list|rotate-data-key ... (see fangpinctl --help)\n");
    return 2;
}

int ctl_cmd_migrate(int argc, char **argv)
{
    PGconn *c = ctl_pg_connect();
    if (!c) return 1;
    int applied = 0;
    int e = ctl_migrate(c, "fangpinctl migrate", &applied);
    PQfinish(c);
    if (e != 0) {
        return 1;
    }
    printf("schema ready: %d migration(s) applied now, %d in all\n", applied, fp_migrations_count());
    return 0;
}
