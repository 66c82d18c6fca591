#!/bin/bash
# The official postgres image's first-start behaviour, for the image of deploy/docker/postgres.
set -euo pipefail
: "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}" "${PGPORT:=5432}"
export PGPORT
if [ "${1:-postgres}" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "postgres: POSTGRES_PASSWORD is not set: refusing to make a database nobody can log in to safely" >&2
    exit 1
  fi
  pw=$(mktemp)
  printf '%s' "$POSTGRES_PASSWORD" >"$pw"
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pw" --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pw"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  # first start: local socket only, for the init scripts
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p $PGPORT" -w start >/dev/null
  export PGUSER=$POSTGRES_USER PGDATABASE=postgres
  if [ "$POSTGRES_DB" != postgres ]; then
    psql -v ON_ERROR_STOP=1 -q -c "CREATE DATABASE \"$POSTGRES_DB\""
  fi
  export PGDATABASE=$POSTGRES_DB
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh)  # as the official image: run when executable, else sourced (without arguments)
        echo "postgres: running $f"
        if [ -x "$f" ]; then "$f"; else set --; . "$f"; fi ;;
      *.sql) echo "postgres: running $f"; psql -v ON_ERROR_STOP=1 -q -f "$f" ;;
      *) ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  unset PGUSER PGDATABASE
  echo "postgres: initialised $PGDATA (database $POSTGRES_DB, user $POSTGRES_USER)"
fi
if [ "${1:-postgres}" = postgres ]; then
  shift || true
  exec postgres -D "$PGDATA" -c listen_addresses='*' -p "$PGPORT" "$@"
fi
exec "$@"
