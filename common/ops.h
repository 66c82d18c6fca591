/* ops.h: a service's operation table, which the shared skeleton dispatches (common/ops.c): one
 * row per member of the request's `oneof op`: the operation's case, its name (metrics, logs),
 * its handler, whether it needs the database, and who may call it. Before a handler runs, the
 * skeleton has decoded the frame and checked its request id (fp_request_unpack), answered an
 * operation not in the table (request.unknown_operation), a caller the row does not admit
 * (FORBIDDEN: caller.kind, caller.level, or the row's own code) and, for a row that needs the
 * database, a database that is not ready (db.unavailable). */
#ifndef FP_OPS_H
#define FP_OPS_H
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>

#include "auth.h"

typedef struct fp_service fp_service_t;
typedef struct fp_request fp_request_t;

/* Who may call, as a set of these: a principal is one of them (fp_caller_of). */
enum {
    FP_CALL_ADMIN = 1u << 0,
    FP_CALL_DEPARTMENT = 1u << 1,
    FP_CALL_GATEWAY = 1u << 2,
    FP_CALL_VILLAGE = 1u << 3, /* an actor of that level, with a region */
    FP_CALL_TOWNSHIP = 1u << 4,
    FP_CALL_COUNTY = 1u << 5,
    FP_CALL_PREFECTURE = 1u << 6,
    FP_CALL_PROVINCE = 1u << 7,
};
#define FP_CALL_STEPS (FP_CALL_VILLAGE | FP_CALL_TOWNSHIP | FP_CALL_COUNTY) /* the levels that take steps */
#define FP_CALL_ACTORS (FP_CALL_STEPS | FP_CALL_PREFECTURE | FP_CALL_PROVINCE)
#define FP_CALL_ANY 0u /* no check */

/* The handler of one operation: answers req exactly once (now or later) and frees msg (the
 * service's request message, as decoded) when it is done with it. arg: fp_service_def_t.arg. */
typedef void (*fp_op_fn)(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *msg, void *arg);

typedef struct {
    unsigned op;      /* the oneof case: the operation's field number */
    const char *name; /* "submit_leads": fangpin_requests_total{op}, logs */
    fp_op_fn handler;
    bool needs_db;    /* db.unavailable unless the database is reachable and migrated */
    unsigned callers; /* FP_CALL_*; FP_CALL_ANY: anyone with a registered key */
    /* A caller outside callers: this code (NULL: caller.level for an actor of another level,
     * caller.kind otherwise) and words for this operation (NULL: the code's). */
    const char *forbidden, *forbidden_en, *forbidden_zh;
} fp_op_t;

/* The FP_CALL_* class of a principal; 0 for none (an actor without a region or of an unknown
 * level, an unknown kind). */
unsigned fp_caller_of(const fp_principal_t *p);

/* The generic handler of `ping`: a Pong for this service and caller, in the service's reply
 * type (fp_service_def_t.reply_type; its field "pong" is set). */
void fp_op_ping(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *msg, void *arg);

#endif
