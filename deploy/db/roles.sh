#!/bin/sh
# deploy/db/roles.sh [CONNINFO]: makes fangpin's database roles, or sets their passwords again.
# Run as a PostgreSQL superuser (roles belong to the whole cluster): by tools/scripts/pg.sh roles
# (make up, the tests), and by the postgres container of docker-compose.yml as an init script.
#
#   fangpin_owner       LOGIN; owns the database and every object in it: applies the migrations
#                       and deploy/db/grants.sql (fangpinctl migrate), and is fangpinctl's role
#   fangpin_intake, fangpin_screening, fangpin_assistance, fangpin_reporting
#                       LOGIN; one per service, with what grants.sql gives it and nothing else
#
# None is a superuser, nor may make databases or roles. The passwords come from the environment,
# never from the command line: FANGPIN_DB_OWNER_PASSWORD, FANGPIN_DB_INTAKE_PASSWORD,
# FANGPIN_DB_SCREENING_PASSWORD, FANGPIN_DB_ASSISTANCE_PASSWORD, FANGPIN_DB_REPORTING_PASSWORD
# (each required). psql connects to CONNINFO, or as psql's environment says (in the postgres
# image: $POSTGRES_USER to $POSTGRES_DB). When that database is not `postgres`, it and every
# object of its public schema are given to fangpin_owner (a database an earlier fangpin made
# as the superuser keeps its data).
set -eu
for r in OWNER INTAKE SCREENING ASSISTANCE REPORTING; do
  eval "[ -n \"\${FANGPIN_DB_${r}_PASSWORD:-}\" ]" || { echo "roles.sh: set FANGPIN_DB_${r}_PASSWORD" >&2; exit 1; }
done
[ -z "${POSTGRES_USER:-}" ] || export PGUSER="${PGUSER:-$POSTGRES_USER}"
[ -z "${POSTGRES_DB:-}" ] || export PGDATABASE="${PGDATABASE:-$POSTGRES_DB}"

psql -X -q -v ON_ERROR_STOP=1 ${1:+"$1"} <<'SQL'
SET client_min_messages = warning;
SET password_encryption = 'scram-sha-256';
SELECT format('CREATE ROLE %I', r)
  FROM unnest(ARRAY['fangpin_owner', 'fangpin_intake', 'fangpin_screening', 'fangpin_assistance',
                    'fangpin_reporting']) AS r
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) \gexec
\getenv pw FANGPIN_DB_OWNER_PASSWORD
ALTER ROLE fangpin_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'pw';
\getenv pw FANGPIN_DB_INTAKE_PASSWORD
ALTER ROLE fangpin_intake LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'pw';
\getenv pw FANGPIN_DB_SCREENING_PASSWORD
ALTER ROLE fangpin_screening LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'pw';
\getenv pw FANGPIN_DB_ASSISTANCE_PASSWORD
ALTER ROLE fangpin_assistance LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'pw';
\getenv pw FANGPIN_DB_REPORTING_PASSWORD
ALTER ROLE fangpin_reporting LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'pw';
\unset pw

-- the database (unless it is `postgres`) and what its public schema holds: fangpin_owner's
SELECT format('ALTER DATABASE %I OWNER TO fangpin_owner', current_database())
 WHERE current_database() <> 'postgres' \gexec
SELECT q FROM (
    SELECT format('ALTER TABLE %s OWNER TO fangpin_owner', c.oid::regclass) AS q, c.relowner AS o
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
    UNION ALL  -- sequences that no column owns (a column's follows its table)
    SELECT format('ALTER SEQUENCE %s OWNER TO fangpin_owner', c.oid::regclass), c.relowner
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind = 'S'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
    UNION ALL
    SELECT format('ALTER ROUTINE %s OWNER TO fangpin_owner', p.oid::regprocedure), p.proowner
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'public'
    UNION ALL  -- composite, enum and domain types of their own (a table's row type follows it)
    SELECT format('ALTER TYPE %s OWNER TO fangpin_owner', t.oid::regtype), t.typowner
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = 'public' AND t.typtype IN ('c', 'e', 'd')
       AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
) a WHERE current_database() <> 'postgres' AND o <> 'fangpin_owner'::regrole \gexec
SQL
