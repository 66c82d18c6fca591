#!/usr/bin/env bash
# bench/summary.sh LOG...: the one table of `make bench`. Reads the benchmarks' logs, takes every
# machine-readable line "BENCH path=P rows=N secs=S rate=R copy_rate=C ratio=X [proc=NAME
# hwm_kib=K] [yardstick=Y yard_secs=T] [size=Z]" (and the server's settings from a "BENCH_PG ..."
# line), prints the table and writes it to bench/RESULTS.md (OUT=FILE to write elsewhere) with the
# date, the machine (cores, memory, load) and the PostgreSQL settings. A log without a BENCH line
# is listed as such, with its last line: a benchmark that failed is not left out silently.
# Cost growth: a path measured at two or more sizes (size=Z, else rows=N: the members of a ledger,
# the leads, the events; a report's size is the people of its fixture) gets one line of a second
# table, its time per unit at the smallest and the largest size and how much it grew (issue 18:
# at most 20 %); a path measured at one size only is listed as such.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/bench/RESULTS.md}
[ $# -gt 0 ] || { echo "usage: bench/summary.sh LOG..." >&2; exit 2; }
table() {
  echo "| bench | path | rows | seconds | rows/s | yardstick (same run) | ratio | peak memory (VmHWM) |"
  echo "|---|---|---:|---:|---:|---|---:|---|"
  for log in "$@"; do
    name=$(basename "$log" .log)
    if ! grep -q '^BENCH ' "$log" 2>/dev/null; then
      echo "| $name | (no result: $(tail -1 "$log" 2>/dev/null | tr '|' '/' | cut -c1-100)) | | | | | | |"
      continue
    fi
    grep '^BENCH ' "$log" | awk -v bench="$name" '
      { delete f; for (i = 2; i <= NF; i++) { k = substr($i, 1, index($i, "=") - 1); f[k] = substr($i, index($i, "=") + 1) } }
      { yard = ("yardstick" in f) ? sprintf("%s %.3f s", f["yardstick"], f["yard_secs"]) \
                                  : sprintf("raw COPY %s rows/s", f["copy_rate"])
        rate = ("rate" in f) ? f["rate"] : ""
        mem = ("hwm_kib" in f && f["hwm_kib"] != "" && f["hwm_kib"] >= 0) ? sprintf("%.1f MiB (%s)", f["hwm_kib"] / 1024, f["proc"]) : ""
        rows = ("size" in f) ? sprintf("%s (of %s)", f["rows"], f["size"]) : f["rows"]
        printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", bench, f["path"], rows, f["secs"], rate, yard, f["ratio"], mem }'
  done
}
# time per unit at the smallest and the largest size of each path (first seen order)
growth() {
  echo "| bench | path | smaller size | us per unit | larger size | us per unit | growth | within 20 % |"
  echo "|---|---|---:|---:|---:|---:|---:|---|"
  for log in "$@"; do
    grep -q '^BENCH ' "$log" 2>/dev/null || continue
    grep '^BENCH ' "$log" | awk -v bench="$(basename "$log" .log)" '
      { delete f; for (i = 2; i <= NF; i++) { k = substr($i, 1, index($i, "=") - 1); f[k] = substr($i, index($i, "=") + 1) } }
      { p = f["path"]; z = ("size" in f) ? f["size"] + 0 : f["rows"] + 0
        if (z <= 0 || f["secs"] == "") next
        if (!(p in lo)) { order[++n] = p; lo[p] = z; hi[p] = z; tlo[p] = f["secs"] / z; thi[p] = tlo[p]; next }
        # the same size twice (a repeated run): the faster of the two
        if (z == lo[p] && f["secs"] / z < tlo[p]) tlo[p] = f["secs"] / z
        if (z == hi[p] && f["secs"] / z < thi[p]) thi[p] = f["secs"] / z
        if (z < lo[p]) { lo[p] = z; tlo[p] = f["secs"] / z }
        if (z > hi[p]) { hi[p] = z; thi[p] = f["secs"] / z } }
      END { for (i = 1; i <= n; i++) { p = order[i]
              if (lo[p] == hi[p]) { printf "| %s | %s | %d | %.2f | (one size only) | | | |\n", bench, p, lo[p], tlo[p] * 1e6; continue }
              g = (thi[p] / tlo[p] - 1) * 100
              printf "| %s | %s | %d | %.2f | %d | %.2f | %+.0f %% | %s |\n", bench, p, lo[p], tlo[p] * 1e6, hi[p], thi[p] * 1e6, g, (g <= 20 ? "yes" : "no") } }'
  done
}
tab=$(table "$@")
gro=$(growth "$@")
pg=$(grep -h '^BENCH_PG ' "$@" 2>/dev/null | head -1 | cut -d' ' -f2- || true)
{
  echo "# Benchmark results"
  echo
  echo "Written by \`make bench\` (bench/summary.sh) on $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo
  echo "- machine: $(nproc) cores ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) memory, $(uname -sr)"
  echo "- load average when the summary was written: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared: each benchmark ran under \`nice\`, beside other engineers' builds and tests, so the absolute figures are low and noisy; the ratios compare figures taken in the same run)"
  echo "- PostgreSQL (each benchmark's own cluster, tools/scripts/pg.sh): ${pg:-not recorded}"
  echo "- ratio: the path's speed over its yardstick's (raw COPY of the same rows in the same run; for a report, the time of the plain GROUP BY of the same filters over the report's time); rows/s of the path"
  echo
  echo "$tab"
  echo
  echo "## Cost growth"
  echo
  echo "Time per unit (a ledger line, a lead, an event, a compared row; for a report, a person of its fixture) at the smallest and the largest size each path ran at in these logs; growth is the larger's over the smaller's, less one."
  echo
  echo "$gro"
} >"$out"
echo
echo "$tab"
echo
echo "$gro"
echo "(written to ${out#"$root"/})"
