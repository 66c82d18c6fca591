#!/usr/bin/env bash
# bench/compare/run.sh BUILD [ROWS]: a data comparison (数据比对, docs/compare.md) of ROWS (default
# 1,000,000) ledger members of one county (兴隆县 130822, its real villages) through the real intake
# service, each half beside a raw PostgreSQL COPY of the same rows in the same run (issue 14 asks
# >= 0.5 x COPY):
#  1. export: `fangpinctl compare export --dept yibao` (the audited export, page by page through
#     intake, every ID number opened from its sealed form, written as CSV) against a COPY TO of
#     the same slice (the same columns, the sealed number as it is stored, in the export's order);
#  2. import: 医保's answer file (the export with 参保状态 added: 否 for every 50th person) through
#     `fangpinctl compare import` (checked, batches of 10,000 to intake, each COPYed into a stage and
#     kept as dated facts by the keyed hash; the last batch makes the rules Q094/Q095 due and
#     announces them: the assistance service runs them over the county at once, and intake holds
#     the last batch's answer until their run is committed) against a COPY FROM of the same facts
#     into a table of dept_facts' shape (its primary key too). The rules' part (from the last
#     batch's transaction to the run's commit) is printed too, and the ratio without it.
# The ledger is bench/compare/make_ledger.py --people ROWS, loaded by `fangpinctl ledger import
# --no-quality` (not timed). Its own PostgreSQL (fsync on) under /tmp with auto_explain for
# statements over SLOW_MS (default 1000, nested ones too) and pg_stat_statements (the export's and
# the import's most costly statements are printed), the optimised build (`make build`);
# everything it starts is stopped on exit.
set -euo pipefail
BUILD=${1:-build}
ROWS=${2:-${ROWS:-1000000}}
COUNTY=130822
root=$(cd "$(dirname "$0")/../.." && pwd)
# ports leased for this run (tools/scripts/ports.py): no other run or test can be given them
[ "${FP_PORTS_FOR:-}" = "$0" ] || exec python3 "$root/tools/scripts/ports.py" 7 -- "$0" "$@"
read -r pgport zport hport pushport azport ahport apull <<<"$FP_PORTS"
cd "$root"
BUILD=$(realpath "$BUILD")
data=${REGIONS_DIR:-$root/data/regions}
port=${PGPORT:-$pgport}
[ -x "$BUILD/fangpinctl" ] && [ -x "$BUILD/fangpin-intake" ] && [ -x "$BUILD/fangpin-assistance" ] || { echo "run.sh: build $BUILD first (make build)" >&2; exit 2; }
# LEDGER_CACHE=FOLDER: keep the cluster as it is once the ledger is loaded (before anything is
# measured) in FOLDER/ROWS, and start from that copy the next time instead of loading the ledger
# again (the load is not timed; at a million rows it takes minutes on a shared machine)
cache=${LEDGER_CACHE:+$LEDGER_CACHE/$ROWS}
. bench/lib.sh  # bench_pg_fresh, bench_pg_up (PGPASSFILE, admin, FANGPIN_PG), q, now, secs, rate, bench_pg_explain
dir=$(bench_dir compare)  # BENCH_DIR: another folder (bench/lib.sh)
bench_pg_fresh "$dir"
# the copy's pages written out before anything is timed (its writeback slowed the export that
# came first: 2.8 s instead of 1.7 s for the same COPY)
if [ -n "$cache" ] && [ -f "$cache/ready" ]; then cp -a "$cache/." "$dir/" && rm -f "$dir/ready" && sync; fi
bench_pg_up "$dir" "$port"
pid=""
apid=""
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; fi
  if [ -n "$apid" ]; then kill -TERM "$apid" 2>/dev/null && wait "$apid" 2>/dev/null || true; fi
  tools/scripts/pg.sh stop "$dir"
}
trap cleanup EXIT
setup() {  # the database, its settings, regions, keys and the ledger (not timed)
bench_pg_explain -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
# pg_stat_statements is loaded at start only: restart once, before anything is measured
tools/scripts/pg.sh stop "$dir" && tools/scripts/pg.sh start "$dir" "$port"
psql "$admin" -XqAt -v ON_ERROR_STOP=1 -c "ALTER SYSTEM SET pg_stat_statements.track = 'all'" \
  -c "SELECT pg_reload_conf()" >/dev/null
q -c "CREATE EXTENSION pg_stat_statements"
"$BUILD/fangpinctl" migrate >/dev/null
"$BUILD/fangpinctl" regions import "$data"/provinces.csv.gz "$data"/cities.csv.gz "$data"/areas.csv.gz \
    "$data"/streets.csv.gz "$data"/villages.csv.gz >/dev/null
"$BUILD/fangpinctl" keys make --dir "$dir/keys" intake assistance dept-yibao >/dev/null
"$BUILD/fangpinctl" keys register --id "dept:$COUNTY:yibao" --kind department --name 兴隆县医疗保障局 \
    --region "$COUNTY" --level county --dept yibao --key "$dir/keys/dept-yibao.key" >/dev/null

echo "== the ledger: about $ROWS members of $COUNTY (bench/compare/make_ledger.py, ledger import --no-quality; not timed)"
t0=$(now)
python3 bench/compare/make_ledger.py --people "$ROWS" --out "$dir/ledger.csv" >/dev/null
"$BUILD/fangpinctl" ledger import --no-quality "$dir/ledger.csv" >"$dir/ledger-import.out" 2>&1 ||
  { cat "$dir/ledger-import.out" >&2; exit 1; }
q -c "VACUUM ANALYZE" 2>/dev/null
echo "   loaded in $(secs "$t0" "$(now)") s"
if [ -n "$cache" ]; then
  tools/scripts/pg.sh stop "$dir"
  rm -rf "$cache" && mkdir -p "$cache" && cp -a "$dir/." "$cache/" && touch "$cache/ready"
  tools/scripts/pg.sh start "$dir" "$port"
fi
}
export FANGPIN_KEYS_DIR="$dir/keys"  # data.key for ledger import and intake; dept-yibao.key_secret for fangpinctl
if [ -f "$dir/keys/data.key" ]; then
  echo "== the ledger: the cluster kept in $cache (LEDGER_CACHE) with its $ROWS-person ledger"
  "$BUILD/fangpinctl" migrate >/dev/null  # this build's migrations
else
  setup
fi
members=$(q -c "SELECT count(*) FROM ledger_members WHERE county_code = '$COUNTY' AND left_on IS NULL")
echo "   $members members present"

# intake with its default statement timeout; the assistance service runs the rules the import's
# last batch makes due (compare_rules_due), on its own connection
FANGPIN_LOG_LEVEL=warn FANGPIN_TODAY=2026-11-24 FANGPIN_QUALITY_NIGHTLY_AT=off \
FANGPIN_ASSISTANCE_ENDPOINT=tcp://127.0.0.1:$azport FANGPIN_ASSISTANCE_HTTP=127.0.0.1:$ahport \
FANGPIN_ASSISTANCE_IDENTIFIED_PULL=tcp://127.0.0.1:$apull \
  "$BUILD/fangpin-assistance" 2>"$dir/assistance.log" &
apid=$!
FANGPIN_LOG_LEVEL=warn FANGPIN_TODAY=2026-11-24 FANGPIN_INTAKE_ENDPOINT=tcp://127.0.0.1:$zport \
FANGPIN_INTAKE_HTTP=127.0.0.1:$hport FANGPIN_INTAKE_LEADS_PUSH=tcp://127.0.0.1:$pushport \
  "$BUILD/fangpin-intake" 2>"$dir/intake.log" &
pid=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$hport/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$hport/readyz" >/dev/null || { echo "run.sh: intake not ready" >&2; cat "$dir/intake.log" >&2; exit 1; }
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$ahport/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$ahport/readyz" >/dev/null ||
  { echo "run.sh: assistance not ready" >&2; cat "$dir/assistance.log" >&2; exit 1; }
export FANGPIN_INTAKE_CONNECT=tcp://127.0.0.1:$zport FANGPIN_TIMEOUT_MS=600000
export FANGPIN_CLIENT_CERT="$dir/keys/dept-yibao.key_secret"  # the peer's first key; compare uses the department's
logstart=$(($(wc -l <"$dir/postgres.log") + 1))  # slow statements from here on
top() {  # the statements (nested ones too) that took the most time since the last reset
  q -F' | ' -c "SELECT round(total_exec_time)::text || ' ms', calls, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 130)
                  FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'fangpin')
                 ORDER BY total_exec_time DESC LIMIT ${SHOW_TOP:-6}" | sed 's/^/   /'
  q -c "SELECT pg_stat_statements_reset()" >/dev/null
}
q -c "SELECT pg_stat_statements_reset()" >/dev/null

# ---------------------------------------------------------------- 1. export
echo "== fangpinctl compare export --dept yibao ($members rows)"
q -c "CHECKPOINT"  # not timed: the export does not start with the set-up's writes to flush
t0=$(now)
"$BUILD/fangpinctl" compare export --dept yibao --reason "bench" --out "$dir/export.csv" >"$dir/export.out" 2>&1 ||
  { cat "$dir/export.out" >&2; exit 1; }
t1=$(now)
exp_s=$(secs "$t0" "$t1")
sed 's/^/   /' "$dir/export.out"
ex=$(awk 'NR == 1 { print $2 }' "$dir/export.out")
exp_n=$(($(wc -l <"$dir/export.csv") - 1))
echo "== raw COPY TO of the same slice (the yardstick)"
t0=$(now)
q -c "\\copy (SELECT m.name, m.id_sealed, h.village_code, m.insured FROM ledger_members m JOIN ledger_households h USING (county_code, household_no) WHERE m.county_code = '$COUNTY' AND m.left_on IS NULL ORDER BY m.household_no, m.id_hmac) TO '$dir/copy-out.csv' WITH (FORMAT csv, HEADER)"
t1=$(now)
ecopy_s=$(secs "$t0" "$t1")
ecopy_n=$(($(wc -l <"$dir/copy-out.csv") - 1))
echo "   the statements that took the most time (pg_stat_statements: total, calls, rows, statement):"
top

# ---------------------------------------------------------------- 2. import
# 医保's answer: the export with 参保状态 added, 否 for every 50th line
awk -F, -v OFS=, 'NR == 1 { sub(/\r$/, ""); print $0, "参保状态"; next }
                  { sub(/\r$/, ""); print $0, (NR % 50 == 0 ? "否" : "是") }' "$dir/export.csv" >"$dir/answers.csv"
echo "== fangpinctl compare import --dept yibao --export $ex ($exp_n answers)"
q -c "CHECKPOINT"  # each timed part of the import starts after a checkpoint (not timed)
t0=$(now)
"$BUILD/fangpinctl" compare import --dept yibao --export "$ex" "$dir/answers.csv" >"$dir/import.out" 2>&1 ||
  { tail -5 "$dir/import.out" >&2; exit 1; }
t1=$(now)
imp_s=$(secs "$t0" "$t1")
tail -2 "$dir/import.out" | sed 's/^/   /'
echo "   the statements that took the most time (pg_stat_statements: total, calls, rows, statement):"
top
# the rules' part of the import: from the last batch's transaction (the due row's queued_at) to
# the run's end (quality_runs.finished_at, just before its commit)
rules_s=$(q -c "SELECT round(extract(epoch FROM r.finished_at - d.queued_at)::numeric, 2)
                  FROM compare_rules_due d JOIN quality_runs r ON r.county_code = d.county_code AND r.id = d.quality_run ORDER BY d.id DESC LIMIT 1")
run_s=$(q -c "SELECT round(extract(epoch FROM max(finished_at) - max(started_at))::numeric, 2) FROM quality_runs WHERE reason = 'compare_import'")
facts=$(q -c "SELECT count(*) FROM dept_facts")
findings=$(q -c "SELECT count(*) FROM quality_findings")
echo "== raw COPY FROM of the same facts into a table of dept_facts' shape (the yardstick)"
q -c "\\copy dept_facts TO '$dir/facts.tsv'"
q -c "CREATE TABLE bare_facts (LIKE dept_facts INCLUDING ALL)"
q -c "CHECKPOINT"  # as before the import: neither starts with the other's dirty pages and WAL to flush
t0=$(now)
q -c "\\copy bare_facts FROM '$dir/facts.tsv'"
t1=$(now)
icopy_s=$(secs "$t0" "$t1")
icopy_n=$(q -c "SELECT count(*) FROM bare_facts")
q -c "DROP TABLE bare_facts"
errors=$(cat "$dir/intake.log" "$dir/assistance.log" | grep -c '"level":"error"' || true)

# ---------------------------------------------------------------- summary
echo
tail -n +"$logstart" "$dir/postgres.log" >"$dir/slow.log"
echo "statements over ${SLOW_MS:-1000} ms from the export on (auto_explain; nested ones too): $(grep -c 'duration:' "$dir/slow.log" || true)"
grep -A3 'duration:' "$dir/slow.log" | grep -E 'duration:|Query Text' | cut -c1-200 | head -${SHOW_SLOW:-12} | sed 's/^/   /' || true
echo
printf '%-66s %9s %9s %12s\n' "county $COUNTY, $members members present" rows seconds "rows/s"
printf '%-66s %9s %9s %12s\n' "fangpinctl compare export (intake, audited, IDs opened, CSV)" "$exp_n" "$exp_s" "$(rate "$exp_n" "$exp_s")"
printf '%-66s %9s %9s %12s\n' "raw COPY TO of the same slice (yardstick)" "$ecopy_n" "$ecopy_s" "$(rate "$ecopy_n" "$ecopy_s")"
awk -v a="$ecopy_s" -v b="$exp_s" 'BEGIN { printf "  -> export at %.2f x the raw COPY speed (target >= 0.5)\n", a / b }'
printf '%-66s %9s %9s %12s\n' "fangpinctl compare import (intake, facts, rules Q094/Q095; $findings findings)" "$exp_n" "$imp_s" "$(rate "$exp_n" "$imp_s")"
printf '%-66s %9s %9s %12s\n' "raw COPY FROM of the same $facts facts, dept_facts' shape (yardstick)" "$icopy_n" "$icopy_s" "$(rate "$icopy_n" "$icopy_s")"
awk -v a="$icopy_s" -v b="$imp_s" 'BEGIN { printf "  -> import at %.2f x the raw COPY speed (target >= 0.5)\n", a / b }'
awk -v a="$icopy_s" -v b="$imp_s" -v r="$rules_s" -v u="$run_s" 'BEGIN { printf "  -> of which the rules: %.2f s from the last batch to the run'"'"'s end (the run itself %.2f s); without them the import is at %.2f x\n", r, u, a / (b - r) }'
# machine-readable, for bench/summary.sh
hwm_of() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true; }
echo "BENCH path=compare_export rows=$exp_n secs=$exp_s rate=$(rate "$exp_n" "$exp_s") copy_rate=$(rate "$ecopy_n" "$ecopy_s")" \
     "ratio=$(awk -v a="$ecopy_s" -v b="$exp_s" 'BEGIN { printf "%.2f", a / b }') proc=fangpin-intake hwm_kib=$(hwm_of "$pid")"
echo "BENCH path=compare_import rows=$exp_n secs=$imp_s rate=$(rate "$exp_n" "$imp_s") copy_rate=$(rate "$icopy_n" "$icopy_s")" \
     "ratio=$(awk -v a="$icopy_s" -v b="$imp_s" 'BEGIN { printf "%.2f", a / b }') proc=fangpin-assistance hwm_kib=$(hwm_of "$apid")"
fail=0
[ "$exp_n" -eq "$members" ] || { echo "FAIL: $exp_n rows exported, $members members" >&2; fail=1; }
[ "$facts" -eq "$exp_n" ] || { echo "FAIL: $facts facts for $exp_n answers" >&2; fail=1; }
[ "$errors" -eq 0 ] || { echo "FAIL: errors in the intake or assistance log" >&2; grep -h '"level":"error"' "$dir/intake.log" "$dir/assistance.log" | head -3 >&2; fail=1; }
exit $fail
