/* datakey.c: `fangpinctl keys rotate-data-key --new FILE [--old FILE]`: re-seals every ID number
 * the database keeps (leads, ledger_members, ledger_events) with a new county data key, in one
 * transaction that blocks writers of those tables: each person's sealed number is opened with
 * the old key (and checked against its old matching value), sealed and matched with the new
 * one, and the database's key check value becomes the new key's. A running intake that still
 * has the old key is refused from then on (data_key.changed) until restarted with the new one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ctl.h"
#include "migrate.h"
#include "seal.h"

#define S_CHUNK 5000

/* One fetched chunk (old hmac, sealed) re-sealed into the rekey table. */
static int s_rekey_chunk(PGconn *c, const fp_seal_t *old, const fp_seal_t *new, PGresult *rows)
{
    fp_buf_t b = {0};
    int bad = 0;
    for (int r = 0; !bad && r < PQntuples(rows); r++) {
        size_t hlen = 0, slen = 0;
        unsigned char *h = PQunescapeBytea((const unsigned char *)PQgetvalue(rows, r, 0), &hlen);
        unsigned char *x = PQunescapeBytea((const unsigned char *)PQgetvalue(rows, r, 1), &slen);
        char id[FP_SEAL_ID_LEN + 1];
        uint8_t check[FP_SEAL_HMAC_LEN];
        bad = !h || !x || fp_seal_open(old, x, slen, id) != 0;
        if (!bad) {
            fp_seal_hmac(old, id, check);
            bad = hlen != sizeof check || sodium_memcmp(check, h, sizeof check) != 0;
        }
        if (bad) {
            fprintf(stderr,
                    "rotate-data-key: a sealed ID number does not open with the old key, or does not "
                    "match its stored value: nothing was changed\n");
        } else {
            fp_buf_printf(&b, "\\%s\t", PQgetvalue(rows, r, 0));
            fp_seal_copy_fields(new, id, &b);
            fp_buf_puts(&b, "\n");
        }
        sodium_memzero(id, sizeof id);
        PQfreemem(h);
        PQfreemem(x);
    }
    if (!bad)
        bad = ctl_pg_copy(c, "rotate-data-key", "COPY rekey (old_hmac, id_hmac, id_sealed, id_masked) FROM STDIN", &b);
    if (b.data) sodium_memzero(b.data, b.cap);
    fp_buf_free(&b);
    return bad ? -1 : 0;
}

static long s_rekey(PGconn *c, const fp_seal_t *old, const fp_seal_t *new)
{
    if (ctl_pg_exec("rotate-data-key", c,
                    "CREATE TEMP TABLE rekey (old_hmac bytea PRIMARY KEY, id_hmac bytea NOT NULL,"
                    " id_sealed bytea NOT NULL, id_masked text NOT NULL) ON COMMIT DROP;"
                    "DECLARE people NO SCROLL CURSOR FOR"
                    " SELECT DISTINCT ON (id_hmac) id_hmac, id_sealed FROM"
                    "  (SELECT id_hmac, id_sealed FROM leads UNION ALL SELECT id_hmac, id_sealed FROM ledger_members) x"
                    " ORDER BY id_hmac",
                    "reading the sealed numbers") != 0)
        return -1;
    long n = 0;
    char fetch[48];
    snprintf(fetch, sizeof fetch, "FETCH %d FROM people", S_CHUNK);
    for (;;) {
        PGresult *rows = PQexec(c, fetch);
        if (PQresultStatus(rows) != PGRES_TUPLES_OK) {
            fprintf(stderr, "rotate-data-key: %s", PQresultErrorMessage(rows));
            PQclear(rows);
            return -1;
        }
        int got = PQntuples(rows), rc = got ? s_rekey_chunk(c, old, new, rows) : 0;
        PQclear(rows);
        if (rc) return -1;
        n += got;
        if (got < S_CHUNK) break;
    }
    return n;
}

static long s_count(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);
    long n = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) ? atol(PQgetvalue(res, 0, 0)) : -1;
    if (n < 0) fprintf(stderr, "rotate-data-key: %s", PQresultErrorMessage(res));
    PQclear(res);
    return n;
}

static int s_apply(PGconn *c, const fp_seal_t *new)
{
    long orphans = s_count(c,
                           "SELECT count(*) FROM ledger_events e"
                           " WHERE NOT EXISTS (SELECT 1 FROM rekey r WHERE r.old_hmac = e.id_hmac)");
    if (orphans != 0) {
        if (orphans > 0)
            fprintf(stderr,
                    "rotate-data-key: %ld ledger events name a person whose sealed number is nowhere: "
                    "nothing was changed\n",
                    orphans);
        return -1;
    }
    char check[FP_SEAL_CHECK_HEX];
    fp_seal_check_value(new, check);
    const char *p[1] = {check};
    if (ctl_pg_exec("rotate-data-key", c,
                    "UPDATE leads l SET id_hmac = r.id_hmac, id_sealed = r.id_sealed, id_masked = r.id_masked"
                    "  FROM rekey r WHERE l.id_hmac = r.old_hmac;"
                    "UPDATE ledger_members m SET id_hmac = r.id_hmac, id_sealed = r.id_sealed, id_masked = r.id_masked"
                    "  FROM rekey r WHERE m.id_hmac = r.old_hmac;"
                    "UPDATE ledger_events e SET id_hmac = r.id_hmac FROM rekey r WHERE e.id_hmac = r.old_hmac",
                    "re-sealing") != 0)
        return -1;
    PGresult *res =
        PQexecParams(c, "UPDATE data_key SET check_value = $1, created_at = now()", 1, NULL, p, NULL, NULL, 0);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) fprintf(stderr, "rotate-data-key: %s", PQresultErrorMessage(res));
    PQclear(res);
    return ok ? 0 : -1;
}

static const char *s_opt(int argc, char **argv, const char *name)
{
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], name)) return argv[i + 1];
    return NULL;
}

/* The keys: the old one must be the database's; the new one is made when FILE does not exist. */
static int s_load_keys(int argc, char **argv, fp_seal_t **old, fp_seal_t **new)
{
    const char *newpath = s_opt(argc, argv, "--new"), *oldpath = s_opt(argc, argv, "--old");
    char path[4096], err[4200];
    if (!newpath) {
        fprintf(stderr, "usage: fangpinctl keys rotate-data-key --new FILE [--old FILE]\n");
        return 2;
    }
    if (oldpath) snprintf(path, sizeof path, "%s", oldpath);
    else fp_seal_default_path(path, sizeof path);
    if (fp_seal_load(path, old, err, sizeof err) != FP_OK) {
        fprintf(stderr, "rotate-data-key: the old key: %s\n", err);
        return 1;
    }
    if (access(newpath, F_OK) != 0) {
        if (fp_seal_make_keyfile(newpath, err, sizeof err) != FP_OK) {
            fprintf(stderr, "rotate-data-key: %s\n", err);
            return 1;
        }
        printf("%s: a new data key\n", newpath);
    }
    if (fp_seal_load(newpath, new, err, sizeof err) != FP_OK) {
        fprintf(stderr, "rotate-data-key: the new key: %s\n", err);
        return 1;
    }
    char a[FP_SEAL_CHECK_HEX], b[FP_SEAL_CHECK_HEX];
    fp_seal_check_value(*old, a);
    fp_seal_check_value(*new, b);
    if (!strcmp(a, b)) {
        fprintf(stderr, "rotate-data-key: the new key is the old one\n");
        return 1;
    }
    return 0;
}

int ctl_rotate_data_key(int argc, char **argv)
{
    fp_seal_t *old = NULL, *new = NULL;
    int rc = s_load_keys(argc, argv, &old, &new);
    PGconn *c = rc ? NULL : ctl_pg_connect();
    char err[1024];
    long people = -1;
    if (!rc && !c) rc = 1;
    if (!rc &&
        (ctl_migrate(c, "rotate-data-key", NULL) != 0 ||
         ctl_pg_exec("rotate-data-key", c, "BEGIN; LOCK TABLE leads, ledger_members, ledger_events IN EXCLUSIVE MODE",
                     "locking") != 0))
        rc = 1;
    if (!rc && fp_migrate_check_data_key(c, old, err, sizeof err) != FP_OK) {
        fprintf(stderr, "rotate-data-key: the old key: %s\n", err);
        rc = 1;
    }
    if (!rc &&
        ((people = s_rekey(c, old, new)) < 0 || s_apply(c, new) != 0 ||
         ctl_pg_exec("rotate-data-key", c, "COMMIT", "COMMIT") != 0))
        rc = 1;
    if (rc == 1 && c && PQtransactionStatus(c) != PQTRANS_IDLE)
        ctl_pg_exec("rotate-data-key", c, "ROLLBACK", "ROLLBACK");
    if (!rc)
        printf("%ld people's ID numbers re-sealed with the new key. Now: put it where FANGPIN_DATA_KEY points (the\n"
               "keys folder's data.key), restart intake, and keep the old key until a backup made after now\n"
               "exists: older backups open only with it.\n",
               people);
    PQfinish(c);
    fp_seal_free(&old);
    fp_seal_free(&new);
    return rc;
}
