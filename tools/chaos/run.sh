#!/usr/bin/env bash
# tools/chaos/run.sh BUILD chaos|soak: tools/chaos/chaos.py on the optimised build, on the
# integration tests' harness (tests/integration/fp.py): its own PostgreSQL cluster and files under
# BUILD/chaosvar, ports leased from tools/scripts/ports.py. CHAOS_SECONDS (300), CHAOS_RATE
# (1000 leads/s), CHAOS_SEED (random, printed); SOAK_SECONDS (1800), SOAK_RATE (1000);
# ROLLING_ROUNDS (2), ROLLING_RATE (1000): every service restarted with SIGTERM in turn under load.
set -euo pipefail
BUILD=${1:?BUILD}
mode=${2:?chaos|soak|rolling}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$BUILD" && pwd)
export FANGPIN_BUILD=$build FANGPIN_SOURCE=$root FANGPIN_TEST_VAR=$build/chaosvar
export PYTHONPATH=$build/py:$root/tests/integration
mkdir -p "$FANGPIN_TEST_VAR"
if [ "$mode" = chaos ]; then
  args=(chaos --seconds "${CHAOS_SECONDS:-300}" --rate "${CHAOS_RATE:-1000}" ${CHAOS_SEED:+--seed "$CHAOS_SEED"})
elif [ "$mode" = rolling ]; then
  args=(rolling --rounds "${ROLLING_ROUNDS:-2}" --rate "${ROLLING_RATE:-1000}" ${CHAOS_SEED:+--seed "$CHAOS_SEED"})
else
  args=(soak --seconds "${SOAK_SECONDS:-1800}" --rate "${SOAK_RATE:-1000}")
fi
# in a process group of its own: should the driver itself die (a signal, an abort in a library),
# whatever it started is killed here rather than left running
setsid nice /usr/bin/python3 -u "$root/tools/chaos/chaos.py" "${args[@]}" &
pid=$!
trap 'kill -TERM -- -$pid 2>/dev/null || true' INT TERM
rc=0
wait $pid || rc=$?
if kill -0 -- -$pid 2>/dev/null; then
  echo "run.sh: the driver exited $rc and left processes in its group; killing them" >&2
  kill -KILL -- -$pid 2>/dev/null || true
  [ $rc -ne 0 ] || rc=1
fi
exit $rc
