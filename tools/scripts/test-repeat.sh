#!/usr/bin/env bash
# `make test-repeat N=20`: the whole suite (the test build's ctest, then the fuzz build's) N
# times in a row, each with -j at the number of cores, as `make test` runs it. Prints a line per
# run, then every test that ever failed with how often and the first lines of how, and exits 1
# if any did. Each run's whole output stays in TEST_BUILD/repeat/run-K.log.
set -uo pipefail
n=${1:?usage: test-repeat.sh N TEST_BUILD FUZZ_BUILD JOBS}
tb=$(realpath "${2:?TEST_BUILD}")
fb=$(realpath "${3:?FUZZ_BUILD}")
jobs=${4:-$(nproc)}
out="$tb/repeat"
rm -rf "$out"
mkdir -p "$out"
declare -A fails=()
bad_runs=0
t_all=$SECONDS
for k in $(seq 1 "$n"); do
  log="$out/run-$k.log"
  t0=$SECONDS
  (cd "$tb" && ctest --output-on-failure -j"$jobs") >"$log" 2>&1
  rc1=$?
  (cd "$fb" && ctest --output-on-failure -j"$jobs") >>"$log" 2>&1
  rc2=$?
  # ctest's summary: "The following tests FAILED:" then "\t 23 - it_events (Failed)" lines
  failed=$(sed -n '/The following tests FAILED:/,/^Errors while running CTest/p' "$log" |
           sed -n 's/^[[:space:]]*[0-9]\+ - \([^ ]*\) (\(.*\))$/\1 (\2)/p' | sort -u)
  if [ $rc1 -ne 0 ] || [ $rc2 -ne 0 ] || [ -n "$failed" ]; then
    bad_runs=$((bad_runs + 1))
    [ -n "$failed" ] || failed="(ctest exited $rc1/$rc2 with no test named: see the log)"
    while IFS= read -r t; do fails["$t"]+="$k "; done <<<"$failed"
    printf 'run %2d/%d: FAILED in %4ds: %s\n' "$k" "$n" $((SECONDS - t0)) "$(echo $failed)"
  else
    printf 'run %2d/%d: passed in %4ds (%s tests)\n' "$k" "$n" $((SECONDS - t0)) \
      "$(sed -n 's/.* tests failed out of \([0-9]*\)$/\1/p' "$log" | paste -sd+ -)"
  fi
done
echo
echo "test-repeat: $n runs in $((SECONDS - t_all)) s, -j$jobs on $(nproc) cores"
if [ $bad_runs -eq 0 ]; then
  echo "no test failed in any run"
  echo "$n passed, 0 failed"
  exit 0
fi
echo "tests that failed (runs):"
for t in "${!fails[@]}"; do
  printf '  %-40s %s\n' "$t" "${fails[$t]}"
  name=${t%% *}
  for k in ${fails[$t]}; do
    # how: that test's own output in its first failing run (ctest prints it after the test's
    # result line), its assertion and error lines first
    awk -v name="$name" '
      $0 ~ ("Test +#[0-9]+: " name " ") { on = 1; next }
      on && /^ *[0-9]+\/[0-9]+ Test +#|^ *Start +[0-9]+:/ { exit }
      on' "$out/run-$k.log" | grep -E 'Error|FAIL|timed out|Sanitizer|Timeout|exited|Traceback' |
      head -6 | sed "s/^/      run $k: /"
    break
  done
done
echo "$((n - bad_runs)) passed, $bad_runs failed"
exit 1
