#!/usr/bin/env bash
# `make demo` (after make up): imports 兴隆县 (130822), shows each service healthy over its real
# interfaces (CURVE ping with the demo keys, HTTP /readyz), and says what comes next.
set -euo pipefail
BUILD=${1:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. var/fangpin.env
CTL="$BUILD/fangpinctl"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Import the division codes of 兴隆县 (130822): 20 townships, 297 villages"
"$CTL" regions import tests/fixtures/regions/130822/*.csv
"$CTL" regions stats 130822

say "Each service answers over ZeroMQ + CURVE, as county IT (admin key)"
for svc in intake screening assistance reporting; do "$CTL" ping $svc; done

say "Each cadre key is known with its level and region"
for k in dept-yibao village-sdh township-sdh county-xl; do
  FANGPIN_CLIENT_CERT=var/keys/$k.key_secret "$CTL" ping screening
done

say "A key nobody registered is refused at the handshake (ZAP)"
"$CTL" keys make --dir /tmp/fangpin-demo-stranger stranger >/dev/null
if FANGPIN_CLIENT_CERT=/tmp/fangpin-demo-stranger/stranger.key_secret FANGPIN_TIMEOUT_MS=1500 \
   "$CTL" ping intake 2>&1; then echo "UNEXPECTED: stranger admitted"; exit 1; fi

say "Health over HTTP"
for u in "$FANGPIN_INTAKE_HTTP_URL" "$FANGPIN_SCREENING_HTTP_URL" "$FANGPIN_ASSISTANCE_HTTP_URL" "$FANGPIN_REPORTING_HTTP_URL"; do
  printf '%s/readyz: %s' "$u" "$(curl -s "$u/readyz")"
  echo
done
curl -s "$FANGPIN_INTAKE_HTTP_URL/metrics" | grep -E '^fangpin_(ready|requests_total|zap_denied_total)' || true

say "What comes next"
cat <<'TXT'
The foundation is running. The capabilities that build on it, each its own issue:
  intake      departments push monthly risk leads (fangpinctl push), results per line
  screening   leads matched to the ledger, cases carried village → township → county
  assistance  plans of measures, quarterly checks, four-step risk elimination
  reporting   live events by region for dashboards, monthly and quarterly reports
The stack keeps running: `make down` stops it.
TXT
