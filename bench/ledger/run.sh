#!/usr/bin/env bash
# bench/ledger/run.sh BUILD [SIZES]: `fangpinctl ledger import` against a raw PostgreSQL \copy of
# the same file, in the same run, at each size of SIZES (members; default "200000 1000000"), and
# the time per line at each size (issue 18: >= 0.5 x raw COPY, cost per line not growing).
# For each size, in a database of its own (migrated, the regions imported, not timed):
#  1. bench/compare/make_ledger.py --people SIZE writes one county's census (兴隆县 130822's
#     villages; ID numbers of several 承德市 areas), not timed;
#  2. `fangpinctl ledger import --no-quality` of it into the empty ledger (every line inserted),
#     timed, with the command's peak resident memory (/usr/bin/time);
#  3. the same import again: every line unchanged (the idempotent retry);
#  4. the yardstick: a raw `\copy` of the same file into a bare table of text columns, no index,
#     before the imports and after them (the mean of the two: the machine is shared).
# The ID numbers are sealed with the run's data key (`fangpinctl keys make`), as in production.
# Its own PostgreSQL (fsync on) under /tmp, the optimised build (`make build`); everything it
# starts is stopped on exit. Figures are printed, never asserted; each size ends with a
# machine-readable line "BENCH path=... rows=... secs=... rate=... copy_rate=... ratio=...
# hwm_kib=..." that bench/summary.sh collects.
set -euo pipefail
BUILD=${1:-build}
SIZES=${2:-${SIZES:-200000 1000000}}
root=$(cd "$(dirname "$0")/../.." && pwd)
# a port leased for this run (tools/scripts/ports.py): no other run or test can be given it
[ "${FP_PORTS_FOR:-}" = "$0" ] || exec python3 "$root/tools/scripts/ports.py" 1 -- "$0" "$@"
read -r pgport <<<"$FP_PORTS"
cd "$root"
BUILD=$(realpath "$BUILD")
data=${REGIONS_DIR:-$root/data/regions}
# a folder of this checkout's own: two checkouts' runs on one machine must not destroy each
# other's cluster (pg.sh destroy below)
. bench/lib.sh  # bench_dir, bench_pg_fresh, bench_pg_up, now, secs, rate
dir=$(bench_dir ledger)  # BENCH_DIR: another folder (bench/lib.sh)
port=${PGPORT:-$pgport}
[ -x "$BUILD/fangpinctl" ] || { echo "run.sh: build $BUILD first (make build)" >&2; exit 2; }
bench_pg_fresh "$dir"
bench_pg_up "$dir" "$port"  # PGPASSFILE, admin (now, secs, rate, q: bench/lib.sh)
trap 'tools/scripts/pg.sh stop "$dir"' EXIT
"$BUILD/fangpinctl" keys make --dir "$dir/keys" bench >/dev/null
export FANGPIN_KEYS_DIR="$dir/keys"  # data.key: ledger import seals the ID numbers with it

# the server's settings, for bench/RESULTS.md (every bench starts its cluster the same way, pg.sh)
echo "BENCH_PG $(psql "$admin" -XAtq -c "SELECT string_agg(name || '=' || replace(current_setting(name), ' ', '_'), ' ' ORDER BY name)
  FROM pg_settings WHERE name IN ('server_version', 'shared_buffers', 'work_mem', 'maintenance_work_mem', 'fsync',
  'synchronous_commit', 'wal_level', 'max_wal_size', 'checkpoint_timeout', 'full_page_writes', 'effective_cache_size',
  'max_connections', 'jit')")"
# the yardstick: a raw \copy of $file into a bare table of text columns (no index), $copy_s
# seconds for $bare_n lines. Taken before and after the imports (the machine is shared: its
# load changes within a run), and the mean of the two is the yardstick.
yardstick() {
  echo "== raw \\copy of the same file into a bare table (the yardstick)"
  bench_copy_bare "$file"  # copy_s, bare_n (bench/lib.sh)
  q -c "CHECKPOINT"
}

for size in $SIZES; do
  db=ledger_$size
  psql "$admin" -XqAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db" >/dev/null
  export FANGPIN_PG="$admin dbname=$db"  # in a key=value conninfo the last keyword wins
  q() { psql "$FANGPIN_PG" -XAtq -v ON_ERROR_STOP=1 "$@"; }
  "$BUILD/fangpinctl" migrate >/dev/null
  "$BUILD/fangpinctl" regions import "$data"/provinces.csv.gz "$data"/cities.csv.gz "$data"/areas.csv.gz \
      "$data"/streets.csv.gz "$data"/villages.csv.gz >/dev/null
  file=$dir/ledger-$size.csv
  echo "== $size members: generating the census (bench/compare/make_ledger.py; not timed)"
  python3 bench/compare/make_ledger.py --people "$size" --out "$file" >/dev/null
  lines=$(($(wc -l <"$file") - 1))
  q -c "CHECKPOINT"
  yardstick
  copy1_s=$copy_s

  echo "== fangpinctl ledger import --no-quality, an empty ledger ($lines lines)"
  t0=$(now)
  /usr/bin/time -f '%M' -o "$dir/hwm-$size" "$BUILD/fangpinctl" ledger import --no-quality "$file" \
      >"$dir/import-$size.out" 2>&1 || { cat "$dir/import-$size.out" >&2; exit 1; }
  t1=$(now)
  imp_s=$(secs "$t0" "$t1")
  hwm=$(tail -1 "$dir/hwm-$size")
  sed 's/^/   /' "$dir/import-$size.out"
  n=$(q -c "SELECT count(*) FROM ledger_members")
  [ "$n" -eq "$lines" ] || { echo "run.sh: $n members in the table, $lines lines in the file" >&2; exit 1; }
  q -c "CHECKPOINT"

  echo "== the same import again (every line unchanged)"
  t0=$(now)
  "$BUILD/fangpinctl" ledger import --no-quality "$file" >"$dir/again-$size.out" 2>&1 ||
    { cat "$dir/again-$size.out" >&2; exit 1; }
  t1=$(now)
  again_s=$(secs "$t0" "$t1")
  sed 's/^/   /' "$dir/again-$size.out"
  q -c "CHECKPOINT"

  yardstick
  copy2_s=$copy_s
  copy_s=$(awk -v a="$copy1_s" -v b="$copy2_s" 'BEGIN { printf "%.2f", (a + b) / 2 }')
  echo "   raw \\copy before the imports $copy1_s s, after them $copy2_s s: the yardstick is their mean, $copy_s s"
  rm -f "$file" "${file%.csv}.results.csv"

  printf '%-58s %9s %12s %12s\n' "$size members ($lines lines)" seconds "lines/s" "us/line"
  printf '%-58s %9s %12s %12s\n' "fangpinctl ledger import, empty ledger" "$imp_s" "$(rate "$lines" "$imp_s")" \
      "$(awk -v s="$imp_s" -v n="$lines" 'BEGIN { printf "%.2f", 1e6 * s / n }')"
  printf '%-58s %9s %12s %12s\n' "fangpinctl ledger import again, all unchanged" "$again_s" "$(rate "$lines" "$again_s")" \
      "$(awk -v s="$again_s" -v n="$lines" 'BEGIN { printf "%.2f", 1e6 * s / n }')"
  printf '%-58s %9s %12s %12s\n' "raw \\copy of the same $bare_n lines, bare table (yardstick)" "$copy_s" \
      "$(rate "$bare_n" "$copy_s")" "$(awk -v s="$copy_s" -v n="$bare_n" 'BEGIN { printf "%.2f", 1e6 * s / n }')"
  ratio=$(awk -v a="$copy_s" -v b="$imp_s" 'BEGIN { printf "%.2f", a / b }')
  echo "  -> ledger import at $ratio x the raw COPY speed (target >= 0.5); fangpinctl peak memory $((hwm / 1024)) MiB"
  echo "BENCH path=ledger_import rows=$lines secs=$imp_s rate=$(rate "$lines" "$imp_s") copy_rate=$(rate "$bare_n" "$copy_s") ratio=$ratio proc=fangpinctl hwm_kib=$hwm"
  echo "BENCH path=ledger_import_again rows=$lines secs=$again_s rate=$(rate "$lines" "$again_s") copy_rate=$(rate "$bare_n" "$copy_s") ratio=$(awk -v a="$copy_s" -v b="$again_s" 'BEGIN { printf "%.2f", a / b }')"
  psql "$admin" -XqAt -c "DROP DATABASE $db" >/dev/null
done
