/* ledger.h: the rules of the rural population ledger's census file (乡村人口台账: one CSV line
 * per member, the household's columns repeated on each), as `fangpinctl ledger import` applies
 * them (docs/ledger.md is the user's guide). Pure: text in, one checked line at a time out, with
 * a reason for every line it refuses; the database and the files are the caller's.
 *
 * What it checks here, line by line: the CSV, the header (Chinese or English column names, any
 * order, extra columns ignored), and on every line the ID number, the vocabularies, the amounts
 * (yuan, at most two decimals, "1,234.50" accepted), the guarantees, the survey period. It keeps
 * nothing of a line once its callback returned, so memory does not grow with the file.
 *
 * The checks across lines (the household's columns the same on every line of the household, one
 * person in one household, one head per household named as on the head's own line, the village
 * in the regions table, a household with any refused line refused whole) need the whole file:
 * `fangpinctl ledger import` runs them set-based in SQL over the lines it staged
 * (tools/fangpinctl/ledger.c), with the column names of fp_ledger_sql_names().
 *
 * Use:
 *     fp_ledger_t lg;
 *     fp_ledger_init(&lg, today, on_line, ctx);     on_line(ctx, &lg, line) for every data line
 *     fp_ledger_feed(&lg, utf8, n, &line, msg, sizeof msg) ... as the text comes (any pieces)
 *     fp_ledger_finish(&lg, &line, msg, sizeof msg);
 *     fp_ledger_free(&lg);
 * or fp_ledger_read() for bytes in memory (UTF-8 or GBK, decided as fp_text_to_utf8 does).
 */
#ifndef FP_LEDGER_H
#define FP_LEDGER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem.h"
#include "err.h"

/* the amounts of a household, in table order: wage, public_job, operating, property, pension,
 * family_planning, eco_compensation, dibao, tekun, other_transfer, production_cost, medical_oop */
#define FP_LEDGER_NAMT 12
/* the guarantees, in table order: food_clothing, education, medical, housing, water */
#define FP_LEDGER_NGUAR 5
#define FP_LEDGER_NCOLS 33

/* One household's columns as one line writes them. */
typedef struct {
    const char *head; /* the head's name */
    char village[13], county[7], period[7];
    const char *type, *kind;
    int64_t amt[FP_LEDGER_NAMT];      /* fen */
    signed char ok[FP_LEDGER_NGUAR];  /* 1 yes, 0 no, -1 not surveyed */
    const char *why[FP_LEDGER_NGUAR]; /* the reason written after a no, else "" */
    bool has_data;                    /* all parsed; when false the line is refused for them */
} fp_ledger_hh_t;

/* One data line of the file, as the callback sees it: its strings live until the call returns. */
typedef struct {
    uint32_t line;
    const char *household_no;                      /* NULL when the household number itself is bad */
    const char *code, *zh, *en;                    /* the reason it is refused for; code NULL: accepted */
    fp_ledger_hh_t hh;                             /* the household's columns (hh.has_data: parsed) */
    const char *name;                              /* NULL when not read */
    char id[19];                                   /* the ID number, "" when not read */
    const char *relation;                          /* the stored code, NULL when not read */
    const char *sex, *labour, *health, *schooling; /* the stored codes, when accepted */
    int disability;                                /* 0: none */
    bool insured;
    int32_t birth; /* days since 1970-01-01 */
} fp_ledger_line_t;

typedef struct fp_ledger fp_ledger_t;
/* Called for every data line, in file order; nonzero stops the reading (FP_EIO, msg empty). */
typedef int (*fp_ledger_line_fn)(void *ctx, const fp_ledger_t *lg, const fp_ledger_line_t *l);

struct fp_ledger {
    struct fp_csv *csv;
    bool have_header;
    int col[FP_LEDGER_NCOLS];          /* field index of each column, -1 absent */
    char colname[FP_LEDGER_NCOLS][64]; /* its name as the header writes it */
    size_t ncols;
    int32_t today;        /* for the ID numbers' birth dates */
    const char *encoding; /* "utf-8" or "gbk", after fp_ledger_read (the caller's otherwise) */
    fp_ledger_line_fn on_line;
    void *ctx;
    fp_ledger_line_t cur;
    char zh[1100], en[1100]; /* the current line's reason */
    unsigned long nlines;    /* data lines so far */
};

void fp_ledger_init(fp_ledger_t *lg, int32_t today, fp_ledger_line_fn on_line, void *ctx);
void fp_ledger_free(fp_ledger_t *lg);

/* Reads the next piece of the decoded text (UTF-8, without a byte order mark; pieces may cut
 * anywhere): the header, then every line's own checks, each line handed to on_line. FP_OK, or
 * an error of the file as a whole (broken CSV, a header without the required columns) with
 * *line (0 when none) and its description in msg; then nothing of the file may be imported. */
fp_err_t fp_ledger_feed(fp_ledger_t *lg, const char *text, size_t len, unsigned long *line, char *msg, size_t msgsz);
/* The end of the text: its last line, and FP_EINVAL "empty: no header line" when it had none. */
fp_err_t fp_ledger_finish(fp_ledger_t *lg, unsigned long *line, char *msg, size_t msgsz);

/* The whole file in memory: the encoding (UTF-8 with or without BOM, or GBK), then feed and
 * finish. "neither UTF-8 nor GBK" is an error of the file as a whole. */
fp_err_t fp_ledger_read(fp_ledger_t *lg, const char *data, size_t len, unsigned long *line, char *msg, size_t msgsz);

/* The header's names of the columns the checks across lines name, as a PostgreSQL text[]
 * literal appended to out: [1..22] the household's columns in the order a line is compared with
 * its household's (village, type, kind, head's name, the 12 amounts in table order, the 5
 * guarantees in table order, survey period), [23] the relation to the head. */
void fp_ledger_sql_names(const fp_ledger_t *lg, fp_buf_t *out);

#endif
