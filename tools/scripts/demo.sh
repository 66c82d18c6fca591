#!/usr/bin/env bash
# `make demo` (after make up): imports 兴隆县 (130822), shows each service healthy over its real
# interfaces (CURVE ping with the demo keys, HTTP /readyz), then a month of leads pushed by four
# departments from their CSV files (deploy/demo/leads/), one case carried to identification, its
# assistance plan, measures, quarterly checks and plan checks, and its risk elimination in four
# steps (the demo moves the services' clocks with FANGPIN_TODAY), the data-quality findings by rule
# and a data comparison with 医保 (export, answer, findings), and says what comes next.
set -euo pipefail
BUILD=${1:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
VAR=${FANGPIN_VAR:-$top/var}  # as make up: FANGPIN_VAR moves everything it writes
. "$VAR/fangpin.env"
CTL="$BUILD/fangpinctl"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
sub() { printf '\n\033[1m-- %s\033[0m\n' "$*"; }
sql() { psql -X -q "$FANGPIN_PG" -v ON_ERROR_STOP=1 -P footer=off "$@"; }

say "Import the division codes of 兴隆县 (130822): 20 townships, 297 villages"
"$CTL" regions import tests/fixtures/regions/130822/*.csv
"$CTL" regions stats 130822

say "Import the quarterly census of 兴隆县 (乡村人口台账, 2026 Q3; synthetic households)"
mkdir -p $VAR/demo/ledger
cp deploy/demo/ledger/130822-2026Q3.csv $VAR/demo/ledger/
"$CTL" ledger import $VAR/demo/ledger/130822-2026Q3.csv || true
echo "  (imported again it changes nothing: the import is idempotent)"

say "From 2026 one mechanism: 兴隆县 runs the unified mode (防返贫监测与低收入人口监测, docs/lowincome.md)"
echo "Civil affairs' leads now also update the low-income categories, and a screened household likely"
echo "低保边缘 or 刚性支出困难 is sent to 民政 for its decision; the parameters are the county's (demo figures)."
"$CTL" mode set 130822 2026-01-01 unified --by 县乡村振兴局
"$CTL" category param set dibao_standard_yuan 130822 2026-01-01 6000 --source "兴隆县 2026 年农村低保标准（演示）" --by county-it
"$CTL" category param set disposable_income_yuan 130822 2026-01-01 20000 \
    --source "2025 年农村居民人均可支配收入（演示）" --by county-it

say "Each service answers over ZeroMQ + CURVE, as county IT (admin key)"
for svc in intake screening assistance reporting; do "$CTL" ping $svc; done

say "Each cadre key is known with its level and region"
for k in dept-yibao village-sdh township-sdh county-xl; do
  FANGPIN_CLIENT_CERT=$VAR/keys/$k.key_secret "$CTL" ping screening
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
the demo's folder first (var/demo/leads/), so the results land there. Exit status 0: every line accepted or
already received; 1: some lines refused (fix them and push again).
TXT
LEADS=$VAR/demo/leads
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

say "A department's file as its own system exports it: a column profile, kinds and villages by name"
cat <<'EOF'
民政局's social-assistance system exports the month's 低保 changes its own way: a title line above
the header, 户主姓名 and 身份证号码, the township and the village by name in two columns, 变动类型
in the system's words, dates as 2026年10月7日, the allowance in 万元 a year. The county registers
that layout once as a column profile (deploy/profiles/minzheng-dibao.ini; 医保局's is the other one
that ships, yibao-high-cost.ini), adds the system's two
words the catalogue does not know as aliases, and the department pushes the file as exported:
  fangpinctl push --dept minzheng --period 2026-10 --profile minzheng-dibao FILE.csv
(docs/push.md: "Column profiles", "Kinds by name", "Villages by name")
EOF
"$CTL" profile add minzheng-dibao --dept minzheng --file deploy/profiles/minzheng-dibao.ini --by county-it
"$CTL" profile add yibao-high-cost --dept yibao --file deploy/profiles/yibao-high-cost.ini --by county-it
"$CTL" profile list
"$CTL" kinds alias add --county 130822 --dept minzheng --alias 低保新增 --kind minzheng.dibao_new
"$CTL" kinds alias add --county 130822 --dept minzheng --alias 特困新增 --kind minzheng.tekun_new
f=$LEADS/minzheng-dibao-2026-10.csv
sub "民政局  $(basename "$f"), GBK, read through the profile minzheng-dibao"
st=0
"$CTL" push --dept minzheng --period 2026-10 --profile minzheng-dibao "$f" 2>"${f%.csv}.push.log" || st=$?
case $st in
  0 | 1) echo "  exit status $st" ;;
  *) echo "  exit status $st: UNEXPECTED"; cat "${f%.csv}.push.log"; exit 1 ;;
esac
python3 deploy/demo/show_results.py --resolved "${f%.csv}.results.csv" 变动类型 乡镇（街道） 村（社区）
echo "  The results file repeats the export's columns and adds 结果, 原因代码, 原因, 解析线索类型 and 解析村代码:"
echo "  the clerk corrects the refused line there (writes its township) and pushes that file again."

say "Where 2026-10 stands, per department (from PostgreSQL)"
# What intake's SubmissionStatus answers (fangpinctl has no command for it yet), and the answers
# to every batch: lines sent, accepted, already received, refused. Today is the services' today.
sql -v today="${FANGPIN_TODAY:-$(TZ=Asia/Shanghai date +%F)}" <<'SQL'
WITH p AS (
  SELECT '130822'::varchar AS county, '2026-10'::text AS period,
         date '2026-11-01' + (fp_param('lead_push_day', '130822', date '2026-11-01')::int - 1) AS deadline)
SELECT d.code AS "部门 dept", t.name_zh AS "名称 name", count(b.batch_id) AS "批次 batches",
       coalesce(sum(b.leads), 0) AS "行 lines", coalesce(sum(b.accepted), 0) AS "接收 accepted",
       coalesce(sum(b.duplicates), 0) AS "重复 dup", coalesce(sum(b.rejected), 0) AS "退回 refused",
       to_char(min(b.received_at) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') AS "首次报送 first push",
       to_char(p.deadline, 'YYYY-MM-DD') AS "截止 deadline",
       CASE WHEN count(b.batch_id) = 0 THEN
                 CASE WHEN :'today'::date > p.deadline THEN '未报送 missing'
                      ELSE '未到期 not due' END
            WHEN min(b.received_on) <= p.deadline THEN '按时 on time'
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

say "Screening: each lead matched to the ledger (乡村人口台账), one case per household"
for _ in $(seq 1 150); do
  left=$(psql -X -tA "$FANGPIN_PG" -c "SELECT count(*) FROM leads WHERE screened_at IS NULL")
  [ "$left" = "0" ] && break
  sleep 0.2
done
psql -X "$FANGPIN_PG" -c "SELECT count(DISTINCT c.id) AS \"案件 cases\",
    (SELECT count(*) FROM case_leads) AS \"线索入案 leads in cases\",
    (SELECT count(*) FROM leads WHERE status = 'unmatched') AS \"台账外 not in ledger\",
    (SELECT count(*) FROM village_tasks WHERE done_at IS NULL) AS \"村核实任务 village tasks\"
  FROM cases c"
echo "The county bureau's list (fangpinctl case list --region 130822, county key):"
# (to a file first: `| head` would cut the pipe, and pipefail would end the demo)
FANGPIN_CLIENT_CERT=$VAR/keys/county-xl.key_secret "$CTL" case list --region 130822 > $VAR/demo/cases.txt
head -12 $VAR/demo/cases.txt
echo "  ... $(grep -c '^案件' $VAR/demo/cases.txt) cases in all ($VAR/demo/cases.txt)"

CASE=$(psql -X -tA "$FANGPIN_PG" -c "SELECT id FROM cases WHERE decision::text LIKE '%S01%' ORDER BY id LIMIT 1")
[ -n "$CASE" ] || CASE=$(psql -X -tA "$FANGPIN_PG" -c "SELECT id FROM cases ORDER BY id LIMIT 1")
VIL=$(psql -X -tA "$FANGPIN_PG" -c "SELECT village_code FROM cases WHERE id = $CASE")
TWN=${VIL:0:9}
# The cadres of that village and its township (keys made and registered by county IT).
"$CTL" keys make --dir $VAR/keys demo-village demo-township >/dev/null
"$CTL" keys register --id "actor:$VIL:demo" --kind actor --level village --region "$VIL" \
    --name "村防贫专干" --key $VAR/keys/demo-village.key >/dev/null
"$CTL" keys register --id "actor:$TWN:demo" --kind actor --level township --region "$TWN" \
    --name "乡镇防贫办" --key $VAR/keys/demo-township.key >/dev/null
sleep 1.5 # the services reload keys on NOTIFY
V="env FANGPIN_CLIENT_CERT=$VAR/keys/demo-village.key_secret"
T="env FANGPIN_CLIENT_CERT=$VAR/keys/demo-township.key_secret"

say "Case $CASE, as its village cadre reads it: why the rules flagged the household"
$V "$CTL" case show "$CASE" || true

say "The village visits (with the household's signed consent) and posts the public notice (公示)"
$V "$CTL" case visit "$CASE" --consent --findings "入户核实：收入情况属实，已签承诺授权书" || true
$V "$CTL" case notice "$CASE" || true
echo "The notice text, as posted in the village (masked: no ID number, phone, bank or health):"
psql -X -tA "$FANGPIN_PG" -c "SELECT notice_text FROM cases WHERE id = $CASE" | sed 's/^/  /'
echo "The township tries to review before the notice period (at least 5 days) has run:"
$T "$CTL" case review "$CASE" --opinion "同意" || echo "  (refused, as the policy requires; it reviews once the notice has run)"

# restart_assistance DATE: the demo moves assistance's clock as it moved screening's
restart_assistance() {
  if [ -f $VAR/run/assistance.pid ]; then
    local apid
    apid=$(cat $VAR/run/assistance.pid)
    kill -TERM "$apid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$apid" 2>/dev/null || break; sleep 0.1; done
    rm -f $VAR/run/assistance.pid
  fi
  FANGPIN_TODAY=$1 tools/scripts/up.sh "$BUILD" >/dev/null
}
say "Six days later: the notice has run (the demo moves screening's and assistance's clocks to 2026-11-30)"
restart_assistance 2026-11-30
if [ -f $VAR/run/screening.pid ]; then
  spid=$(cat $VAR/run/screening.pid)
  kill -TERM "$spid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
  rm -f $VAR/run/screening.pid
fi
FANGPIN_TODAY=2026-11-30 tools/scripts/up.sh "$BUILD" >/dev/null
sleep 1
KIND=$(psql -X -tA "$FANGPIN_PG" -c "SELECT coalesce(nullif(decision->>'kind', ''), 'marginal') FROM cases WHERE id = $CASE")
RISKS=$(psql -X -tA "$FANGPIN_PG" -c "SELECT coalesce(nullif(array_to_string(risk_types[1:5], ','), ''), 'other') FROM cases WHERE id = $CASE")
echo "The township reviews, the county approves and identifies the household (kind $KIND, risks $RISKS):"
$T "$CTL" case review "$CASE" --opinion "经审核，情况属实，同意上报" || true
C="env FANGPIN_CLIENT_CERT=$VAR/keys/county-xl.key_secret"
$C "$CTL" case approve "$CASE" --opinion "经审批，同意纳入监测" || true
$C "$CTL" case identify "$CASE" --kind "$KIND" --risks "$RISKS" || true
echo "What the departments that sent its leads now see (ListOutcomes):"
psql -X "$FANGPIN_PG" -c "SELECT l.department_code AS \"部门 dept\", l.line_ref AS \"行号 line\", l.kind AS \"线索 lead\",
    l.status AS \"结果 outcome\" FROM leads l JOIN case_leads cl ON cl.county_code = l.county_code AND cl.lead_id = l.id WHERE cl.case_id = $CASE"

CLOSE=$(psql -X -tA "$FANGPIN_PG" -c "SELECT id FROM cases WHERE id <> $CASE AND state = 'opened' ORDER BY id DESC LIMIT 1")
if [ -n "$CLOSE" ]; then
  say "The county closes case $CLOSE as not included; the department sees why"
  FANGPIN_CLIENT_CERT=$VAR/keys/county-xl.key_secret "$CTL" case close "$CLOSE" \
      --reason "核实后家庭人均纯收入高于监测范围且无刚性支出，不纳入" || true
  psql -X "$FANGPIN_PG" -c "SELECT l.department_code AS \"部门 dept\", l.line_ref AS \"行号 line\", l.status AS \"结果 outcome\",
      l.status_reason AS \"原因 reason\" FROM leads l JOIN case_leads cl ON cl.county_code = l.county_code AND cl.lead_id = l.id WHERE cl.case_id = $CLOSE"
fi

say "Leads of people not in the ledger become the village's register-or-refute tasks"
psql -X "$FANGPIN_PG" -c "SELECT t.village_code AS \"村 village\", r.name AS \"村名 name\", t.kind AS \"任务 task\", l.kind AS \"线索 lead\"
  FROM village_tasks t JOIN leads l ON l.county_code = t.county_code AND l.id = t.lead_id LEFT JOIN regions r ON r.code = t.village_code
  ORDER BY t.village_code"

say "Assistance: the identified household gets its plan (一户一策)"
echo "Screening told assistance (HouseholdIdentified hint, PUSH/PULL) right after the identification"
echo "committed; assistance opened the plan in one transaction (plan + history + event plan.opened)."
PLAN=""
for _ in $(seq 1 100); do
  PLAN=$(psql -X -tA "$FANGPIN_PG" -c "SELECT id FROM plans WHERE case_id = $CASE")
  [ -n "$PLAN" ] && break
  sleep 0.1
done
[ -n "$PLAN" ] || { echo "UNEXPECTED: no plan for case $CASE"; exit 1; }
$V "$CTL" plan list --region "$VIL"


# The plan's story, told once per database: on a database where it already ran, say so and go on
# (`make down && rm -rf var` starts afresh).
assistance_story() {
say "Measures: the village first gives only a backstop measure, and the plan checks say why that is not enough"
$V "$CTL" measure add "$PLAN" --category backstop --title "纳入农村低保" --unit "县民政局" --start 2026-12-01 \
    --amount-fen 480000 --request-id demo-m-backstop || true
echo "Plan checks (P01..P09, docs/assistance-rules.md) as the township sees them:"
$T "$CTL" plan list --region "$TWN" --finding any || true
echo "The village answers each risk type with a matching measure (缺什么补什么):"
n=0
for r in ${RISKS//,/ }; do
  case $r in
    illness|accident) args=(--category health --title "大病救助和医疗费用报销" --unit "县医保局") ;;
    disability) args=(--category health --title "残疾人康复和护理补贴" --unit "县残联") ;;
    schooling) args=(--category education --title "雨露计划助学" --unit "县教育局") ;;
    disaster|housing) args=(--category housing --title "农房修缮加固" --unit "县住建局") ;;
    industry_failure) args=(--category industry --title "特色种植产业扶持" --unit "县农业农村局") ;;
    unstable_work) args=(--category employment --title "公益性岗位" --unit "镇政府") ;;
    lack_of_labour) args=(--category helper --title "帮扶责任人结对" --unit "村委会") ;;
    water) args=(--category water --title "饮水工程入户" --unit "县水务局") ;;
    *) args=(--category industry --title "庭院经济扶持" --unit "县农业农村局") ;;
  esac
  n=$((n + 1))
  $V "$CTL" measure add "$PLAN" "${args[@]}" --start 2026-12-01 --request-id "demo-m-$n" || true
done
$V "$CTL" measure add "$PLAN" --category employment --title "就业技能培训和务工推荐" --unit "县人社局" \
    --start 2026-12-01 --end 2027-03-31 --request-id demo-m-work || true
echo "Plans where a check still fires, across the whole county (county key):"
$C "$CTL" plan list --region 130822 --finding any || true

say "The quarter's checks (每季度核查, 2026Q4): the village checks each live measure once"
for m in $(psql -X -tA "$FANGPIN_PG" -c "SELECT id FROM measures WHERE plan_id = $PLAN ORDER BY id"); do
  $V "$CTL" check add "$m" --result on_track --finding "入户核查：措施按计划实施" --request-id "demo-k-$m" >/dev/null || true
done
echo "A second check of the same measure in the same quarter is refused:"
$V "$CTL" check add "$(psql -X -tA "$FANGPIN_PG" -c "SELECT min(id) FROM measures WHERE plan_id = $PLAN")" \
    --result on_track --finding "再次核查" 2>&1 | sed -n 1,2p | sed 's/^/  /' || true
echo "What is left unchecked this quarter, by village and township (township key):"
$T "$CTL" check unchecked || true

say "2027-01-06: the county reports 2026Q4's implementation within 5 working days"
restart_assistance 2027-01-06
$C "$CTL" check summary --quarter 2026Q4 --note "2026年第四季度帮扶措施落实情况" --request-id demo-q-2026Q4 || true

say "Follow-up: the village records the household's income each month; measures are delivered"
restart_assistance 2027-06-01
echo "(the demo's clock is now 2027-06-01, six months after identification)"
for mo in 2026-12 2027-01 2027-02 2027-03 2027-04 2027-05; do
  $V "$CTL" plan income "$PLAN" --month "$mo" --fen 920000 --request-id "demo-i-$mo" >/dev/null || true
done
for m in $(psql -X -tA "$FANGPIN_PG" -c "SELECT id FROM measures WHERE plan_id = $PLAN ORDER BY id"); do
  $V "$CTL" measure status "$m" delivered --request-id "demo-s-$m" >/dev/null || true
done
echo "  6 months of income recorded (9200 yuan per person, above the 6600 line); every measure delivered"

say "Risk elimination, step 1: the village nominates and posts the public notice (提名公示)"
$V "$CTL" eliminate "$PLAN" nominate --rigid-resolved --guarantees-hold --water-holds --request-id demo-e-1 || true
$V "$CTL" eliminate "$PLAN" post_notice --request-id demo-e-2 || true
echo "The notice, as posted in the village (masked name, no ID number):"
psql -X -tA "$FANGPIN_PG" -c "SELECT elim_notice_text FROM plans WHERE id = $PLAN" | sed 's/^/  /'
echo "The township tries to approve before the notice has run:"
$T "$CTL" eliminate "$PLAN" approve --text "同意" || echo "  (refused: the notice period comes first)"

say "Steps 2-4, after the notice: township check and approval, county confirmation, announcement"
restart_assistance 2027-06-07
$T "$CTL" eliminate "$PLAN" approve --text "经核查，收入稳定，同意" --request-id demo-e-3 || true
$C "$CTL" eliminate "$PLAN" confirm --text "经核实，同意标注风险消除" --request-id demo-e-4 || true
$C "$CTL" eliminate "$PLAN" announce --way by_assistance --request-id demo-e-5 || true
echo "The plan as the township reads it now (criteria, notice, the whole record):"
$T "$CTL" plan show "$PLAN" || true

}
if [ "$(psql -X -tA "$FANGPIN_PG" -c "SELECT count(*) FROM plan_history WHERE plan_id = $PLAN AND event <> 'plan.opened'")" = "0" ]; then
  assistance_story
else
  echo "(the demo ran on this database before: plan $PLAN already has its measures and steps;"
  echo " \`make down && rm -rf var\` then \`make demo\` tells it afresh)"
fi

say "What the plan checks found in the demo data"
psql -X "$FANGPIN_PG" -c "SELECT p.id AS \"计划 plan\", p.village_code AS \"村 village\", p.elim_state AS \"环节 state\",
    coalesce(string_agg(f->>'id' || ' ' || (f->>'zh'), '；'), '（无 none）') AS \"核查发现 findings\"
  FROM plans p LEFT JOIN LATERAL jsonb_array_elements(p.findings) f ON true GROUP BY p.county_code, p.id ORDER BY p.id"
psql -X "$FANGPIN_PG" -c "SELECT event AS \"事项 event\", count(*) AS \"次 times\" FROM plan_history
  WHERE plan_id = $PLAN GROUP BY event ORDER BY min(id)"

say "Who is late for October's deadlines (逾期情况, report_deadlines_rows as of 2026-11-30)"
echo "Departments push by the 5th, townships verify by the 20th, the county reports by the 25th;"
echo "the reporting service also announces each late unit once as a deadline.missed event."
sql -c "SELECT r->>'label' AS \"单位 unit\", r->>'deadline' AS \"截止事项 deadline\", r->>'due_on' AS \"截止 due\",
    r->>'done_on' AS \"完成 done\", r->>'days_late' AS \"逾期天数 days late\", r->>'late' AS \"逾期 late\"
  FROM jsonb_array_elements(report_deadlines_rows('130822', '2026-10', '2026-11-30')) r"

say "The county's monthly report (风险线索核实情况, due to the prefecture by the 25th)"
echo "fangpinctl report get asks the reporting service; the XLSX is what the county sends up."
$C "$CTL" report get lead_verification_monthly --region 130822 --period 2026-10 --format xlsx \
   --out $VAR/demo/130822-2026-10-lead-verification.xlsx || true
echo
echo "And the quarter's measures by category (帮扶措施落实情况, 2026Q4), over the plans above:"
$C "$CTL" report get measures_quarterly --region 130822 --period 2026Q4 --format xlsx \
   --out $VAR/demo/130822-2026Q4-measures.xlsx || true

say "The same report as a browser downloads it (GET /reports/..., with a bearer token)"
echo "County IT issues a token to a principal (fangpinctl token add, shown once, stored as a hash);"
echo "it reads that principal's region and nothing else:"
TOKEN=$("$CTL" token add --principal actor:130822:county --label "演示：县级大屏" 2>/dev/null)
TOWN_TOKEN=$("$CTL" token add --principal actor:130822112:township --label "演示：乡镇大屏" 2>/dev/null)
URL="$FANGPIN_REPORTING_HTTP_URL/reports/lead_verification_monthly?region=130822&period=2026-10&format=csv"
echo "  curl -H 'Authorization: Bearer ${TOKEN:0:8}…' '$URL'"
curl -fsS -H "Authorization: Bearer $TOKEN" "$URL" | head -4 | sed 's/^\xEF\xBB\xBF//; s/^/    /' || true
echo "    …"
printf '  the county'"'"'s token: %s; the township'"'"'s, for the county: %s; no token: %s\n' \
  "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL")" \
  "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOWN_TOKEN" "$URL")" \
  "$(curl -s -o /dev/null -w '%{http_code}' "$URL")"

say "Live events, as a county dashboard follows them (fangpinctl tail --region 130822)"
echo "Every change is an event in the outbox; the reporting service numbers them gap-free in commit"
echo "order and publishes them by region. The first few of this month, replayed from position 0:"
FANGPIN_TIMEOUT_MS=10000 "$CTL" tail --region 130822 --from 0 --count 8 --timeout-ms 10000 || true

say "The county's data-quality findings by rule (疑点, docs/quality-checks.md)"
echo "Every rule ran over the ledger after its import (and runs every night); open findings are the"
echo "villages' work lists: fangpinctl check list|fix|explain|review through the assistance service."
sql -c "SELECT f.rule_code AS \"规则 rule\", r.severity AS \"级别 level\", r.message_zh AS \"疑点 finding\",
               count(*) FILTER (WHERE f.state IN ('open', 'overdue')) AS \"待整改 open\",
               count(*) FILTER (WHERE f.state = 'explained') AS \"已说明 explained\",
               count(*) FILTER (WHERE f.state = 'fixed') AS \"已整改 fixed\"
          FROM quality_findings f JOIN quality_rules r ON r.code = f.rule_code
         WHERE f.county_code = '130822' GROUP BY 1, 2, 3 ORDER BY 1"

say "Data comparison with 医保 (数据比对): an audited export, 医保's answer, the differences as findings"
cat <<'EOF'
医疗保障局 asks, with its own key, for the slice of the ledger it may compare: its county, its
columns (姓名, 身份证号, 村代码, 是否参保). The export is recorded before any row leaves. 医保
answers from its own register; the answers become dated department facts, and the rules that
read them (Q094: a lifted or monitored person not insured; Q095: the ledger says uninsured, 医保
says insured) open findings for the villages (docs/compare.md).
EOF
mkdir -p "$VAR/demo/compare"
exp=$("$CTL" compare export --dept yibao --reason "2026Q4 季度比对（演示）" --out "$VAR/demo/compare/yibao-2026Q4.csv")
echo "$exp"
EXPORT=$(sed -n 's/^export \([0-9]*\) of .*/\1/p' <<<"$exp")
sql -c "SELECT id AS \"导出 export\", sender AS \"谁 who\", reason AS \"事由 why\", array_to_string(columns, ',') AS \"列 columns\",
               rows AS \"行 rows\", rows_sent AS \"已发送 sent\" FROM compare_exports WHERE id = $EXPORT"
python3 deploy/demo/answer_compare.py "$VAR/demo/compare/yibao-2026Q4.csv" "$VAR/demo/compare/yibao-answer.csv"
"$CTL" compare import --dept yibao --export "$EXPORT" "$VAR/demo/compare/yibao-answer.csv"
sql -c "SELECT f.rule_code AS \"规则 rule\", r.message_zh AS \"疑点 finding\", count(*) AS \"待整改 open\"
          FROM quality_findings f JOIN quality_rules r ON r.code = f.rule_code
         WHERE f.county_code = '130822' AND f.rule_code IN ('Q094', 'Q095') AND f.state IN ('open', 'overdue')
         GROUP BY 1, 2 ORDER BY 1"
echo "  The same answer file again changes nothing (its batches are answered from what was stored):"
"$CTL" compare import --dept yibao --export "$EXPORT" "$VAR/demo/compare/yibao-answer.csv"

say "The rural low-income population by category (农村低收入人口分类统计, 2026Q4, unified mode)"
echo "民政局's October leads put households into 低保 and 特困 directly; the county's screening sent the"
echo "households it found likely 低保边缘 or 刚性支出困难 to 民政 (ListReferrals), which decides."
$C "$CTL" report get lowincome_quarterly --region 130822 --period 2026Q4 || true
MZ="env FANGPIN_CLIENT_CERT=$VAR/keys/dept-minzheng.key_secret"
echo "  sent to 民政 for its decision (fangpinctl category referrals, 民政局's key): $($MZ "$CTL" category referrals \
  | tail -1)"

say "What comes next"
cat <<'TXT'
Intake is running: departments push their monthly leads, every line gets an answer, and pushing
again never takes anything twice. Screening receives every lead, the ledger is loaded, and the
reporting service relays every event by region. Screening matches leads to the ledger and
carries each case village → township → county with the rules' reasons; assistance opens a plan
for each identified household, checks it (P01..P11), follows its measures quarter by quarter and
carries risk elimination through its four steps. The reports are there: lead_verification_monthly,
scale_quarterly, measures_quarterly, elimination_quarterly and deadlines (GetReport, as CSV or
XLSX, or /reports/... on the reporting service's HTTP port with a token of fangpinctl token add).
The stack keeps running: `make down` stops it. The results files are in var/demo/leads/.
TXT

# --- the dashboard (issue 17; docs/dashboard.md) ---------------------------------------------
say "The dashboard (大屏) of 兴隆县: open it in a browser"
echo "A principal for the county's wall screen, and a token for it (30 days); the page keeps the"
echo "token in the browser and sends it only in a header, never in a URL."
[ -f "$VAR/keys/dash-xl.key" ] || "$CTL" keys make --dir "$VAR/keys" dash-xl >/dev/null
"$CTL" keys register --id actor:130822:dashboard --kind actor --level county --region 130822 \
    --name "兴隆县防返贫监测大屏" --key "$VAR/keys/dash-xl.key" >/dev/null
DASH_TOKEN=$("$CTL" token add --principal actor:130822:dashboard --label "演示：县指挥部大屏" --days 30)
printf '  its summary (GET /dash/api/summary with the token): %s\n' \
  "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $DASH_TOKEN" "$FANGPIN_REPORTING_HTTP_URL/dash/api/summary")"
cat <<TXT

  Dashboard:  $FANGPIN_REPORTING_HTTP_URL/dash/
  Token:      $DASH_TOKEN
              (paste it into the page's login form; 退出 / Log out forgets it)
TXT

# --- the department desk (issue 17; docs/desk.md) -----------------------------------------------
say "The department desk (行业部门报送台): a department uploads its month's file in a browser"
DESK_TOKEN=$("$CTL" token add --principal dept:130822:yibao --label "演示：医保局报送台" --days 30 2>/dev/null)
DESK_STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $DESK_TOKEN" \
  "$FANGPIN_INTAKE_HTTP_URL/desk/api/deadline")
cat <<TXT
医疗保障局's clerk opens the desk on intake's HTTP port, pastes the department's token into its
login form once (the browser keeps it, never in a URL), uploads the month's CSV or XLSX and sees
every line's result and reason, downloads the results file, and follows the earlier leads.
Uploading the same file again changes nothing. (api/deadline with this token: $DESK_STATUS)

  desk:  $FANGPIN_INTAKE_HTTP_URL/desk/
  token: $DESK_TOKEN   (医保局, 30 days; fangpinctl token list / revoke)
TXT
