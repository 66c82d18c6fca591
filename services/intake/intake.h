/* intake.h: the intake service's shared state and its operations (one file each):
 * submit.c (SubmitLeads), queries.c (GetBatch, ListOutcomes, SubmissionStatus,
 * ListLeadKinds, the late-submission scan), profiles.c (GetPushProfile), compare.c, compare_answers.c and
 * compare_presence.c (数据比对), names.c (aliases,
 * villages by name); desk.c, desk_upload.c, desk_api.c (the department desk, desk.h). Validation is pure: lead_validate.c. */
#ifndef INTAKE_H
#define INTAKE_H
#include <stdbool.h>
#include <stdint.h>

#include "fangpin/v1/intake.pb-c.h"
#include "hant.h"
#include "lead_validate.h"
#include "service.h"
#include "zsock.h"

typedef struct {
    fp_service_t *svc;
    intake_catalog_t catalog; /* lead kinds, loaded from lead_kinds when the database is ready */
    bool catalog_loaded;
    intake_hant_t *hant; /* traditional to simplified for villages by name; NULL if OpenCC failed */
    intake_limits_t limits;
    void *push;    /* PUSH socket: LeadsAccepted hints to screening */
    fp_db_t **dbs; /* extra connections: batches commit in parallel (FANGPIN_INTAKE_DB_CONNECTIONS) */
    size_t ndbs;
    uint64_t last_deadline_scan;
    int64_t deadline_scan_ms; /* FANGPIN_INTAKE_DEADLINE_SCAN_MS; 0 = off */
    fp_counter_t *c_scans;    /* fangpin_scans_total{scan="late_submissions"} */
    fp_counter_t *c_accepted, *c_duplicates, *c_rejected, *c_batches, *c_replayed;
    /* compare_answers.c: answer batches held until their rules have run (wait_ms), and the
     * connection that hears of the runs (LISTEN fangpin_compare_rules_done), made when first needed */
    struct intake_cmp_wait *cmp_waits;
    fp_db_t *cmp_db;
    bool cmp_db_up, cmp_stopping;
    /* compare.c: an export's pages after the one read, streamed while the one before is sent, on
     * a connection of their own (made when first needed) */
    struct intake_cmp_stream *cmp_stream;
    fp_db_t *cmp_stream_db;
    /* compare_presence.c: the county's present members, read once for the batches of a large
     * answer file, on a connection of their own (made when first needed) */
    struct intake_presence *presence;
    fp_db_t *presence_db;
    fp_gauge_t *g_presence;                        /* fangpin_intake_compare_presence_members */
    fp_counter_t *c_presence_reads;                /* fangpin_intake_compare_presence_reads_total */
    fp_counter_t *c_presence_held, *c_presence_db; /* fangpin_intake_compare_batches_total{ledger=...} */
} intake_t;
typedef struct intake_presence intake_presence_t;

int32_t intake_today(const intake_t *in); /* fp_today(): FANGPIN_TODAY or the real date (domain/today.h) */

/* Each answers req exactly once. */
void intake_submit(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void intake_get_batch(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void intake_list_outcomes(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void intake_submission_status(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void intake_list_kinds(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void intake_get_push_profile(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg); /* profiles.c */
/* GetCompareSlice (compare.c) and SubmitCompareAnswers (compare_answers.c): docs/compare.md */
void intake_get_compare_slice(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void intake_submit_compare_answers(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
/* The batches held for their rules' run: answered once past their wait (the tick), all of them
 * when the service begins to stop (stopping) and when it stops (stop: the connection closed). */
void intake_compare_waits_tick(intake_t *in);
void intake_compare_waits_stopping(intake_t *in);
void intake_compare_waits_stop(intake_t *in);
/* The pages streamed for an export (compare.c): dropped once unasked for too long (tick), and
 * when the service stops (with their connection). */
void intake_compare_stream_tick(intake_t *in);
void intake_compare_stream_stop(intake_t *in);

/* Another database connection of intake's (FANGPIN_PG, its backoff and statement timeout, the
 * service's metrics), on_state and on_notify called with in; NULL when the conninfo is invalid. */
fp_db_t *intake_new_db(intake_t *in, fp_db_state_fn on_state, fp_db_notify_fn on_notify);
/* The connection for a new batch: the least busy one that is up. */
fp_db_t *intake_pick_db(intake_t *in);
/* Loads the lead-kind catalog (on every database ready). */
void intake_load_catalog(intake_t *in);
/* Raises intake.submission_late events for departments past the deadline (periodic). */
void intake_deadline_scan(intake_t *in);

/* The county a principal acts for ("" if none). */
const char *intake_county_of(const fp_principal_t *p, char out[7]);

/* --- names: kind aliases and villages by name (names.c) --- */
typedef enum { INTAKE_LOAD_OK, INTAKE_LOAD_GONE, INTAKE_LOAD_FAILED } intake_load_t;
typedef void (*intake_loaded_fn)(void *arg, intake_load_t how); /* GONE: the connection was lost */
#define INTAKE_VILLAGE_NAMED 5 /* the most candidates village.ambiguous's message names */

/* Reads the kind aliases of the department dept in county into *keys (allocated, the caller
 * frees it) and *nkeys, then calls done once; no department (""): nothing read, done at once. */
void intake_aliases_load(fp_db_t *db, const intake_catalog_t *cat, const char *county, const char *dept,
                         fp_kind_key_t **keys, size_t *nkeys, intake_loaded_fn done, void *arg);
/* Does any lead name its village by name or address (intake_village_by_name)? */
bool intake_villages_needed(const Fangpin__V1__SubmitLeads *sl);
/* Reads the county's province, prefecture, county, townships and villages from regions into ix
 * (fp_village_index_add), then calls done once. */
void intake_villages_load(fp_db_t *db, const char *county, fp_village_index_t *ix, intake_loaded_fn done, void *arg);
/* The message of a line refused with reason (village.ambiguous: its catalogue message and the
 * candidates, up to INTAKE_VILLAGE_NAMED, with township and code; village.unknown of a name: the
 * catalogue message and the three closest villages) into en and zh, cut at their sizes. Returns
 * how many villages it named (0: the catalogue message alone, as without ix). */
size_t intake_village_message(const fp_village_index_t *ix, intake_hant_t *h, const char *reason, const char *text,
                              char *en, size_t en_size, char *zh, size_t zh_size);

#endif
