/* service.h: the skeleton every fangpin service shares, so that a service's main.c only lists
 * its operations. fp_service_main reads the configuration table, logs JSON, connects to
 * PostgreSQL (migrating the schema, or waiting for it), starts the ZAP handler, binds the CURVE
 * ROUTER socket once the registered keys are loaded, serves /healthz /readyz /metrics over HTTP,
 * dispatches each request frame with its caller's principal through the service's operation
 * table (ops.h), and stops cleanly on SIGTERM/SIGINT (waits for in-flight requests up to
 * FANGPIN_SHUTDOWN_GRACE_MS). */
#ifndef FP_SERVICE_H
#define FP_SERVICE_H
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "fangpin/v1/common.pb-c.h"
#include "http.h"
#include "metrics.h"
#include "ops.h"

typedef struct {
    const char *name;                /* "intake" */
    const char *about;               /* one line for --help */
    const char *endpoint_env;        /* FANGPIN_INTAKE_ENDPOINT */
    const char *endpoint_default;    /* e.g. "tcp://0.0.0.0:7101" */
    const char *http_env;            /* FANGPIN_INTAKE_HTTP */
    const char *http_default;        /* 0.0.0.0:8101 */
    const char *max_request_default; /* FANGPIN_MAX_REQUEST_BYTES's default for this service (NULL: 1 MiB) */
    bool data_key;                   /* needs the county's data key (FANGPIN_DATA_KEY; common/seal.h) */
    /* The request and reply messages (fangpin.v1.XRequest, XReply) and the operation table,
     * ended by a row whose name is NULL (ops.h). Each frame (already size-checked) from an
     * authenticated caller is decoded as request_type and handed to its operation's handler,
     * which answers exactly once, now or later, with fp_request_reply or fp_request_refuse. */
    const ProtobufCMessageDescriptor *request_type, *reply_type;
    const fp_op_t *ops;
    /* For the operations that need the database: the service's own state is ready too (NULL:
     * the database reachable and migrated is enough). */
    bool (*db_ready)(fp_service_t *svc, void *arg);
    /* Database up and schema ready (at start and after every reconnect): scan for work. */
    void (*on_ready)(fp_service_t *svc, void *arg);
    /* After configuration, sockets and HTTP are set up, before the loop runs: bind the
     * service's own sockets here (CURVE server sockets through fp_service_bind_curve, which
     * waits for the keys). Non-zero stops the service (exit status 1). */
    int (*on_start)(fp_service_t *svc, void *arg);
    /* When stopping, after in-flight requests are answered: close the service's own sockets. */
    void (*on_stop)(fp_service_t *svc, void *arg);
    /* An HTTP GET/HEAD for a path other than /healthz, /readyz, /metrics: return true when
     * the service answers it (now or later, with fp_http_reply or a stream), false for 404. */
    bool (*on_http)(fp_service_t *svc, fp_http_req_t *req, void *arg);
    /* on_http gets POST too (intake's desk takes uploads); it answers the method of each path
     * (fp_web_serve: 405 on a page's file). Without it a POST is 405 before on_http. */
    bool http_post;
    /* Called about every 200 ms while running (deadline and overdue scans throttle themselves). */
    void (*on_tick)(fp_service_t *svc, void *arg);
    /* Once, at the first tick after a stop began (SIGTERM): answer the requests the service
     * holds on purpose (intake's imports waiting for a rules' run), so that in-flight requests
     * end before the grace period does. NULL: nothing held. */
    void (*on_stopping)(fp_service_t *svc, void *arg);
    void *arg;
    fp_cfg_t *extra_cfg; /* service-specific settings (env == NULL ends), or NULL */
    /* A statement run once the schema is ready, before the service is: rows mean that the words
     * compiled in disagree with the database's catalogue (domain/vocab.h, vocab_check_sql: text
     * columns what, compiled, database). The service logs them and does not become ready until
     * the statement returns none (checked again every 2 s). NULL: no check. */
    const char *catalogue_sql;
} fp_service_def_t;

int fp_service_main(const fp_service_def_t *def, int argc, char **argv);
const fp_service_def_t *fp_service_def(const fp_service_t *svc);
/* Decodes a request frame and runs its operation (ops.c; the ROUTER's handler). */
void fp_ops_dispatch(fp_service_t *svc, fp_request_t *req, const uint8_t *data, size_t len);

uv_loop_t *fp_service_loop(fp_service_t *svc);
fp_db_t *fp_service_db(fp_service_t *svc);
fp_metrics_t *fp_service_metrics(fp_service_t *svc);
/* The service's HTTP server (its settings: a service whose pages take uploads raises the body
 * limit in on_start, fp_http_set_max_body). */
fp_http_t *fp_service_http(fp_service_t *svc);
/* Counts a connection of the service's own (a pool, the relay's) in the service's database
 * metrics (fangpin_db_statement_seconds, fangpin_db_errors_total, fangpin_db_violations_total,
 * fangpin_db_queue); the service's connection (fp_service_db) is counted already. */
void fp_service_db_metrics(fp_service_t *svc, fp_db_t *db);
/* The service's own certificate, read at start before root is given up (privdrop.h): every
 * CURVE server socket of the service uses it rather than reading the file again. */
const struct fp_cert *fp_service_cert(const fp_service_t *svc);
/* The county's data key, for a service whose def asks for it (else NULL). */
const struct fp_seal *fp_service_seal(const fp_service_t *svc);
void *fp_service_zctx(fp_service_t *svc);
/* The registered principal of a ZAP user id (zmq_msg_gets(msg, "User-Id") on any of the
 * service's CURVE sockets: the connection's public key, Z85), or NULL when that key is revoked
 * or its principal disabled (as the key cache holds it now: within FANGPIN_KEYS_REFRESH_S). */
const fp_principal_t *fp_service_principal(fp_service_t *svc, const char *user_id);
const fp_cfg_t *fp_service_config(fp_service_t *svc);
const char *fp_service_name(const fp_service_t *svc);
/* The setting env of this service's configuration table (common and extra entries). */
const char *fp_service_str(fp_service_t *svc, const char *env);
int64_t fp_service_int(fp_service_t *svc, const char *env);
/* Starts t (initialised here, its data set to data) on the service's loop: cb every env
 * milliseconds (an integer setting of the service), the first time after one period. */
void fp_service_every(fp_service_t *svc, uv_timer_t *t, const char *env, uv_timer_cb cb, void *data);
/* Database reachable, schema migrated, the key cache loaded and every CURVE socket bound (what
 * /readyz reports). */
bool fp_service_ready(const fp_service_t *svc);
/* Binds a CURVE server socket (its options set) to endpoint once the registered keys are loaded,
 * at once if they are: a client is never refused at the handshake for a key that is merely not
 * loaded yet (libzmq 4.3 would not reconnect). Until then the port is closed and clients' TCP
 * connects are refused and retried by libzmq. A bind that fails stops the service (exit 1).
 * what names the socket in the log ("ROUTER", "event PUB"). */
void fp_service_bind_curve(fp_service_t *svc, void *socket, const char *endpoint, const char *what);
/* A PUSH socket of hints to another service (no linger, a high-water mark of 100,000: a hint
 * nobody takes is dropped, never waited for), bound to the endpoint of setting env; NULL when
 * the bind fails (logged, naming what: "LeadsAccepted"). */
void *fp_service_bind_push(fp_service_t *svc, const char *env, const char *what);
/* Every CURVE socket asked for so far is bound. */
bool fp_service_listening(const fp_service_t *svc);
/* Database reachable and schema migrated: background work may run (true inside on_ready). */
bool fp_service_db_ready(const fp_service_t *svc);

/* The answer of a request the service made itself: the packed XReply and its status code. The
 * bytes are valid only during the call. */
typedef void (*fp_local_reply_fn)(void *arg, const uint8_t *reply, size_t len, Fangpin__V1__Code code);
/* Runs a request frame (a packed XRequest) as if who had sent it on the ROUTER: the same
 * decoding, operation table (who may call, the database), handler, metrics and logs; cb gets
 * the answer (now or later) instead of a socket. For an HTTP front of the service's own
 * operations (intake's desk: common/leadfile.h batches as SubmitLeads), so that both are one
 * code path. */
void fp_service_local(fp_service_t *svc, const fp_principal_t *who, const uint8_t *frame, size_t len,
                      fp_local_reply_fn cb, void *arg);

const fp_principal_t *fp_request_principal(const fp_request_t *req);
/* Names the operation for metrics and logs ("ping", "submit_leads"...): the skeleton does, from
 * the operation table. */
void fp_request_set_op(fp_request_t *req, const char *op);
/* Packs and sends the reply (any XReply message), then frees req. The status code is read
 * from the reply for metrics. */
void fp_request_reply(fp_request_t *req, const ProtobufCMessage *reply, Fangpin__V1__Code code);
/* Refuses the request: a reply carrying only request id and status (decodable as any XReply),
 * then frees req. reason is a code of common/refusal.c, whose row gives the status; msg_en and
 * msg_zh say it for this request (NULL: the row's words). A code without a row is a bug: logged
 * and answered INTERNAL. */
void fp_request_refuse(fp_request_t *req, const char *request_id, const char *reason, const char *msg_en,
                       const char *msg_zh);
/* The end of a read's database step: false when res holds rows (go on); otherwise answers the
 * request and returns true: db.unavailable when res is NULL (the connection was lost), db.failed
 * (logged as what, with the server's error) for a failed statement. */
bool fp_request_db_failed(fp_request_t *req, const char *request_id, PGresult *res, const char *what);
/* Sends out, a service's reply message (an XReply: request_id is its field 1 and status its
 * field 2, as ReplyHeader), with request_id and an OK status ("ok", msg_zh), then frees req. The
 * result the caller set on out is left as it is. */
void fp_request_reply_ok(fp_request_t *req, ProtobufCMessage *out, const char *request_id, const char *msg_zh);
/* fp_request_reply_ok for a reply packed ahead: body is an XReply packed with request_id and
 * status unset (its result only); request_id and an OK status ("ok") are packed in front of it
 * (a decoder merges the fields of concatenated encodings of one message). Frees req. */
void fp_request_reply_ok_packed(fp_request_t *req, const char *request_id, const uint8_t *body, size_t len);
/* Decodes the request frame as a message of type d within the decoding budget
 * (FP_DECODE_FACTOR times the frame, plus 64 KiB; common/pbdecode.h) and checks its request id
 * (1 to 128 printable ASCII). On failure answers the refusal itself (BAD_REQUEST
 * request.malformed or request.id, TOO_LARGE request.too_complex) and returns NULL; otherwise
 * the caller frees the message with its free_unpacked(m, NULL). */
ProtobufCMessage *fp_request_unpack(fp_request_t *req, const ProtobufCMessageDescriptor *d, const uint8_t *data,
                                    size_t len);
#define FP_DECODE_FACTOR 8

/* Fills a Pong for this service and caller (strings point into svc/req: pack before freeing). */
void fp_request_fill_pong(fp_service_t *svc, fp_request_t *req, const char *note, Fangpin__V1__Pong *pong);

const char *fp_code_name(Fangpin__V1__Code code);

#endif
