#!/usr/bin/env bash
# bench/all.sh BUILD: every benchmark (`make bench`), each under nice (the machine is shared),
# its output shown and kept in $LOGS/NAME.log (default /tmp/fp-bench-logs), then the one summary
# table (bench/summary.sh), which also writes bench/RESULTS.md. BENCHES picks some ("ledger
# intake"); a benchmark that fails does not stop the others, and the exit status says so.
# Each benchmark runs at two sizes, so that the summary can print its cost per row at both
# (issue 18: it must not grow by more than 20 %); the sizes, smaller first, one run each:
#   LEDGER_SIZES     members of the census            "200000 1000000" (one run of bench/ledger)
#   INTAKE_SIZES     leads through intake             "200000 1000000"
#   SCREENING_SIZES  PEOPLE:LEADS of the prefecture   "250000:50000 1000000:200000"
#   REPORTING_SCALES the reporting fixture's SCALE    "0.25 1" (1 = 1,200,000 people, 200,000 events)
#   COMPARE_SIZES    ledger members compared          "200000 1000000"
# regions (the national division codes) and federation (a rate for a time) have one size. A
# variable set to one size runs that size only (a quicker run while developing).
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
sizes() {  # the runs of benchmark $1: one argument string per line
  case $1 in
    ledger) echo "${LEDGER_SIZES:-200000 1000000}" ;;  # bench/ledger takes the list itself
    intake) printf '%s\n' ${INTAKE_SIZES:-200000 1000000} ;;
    screening) printf '%s\n' ${SCREENING_SIZES:-250000:50000 1000000:200000} | tr ':' ' ' ;;
    compare) printf '%s\n' ${COMPARE_SIZES:-200000 1000000} ;;
    reporting) printf 'SCALE=%s\n' ${REPORTING_SCALES:-0.25 1} ;;
    *) echo "" ;;
  esac
}
rc=0 ran=()
for b in $order; do
  [ -n "${cmd[$b]:-}" ] || { echo "bench/all.sh: no benchmark $b (${!cmd[*]})" >&2; exit 2; }
  : >"$logs/$b.log"
  while IFS= read -r size <&3; do  # fd 3: a benchmark reading its stdin gets none of the sizes
    echo "======== $b (${cmd[$b]}${size:+ $size})" | tee -a "$logs/$b.log"
    if [ "$b" = regions ]; then FANGPINCTL="$BUILD/fangpinctl" nice "${cmd[$b]}" 2>&1 | tee -a "$logs/$b.log"
    # Debian's python3: zmq and protobuf, as the tests
    elif [ "$b" = federation ]; then nice /usr/bin/python3 "${cmd[$b]}" "$BUILD" 2>&1 | tee -a "$logs/$b.log"
    elif [ "$b" = reporting ]; then env "$size" nice "${cmd[$b]}" "$BUILD" 2>&1 | tee -a "$logs/$b.log"
    # shellcheck disable=SC2086 # the sizes are words: "PEOPLE LEADS", or the ledger's list as one
    elif [ "$b" = ledger ]; then nice "${cmd[$b]}" "$BUILD" "$size" 2>&1 | tee -a "$logs/$b.log"
    else nice "${cmd[$b]}" "$BUILD" $size 2>&1 | tee -a "$logs/$b.log"; fi
    r=${PIPESTATUS[0]}
    [ "$r" -eq 0 ] || { echo "bench/all.sh: $b${size:+ $size} exited $r" | tee -a "$logs/$b.log"; rc=1; }
  done 3< <(sizes "$b")
  ran+=("$logs/$b.log")
done
bench/summary.sh "${ran[@]}"
exit $rc
