/* federation.c: `fangpinctl federation publish|add-county|status|remove-county|refresh`: a prefecture's
 * database holds its counties' rows by PostgreSQL logical replication (docs/federation.md).
 *   publish      on a county, as a superuser: the role fangpin_federation (LOGIN REPLICATION,
 *                its password from the file county IT hands to the prefecture, sent to the
 *                server only as a SCRAM verifier), allowed to read the tables of the publication
 *                fangpin_county (migration 038). Idempotent: run it again after an upgrade.
 *   add-county   on the prefecture, as a superuser: records the level's region (--upper),
 *                makes the database a prefecture's (federation_prefecture_keys(),
 *                functions/federation.sql), then subscribes to the county's publication with
 *                that role and password, the slot at the county named fangpin_<upper>_<county>
 *                (a province's and a prefecture's slots side by side); with
 *                --down-password-file, also the down direction: the role and publication
 *                fangpin_down_<county> of what this level finds of the county (migration 045).
 *   status       on the prefecture: each county's subscription, its tables still copying, the
 *                last position received and how long ago the county was last heard from.
 *   remove-county on the prefecture: drops the subscription and with it the county's replication
 *                slot (the county must answer: docs/federation.md for one gone for good), and the
 *                down direction's publication, role and slot; --purge also deletes the county's rows.
 *   persons      on the prefecture: the people in more than one county (fedpersons.c).
 *   refresh      on the prefecture, after an upgrade that publishes another table.
 *   subscribe-upper, unsubscribe-upper  on a county: feddown.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define S_WHO "fangpinctl federation"

/* A region code of n digits. */
bool ctl_fed_code_ok(const char *c, size_t n)
{
    if (!c || strlen(c) != n) return false;
    for (const char *p = c; *p; p++)
        if (*p < '0' || *p > '9') return false;
    return true;
}

static bool s_county_ok(const char *c) { return ctl_fed_code_ok(c, 6); }

/* The password file's first line, at least 16 characters: 0, or -1 after saying why. */
int ctl_fed_password(const char *path, char *out, size_t cap)
{
    fp_buf_t b = {0};
    if (ctl_read_file(S_WHO, path, "(a password is one line)", &b) < 0) {
        fp_buf_free(&b);
        return -1;
    }
    size_t n = 0;
    while (n < b.len && b.data[n] != '\n' && b.data[n] != '\r') n++;
    bool plain = n > 0;
    for (size_t i = 0; i < n && plain; i++) plain = b.data[i] > ' ' && b.data[i] != '\'' && b.data[i] != '\\';
    if (n < 16 || n >= cap || !plain) {
        fprintf(stderr,
                S_WHO ": %s: the password must be one line of 16 to %zu characters,"
                      " without spaces, quotes or backslashes\n",
                path, cap - 1);
        fp_buf_free(&b);
        return -1;
    }
    memcpy(out, b.data, n);
    out[n] = 0;
    fp_buf_free(&b);
    return 0;
}

static int s_publish(int argc, char **argv)
{
    static const char *const ok[] = {"--password-file", NULL};
    const char *pwfile = ctl_opt(argc, argv, 2, "--password-file");
    if (!pwfile || !ctl_opts_ok(argc, argv, 2, ok)) {
        fprintf(stderr, "usage: fangpinctl federation publish --password-file FILE\n");
        return 2;
    }
    char pw[256];
    if (ctl_fed_password(pwfile, pw, sizeof pw) < 0) return 1;
    PGconn *c = ctl_pg_connect();
    if (!c) return 1;
    char *verifier = PQencryptPasswordConn(c, pw, "fangpin_federation", "scram-sha-256");
    memset(pw, 0, sizeof pw);
    if (!verifier) {
        fprintf(stderr, S_WHO " publish: %s", PQerrorMessage(c));
        PQfinish(c);
        return 1;
    }
    const char *p[1] = {verifier};
    PGresult *r = PQexecParams(c,
                               "DO $$ BEGIN"
                               " IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fangpin_federation') THEN"
                               "  CREATE ROLE fangpin_federation LOGIN REPLICATION; END IF; END $$;",
                               0, NULL, NULL, NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : 1;
    PQclear(r);
    if (!rc) {
        r = PQexecParams(c,
                         "SELECT format('ALTER ROLE fangpin_federation LOGIN REPLICATION PASSWORD %L', $1::text)"
                         " UNION ALL SELECT format('GRANT SELECT ON %I.%I TO fangpin_federation', schemaname, "
                         "tablename)"
                         " FROM pg_publication_tables WHERE pubname = 'fangpin_county'",
                         1, NULL, p, NULL, NULL, 0);
        for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r) && !rc; i++)
            rc = ctl_pg_exec(S_WHO " publish", c, PQgetvalue(r, i, 0), i ? "granting a table" : "the role") ? 1 : 0;
        if (PQresultStatus(r) != PGRES_TUPLES_OK) rc = 1;
    }
    if (rc) fprintf(stderr, S_WHO " publish: %s", PQerrorMessage(c));
    PQclear(r);
    PQfreemem(verifier);
    if (!rc) printf("publication fangpin_county readable by fangpin_federation (LOGIN REPLICATION)\n");
    PQfinish(c);
    return rc;
}

/* CREATE SUBSCRIPTION sub to publication pub at conninfo as role user with password pw, its
 * replication slot there named slot. It runs outside a transaction block and takes no parameters:
 * the conninfo is quoted as a literal by libpq. */
int ctl_fed_subscribe(PGconn *c, const char *who, const char *sub, const char *conninfo, const char *user,
                      const char *pw, const char *pub, const char *slot)
{
    char full[2048];
    int n = snprintf(full, sizeof full, "%s user=%s password='%s'", conninfo, user, pw);
    if (n < 0 || (size_t)n >= sizeof full) {
        fprintf(stderr, "%s: the conninfo is too long\n", who);
        return -1;
    }
    char *lit = PQescapeLiteral(c, full, strlen(full));
    memset(full, 0, sizeof full);
    if (!lit) {
        fprintf(stderr, "%s: %s", who, PQerrorMessage(c));
        return -1;
    }
    char sql[4096];
    snprintf(sql, sizeof sql, "CREATE SUBSCRIPTION %s CONNECTION %s PUBLICATION %s WITH (slot_name = '%s')", sub, lit,
             pub, slot);
    PQfreemem(lit);
    int rc = ctl_pg_exec(who, c, sql, "subscribing");
    memset(sql, 0, sizeof sql);
    return rc;
}

/* Records this upper level's region (federation_level) the first time; a later add-county naming
 * another region is refused. 0, or -1 after saying why. */
static int s_level(PGconn *c, const char *upper)
{
    const char *p[1] = {upper};
    PGresult *r = PQexecParams(c,
                               "WITH i AS (INSERT INTO federation_level (region_code) VALUES ($1)"
                               " ON CONFLICT (only_row) DO NOTHING RETURNING region_code)"
                               " SELECT region_code FROM i UNION ALL SELECT region_code FROM federation_level",
                               1, NULL, p, NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? 0 : -1;
    if (rc) fprintf(stderr, S_WHO " add-county: %s", PQresultErrorMessage(r));
    else if (strcmp(PQgetvalue(r, 0, 0), upper)) {
        fprintf(stderr, S_WHO " add-county: this database is the upper level of region %s, not %s\n",
                PQgetvalue(r, 0, 0), upper);
        rc = -1;
    }
    PQclear(r);
    return rc;
}

/* The down direction to the county (migration 045): its role fangpin_down_<county>, with the
 * password of pwfile sent only as a SCRAM verifier, and its publication of federation_found. */
static int s_down(PGconn *c, const char *county, const char *pwfile)
{
    char pw[256], role[32];
    if (ctl_fed_password(pwfile, pw, sizeof pw) < 0) return -1;
    snprintf(role, sizeof role, "fangpin_down_%s", county);
    char *verifier = PQencryptPasswordConn(c, pw, role, "scram-sha-256");
    memset(pw, 0, sizeof pw);
    if (!verifier) {
        fprintf(stderr, S_WHO " add-county: %s", PQerrorMessage(c));
        return -1;
    }
    const char *p[2] = {county, verifier};
    PGresult *r = PQexecParams(c, "SELECT federation_down_publish($1, $2)", 2, NULL, p, NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;
    if (rc) fprintf(stderr, S_WHO " add-county: the down direction: %s", PQresultErrorMessage(r));
    PQclear(r);
    PQfreemem(verifier);
    return rc;
}

/* Whether the subscription sub exists already (add-county run again, e.g. after the upgrade that
 * brought --upper and the down direction): 1, 0, or -1 after saying why. */
static int s_subscribed(PGconn *c, const char *sub)
{
    const char *p[1] = {sub};
    /* pg_subscription is shared by the cluster's databases: a province's database beside its
     * prefecture's (as in it_federation) has subscriptions of the same names */
    PGresult *r = PQexecParams(c,
                               "SELECT count(*) FROM pg_subscription WHERE subname = $1"
                               " AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
                               1, NULL, p, NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? strcmp(PQgetvalue(r, 0, 0), "0") != 0 : -1;
    if (rc < 0) fprintf(stderr, S_WHO " add-county: %s", PQresultErrorMessage(r));
    PQclear(r);
    return rc;
}

static int s_add_usage(void)
{
    fprintf(stderr,
            "usage: fangpinctl federation add-county --upper REGION --county CODE --conninfo 'host=.. port=.. "
            "dbname=..' --password-file FILE [--down-password-file FILE]\n"
            "  --upper is this database's own region (4 digits a prefecture, 2 a province) and the county's"
            " code begins with it; --conninfo names the county's host, port and database only (the role is"
            " fangpin_federation, the password comes from --password-file)\n");
    return 2;
}

static int s_add(int argc, char **argv)
{
    static const char *const ok[] = {"--county", "--upper", "--conninfo", "--password-file", "--down-password-file",
                                     NULL};
    const char *county = ctl_opt(argc, argv, 2, "--county"), *ci = ctl_opt(argc, argv, 2, "--conninfo"),
               *pwfile = ctl_opt(argc, argv, 2, "--password-file"), *upper = ctl_opt(argc, argv, 2, "--upper"),
               *down = ctl_opt(argc, argv, 2, "--down-password-file");
    if (!county || !ci || !pwfile || !upper || !ctl_opts_ok(argc, argv, 2, ok)) return s_add_usage();
    if (!s_county_ok(county) || !(ctl_fed_code_ok(upper, 2) || ctl_fed_code_ok(upper, 4)) ||
        strncmp(county, upper, strlen(upper)) || strstr(ci, "password") || strstr(ci, "user="))
        return s_add_usage();
    char pw[256];
    if (ctl_fed_password(pwfile, pw, sizeof pw) < 0) return 1;
    PGconn *c = ctl_pg_connect();
    if (!c) return 1;
    char sub[64], slot[64];
    snprintf(sub, sizeof sub, "fangpin_county_%s", county);
    snprintf(slot, sizeof slot, "fangpin_%s_%s", upper, county); /* each upper level its own slot */
    int rc = s_level(c, upper);
    if (!rc)
        rc = ctl_pg_exec(S_WHO " add-county", c, "SELECT federation_prefecture_keys()", "keying the tables by county");
    if (!rc && down) rc = s_down(c, county, down);
    int had = rc ? 0 : s_subscribed(c, sub);
    if (had < 0) rc = -1;
    if (!rc && !had)
        rc = ctl_fed_subscribe(c, S_WHO " add-county", sub, ci, "fangpin_federation", pw, "fangpin_county", slot);
    memset(pw, 0, sizeof pw);
    if (!rc) {
        const char *p[2] = {county, sub};
        PGresult *r = PQexecParams(c,
                                   "INSERT INTO federation_counties (county_code, subscription) VALUES ($1, $2)"
                                   " ON CONFLICT (county_code) DO UPDATE SET subscription = $2, added_at = now(),"
                                   " removed_at = NULL",
                                   2, NULL, p, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            fprintf(stderr, S_WHO " add-county: %s", PQresultErrorMessage(r));
            rc = -1;
        }
        PQclear(r);
    }
    if (!rc && had) printf("county %s already subscribed (%s): kept as it is\n", county, sub);
    else if (!rc)
        printf("county %s subscribed (%s, slot %s at the county): its rows are being copied\n", county, sub, slot);
    if (!rc && down)
        printf("fangpin_down_%s published: the county runs fangpinctl federation subscribe-upper --upper %s\n", county,
               upper);
    PQfinish(c);
    return rc ? 1 : 0;
}

static int s_status(int argc, char **argv)
{
    (void)argv;
    if (argc != 2) {
        fprintf(stderr, "usage: fangpinctl federation status\n");
        return 2;
    }
    PGconn *c = ctl_pg_connect();
    if (!c) return 1;
    PGresult *r =
        PQexec(c,
               "SELECT f.county_code, coalesce(s.subenabled::text, 'missing'),"
               " (SELECT count(*) FROM pg_subscription_rel sr WHERE sr.srsubid = s.oid AND sr.srsubstate <> 'r'),"
               " coalesce((SELECT max(county_position) FROM events e WHERE e.county_code = f.county_code), 0),"
               " coalesce(round(extract(epoch FROM now() - max(st.last_msg_receipt_time)))::text, '-'),"
               " coalesce(max(st.received_lsn)::text, '-')"
               " FROM federation_counties f LEFT JOIN pg_subscription s ON s.subname = f.subscription"
               "  AND s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
               " LEFT JOIN pg_stat_subscription st ON st.subid = s.oid AND st.relid IS NULL"
               " WHERE f.removed_at IS NULL GROUP BY f.county_code, s.subenabled, s.oid ORDER BY 1");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, S_WHO " status: %s", PQresultErrorMessage(r));
        PQclear(r);
        PQfinish(c);
        return 1;
    }
    printf("%-8s %-8s %-8s %-16s %-12s %s\n", "COUNTY", "ENABLED", "COPYING", "COUNTY POSITION", "HEARD (S)",
           "RECEIVED LSN");
    for (int i = 0; i < PQntuples(r); i++)
        printf("%-8s %-8s %-8s %-16s %-12s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
               PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5));
    PQclear(r);
    PQfinish(c);
    return 0;
}

static int s_remove(int argc, char **argv)
{
    const char *county = argc >= 4 && !strcmp(argv[2], "--county") ? argv[3] : NULL;
    bool purge = argc == 5 && !strcmp(argv[4], "--purge");
    if (!s_county_ok(county) || (argc != 4 && !purge)) {
        fprintf(stderr, "usage: fangpinctl federation remove-county --county CODE [--purge]\n");
        return 2;
    }
    PGconn *c = ctl_pg_connect();
    if (!c) return 1;
    char sql[256];
    snprintf(sql, sizeof sql, "DROP SUBSCRIPTION IF EXISTS fangpin_county_%s", county);
    int rc = ctl_pg_exec(S_WHO " remove-county", c, sql, "dropping the subscription");
    const char *p[2] = {county, purge ? "t" : "f"};
    PGresult *r = rc ? NULL
                     : PQexecParams(c, "SELECT federation_forget_county($1, $2::boolean), federation_down_forget($1)", 2,
                                    NULL, p, NULL, NULL, 0);
    if (r && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, S_WHO " remove-county: %s", PQresultErrorMessage(r));
        rc = -1;
    } else if (r) printf("county %s removed; %s rows deleted\n", county, PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
    return rc ? 1 : 0;
}

/* After an upgrade that publishes another table (the prefecture migrated first, so it has the
 * table): every county's subscription learns it, and copies its rows. */
static int s_refresh(int argc, char **argv)
{
    (void)argv;
    if (argc != 2) {
        fprintf(stderr, "usage: fangpinctl federation refresh\n");
        return 2;
    }
    PGconn *c = ctl_pg_connect();
    if (!c) return 1;
    PGresult *r = PQexec(c, "SELECT subscription FROM federation_counties WHERE removed_at IS NULL ORDER BY 1");
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;
    if (rc) fprintf(stderr, S_WHO " refresh: %s", PQresultErrorMessage(r));
    for (int i = 0; !rc && i < PQntuples(r); i++) {
        char *id = PQescapeIdentifier(c, PQgetvalue(r, i, 0), strlen(PQgetvalue(r, i, 0)));
        char sql[256];
        snprintf(sql, sizeof sql, "ALTER SUBSCRIPTION %s REFRESH PUBLICATION", id ? id : "\"\"");
        PQfreemem(id);
        rc = ctl_pg_exec(S_WHO " refresh", c, sql, "refreshing a subscription");
    }
    if (!rc) printf("%d subscription(s) refreshed\n", PQntuples(r));
    PQclear(r);
    PQfinish(c);
    return rc ? 1 : 0;
}

int ctl_cmd_federation(int argc, char **argv)
{
    const char *sub = argc >= 2 ? argv[1] : "";
    if (!strcmp(sub, "publish")) return s_publish(argc, argv);
    if (!strcmp(sub, "add-county")) return s_add(argc, argv);
    if (!strcmp(sub, "status")) return s_status(argc, argv);
    if (!strcmp(sub, "remove-county")) return s_remove(argc, argv);
    if (!strcmp(sub, "persons")) return ctl_federation_persons(argc, argv);
    if (!strcmp(sub, "refresh")) return s_refresh(argc, argv);
    if (!strcmp(sub, "subscribe-upper")) return ctl_federation_subscribe_upper(argc, argv);
    if (!strcmp(sub, "unsubscribe-upper")) return ctl_federation_unsubscribe_upper(argc, argv);
    fprintf(stderr,
            "usage: fangpinctl federation publish|add-county|status|remove-county|persons|refresh|subscribe-upper|"
            "unsubscribe-upper ...\n"
            "  publish --password-file FILE      (on a county: the role and grants for the prefecture)\n"
            "  add-county --upper REGION --county CODE --conninfo 'host=.. port=.. dbname=..' --password-file FILE\n"
            "             [--down-password-file FILE]\n"
            "  status\n"
            "  remove-county --county CODE [--purge]\n"
            "  persons --keys DIR                (the people in more than one county; fedpersons.c)\n"
            "  refresh\n"
            "  subscribe-upper --upper REGION --county CODE --conninfo 'host=.. port=.. dbname=..' --password-file FILE\n"
            "                                    (on a county: what the upper level finds of it; feddown.c)\n"
            "  unsubscribe-upper --upper REGION\n"
            "see docs/federation.md\n");
    return 2;
}
