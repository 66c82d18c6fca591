/* feddown.c: on a county, as a superuser, the down direction of federation (migration 045,
 * docs/federation.md "What flows down"): what its prefecture or province finds of it (a person
 * also in another county, federation_found) arrives by PostgreSQL's logical replication.
 *   subscribe-upper --upper REGION --county CODE --conninfo '..' --password-file FILE
 *       subscribes (fangpin_upper_<region>) to the upper level's publication fangpin_down_<county>
 *       as its role fangpin_down_<county>, with the password the upper level's IT handed over
 *       (add-county --down-password-file made them); the slot at the upper level is named
 *       fangpin_down_<county>. The rows land in the county's federation_found, read by the
 *       data-quality rule Q008 at the county's next run.
 *   unsubscribe-upper --upper REGION
 *       drops that subscription (and its slot at the upper level, when that level still answers
 *       as the county's role; after the upper level's remove-county, which dropped both, the
 *       subscription alone), and what that level had found, so that the next run closes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define S_WHO "fangpinctl federation subscribe-upper"

static bool s_upper_ok(const char *u) { return ctl_fed_code_ok(u, 2) || ctl_fed_code_ok(u, 4); }

int ctl_federation_subscribe_upper(int argc, char **argv)
{
    static const char *const ok[] = {"--upper", "--county", "--conninfo", "--password-file", NULL};
    const char *upper = ctl_opt(argc, argv, 2, "--upper"), *county = ctl_opt(argc, argv, 2, "--county"),
               *ci = ctl_opt(argc, argv, 2, "--conninfo"), *pwfile = ctl_opt(argc, argv, 2, "--password-file");
    if (!upper || !county || !ci || !pwfile || !ctl_opts_ok(argc, argv, 2, ok) || !s_upper_ok(upper) ||
        !ctl_fed_code_ok(county, 6) || strncmp(county, upper, strlen(upper)) || strstr(ci, "password") ||
        strstr(ci, "user=")) {
        fprintf(stderr,
                "usage: fangpinctl federation subscribe-upper --upper REGION --county CODE --conninfo 'host=.. "
                "port=.. dbname=..' --password-file FILE\n"
                "  REGION is the upper level's code (4 digits a prefecture, 2 a province), CODE this county's,"
                " which begins with it; --conninfo names the upper level's host, port and database only (the role"
                " is fangpin_down_CODE, the password comes from --password-file)\n");
        return 2;
    }
    char pw[256];
    if (ctl_fed_password(pwfile, pw, sizeof pw) < 0) return 1;
    PGconn *c = ctl_pg_connect();
    if (!c) {
        memset(pw, 0, sizeof pw);
        return 1;
    }
    char sub[64], user[32];
    snprintf(sub, sizeof sub, "fangpin_upper_%s", upper);
    snprintf(user, sizeof user, "fangpin_down_%s", county);
    int rc = ctl_fed_subscribe(c, S_WHO, sub, ci, user, pw, user, user);
    memset(pw, 0, sizeof pw);
    if (!rc)
        printf("subscribed to %s's findings of county %s (%s): they arrive in federation_found, and the next"
               " data-quality run opens them as Q008\n",
               upper, county, sub);
    PQfinish(c);
    return rc ? 1 : 0;
}

int ctl_federation_unsubscribe_upper(int argc, char **argv)
{
    static const char *const ok[] = {"--upper", NULL};
    const char *upper = ctl_opt(argc, argv, 2, "--upper");
    if (!upper || !ctl_opts_ok(argc, argv, 2, ok) || !s_upper_ok(upper)) {
        fprintf(stderr, "usage: fangpinctl federation unsubscribe-upper --upper REGION\n");
        return 2;
    }
    PGconn *c = ctl_pg_connect();
    if (!c) return 1;
    char sql[512];
    /* DROP SUBSCRIPTION drops the slot at the upper level, which must answer and still know the
     * county's role; an upper level that already removed the county (remove-county dropped the
     * role and the slot) does not: then the subscription is dropped without its slot */
    snprintf(sql, sizeof sql, "DROP SUBSCRIPTION IF EXISTS fangpin_upper_%s", upper);
    PGresult *r = PQexec(c, sql);
    bool slotless = PQresultStatus(r) != PGRES_COMMAND_OK;
    PQclear(r);
    int rc = 0;
    if (slotless) {
        snprintf(sql, sizeof sql,
                 "ALTER SUBSCRIPTION fangpin_upper_%s DISABLE; ALTER SUBSCRIPTION fangpin_upper_%s SET (slot_name = NONE);"
                 " DROP SUBSCRIPTION fangpin_upper_%s",
                 upper, upper, upper);
        rc = ctl_pg_exec("fangpinctl federation unsubscribe-upper", c, sql, "dropping the subscription");
    }
    /* what that level found goes with it: the next data-quality run closes its findings */
    const char *p[1] = {upper};
    r = rc ? NULL : PQexecParams(c, "DELETE FROM federation_found WHERE found_by = $1", 1, NULL, p, NULL, NULL, 0);
    if (r && PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "fangpinctl federation unsubscribe-upper: %s", PQresultErrorMessage(r));
        rc = -1;
    } else if (r)
        printf("unsubscribed from %s (fangpin_upper_%s%s); %s place(s) it had found forgotten\n", upper, upper,
               slotless ? ", its slot there left to the upper level" : "", PQcmdTuples(r));
    PQclear(r);
    PQfinish(c);
    return rc ? 1 : 0;
}
