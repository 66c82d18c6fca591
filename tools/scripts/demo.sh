#!/usr/bin/env bash
# `make demo` (after make up): imports 兴隆县 (130822), shows each service healthy over its real
# interfaces (CURVE ping with the demo keys, HTTP /readyz), then a month of leads pushed by four
# departments from their CSV files (deploy/demo/leads/), and says what comes next.
set -euo pipefail
BUILD=${1:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. var/fangpin.env
CTL="$BUILD/fangpinctl"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
sub() { printf '\n\033[1m-- %s\033[0m\n' "$*"; }
sql() { psql -X -q "$FANGPIN_PG" -v ON_ERROR_STOP=1 -P footer=off "$@"; }

say "Import the division codes of 兴隆县 (130822): 20 townships, 297 villages"
"$CTL" regions import tests/fixtures/regions/130822/*.csv
"$CTL" regions stats 130822

say "Import the quarterly census of 兴隆县 (乡村人口台账, 2026 Q3; synthetic households)"
mkdir -p var/demo/ledger
cp deploy/demo/ledger/130822-2026Q3.csv var/demo/ledger/
"$CTL" ledger import var/demo/ledger/130822-2026Q3.csv || true
echo "  (imported again it changes nothing: the import is idempotent)"

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

say "A month of leads from the departments (2026-10)"
cat <<'TXT'
Four departments of 兴隆县 send their October risk leads (风险预警线索) as they export them
(synthetic people; see deploy/demo/leads/README.md). Each runs, with its own key:
  fangpinctl push --dept CODE --period 2026-10 FILE.csv
and gets FILE.results.csv beside the file, one line per lead. The files are copied to
var/demo/leads/ first, so the results land there. Exit status 0: every line accepted or
already received; 1: some lines refused (fix them and push again).
TXT
LEADS=var/demo/leads
mkdir -p "$LEADS"
cp deploy/demo/leads/*.csv "$LEADS/"
declare -A DEPT_ZH=([yibao]=医疗保障局 [weijian]=卫生健康局 [minzheng]=民政局 [zhujian]=住房和城乡建设局)
declare -A DEPT_FILE=([yibao]="UTF-8" [weijian]="UTF-8 with BOM (Excel \"CSV UTF-8\")"
                      [minzheng]="GBK (WPS \"CSV 逗号分隔\")" [zhujian]="UTF-8")
# push DEPT FILE: runs the push (its refused-lines list on stderr goes to FILE's .push.log; the
# results file has them all) and prints the exit status. 0 and 1 are answers; 2 or 3 stop the demo.
push() {
  local st=0
  "$CTL" push --dept "$1" --period 2026-10 "$2" 2>"${2%.csv}.push.log" || st=$?
  case $st in
    0) echo "  exit status 0: every line accepted or already received 全部接收" ;;
    1) echo "  exit status 1: some lines refused 有退回的行" ;;
    *) echo "  exit status $st: UNEXPECTED"; cat "${2%.csv}.push.log"; exit 1 ;;
  esac
}
for d in yibao weijian minzheng zhujian; do
  f=$LEADS/$d-2026-10.csv
  sub "$d  兴隆县${DEPT_ZH[$d]}: $(basename "$f"), ${DEPT_FILE[$d]}"
  push "$d" "$f"
  python3 deploy/demo/show_results.py "$f" "${f%.csv}.results.csv"
done

say "Pushing again is safe (民政局 runs the same command a second time)"
count_leads() { sql -tAc "SELECT count(*) FROM leads WHERE county_code = '130822' AND period = '2026-10'"; }
f=$LEADS/minzheng-2026-10.csv
before=$(count_leads)
cp "${f%.csv}.results.csv" "$LEADS/minzheng-first.results.csv"
push minzheng "$f"
if cmp -s "${f%.csv}.results.csv" "$LEADS/minzheng-first.results.csv"; then
  echo "  同一批次，服务按已保存的答复逐行回答 / the same batches: the service answers from what it stored, line for line"
else
  echo "UNEXPECTED: the second answer differs from the first"; exit 1
fi
echo "  在库线索 leads stored for 2026-10: $before before, $(count_leads) after"

sub "民政局 saves the same sheet again, now as CSV UTF-8, and pushes it (a new file: new batches)"
iconv -f GBK -t UTF-8 "$f" >"$LEADS/minzheng-2026-10-utf8.csv"
push minzheng "$LEADS/minzheng-2026-10-utf8.csv"
python3 deploy/demo/show_results.py "$LEADS/minzheng-2026-10-utf8.csv" "$LEADS/minzheng-2026-10-utf8.results.csv" |
  sed -n 1p
echo "  已收到的线索不再重复接收 / every lead the service has comes back as already received (duplicate.earlier)"
echo "  在库线索 leads stored for 2026-10: $before before, $(count_leads) after"

say "Where 2026-10 stands, per department (from PostgreSQL)"
# What intake's SubmissionStatus answers (fangpinctl has no command for it yet), and the answers
# to every batch: lines sent, accepted, already received, refused.
sql <<'SQL'
WITH p AS (
  SELECT '130822'::varchar AS county, '2026-10'::text AS period,
         date '2026-11-01' + (fp_param('lead_push_day', '130822', date '2026-11-01')::int - 1) AS deadline)
SELECT d.code AS "部门 dept", t.name_zh AS "名称 name", count(b.batch_id) AS "批次 batches",
       coalesce(sum(b.leads), 0) AS "行 lines", coalesce(sum(b.accepted), 0) AS "接收 accepted",
       coalesce(sum(b.duplicates), 0) AS "重复 dup", coalesce(sum(b.rejected), 0) AS "退回 refused",
       to_char(min(b.received_at) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') AS "首次报送 first push",
       to_char(p.deadline, 'YYYY-MM-DD') AS "截止 deadline",
       CASE WHEN count(b.batch_id) = 0 THEN
                 CASE WHEN (now() AT TIME ZONE 'Asia/Shanghai')::date > p.deadline THEN '未报送 missing'
                      ELSE '未到期 not due' END
            WHEN (min(b.received_at) AT TIME ZONE 'Asia/Shanghai')::date <= p.deadline THEN '按时 on time'
            ELSE '逾期 late' END AS "状态 state"
  FROM p JOIN departments d ON d.county_code = p.county
  JOIN department_types t ON t.code = d.code
  LEFT JOIN lead_batches b ON b.county_code = d.county_code AND b.department_code = d.code AND b.period = p.period
 GROUP BY d.code, t.name_zh, p.deadline ORDER BY d.code;
SQL
cat <<'TXT'
Departments push a month's leads by the 5th of the next month (policy lead_push_day); a push
after that day counts as late (逾期), whatever the answers to its lines.

按线索类型 Leads stored, by kind:
TXT
sql <<'SQL'
SELECT l.kind AS "线索类型 kind", k.name_zh AS "名称 name", count(*) AS "条 leads",
       coalesce(to_char(sum(l.amount_fen) / 100.0, '999,999,990.00'), '') AS "金额合计(元) amount"
  FROM leads l JOIN lead_kinds k ON k.code = l.kind
 WHERE l.county_code = '130822' AND l.period = '2026-10'
 GROUP BY l.kind, k.name_zh ORDER BY l.kind;
SQL

say "Live events, as a county dashboard follows them (fangpinctl tail --region 130822)"
echo "Every change is an event in the outbox; the reporting service numbers them gap-free in commit"
echo "order and publishes them by region. The first few of this month, replayed from position 0:"
FANGPIN_TIMEOUT_MS=10000 "$CTL" tail --region 130822 --from 0 --count 6 --timeout-ms 10000 || true

say "What comes next"
cat <<'TXT'
Intake is running: departments push their monthly leads, every line gets an answer, and pushing
again never takes anything twice. Screening receives every lead, the ledger is loaded, and the
reporting service relays every event by region. Next, each its own issue:
  screening   cases carried village → township → county with the rules' reasons
  assistance  plans of measures, quarterly checks, four-step risk elimination
  reporting   the monthly and quarterly reports (CSV, XLSX)
The stack keeps running: `make down` stops it. The results files are in var/demo/leads/.
TXT
