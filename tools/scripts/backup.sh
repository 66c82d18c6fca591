#!/usr/bin/env bash
# `make backup [BACKUP=DIR]`: a consistent backup of a `make up` installation, into DIR (default
# var/backups/<UTC time>), readable by its owner only:
#   fangpin.dump   pg_dump of the database, custom format: every table as of ONE snapshot, taken
#                  while the services keep working (this is the point the backup restores to)
#   roles.sql      the cluster's roles other than the superuser (pg_dumpall --roles-only)
#   keys/          the key folder: the servers' certificates and the county's data key, without
#                  which the dump's ID numbers can never be matched or read again
#   MANIFEST       what it holds: schema, versions, counts, the last event position
#   SHA256SUMS     checked by restore.sh before it touches anything
# Why a dump and not a base backup with WAL archiving: a county's database is a few GB at most,
# a dump restores into any newer PostgreSQL, and it is one file to copy off the machine. What a
# county loses in a disaster is what was written since its last backup: take one nightly (cron)
# and copy it elsewhere; departments then push the months since again (pushes are idempotent).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
VAR=${FANGPIN_VAR:-$top/var}
out=${1:-$VAR/backups/$(date -u +%Y%m%dT%H%M%SZ)}
[ -d "$VAR/keys" ] || { echo "backup: no $VAR/keys: is this a make up installation?" >&2; exit 1; }
tools/scripts/pg.sh status "$VAR/pg" || { echo "backup: the database in $VAR/pg is not running (make up)" >&2; exit 1; }
admin=$(tools/scripts/pg.sh conninfo "$VAR/pg" postgres)
db=$(tools/scripts/pg.sh conninfo "$VAR/pg" fangpin)
[ ! -e "$out" ] || [ -z "$(ls -A "$out")" ] || { echo "backup: $out exists and is not empty" >&2; exit 1; }
umask 077
mkdir -p "$out"
tmp="$out/.incomplete"
: >"$tmp"
pg_dumpall --roles-only -d "$admin" | grep -v -E '^(CREATE|ALTER) ROLE postgres( |;)' >"$out/roles.sql"
pg_dump -Fc -f "$out/fangpin.dump" -d "$db"
cp -a "$VAR/keys" "$out/keys"
q() { psql -X -q -tA -d "$db" -c "$1"; }
{
  echo "created_at: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "schema: $(q "SELECT max(name) FROM schema_migrations")"
  echo "postgresql: $(q "SHOW server_version")"
  echo "leads: $(q "SELECT count(*) FROM leads")"
  echo "cases: $(q "SELECT count(*) FROM cases")"
  echo "events: $(q "SELECT count(*) FROM events")"
  echo "last_event_position: $(q "SELECT coalesce(max(position), 0) FROM event_positions")"
} >"$out/MANIFEST"
rm -f "$tmp"
(cd "$out" && find . -type f ! -name SHA256SUMS -printf '%P\n' | sort | xargs -d '\n' sha256sum >SHA256SUMS)
echo "backup written: $out ($(du -sh "$out" | cut -f1)); copy it off this machine"
