/* leadfile.h: a department's monthly file as leads, the part of a push that `fangpinctl push`
 * and intake's desk share (docs/push.md): the file read (sheet.h) and hashed, each record mapped
 * to the lead fields by a column profile (profile.h) and either refused here (a cell count or an
 * amount that cannot be sent) or ready to send; the lines cut into SubmitLeads batches whose ids
 * are made of the file's hash, the period, the batch size and the batch's number, so that the
 * same file pushed again (by either) is the same batches and intake answers them from what it
 * stored; the service's answers taken back line by line; the results for the results file.
 *
 * Reading happens before anything is sent: a broken file or a missing column sends nothing. */
#ifndef FP_LEADFILE_H
#define FP_LEADFILE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "fangpin/v1/intake.pb-c.h"
#include "mem.h"
#include "profile.h"
#include "sheet.h"

/* A line's result, as fp_lead_result_name names it ("pending" ... "failed"). */
enum { FP_LF_PENDING, FP_LF_ACCEPTED, FP_LF_DUPLICATE, FP_LF_REJECTED, FP_LF_FAILED };
const char *fp_lead_result_name(unsigned result);

/* One data line of the file. Strings are offsets into the file's arena. */
typedef struct {
    uint32_t line;       /* where the record starts in the file (line, or sheet row) */
    uint32_t f[FP_PF_N]; /* field values (FP_PF_AMOUNT unused: see amount_fen) */
    int64_t amount_fen;
    bool has_amount;
    uint8_t result;   /* FP_LF_* */
    int32_t reason;   /* index into arena.reasons, -1: none */
    int64_t id;       /* the lead id (accepted) or the lead it repeats (duplicate) */
    char village[13]; /* the village code the line resolved to (accepted, duplicate) */
} fp_lead_row_t;

typedef struct {
    const char *path;      /* the file's name in messages */
    fp_profile_t profile;  /* set by the caller before fp_leadfile_load (fp_profile_default...) */
    char profile_name[72]; /* "NAME@VERSION", "" for the built-in one */
    fp_sheet_t sheet;      /* its reading, and its original cells for the results */
    const char *encoding;  /* "xlsx", "utf-8", "gbk" */
    char hash[17];         /* the first 8 bytes of the file's BLAKE2b, hex */
    fp_arena_t arena;      /* the field strings and the reasons */
    fp_lead_row_t *rows;
    size_t nrows, rows_cap;
    bool header_ready;  /* the header line was found */
    bool header_failed; /* the header lacks the profile's columns (why in err) */
    fp_buf_t cell;      /* one field's value while a line is read */
    fp_buf_t err;       /* why the file could not be read: lines ending in '\n' */
    long n_accepted, n_duplicate, n_rejected, n_local, n_failed;
} fp_leadfile_t;

/* Reads raw (the whole file, kept valid until fp_leadfile_free) as lf->profile lays it out into
 * lf->rows, keeping the original cells of the header and every lead line for the results file.
 * 0; or -1 with why in lf->err (header_failed: the header's problems and what it holds; a file
 * that ends before its header: "FILE is empty..."). */
int fp_leadfile_load(fp_leadfile_t *lf, const char *path, const fp_buf_t *raw);

/* The lines of one batch unless told otherwise (`fangpinctl push --chunk`; the desk always):
 * the same file pushed by either makes the same batch ids. */
#define FP_LEADFILE_CHUNK 2000

/* The id of batch index (from 0) of the lines cut into batches of chunk lines. */
void fp_leadfile_batch_id(const fp_leadfile_t *lf, const char *period, long chunk, size_t index, char out[80]);

/* The packed IntakeRequest (SubmitLeads, request id = batch id) of lines [first, first+count)
 * that were not refused here, into *req / *len (the caller frees it), and *map (the caller
 * frees it): lead index in the request -> row. Returns how many leads it holds; 0 (nothing
 * allocated) when every line was refused here. */
size_t fp_leadfile_request(fp_leadfile_t *lf, const char *period, const char *batch_id, size_t first, size_t count,
                           uint32_t **map, uint8_t **req, size_t *len);

/* Takes the per-line results of an answered batch of nsent leads (map as fp_leadfile_request
 * made it) into the rows; false, taking nothing, when they do not match the request. */
bool fp_leadfile_take(fp_leadfile_t *lf, const uint32_t *map, size_t nsent, const Fangpin__V1__IntakeReply *rep);

/* Lines of [first, first+count) still pending: failed, for reason (an arena reason index). */
void fp_leadfile_unanswered(fp_leadfile_t *lf, size_t first, size_t count, int32_t reason);

/* The lines of [first, first+count) still pending, when the service refused their batch as a
 * whole with code and its words en / zh (mismatch: its answer did not fit the request): failed,
 * with the reason push.<code> ("push.bad_answer"), "the service refused this line's batch as a
 * whole: ...". */
void fp_leadfile_batch_refused(fp_leadfile_t *lf, size_t first, size_t count, Fangpin__V1__Code code, const char *en,
                               const char *zh, bool mismatch);

/* Every line's outcome for the results file (fp_results_*): the caller frees the array; its
 * strings stay lf's. */
fp_outcome_t *fp_leadfile_outcomes(const fp_leadfile_t *lf);

void fp_leadfile_free(fp_leadfile_t *lf);

#endif
