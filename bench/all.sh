#!/usr/bin/env bash
# bench/all.sh BUILD: every benchmark (`make bench`), each under nice (the machine is shared),
# its output shown and kept in $LOGS/NAME.log (default /tmp/fp-bench-logs), then the one summary
# table (bench/summary.sh), which also writes bench/RESULTS.md. BENCHES picks some ("ledger
# intake"); a benchmark that fails does not stop the others, and the exit status says so.
set -uo pipefail
BUILD=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
logs=${LOGS:-/tmp/fp-bench-logs}
mkdir -p "$logs"
declare -A cmd=([regions]=bench/regions_import.sh [ledger]=bench/ledger/run.sh [intake]=bench/intake/run.sh
                [screening]=bench/screening/run.sh [reporting]=bench/reporting/run.sh [compare]=bench/compare/run.sh
                [federation]=bench/federation/run.py)
order=${BENCHES:-regions ledger intake screening reporting compare federation}
rc=0 ran=()
for b in $order; do
  [ -n "${cmd[$b]:-}" ] || { echo "bench/all.sh: no benchmark $b (${!cmd[*]})" >&2; exit 2; }
  echo "======== $b (${cmd[$b]})"
  if [ "$b" = regions ]; then FANGPINCTL="$BUILD/fangpinctl" nice "${cmd[$b]}" 2>&1 | tee "$logs/$b.log"
  # Debian's python3: zmq and protobuf, as the tests
  elif [ "$b" = federation ]; then nice /usr/bin/python3 "${cmd[$b]}" "$BUILD" 2>&1 | tee "$logs/$b.log"
  else nice "${cmd[$b]}" "$BUILD" 2>&1 | tee "$logs/$b.log"; fi
  r=${PIPESTATUS[0]}
  [ "$r" -eq 0 ] || { echo "bench/all.sh: $b exited $r" | tee -a "$logs/$b.log"; rc=1; }
  ran+=("$logs/$b.log")
done
bench/summary.sh "${ran[@]}"
exit $rc
