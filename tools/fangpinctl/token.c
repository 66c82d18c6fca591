/* token.c: `fangpinctl token add|list|revoke`: bearer tokens for the reporting service's HTTP
 * port (report downloads, the /events stream; migration 015). A token belongs to a registered
 * principal (keys register) and reads what that principal may read. It is made here from 32
 * random bytes (libsodium), printed once, and stored only as its SHA-256 (computed here: the
 * token itself never reaches SQL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ctl.h"
#include "digest.h"

static const char *s_opt(int argc, char **argv, const char *name)
{
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], name)) return argv[i + 1];
    return NULL;
}

static int s_fail(PGresult *r, PGconn *c)
{
    fprintf(stderr, "fangpinctl token: %s", PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    return 1;
}

static int s_add(int argc, char **argv)
{
    const char *who = s_opt(argc, argv, "--principal"), *label = s_opt(argc, argv, "--label"),
               *days = s_opt(argc, argv, "--days");
    if (!who) {
        fprintf(stderr, "usage: fangpinctl token add --principal ID [--label TEXT] [--days N]\n");
        return 2;
    }
    char *end = NULL;
    long nd = days ? strtol(days, &end, 10) : 0;
    if (days && (!*days || *end || nd < 1 || nd > 3660)) {
        fprintf(stderr, "fangpinctl token add: --days must be a whole number of days, 1 to 3660\n");
        return 2;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "fangpinctl token add: libsodium did not start\n");
        return 1;
    }
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    char token[4 + 44] = "fpt_";
    sodium_bin2base64(token + 4, sizeof token - 4, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    PGconn *c = ctl_pg_connect();
    if (!c) return 1;
    char nds[16];
    snprintf(nds, sizeof nds, "%ld", nd);
    char digest[65]; /* stored and sent to SQL: only the token's SHA-256 */
    fp_sha256_hex(token, strlen(token), digest);
    const char *p[4] = {who, digest, label ? label : "", days ? nds : NULL};
    PGresult *r = PQexecParams(c,
                               "INSERT INTO http_tokens (principal_id, token_sha256, label, expires_at)"
                               " SELECT p.id, decode($2, 'hex'), $3,"
                               " now() + make_interval(days => $4::int)"
                               " FROM principals p WHERE p.id = $1 AND p.disabled_at IS NULL"
                               " RETURNING id, (SELECT region_code FROM principals WHERE id = $1),"
                               " coalesce(to_char(expires_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'), '')",
                               4, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        sodium_memzero(token, sizeof token);
        return s_fail(r, c);
    }
    if (PQntuples(r) != 1) {
        fprintf(stderr,
                "fangpinctl token add: no active principal '%s' (register it first: fangpinctl keys register)\n", who);
        sodium_memzero(token, sizeof token);
        PQclear(r);
        PQfinish(c);
        return 1;
    }
    printf("%s\n", token);
    fprintf(stderr, "token %s for %s (region %s)%s%s: shown this once, keep it like a password\n", PQgetvalue(r, 0, 0),
            who, PQgetvalue(r, 0, 1), *PQgetvalue(r, 0, 2) ? ", expires " : "", PQgetvalue(r, 0, 2));
    sodium_memzero(token, sizeof token);
    PQclear(r);
    PQfinish(c);
    return 0;
}

static int s_list(int argc, char **argv)
{
    const char *who = s_opt(argc, argv, "--principal");
    PGconn *c = ctl_pg_connect();
    if (!c) return 1;
    const char *p[1] = {who};
    PGresult *r =
        PQexecParams(c,
                     "SELECT t.id, t.principal_id, p.region_code, t.label,"
                     " to_char(t.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'),"
                     " coalesce(to_char(t.expires_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'), '-'),"
                     " coalesce(to_char(t.last_used_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'), '-'),"
                     " CASE WHEN t.revoked_at IS NOT NULL THEN 'revoked' WHEN p.disabled_at IS NOT NULL THEN 'disabled'"
                     " WHEN t.expires_at <= now() THEN 'expired' ELSE 'active' END"
                     " FROM http_tokens t JOIN principals p ON p.id = t.principal_id"
                     " WHERE $1::text IS NULL OR t.principal_id = $1 ORDER BY t.id",
                     1, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return s_fail(r, c);
    printf("%-6s %-36s %-12s %-16s %-16s %-16s %-8s %s\n", "ID", "PRINCIPAL", "REGION", "CREATED", "EXPIRES",
           "LAST USED", "STATE", "LABEL");
    for (int i = 0; i < PQntuples(r); i++)
        printf("%-6s %-36s %-12s %-16s %-16s %-16s %-8s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
               PQgetvalue(r, i, 2), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5), PQgetvalue(r, i, 6), PQgetvalue(r, i, 7),
               PQgetvalue(r, i, 3));
    PQclear(r);
    PQfinish(c);
    return 0;
}

static int s_revoke(int argc, char **argv)
{
    char *end = NULL;
    long id = argc == 2 ? strtol(argv[1], &end, 10) : 0;
    if (argc != 2 || !*argv[1] || *end || id < 1) {
        fprintf(stderr, "usage: fangpinctl token revoke ID   (the ID of token list)\n");
        return 2;
    }
    PGconn *c = ctl_pg_connect();
    if (!c) return 1;
    const char *p[1] = {argv[1]};
    PGresult *r =
        PQexecParams(c, "UPDATE http_tokens SET revoked_at = now() WHERE id = $1::bigint AND revoked_at IS NULL", 1,
                     NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) return s_fail(r, c);
    int n = atoi(PQcmdTuples(r));
    PQclear(r);
    PQfinish(c);
    if (n == 0) {
        fprintf(stderr, "fangpinctl token revoke: no active token %s\n", argv[1]);
        return 1;
    }
    printf("revoked token %s\n", argv[1]);
    return 0;
}

int ctl_cmd_token(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "add")) return s_add(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "list")) return s_list(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "revoke")) return s_revoke(argc - 1, argv + 1);
    fprintf(stderr,
            "usage: fangpinctl token add --principal ID [--label TEXT] [--days N] | list [--principal ID]"
            " | revoke ID\n");
    return 2;
}
