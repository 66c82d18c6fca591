"""`make demo-federation` (tools/scripts/demo-federation.sh sets the environment): two counties of
承德市 and their prefecture on this machine, federated by logical replication (docs/federation.md).
Uses the integration tests' harness (tests/integration/fp.py: private clusters on leased ports,
keys made by fangpinctl, real service binaries) and test_federation.py's division codes."""
import csv
import os
import shutil
import subprocess
import tempfile

import fp
from test_federation import LEDGER_HEADER, PERIOD, PREFECTURE, TODAY, check_digit, new_data_key, region_files
from fangpin.v1 import reporting_pb2

COUNTIES = {"130822": ("兴隆县", "130822112", 5), "130824": ("滦平县", "130824100", 3)}  # town, own leads
NAMES = "王芳 刘洋 陈静 杨勇 赵敏".split()
MOVED = check_digit("130822" + "19750505" + "123")  # a person pushed as a lead in both counties
FIELDS = ["received", "verified", "included", "not_included", "pending", "unmatched", "overdue"]
PASSWORD = "demo-replication-" + os.urandom(8).hex()


def say(text):
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def run(args, env, show=True):
    """fangpinctl with env (FANGPIN_PG and the rest); its output printed, and returned."""
    p = subprocess.run([os.path.join(fp.BUILD, "fangpinctl")] + args, env=dict(os.environ, **env),
                       capture_output=True, text=True, timeout=120)
    if show:
        print(p.stdout, end="", flush=True)
    if p.returncode not in (0, 1):
        raise SystemExit(f"fangpinctl {' '.join(args)} exited {p.returncode}\n{p.stderr}")
    return p.stdout


def lead_file(folder, code):
    """医保's October file of the county: a few people of its own and the one who moved."""
    _, town, n = COUNTIES[code]
    path = os.path.join(folder, f"yibao-{code}-{PERIOD}.csv")
    rows = [(NAMES[i], check_digit(f"{code}19800101{i:03d}"), f"{town}{201 + i % 3}") for i in range(n)]
    rows.append(("李迁", MOVED, f"{town}201"))
    with open(path, "w", encoding="utf-8") as f:
        f.write("姓名,身份证号,村代码,线索类型,发生日期,金额(元),情况说明\n")
        for name, idn, village in rows:
            f.write(f"{name},{idn},{village},yibao.high_cost,2026-10-15,23000.00,住院自付（演示）\n")
    return path


class County:
    def __init__(self, code, files):
        self.code, self.name = code, COUNTIES[code][0]
        self.cluster = fp.PrivateCluster(f"county-{code}", opts="-c wal_level=logical")
        self.ci = self.cluster.conninfo(f"c{code}")
        fp.sql(self.cluster.conninfo(), f'CREATE DATABASE "c{code}" OWNER fangpin_owner')
        fp.ctl(["migrate"], fp.role_conninfo(self.ci, "fangpin_owner"))
        fp.ctl(["regions", "import"] + files, self.ci)
        self.keys = fp.Keys(self.ci, fp.SERVICES + ("admin", "dept-yibao"))
        self.keys.register("admin", f"admin:{code}-it", region=code)
        self.keys.register("dept-yibao", f"dept:{code}:yibao", kind="department", level="county", region=code,
                           dept="yibao")
        env = {"FANGPIN_TODAY": TODAY, "FANGPIN_REPORTING_DEADLINES_FROM": PERIOD}  # as make demo
        self.intake = fp.Service("intake", self.ci, self.keys, env=env)
        self.reporting = fp.Service("reporting", self.ci, self.keys, env=env)
        self.ledger(os.path.dirname(files[0]))
        self.env = {"FANGPIN_PG": self.ci, "FANGPIN_KEYS_DIR": self.keys.dir,
                    "FANGPIN_INTAKE_CONNECT": self.intake.endpoint,
                    "FANGPIN_REPORTING_CONNECT": self.reporting.endpoint,
                    "FANGPIN_CLIENT_CERT": self.keys.path("admin", secret=True)}


    def ledger(self, folder):
        """The county's ledger (fangpinctl ledger import): one household, whose head is the person
        who moved (in both counties' ledgers)."""
        town = COUNTIES[self.code][1]
        line = [f"{town}20100001", f"{town}201", "一般户", "", "李迁", "李迁", MOVED, "户主", "", "", "普通劳动力",
                "健康", "非在校生", "是", "80000"] + ["0"] * 11 + ["是", "是", "是", "2026Q3"]
        path = os.path.join(folder, f"{self.code}-2026Q3.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write(LEDGER_HEADER + "\n" + ",".join(line) + "\n")
        fp.ctl(["ledger", "import", path], self.ci)


def totals(svc, key, region):
    r = fp.op_call(svc, key, reporting_pb2.ReportingRequest, reporting_pb2.ReportingReply,
                   get_report=dict(report="lead_verification_monthly", region_prefix=region, period=PERIOD))
    row = next(row for row in r.report.rows if row.kind == "total")
    return [getattr(row, f) for f in FIELDS]


def caught_up(counties, pci):
    for c in counties:
        want = fp.sql(c.ci, "SELECT (SELECT count(*) FROM event_positions), count(*) FROM events")[0]
        got = fp.sql(pci, f"SELECT count(*) FROM events WHERE county_code = '{c.code}' AND county_position"
                          " IS NOT NULL")[0][0]
        leads = fp.sql(c.ci, "SELECT count(*) FROM leads")
        pleads = fp.sql(pci, f"SELECT count(*) FROM leads WHERE county_code = '{c.code}'")
        if want[0] != want[1] or got != want[0] or leads != pleads:
            return False
    copying = fp.sql(pci, "SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'")[0][0]
    return copying == "0" and fp.sql(pci, "SELECT count(*) FROM events_pending")[0][0] == "0"


def main():
    folder = tempfile.mkdtemp(prefix="files-", dir=fp.VAR)
    files = region_files(folder)
    pwfile = os.path.join(folder, "replication.password")
    with open(pwfile, "w") as f:
        f.write(PASSWORD + "\n")
    downfile = os.path.join(folder, "down.password")
    with open(downfile, "w") as f:
        f.write("demo-down-" + os.urandom(8).hex() + "\n")
    say("Two county clusters (wal_level=logical) and the prefecture's, each its own PostgreSQL")
    counties = [County(code, files) for code in COUNTIES]
    pcluster = fp.PrivateCluster("prefecture-1308", opts="-c wal_level=logical -c wal_retrieve_retry_interval=200ms")
    pci = pcluster.conninfo("p1308")
    fp.sql(pcluster.conninfo(), 'CREATE DATABASE "p1308" OWNER fangpin_owner')
    fp.ctl(["migrate"], fp.role_conninfo(pci, "fangpin_owner"))
    fp.ctl(["regions", "import"] + files, pci)
    pkeys = fp.Keys(pci, fp.SERVICES + ("admin", "pref"))
    pkeys.register("pref", "actor:1308:zhou", kind="actor", level="prefecture", region=PREFECTURE,
                   display="承德市乡村振兴局")
    for c in counties:
        print(f"  {c.code} {c.name}: PostgreSQL on 127.0.0.1:{c.cluster.port}, intake {c.intake.endpoint},"
              f" reporting {c.reporting.endpoint}")
    print(f"  {PREFECTURE} 承德市: PostgreSQL on 127.0.0.1:{pcluster.port}")

    say("County IT publishes; the prefecture subscribes and publishes down what it will find of each county;"
        " each county subscribes to that (federation publish / add-county / subscribe-upper)")
    for c in counties:
        print(f"$ fangpinctl federation publish --password-file …   # at {c.code}")
        run(["federation", "publish", "--password-file", pwfile], c.env)
        print(f"$ fangpinctl federation add-county --upper {PREFECTURE} --county {c.code} --conninfo 'host=127.0.0.1"
              f" port={c.cluster.port} dbname=c{c.code}' --password-file … --down-password-file …   # at {PREFECTURE}")
        run(["federation", "add-county", "--upper", PREFECTURE, "--county", c.code, "--conninfo",
             f"host=127.0.0.1 port={c.cluster.port} dbname=c{c.code}", "--password-file", pwfile,
             "--down-password-file", downfile], {"FANGPIN_PG": pci})
        print(f"$ fangpinctl federation subscribe-upper --upper {PREFECTURE} --county {c.code} --conninfo"
              f" 'host=127.0.0.1 port={pcluster.port} dbname=p1308' --password-file …   # at {c.code}")
        run(["federation", "subscribe-upper", "--upper", PREFECTURE, "--county", c.code, "--conninfo",
             f"host=127.0.0.1 port={pcluster.port} dbname=p1308", "--password-file", downfile], c.env)

    say(f"Each county's 医保局 pushes its {PERIOD} leads to its own intake (fangpinctl push)")
    for c in counties:
        path = lead_file(folder, c.code)
        print(f"$ fangpinctl push --dept yibao --period {PERIOD} {os.path.basename(path)}   # at {c.code}")
        run(["push", "--dept", "yibao", "--period", PERIOD, path], c.env, show=False)
        with open(path[:-4] + ".results.csv", encoding="utf-8-sig") as f:
            print("  " + "  ".join(f"{r['姓名']} {r['结果']} #{r['线索编号']}" for r in csv.DictReader(f)))

    preporting = fp.Service("reporting", pci, pkeys, env={"FANGPIN_TODAY": TODAY,
                                                           "FANGPIN_REPORTING_DEADLINES_FROM": PERIOD})
    fp.wait_for(lambda: caught_up(counties, pci), 90, what="the counties' rows and events at the prefecture")
    run(["federation", "status"], {"FANGPIN_PG": pci})

    say(f"The same report (lead_verification_monthly {PERIOD}): each county's, then the prefecture's")
    for c in counties:
        print(f"-- {c.code} {c.name}, its own reporting service")
        run(["report", "get", "lead_verification_monthly", "--region", c.code, "--period", PERIOD], c.env)
    penv = {"FANGPIN_PG": pci, "FANGPIN_KEYS_DIR": pkeys.dir, "FANGPIN_REPORTING_CONNECT": preporting.endpoint,
            "FANGPIN_REPORTING_PUB_CONNECT": preporting.pub, "FANGPIN_CLIENT_CERT": pkeys.path("pref", secret=True)}
    print(f"-- {PREFECTURE} 承德市, the prefecture's reporting service (a prefecture key)")
    run(["report", "get", "lead_verification_monthly", "--region", PREFECTURE, "--period", PERIOD], penv)
    rows = [(c.code, totals(c.reporting, "admin", c.code)) for c in counties]
    rows.append(("sum", [sum(v) for v in zip(*(r for _, r in rows))]))
    rows.append((PREFECTURE, totals(preporting, "pref", PREFECTURE)))
    print("\nTotals side by side:")
    print(f"  {'':8}" + "".join(f"{f:>14}" for f in FIELDS))
    for name, vals in rows:
        print(f"  {name:8}" + "".join(f"{v:>14}" for v in vals))
    print("  the prefecture's total " + ("EQUALS" if rows[-1][1] == rows[-2][1] else "DIFFERS FROM") +
          " the sum of its counties'")

    say("The prefecture's event stream: its own gap-free positions, each event's county and county_position")
    n = int(fp.sql(pci, "SELECT count(*) FROM events")[0][0])
    print(f"$ fangpinctl tail --region {PREFECTURE} --from 0 --count {n}   # replay through the prefecture's"
          " reporting service")
    run(["tail", "--region", PREFECTURE, "--from", "0", "--count", str(n), "--timeout-ms", "10000"], penv)

    say("A person in both counties (fangpinctl federation persons, with each county's data key)")
    keys = tempfile.mkdtemp(prefix="countykeys-", dir=fp.VAR)
    for c in counties:  # county IT hands its data key over (here the counties share the demo's one)
        shutil.copy(os.path.join(c.keys.dir, "data.key"), os.path.join(keys, f"{c.code}.data.key"))
    run(["federation", "persons", "--keys", keys],
        {"FANGPIN_PG": pci, "FANGPIN_DATA_KEY": new_data_key(folder, "prefecture")})
    print("(the ID number is never printed: masked here, sealed with the prefecture's own key in"
          " federation_persons; the event federation.person_in_counties goes to each county)")

    say("The finding goes back down to both counties (replication), and each county's run opens Q008")
    for c in counties:
        fp.wait_for(lambda: fp.sql(c.ci, "SELECT count(*) FROM federation_found")[0][0] != "0", 60,
                    what=f"the prefecture's finding at {c.code}")
        print(f"$ fangpinctl quality run --county {c.code} && fangpinctl quality list --rule Q008   # at {c.code}")
        run(["quality", "run", "--county", c.code], dict(c.env, FANGPIN_TODAY=TODAY), show=False)
        run(["quality", "list", "--rule", "Q008"], c.env)

    say("Stopping everything the demo started")
    for s in [preporting] + [s for c in counties for s in (c.reporting, c.intake)]:
        s.stop()
    for cl in [pcluster] + [c.cluster for c in counties]:
        cl.stop()
    print(f"done: services and the three PostgreSQL clusters stopped; their files are in {fp.VAR}")


if __name__ == "__main__":
    main()
