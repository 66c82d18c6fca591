#!/usr/bin/env bash
# regions_import.sh: how fast `fangpinctl regions import` loads the national division codes
# (five files, ~665k rows, ~620k of them villages) compared with the storage limit, a raw
# psql \copy of the same village rows into a bare table with no index, in the same run.
#
#   bench/regions_import.sh            starts a private PostgreSQL under /tmp, stops it after
#   FANGPIN_PG='host=... port=...' bench/...  uses that server instead (a key=value conninfo;
#                                      creates and leaves database regions_bench there)
# Also: FANGPINCTL (default build/fangpinctl), REGIONS_DIR (default data/regions in the repo,
# the provinces/cities/areas/streets/villages .csv or .csv.gz files), PGDIR, PGPORT.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# a port leased for this run (tools/scripts/ports.py): no other run or test can be given it
[ -n "${FANGPIN_PG:-}" ] || [ "${FP_PORTS_FOR:-}" = "$0" ] ||
  exec python3 "$root/tools/scripts/ports.py" 1 -- "$0" "$@"
ctl=${FANGPINCTL:-$root/build/fangpinctl}
data=${REGIONS_DIR:-$root/data/regions}
[ -x "$ctl" ] || { echo "regions_import.sh: $ctl not found: build first (make, or cmake --build build)" >&2; exit 2; }

files=()
for level in provinces cities areas streets villages; do
  f=$(ls "$data/$level.csv.gz" "$data/$level.csv" 2>/dev/null | head -1 || true)
  [ -n "$f" ] || { echo "regions_import.sh: no $level.csv[.gz] in $data" >&2; exit 2; }
  files+=("$f")
done
villages=${files[4]}

if [ -z "${FANGPIN_PG:-}" ]; then
  pgdir=${PGDIR:-/tmp/fp-bench-regions}
  port=${PGPORT:-$FP_PORTS}
  "$root/tools/scripts/pg.sh" start "$pgdir" "$port"
  export PGPASSFILE="$pgdir/pgpass"  # scram: the password pg.sh generated
  trap '"$root/tools/scripts/pg.sh" stop "$pgdir"' EXIT
  admin=$("$root/tools/scripts/pg.sh" conninfo "$pgdir" postgres)
else
  admin="$FANGPIN_PG"
fi
PGOPTIONS='-c client_min_messages=warning' psql "$admin" -XqAt -v ON_ERROR_STOP=1 -c 'DROP DATABASE IF EXISTS regions_bench' \
     -c 'CREATE DATABASE regions_bench' >/dev/null
# the same server, database regions_bench (in a key=value conninfo the last keyword wins)
db="$admin dbname=regions_bench"
export FANGPIN_PG="$db"

now() { date +%s.%N; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }

# The schema first (fangpinctl migrates on its own; done here so it is not in the timing).
"$ctl" regions stats >/dev/null

echo "== fangpinctl regions import: ${#files[@]} files, fresh table"
t0=$(now); out=$("$ctl" regions import "${files[@]}"); t1=$(now)
echo "$out" | sed 's/^/   /'
rows=$(echo "$out" | awk '$1 == "total" { print $2 }')
ctl_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')

echo "== fangpinctl regions import again: nothing changes"
t0=$(now); out2=$("$ctl" regions import "${files[@]}"); t1=$(now)
echo "$out2" | tail -2 | sed 's/^/   /'
again_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')

echo "== raw \\copy of the village rows into a bare table (the yardstick)"
psql "$db" -Xq -v ON_ERROR_STOP=1 -c 'CREATE TABLE bare (code text, name text, street text,
  province text, city text, area text)'
case "$villages" in *.gz) src="program 'gzip -dc $villages'" ;; *) src="'$villages'" ;; esac
t0=$(now)
psql "$db" -Xq -v ON_ERROR_STOP=1 -c "\\copy bare FROM $src WITH (FORMAT csv, HEADER)"
t1=$(now)
vrows=$(psql "$db" -XAt -c 'SELECT count(*) FROM bare')
copy_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')

echo "== for reference: raw \\copy into a table shaped and indexed like regions"
psql "$db" -Xq -v ON_ERROR_STOP=1 -c 'CREATE TABLE shaped (LIKE regions INCLUDING ALL)' \
     -c 'CREATE TABLE v (LIKE bare)'
t0=$(now)
psql "$db" -Xq -v ON_ERROR_STOP=1 \
  -c "\\copy v FROM $src WITH (FORMAT csv, HEADER)" \
  -c "INSERT INTO shaped (code, level, name, parent, county_code)
      SELECT code, 5, name, street, area FROM v"
t1=$(now)
shaped_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')

echo
printf '%-58s %8s s %10s rows/s\n' "fangpinctl regions import, $rows rows (validated, upsert)" \
       "$ctl_s" "$(rate "$rows" "$ctl_s")"
printf '%-58s %8s s %10s rows/s\n' "fangpinctl regions import again (all unchanged)" \
       "$again_s" "$(rate "$rows" "$again_s")"
printf '%-58s %8s s %10s rows/s\n' "raw \\copy, $vrows village rows, bare table" \
       "$copy_s" "$(rate "$vrows" "$copy_s")"
printf '%-58s %8s s %10s rows/s\n' "raw \\copy + INSERT, $vrows village rows, regions' indexes" \
       "$shaped_s" "$(rate "$vrows" "$shaped_s")"
awk -v a="$(rate "$rows" "$ctl_s")" -v b="$(rate "$vrows" "$copy_s")" \
    'BEGIN { printf "import speed is %.0f%% of the raw COPY yardstick\n", 100 * a / b }'
# machine-readable, for bench/summary.sh
echo "BENCH path=regions_import rows=$rows secs=$ctl_s rate=$(rate "$rows" "$ctl_s") copy_rate=$(rate "$vrows" "$copy_s")" \
     "ratio=$(awk -v a="$(rate "$rows" "$ctl_s")" -v b="$(rate "$vrows" "$copy_s")" 'BEGIN { printf "%.2f", a / b }') proc=fangpinctl"
