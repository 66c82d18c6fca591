/* main.c: fangpinctl, the command-line client for people and scripts: import regions, make
 * and register keys, ping services, apply migrations. Later issues add push, case, plan,
 * tail and report. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "db.h"
#include "log.h"
#include "migrate.h"
#include "seal.h"

const char *ctl_env(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

PGconn *ctl_pg_connect(void)
{
    const char *ci = ctl_env("FANGPIN_PG", "host=127.0.0.1 port=5432 dbname=fangpin user=postgres");
    /* connect_timeout and keepalives unless FANGPIN_PG sets them: a stopped server is an error */
    char *with = fp_db_conninfo_defaults(ci);
    PGconn *c = PQconnectdb(with ? with : ci);
    free(with);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "fangpinctl: cannot connect to PostgreSQL (FANGPIN_PG): %s", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    return c;
}

int ctl_pg_exec(const char *who, PGconn *c, const char *sql, const char *what)
{
    PGresult *res = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(res);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok) fprintf(stderr, "%s: %s: %s", who, what, PQresultErrorMessage(res));
    PQclear(res);
    return ok ? 0 : -1;
}

#define S_MAX_FILE (1024L * 1024 * 1024) /* bytes */

int ctl_pg_copy(PGconn *c, const char *who, const char *copy_sql, const fp_buf_t *b)
{
    PGresult *res = PQexec(c, copy_sql);
    int bad = PQresultStatus(res) != PGRES_COPY_IN;
    if (bad) fprintf(stderr, "%s: COPY: %s", who, PQresultErrorMessage(res));
    PQclear(res);
    if (!bad) bad = (b->len && PQputCopyData(c, b->data, (int)b->len) != 1) || PQputCopyEnd(c, NULL) != 1;
    while ((res = PQgetResult(c))) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            fprintf(stderr, "%s: COPY: %s", who, PQresultErrorMessage(res));
            bad = 1;
        }
        PQclear(res);
    }
    return bad ? -1 : 0;
}

FILE *ctl_open_file(const char *who, const char *path, const char *split, long *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open %s: %s\n", who, path, strerror(errno));
        return NULL;
    }
    struct stat st;
    *size = 0;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "%s: %s is a folder, not a CSV file\n", who, path);
        fclose(f);
        return NULL;
    }
    if (fstat(fileno(f), &st) == 0 && st.st_size > S_MAX_FILE) {
        fprintf(stderr, "%s: %s is larger than 1 GiB: split it %s\n", who, path, split);
        fclose(f);
        return NULL;
    }
    if (fstat(fileno(f), &st) == 0 && st.st_size > 0) *size = (long)st.st_size;
    return f;
}

int ctl_read_file(const char *who, const char *path, const char *split, fp_buf_t *out)
{
    long size;
    FILE *f = ctl_open_file(who, path, split, &size);
    if (!f) return -1;
    if (size > 0) fp_buf_reserve(out, (size_t)size);
    /* straight into the buffer (no copy through a block of its own), 64 KiB at most a read so
     * that a file grown past 1 GiB since its size was read is refused after as little */
    for (;;) {
        if (out->cap - out->len < 2) fp_buf_reserve(out, 65536);
        size_t room = out->cap - out->len - 1;
        size_t n = fread(out->data + out->len, 1, room < 65536 ? room : 65536, f);
        if (n == 0) break;
        if (out->len + n > (size_t)S_MAX_FILE) {
            fprintf(stderr, "%s: %s is larger than 1 GiB: split it %s\n", who, path, split);
            fclose(f);
            return -1;
        }
        out->len += n;
    }
    out->data[out->len] = '\0';
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "%s: cannot read %s: %s\n", who, path, strerror(errno));
        return -1;
    }
    return 0;
}

struct fp_seal *ctl_data_key(bool required, bool *failed)
{
    char path[4096], err[4200];
    fp_seal_default_path(path, sizeof path);
    *failed = false;
    if (!required && access(path, F_OK) != 0) return NULL;
    fp_seal_t *seal = NULL;
    if (fp_seal_load(path, &seal, err, sizeof err) != FP_OK) {
        fprintf(stderr, "fangpinctl: %s%s\n", err,
                required ? " (FANGPIN_DATA_KEY or FANGPIN_KEYS_DIR names the county's data key; "
                           "fangpinctl keys make writes one)"
                         : "");
        *failed = true;
    }
    return seal;
}

const char *ctl_opt(int argc, char **argv, int from, const char *name)
{
    for (int i = from; i + 1 < argc; i += 2)
        if (!strcmp(argv[i], name)) return argv[i + 1];
    return NULL;
}

bool ctl_opts_ok(int argc, char **argv, int from, const char *const *allowed)
{
    if ((argc - from) % 2) return false;
    for (int i = from; i < argc; i += 2) {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++) ok = !strcmp(argv[i], *a);
        if (!ok) return false;
    }
    return true;
}

int ctl_migrate(PGconn *c, const char *who, int *applied)
{
    bool failed;
    fp_seal_t *seal = ctl_data_key(false, &failed);
    char err[1024];
    fp_err_t e = failed ? FP_ECONFIG : fp_migrate_blocking(c, seal, applied, err, sizeof err);
    fp_seal_free(&seal);
    if (e == FP_OK) return 0;
    if (!failed) fprintf(stderr, "%s: migrating the schema: %s\n", who, err);
    return -1;
}

static void s_usage(FILE *out)
{
    fprintf(out,
            "fangpinctl %s: the fangpin command-line client\n\n"
            "Usage: fangpinctl COMMAND [ARGS]\n\n"
            "  regions import FILE...     load division-code CSV files (plain or .gz), idempotent\n"
            "  regions stats [PREFIX]     count regions per level under a prefix\n"
            "  keys make [--dir D] [--force] NAME...\n"
            "                             write D/NAME.key and D/NAME.key_secret (ZeroMQ certificates),\n"
            "                             and D/data.key, the county's data key, if there is none\n"
            "  keys register --id ID --kind department|actor|gateway|admin --name TEXT --region CODE\n"
            "                [--level L] [--dept CODE] --key FILE.key [--force]\n"
            "                             register a principal and its public key; the region's length\n"
            "                             must match the level (county 6 digits, village 12...), and a\n"
            "                             revoked key is registered again only with --force\n"
            "  keys revoke --key FILE.key|Z85   revoke a key (takes effect at once)\n"
            "  keys list                  list registered principals and keys\n"
            "  keys rotate-data-key --new FILE [--old FILE]\n"
            "                             re-seal every ID number with a new data key (made if FILE is\n"
            "                             missing); the old key is FANGPIN_DATA_KEY's by default\n"
            "  ping SERVICE               ping intake|screening|assistance|reporting over CURVE\n"
            "  migrate                    apply the database schema migrations\n"
            "  push --dept NAME --period YYYY-MM [--profile NAME[@VERSION]] FILE.csv\n"
            "                             send a department's CSV of leads to intake, its columns read\n"
            "                             by a column profile; writes FILE.results.csv (see push --help)\n"
            "  ledger import FILE...      load quarterly census CSVs of the rural population ledger\n"
            "                             (乡村人口台账); writes FILE.results.csv (see ledger --help)\n"
            "  tail --region PREFIX [--from N] [--types a,b] [--count N] [--timeout-ms T]\n"
            "                             follow the event stream of a region (replay from N, then live)\n"
            "  case list|show|visit|notice|object|review|approve|identify|return|close ...\n"
            "                             the verification case over CURVE to screening (see case --help)\n"
            "  plan list|show|open|income ...   assistance plans (一户一策) and what the plan checks found\n"
            "  measure add|status ...     a plan's measures and their status\n"
            "  check add|unchecked|summary ...  the quarterly checks of measures, the county's summary\n"
            "  eliminate PLAN EVENT ...   risk elimination: nominate, post_notice, objection, approve,\n"
            "                             confirm, announce, return, refuse, undo (see plan --help)\n"
            "  report get|reopen REPORT --region PREFIX --period P [--format table|csv|xlsx] [--out F]\n"
            "                             a report as a table in the terminal, saved as CSV or XLSX\n"
            "  token add --principal ID [--label TEXT] [--days N] | list [--principal ID] | revoke ID\n"
            "                             bearer tokens for the reporting HTTP port (downloads, /events);\n"
            "                             add prints the new token once on stdout\n"
            "  quality run|list|explain ...  the data-quality checks (疑点) and their findings (see quality --help)\n"
            "  kinds alias add|list|remove ...  the names a department may write for a lead kind\n"
            "                             (see kinds --help)\n"
            "  profile add|list|show|remove ...  the departments' column profiles, versioned, which\n"
            "                             push --profile reads (see profile --help)\n"
            "  compare export|import --dept NAME ...  data comparison with a department (数据比对): the\n"
            "                             audited export of its ledger slice, and its answer file\n"
            "                             (see compare --help)\n"
            "  category confirm|leave|decline|list|referrals|param ...  the rural low-income population's\n"
            "                             categories: civil affairs' decisions, the households sent to\n"
            "                             it, the parameters (see category --help; docs/lowincome.md)\n"
            "  mode set|show COUNTY ...   a county's fangpin_mode (separate|unified) by effective date\n"
            "  federation publish|add-county|status|remove-county|persons|refresh|subscribe-upper|\n"
            "             unsubscribe-upper ...  a prefecture's database holding its counties' rows by\n"
            "                             logical replication; the people found in two counties, sent\n"
            "                             back down to them (docs/federation.md)\n\n"
            "Environment: FANGPIN_PG (database), FANGPIN_KEYS_DIR (key folder), FANGPIN_CLIENT_CERT\n"
            "(this client's secret certificate, default $FANGPIN_KEYS_DIR/admin.key_secret),\n"
            "FANGPIN_<SERVICE>_CONNECT (endpoint to reach a service, e.g. tcp://127.0.0.1:7101).\n"
            "Source var/fangpin.env after `make up` to get them all.\n",
            FANGPIN_VERSION);
}

int main(int argc, char **argv)
{
    /* The library's JSON logs are for services; a person at a terminal sees warnings only. */
    fp_log_init("fangpinctl", FP_LOG_WARN);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        s_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("fangpinctl %s (schema %s)\n", FANGPIN_VERSION, fp_migrations_schema());
        return 0;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"regions", ctl_cmd_regions}, {"keys", ctl_cmd_keys},      {"ping", ctl_cmd_ping},
                {"migrate", ctl_cmd_migrate}, {"push", ctl_cmd_push},      {"ledger", ctl_cmd_ledger},
                {"tail", ctl_cmd_tail},       {"case", ctl_cmd_case},      {"plan", ctl_cmd_plan},
                {"measure", ctl_cmd_measure}, {"check", ctl_cmd_check},    {"eliminate", ctl_cmd_eliminate},
                {"report", ctl_cmd_report},   {"token", ctl_cmd_token},    {"quality", ctl_cmd_quality},
                {"kinds", ctl_cmd_kinds},     {"profile", ctl_cmd_profile}, {"compare", ctl_cmd_compare},
                {"category", ctl_cmd_category}, {"mode", ctl_cmd_mode},
                {"federation", ctl_cmd_federation}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name)) return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "fangpinctl: unknown command '%s'\n\n", argv[1]);
    s_usage(stderr);
    return 2;
}
