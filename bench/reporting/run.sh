#!/usr/bin/env bash
# bench/reporting/run.sh BUILD: the reporting service at prefecture size (issue #6).
#  1. A prefecture of PEOPLE (1,200,000) rural people in the real villages of the nine counties of
#     巴音郭楞蒙古自治州 (PREFIX=6528), MONITORED (150,000) monitored households with identified
#     cases, monitoring plans, measures, the quarter's checks and elimination history, OPEN_CASES
#     cases still in verification and LEADS leads of the month: generated set-based in SQL
#     (bench/reporting/fixture.sql), timed. ID numbers are stored as fangpin stores them (id_hmac,
#     id_sealed, id_masked), made with the run's data key ($dir/keys/data.key, from `fangpinctl keys
#     make`) by bench/seal_ids.py (Debian's python3-nacl), which the fixture calls from psql.
#  2. Each report (lead_verification_monthly, and scale_quarterly, measures_quarterly,
#     elimination_quarterly, deadlines where the schema has them) through the real reporting
#     service's GetReport (proto and xlsx, CURVE), its SQL function report_<code>_rows() alone,
#     and a plain GROUP BY over the same tables (bench/reporting/plain/<code>.sql): the physical
#     limit, in the same run. The first call of a closed period computes and freezes the snapshot.
#  3. The relay: EVENTS (200,000) events INSERTed into the outbox, time until the PUB subscriber
#     has the last one, against a raw COPY of as many event rows; and lead-to-subscriber latency:
#     leads through the real intake service at RATE (1,000) leads/s for LAT_SECONDS (30) s, each
#     lead's lead.accepted event timed on the reporting PUB (p50, p99).
# SCALE (default 1) multiplies PEOPLE, MONITORED, OPEN_CASES, LEADS and EVENTS for a quick run
# while developing (SCALE=0.05). Its own PostgreSQL (fsync on) under /tmp with auto_explain for
# statements over SLOW_MS (default 1000), the optimised build; everything it starts is stopped
# on exit (KEEP=1 leaves PostgreSQL running). RELAY_BATCH sets FANGPIN_REPORTING_RELAY_BATCH (1000).
# RELAY_ONLY=1 runs only the relay figure (regions, no fixture, no reports, no scan, no latency);
# with LATENCY=1 as well, the lead -> subscriber latency too.
# Figures are printed, never asserted.
set -euo pipefail
BUILD=${1:-build}
SCALE=${SCALE:-1}
sc() { awk -v n="$1" -v s="$SCALE" 'BEGIN { printf "%d", n * s }'; }
PEOPLE=${PEOPLE:-$(sc 1200000)}
MONITORED=${MONITORED:-$(sc 150000)}
OPEN_CASES=${OPEN_CASES:-$(sc 15000)}
LEADS=${LEADS:-$(sc 100000)}
EVENTS=${EVENTS:-$(sc 200000)}
RATE=${RATE:-1000}
LAT_SECONDS=${LAT_SECONDS:-30}
LAT_BATCH=${LAT_BATCH:-10}
RUNS=${RUNS:-3}
PREFIX=${PREFIX:-6528}
QUARTER=${QUARTER:-2026Q3}      # the quarter of the quarterly reports and of the fixture's checks
MONTH=${MONTH:-2026-10}         # the month of lead_verification_monthly
TODAY=${TODAY:-2026-11-24}      # the services' today (FANGPIN_TODAY)
root=$(cd "$(dirname "$0")/../.." && pwd)
# ports leased for this run (tools/scripts/ports.py): no other run or test can be given them
[ "${FP_PORTS_FOR:-}" = "$0" ] || exec python3 "$root/tools/scripts/ports.py" 7 -- "$0" "$@"
read -r pgport zport hport pubport izport ihport ipushport <<<"$FP_PORTS"
cd "$root"
BUILD=$(realpath "$BUILD")
PY=${PYTHON:-/usr/bin/python3}  # Debian's, which has python3-zmq and python3-protobuf (tools/scripts/deps.sh)
data=${REGIONS_DIR:-$root/data/regions}
port=${PGPORT:-$pgport}
[ -x "$BUILD/fangpinctl" ] && [ -x "$BUILD/fangpin-reporting" ] && [ -x "$BUILD/fangpin-intake" ] &&
  [ -d "$BUILD/py/fangpin" ] || { echo "run.sh: build $BUILD first (make build)" >&2; exit 2; }
. bench/lib.sh  # bench_pg_fresh, bench_pg_up (PGPASSFILE, admin, FANGPIN_PG), q, now, secs, rate, bench_pg_explain
dir=$(bench_dir reporting)  # BENCH_DIR: another folder (bench/lib.sh)
bench_pg_fresh "$dir"
bench_pg_up "$dir" "$port"
rpid="" ipid=""
cleanup() {
  for p in $ipid $rpid; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  if [ -n "${KEEP:-}" ]; then  # KEEP=1: leave PostgreSQL running to study plans; pg.sh stop DIR later
    echo "PostgreSQL left running: psql \"\$(tools/scripts/pg.sh conninfo $dir fangpin)\"; tools/scripts/pg.sh stop $dir"
  else
    tools/scripts/pg.sh stop "$dir"
  fi
}
trap cleanup EXIT
export PYTHONPATH="$BUILD/py${PYTHONPATH:+:$PYTHONPATH}"
bench_pg_explain
export FANGPIN_KEYS_DIR="$dir/keys"
keys=$FANGPIN_KEYS_DIR
"$BUILD/fangpinctl" migrate >/dev/null
echo "== fangpinctl regions import (the national division codes)"
t0=$(now)
"$BUILD/fangpinctl" regions import "$data"/provinces.csv.gz "$data"/cities.csv.gz "$data"/areas.csv.gz \
    "$data"/streets.csv.gz "$data"/villages.csv.gz | tail -1 | sed 's/^/   /'
"$BUILD/fangpinctl" keys make --dir "$keys" reporting intake bench-admin dept-yibao >/dev/null
county=$(q -c "SELECT min(code) FROM regions WHERE level = 3 AND code LIKE '$PREFIX%'")
"$BUILD/fangpinctl" keys register --id admin:bench --kind admin --name 基准测试 --region "$PREFIX" \
    --key "$keys/bench-admin.key" >/dev/null
"$BUILD/fangpinctl" keys register --id "dept:$county:yibao" --kind department --name 医疗保障局 \
    --region "$county" --level county --dept yibao --key "$keys/dept-yibao.key" >/dev/null

RELAY_ONLY=${RELAY_ONLY:-}
gen_s=skipped scan1=skipped scan2=skipped
if [ -z "$RELAY_ONLY" ]; then
# ---------------------------------------------------------------- 1. the prefecture
export FP_BENCH_TMP=$dir  # the fixture's sealer writes its files here (and removes them)
echo "== generating prefecture $PREFIX: $PEOPLE people, $MONITORED monitored households, $OPEN_CASES open cases," \
     "$LEADS leads of $MONTH (fixture.sql)"
t0=$(now)
psql "$FANGPIN_PG" -Xq -v ON_ERROR_STOP=1 -v prefix="$PREFIX" -v people="$PEOPLE" -v monitored="$MONITORED" \
     -v open_cases="$OPEN_CASES" -v leads="$LEADS" -v quarter="$QUARTER" -v month="$MONTH" \
     -f bench/reporting/fixture.sql 2>&1 |
  while IFS= read -r line; do printf '%7.1f s %s\n' "$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')" "$line"; done
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "run.sh: fixture.sql failed" >&2; exit 1; }
t1=$(now)
gen_s=$(secs "$t0" "$t1")
q -c "VACUUM ANALYZE" 2>/dev/null
t2=$(now)
vac_s=$(secs "$t1" "$t2")
echo "   generated in $gen_s s, VACUUM ANALYZE $vac_s s; database $(q -c "SELECT pg_size_pretty(pg_database_size('fangpin'))")"
fi

# ---------------------------------------------------------------- 2. reports
FANGPIN_LOG_LEVEL=warn FANGPIN_TODAY=$TODAY FANGPIN_REPORTING_ENDPOINT=tcp://127.0.0.1:$zport \
FANGPIN_REPORTING_HTTP=127.0.0.1:$hport FANGPIN_REPORTING_PUB=tcp://127.0.0.1:$pubport \
FANGPIN_REPORTING_HEARTBEAT_MS=200 FANGPIN_REPORTING_DEADLINE_SCAN_MS=${SCAN_MS:-0} \
FANGPIN_REPORTING_RELAY_BATCH=${RELAY_BATCH:-1000} \
  "$BUILD/fangpin-reporting" 2>"$dir/reporting.log" &
rpid=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$hport/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
logstart=$(($(wc -l <"$dir/postgres.log") + 1))  # slow statements from here on
if [ -z "$RELAY_ONLY" ]; then
specs=("lead_verification_monthly:$MONTH:bench/reporting/plain/lead_verification_monthly.sql")
missing=()
for code in scale_quarterly measures_quarterly elimination_quarterly deadlines; do
  if [ "$(q -c "SELECT count(*) FROM pg_proc WHERE proname = 'report_${code}_rows'")" -gt 0 ]; then
    per=$QUARTER; [ "$code" = deadlines ] && per=${DEADLINES_PERIOD:-$MONTH}
    specs+=("$code:$per:bench/reporting/plain/$code.sql")
  else
    missing+=("$code")
  fi
done
[ ${#missing[@]} -eq 0 ] || echo "== not in this schema yet (no report_<code>_rows): ${missing[*]}"
echo "== reports of $PREFIX through GetReport (CURVE, $RUNS runs each; the first of a closed period computes" \
     "and freezes it), the SQL function, and a plain GROUP BY"
# size=PEOPLE on its BENCH lines: bench/summary.sh compares a report's time per person across sizes
FP_BENCH_SIZE=$PEOPLE "$PY" bench/reporting/client.py reports --endpoint "tcp://127.0.0.1:$zport" --server-cert "$keys/reporting.key" \
    --client-cert "$keys/bench-admin.key_secret" --pg "$FANGPIN_PG" --prefix "$PREFIX" --as-of "$TODAY" \
    --runs "$RUNS" "${specs[@]}" | tee "$dir/reports.out"

echo "== the service's periodic deadline scan (report_deadline_scan, every FANGPIN_REPORTING_DEADLINE_SCAN_MS," \
     "60 s by default; off above so that it does not compete with the GetReports being timed)"
# capped at SCAN_TIMEOUT_S (default 600): past it the scan is cancelled and reported as such
scan_ms() { psql "$FANGPIN_PG" -XAtq -c "SET statement_timeout = '${SCAN_TIMEOUT_S:-600}s'" -c '\timing on' \
    -c "SELECT report_deadline_scan('$TODAY')" 2>&1 |
  awk '/^Time:/ { t = $2 } /canceling statement/ { c = 1 } !/^Time:/ && /^[0-9]+$/ { n = $1 }
       END { if (c) printf ">%d cancelled\n", '"${SCAN_TIMEOUT_S:-600}"' * 1000; else printf "%.0f %s\n", t, n }'; }
read -r scan1 n1 < <(scan_ms) || true
read -r scan2 n2 < <(scan_ms) || true
echo "   first: $scan1 ms ($n1 deadline.missed events written); again: $scan2 ms ($n2 new)"
fi

# ---------------------------------------------------------------- 3. relay
villages=$(q -c "SELECT string_agg(code, ',' ORDER BY code) FROM (SELECT code FROM regions
                 WHERE level = 5 AND code LIKE '$PREFIX%' ORDER BY code LIMIT 200) v")
echo "== relay: $EVENTS events INSERTed into the outbox, until the last is on the PUB"
"$PY" bench/reporting/client.py relay --pub "tcp://127.0.0.1:$pubport" --server-cert "$keys/reporting.key" \
    --client-cert "$keys/bench-admin.key_secret" --pg "$FANGPIN_PG" --prefix "$PREFIX" \
    --villages "$villages" --events "$EVENTS" | tee "$dir/relay.out"
relay_s=$(sed -n 's/.*RELAY_S=\([0-9.]*\).*/\1/p' "$dir/relay.out")
commit_s=$(sed -n 's/.*RELAY_COMMIT_S=\([0-9.]*\).*/\1/p' "$dir/relay.out")
server_s=$(sed -n 's/.*RELAY_SERVER_S=\([0-9.]*\).*/\1/p' "$dir/relay.out")
echo "== raw COPY of $EVENTS event rows into a bare table shaped like events (the yardstick)"
q -c "\\copy (SELECT id, county_code, region_code, type, payload, created_at FROM events WHERE type = 'bench.relay' ORDER BY id) TO '$dir/events.tsv'"
q -c "CREATE TABLE bare_events (LIKE events INCLUDING DEFAULTS)"
t0=$(now)
q -c "\\copy bare_events (id, county_code, region_code, type, payload, created_at) FROM '$dir/events.tsv'"
t1=$(now)
ecopy_s=$(secs "$t0" "$t1")
q -c "DROP TABLE bare_events"

if [ -z "$RELAY_ONLY" ] || [ -n "${LATENCY:-}" ]; then
echo "== lead -> subscriber latency: leads through intake at $RATE/s for $LAT_SECONDS s (batches of $LAT_BATCH)"
FANGPIN_LOG_LEVEL=warn FANGPIN_TODAY=$TODAY FANGPIN_INTAKE_ENDPOINT=tcp://127.0.0.1:$izport \
FANGPIN_INTAKE_HTTP=127.0.0.1:$ihport FANGPIN_INTAKE_LEADS_PUSH=tcp://127.0.0.1:$ipushport \
  "$BUILD/fangpin-intake" 2>"$dir/intake.log" &
ipid=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$ihport/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
cvillages=$(q -c "SELECT string_agg(code, ',' ORDER BY code) FROM regions WHERE level = 5 AND code LIKE '$county%'")
# WAL flushes and commits while the leads flow, whatever the load: intake's batch commits plus the relay's
walstat() { q -c "SELECT w.wal_sync || ' ' || d.xact_commit FROM pg_stat_wal w, pg_stat_database d WHERE d.datname = current_database()"; }
read -r sync0 commit0 < <(walstat)
"$PY" bench/reporting/client.py latency --pub "tcp://127.0.0.1:$pubport" --intake "tcp://127.0.0.1:$izport" \
    --reporting-cert "$keys/reporting.key" --intake-cert "$keys/intake.key" \
    --client-cert "$keys/bench-admin.key_secret" --dept-cert "$keys/dept-yibao.key_secret" \
    --prefix "$county" --county "$county" --villages "$cvillages" --rate "$RATE" --seconds "$LAT_SECONDS" \
    --batch "$LAT_BATCH" --period "${TODAY:0:7}" --occurred "${TODAY:0:8}01" | tee "$dir/latency.out"
read -r sync1 commit1 < <(walstat)
nb=$(awk -v r="$RATE" -v s="$LAT_SECONDS" -v b="$LAT_BATCH" 'BEGIN { printf "%d", (r * s + b - 1) / b }')
awk -v n="$nb" -v w=$((sync1 - sync0)) -v c=$((commit1 - commit0)) 'BEGIN {
  printf "  WAL flushes (pg_stat_wal.wal_sync) %d, commits %d (every connection) for %d batches of leads:" \
         " %.2f and %.2f per batch\n", w, c, n, w / n, c / n
  printf "LAT_WAL_SYNC_PER_BATCH=%.2f LAT_COMMITS_PER_BATCH=%.2f\n", w / n, c / n }'
fi
errors=$(cat "$dir/reporting.log" "$dir/intake.log" 2>/dev/null | grep -c '"level":"error"' || true)

# ---------------------------------------------------------------- summary
echo
tail -n +"$logstart" "$dir/postgres.log" >"$dir/slow.log"
echo "statements over ${SLOW_MS:-1000} ms from the reports on: $(grep -cE 'duration: [0-9.]+ ms  (statement|execute)' "$dir/slow.log" || true)" \
     "(their plans, nested ones too, by auto_explain in $dir/slow.log)"
# grouped: the service's report_get by the report its columns belong to, others by their first words
grep -E 'duration: [0-9.]+ ms  (statement|execute)' "$dir/slow.log" |
  sed -E 's/.*duration: ([0-9.]+) ms  (statement|execute [^:]*): /\1 /' | tr -s ' \t' ' ' |
  awk 'BEGIN { split("mon_hh scale_quarterly total measures_quarterly nominated elimination_quarterly deadline deadlines received lead_verification_monthly", m, " ")
               for (i = 1; i < 10; i += 2) r[m[i]] = m[i + 1] }
       { ms = $1; $1 = ""; t = substr($0, 2)
         if (t ~ /report_get/ && match(t, /coalesce\(e\.v->>.[a-z_]+/)) { k = substr(t, RSTART + 16, RLENGTH - 16)
           t = "GetReport " (k in r ? r[k] : k) " (report_get in the service)" }
         else t = substr(t, 1, 90)
         n[t]++; if (ms > mx[t]) mx[t] = ms }
       END { for (t in n) printf "   %3d x, max %9.1f ms  %s\n", n[t], mx[t], t }' | sort -k4 -nr | head -"${SHOW_SLOW:-12}" || true
echo
printf '%-66s %9s %12s\n' "prefecture $PREFIX" seconds "rows/s"
printf '%-66s %9s\n' "fixture generation (SQL, $PEOPLE people, $MONITORED monitored households)" "$gen_s"
printf '%-66s %9s %12s\n' "relay: $EVENTS events INSERTed -> last on the PUB subscriber" "$relay_s" "$(rate "$EVENTS" "$relay_s")"
printf '%-66s %9s %12s\n' "  of which the INSERT (one transaction) until its commit" "$commit_s" "$(rate "$EVENTS" "$commit_s")"
printf '%-66s %9s %12s\n' "  the relay's own last published_at (server side)" "$server_s" "$(rate "$EVENTS" "$server_s")"
printf '%-66s %9s %12s\n' "raw \\copy of $EVENTS event rows, bare table (yardstick)" "$ecopy_s" "$(rate "$EVENTS" "$ecopy_s")"
awk -v a="$ecopy_s" -v b="$relay_s" 'BEGIN { printf "  -> relay end to end takes %.1fx the raw COPY time (%.0f%% of its speed)\n", b / a, 100 * a / b }'
printf '%-66s %9s\n' "deadline scan (the service's periodic job), first / again, ms" "$scan1 / $scan2"
echo "error lines in the services' logs: $errors"
# machine-readable, for bench/summary.sh (the reports' lines come from client.py above)
hwm_of() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true; }
echo "BENCH path=relay rows=$EVENTS secs=$relay_s rate=$(rate "$EVENTS" "$relay_s") copy_rate=$(rate "$EVENTS" "$ecopy_s")" \
     "ratio=$(awk -v a="$ecopy_s" -v b="$relay_s" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }') proc=fangpin-reporting" \
     "hwm_kib=$(hwm_of "$rpid")"
