/* refusal.h: every reason code a service's reply can carry in Status.reason, in one table
 * (common/refusal.c): the code, the status it is always answered with, and what it means in
 * English and in Chinese. A refusal site names only the code (fp_request_refuse, service.h); the
 * status comes from here, so one code never goes out with two statuses. docs/refusals.md is this
 * table (unit_refusal checks that they agree).
 *
 * A row whose code ends in ".*" stands for a rule catalogue's codes: a step of a case
 * ("case.*", services/screening/case_machine.c), of an elimination ("elim.*",
 * services/assistance/elimination.c), of a measure ("measure.*", services/assistance/measures.c)
 * and a malformed batch ("batch.*", services/intake/lead_validate.c). Their words are the
 * catalogue's; a row naming one code of such a catalogue exactly (its words NULL: the
 * catalogue's) gives that code another status (the wrong level is FORBIDDEN, a malformed record
 * BAD_REQUEST). Pure. */
#ifndef FP_REFUSAL_H
#define FP_REFUSAL_H
#include <stdbool.h>

#include "fangpin/v1/common.pb-c.h"

typedef struct {
    const char *code; /* "case.not_found"; "case.*" for a catalogue */
    Fangpin__V1__Code status;
    const char *en, *zh; /* when it is given, and what to do; NULL: the catalogue's words */
} fp_refusal_t;

/* The table, ended by a row whose code is NULL. */
extern const fp_refusal_t fp_refusals[];

/* The row for code: its own row, else the row of its catalogue ("case.*" for "case.final");
 * NULL when there is none (or code is NULL or empty). */
const fp_refusal_t *fp_refusal_find(const char *code);

/* The status code is answered with; INTERNAL when the table has no row for it. */
Fangpin__V1__Code fp_refusal_status(const char *code);

/* The HTTP status an answer with this code goes out with on a service's HTTP port (intake's
 * desk): 200 OK (and PARTIAL, DUPLICATE), 400, 403, 404 (NOT_FOUND, UNKNOWN_OPERATION), 409, 413,
 * 503, and 500 for INTERNAL and anything else. */
int fp_code_http(Fangpin__V1__Code code);

#endif
