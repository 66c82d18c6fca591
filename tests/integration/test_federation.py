"""Federation (issue 16, docs/federation.md): three county clusters (wal_level=logical) and one
prefecture cluster, each its own PostgreSQL on a leased port. Each county runs its own intake
and reporting; county IT publishes (`fangpinctl federation publish`), the prefecture subscribes
(`federation add-county`). Leads are pushed to every county, one county's PostgreSQL is stopped
and started again in the middle of the load, lead statuses change on the counties (UPDATEs keyed
by county code at the prefecture). Then: the prefecture's report equals the sum of the
counties' reports; its event stream (Replay on the prefecture's own reporting service) carries
every county event exactly once, in one gap-free order of its own, each with its county's
position; `federation status` names every county; the schema keeps the county code in the key
of every published table; a person named in two counties (one of which seals ID numbers with a
data key of its own) is found by `federation persons`, and goes back down to both counties by
replication (the prefecture's publication fangpin_down_<county>, each county's subscription) as the
data-quality finding Q008 of each (opened by the county's run, closed by the run after the
prefecture no longer finds the person); `remove-county` drops one. A province database (in the
prefecture's cluster: its own database, its own slots at the counties) subscribes to the same
counties directly: its reports are the same sum, its own event stream carries every county event
once, a province key reads the whole province and a key of another prefecture is refused."""
import concurrent.futures
import json
import os
import shutil
import tempfile
import unittest

import fp
from fangpin.v1 import common_pb2, intake_pb2, reporting_pb2

Code = common_pb2.Code
PREFECTURE = "1308"
PROVINCE = "13"
COUNTIES = {"130822": ("兴隆县", "130822112", "三道河镇"), "130824": ("滦平县", "130824100", "滦平镇"),
            "130825": ("隆化县", "130825100", "隆化镇")}
PERIOD = "2026-10"
TODAY = "2026-11-24"  # before the 2026-10 deadline: reports computed live
STATUSES = ["pending", "verifying", "identified", "not_included", "unmatched"]
PASSWORD = "fed-replication-password-0123"
OWN_KEY_COUNTY = "130825"  # seals with a data key of its own; the others share the run's
MOVED = "130822" + "19750505" + "123"  # a person pushed as a lead in 130822 and in 130825


def check_digit(body):
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w)) % 11]


def id_number(county, seq):
    return check_digit(f"{county}19800101{seq:03d}")


def new_data_key(folder, name):
    """A data key of its own, made by the real `fangpinctl keys make` (which writes one into a
    folder that has none)."""
    d = tempfile.mkdtemp(prefix=f"fpkey-{name}-", dir=fp.VAR)
    fp.ctl(["keys", "make", "--dir", d, "unused"], "")
    path = os.path.join(folder, f"{name}.data.key")
    shutil.copy(os.path.join(d, "data.key"), path)
    return path


def region_files(folder):
    """Division-code files for the three counties of 承德市 (1308): one township of each, three
    villages each (the ones the leads name)."""
    def write(name, header, rows):
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            f.write(header + "\n" + "".join(",".join(r) + "\n" for r in rows))
    write("provinces.csv", "code,name", [("13", '"河北省"')])
    write("cities.csv", "code,name,provinceCode", [("1308", '"承德市"', "13"), ("1307", '"张家口市"', "13")])
    write("areas.csv", "code,name,cityCode,provinceCode",
          [(c, f'"{n}"', "1308", "13") for c, (n, _, _) in COUNTIES.items()])
    write("streets.csv", "code,name,areaCode,provinceCode,cityCode",
          [(t, f'"{tn}"', c, "13", "1308") for c, (_, t, tn) in COUNTIES.items()])
    write("villages.csv", "code,name,streetCode,provinceCode,cityCode,areaCode",
          [(f"{t}{v:03d}", f'"第{v}村村民委员会"', t, "13", "1308", c)
           for c, (_, t, _) in COUNTIES.items() for v in (201, 202, 203)])
    return [os.path.join(folder, f) for f in ("provinces.csv", "cities.csv", "areas.csv", "streets.csv",
                                              "villages.csv")]


LEDGER_HEADER = ("户编号,村代码,户类型,监测类型,户主姓名,姓名,身份证号,与户主关系,性别,出生日期,劳动能力,健康状况,在校情况,"
                 "是否参保,工资性收入(元),公益性岗位收入(元),生产经营性收入(元),财产性收入(元),养老金(元),计划生育金(元),"
                 "生态补偿金(元),低保金(元),特困供养金(元),其他转移性收入(元),生产经营费用支出(元),医疗自付(元),饮水安全,"
                 "住房安全,基本医疗保障,调查期")


def call(svc, key, **op):
    return fp.op_call(svc, key, reporting_pb2.ReportingRequest, reporting_pb2.ReportingReply, **op)


class County:
    def __init__(self, code, files):
        self.code = code
        self.cluster = fp.PrivateCluster(f"fed-{code}", opts="-c wal_level=logical")
        self.admin_ci = self.cluster.conninfo()
        self.ci = self.cluster.conninfo(f"c{code}")
        fp.sql(self.admin_ci, f'CREATE DATABASE "c{code}" OWNER fangpin_owner')
        self.data_key = new_data_key(os.path.dirname(files[0]), code) if code == OWN_KEY_COUNTY else fp.data_key()
        fp.ctl(["migrate"], fp.role_conninfo(self.ci, "fangpin_owner"), env={"FANGPIN_DATA_KEY": self.data_key})
        fp.ctl(["regions", "import"] + files, self.ci)
        self.keys = fp.Keys(self.ci, fp.SERVICES + ("admin", "yibao"))
        shutil.copy(self.data_key, os.path.join(self.keys.dir, "data.key"))  # what its services seal with
        self.keys.register("admin", f"admin:{code}-it", region=code)
        self.keys.register("yibao", f"dept:{code}:yibao", kind="department", level="county", region=code, dept="yibao")
        self.batches = 0
        self.import_ledger(os.path.dirname(files[0]))

    def import_ledger(self, folder):
        """Its ledger (the real `fangpinctl ledger import`): one household, whose head is MOVED in
        130822 and 130825 (a person in two counties' ledgers), a person of its own in 130824."""
        town = COUNTIES[self.code][1]
        idn = check_digit(MOVED) if self.code in ("130822", OWN_KEY_COUNTY) else id_number(self.code, 999)
        line = [f"{town}20100001", f"{town}201", "一般户", "", "王五", "王五", idn, "户主", "", "", "普通劳动力", "健康",
                "非在校生", "是", "80000", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "是", "是", "是",
                "2026Q3"]
        path = os.path.join(folder, f"{self.code}-2026Q3.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write(LEDGER_HEADER + "\n" + ",".join(line) + "\n")
        fp.ctl(["ledger", "import", path], self.ci, env={"FANGPIN_DATA_KEY": self.data_key})

    def start(self):
        env = {"FANGPIN_TODAY": TODAY}
        self.intake = fp.Service("intake", self.ci, self.keys, env=env)
        self.reporting = fp.Service("reporting", self.ci, self.keys, env=env)

    def push(self, n, ids=None):
        """One batch of n leads from 医保 (of the ID numbers ids, when given), in this county's
        three villages; retried (the same batch id) until intake answers OK, so a database that
        was down is waited for."""
        self.batches += 1
        town = COUNTIES[self.code][1]
        req = intake_pb2.IntakeRequest(request_id=f"r{self.batches}")
        req.submit_leads.batch_id = f"b{self.batches}"
        req.submit_leads.period = PERIOD
        for i in range(n):
            seq = self.batches * 50 + i
            req.submit_leads.leads.add(id_number=ids[i] if ids else id_number(self.code, seq), name="张三",
                                       village_code=f"{town}{201 + seq % 3}", kind="yibao.high_cost",
                                       occurred_on="2026-10-15", detail="测试", line_ref=str(i), amount_fen=100000,
                                       has_amount=True)

        def sent():
            c = self.intake.client("yibao")
            try:
                r = c.call(req, intake_pb2.IntakeReply, 10000)
            finally:
                c.close()
            return r is not None and r.status.code == Code.OK
        fp.wait_for(sent, 60, what=f"county {self.code} accepting batch {self.batches}")

    def numbered_events(self):
        return {(self.code, int(p)) for p, in fp.sql(self.ci, "SELECT position FROM event_positions")}


class Federation(unittest.TestCase):
    WITH_PROVINCE = True  # bench/federation measures the prefecture alone

    @classmethod
    def setUpClass(cls):
        folder = tempfile.mkdtemp(prefix="fed-", dir=fp.VAR)
        files = region_files(folder)
        cls.pwfile = os.path.join(folder, "replication.password")
        with open(cls.pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        cls.downfile = os.path.join(folder, "down.password")
        with open(cls.downfile, "w") as f:
            f.write("fed-down-password-0123456\n")
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            pref = ex.submit(cls.prefecture_db, files)
            counties = [ex.submit(County, code, files) for code in COUNTIES]
            cls.counties = {f.result().code: f.result() for f in counties}
            pref.result()
        for c in cls.counties.values():
            c.start()
            fp.ctl(["federation", "publish", "--password-file", cls.pwfile], c.ci)
            county_ci = f"host=127.0.0.1 port={c.cluster.port} dbname=c{c.code}"
            # the prefecture subscribes and publishes down what it finds of the county; the
            # county subscribes to that; the province subscribes to the county directly
            fp.ctl(["federation", "add-county", "--upper", PREFECTURE, "--county", c.code, "--conninfo", county_ci,
                    "--password-file", cls.pwfile, "--down-password-file", cls.downfile], cls.pci)
            fp.ctl(["federation", "subscribe-upper", "--upper", PREFECTURE, "--county", c.code, "--conninfo",
                    f"host=127.0.0.1 port={cls.pcluster.port} dbname=p1308", "--password-file", cls.downfile], c.ci)
            if cls.WITH_PROVINCE:
                fp.ctl(["federation", "add-county", "--upper", PROVINCE, "--county", c.code, "--conninfo", county_ci,
                        "--password-file", cls.pwfile], cls.vci)
        cls.load()
        cls.preporting = fp.Service("reporting", cls.pci, cls.pkeys, env={"FANGPIN_TODAY": TODAY})
        if cls.WITH_PROVINCE:
            cls.vreporting = fp.Service("reporting", cls.vci, cls.vkeys, env={"FANGPIN_TODAY": TODAY})
        cls.folder = folder

    @classmethod
    def prefecture_db(cls, files):
        # several counties' apply and table-copy workers at once; a county that went away is
        # retried within a fraction of a second rather than the default 5 s
        # (wal_level=logical: it publishes down to its counties; the province's database lives in
        # the same cluster, with its own subscriptions)
        cls.pcluster = fp.PrivateCluster("fed-1308", opts="-c max_logical_replication_workers=16"
                                                          " -c max_worker_processes=24 -c wal_level=logical"
                                                          " -c wal_retrieve_retry_interval=200ms")
        cls.pci = cls.pcluster.conninfo("p1308")
        fp.sql(cls.pcluster.conninfo(), 'CREATE DATABASE "p1308" OWNER fangpin_owner')
        fp.ctl(["migrate"], fp.role_conninfo(cls.pci, "fangpin_owner"))
        fp.ctl(["regions", "import"] + files, cls.pci)
        cls.pkeys = fp.Keys(cls.pci, fp.SERVICES + ("admin", "pref"))
        cls.pkeys.register("pref", "actor:1308:zhou", kind="actor", level="prefecture", region=PREFECTURE)
        if cls.WITH_PROVINCE:
            cls.province_db(files)

    @classmethod
    def province_db(cls, files):
        cls.vci = cls.pcluster.conninfo("p13")
        fp.sql(cls.pcluster.conninfo(), 'CREATE DATABASE "p13" OWNER fangpin_owner')
        fp.ctl(["migrate"], fp.role_conninfo(cls.vci, "fangpin_owner"))
        fp.ctl(["regions", "import"] + files, cls.vci)
        cls.vkeys = fp.Keys(cls.vci, fp.SERVICES + ("admin", "prov", "other"))
        cls.vkeys.register("prov", "actor:13:li", kind="actor", level="province", region=PROVINCE)
        cls.vkeys.register("other", "actor:1307:wu", kind="actor", level="prefecture", region="1307")

    @classmethod
    def load(cls):
        a, b, c = (cls.counties[k] for k in sorted(cls.counties))
        for county in (a, b, c):
            county.push(7)
        b.cluster.stop()  # a county offline in the middle of the load
        a.push(6)
        c.push(5)
        b.cluster.start()
        for county in (b, a, b, c):
            county.push(4)
        for county in (a, c):
            county.push(1, [check_digit(MOVED)])
        arr = "ARRAY[" + ",".join(f"'{s}'" for s in STATUSES) + "]"
        for county in (a, b, c):  # verification moves leads on: UPDATEs reach the prefecture too
            fp.sql(county.ci, f"UPDATE leads SET status = ({arr})[id % {len(STATUSES)} + 1]")

    def wait_caught_up(self):
        """Every county's numbered events and lead statuses are at the prefecture and the province
        (one query per database each time it looks)."""
        q = "SELECT c, (SELECT count(*) FROM events e WHERE e.county_code = c AND e.county_position IS NOT NULL)," \
            " (SELECT string_agg(l.id || l.status, ',' ORDER BY l.id) FROM leads l WHERE l.county_code = c)" \
            " FROM unnest(ARRAY[%s]) c ORDER BY 1"
        codes = ",".join(f"'{c}'" for c in sorted(self.counties))

        last = {}

        def caught_up():
            want = []
            for c in sorted(self.counties):
                n, numbered, leads = fp.sql(self.counties[c].ci, "SELECT count(*), (SELECT count(*) FROM event_positions), (SELECT"
                                            " string_agg(id || status, ',' ORDER BY id) FROM leads) FROM events")[0]
                last[c] = (n, numbered, len(leads))
                if n != numbered:
                    return False
                want.append((c, numbered, leads))
            for upper in self.uppers():
                got = fp.sql(upper, q % codes)
                last[upper] = [(c, n, len(leads)) for c, n, leads in got]
                if got != want:
                    return False
            return True
        try:
            fp.wait_for(caught_up, 90, what="every county's events and leads at the prefecture and the province")
        except AssertionError as e:  # what each database had last (events, numbered, leads' length)
            raise AssertionError(f"{last}\n{e}") from None

    def uppers(self):
        return (self.pci, self.vci) if self.WITH_PROVINCE else (self.pci,)

    def test_1_reports_are_the_sum(self):
        self.wait_caught_up()
        self.assert_sum(self.preporting, "pref", PREFECTURE)

    def test_1b_province_reports_are_the_sum(self):
        """The province, subscribed to the counties directly, counts the same sum; its key reads the
        whole province, a prefecture key of another prefecture is refused."""
        self.wait_caught_up()
        self.assert_sum(self.vreporting, "prov", PROVINCE)
        for op in (dict(get_report=dict(report="lead_verification_monthly", region_prefix=PROVINCE, period=PERIOD)),
                   dict(replay=dict(region_prefix=PROVINCE, after_position=0, limit=10)),
                   dict(get_report=dict(report="lead_verification_monthly", region_prefix=PREFECTURE, period=PERIOD))):
            r = call(self.vreporting, "other", **op)
            self.assertNotEqual(r.status.code, Code.OK, op)
            self.assertEqual(r.status.reason, "read.region", r.status)

    def assert_sum(self, svc, key, prefix):
        fields = ["received", "verified", "included", "not_included", "pending", "unmatched", "overdue"]
        total = dict.fromkeys(fields, 0)
        towns, depts = {}, {}
        for c in self.counties.values():
            r = call(c.reporting, "admin", get_report=dict(report="lead_verification_monthly", region_prefix=c.code,
                                                           period=PERIOD))
            self.assertEqual(r.status.code, Code.OK, r.status)
            for row in r.report.rows:
                nums = {f: getattr(row, f) for f in fields}
                if row.kind == "total":
                    total = {f: total[f] + nums[f] for f in fields}
                elif row.kind == "township":
                    towns[row.code] = nums
                elif row.kind == "department":  # by its code ('' the other sources), over the counties
                    d = depts.setdefault(row.code, dict.fromkeys(fields, 0))
                    depts[row.code] = {f: d[f] + nums[f] for f in fields}
        self.assertGreater(total["received"], 0)
        self.assertGreater(total["included"], 0)
        r = call(svc, key, get_report=dict(report="lead_verification_monthly", region_prefix=prefix, period=PERIOD))
        self.assertEqual(r.status.code, Code.OK, r.status)
        ptotal = [row for row in r.report.rows if row.kind == "total"]
        self.assertEqual(len(ptotal), 1)
        self.assertEqual({f: getattr(ptotal[0], f) for f in fields}, total)
        ptowns = {row.code: {f: getattr(row, f) for f in fields} for row in r.report.rows if row.kind == "township"}
        self.assertEqual(ptowns, towns)
        # each county's departments are its own (published with their county code): the
        # prefecture's department rows add up to the counties', none filed under 其他来源
        pdepts = {}
        for row in r.report.rows:
            if row.kind == "department":
                d = pdepts.setdefault(row.code, dict.fromkeys(fields, 0))
                pdepts[row.code] = {f: d[f] + getattr(row, f) for f in fields}
        self.assertEqual(pdepts, depts)
        self.assertNotIn("", depts)  # every lead in the test comes from a department

    def test_2_one_stream_every_event_once(self):
        self.wait_caught_up()
        self.assert_stream(self.preporting, "pref", PREFECTURE, self.pci)

    def test_2b_province_stream_every_event_once(self):
        self.wait_caught_up()
        self.assert_stream(self.vreporting, "prov", PROVINCE, self.vci)

    def assert_stream(self, svc, key, prefix, ci):
        want = set().union(*(c.numbered_events() for c in self.counties.values()))
        seen, after, head = [], 0, None
        fp.wait_for(lambda: int(fp.sql(ci, "SELECT count(*) FROM events_pending")[0][0]) == 0,
                    60, what="the upper level's relay numbering every event")
        while True:
            r = call(svc, key, replay=dict(region_prefix=prefix, after_position=after, limit=1000))
            self.assertEqual(r.status.code, Code.OK, r.status)
            seen += [(e.position, e.county, e.payload_json) for e in r.events.events]
            after, head = r.events.next_after, r.events.head_position
            if len(r.events.events) < 1000:
                break
        self.assertEqual([p for p, _, _ in seen], list(range(1, len(seen) + 1)))  # gap-free, its own order
        got = [(county, json.loads(payload)["county_position"]) for _, county, payload in seen]
        self.assertEqual(len(got), len(set(got)), "an event twice")
        self.assertEqual(set(got), want)
        self.assertEqual(head, len(seen))
        for code in self.counties:  # each county's events in its own order within the one stream
            mine = [p for county, p in got if county == code]
            self.assertEqual(mine, sorted(mine))

    def test_3_status_and_keys(self):
        self.wait_caught_up()
        for upper in self.uppers():  # each its own subscriptions, though they share a cluster
            out = fp.ctl(["federation", "status"], upper).stdout
            lines = sorted(line.split()[:3] for line in out.splitlines()[1:])
            self.assertEqual(lines, [[code, "true", "0"] for code in sorted(self.counties)], out)
        # add-county again keeps the subscription (how a prefecture set up before --upper adds it
        # and the down direction); the level's region, once recorded, is not another
        c = self.counties["130822"]
        args = ["federation", "add-county", "--county", c.code, "--conninfo",
                f"host=127.0.0.1 port={c.cluster.port} dbname=c{c.code}", "--password-file", self.pwfile,
                "--down-password-file", self.downfile]
        out = fp.ctl(args + ["--upper", PREFECTURE], self.pci).stdout
        self.assertIn(f"county {c.code} already subscribed", out)
        p = fp.ctl(args + ["--upper", PROVINCE], self.pci, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn(f"the upper level of region {PREFECTURE}, not {PROVINCE}", p.stderr)
        # every published table is keyed by county code at the prefecture (Citus' distribution
        # rule), and at each county its replica identity leads with it
        bad = fp.sql(self.pci, """
            SELECT t.tablename, i.indexrelid::regclass FROM pg_publication_tables t
              JOIN pg_index i ON i.indrelid = (t.schemaname || '.' || t.tablename)::regclass
             WHERE t.pubname = 'fangpin_county' AND t.tablename NOT IN ('events', 'event_positions') AND i.indisunique
               AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = i.indrelid
                                  AND a.attname = 'county_code' AND a.attnum = ANY (i.indkey))""")
        self.assertEqual(bad, [])
        c = next(iter(self.counties.values()))
        ident = fp.sql(c.ci, """
            SELECT t.tablename, c.relreplident,
                   (SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid
                     AND a.attnum = i.indkey[0]
                     WHERE i.indrelid = c.oid AND (i.indisreplident OR (c.relreplident = 'd' AND i.indisprimary)))
              FROM pg_publication_tables t JOIN pg_class c ON c.oid = (t.schemaname || '.' || t.tablename)::regclass
             WHERE t.pubname = 'fangpin_county'""")
        self.assertGreater(len(ident), 15)
        for table, kind, first in ident:
            # events and their positions (051) are the database's own order: inserted, never updated
            self.assertTrue(first == "county_code" or (table == "events" and kind == "f")
                            or (table == "event_positions" and first == "position"), (table, kind, first))

    def test_3b_upgrade_while_replicating(self):
        """A county upgraded before its prefecture: the new column's changes wait at the county
        (the prefecture's apply cannot take them) and arrive, none lost, once the prefecture has
        the column too. (docs/federation.md says to upgrade the prefecture first.)"""
        self.wait_caught_up()
        a = self.counties["130822"]
        fp.sql(a.ci, "ALTER TABLE leads ADD COLUMN upgrade_probe integer")
        fp.sql(a.ci, "UPDATE leads SET upgrade_probe = id * 7")
        a.push(2)  # the county keeps working meanwhile
        for upper in (self.pci, self.vci):
            fp.sql(upper, "ALTER TABLE leads ADD COLUMN upgrade_probe integer")
        probe = "SELECT string_agg(id || ':' || coalesce(upgrade_probe, -1), ',' ORDER BY id) FROM leads" \
                " WHERE county_code = '130822'"
        fp.wait_for(lambda: fp.sql(self.pci, probe) == fp.sql(a.ci, probe), 60,
                    what="the upgraded county's rows at the prefecture")
        self.wait_caught_up()
        # an upgrade that publishes another table: the prefecture first, then the counties, then
        # `federation refresh` at the prefecture copies the county's rows and follows its changes
        new = "CREATE TABLE upgrade_table (county_code varchar(6), n integer, PRIMARY KEY (county_code, n))"
        fp.sql(self.pci, new)
        fp.sql(self.vci, new)
        fp.sql(a.ci, new + "; INSERT INTO upgrade_table SELECT '130822', g FROM generate_series(1, 5) g;"
                           " ALTER PUBLICATION fangpin_county ADD TABLE upgrade_table")
        fp.ctl(["federation", "publish", "--password-file", self.pwfile], a.ci)  # lets the role read it
        for upper in (self.pci, self.vci):
            out = fp.ctl(["federation", "refresh"], upper).stdout
            self.assertIn(f"{len(self.counties)} subscription(s) refreshed", out)
        fp.sql(a.ci, "INSERT INTO upgrade_table VALUES ('130822', 6)")
        fp.wait_for(lambda: fp.sql(self.pci, "SELECT count(*) FROM upgrade_table") == [("6",)], 60,
                    what="the newly published table at the prefecture")

    def test_4_person_in_two_counties(self):
        self.wait_caught_up()
        a = self.counties["130822"]
        # the two counties' matching values of the one person differ: their keys differ
        masked = fp.sql(a.ci, f"SELECT id_masked FROM leads WHERE id_hmac = '{fp.id_hmac(check_digit(MOVED))}'")[0][0]
        hm = fp.sql(self.pci, f"SELECT DISTINCT county_code, id_hmac FROM leads WHERE id_masked = '{masked}'")
        self.assertEqual(len({h for _, h in hm}), 2, hm)
        keys = tempfile.mkdtemp(prefix="fedkeys-", dir=self.folder)
        for county in self.counties.values():
            shutil.copy(county.data_key, os.path.join(keys, f"{county.code}.data.key"))
        env = {"FANGPIN_DATA_KEY": new_data_key(self.folder, "prefecture")}
        type(self).persons_args = (["federation", "persons", "--keys", keys], env)
        out = fp.ctl(["federation", "persons", "--keys", keys], self.pci, env=env).stdout
        rows = [line.split() for line in out.splitlines()[1:] if "place(s)" not in line]
        refs = {r[4] for r in rows}
        # a lead and the ledger's household in each county, each place once
        self.assertEqual([(r[0], r[1], r[2], r[3]) for r in rows],
                         [("1", masked, c, w) for c in ("130822", OWN_KEY_COUNTY) for w in ("lead", "ledger")], out)
        self.assertEqual(len(refs), 4)
        self.assertIn("4 place(s) published to their counties", out)
        self.assertNotIn(check_digit(MOVED), out)
        self.assertEqual(fp.sql(self.pci, "SELECT county_code, source FROM federation_persons ORDER BY 1, 2"),
                         [(c, w) for c in ("130822", OWN_KEY_COUNTY) for w in ("lead", "ledger")])
        # announced once per place, under each county, without the person's number
        events = "SELECT county_code, region_code, payload->>'counties', payload->>'source', payload::text FROM events" \
                 " WHERE type = 'federation.person_in_counties' ORDER BY 1, 4"
        both = "130822," + OWN_KEY_COUNTY
        want = [(c, c + "000000", both, w) for c in ("130822", OWN_KEY_COUNTY) for w in ("lead", "ledger")]
        self.assertEqual([r[:4] for r in fp.sql(self.pci, events)], want)
        self.assertNotIn(check_digit(MOVED)[6:14], "".join(r[4] for r in fp.sql(self.pci, events)))
        fp.ctl(["federation", "persons", "--keys", keys], self.pci, env=env)  # again: nothing new announced
        self.assertEqual([r[:4] for r in fp.sql(self.pci, events)], want)
        # with the wrong key for a county, nothing is found and it says which county
        shutil.copy(a.data_key, os.path.join(keys, f"{OWN_KEY_COUNTY}.data.key"))
        p = fp.ctl(["federation", "persons", "--keys", keys], self.pci, env=env, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn(f"county {OWN_KEY_COUNTY} does not open with its key", p.stderr)
        shutil.copy(self.counties[OWN_KEY_COUNTY].data_key, os.path.join(keys, f"{OWN_KEY_COUNTY}.data.key"))
        self.assertEqual(fp.sql(self.pci, "SELECT count(*) FROM federation_found"), [("4",)])

    def found_at(self, county):
        return fp.sql(county.ci, "SELECT found_by, source, elsewhere::text, encode(id_hmac, 'hex') FROM federation_found"
                                 " ORDER BY 1, 2")

    def q008(self, county, state="state <> 'fixed'"):
        fp.ctl(["quality", "run", "--county", county.code], county.ci, env={"FANGPIN_DATA_KEY": county.data_key})
        return fp.sql(county.ci, "SELECT id, household_no, facts->>'elsewhere', state FROM quality_findings"
                                 f" WHERE rule_code = 'Q008' AND {state} ORDER BY id")

    def test_4b_found_goes_down_to_both_counties(self):
        """What the prefecture found reaches each county by replication, its row filter giving each
        county its own places only, named by the county's own keyed hash; the county's run opens
        the finding Q008 for the household, the other county named, and announces it."""
        names = {c: n for c, (n, _, _) in COUNTIES.items()}
        for code, other in (("130822", OWN_KEY_COUNTY), (OWN_KEY_COUNTY, "130822")):
            county = self.counties[code]
            own = fp.id_hmac(check_digit(MOVED), county.data_key)[2:]
            fp.wait_for(lambda: len(self.found_at(county)) == 2, 60, what=f"the prefecture's finding at {code}")
            self.assertEqual(self.found_at(county), [(PREFECTURE, "lead", "{" + other + "}", own),
                                                     (PREFECTURE, "ledger", "{" + other + "}", own)])
            town = COUNTIES[code][1]
            got = self.q008(county)
            self.assertEqual([r[1:] for r in got], [(f"{town}20100001", f"{other} {names[other]}", "open")])
            opened = fp.sql(county.ci, "SELECT region_code, payload->>'household_no' FROM events"
                                       " WHERE type = 'finding.opened' AND payload->>'rule' = 'Q008'")
            self.assertEqual(opened, [(f"{town}201", f"{town}20100001")])
            listed = fp.ctl(["quality", "list", "--rule", "Q008"], county.ci,
                            env={"FANGPIN_DATA_KEY": county.data_key}).stdout
            self.assertIn(f"{town}20100001", listed)
            self.assertNotIn(check_digit(MOVED), listed)
            self.assertNotIn(check_digit(MOVED), json.dumps(fp.sql(county.ci, "SELECT facts FROM quality_findings")))
        # the third county received nothing, and has no such finding
        c = self.counties["130824"]
        self.assertEqual(self.found_at(c), [])
        self.assertEqual(self.q008(c), [])

    def test_5_remove_county(self):
        self.wait_caught_up()
        code = sorted(self.counties)[-1]
        out = fp.ctl(["federation", "remove-county", "--county", code, "--purge"], self.pci).stdout
        self.assertIn(f"county {code} removed", out)
        self.assertEqual(fp.sql(self.pci, f"SELECT count(*) FROM leads WHERE county_code = '{code}'"), [("0",)])
        self.assertNotIn(code, fp.ctl(["federation", "status"], self.pci).stdout)
        # its replication slot at the county is gone with the subscription; the province's stays
        self.assertEqual(fp.sql(self.counties[code].admin_ci, "SELECT slot_name FROM pg_replication_slots"),
                         [(f"fangpin_{PROVINCE}_{code}",)])
        # the down direction is gone at the prefecture: publication, role, slot
        self.assertEqual(fp.sql(self.pci, f"""
            SELECT (SELECT count(*) FROM pg_publication WHERE pubname = 'fangpin_down_{code}'),
                   (SELECT count(*) FROM pg_roles WHERE rolname = 'fangpin_down_{code}'),
                   (SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'fangpin_down_{code}'),
                   (SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'fangpin_down_%')"""),
                         [("0", "0", "0", "2")])
        if "persons_args" not in type(self).__dict__:
            return  # test_4 did not run (a single test asked for)
        # the person is now in one county of the prefecture only: the next persons run takes the
        # place back, the deletion goes down, and 130822's next run closes its finding
        args, env = self.persons_args
        out = fp.ctl(args, self.pci, env=env).stdout
        self.assertIn("0 place(s) published", out)
        a = self.counties["130822"]
        fp.wait_for(lambda: self.found_at(a) == [], 60, what="the deletion at 130822")
        self.assertEqual(self.q008(a), [])
        closed = fp.sql(a.ci, "SELECT q.state, e.type FROM quality_findings q JOIN events e ON e.type = 'finding.closed'"
                              " AND (e.payload->>'finding_id')::bigint = q.id WHERE q.rule_code = 'Q008'")
        self.assertEqual(closed, [("fixed", "finding.closed")])
        # the removed county leaves its upper level: what it had received goes, its run closes it
        gone = self.counties[code]
        out = fp.ctl(["federation", "unsubscribe-upper", "--upper", PREFECTURE], gone.ci).stdout
        self.assertIn("2 place(s) it had found forgotten", out)
        self.assertEqual(self.q008(gone), [])
        self.assertEqual(fp.sql(gone.ci, "SELECT state FROM quality_findings WHERE rule_code = 'Q008'"), [("fixed",)])


if __name__ == "__main__":
    fp.main()
