#!/usr/bin/env bash
# `make demo-federation` (docs/federation.md): on this machine, two county clusters of 承德市 and
# the prefecture's (three private PostgreSQL instances on leased ports, the counties with
# wal_level=logical), each county's own intake and reporting; county IT publishes, the prefecture
# subscribes (`fangpinctl federation add-county`) and publishes down, each county subscribes to that
# (`federation subscribe-upper`); leads pushed with `fangpinctl push`; then the reports side by
# side, the prefecture's event stream, a person found in both counties and that finding (Q008) on
# both counties' work lists.
# Everything it starts is stopped when it ends (ctrl-C included); its files stay in
# var/federation-demo/ (removed and made again by the next run). The set-up is the integration
# test's (tests/integration/fp.py and test_federation.py), run outside ctest.
set -euo pipefail
BUILD=${1:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=$(realpath "$BUILD")
VAR=${FANGPIN_VAR:-$top/var}/federation-demo
rm -rf "$VAR"
mkdir -p "$VAR"
export FANGPIN_BUILD="$BUILD" FANGPIN_SOURCE="$top" FANGPIN_TEST_VAR="$VAR"
export PYTHONPATH="$BUILD/py:$top/tests/integration"
exec /usr/bin/python3 "$top/tools/scripts/demo-federation.py"
