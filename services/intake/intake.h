/* intake.h: the intake service's shared state and its operations (one file each):
 * submit.c (SubmitLeads), queries.c (GetBatch, ListOutcomes, SubmissionStatus,
 * ListLeadKinds), profiles.c (GetPushProfile), deadline.c (late-submission scan). Validation is pure: lead_validate.c. */
#ifndef INTAKE_H
#define INTAKE_H
#include <stdbool.h>
#include <stdint.h>

#include "fangpin/v1/intake.pb-c.h"
#include "lead_validate.h"
#include "service.h"
#include "zsock.h"

typedef struct {
    fp_service_t *svc;
    intake_catalog_t catalog; /* lead kinds, loaded from lead_kinds when the database is ready */
    bool catalog_loaded;
    intake_limits_t limits;
    void *push;    /* PUSH socket: LeadsAccepted hints to screening */
    fp_db_t **dbs; /* extra connections: batches commit in parallel (FANGPIN_INTAKE_DB_CONNECTIONS) */
    size_t ndbs;
    uint64_t last_deadline_scan;
    int64_t deadline_scan_ms; /* FANGPIN_INTAKE_DEADLINE_SCAN_MS; 0 = off */
    fp_counter_t *c_scans;    /* fangpin_scans_total{scan="late_submissions"} */
    fp_counter_t *c_accepted, *c_duplicates, *c_rejected, *c_batches, *c_replayed;
} intake_t;

int32_t intake_today(const intake_t *in); /* fp_today(): FANGPIN_TODAY or the real date (domain/today.h) */

/* Each answers req exactly once. */
void intake_submit(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void intake_get_batch(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void intake_list_outcomes(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void intake_submission_status(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void intake_list_kinds(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
void intake_get_push_profile(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg); /* profiles.c */

/* The connection for a new batch: the least busy one that is up. */
fp_db_t *intake_pick_db(intake_t *in);
/* Loads the lead-kind catalog (on every database ready). */
void intake_load_catalog(intake_t *in);
/* Raises intake.submission_late events for departments past the deadline (periodic). */
void intake_deadline_scan(intake_t *in);

/* The county a principal acts for ("" if none). */
const char *intake_county_of(const fp_principal_t *p, char out[7]);

#endif
