#!/usr/bin/env bash
# `make restore BACKUP=DIR`: replaces a `make up` installation's database and keys with a backup
# of tools/scripts/backup.sh, then starts everything again (make up): stops the services and the
# cluster, checks the backup's SHA256SUMS, makes a new cluster, restores the roles, the database
# and the key folder, and starts the services, which become ready without manual steps.
# Everything written after the backup was taken is gone: the event positions go on from the
# backup's last one (subscribers replay from the position they hold, docs/protocol.md), and
# departments push again what they pushed since (pushes are idempotent).
set -euo pipefail
BUILD=${1:?usage: restore.sh BUILD BACKUP_DIR}
src=$(realpath "${2:?usage: restore.sh BUILD BACKUP_DIR}")
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
VAR=${FANGPIN_VAR:-$top/var}
PGPORT=${FANGPIN_PG_PORT:-55432}
[ -f "$src/fangpin.dump" ] && [ -f "$src/SHA256SUMS" ] && [ ! -e "$src/.incomplete" ] ||
  { echo "restore: $src is not a complete fangpin backup" >&2; exit 1; }
(cd "$src" && sha256sum --quiet -c SHA256SUMS) || { echo "restore: $src is damaged (SHA256SUMS)" >&2; exit 1; }
echo "restore: from $src"
sed 's/^/  /' "$src/MANIFEST"
tools/scripts/down.sh >/dev/null
tools/scripts/pg.sh destroy "$VAR/pg"
tools/scripts/pg.sh start "$VAR/pg" "$PGPORT"
admin=$(tools/scripts/pg.sh conninfo "$VAR/pg" postgres)
psql -X -q -v ON_ERROR_STOP=1 -d "$admin" -f "$src/roles.sql" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$admin" -c "CREATE DATABASE fangpin"
pg_restore --exit-on-error -d "$(tools/scripts/pg.sh conninfo "$VAR/pg" fangpin)" "$src/fangpin.dump"
rm -rf "$VAR/keys"
cp -a "$src/keys" "$VAR/keys"
tools/scripts/up.sh "$BUILD"
echo "restore: done; the last event position is $(sed -n 's/^last_event_position: //p' "$src/MANIFEST")"
