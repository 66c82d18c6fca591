/* fedpersons.c: `fangpinctl federation persons --keys DIR` at a prefecture: the people found in
 * more than one of its counties (a ledger member or a lead). Each county keys ID numbers with its
 * own data key, so their id_hmac never match across counties: every sealed number of every
 * county is opened here with that county's key (DIR/COUNTY.data.key, handed over by county IT),
 * keyed again with the prefecture's own data key (FANGPIN_DATA_KEY), and the keys compared in
 * SQL. The numbers exist only in this process's memory (wiped after use); the database receives
 * the prefecture's HMAC and the masked form. Found people are recorded in federation_persons
 * (migration 039), each place found for the first time is announced by the event
 * federation.person_in_counties under its county (migration 040), and all are listed: masked ID,
 * county, where (ledger household or lead). The places found now, named by each county's own
 * id_hmac, become federation_found (migration 045), which goes down to each county by
 * replication and opens there the data-quality finding Q008. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ctl.h"
#include "seal.h"

#define S_WHO "fangpinctl federation persons"
#define S_CHUNK 5000

/* One fetched chunk (source, ref, sealed, masked) of a county, keyed by the prefecture. */
static int s_chunk(PGconn *c, const char *county, const fp_seal_t *ck, const fp_seal_t *pk, PGresult *rows)
{
    fp_buf_t b = {0};
    int bad = 0;
    for (int r = 0; !bad && r < PQntuples(rows); r++) {
        size_t slen = 0;
        unsigned char *x = PQunescapeBytea((const unsigned char *)PQgetvalue(rows, r, 2), &slen);
        char id[FP_SEAL_ID_LEN + 1];
        uint8_t h[FP_SEAL_HMAC_LEN];
        bad = !x || fp_seal_open(ck, x, slen, id) != 0;
        if (bad)
            fprintf(stderr,
                    S_WHO ": a sealed ID number of county %s does not open with its key: is it that county's"
                          " data.key?\n",
                    county);
        else {
            fp_seal_hmac(pk, id, h);
            char hex[2 * FP_SEAL_HMAC_LEN + 1];
            sodium_bin2hex(hex, sizeof hex, h, sizeof h);
            /* the county's own id_hmac comes as bytea text, \x...: its backslash doubled for COPY */
            fp_buf_printf(&b, "%s\t%s\t%s\t\\\\x%s\t%s\t\\%s\n", county, PQgetvalue(rows, r, 0), PQgetvalue(rows, r, 1),
                          hex, PQgetvalue(rows, r, 3), PQgetvalue(rows, r, 4));
        }
        sodium_memzero(id, sizeof id);
        PQfreemem(x);
    }
    if (!bad)
        bad = ctl_pg_copy(c, S_WHO, "COPY fed_people (county_code, source, ref, person_key, id_masked, county_hmac) FROM STDIN", &b);
    fp_buf_free(&b);
    return bad ? -1 : 0;
}

/* Every ledger member present and every lead of one county into fed_people. */
static int s_county(PGconn *c, const char *county, const char *dir, const fp_seal_t *pk)
{
    char path[4096], err[4200], sql[512];
    snprintf(path, sizeof path, "%s/%s.data.key", dir, county);
    fp_seal_t *ck = NULL;
    if (fp_seal_load(path, &ck, err, sizeof err) != FP_OK) {
        fprintf(stderr, S_WHO ": county %s: %s\n", county, err);
        return -1;
    }
    snprintf(sql, sizeof sql,
             "DECLARE people NO SCROLL CURSOR FOR"
             " SELECT 'ledger', household_no, id_sealed, id_masked, id_hmac FROM ledger_members"
             "  WHERE county_code = '%s' AND left_on IS NULL"
             " UNION ALL SELECT 'lead', id::text, id_sealed, id_masked, id_hmac FROM leads WHERE county_code = '%s'",
             county, county);
    int rc = ctl_pg_exec(S_WHO, c, sql, "reading the sealed numbers");
    for (int got = S_CHUNK; !rc && got == S_CHUNK;) {
        PGresult *rows = PQexec(c, "FETCH 5000 FROM people");
        if (PQresultStatus(rows) != PGRES_TUPLES_OK) {
            fprintf(stderr, S_WHO ": %s", PQresultErrorMessage(rows));
            rc = -1;
        } else {
            got = PQntuples(rows);
            rc = got ? s_chunk(c, county, ck, pk, rows) : 0;
        }
        PQclear(rows);
    }
    if (!rc) rc = ctl_pg_exec(S_WHO, c, "CLOSE people", "closing the cursor");
    fp_seal_free(&ck);
    return rc;
}

/* Records and prints the people found in more than one county. */
static int s_found(PGconn *c)
{
    PGresult *r = PQexec(c,
                         "WITH many AS (SELECT person_key FROM fed_people GROUP BY person_key"
                         "               HAVING count(DISTINCT county_code) > 1),"
                         " rows AS (SELECT p.* FROM fed_people p JOIN many USING (person_key)),"
                         " ins AS (INSERT INTO federation_persons (county_code, person_key, source, ref, id_masked,"
                         "         found_on) SELECT county_code, person_key, source, ref, id_masked, current_date"
                         "         FROM rows ON CONFLICT DO NOTHING RETURNING *),"
                         " ev AS (SELECT events_write(array_agg(ROW(i.county_code, rpad(i.county_code, 12, '0'),"
                         "         'federation.person_in_counties', jsonb_build_object('counties',"
                         "         (SELECT string_agg(DISTINCT r.county_code, ',' ORDER BY r.county_code) FROM rows r"
                         "           WHERE r.person_key = i.person_key), 'source', i.source, 'ref', i.ref))::event_new"
                         "         ORDER BY i.person_key, i.county_code, i.source, i.ref)) AS n FROM ins i)"
                         " SELECT dense_rank() OVER (ORDER BY person_key), id_masked, county_code, source, ref"
                         " FROM rows CROSS JOIN ev ORDER BY person_key, county_code, source, ref");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, S_WHO ": %s", PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    printf("%-6s %-20s %-8s %-8s %s\n", "PERSON", "ID", "COUNTY", "WHERE", "REF");
    for (int i = 0; i < PQntuples(r); i++)
        printf("%-6s %-20s %-8s %-8s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
               PQgetvalue(r, i, 3), PQgetvalue(r, i, 4));
    PQclear(r);
    return 0;
}

/* What goes down to the counties (federation_found_refresh, functions/federation.sql): exactly the
 * places found now, named by each county's own id_hmac. */
static int s_down(PGconn *c)
{
    PGresult *r = PQexec(c, "SELECT federation_found_refresh(current_date)");
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;
    if (rc) fprintf(stderr, S_WHO ": %s", PQresultErrorMessage(r));
    else printf("%s place(s) published to their counties (federation_found)\n", PQgetvalue(r, 0, 0));
    PQclear(r);
    return rc;
}

int ctl_federation_persons(int argc, char **argv)
{
    static const char *const ok[] = {"--keys", NULL};
    const char *dir = ctl_opt(argc, argv, 2, "--keys");
    if (!dir || !ctl_opts_ok(argc, argv, 2, ok)) {
        fprintf(stderr,
                "usage: fangpinctl federation persons --keys DIR   (DIR/COUNTY.data.key for each county;"
                " the prefecture's own key from FANGPIN_DATA_KEY)\n");
        return 2;
    }
    bool failed;
    fp_seal_t *pk = ctl_data_key(true, &failed);
    if (!pk) return 1;
    PGconn *c = ctl_pg_connect();
    int rc = c ? 0 : -1;
    PGresult *counties = NULL;
    if (!rc)
        rc = ctl_pg_exec(S_WHO, c,
                         "BEGIN; CREATE TEMP TABLE fed_people (county_code text, source text, ref text,"
                         " person_key bytea, id_masked text, county_hmac bytea) ON COMMIT DROP",
                         "starting");
    if (!rc) {
        counties = PQexec(c, "SELECT county_code FROM federation_counties WHERE removed_at IS NULL ORDER BY 1");
        rc = PQresultStatus(counties) == PGRES_TUPLES_OK ? 0 : -1;
        if (rc) fprintf(stderr, S_WHO ": %s", PQresultErrorMessage(counties));
    }
    for (int i = 0; !rc && i < PQntuples(counties); i++) rc = s_county(c, PQgetvalue(counties, i, 0), dir, pk);
    if (!rc) rc = s_found(c);
    if (!rc) rc = s_down(c);
    if (!rc) rc = ctl_pg_exec(S_WHO, c, "COMMIT", "committing");
    PQclear(counties);
    if (c) PQfinish(c);
    fp_seal_free(&pk);
    return rc ? 1 : 0;
}
