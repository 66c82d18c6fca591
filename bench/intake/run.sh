#!/usr/bin/env bash
# bench/intake/run.sh BUILD [LEADS]: 1,000,000 generated leads (real 兴隆县 village codes from
# data/regions, valid ID numbers) through the real intake service, against a COPY of
# the same rows into the same table in the same run. Its own PostgreSQL (fsync on, as in
# production) under /tmp, the optimised build, stopped afterwards. NAMES=1: each lead names its
# village by township and village name instead of its code (intake_bench --streets).
set -euo pipefail
BUILD=${1:-build}
LEADS=${2:-${LEADS:-1000000}}
root=$(cd "$(dirname "$0")/../.." && pwd)
# ports leased for this run (tools/scripts/ports.py): no other run or test can be given them
[ "${FP_PORTS_FOR:-}" = "$0" ] || exec python3 "$root/tools/scripts/ports.py" 4 -- "$0" "$@"
read -r pgport zport hport pushport <<<"$FP_PORTS"
cd "$root"
data=${REGIONS_DIR:-$root/data/regions}
port=${PGPORT:-$pgport}
. bench/lib.sh  # bench_pg_fresh, bench_pg_up (PGPASSFILE, admin, FANGPIN_PG), q, now, secs, rate
dir=$(bench_dir intake)  # BENCH_DIR: another folder (bench/lib.sh)
bench_pg_fresh "$dir"
bench_pg_up "$dir" "$port"
pid=""
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  tools/scripts/pg.sh stop "$dir"
}
trap cleanup EXIT
psql "$admin" -qX -c "CREATE DATABASE fangpin" >/dev/null
export FANGPIN_KEYS_DIR="$dir/keys"
"$BUILD/fangpinctl" migrate >/dev/null
"$BUILD/fangpinctl" regions import "$data"/provinces.csv.gz "$data"/cities.csv.gz "$data"/areas.csv.gz \
    "$data"/streets.csv.gz "$data"/villages.csv.gz >/dev/null
"$BUILD/fangpinctl" keys make --dir "$dir/keys" intake dept-yibao >/dev/null
"$BUILD/fangpinctl" keys register --id dept:130822:yibao --kind department --name 兴隆县医疗保障局 \
    --region 130822 --level county --dept yibao --key "$dir/keys/dept-yibao.key" >/dev/null
FANGPIN_PG="$FANGPIN_PG ${SVC_PG_OPTIONS:-}" FANGPIN_LOG_LEVEL=warn FANGPIN_INTAKE_ENDPOINT=tcp://127.0.0.1:$zport FANGPIN_INTAKE_HTTP=127.0.0.1:$hport \
FANGPIN_INTAKE_LEADS_PUSH=tcp://127.0.0.1:$pushport FANGPIN_TODAY=2026-11-03 \
  "${INTAKE_BIN:-$BUILD/fangpin-intake}" 2>"$dir/intake.log" &
pid=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$hport/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
FANGPIN_INTAKE_CONNECT=tcp://127.0.0.1:$zport FANGPIN_CLIENT_CERT="$dir/keys/dept-yibao.key_secret" \
  "$BUILD/intake_bench" --villages "$data/villages.csv.gz" --prefix 130822 --leads "$LEADS" \
  --batch "${BATCH:-5000}" --window "${WINDOW:-4}" --pg "$FANGPIN_PG" --pid "$pid" \
  ${NAMES:+--streets "$data/streets.csv.gz"}
