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
data key of its own) is found by `federation persons`; `remove-county` drops one."""
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
    write("cities.csv", "code,name,provinceCode", [("1308", '"承德市"', "13")])
    write("areas.csv", "code,name,cityCode,provinceCode",
          [(c, f'"{n}"', "1308", "13") for c, (n, _, _) in COUNTIES.items()])
    write("streets.csv", "code,name,areaCode,provinceCode,cityCode",
          [(t, f'"{tn}"', c, "13", "1308") for c, (_, t, tn) in COUNTIES.items()])
    write("villages.csv", "code,name,streetCode,provinceCode,cityCode,areaCode",
          [(f"{t}{v:03d}", f'"第{v}村村民委员会"', t, "13", "1308", c)
           for c, (_, t, _) in COUNTIES.items() for v in (201, 202, 203)])
    return [os.path.join(folder, f) for f in ("provinces.csv", "cities.csv", "areas.csv", "streets.csv",
                                              "villages.csv")]


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
        return {(self.code, int(p)) for p, in fp.sql(self.ci, "SELECT position FROM events WHERE position IS NOT NULL")}


class Federation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        folder = tempfile.mkdtemp(prefix="fed-", dir=fp.VAR)
        files = region_files(folder)
        cls.pwfile = os.path.join(folder, "replication.password")
        with open(cls.pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            pref = ex.submit(cls.prefecture_db, files)
            counties = [ex.submit(County, code, files) for code in COUNTIES]
            cls.counties = {f.result().code: f.result() for f in counties}
            pref.result()
        for c in cls.counties.values():
            c.start()
            fp.ctl(["federation", "publish", "--password-file", cls.pwfile], c.ci)
            fp.ctl(["federation", "add-county", "--county", c.code, "--conninfo",
                    f"host=127.0.0.1 port={c.cluster.port} dbname=c{c.code}", "--password-file", cls.pwfile],
                   cls.pci)
        cls.load()
        cls.preporting = fp.Service("reporting", cls.pci, cls.pkeys, env={"FANGPIN_TODAY": TODAY})
        cls.folder = folder

    @classmethod
    def prefecture_db(cls, files):
        # several counties' apply and table-copy workers at once; a county that went away is
        # retried within a fraction of a second rather than the default 5 s
        cls.pcluster = fp.PrivateCluster("fed-1308", opts="-c max_logical_replication_workers=12"
                                                          " -c max_worker_processes=20"
                                                          " -c wal_retrieve_retry_interval=200ms")
        cls.pci = cls.pcluster.conninfo("p1308")
        fp.sql(cls.pcluster.conninfo(), 'CREATE DATABASE "p1308" OWNER fangpin_owner')
        fp.ctl(["migrate"], fp.role_conninfo(cls.pci, "fangpin_owner"))
        fp.ctl(["regions", "import"] + files, cls.pci)
        cls.pkeys = fp.Keys(cls.pci, fp.SERVICES + ("admin", "pref"))
        cls.pkeys.register("pref", "actor:1308:zhou", kind="actor", level="prefecture", region=PREFECTURE)

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
        """Every county's numbered events and lead statuses are at the prefecture."""
        def caught_up():
            for c in self.counties.values():
                want = fp.sql(c.ci, "SELECT count(*) FILTER (WHERE position IS NOT NULL), count(*) FROM events")[0]
                if want[0] != want[1]:
                    return False
                got = fp.sql(self.pci, f"SELECT count(*) FROM events WHERE county_code = '{c.code}'"
                                       " AND county_position IS NOT NULL")[0][0]
                leads = fp.sql(c.ci, "SELECT string_agg(id || status, ',' ORDER BY id) FROM leads")
                pleads = fp.sql(self.pci, "SELECT string_agg(id || status, ',' ORDER BY id) FROM leads"
                                          f" WHERE county_code = '{c.code}'")
                if got != want[0] or leads != pleads:
                    return False
            return True
        fp.wait_for(caught_up, 90, what="every county's events and leads at the prefecture")

    def test_1_reports_are_the_sum(self):
        self.wait_caught_up()
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
        r = call(self.preporting, "pref", get_report=dict(report="lead_verification_monthly",
                                                          region_prefix=PREFECTURE, period=PERIOD))
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
        want = set().union(*(c.numbered_events() for c in self.counties.values()))
        seen, after, head = [], 0, None
        fp.wait_for(lambda: int(fp.sql(self.pci, "SELECT count(*) FROM events WHERE position IS NULL")[0][0]) == 0,
                    60, what="the prefecture's relay numbering every event")
        while True:
            r = call(self.preporting, "pref", replay=dict(region_prefix=PREFECTURE, after_position=after, limit=1000))
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
        out = fp.ctl(["federation", "status"], self.pci).stdout
        for code in self.counties:
            line = next(line for line in out.splitlines() if line.startswith(code))
            self.assertEqual(line.split()[1:3], ["true", "0"], out)
        # every published table is keyed by county code at the prefecture (Citus' distribution
        # rule), and at each county its replica identity leads with it
        bad = fp.sql(self.pci, """
            SELECT t.tablename, i.indexrelid::regclass FROM pg_publication_tables t
              JOIN pg_index i ON i.indrelid = (t.schemaname || '.' || t.tablename)::regclass
             WHERE t.pubname = 'fangpin_county' AND t.tablename <> 'events' AND i.indisunique
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
            self.assertTrue(first == "county_code" or (table == "events" and kind == "f"), (table, kind, first))

    def test_3b_upgrade_while_replicating(self):
        """A county upgraded before its prefecture: the new column's changes wait at the county
        (the prefecture's apply cannot take them) and arrive, none lost, once the prefecture has
        the column too. (docs/federation.md says to upgrade the prefecture first.)"""
        self.wait_caught_up()
        a = self.counties["130822"]
        fp.sql(a.ci, "ALTER TABLE leads ADD COLUMN upgrade_probe integer")
        fp.sql(a.ci, "UPDATE leads SET upgrade_probe = id * 7")
        a.push(2)  # the county keeps working meanwhile
        fp.sql(self.pci, "ALTER TABLE leads ADD COLUMN upgrade_probe integer")
        probe = "SELECT string_agg(id || ':' || coalesce(upgrade_probe, -1), ',' ORDER BY id) FROM leads" \
                " WHERE county_code = '130822'"
        fp.wait_for(lambda: fp.sql(self.pci, probe) == fp.sql(a.ci, probe), 60,
                    what="the upgraded county's rows at the prefecture")
        self.wait_caught_up()
        # an upgrade that publishes another table: the prefecture first, then the counties, then
        # `federation refresh` at the prefecture copies the county's rows and follows its changes
        new = "CREATE TABLE upgrade_table (county_code varchar(6), n integer, PRIMARY KEY (county_code, n))"
        fp.sql(self.pci, new)
        fp.sql(a.ci, new + "; INSERT INTO upgrade_table SELECT '130822', g FROM generate_series(1, 5) g;"
                           " ALTER PUBLICATION fangpin_county ADD TABLE upgrade_table")
        fp.ctl(["federation", "publish", "--password-file", self.pwfile], a.ci)  # lets the role read it
        out = fp.ctl(["federation", "refresh"], self.pci).stdout
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
        out = fp.ctl(["federation", "persons", "--keys", keys], self.pci, env=env).stdout
        rows = [line.split() for line in out.splitlines()[1:]]
        ids = {r[4] for r in rows}
        self.assertEqual([(r[0], r[1], r[2], r[3]) for r in rows],
                         [("1", masked, "130822", "lead"), ("1", masked, OWN_KEY_COUNTY, "lead")], out)
        self.assertEqual(len(ids), 2)
        self.assertNotIn(check_digit(MOVED), out)
        self.assertEqual(fp.sql(self.pci, "SELECT county_code, source FROM federation_persons ORDER BY 1"),
                         [("130822", "lead"), (OWN_KEY_COUNTY, "lead")])
        # announced once per place, under each county, without the person's number
        events = "SELECT county_code, region_code, payload->>'counties', payload->>'source', payload::text FROM events" \
                 " WHERE type = 'federation.person_in_counties' ORDER BY 1"
        both = "130822," + OWN_KEY_COUNTY
        want = [("130822", "130822000000", both, "lead"), (OWN_KEY_COUNTY, OWN_KEY_COUNTY + "000000", both, "lead")]
        self.assertEqual([r[:4] for r in fp.sql(self.pci, events)], want)
        self.assertNotIn(check_digit(MOVED)[6:14], "".join(r[4] for r in fp.sql(self.pci, events)))
        fp.ctl(["federation", "persons", "--keys", keys], self.pci, env=env)  # again: nothing new announced
        self.assertEqual([r[:4] for r in fp.sql(self.pci, events)], want)
        # with the wrong key for a county, nothing is found and it says which county
        shutil.copy(a.data_key, os.path.join(keys, f"{OWN_KEY_COUNTY}.data.key"))
        p = fp.ctl(["federation", "persons", "--keys", keys], self.pci, env=env, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn(f"county {OWN_KEY_COUNTY} does not open with its key", p.stderr)

    def test_5_remove_county(self):
        self.wait_caught_up()
        code = sorted(self.counties)[-1]
        out = fp.ctl(["federation", "remove-county", "--county", code, "--purge"], self.pci).stdout
        self.assertIn(f"county {code} removed", out)
        self.assertEqual(fp.sql(self.pci, f"SELECT count(*) FROM leads WHERE county_code = '{code}'"), [("0",)])
        self.assertNotIn(code, fp.ctl(["federation", "status"], self.pci).stdout)
        # its replication slot at the county is gone with the subscription
        self.assertEqual(fp.sql(self.counties[code].admin_ci, "SELECT count(*) FROM pg_replication_slots"), [("0",)])


if __name__ == "__main__":
    fp.main()
