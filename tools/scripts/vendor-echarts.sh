#!/usr/bin/env bash
# Refreshes the vendored Apache ECharts of the dashboard (web/vendor/echarts/): `npm pack` of the
# pinned version from the npm registry, then its dist/echarts.min.js, LICENSE and NOTICE copied in.
# The pages load it from the reporting binary (fp_web_bundle), never from a CDN: a county's
# network often has no internet. To move to another version: change ECHARTS_VERSION (or set it),
# run this script, look at the page (tests/integration/test_dashboard.py) and commit the three files.
set -euo pipefail
ECHARTS_VERSION=${ECHARTS_VERSION:-5.6.0}
top=$(cd "$(dirname "$0")/../.." && pwd)
dest="$top/web/vendor/echarts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "echarts@$ECHARTS_VERSION" >/dev/null
tar -xzf "echarts-$ECHARTS_VERSION.tgz"
mkdir -p "$dest"
for f in dist/echarts.min.js LICENSE NOTICE; do
    cp "package/$f" "$dest/$(basename "$f")"
done
echo "$ECHARTS_VERSION" >"$dest/VERSION"
sha256sum "$dest/echarts.min.js"
echo "web/vendor/echarts: Apache ECharts $ECHARTS_VERSION (Apache-2.0; LICENSE and NOTICE beside it)"
