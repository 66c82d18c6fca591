/* desk.h: the department desk on intake's HTTP port (docs/desk.md). A department's staff open
 * /desk/ in a browser with their department's bearer token (common/httpauth.h) and upload the
 * month's file; it is read, cut into batches and submitted exactly as `fangpinctl push` does
 * (common/leadfile.h), each batch a SubmitLeads run through intake's own operation table
 * (fp_service_local), so the desk and the command are one code path with the same batch ids,
 * checks, reasons and idempotency.
 *
 * desk.c routes /desk/ (the page's files, embedded from web/desk and web/common) and /desk/api/
 * (the token, then only a department's principal), and holds what the API handlers share;
 * desk_upload.c the upload and the results file; desk_api.c the earlier leads and the deadline. */
#ifndef INTAKE_DESK_H
#define INTAKE_DESK_H
#include <stdbool.h>

#include "http.h"
#include "intake.h"

/* intake's on_http: true when it answers req (a path under /desk). */
bool intake_desk_http(fp_service_t *svc, fp_http_req_t *req, void *arg);

/* The handlers of /desk/api/, for an admitted department's principal who. */
typedef enum { DESK_JSON, DESK_CSV, DESK_XLSX } desk_format_t;
/* POST api/upload (DESK_JSON) and api/results (DESK_CSV, DESK_XLSX): the body is the file. */
void desk_upload(intake_t *in, fp_http_req_t *req, const fp_principal_t *who, desk_format_t format);
void desk_leads(intake_t *in, fp_http_req_t *req, const fp_principal_t *who);    /* GET api/leads */
void desk_deadline(intake_t *in, fp_http_req_t *req, const fp_principal_t *who); /* GET api/deadline */

/* Answers req with a refusal as JSON {"reason": reason, "message": en, "message_zh": zh}, the
 * HTTP status of the reason's row (common/refusal.c, fp_code_http) and X-Fangpin-Reason; en / zh
 * NULL: the row's words. */
void desk_refuse(fp_http_req_t *req, const char *reason, const char *en, const char *zh);
/* Answers req with the JSON in b (frees b). */
void desk_json(fp_http_req_t *req, int status, fp_buf_t *b);

/* The answer of an operation run for the desk: rep NULL when it could not be read. */
typedef void (*desk_reply_fn)(void *arg, const Fangpin__V1__IntakeReply *rep);
/* Runs rq (its request_id set by the caller) as who through intake's operation table
 * (fp_service_local); cb gets the unpacked reply (now or later), which is freed after it. */
void desk_call(intake_t *in, const fp_principal_t *who, const Fangpin__V1__IntakeRequest *rq, desk_reply_fn cb,
               void *arg);
/* The same for a packed IntakeRequest. */
void desk_call_frame(intake_t *in, const fp_principal_t *who, const uint8_t *frame, size_t len, desk_reply_fn cb,
                     void *arg);
/* A YYYY-MM query parameter name into out[8]; "" (and true) when absent; false when malformed. */
bool desk_period_param(fp_http_req_t *req, const char *name, char out[8]);
/* The month before today's (the month a department pushes now), YYYY-MM. */
void desk_last_month(const intake_t *in, char out[8]);

#endif
