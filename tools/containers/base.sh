#!/usr/bin/env bash
# The base images fangpin's Dockerfiles start from, made locally (no registry is reachable):
#   debian:12, debian:12-slim   debootstrap --variant=minbase bookworm from the machine's mirror
#   postgres:15                 Debian's postgresql-15 with an entrypoint that honours the
#                               official image's POSTGRES_DB, POSTGRES_USER, POSTGRES_PASSWORD
#                               (deploy/docker/postgres/)
# An image that exists is kept (FANGPIN_REBUILD_BASE=1 to make them again).
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$top"
[ "$(id -u)" -eq 0 ] || { echo "containers: debootstrap needs root" >&2; exit 1; }
# Debian's container tools, only those missing (not needed by make test)
need=()
for p in podman buildah runc debootstrap docker-compose uidmap slirp4netns fuse-overlayfs python3-yaml; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "containers: installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
rebuild=${FANGPIN_REBUILD_BASE:-0}
if [ "$rebuild" = 1 ] || ! have_image debian:12; then
  root="$CDIR/rootfs"
  rm -rf "$root"
  t0=$SECONDS
  debootstrap --variant=minbase bookworm "$root" "$(mirror)" >"$CDIR/debootstrap.log" 2>&1 ||
    { tail -20 "$CDIR/debootstrap.log" >&2; exit 1; }
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | podman import - debian:12 >/dev/null
  rm -rf "$root"
  echo "containers: debian:12 made in $((SECONDS - t0)) s"
fi
podman tag debian:12 debian:12-slim
if [ "$rebuild" = 1 ] || ! have_image postgres:15; then
  t0=$SECONDS
  podman build --format docker --network host "${ULIMITS[@]}" -t postgres:15 deploy/docker/postgres >"$CDIR/postgres-build.log" 2>&1 ||
    { tail -20 "$CDIR/postgres-build.log" >&2; exit 1; }
  echo "containers: postgres:15 made in $((SECONDS - t0)) s"
fi
podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E '^(localhost/)?(debian|postgres):' || true
