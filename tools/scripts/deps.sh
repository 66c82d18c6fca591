#!/usr/bin/env bash
# Installs the Debian 12 packages fangpin needs to build, test and run, only those missing.
# Called by `make test`, `make demo`, `make up`; safe to run again. Needs root (or sudo).
set -euo pipefail
PKGS=(build-essential cmake pkg-config clang
      libzmq3-dev libsodium-dev libuv1-dev libpq-dev protobuf-c-compiler libprotobuf-c-dev
      libhttp-parser-dev libcmocka-dev zlib1g-dev libxlsxwriter-dev libzip-dev libexpat1-dev libopencc-dev
      postgresql-15 postgresql-client-15
      python3 python3-zmq python3-protobuf python3-nacl protobuf-compiler
      chromium fonts-noto-cjk # the web pages are tested in a real headless browser
      docker-compose unzip curl procps util-linux passwd
      prometheus) # promtool: the monitoring rules are checked and unit-tested by make test
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# postgresql-common would create and start a cluster on install; we run our own private ones.
if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
  $SUDO mkdir -p /etc/postgresql-common
  echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
