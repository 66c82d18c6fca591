#!/usr/bin/env bash
# A private PostgreSQL 15 cluster for one checkout:
#   pg.sh start DIR PORT     initialise (once) and start it; does nothing if it already runs
#                            (PG_OPTS adds server settings, e.g. "-c wal_level=logical" for a
#                            county that publishes to its prefecture: docs/federation.md)
#   pg.sh stop DIR           stop it (fast shutdown)
#   pg.sh status DIR         exit 0 if it runs
#   pg.sh destroy DIR        stop it and remove every file of it, DIR included
#   pg.sh roles DIR [DB]     make fangpin's roles (deploy/db/roles.sh), their passwords generated
#                            once into DIR/roles/ROLE (mode 0600); with DB, give DB to fangpin_owner
#   pg.sh conninfo DIR [DB] [ROLE]  print the libpq conninfo (with its password) for database DB,
#                            as user postgres or as ROLE (one of the roles above)
#
# Safe by default: it listens on 127.0.0.1:PORT and on a short private socket folder only, and
# every connection, local ones included, authenticates with scram-sha-256 as user postgres with
# a password generated at initdb, kept in DIR/password (mode 0600, readable by the caller only)
# and in DIR/pgpass (a libpq password file: PGPASSFILE=DIR/pgpass psql ...).
#
# initdb refuses root, so as root the cluster runs as the unprivileged user `fangpin` (created
# if missing). Its files stay in DIR when that user can reach DIR. When it cannot (a clone
# under /root, mode 0700), they go to a folder that user owns, $FANGPIN_PG_HOME/<hash of DIR>
# (default /var/lib/fangpin/clusters), with the link DIR/cluster to it: the mode of no folder
# outside DIR is ever changed. Prints nothing on success.
set -euo pipefail
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
cmd=${1:?usage: pg.sh start|stop|status|destroy|conninfo DIR [PORT|DB]}
dir=$(realpath -m "${2:?DIR}")
PG_HOME=${FANGPIN_PG_HOME:-/var/lib/fangpin/clusters}
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  id fangpin >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin fangpin
  run_as=(runuser -u fangpin --)
fi
die() { echo "pg.sh: $*" >&2; exit 1; }

# The folder holding data/ and postgres.log: DIR itself, or where DIR/cluster points.
cluster() { if [ -L "$dir/cluster" ]; then readlink "$dir/cluster"; else echo "$dir"; fi; }
running() { [ -f "$(cluster)/data/PG_VERSION" ] && "${run_as[@]}" "$PGBIN/pg_ctl" -D "$(cluster)/data" status >/dev/null 2>&1; }
sockdir_of() { cat "$dir/sockdir" 2>/dev/null || true; }

# Chooses where a new cluster's files go, and makes that folder the service user's.
place() {
  mkdir -p "$dir"
  [ ${#run_as[@]} -gt 0 ] || return 0
  chown fangpin "$dir"
  if "${run_as[@]}" test -w "$dir" -a -x "$dir"; then return 0; fi
  local ext
  ext="$PG_HOME/$(printf '%s' "$dir" | sha256sum | cut -c1-16)"
  # a folder left by an earlier cluster of the same DIR whose link was removed (rm -rf DIR)
  rm -rf "$ext"
  mkdir -p "$PG_HOME"
  install -d -o fangpin -m 0700 "$ext"
  ln -sfn "$ext" "$dir/cluster"
  echo "$dir" >"$ext/owner"
  "${run_as[@]}" test -w "$ext" ||
    die "the user fangpin cannot write $ext: set FANGPIN_PG_HOME to a folder it can reach"
}

new_password() {
  local pw
  pw=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  (umask 077; printf '%s\n' "$pw" >"$dir/password"; printf '*:*:*:postgres:%s\n' "$pw" >"$dir/pgpass")
  echo "$pw"
}

init() {
  place
  local cl pw
  cl=$(cluster)
  rm -rf "$cl/data"
  pw=$(new_password)
  # initdb reads the password from a file of the cluster's user, removed right after
  (umask 077; printf '%s\n' "$pw" >"$cl/.pw")
  [ ${#run_as[@]} -eq 0 ] || chown fangpin "$cl/.pw"
  if ! "${run_as[@]}" "$PGBIN/initdb" -D "$cl/data" -U postgres --auth=scram-sha-256 --pwfile="$cl/.pw" \
      -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
    rm -f "$cl/.pw"
    cat "$dir/initdb.log" >&2
    exit 1
  fi
  rm -f "$cl/.pw"
}

# A cluster made by an earlier fangpin with trust authentication (no DIR/password): its data is
# kept; the running server gets a generated password and scram-sha-256 for every connection.
secure_trust_cluster() {
  local cl pw sock
  cl=$(cluster)
  sock=$(sockdir_of)
  pw=$(new_password)
  psql -X -q -h "$sock" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
      -c "SET password_encryption = 'scram-sha-256'" -c "ALTER ROLE postgres PASSWORD '$pw'" >/dev/null
  sed -i -E 's/^(local|host)(.*)[[:space:]]trust$/\1\2 scram-sha-256/' "$cl/data/pg_hba.conf"
  "${run_as[@]}" "$PGBIN/pg_ctl" -D "$cl/data" reload >/dev/null
  echo "pg.sh: $dir had trust authentication: now scram-sha-256 with the password in $dir/password" >&2
}

ROLES="fangpin_owner fangpin_intake fangpin_screening fangpin_assistance fangpin_reporting"

# Each role's password: generated once, kept in DIR/roles/ROLE (0600), handed to roles.sh in
# its environment (never on a command line).
roles() {
  local r pw v
  (umask 077; mkdir -p "$dir/roles")
  for r in $ROLES; do
    [ -s "$dir/roles/$r" ] ||
      (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/roles/$r.new" &&
       mv "$dir/roles/$r.new" "$dir/roles/$r")
    pw=$(cat "$dir/roles/$r")
    v=${r#fangpin_}
    export "FANGPIN_DB_${v^^}_PASSWORD=$pw"
  done
  "$(dirname "$0")/../../deploy/db/roles.sh" "$("$0" conninfo "$dir" "${1:-postgres}")"
}

case "$cmd" in
start)
  port=${3:?PORT}
  # already running: touch nothing (make up is idempotent on a live stack)
  if running; then exit 0; fi
  [ -f "$(cluster)/data/PG_VERSION" ] || init
  # Unix socket paths are limited to ~107 bytes: keep the socket in a short private folder.
  sock=$(sockdir_of)
  if [ -z "$sock" ] || [ ! -d "$sock" ]; then
    sock=$(mktemp -d /tmp/fppg.XXXXXX); echo "$sock" >"$dir/sockdir"
  fi
  [ ${#run_as[@]} -eq 0 ] || chown fangpin "$sock"
  cl=$(cluster)
  "${run_as[@]}" "$PGBIN/pg_ctl" -D "$cl/data" -l "$cl/postgres.log" -w -t 60 \
      -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c fsync=${PG_FSYNC:-on} -c max_connections=200 ${PG_OPTS:-}" \
      start >/dev/null || { tail -20 "$cl/postgres.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  [ -f "$dir/password" ] || secure_trust_cluster
  ;;
stop)
  [ -f "$(cluster)/data/PG_VERSION" ] || exit 0
  "${run_as[@]}" "$PGBIN/pg_ctl" -D "$(cluster)/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  sock=$(sockdir_of)
  case "$sock" in /tmp/fppg.*) rm -rf "$sock" "$dir/sockdir" ;; esac
  ;;
status)
  running
  ;;
destroy)
  "$0" stop "$dir"
  [ -L "$dir/cluster" ] && rm -rf "$(readlink "$dir/cluster")"
  rm -rf "$dir"
  ;;
roles)
  [ -f "$dir/port" ] && [ -f "$dir/password" ] || die "no cluster started in $dir"
  roles "${3:-}"
  ;;
conninfo)
  [ -f "$dir/port" ] && [ -f "$dir/password" ] || die "no cluster started in $dir"
  user=${4:-postgres}
  pwfile="$dir/password"
  [ "$user" = postgres ] || pwfile="$dir/roles/$user"
  [ -f "$pwfile" ] || die "no password for $user in $dir (pg.sh roles $dir)"
  echo "host=127.0.0.1 port=$(cat "$dir/port") dbname=${3:-postgres} user=$user password=$(cat "$pwfile")"
  ;;
*) echo "pg.sh: unknown command $cmd" >&2; exit 2 ;;
esac
