/* ledger.c: `fangpinctl ledger import FILE...` loads a village's or county's quarterly census of
 * the rural population ledger (乡村人口台账: one CSV row per member, the household's columns
 * repeated) into ledger_households and ledger_members. docs/ledger.md is the user's guide.
 *
 * How an import runs, per file. The file is read whole and decoded (UTF-8 with or without BOM,
 * or GBK), every line is checked by common/ledger.c (ID number, vocabularies, amounts, the
 * household's columns the same on every line of the household, one head), the village codes are looked up in the
 * regions table in one query, and a household with any refused line is refused whole. The rest
 * is COPYed into two temporary staging tables and moved in ONE transaction, set-based (no
 * statement per line): natural changes are recorded in ledger_events, members missing from a
 * household that is in the file get left_on, and households and members are updated where their
 * values differ and inserted where new (a second import of the same file changes nothing,
 * updated_at included). FILE.results.csv (UTF-8 with a
 * BOM) lists every refused line with its reason. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "ctl.h"
#include "date.h"
#include "db.h"
#include "ledger.h"
#include "mem.h"
#include "migrate.h"
#include "seal.h"

#define S_MAX_SHOWN 20
#define S_COPY_CHUNK (256 * 1024)

/* One file's import: the file's rules are common/ledger.c's; this is the I/O around them. */
typedef struct {
    const char *path;
    const fp_seal_t *seal; /* the county's data key: members' ID numbers are stored sealed */
    fp_ledger_t lg;
} s_im_t;

/* ---- reading the file --------------------------------------------------------------------- */

static int s_load(s_im_t *im)
{
    fp_buf_t raw = {0};
    if (ctl_read_file("ledger import", im->path, "by township", &raw)) {
        fp_buf_free(&raw);
        return -1;
    }
    unsigned long line;
    char msg[1024];
    fp_err_t rc = fp_ledger_read(&im->lg, raw.data, raw.len, &line, msg, sizeof msg);
    fp_buf_free(&raw);
    if (rc == FP_OK) return 0;
    if (line) fprintf(stderr, "ledger import: %s:%lu: %s\n", im->path, line, msg);
    else fprintf(stderr, "ledger import: %s: %s\n", im->path, msg);
    return -1;
}

/* ---- database ----------------------------------------------------------------------------- */

static int s_cmp13(const void *a, const void *b) { return strcmp(a, b); }

/* Refuses households whose village is not a village of the regions table. The lookup sends each
 * village once (a county's file names a few hundred villages in tens of thousands of lines). */
static int s_check_villages(s_im_t *im, PGconn *conn)
{
    const fp_ledger_t *lg = &im->lg;
    char(*asked)[13] = fp_calloc(lg->nhh ? lg->nhh : 1, 13);
    size_t nasked = 0;
    for (size_t k = 0; k < lg->nhh; k++)
        if (lg->hhs[k].has_data) memcpy(asked[nasked++], lg->hhs[k].village, 13);
    qsort(asked, nasked, 13, s_cmp13);
    fp_buf_t arr = {0};
    fp_buf_puts(&arr, "{");
    for (size_t k = 0; k < nasked; k++)
        if (k == 0 || strcmp(asked[k], asked[k - 1])) fp_buf_printf(&arr, "%s%s", arr.len > 1 ? "," : "", asked[k]);
    fp_buf_puts(&arr, "}");
    free(asked);
    const char *params[1] = {arr.data};
    PGresult *res = PQexecParams(conn, "SELECT DISTINCT code FROM regions WHERE code = ANY($1::text[]) AND level = 5",
                                 1, NULL, params, NULL, NULL, 0);
    fp_buf_free(&arr);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "ledger import: looking up villages: %s", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    int n = PQntuples(res);
    char(*known)[13] = fp_calloc((size_t)(n ? n : 1), 13);
    for (int i = 0; i < n; i++) snprintf(known[i], 13, "%s", PQgetvalue(res, i, 0));
    PQclear(res);
    qsort(known, (size_t)n, 13, s_cmp13); /* few distinct villages: sorted, and looked up by bsearch */
    fp_ledger_refuse_villages(&im->lg, (const char(*)[13])known, (size_t)n);
    free(known);
    return 0;
}

#define S_HH_COLS                                                                                            \
    "county_code, household_no, village_code, household_type, monitored_kind, head_name, wage_fen,"          \
    " wage_public_job_fen, operating_fen, property_fen, pension_fen, family_planning_fen,"                   \
    " eco_compensation_fen, dibao_fen, tekun_fen, other_transfer_fen, production_cost_fen, medical_oop_fen," \
    " food_clothing_ok, food_clothing_reason, education_ok, education_reason, medical_ok, medical_reason,"   \
    " housing_ok, housing_reason, water_ok, water_reason, survey_period"
#define S_M_COLS                                                                                                 \
    "county_code, id_hmac, id_sealed, id_masked, household_no, name, relation, birth_date, sex, labour, health," \
    " disability_grade, schooling, insured"
/* A household's columns but the key, of the row p ("" names the table's own): what an update sets
 * and what is compared to decide "changed". */
#define S_HH_VALS(p)                                                                                                \
    p "village_code, " p "household_type, " p "monitored_kind, " p "head_name, " p "wage_fen, " p                   \
      "wage_public_job_fen, " p "operating_fen, " p "property_fen, " p "pension_fen, " p "family_planning_fen, " p  \
      "eco_compensation_fen, " p "dibao_fen, " p "tekun_fen, " p "other_transfer_fen, " p "production_cost_fen, " p \
      "medical_oop_fen, " p "food_clothing_ok, " p "food_clothing_reason, " p "education_ok, " p                    \
      "education_reason, " p "medical_ok, " p "medical_reason, " p "housing_ok, " p "housing_reason, " p            \
      "water_ok, " p "water_reason, " p "survey_period"
#define S_HH_CMP(p) "(" S_HH_VALS(p) ")"
/* A member's columns from the file but the key (the sealed number is not compared: the key is
 * its keyed hash) */
#define S_M_VALS(p)                                                                                     \
    p "household_no, " p "name, " p "relation, " p "birth_date, " p "sex, " p "labour, " p "health, " p \
      "disability_grade, " p "schooling, " p "insured"
/* ... and whether the member has left: compared to decide "changed" */
#define S_M_CMP(p) "(" S_M_VALS(p) ", " p "left_on, " p "left_reason)"

static int s_copy_begin(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    int ok = PQresultStatus(res) == PGRES_COPY_IN;
    if (!ok) fprintf(stderr, "ledger import: COPY: %s", PQresultErrorMessage(res));
    PQclear(res);
    return ok ? 0 : -1;
}

static int s_copy_put(PGconn *conn, fp_buf_t *b, bool force)
{
    if (b->len == 0 || (!force && b->len < S_COPY_CHUNK)) return 0;
    if (PQputCopyData(conn, b->data, (int)b->len) != 1) {
        fprintf(stderr, "ledger import: sending rows: %s", PQerrorMessage(conn));
        return -1;
    }
    fp_buf_reset(b);
    return 0;
}

static int s_copy_end(PGconn *conn, bool failed)
{
    int ok = PQputCopyEnd(conn, failed ? "import aborted" : NULL) == 1 && !failed;
    PGresult *res;
    while ((res = PQgetResult(conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && ok) {
            fprintf(stderr, "ledger import: COPY: %s", PQresultErrorMessage(res));
            ok = 0;
        }
        PQclear(res);
    }
    return ok ? 0 : -1;
}

static int s_stage(s_im_t *im, PGconn *conn, long *nh, long *nm)
{
    fp_buf_t b = {0};
    int bad = s_copy_begin(conn, "COPY ledger_stage_h (" S_HH_COLS ") FROM STDIN");
    *nh = *nm = 0;
    for (size_t k = 0; !bad && k < im->lg.nhh; k++) {
        const fp_ledger_hh_t *h = &im->lg.hhs[k];
        if (h->refused || !h->has_data) continue;
        (*nh)++;
        fp_buf_printf(&b, "%s\t", h->county);
        fp_db_copy_field(&b, fp_arena_str(&im->lg.arena, h->no));
        fp_buf_printf(&b, "\t%s\t%s\t%s\t", h->village, h->type, h->kind ? h->kind : "\\N");
        fp_db_copy_field(&b, fp_arena_str(&im->lg.arena, h->head));
        for (int i = 0; i < FP_LEDGER_NAMT; i++) fp_buf_printf(&b, "\t%" PRId64, h->amt[i]);
        for (int g = 0; g < FP_LEDGER_NGUAR; g++) {
            fp_buf_printf(&b, "\t%s\t", h->ok[g] < 0 ? "\\N" : h->ok[g] ? "t" : "f");
            fp_db_copy_field(&b, h->ok[g] == 0 ? fp_arena_str(&im->lg.arena, h->why[g]) : "");
        }
        fp_buf_printf(&b, "\t%s\n", h->period);
        bad = s_copy_put(conn, &b, false);
    }
    if (!bad) bad = s_copy_put(conn, &b, true);
    bad = s_copy_end(conn, bad) || bad;
    fp_buf_reset(&b);
    if (bad) {
        fp_buf_free(&b);
        return -1;
    }
    bad = s_copy_begin(conn, "COPY ledger_stage_m (" S_M_COLS ") FROM STDIN");
    if (bad) {
        fp_buf_free(&b);
        return -1;
    }
    for (size_t i = 0; !bad && i < im->lg.nlines; i++) {
        const fp_ledger_line_t *l = &im->lg.lines[i];
        if (l->reason >= 0 || l->hh < 0) continue;
        const fp_ledger_hh_t *h = &im->lg.hhs[l->hh];
        (*nm)++;
        char birth[11];
        fp_date_format(l->birth, birth);
        fp_buf_printf(&b, "%s\t", h->county);
        fp_seal_copy_fields(im->seal, l->id, &b);
        fp_buf_puts(&b, "\t");
        fp_db_copy_field(&b, fp_arena_str(&im->lg.arena, h->no));
        fp_buf_puts(&b, "\t");
        fp_db_copy_field(&b, fp_arena_str(&im->lg.arena, l->name));
        fp_buf_printf(&b, "\t%s\t%s\t%s\t%s\t%s\t", l->relation, birth, l->sex, l->labour, l->health);
        if (l->disability) fp_buf_printf(&b, "%d", l->disability);
        else fp_buf_puts(&b, "\\N");
        fp_buf_printf(&b, "\t%s\t%s\n", l->schooling, l->insured ? "t" : "f");
        bad = s_copy_put(conn, &b, false);
    }
    if (!bad) bad = s_copy_put(conn, &b, true);
    bad = s_copy_end(conn, bad) || bad;
    fp_buf_free(&b);
    return bad ? -1 : 0;
}

/* Households already in the ledger from a later survey than the file's are not overwritten. */
static int s_refuse_older(s_im_t *im, PGconn *conn)
{
    PGresult *res = PQexec(conn,
                           "WITH old AS (SELECT s.county_code, s.household_no, h.survey_period AS newer"
                           "   FROM ledger_stage_h s JOIN ledger_households h"
                           "     ON h.county_code = s.county_code AND h.household_no = s.household_no"
                           "  WHERE h.survey_period > s.survey_period),"
                           " dm AS (DELETE FROM ledger_stage_m m USING old o"
                           "  WHERE m.county_code = o.county_code AND m.household_no = o.household_no),"
                           " dh AS (DELETE FROM ledger_stage_h h USING old o"
                           "  WHERE h.county_code = o.county_code AND h.household_no = o.household_no"
                           "  RETURNING h.household_no, o.newer)"
                           " SELECT household_no, newer FROM dh");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "ledger import: checking survey periods: %s", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    for (int r = 0; r < PQntuples(res); r++)
        fp_ledger_refuse_older(&im->lg, PQgetvalue(res, r, 0), PQgetvalue(res, r, 1));
    PQclear(res);
    return 0;
}

typedef struct {
    long h_ins, h_upd, m_ins, m_upd, m_left, events;
} s_counts_t;

static long s_count(PGresult *res, int col) { return PQntuples(res) > 0 ? atol(PQgetvalue(res, 0, col)) : 0; }

/* The statements of s_apply, in the order it runs them. */
/* 1. natural changes against the ledger as it was: members new to a known household
 * (birth when born since its last survey, else move_in), members back or moved in
 * (move_in, with a move_out from the household they leave) */
static const char s_ev_sql[] =
    "WITH ch AS ("
    " SELECT s.county_code, s.household_no, s.id_hmac, s.birth_date, m.household_no AS old_hh,"
    "        m.left_on, h.survey_period AS hh_period, st.survey_period"
    "   FROM ledger_stage_m s"
    "   JOIN ledger_stage_h st ON st.county_code = s.county_code AND st.household_no = s.household_no"
    "   LEFT JOIN ledger_households h ON h.county_code = s.county_code AND h.household_no = s.household_no"
    "   LEFT JOIN ledger_members m ON m.county_code = s.county_code AND m.id_hmac = s.id_hmac"
    "  WHERE (m.id_hmac IS NULL AND h.household_no IS NOT NULL)"
    "     OR (m.id_hmac IS NOT NULL AND (m.household_no <> s.household_no OR m.left_on IS NOT NULL))),"
    " ins AS ("
    " INSERT INTO ledger_events (county_code, household_no, id_hmac, kind, event_on, source, detail)"
    " SELECT county_code, household_no, id_hmac,"
    "        CASE WHEN old_hh IS NULL AND birth_date >= ledger_period_start(hh_period) THEN 'birth'"
    "             ELSE 'move_in' END,"
    "        ledger_period_start(survey_period), 'census',"
    "        CASE WHEN old_hh IS NULL THEN 'new in census ' || survey_period"
    "             WHEN old_hh <> household_no THEN 'from household ' || old_hh"
    "             ELSE 'back in census ' || survey_period END"
    "   FROM ch"
    " UNION ALL"
    " SELECT county_code, old_hh, id_hmac, 'move_out', ledger_period_start(survey_period), 'census',"
    "        'to household ' || household_no"
    "   FROM ch WHERE old_hh IS NOT NULL AND old_hh <> household_no AND left_on IS NULL"
    " RETURNING 1)"
    " SELECT count(*) FROM ins";
/* 2. members of a household in the file who are not in the file: left_on = the first day of
 * the survey's quarter, and a move_out event */
static const char s_gone_sql[] =
    "WITH gone AS ("
    " UPDATE ledger_members m SET left_on = ledger_period_start(h.survey_period),"
    "        left_reason = 'not_in_census:' || h.survey_period, updated_at = now()"
    "   FROM ledger_stage_h h"
    "  WHERE m.county_code = h.county_code AND m.household_no = h.household_no AND m.left_on IS NULL"
    "    AND NOT EXISTS (SELECT 1 FROM ledger_stage_m s"
    "                     WHERE s.county_code = m.county_code AND s.id_hmac = m.id_hmac)"
    " RETURNING m.county_code, m.household_no, m.id_hmac, m.left_on, h.survey_period),"
    " ev AS ("
    " INSERT INTO ledger_events (county_code, household_no, id_hmac, kind, event_on, source, detail)"
    " SELECT county_code, household_no, id_hmac, 'move_out', left_on, 'census',"
    "        'not in census ' || survey_period FROM gone RETURNING 1)"
    " SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM ev)";
/* 3. households, then 4. members, each in two set-based statements: the rows whose values differ
 * are UPDATEd (the join's condition leaves unchanged rows out, so they are not even locked), then
 * the rows the ledger does not hold are INSERTed in key order (the indexes grow at their right
 * edge). A plain INSERT, not ON CONFLICT: fangpinctl ledger import is the only writer of new
 * ledger rows, and s_lock_counties serialises imports of one county. */
static const char s_hh_upd_sql[] = "UPDATE ledger_households r SET (" S_HH_VALS("") ", updated_at) = (" S_HH_VALS(
    "s.") ", now())"
          "  FROM ledger_stage_h s"
          " WHERE r.county_code = s.county_code AND r.household_no = s.household_no"
          "   AND " S_HH_CMP("r.") " IS DISTINCT FROM " S_HH_CMP("s.");
static const char s_hh_ins_sql[] =
    "INSERT INTO ledger_households (" S_HH_COLS ")"
    " SELECT " S_HH_COLS " FROM ledger_stage_h s"
    "  WHERE NOT EXISTS (SELECT 1 FROM ledger_households x"
    "                     WHERE x.county_code = s.county_code AND x.household_no = s.household_no)"
    "  ORDER BY county_code, household_no";
static const char s_m_upd_sql[] = "UPDATE ledger_members r SET (" S_M_VALS(
    "") ", left_on, left_reason, updated_at) ="
        "       (" S_M_VALS("s.") ", NULL, '', now())"
                                  "  FROM ledger_stage_m s"
                                  " WHERE r.county_code = s.county_code AND r.id_hmac = s.id_hmac"
                                  "   AND " S_M_CMP("r.") " IS DISTINCT FROM (" S_M_VALS(
                                      "s.") ", NULL::date, ''::text)";
static const char s_m_ins_sql[] =
    "INSERT INTO ledger_members (" S_M_COLS ")"
    " SELECT " S_M_COLS " FROM ledger_stage_m s"
    "  WHERE NOT EXISTS (SELECT 1 FROM ledger_members x WHERE x.county_code = s.county_code AND x.id_hmac = s.id_hmac)"
    "  ORDER BY county_code, household_no, id_hmac";

/* Runs sql (a statement without rows) and adds the rows it wrote to *n. */
static int s_run(PGconn *conn, const char *sql, long *n)
{
    PGresult *res = PQexec(conn, sql);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (ok) *n += atol(PQcmdTuples(res));
    else fprintf(stderr, "ledger import: writing the ledger: %s", PQresultErrorMessage(res));
    PQclear(res);
    return ok ? 0 : -1;
}

static int s_apply(PGconn *conn, s_counts_t *c)
{
    PGresult *res = PQexec(conn, s_ev_sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) goto fail;
    c->events = s_count(res, 0);
    PQclear(res);
    res = PQexec(conn, s_gone_sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) goto fail;
    c->m_left = s_count(res, 0);
    c->events += s_count(res, 1);
    PQclear(res);
    return s_run(conn, s_hh_upd_sql, &c->h_upd) || s_run(conn, s_hh_ins_sql, &c->h_ins) ||
            s_run(conn, s_m_upd_sql, &c->m_upd) || s_run(conn, s_m_ins_sql, &c->m_ins)
        ? -1
        : 0;
fail:
    fprintf(stderr, "ledger import: writing the ledger: %s", PQresultErrorMessage(res));
    PQclear(res);
    return -1;
}

/* ---- results ------------------------------------------------------------------------------ */

static int s_write_results(const s_im_t *im, const char *out)
{
    fp_csv_file_t w;
    if (fp_csv_file_open(&w, out, "行号,户编号,结果,原因代码,原因,reason") != 0) {
        fprintf(stderr, "ledger import: cannot write %s: %s\n", out, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < im->lg.nlines; i++) {
        const fp_ledger_line_t *l = &im->lg.lines[i];
        if (l->reason < 0) continue;
        const fp_arena_reason_t *why = &im->lg.arena.reasons[l->reason];
        char num[16];
        snprintf(num, sizeof num, "%" PRIu32, l->line);
        const char *cells[] = {num,       l->hh >= 0 ? fp_arena_str(&im->lg.arena, im->lg.hhs[l->hh].no) : "",
                               "refused", why->code,
                               why->zh,   why->en};
        fp_csv_file_row(&w, cells, sizeof cells / sizeof *cells);
    }
    if (fp_csv_file_close(&w, out) != 0) {
        fprintf(stderr, "ledger import: cannot write %s: %s\n", out, strerror(errno));
        return -1;
    }
    return 0;
}

static void s_show_refused(const s_im_t *im, const char *results)
{
    long shown = 0;
    for (size_t i = 0; i < im->lg.nlines; i++) {
        const fp_ledger_line_t *l = &im->lg.lines[i];
        if (l->reason < 0 || !strcmp(im->lg.arena.reasons[l->reason].code, "household.refused")) continue;
        if (++shown > S_MAX_SHOWN) continue;
        const fp_arena_reason_t *why = &im->lg.arena.reasons[l->reason];
        fprintf(stderr, "%s:%" PRIu32 ": refused: %s: %s (%s)\n", im->path, l->line, why->code, why->zh, why->en);
    }
    if (shown > S_MAX_SHOWN) fprintf(stderr, "... and %ld more: see %s\n", shown - S_MAX_SHOWN, results);
}

/* ---- the command -------------------------------------------------------------------------- */

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The counties an import loaded households of, each once: the quality run after the import. */
typedef struct {
    char (*code)[7];
    size_t n, cap;
} s_counties_t;

static void s_counties_add(s_counties_t *cs, const fp_ledger_t *lg)
{
    for (size_t i = 0; i < lg->nhh; i++) {
        const fp_ledger_hh_t *h = &lg->hhs[i];
        if (h->refused) continue;
        bool seen = false;
        for (size_t k = 0; k < cs->n && !seen; k++) seen = !strcmp(cs->code[k], h->county);
        if (seen) continue;
        if (cs->n == cs->cap) {
            cs->cap = cs->cap ? 2 * cs->cap : 8;
            cs->code = fp_realloc(cs->code, cs->cap * sizeof *cs->code);
        }
        memcpy(cs->code[cs->n++], h->county, sizeof *cs->code);
    }
}

static int s_import_file(PGconn *conn, const fp_seal_t *seal, const char *path, s_counties_t *cs)
{
    double t0 = s_now();
    s_im_t im = {.path = path, .seal = seal};
    fp_ledger_init(&im.lg, fp_date_today_utc8());
    if (s_load(&im)) {
        fp_ledger_free(&im.lg);
        return 1;
    }
    double t_parse = s_now();
    s_counts_t c = {0};
    long staged_h = 0, staged_m = 0;
    int ok = s_check_villages(&im, conn) == 0;
    if (ok) {
        fp_ledger_households(&im.lg);
        fp_ledger_refuse_households(&im.lg);
    }
    ok = ok && ctl_pg_exec("ledger import", conn, "BEGIN", "BEGIN") == 0 &&
        ctl_pg_exec("ledger import", conn,
                    "CREATE TEMP TABLE ledger_stage_h (LIKE ledger_households INCLUDING DEFAULTS) ON COMMIT DROP;"
                    "ALTER TABLE ledger_stage_h DROP COLUMN net_income_fen, DROP COLUMN created_at,"
                    " DROP COLUMN updated_at;"
                    "CREATE TEMP TABLE ledger_stage_m (LIKE ledger_members INCLUDING DEFAULTS) ON COMMIT DROP;"
                    "ALTER TABLE ledger_stage_m DROP COLUMN created_at, DROP COLUMN updated_at,"
                    " DROP COLUMN left_on, DROP COLUMN left_reason",
                    "creating the staging tables") == 0 &&
        s_stage(&im, conn, &staged_h, &staged_m) == 0 &&
        ctl_pg_exec("ledger import", conn,
                    /* no index and no ANALYZE: the planner sizes the staging tables by their pages,
                     * and the statements below read them whole (hash joins) */
                    /* the counties in key order, so that two imports cannot wait for each other */
                    "SELECT pg_advisory_xact_lock(hashtext('ledger_import:' || county_code))"
                    "  FROM (SELECT DISTINCT county_code FROM ledger_stage_h ORDER BY 1) c",
                    "locking the file's counties") == 0;
    double t_stage = s_now();
    long older_before = im.lg.refused_hh;
    if (ok) ok = s_refuse_older(&im, conn) == 0;
    if (ok) {
        long before_lines = im.lg.refused_lines;
        fp_ledger_refuse_households(&im.lg);
        staged_m -= im.lg.refused_lines - before_lines;
        staged_h -= im.lg.refused_hh - older_before;
    }
    if (ok) ok = s_apply(conn, &c) == 0;
    if (ok) ok = ctl_pg_exec("ledger import", conn, "COMMIT", "COMMIT") == 0;
    else if (PQtransactionStatus(conn) != PQTRANS_IDLE) ctl_pg_exec("ledger import", conn, "ROLLBACK", "ROLLBACK");
    double t_write = s_now();
    if (!ok) {
        fprintf(stderr, "ledger import: %s: failed; nothing was imported\n", path);
        fp_ledger_free(&im.lg);
        return 1;
    }
    s_counties_add(cs, &im.lg);
    char *results = fp_csv_results_path(path);
    bool written = s_write_results(&im, results) == 0;
    s_show_refused(&im, results);
    double secs = s_now() - t0;
    long lines = (long)im.lg.nlines;
    printf("%s: %ld lines (%s), %zu households\n", path, lines, im.lg.encoding, im.lg.nhh);
    printf("%-11s %9s %9s %9s %9s %9s\n", "", "read", "inserted", "updated", "unchanged", "refused");
    printf("%-11s %9zu %9ld %9ld %9ld %9ld\n", "households", im.lg.nhh, c.h_ins, c.h_upd, staged_h - c.h_ins - c.h_upd,
           im.lg.refused_hh);
    printf("%-11s %9ld %9ld %9ld %9ld %9ld\n", "members", lines, c.m_ins, c.m_upd, staged_m - c.m_ins - c.m_upd,
           im.lg.refused_lines);
    printf("members no longer in their household (left_on set): %ld; natural-change events recorded: %ld\n", c.m_left,
           c.events);
    if (im.lg.refused_lines)
        printf("%ld line%s refused, in %ld household%s; a household with a refused line is not loaded at all: "
               "see %s\n",
               im.lg.refused_lines, im.lg.refused_lines == 1 ? "" : "s", im.lg.refused_hh,
               im.lg.refused_hh == 1 ? "" : "s", results);
    printf("%ld lines in %.2f s (%.0f lines/s): read and check %.2f s, stage %.2f s, write %.2f s\n", lines, secs,
           secs > 0 ? (double)lines / secs : 0.0, t_parse - t0, t_stage - t_parse, t_write - t_stage);
    free(results);
    int rc = im.lg.refused_lines || !written ? 1 : 0;
    fp_ledger_free(&im.lg);
    return rc;
}

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: fangpinctl ledger import [--no-quality] FILE...\n"
            "  load quarterly census files of the rural population ledger (乡村人口台账): one CSV line\n"
            "  per member, the household's columns repeated on each; UTF-8 (with or without BOM) or GBK.\n"
            "  Columns (Chinese or English names, any order; docs/ledger.md has the values):\n"
            "    户编号 村代码 户类型 监测类型 户主姓名 姓名 身份证号 与户主关系 性别 出生日期 劳动能力\n"
            "    健康状况 在校情况 是否参保 工资性收入(元) 公益性岗位收入(元) 生产经营性收入(元)\n"
            "    财产性收入(元) 养老金(元) 计划生育金(元) 生态补偿金(元) 低保金(元) 特困供养金(元)\n"
            "    其他转移性收入(元) 生产经营费用支出(元) 医疗自付(元) 饮水安全 住房安全 调查期\n"
            "    optional: 吃穿不愁 义务教育保障 基本医疗保障 残疾等级\n"
            "  Each file is one transaction; a household with a refused line is not loaded at all;\n"
            "  FILE.results.csv lists refused lines with reasons. Importing the same file again changes\n"
            "  nothing. Members missing from a household of the file get left_on and a move_out event.\n"
            "  Then the data-quality rules run over each county it loaded (docs/quality-checks.md), as\n"
            "  `fangpinctl quality run` does, recorded as a ledger_import run; --no-quality skips that.\n"
            "  Exit status: 0 all loaded, 1 some lines refused (or a failure), 2 usage.\n"
            "PostgreSQL: $FANGPIN_PG\n");
}

int ctl_cmd_ledger(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
        s_usage(stdout);
        return 0;
    }
    if (argc < 3 || strcmp(argv[1], "import")) {
        s_usage(stderr);
        return 2;
    }
    bool quality = true;
    int nfiles = 0;
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--no-quality")) quality = false;
        else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "ledger import: unknown option %s\n", argv[i]);
            s_usage(stderr);
            return 2;
        } else nfiles++;
    if (!nfiles) {
        s_usage(stderr);
        return 2;
    }
    bool failed;
    fp_seal_t *seal = ctl_data_key(true, &failed);
    if (!seal) return 1;
    PGconn *conn = ctl_pg_connect();
    char errbuf[1024] = "";
    if (!conn || ctl_migrate(conn, "ledger", NULL) != 0 ||
        fp_migrate_check_data_key(conn, seal, errbuf, sizeof errbuf) != FP_OK) {
        if (conn && PQstatus(conn) == CONNECTION_OK && errbuf[0]) fprintf(stderr, "ledger: %s\n", errbuf);
        PQfinish(conn);
        fp_seal_free(&seal);
        return 1;
    }
    PQclear(PQexec(conn, "SET temp_buffers = '256MB'"));
    PQclear(PQexec(conn, "SET jit = off"));
    int rc = 0;
    s_counties_t cs = {0};
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--no-quality")) continue;
        int r = s_import_file(conn, seal, argv[i], &cs);
        if (r > rc) rc = r;
    }
    for (size_t k = 0; quality && k < cs.n; k++) {
        printf("data-quality run after the import (docs/quality-checks.md):\n");
        if (ctl_quality_run(conn, cs.code[k], NULL, "fangpinctl ledger import", "ledger_import")) rc = 1;
    }
    free(cs.code);
    PQfinish(conn);
    fp_seal_free(&seal);
    return rc;
}
