/* migrate.h: applies deploy/db/migrations/NNN_*.sql (embedded at build time) in order, each in
 * its own transaction, recorded in schema_migrations; then the SQL functions of
 * deploy/db/functions/NAME.sql (when they changed) and the grants of deploy/db/grants.sql
 * (every time; deploy/db/README.md). Safe
 * when several services start at once: a session-level advisory lock serialises them, and each
 * re-reads what is applied under it. */
#ifndef FP_MIGRATE_H
#define FP_MIGRATE_H
#include <libpq-fe.h>
#include <stddef.h>

#include "err.h"

struct fp_seal;

typedef struct {
    const char *name; /* file name, e.g. "001_foundation.sql" */
    const char *sql;
} fp_migration_t;

/* Generated table, terminated by {NULL, NULL}. */
extern const fp_migration_t fp_migrations[];

/* deploy/db/functions/NAME.sql by name, the same way: CREATE OR REPLACE of every SQL function and
 * trigger, applied after the migrations. */
extern const fp_migration_t fp_functions[];

/* The SHA-256 (hex) of the functions files' names and texts: the migrator applies them when the
 * database last got others (schema_functions), or when it applied a migration. */
extern const char fp_functions_digest[];

/* deploy/db/grants.sql: the privileges of the services' roles, applied after the migrations. */
extern const char fp_grants_sql[];

/* Applies what is missing over a blocking connection, then the functions and the grants (every
 * time, each in one transaction of its own under the same lock). *applied gets how many were applied now
 * (may be NULL). seal (may be NULL) is the county's data key: needed only when ID numbers stored
 * in clear by an older version are to be sealed (018), and then checked against the database's.
 * On failure writes a message to errbuf and returns FP_EDB, FP_EDBDOWN or FP_ECONFIG (no key, or
 * another county's). */
fp_err_t fp_migrate_blocking(PGconn *conn, const struct fp_seal *seal, int *applied, char *errbuf, size_t errlen);

/* Checks the data key against the one the database knows (recording it if there is none yet):
 * FP_OK, or FP_ECONFIG with the two check values in errbuf. */
fp_err_t fp_migrate_check_data_key(PGconn *conn, const struct fp_seal *seal, char *errbuf, size_t errlen);

/* The schema these binaries carry: the last embedded migration's name without ".sql"
 * ("020_event_types"), for --version and fangpin_build_info. */
const char *fp_migrations_schema(void);

/* The number of embedded migrations; the schema is ready when schema_migrations holds them all. */
int fp_migrations_count(void);

/* 1 if the connected role may apply migrations (a superuser, or a member of the role that owns
 * the database), 0 if not (a service's own role), -1 with errbuf set on a database error. */
int fp_migrate_can_apply(PGconn *conn, char *errbuf, size_t errlen);

/* Checks (without changing anything) whether every embedded migration is applied. */
fp_err_t fp_migrate_check(PGconn *conn, char *errbuf, size_t errlen);

#endif
