/* ledger.c: `fangpinctl ledger import FILE...` loads a village's or county's quarterly census of
 * the rural population ledger (乡村人口台账: one CSV row per member, the household's columns
 * repeated) into ledger_households and ledger_members. docs/ledger.md is the user's guide.
 *
 * How an import runs, per file, in ONE transaction, with memory that does not grow with the
 * file: the file is read twice in pieces of S_PIECE bytes. The first pass decides the encoding
 * (UTF-8 with or without BOM, else GBK) as fp_text_to_utf8 would for the whole file. The second
 * decodes each piece, checks each line on its own (common/ledger.c: ID number, vocabularies,
 * amounts) and streams every line, refused or not, into the temporary table ledger_stage_l
 * with one COPY as it is read. Then the checks across lines run set-based over that table
 * (s_checks_sql: the household's columns the same on every line, one person in one household,
 * one head named as on the head's own line, the villages in the regions table; a household
 * with any refused line is refused whole), and the rest is moved set-based (no statement per
 * line): natural changes are recorded in ledger_events, members missing from a household that
 * is in the file get left_on, and households and members are updated where their values differ
 * and inserted where new (a second import of the same file changes nothing, updated_at
 * included). A file that is not text, not CSV or has a bad header is rolled back whole, however
 * far the reading got. FILE.results.csv (UTF-8 with a BOM) lists every refused line with its
 * reason. */
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
#include "textenc.h"

#define S_MAX_SHOWN 20
#define S_COPY_CHUNK (256 * 1024)
#define S_PIECE (1024 * 1024) /* bytes of the file read at a time */

/* One file's import: the file's rules are common/ledger.c's; this is the I/O around them. */
typedef struct {
    const char *path;
    const fp_seal_t *seal; /* the county's data key: members' ID numbers are stored sealed */
    PGconn *conn;
    fp_ledger_t lg;
    const char *encoding; /* "utf-8" or "gbk" */
    fp_gb_dec_t *gb;      /* the GBK decoder, for a GBK file */
    fp_buf_t text;        /* a decoded piece */
    fp_buf_t copy;        /* COPY rows not sent yet */
    bool copy_failed;
} s_im_t;

/* ---- reading the file in pieces ------------------------------------------------------------ */

/* Takes a piece of the file (p[0..n), last: the file ends there) and says in *used how much of
 * it it took: the rest (a character cut by the piece's end, a few bytes) comes back in front of
 * the next piece. 0 goes on, anything else stops the reading and is s_pieces' result. */
typedef int (*s_piece_fn)(s_im_t *im, const char *p, size_t n, bool last, size_t *used);

/* Reads f from its start in pieces of S_PIECE bytes, the UTF-8 byte order mark at its start
 * skipped: fn's result, or -1 after printing a read error. */
static int s_pieces(s_im_t *im, FILE *f, s_piece_fn fn)
{
    rewind(f);
    char *buf = fp_malloc(S_PIECE + 64);
    size_t have = 0;
    int rc = 0;
    for (bool first = true;; first = false) {
        size_t n = fread(buf + have, 1, S_PIECE, f);
        if (ferror(f)) {
            fprintf(stderr, "ledger import: cannot read %s: %s\n", im->path, strerror(errno));
            rc = -1;
            break;
        }
        have += n;
        size_t off = first && have >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3) ? 3 : 0, used = 0;
        bool last = n == 0;
        rc = fn(im, buf + off, have - off, last, &used);
        if (rc || last) break;
        off += used;
        if (have - off > 32) { /* a decoder keeps back at most a character */
            fprintf(stderr, "ledger import: %s: a character longer than 32 bytes\n", im->path);
            rc = -1;
            break;
        }
        memmove(buf, buf + off, have - off);
        have -= off;
    }
    free(buf);
    return rc;
}

/* The first pass: stops (1) at the first byte that is not UTF-8. */
static int s_utf8_piece(s_im_t *im, const char *p, size_t n, bool last, size_t *used)
{
    bool bad;
    *used = fp_utf8_valid_prefix(p, n, &bad);
    if (bad || (last && *used < n)) {
        im->encoding = "gbk";
        return 1;
    }
    return 0;
}

static void s_file_error(const s_im_t *im, unsigned long line, const char *msg)
{
    if (!msg[0]) return; /* said where it happened (the COPY) */
    if (line) fprintf(stderr, "ledger import: %s:%lu: %s\n", im->path, line, msg);
    else fprintf(stderr, "ledger import: %s: %s\n", im->path, msg);
}

/* The second pass: decodes the piece and reads its lines (each staged by s_stage_line). */
static int s_text_piece(s_im_t *im, const char *p, size_t n, bool last, size_t *used)
{
    const char *text = p;
    size_t len = n;
    *used = n;
    if (im->gb) {
        fp_buf_reset(&im->text);
        if (fp_gb_dec_piece(im->gb, p, n, used, &im->text) != FP_OK || (last && *used < n)) {
            s_file_error(im, 0, "neither UTF-8 nor GBK text: save it as \"CSV UTF-8\" or \"CSV\"");
            return -1;
        }
        text = im->text.data ? im->text.data : "", len = im->text.len;
    }
    unsigned long line;
    char msg[1024];
    fp_err_t rc = fp_ledger_feed(&im->lg, text, len, &line, msg, sizeof msg);
    if (rc == FP_OK && last) rc = fp_ledger_finish(&im->lg, &line, msg, sizeof msg);
    if (rc == FP_OK) return 0;
    s_file_error(im, line, msg);
    return -1;
}

/* ---- staging: one COPY row a line ---------------------------------------------------------- */

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

static void s_field(fp_buf_t *b, const char *s)
{
    if (s) fp_db_copy_field(b, s);
    else fp_buf_puts(b, "\\N");
}

/* The household's columns of a line (S_HH_VALS' order after county_code), or as many NULLs. */
static void s_stage_hh(fp_buf_t *b, const fp_ledger_hh_t *h)
{
    if (!h->has_data) {
        for (int i = 0; i < 28; i++) fp_buf_puts(b, "\t\\N");
        return;
    }
    fp_buf_printf(b, "\t%s\t%s\t%s\t%s\t", h->county, h->village, h->type, h->kind ? h->kind : "\\N");
    fp_db_copy_field(b, h->head);
    for (int i = 0; i < FP_LEDGER_NAMT; i++) fp_buf_printf(b, "\t%" PRId64, h->amt[i]);
    for (int g = 0; g < FP_LEDGER_NGUAR; g++) {
        fp_buf_printf(b, "\t%s\t", h->ok[g] < 0 ? "\\N" : h->ok[g] ? "t" : "f");
        fp_db_copy_field(b, h->ok[g] == 0 ? h->why[g] : "");
    }
    fp_buf_printf(b, "\t%s", h->period);
}

/* fp_ledger's callback: the line as a row of ledger_stage_l (S_L_COLS). */
static int s_stage_line(void *ctx, const fp_ledger_t *lg, const fp_ledger_line_t *l)
{
    (void)lg;
    s_im_t *im = ctx;
    fp_buf_t *b = &im->copy;
    fp_buf_printf(b, "%" PRIu32 "\t", l->line);
    s_field(b, l->household_no);
    fp_buf_puts(b, "\t");
    s_field(b, l->code);
    fp_buf_puts(b, "\t");
    s_field(b, l->code ? l->zh : NULL);
    fp_buf_puts(b, "\t");
    s_field(b, l->code ? l->en : NULL);
    fp_buf_puts(b, l->hh.has_data ? "\tt" : "\tf");
    s_stage_hh(b, &l->hh);
    fp_buf_puts(b, "\t");
    if (l->id[0]) fp_seal_copy_fields(im->seal, l->id, b);
    else fp_buf_puts(b, "\\N\t\\N\t\\N");
    fp_buf_puts(b, "\t");
    s_field(b, l->name);
    fp_buf_puts(b, "\t");
    s_field(b, l->relation);
    if (l->code || !l->sex) {
        fp_buf_puts(b, "\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n");
    } else {
        char birth[11];
        fp_date_format(l->birth, birth);
        fp_buf_printf(b, "\t%s\t%s\t%s\t%s\t", birth, l->sex, l->labour, l->health);
        if (l->disability) fp_buf_printf(b, "%d", l->disability);
        else fp_buf_puts(b, "\\N");
        fp_buf_printf(b, "\t%s\t%s\n", l->schooling, l->insured ? "t" : "f");
    }
    if (s_copy_put(im->conn, b, false)) {
        im->copy_failed = true;
        return -1;
    }
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

/* Every line of the file, refused or not: what the checks across lines need, and the household
 * and member it is when accepted (code NULL). The column types are the ledger's own. */
#define S_L_COLS                                                                                                \
    "line, household_no, code, zh, en, hh_ok, county_code, " S_HH_VALS("") ", id_hmac, id_sealed, id_masked,"   \
                                                                           " name, relation, birth_date, sex,"  \
                                                                           " labour, health, disability_grade," \
                                                                           " schooling, insured"
static const char s_stage_sql[] =
    "CREATE TEMP TABLE ledger_stage_l AS"
    " SELECT 0 AS line, h.household_no, ''::text AS code, ''::text AS zh, ''::text AS en, true AS hh_ok,"
    "        h.county_code, " S_HH_VALS("h.") ", m.id_hmac, m.id_sealed, m.id_masked, m.name, m.relation,"
                                              " m.birth_date, m.sex, m.labour, m.health, m.disability_grade,"
                                              " m.schooling, m.insured"
                                              "   FROM ledger_households h, ledger_members m WITH NO DATA";

/* The first household column (numbered as fp_ledger_sql_names numbers them) where line l
 * differs from r, its household's first line whose household columns all parsed. */
#define S_DIFF(n, c) " WHEN l." c " IS DISTINCT FROM r." c " THEN " #n
#define S_DIFF2(n, c) " WHEN (l." c "_ok, l." c "_reason) IS DISTINCT FROM (r." c "_ok, r." c "_reason) THEN " #n
#define S_DIFF_CASE                                                                                               \
    "CASE WHEN NOT l.hh_ok OR l.line = r.line THEN NULL" S_DIFF(1, "village_code") S_DIFF(2, "household_type")    \
        S_DIFF(3, "monitored_kind") S_DIFF(4, "head_name") S_DIFF(5, "wage_fen") S_DIFF(6, "wage_public_job_fen") \
            S_DIFF(7, "operating_fen") S_DIFF(8, "property_fen") S_DIFF(9, "pension_fen")                         \
                S_DIFF(10, "family_planning_fen") S_DIFF(11, "eco_compensation_fen") S_DIFF(12, "dibao_fen")      \
                    S_DIFF(13, "tekun_fen") S_DIFF(14, "other_transfer_fen") S_DIFF(15, "production_cost_fen")    \
                        S_DIFF(16, "medical_oop_fen") S_DIFF2(17, "food_clothing") S_DIFF2(18, "education")       \
                            S_DIFF2(19, "medical") S_DIFF2(20, "housing") S_DIFF2(21, "water")                    \
                                S_DIFF(22, "survey_period") " END"

/* The checks across lines, set-based, in the order of their precedence (a line keeps the first
 * reason it is refused for): a household column that differs from the household's (it comes
 * before the line's own member checks: those are the line's, this is its household's); then,
 * for the lines still accepted, the same ID number twice in the file (the first line names the
 * second, the others the first), the household's village not in the regions table, a second
 * head, the head's name not as on the head's own line, no head at all (on the household's first
 * line). $1: fp_ledger_sql_names() ([1] village, [4] head's name, [23] relation). */
static const char s_checks_sql[] =
    "WITH hh AS ("
    " SELECT household_no, min(line) AS first_line, min(line) FILTER (WHERE hh_ok) AS ref_line,"
    "        min(line) FILTER (WHERE relation = 'head') AS head_line,"
    "        count(*) FILTER (WHERE relation = 'head') AS heads"
    "   FROM ledger_stage_l WHERE household_no IS NOT NULL GROUP BY household_no),"
    " ref AS (SELECT r.line, r.household_no, " S_HH_VALS("r.") " FROM ledger_stage_l r"
    "  WHERE r.line IN (SELECT ref_line FROM hh)),"
    " unknown AS (SELECT v.village_code FROM (SELECT DISTINCT village_code FROM ref) v"
    "  WHERE NOT EXISTS (SELECT 1 FROM regions g WHERE g.code = v.village_code AND g.level = 5)),"
    " l AS ("
    " SELECT l.line, l.code, l.id_hmac, l.relation, l.name, h.first_line, h.head_line, h.heads,"
    "        r.village_code AS r_village, r.head_name AS r_head, " S_DIFF_CASE " AS diff"
    "   FROM ledger_stage_l l JOIN hh h ON h.household_no = l.household_no"
    "   LEFT JOIN ref r ON r.household_no = l.household_no),"
    " dupk AS (SELECT id_hmac, min(line) AS first_line FROM l WHERE code IS NULL AND diff IS NULL"
    "   GROUP BY id_hmac HAVING count(*) > 1),"
    " dup AS (SELECT c.line, CASE WHEN c.line = k.first_line"
    "        THEN min(c.line) FILTER (WHERE c.line > k.first_line) OVER (PARTITION BY c.id_hmac)"
    "        ELSE k.first_line END AS other"
    "   FROM l c JOIN dupk k ON k.id_hmac = c.id_hmac WHERE c.code IS NULL AND c.diff IS NULL),"
    " why AS ("
    " SELECT l.*, d.other, CASE WHEN l.diff IS NOT NULL THEN 'household.inconsistent'"
    "        WHEN l.code IS NOT NULL THEN NULL"
    "        WHEN d.line IS NOT NULL THEN 'id.duplicate'"
    "        WHEN u.village_code IS NOT NULL THEN 'village.unknown'"
    "        WHEN l.relation = 'head' AND l.line <> l.head_line THEN 'household.heads'"
    "        WHEN l.line = l.head_line AND l.name <> l.r_head THEN 'household.head_name'"
    "        WHEN l.heads = 0 AND l.line = l.first_line THEN 'household.no_head' END AS why"
    "   FROM l LEFT JOIN dup d ON d.line = l.line LEFT JOIN unknown u ON u.village_code = l.r_village)"
    " UPDATE ledger_stage_l s SET code = w.why,"
    "   zh = CASE w.why"
    "     WHEN 'household.inconsistent' THEN format('%s：与本户第 %s 行的户信息不一致', ($1::text[])[w.diff], "
    "w.first_line)"
    "     WHEN 'id.duplicate' THEN format('身份证号与第 %s 行重复：一人只能属于一户', w.other)"
    "     WHEN 'village.unknown' THEN format('%s：%s 不是区划代码表中的村', ($1::text[])[1], w.r_village)"
    "     WHEN 'household.heads' THEN format('%s：本户已有户主（第 %s 行）：一户只有一个户主', ($1::text[])[23],"
    "       w.head_line)"
    "     WHEN 'household.head_name' THEN format('%s：与户主本人一行的姓名不一致', ($1::text[])[4])"
    "     ELSE '本户没有与户主关系为“户主”的成员' END,"
    "   en = CASE w.why"
    "     WHEN 'household.inconsistent' THEN format('%s: differs from line %s, the household''s first line',"
    "       ($1::text[])[w.diff], w.first_line)"
    "     WHEN 'id.duplicate' THEN format('the same ID number as line %s: a person belongs to one household', w.other)"
    "     WHEN 'village.unknown' THEN format('%s: %s is not a village of the regions table', ($1::text[])[1],"
    "       w.r_village)"
    "     WHEN 'household.heads' THEN format('%s: the household already has a head (line %s)', ($1::text[])[23],"
    "       w.head_line)"
    "     WHEN 'household.head_name' THEN format('%s: differs from the name on the head''s own line',"
    "       ($1::text[])[4])"
    "     ELSE 'no member of the household is its head (户主)' END"
    "  FROM why w WHERE w.why IS NOT NULL AND s.line = w.line";
/* Then every still-accepted line of a household with a refused line, naming its first one. */
static const char s_whole_sql[] =
    "WITH bad AS (SELECT household_no, min(line) AS refused_line FROM ledger_stage_l"
    "  WHERE code IS NOT NULL AND household_no IS NOT NULL GROUP BY household_no)"
    " UPDATE ledger_stage_l l SET code = 'household.refused',"
    "   zh = format('本户第 %s 行被拒，整户不导入', b.refused_line),"
    "   en = format('line %s of this household was refused: the whole household is not loaded', b.refused_line)"
    "  FROM bad b WHERE l.household_no = b.household_no AND l.code IS NULL";
/* The households and members to load: the accepted lines (a household's columns are the same on
 * each of its lines: its first). */
static const char s_split_sql[] =
    "CREATE TEMP TABLE ledger_stage_h AS SELECT " S_HH_COLS " FROM ledger_stage_l"
    " WHERE line IN (SELECT min(line) FROM ledger_stage_l WHERE code IS NULL GROUP BY household_no);"
    "CREATE TEMP VIEW ledger_stage_m AS SELECT " S_M_COLS " FROM ledger_stage_l WHERE code IS NULL";
/* Households the ledger holds from a later survey are refused (not overwritten). */
static const char s_older_sql[] =
    "WITH old AS (SELECT s.household_no, s.survey_period, h.survey_period AS newer"
    "   FROM ledger_stage_h s JOIN ledger_households h"
    "     ON h.county_code = s.county_code AND h.household_no = s.household_no"
    "  WHERE h.survey_period > s.survey_period),"
    " dh AS (DELETE FROM ledger_stage_h h USING old o WHERE h.household_no = o.household_no)"
    " UPDATE ledger_stage_l l SET code = 'period.older',"
    "   zh = format('台账中本户已有更新的调查期 %s 的数据（本文件为 %s），不覆盖', o.newer, o.survey_period),"
    "   en = format('the ledger already holds this household from a later survey (%s; this file: %s)', o.newer,"
    "               o.survey_period)"
    "  FROM old o WHERE l.household_no = o.household_no AND l.code IS NULL";

/* The checks across lines, then the split into households and members to load. */
static int s_check(s_im_t *im)
{
    fp_buf_t names = {0};
    fp_ledger_sql_names(&im->lg, &names);
    const char *params[1] = {names.data};
    PGresult *res = PQexecParams(im->conn, s_checks_sql, 1, NULL, params, NULL, NULL, 0);
    fp_buf_free(&names);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) fprintf(stderr, "ledger import: checking the lines together: %s", PQresultErrorMessage(res));
    PQclear(res);
    return ok && ctl_pg_exec("ledger import", im->conn, s_whole_sql, "refusing whole households") == 0 &&
            ctl_pg_exec("ledger import", im->conn, s_split_sql, "staging households") == 0 &&
            ctl_pg_exec("ledger import", im->conn, "ANALYZE ledger_stage_h (county_code, household_no)",
                        "analysing the staged households") == 0 &&
            ctl_pg_exec("ledger import", im->conn,
                        /* the counties in key order, so that two imports cannot wait for each other */
                        "SELECT pg_advisory_xact_lock(hashtext('ledger_import:' || county_code))"
                        "  FROM (SELECT DISTINCT county_code FROM ledger_stage_h ORDER BY 1) c",
                        "locking the file's counties") == 0 &&
            ctl_pg_exec("ledger import", im->conn, s_older_sql, "checking survey periods") == 0
        ? 0
        : -1;
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

/* FILE.results.csv: every refused line with its reason, in line order, read from the staging
 * table a row at a time; the first S_MAX_SHOWN refused for themselves (not for their
 * household) are shown on stderr too. */
static int s_write_results(const s_im_t *im, const char *out)
{
    fp_csv_file_t w;
    if (fp_csv_file_open(&w, out, "行号,户编号,结果,原因代码,原因,reason") != 0) {
        fprintf(stderr, "ledger import: cannot write %s: %s\n", out, strerror(errno));
        return -1;
    }
    int ok = PQsendQuery(im->conn,
                         "SELECT line, coalesce(household_no, ''), code, zh, en FROM ledger_stage_l"
                         " WHERE code IS NOT NULL ORDER BY line") == 1 &&
        PQsetSingleRowMode(im->conn) == 1;
    long shown = 0;
    PGresult *res;
    while ((res = PQgetResult(im->conn)) != NULL) {
        if (PQresultStatus(res) == PGRES_SINGLE_TUPLE) {
            const char *cells[] = {PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), "refused",
                                   PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4)};
            fp_csv_file_row(&w, cells, sizeof cells / sizeof *cells);
            if (strcmp(cells[3], "household.refused") && ++shown <= S_MAX_SHOWN)
                fprintf(stderr, "%s:%s: refused: %s: %s (%s)\n", im->path, cells[0], cells[3], cells[4], cells[5]);
        } else if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            fprintf(stderr, "ledger import: reading the refused lines: %s", PQresultErrorMessage(res));
            ok = 0;
        }
        PQclear(res);
    }
    if (shown > S_MAX_SHOWN) fprintf(stderr, "... and %ld more: see %s\n", shown - S_MAX_SHOWN, out);
    if (fp_csv_file_close(&w, out) != 0) {
        fprintf(stderr, "ledger import: cannot write %s: %s\n", out, strerror(errno));
        return -1;
    }
    return ok ? 0 : -1;
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

static void s_counties_add(s_counties_t *cs, const char *county)
{
    for (size_t k = 0; k < cs->n; k++)
        if (!strcmp(cs->code[k], county)) return;
    if (cs->n == cs->cap) {
        cs->cap = cs->cap ? 2 * cs->cap : 8;
        cs->code = fp_realloc(cs->code, cs->cap * sizeof *cs->code);
    }
    snprintf(cs->code[cs->n++], sizeof *cs->code, "%s", county);
}

/* What the file held: lines, households, refused of each, staged households; and its counties. */
typedef struct {
    long lines, hh, refused_lines, refused_hh, staged_h;
} s_file_counts_t;

static int s_file_counts(s_im_t *im, s_file_counts_t *f, s_counties_t *cs)
{
    PGresult *res = PQexec(im->conn,
                           "SELECT (SELECT count(*) FROM ledger_stage_l), (SELECT count(code) FROM ledger_stage_l),"
                           " count(*), count(*) FILTER (WHERE bad), (SELECT count(*) FROM ledger_stage_h),"
                           " (SELECT string_agg(DISTINCT county_code, ' ') FROM ledger_stage_h)"
                           " FROM (SELECT bool_or(code IS NOT NULL) AS bad FROM ledger_stage_l"
                           "        WHERE household_no IS NOT NULL GROUP BY household_no) x");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        fprintf(stderr, "ledger import: counting: %s", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    f->lines = atol(PQgetvalue(res, 0, 0)), f->refused_lines = atol(PQgetvalue(res, 0, 1));
    f->hh = atol(PQgetvalue(res, 0, 2)), f->refused_hh = atol(PQgetvalue(res, 0, 3));
    f->staged_h = atol(PQgetvalue(res, 0, 4));
    char *counties = fp_strdup(PQgetvalue(res, 0, 5)), *save = NULL;
    for (char *c = strtok_r(counties, " ", &save); c; c = strtok_r(NULL, " ", &save)) s_counties_add(cs, c);
    free(counties);
    PQclear(res);
    return 0;
}

/* Reads, checks and stages the file (the second pass), in the open transaction. */
static int s_stage_file(s_im_t *im, FILE *f)
{
    if (ctl_pg_exec("ledger import", im->conn, s_stage_sql, "creating the staging table") ||
        s_copy_begin(im->conn, "COPY ledger_stage_l (" S_L_COLS ") FROM STDIN"))
        return -1;
    if (!strcmp(im->encoding, "gbk") && !(im->gb = fp_gb_dec_new())) {
        fprintf(stderr, "ledger import: this system cannot decode GBK (glibc's gconv modules missing)\n");
        s_copy_end(im->conn, true);
        return -1;
    }
    int bad = s_pieces(im, f, s_text_piece) != 0 || im->copy_failed;
    if (!bad) bad = s_copy_put(im->conn, &im->copy, true);
    bad = s_copy_end(im->conn, bad) || bad;
    /* statistics of the staged lines: without them every statement after this one is planned
     * for a few hundred lines (a temporary table has none until analysed) */
    if (!bad) bad = ctl_pg_exec("ledger import", im->conn, "ANALYZE ledger_stage_l (line, household_no, code, county_code, id_hmac, relation)",
                                     "analysing the staged lines");
    return bad ? -1 : 0;
}

/* The file in one transaction: 0 committed, -1 rolled back (said why). */
static int s_load(s_im_t *im, FILE *f, s_counts_t *c, double *t_stage)
{
    int ok = s_pieces(im, f, s_utf8_piece) >= 0 && ctl_pg_exec("ledger import", im->conn, "BEGIN", "BEGIN") == 0 &&
        s_stage_file(im, f) == 0;
    *t_stage = s_now();
    if (ok) ok = s_check(im) == 0 && s_apply(im->conn, c) == 0;
    if (ok) ok = ctl_pg_exec("ledger import", im->conn, "COMMIT", "COMMIT") == 0;
    else if (PQtransactionStatus(im->conn) != PQTRANS_IDLE)
        ctl_pg_exec("ledger import", im->conn, "ROLLBACK", "ROLLBACK");
    return ok ? 0 : -1;
}

static void s_summary(const s_im_t *im, const s_file_counts_t *f, const s_counts_t *c, const char *results)
{
    long staged_m = f->lines - f->refused_lines;
    printf("%s: %ld lines (%s), %ld households\n", im->path, f->lines, im->encoding, f->hh);
    printf("%-11s %9s %9s %9s %9s %9s\n", "", "read", "inserted", "updated", "unchanged", "refused");
    printf("%-11s %9ld %9ld %9ld %9ld %9ld\n", "households", f->hh, c->h_ins, c->h_upd,
           f->staged_h - c->h_ins - c->h_upd, f->refused_hh);
    printf("%-11s %9ld %9ld %9ld %9ld %9ld\n", "members", f->lines, c->m_ins, c->m_upd, staged_m - c->m_ins - c->m_upd,
           f->refused_lines);
    printf("members no longer in their household (left_on set): %ld; natural-change events recorded: %ld\n", c->m_left,
           c->events);
    if (f->refused_lines)
        printf("%ld line%s refused, in %ld household%s; a household with a refused line is not loaded at all: "
               "see %s\n",
               f->refused_lines, f->refused_lines == 1 ? "" : "s", f->refused_hh, f->refused_hh == 1 ? "" : "s",
               results);
}

static int s_import_file(PGconn *conn, const fp_seal_t *seal, const char *path, s_counties_t *cs)
{
    double t0 = s_now(), t_stage;
    s_im_t im = {.path = path, .seal = seal, .conn = conn, .encoding = "utf-8"};
    long size;
    FILE *f = ctl_open_file("ledger import", path, "by township", &size);
    if (!f) return 1;
    fp_ledger_init(&im.lg, fp_date_today_utc8(), s_stage_line, &im);
    s_counts_t c = {0};
    int failed = s_load(&im, f, &c, &t_stage);
    fclose(f);
    fp_ledger_free(&im.lg);
    fp_gb_dec_free(&im.gb);
    fp_buf_free(&im.text);
    fp_buf_free(&im.copy);
    double t_write = s_now();
    if (failed) {
        fprintf(stderr, "ledger import: %s: failed; nothing was imported\n", path);
        return 1;
    }
    s_file_counts_t fc = {0};
    char *results = fp_csv_results_path(path);
    bool written = s_file_counts(&im, &fc, cs) == 0 && s_write_results(&im, results) == 0;
    if (written) s_summary(&im, &fc, &c, results);
    double secs = s_now() - t0;
    printf("%ld lines in %.2f s (%.0f lines/s): read, check and stage %.2f s, check across lines and write %.2f s\n",
           fc.lines, secs, secs > 0 ? (double)fc.lines / secs : 0.0, t_stage - t0, t_write - t_stage);
    free(results);
    ctl_pg_exec("ledger import", conn, "DROP VIEW ledger_stage_m; DROP TABLE ledger_stage_h, ledger_stage_l",
                "dropping the staging tables");
    return fc.refused_lines || !written ? 1 : 0;
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
    PQclear(PQexec(conn, "SET work_mem = '128MB'"));
    int rc = 0;
    s_counties_t cs = {0};
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--no-quality")) continue;
        int r = s_import_file(conn, seal, argv[i], &cs);
        if (r > rc) rc = r;
    }
    /* Fresh statistics before anything reads the new rows: a county's first large import is
     * otherwise planned by the rules (and by screening's matching) as if the ledger were still
     * empty, and the rules' joins then grow with the square of the county (bench/compare/README.md,
     * "the rules' 30 s target"). Not fatal: autovacuum analyses later anyway. */
    if (cs.n > 0) ctl_pg_exec("ledger", conn, "ANALYZE ledger_households, ledger_members", "analysing the ledger");
    for (size_t k = 0; quality && k < cs.n; k++) {
        printf("data-quality run after the import (docs/quality-checks.md):\n");
        if (ctl_quality_run(conn, cs.code[k], NULL, "fangpinctl ledger import", "ledger_import")) rc = 1;
    }
    free(cs.code);
    PQfinish(conn);
    fp_seal_free(&seal);
    return rc;
}
