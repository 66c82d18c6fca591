/* ctl.h: shared pieces of fangpinctl, the command-line client for people and scripts.
 * Each subcommand is `int ctl_cmd_NAME(int argc, char **argv)` (argv[0] is the subcommand
 * name) returning the process exit status: 0 success, 1 the work was refused or failed in
 * part, 2 usage error. Configuration comes from FANGPIN_* variables (see var/fangpin.env). */
#ifndef CTL_H
#define CTL_H
#include <libpq-fe.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stdio.h>
#include <zmq.h>

#include "cert.h"
#include "mem.h"

/* Connects to PostgreSQL with $FANGPIN_PG (default: host=127.0.0.1 port=5432 dbname=fangpin
 * user=postgres); prints a clear message and returns NULL on failure. */
PGconn *ctl_pg_connect(void);
struct fp_seal;
/* The county's data key (common/seal.h) from fp_seal_default_path(): NULL when the file does
 * not exist and !required; otherwise prints why and returns NULL (*failed set) when it cannot be
 * used. The caller frees it with fp_seal_free. */
struct fp_seal *ctl_data_key(bool required, bool *failed);
/* Applies the migrations with the data key when there is one (018 needs it to seal ID numbers
 * an older version stored in clear); prints "WHO: migrating the schema: ..." and returns -1 on
 * failure, else 0 (*applied may be NULL). */
int ctl_migrate(PGconn *c, const char *who, int *applied);
/* Runs sql (no parameters): 0, or -1 after printing "WHO: WHAT: the server's error". */
int ctl_pg_exec(const char *who, PGconn *c, const char *sql, const char *what);
/* Runs copy_sql (a COPY ... FROM STDIN) and sends b as its data: 0, or -1 after printing
 * "WHO: COPY: the server's error". */
int ctl_pg_copy(PGconn *c, const char *who, const char *copy_sql, const fp_buf_t *b);
/* Reads the whole file at path into out (up to 1 GiB; larger files are refused with "split it
 * SPLIT", e.g. "into several files"): 0, or -1 after printing "WHO: why". */
int ctl_read_file(const char *who, const char *path, const char *split, fp_buf_t *out);
/* Opens the file at path for reading, with ctl_read_file's refusals (a folder; over 1 GiB):
 * the FILE and *size (0 when unknown), or NULL after printing "WHO: why". */
FILE *ctl_open_file(const char *who, const char *path, const char *split, long *size);
/* Returns getenv(name) or dflt when unset or empty. */
const char *ctl_env(const char *name, const char *dflt);
/* The value after option name among the "--name value" pairs of argv[from..), or NULL. */
const char *ctl_opt(int argc, char **argv, int from, const char *name);
/* Every argument from argv[from] on is "--name value" with name among allowed (NULL-ended). */
bool ctl_opts_ok(int argc, char **argv, int from, const char *const *allowed);
/* Sends req to the service (endpoint from endpoint_env, else endpoint_default; rpc.c) and waits
 * for the reply. Returns it decoded as reply_type when its status is OK; otherwise prints the
 * code and both messages (or what went wrong) on stderr and returns NULL. */
ProtobufCMessage *ctl_call(const char *service, const char *endpoint_env, const char *endpoint_default,
                           const ProtobufCMessage *req, const ProtobufCMessageDescriptor *reply_type);

/* A DEALER client of one service that retries the Lazy Pirate way (rpc.c): no reply within
 * FANGPIN_TIMEOUT_MS (default timeout_ms_default) and the same request goes again on a new
 * socket, up to FANGPIN_RETRIES (default 2) more times; an UNAVAILABLE reply is retried after a
 * pause; a key refused at the handshake (ZAP 400) is reported at once. */
typedef struct {
    const char *service, *endpoint;
    fp_cert_t server, client;
    int timeout_ms, retries;
    void *ctx, *sock, *mon;
} ctl_peer_t;

/* Reads the certificates and settings; 0, or 1/2 after printing why (close it anyway). */
int ctl_peer_open(ctl_peer_t *p, const char *service, const char *endpoint, int timeout_ms_default);
/* Sends req (the same bytes on every attempt: the same request id) and receives the reply into
 * *reply (the caller closes it): 0, or -1 after printing why. */
int ctl_peer_request(ctl_peer_t *p, const void *req, size_t len, zmq_msg_t *reply);
/* Drops the socket; the next request opens a new one. */
void ctl_peer_reset(ctl_peer_t *p);
void ctl_peer_close(ctl_peer_t *p);

int ctl_cmd_regions(int argc, char **argv);     /* regions import FILE... */
int ctl_cmd_keys(int argc, char **argv);        /* keys make|register|revoke|list|rotate-data-key */
int ctl_rotate_data_key(int argc, char **argv); /* keys rotate-data-key --new FILE (datakey.c) */
int ctl_cmd_ping(int argc, char **argv);        /* ping SERVICE */
int ctl_cmd_migrate(int argc, char **argv);     /* migrate */
int ctl_cmd_push(int argc, char **argv);        /* push --dept NAME --period YYYY-MM FILE.csv */
int ctl_cmd_tail(int argc, char **argv);        /* tail --region PREFIX [--from N] */
int ctl_cmd_ledger(int argc, char **argv);      /* ledger import FILE... */
int ctl_cmd_case(int argc, char **argv); /* case list|show|visit|notice|object|review|approve|identify|return|close */
int ctl_cmd_plan(int argc, char **argv); /* plan list|show|open|income (plan.c) */
int ctl_cmd_measure(int argc, char **argv); /* measure add|status */
int ctl_cmd_check(int argc, char **argv);   /* check add|unchecked|summary (plan.c), list|fix|explain|review */
/* findings.c: the data-quality findings through the assistance service (check list|fix|explain|review) */
bool ctl_check_is_finding_cmd(const char *cmd);
int ctl_check_findings(int argc, char **argv);
int ctl_cmd_eliminate(int argc, char **argv); /* eliminate PLAN EVENT */
int ctl_cmd_federation(int argc, char **argv); /* federation publish|add-county|status|remove-county|persons */
int ctl_federation_persons(int argc, char **argv); /* federation persons --keys DIR (fedpersons.c) */
int ctl_federation_subscribe_upper(int argc, char **argv);   /* on a county (feddown.c) */
int ctl_federation_unsubscribe_upper(int argc, char **argv); /* on a county (feddown.c) */
bool ctl_fed_code_ok(const char *c, size_t n);               /* n digits */
int ctl_fed_password(const char *path, char *out, size_t cap);
int ctl_fed_subscribe(PGconn *c, const char *who, const char *sub, const char *conninfo, const char *user,
                      const char *pw, const char *pub, const char *slot);
int ctl_cmd_report(int argc, char **argv);    /* report get|reopen (report.c) */
int ctl_cmd_token(int argc, char **argv);     /* token add|list|revoke (token.c) */
int ctl_cmd_quality(int argc, char **argv);   /* quality run|list|explain (quality.c) */
int ctl_cmd_kinds(int argc, char **argv);     /* kinds alias add|list|remove (kinds.c) */
int ctl_cmd_profile(int argc, char **argv);   /* profile add|list|show|remove (profile.c) */
int ctl_cmd_compare(int argc, char **argv);   /* compare export|import (compare.c) */
/* the rural low-income population (category.c) */
int ctl_cmd_category(int argc, char **argv); /* category confirm|leave|list|referrals|param */
int ctl_cmd_mode(int argc, char **argv);     /* mode set|show */
/* Runs the quality rules (rules: comma-separated codes, or NULL for all) over county on FANGPIN_TODAY
 * for by, recorded with reason (on_demand, ledger_import), and prints the run: 0, 1 failed, 2 a bad
 * FANGPIN_TODAY (quality.c; ledger import runs it after each import). */
int ctl_quality_run(PGconn *c, const char *county, const char *rules, const char *by, const char *reason);

#endif
