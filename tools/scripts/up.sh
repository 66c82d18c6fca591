#!/usr/bin/env bash
# `make up`: a private PostgreSQL under var/, demo keys under var/keys/, the four services in
# the background (logs in var/log/), and var/fangpin.env describing all of it. Idempotent:
# what already runs is left running and a second run changes nothing. `make down` stops
# everything. The ports are FANGPIN_UP_<SERVICE>_PORT (ROUTER, 7101..7104),
# FANGPIN_UP_<SERVICE>_HTTP_PORT (8101..8104), FANGPIN_UP_PUB_PORT (events, 7105),
# FANGPIN_UP_LEADS_PORT (7110) and FANGPIN_UP_IDENTIFIED_PORT (7111).
set -euo pipefail
BUILD=${1:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
VAR=${FANGPIN_VAR:-$top/var}
PGPORT=${FANGPIN_PG_PORT:-55432}
HOST=127.0.0.1
mkdir -p "$VAR/keys" "$VAR/log" "$VAR/run"
CTL="$BUILD/fangpinctl"

# scram-sha-256 with the password pg.sh generated (var/pg/password, mode 0600)
tools/scripts/pg.sh start "$VAR/pg" "$PGPORT"
admin=$(tools/scripts/pg.sh conninfo "$VAR/pg" postgres)
psql -X -q "$admin" -tAc "SELECT 1 FROM pg_database WHERE datname = 'fangpin'" | grep -q 1 ||
  psql -X -q "$admin" -c "CREATE DATABASE fangpin"
# fangpin's roles (deploy/db/roles.sh), none a superuser, their passwords generated once into
# var/pg/roles/ (mode 0600): the database and what it holds are fangpin_owner's, which applies
# the migrations and the grants and is fangpinctl's role; each service runs as its own role.
tools/scripts/pg.sh roles "$VAR/pg" fangpin

export FANGPIN_PG=$(tools/scripts/pg.sh conninfo "$VAR/pg" fangpin fangpin_owner)
export FANGPIN_KEYS_DIR="$VAR/keys"
# the reporting service's HTTP port also serves report downloads and the /events stream, to a
# bearer token (fangpinctl token add) of a principal, for its region only
export FANGPIN_REPORTING_HTTP_REPORTS=${FANGPIN_REPORTING_HTTP_REPORTS:-true}
export FANGPIN_REPORTING_SSE=${FANGPIN_REPORTING_SSE:-true}
# and the dashboard (/dash/, docs/dashboard.md), to the same tokens
export FANGPIN_REPORTING_DASH=${FANGPIN_REPORTING_DASH:-true}
"$CTL" migrate >/dev/null
"$CTL" keys make --dir "$VAR/keys" intake screening assistance reporting admin \
    dept-yibao dept-weijian dept-minzheng dept-zhujian village-sdh township-sdh county-xl >/dev/null
# Demo principals in 兴隆县 (130822): county IT, four line departments (medical insurance,
# health, civil affairs, housing), and one cadre per level in 三道河镇 (130822112) and its first
# village.
"$CTL" keys register --id admin:county-it --kind admin --name "兴隆县信息中心" --region 130822 \
    --key "$VAR/keys/admin.key" >/dev/null
"$CTL" keys register --id dept:130822:yibao --kind department --name "兴隆县医疗保障局" --region 130822 \
    --level county --dept yibao --key "$VAR/keys/dept-yibao.key" >/dev/null
"$CTL" keys register --id dept:130822:weijian --kind department --name "兴隆县卫生健康局" --region 130822 \
    --level county --dept weijian --key "$VAR/keys/dept-weijian.key" >/dev/null
"$CTL" keys register --id dept:130822:minzheng --kind department --name "兴隆县民政局" --region 130822 \
    --level county --dept minzheng --key "$VAR/keys/dept-minzheng.key" >/dev/null
"$CTL" keys register --id dept:130822:zhujian --kind department --name "兴隆县住房和城乡建设局" --region 130822 \
    --level county --dept zhujian --key "$VAR/keys/dept-zhujian.key" >/dev/null
"$CTL" keys register --id actor:130822112201:village --kind actor --name "花水村防贫专干" \
    --region 130822112201 --level village --key "$VAR/keys/village-sdh.key" >/dev/null
"$CTL" keys register --id actor:130822112:township --kind actor --name "三道河镇防贫办" --region 130822112 \
    --level township --key "$VAR/keys/township-sdh.key" >/dev/null
"$CTL" keys register --id actor:130822:county --kind actor --name "兴隆县乡村振兴局" --region 130822 \
    --level county --key "$VAR/keys/county-xl.key" >/dev/null

declare -A ZPORT=([intake]=${FANGPIN_UP_INTAKE_PORT:-7101} [screening]=${FANGPIN_UP_SCREENING_PORT:-7102}
                  [assistance]=${FANGPIN_UP_ASSISTANCE_PORT:-7103} [reporting]=${FANGPIN_UP_REPORTING_PORT:-7104})
declare -A HPORT=([intake]=${FANGPIN_UP_INTAKE_HTTP_PORT:-8101} [screening]=${FANGPIN_UP_SCREENING_HTTP_PORT:-8102}
                  [assistance]=${FANGPIN_UP_ASSISTANCE_HTTP_PORT:-8103}
                  [reporting]=${FANGPIN_UP_REPORTING_HTTP_PORT:-8104})
PUBPORT=${FANGPIN_UP_PUB_PORT:-7105}
LEADSPORT=${FANGPIN_UP_LEADS_PORT:-7110}
IDPORT=${FANGPIN_UP_IDENTIFIED_PORT:-7111}
# The hint links between services (no CURVE, ids only): intake -> screening LeadsAccepted on
# $LEADSPORT, screening -> assistance HouseholdIdentified on $IDPORT; and the reporting
# service's event PUB on $PUBPORT: every one bound on $HOST only, like the ROUTERs (the
# services' own defaults bind every interface).
declare -A LINK=([intake]="FANGPIN_INTAKE_LEADS_PUSH=tcp://$HOST:$LEADSPORT"
                 [screening]="FANGPIN_SCREENING_LEADS_PULL=tcp://$HOST:$LEADSPORT FANGPIN_SCREENING_IDENTIFIED_PUSH=tcp://$HOST:$IDPORT"
                 [assistance]="FANGPIN_ASSISTANCE_IDENTIFIED_PULL=tcp://$HOST:$IDPORT"
                 [reporting]="FANGPIN_REPORTING_PUB=tcp://$HOST:$PUBPORT")
# var/fangpin.env (mode 0600: it holds the database password): written to a temporary file and
# put in place only when it differs, so a second `make up` leaves it as it was.
env_file="$VAR/fangpin.env"
env_new="$env_file.new.$$"
trap 'rm -f "$env_new"' EXIT
(umask 077; : >"$env_new")
{
  echo "# written by make up; source it: . var/fangpin.env"
  echo "# fangpinctl's database role, fangpin_owner (it applies the migrations)"
  echo "export FANGPIN_PG='$FANGPIN_PG'"
  echo "export FANGPIN_KEYS_DIR='$VAR/keys'"
  echo "export FANGPIN_CLIENT_CERT='$VAR/keys/admin.key_secret'"
  echo "export FANGPIN_REPORTING_PUB_CONNECT='tcp://$HOST:$PUBPORT'"
} >"$env_new"
for svc in intake screening assistance reporting; do
  U=${svc^^}
  pub=$(sed -n 's/.*public-key = "\(.*\)"/\1/p' "$VAR/keys/$svc.key")
  svc_pg=$(tools/scripts/pg.sh conninfo "$VAR/pg" fangpin "fangpin_$svc")
  {
    echo "# the service's own database role (FANGPIN_PG when make up starts it)"
    echo "export FANGPIN_${U}_PG='$svc_pg'"
    echo "export FANGPIN_${U}_CONNECT='tcp://$HOST:${ZPORT[$svc]}'"
    echo "export FANGPIN_${U}_PUBLIC_KEY='$pub'"
    echo "export FANGPIN_${U}_HTTP_URL='http://$HOST:${HPORT[$svc]}'"
  } >>"$env_new"
  pidf="$VAR/run/$svc.pid"
  if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then continue; fi
  # as its own role, which may not migrate (fangpinctl migrate did, above)
  # shellcheck disable=SC2086  # LINK holds whole NAME=VALUE words without spaces
  env "FANGPIN_LOG_LEVEL=${FANGPIN_LOG_LEVEL:-info}" "FANGPIN_PG=$svc_pg" FANGPIN_MIGRATE=false \
    "FANGPIN_${U}_ENDPOINT=tcp://$HOST:${ZPORT[$svc]}" "FANGPIN_${U}_HTTP=$HOST:${HPORT[$svc]}" \
    ${LINK[$svc]} setsid "$BUILD/fangpin-$svc" >>"$VAR/log/$svc.log" 2>&1 </dev/null &
  echo $! >"$pidf"
done
if cmp -s "$env_new" "$env_file"; then rm -f "$env_new"; else mv "$env_new" "$env_file"; fi
chmod 600 "$env_file"  # also one written by an earlier fangpin
for svc in intake screening assistance reporting; do
  ok=""
  for _ in $(seq 1 100); do
    if curl -fsS "http://$HOST:${HPORT[$svc]}/readyz" >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.2
  done
  if [ -z "$ok" ]; then
    echo "make up: $svc did not become ready; last log lines:" >&2
    tail -5 "$VAR/log/$svc.log" >&2
    exit 1
  fi
done
echo "fangpin is up: PostgreSQL on $HOST:$PGPORT, services on tcp://$HOST:${ZPORT[intake]}," \
     "${ZPORT[screening]}, ${ZPORT[assistance]}, ${ZPORT[reporting]} (events ${PUBPORT}), HTTP $HOST:${HPORT[intake]}," \
     "${HPORT[screening]}, ${HPORT[assistance]}, ${HPORT[reporting]}"
echo "  . var/fangpin.env   # then: $BUILD/fangpinctl ping intake"
