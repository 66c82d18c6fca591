# bench/lib.sh: the PostgreSQL set-up the benchmarks share (sourced by bench/*/run.sh from the
# repository's root): a cluster of its own under /tmp (tools/scripts/pg.sh), its conninfos, psql
# for the fangpin database, the clock and the rates the benches print, and the settings that log
# and explain the slow statements.

# bench_dir NAME: the folder of a benchmark's cluster and files: BENCH_DIR when set, otherwise
# /tmp/fp-bench-NAME-<8 hex of this checkout's path>, so two checkouts on one machine running
# the same benchmark never wipe each other's cluster.
bench_dir() { echo "${BENCH_DIR:-/tmp/fp-bench-$1-$(pwd | sha256sum | cut -c1-8)}"; }

# bench_pg_fresh DIR: no cluster left from an earlier run; DIR made again, empty.
bench_pg_fresh() { tools/scripts/pg.sh destroy "$1" && mkdir -p "$1"; }

# bench_pg_up DIR PORT: the cluster of DIR started on PORT (made when DIR holds none); exports
# PGPASSFILE (scram: the password pg.sh generated) and FANGPIN_PG, sets admin (the postgres
# database as its superuser).
bench_pg_up() {
  tools/scripts/pg.sh start "$1" "$2"
  export PGPASSFILE="$1/pgpass"
  admin=$(tools/scripts/pg.sh conninfo "$1" postgres)
  FANGPIN_PG=$(tools/scripts/pg.sh conninfo "$1" fangpin)
  export FANGPIN_PG
}

# q ARGS...: psql on the fangpin database, unaligned, tuples only, stopping at the first error.
q() { psql "$FANGPIN_PG" -XAtq -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }

# bench_pg_explain [-c SQL]...: CREATE DATABASE fangpin, and every statement over SLOW_MS
# (default 1000) logged with its plan (auto_explain, nested statements too); more -c statements
# (ALTER SYSTEM ...) may follow. The settings are reloaded.
bench_pg_explain() {
  psql "$admin" -XqAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE fangpin" \
    -c "LOAD 'auto_explain'" -c "ALTER SYSTEM SET session_preload_libraries = 'auto_explain'" \
    -c "ALTER SYSTEM SET auto_explain.log_min_duration = '${SLOW_MS:-1000}'" \
    -c "ALTER SYSTEM SET auto_explain.log_nested_statements = on" \
    -c "ALTER SYSTEM SET log_min_duration_statement = '${SLOW_MS:-1000}'" \
    "$@" -c "SELECT pg_reload_conf()" >/dev/null
}

# bench_copy_bare FILE: the yardstick of a CSV file: a raw \copy of FILE into a bare table of
# text columns (no index, no constraint); sets copy_s (seconds) and bare_n (rows copied).
bench_copy_bare() {
  local cols t0 t1
  cols=$(head -1 "$1" | awk -F, '{ for (i = 1; i <= NF; i++) printf "%sc%d text", (i > 1 ? ", " : ""), i }')
  q -c "CREATE TABLE bare_ledger ($cols)"
  t0=$(now)
  q -c "\\copy bare_ledger FROM '$1' WITH (FORMAT csv, HEADER)"
  t1=$(now)
  copy_s=$(secs "$t0" "$t1")
  bare_n=$(q -c "SELECT count(*) FROM bare_ledger")
  q -c "DROP TABLE bare_ledger"
}
