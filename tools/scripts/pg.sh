#!/usr/bin/env bash
# A private PostgreSQL 15 cluster for one checkout: `pg.sh start DIR PORT`, `pg.sh stop DIR`,
# `pg.sh status DIR`. initdb refuses root, so as root the cluster runs as the unprivileged
# user `fangpin` (created if missing). Listens on 127.0.0.1:PORT and on a short private
# socket directory; trust auth for local connections only. Prints nothing on success.
set -euo pipefail
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
cmd=${1:?usage: pg.sh start|stop|status DIR [PORT]}
dir=$(realpath -m "${2:?DIR}")
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  id fangpin >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin fangpin
  run_as=(runuser -u fangpin --)
fi
sockdir_of() { cat "$dir/sockdir" 2>/dev/null || true; }

case "$cmd" in
start)
  port=${3:?PORT}
  # A cluster that already runs is left alone, before anything below touches its folder: a
  # chown -R over a live data folder races temporary tables coming and going (make up twice).
  if [ -f "$dir/data/PG_VERSION" ] && "${run_as[@]}" "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    exit 0
  fi
  mkdir -p "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    rm -rf "$dir/data"; mkdir -p "$dir/data"
    [ ${#run_as[@]} -eq 0 ] || chown -R fangpin "$dir"
    "${run_as[@]}" "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
        --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  # Unix socket paths are limited to ~107 bytes: keep the socket in a short private folder.
  sock=$(sockdir_of)
  if [ -z "$sock" ] || [ ! -d "$sock" ]; then
    sock=$(mktemp -d /tmp/fppg.XXXXXX); echo "$sock" >"$dir/sockdir"
  fi
  [ ${#run_as[@]} -eq 0 ] || chown -R fangpin "$dir" "$sock"
  # Allow the service user to traverse to DIR (it may sit under root's home).
  p="$dir"; while [ "$p" != "/" ]; do chmod o+x "$p" 2>/dev/null || true; p=$(dirname "$p"); done
  if "${run_as[@]}" "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then exit 0; fi
  "${run_as[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
      -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c fsync=${PG_FSYNC:-on} -c max_connections=200" \
      start >/dev/null || { tail -20 "$dir/postgres.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  ;;
stop)
  [ -f "$dir/data/PG_VERSION" ] || exit 0
  "${run_as[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  sock=$(sockdir_of)
  case "$sock" in /tmp/fppg.*) rm -rf "$sock" "$dir/sockdir" ;; esac
  ;;
status)
  "${run_as[@]}" "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
  ;;
*) echo "pg.sh: unknown command $cmd" >&2; exit 2 ;;
esac
