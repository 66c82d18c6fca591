# Sourced by the container scripts: podman as this machine needs it (docs/operations.md,
# "Containers"). No systemd, no registry, a sandbox's limits: a private containers.conf with the
# runc runtime and the host's own ulimits, and the Docker-compatible socket for docker-compose.
# FANGPIN_CONTAINERS_DIR (default var/containers) holds the conf, the socket and the logs.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CDIR=${FANGPIN_CONTAINERS_DIR:-$top/var/containers}
mkdir -p "$CDIR"
export CONTAINERS_CONF="$CDIR/containers.conf"
# nproc: the shell's hard limit, but at most 32768 (a sandbox seen here refused its own hard limit
# of 96362 for a container, and took 32768)
NOFILE=$(ulimit -Hn)
NPROC=$(ulimit -Hu)
[ "$NPROC" = unlimited ] || [ "$NPROC" -gt 32768 ] && NPROC=32768
if [ ! -f "$CONTAINERS_CONF" ] || ! grep -q "nproc=$NPROC:" "$CONTAINERS_CONF"; then
  cat >"$CONTAINERS_CONF" <<CONF
[containers]
default_ulimits = ["nofile=$NOFILE:$NOFILE", "nproc=$NPROC:$NPROC"]
[engine]
runtime = "runc"
CONF
fi
# The Debian mirror this machine's apt uses, for debootstrap.
mirror() {
  local m
  m=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)
  [ -n "$m" ] || m=$(awk '$1 == "deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  echo "${m:-http://deb.debian.org/debian}"
}
have_image() { podman image exists "$1"; }
# podman build does not apply default_ulimits to its RUN steps: the same limits, explicitly
ULIMITS=(--ulimit "nofile=$NOFILE:$NOFILE" --ulimit "nproc=$NPROC:$NPROC")
