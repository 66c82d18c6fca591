/* ledger.h: the rules of the rural population ledger's census file (乡村人口台账: one CSV line
 * per member, the household's columns repeated on each), as `fangpinctl ledger import` applies
 * them (docs/ledger.md is the user's guide). Pure: bytes in, checked households and members
 * out, with a reason for every refused line; the database and the files are the caller's.
 *
 * What it checks: the encoding (UTF-8 with or without BOM, or GBK), the CSV, the header
 * (Chinese or English column names, any order, extra columns ignored), and on every line the
 * ID number, the vocabularies, the amounts (yuan, at most two decimals, "1,234.50" accepted),
 * the guarantees, the survey period, the household's columns the same on every line of the
 * household, one person in one household, one head per household named as on the head's own
 * line. A household with any refused line is refused whole.
 *
 * Use:
 *     fp_ledger_t lg;
 *     fp_ledger_init(&lg, today);
 *     if (fp_ledger_read(&lg, bytes, len, &line, msg, sizeof msg) != FP_OK) -> the file is refused
 *     fp_ledger_refuse_villages(&lg, known, nknown);   (the villages of the regions table)
 *     fp_ledger_households(&lg);
 *     fp_ledger_refuse_households(&lg);
 *     ... stage lg.hhs[k] (not refused, has_data) and lg.lines[i] (reason < 0, hh >= 0) ...
 *     fp_ledger_free(&lg);
 */
#ifndef FP_LEDGER_H
#define FP_LEDGER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "err.h"

/* the amounts of a household, in table order: wage, public_job, operating, property, pension,
 * family_planning, eco_compensation, dibao, tekun, other_transfer, production_cost, medical_oop */
#define FP_LEDGER_NAMT 12
/* the guarantees, in table order: food_clothing, education, medical, housing, water */
#define FP_LEDGER_NGUAR 5
#define FP_LEDGER_NCOLS 33

/* One data line of the file. */
typedef struct {
    uint32_t line;
    int32_t hh;     /* household index, -1 when the household number itself is bad */
    int32_t reason; /* index into arena.reasons, -1: accepted */
    uint32_t name;  /* arena offset */
    char id[19];
    const char *relation, *sex, *labour, *health, *schooling; /* the stored codes */
    int disability;                                           /* 0: none */
    bool insured;
    int32_t birth; /* days since 1970-01-01 */
} fp_ledger_line_t;

/* One household of the file. */
typedef struct {
    uint32_t no, head; /* arena offsets */
    char village[13], county[7], period[7];
    const char *type, *kind;
    int64_t amt[FP_LEDGER_NAMT];     /* fen */
    signed char ok[FP_LEDGER_NGUAR]; /* 1 yes, 0 no, -1 not surveyed */
    uint32_t why[FP_LEDGER_NGUAR];   /* arena offsets: the reason written after a no */
    bool has_data, refused;
    uint32_t first_line, refused_line;
    int32_t first_idx; /* first line index, for the head checks */
    uint32_t nlines;
} fp_ledger_hh_t;

typedef struct {
    fp_arena_t arena; /* the strings (offsets below) and the reasons (indexes) */
    fp_ledger_line_t *lines;
    size_t nlines, lines_cap;
    fp_ledger_hh_t *hhs;
    size_t nhh, hh_cap;
    int32_t *hh_tab; /* open addressing: household index + 1, 0 empty */
    size_t hh_tab_cap;
    int32_t *id_tab; /* line index + 1 */
    size_t id_tab_cap, nids;
    int col[FP_LEDGER_NCOLS];          /* field index of each column, -1 absent */
    char colname[FP_LEDGER_NCOLS][64]; /* its name as the header writes it */
    size_t ncols;
    int32_t today;        /* for the ID numbers' birth dates */
    const char *encoding; /* "utf-8" or "gbk", after fp_ledger_read */
    long refused_lines, refused_hh;
} fp_ledger_t;

void fp_ledger_init(fp_ledger_t *lg, int32_t today);
void fp_ledger_free(fp_ledger_t *lg);

/* Reads the whole file: the encoding, the CSV, the header and every line's own checks. FP_OK,
 * or an error of the file as a whole (not text, broken CSV, a header without the required
 * columns, no header at all) with *line (0 when none) and its description in msg; then nothing
 * of the file may be imported. */
fp_err_t fp_ledger_read(fp_ledger_t *lg, const char *data, size_t len, unsigned long *line, char *msg, size_t msgsz);

/* Refuses every line of a household whose village code is not among known[0..n) (sorted with
 * strcmp: the villages of the regions table). */
void fp_ledger_refuse_villages(fp_ledger_t *lg, const char (*known)[13], size_t n);

/* After all lines: one head per household, the head's name, and which households are refused. */
void fp_ledger_households(fp_ledger_t *lg);

/* Refuses every still-accepted line of a refused household (pointing to the cause) and counts
 * refused_lines and refused_hh. Call again after fp_ledger_refuse_older. */
void fp_ledger_refuse_households(fp_ledger_t *lg);

/* Refuses the household household_no because the ledger holds it from a later survey (newer). */
void fp_ledger_refuse_older(fp_ledger_t *lg, const char *household_no, const char *newer);

#endif
