#!/usr/bin/env bash
# `make down`: stops the services (SIGTERM, then SIGKILL after 15 s) and the private PostgreSQL.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
VAR=${FANGPIN_VAR:-$top/var}
for pidf in "$VAR"/run/*.pid; do
  [ -f "$pidf" ] || continue
  pid=$(cat "$pidf")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$pidf"
done
"$top/tools/scripts/pg.sh" stop "$VAR/pg"
echo "fangpin is down"
