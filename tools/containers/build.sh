#!/usr/bin/env bash
# `make containers`: the base images (base.sh), then fangpin's four service images from
# deploy/docker/Dockerfile with podman (--format docker keeps HEALTHCHECK; host networking, as
# this machine's sandbox needs). Prints each image's build time and size.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$top"
tools/containers/base.sh
for svc in intake screening assistance reporting; do
  t0=$SECONDS
  podman build --format docker --network host "${ULIMITS[@]}" --build-arg SERVICE=$svc -t fangpin/$svc:latest \
    -f deploy/docker/Dockerfile . >"$CDIR/build-$svc.log" 2>&1 || { tail -30 "$CDIR/build-$svc.log" >&2; exit 1; }
  printf 'containers: fangpin/%-10s built in %4d s, %s\n' "$svc" "$((SECONDS - t0))" \
    "$(podman image inspect --format '{{.Size}}' fangpin/$svc:latest | awk '{printf "%.0f MB", $1 / 1e6}')"
done
