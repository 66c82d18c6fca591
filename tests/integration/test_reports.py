"""The report engine (issue 6): lead_verification_monthly as protobuf, CSV and XLSX; each number
equals an independent count; frozen after the deadline until re-opened (recorded); scope; the
HTTP download (on only with FANGPIN_REPORTING_HTTP_REPORTS)."""
import datetime
import io
import json
import os
import tempfile
import unittest
import urllib.error
import urllib.request
import zipfile

import fp
from fangpin.v1 import common_pb2, intake_pb2, reporting_pb2

Code = common_pb2.Code
TODAY_OPEN = "2026-11-24"    # before 2026-11-25, the county's deadline for 2026-10: computed live
TODAY_CLOSED = "2026-11-26"  # after it: frozen (as of the deadline, 2026-11-25)
PERIOD = "2026-10"
COUNTY = "130822"
TOWNSHIP = "130822112"       # 三道河镇
TOWN_VILLAGES = ["130822112201", "130822112202", "130822100001", "130822100002", "130822101201", "130822102201"]
DECISION_DAYS = 15           # fp_param('decision_days') default
HEADERS = ["部门/乡镇", "接收", "已核实", "纳入", "未纳入", "待核实", "未匹配", "超期"]
FIELDS = ["received", "verified", "included", "not_included", "pending", "unmatched", "overdue"]
# Statuses set by SQL, by lead id (screening does not yet move leads through verification).
STATUSES = ["pending", "verifying", "identified", "not_included", "unmatched", "pending", "verifying"]


def id_number(seq, birth="19800101"):
    body = f"{COUNTY}{birth}{seq:03d}"
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w)) % 11]


def lead(seq, kind, village, amount=None):
    l = intake_pb2.Lead(id_number=id_number(seq), name="张三", village_code=village, kind=kind,
                        occurred_on="2026-10-15", detail="测试", line_ref=str(seq))
    if amount is not None:
        l.amount_fen, l.has_amount = amount, True
    return l


def expected(ci, prefix, as_of):
    """An independent count, in Python, over the leads table's raw rows."""
    rows = fp.sql(ci, "SELECT coalesce(department_code, ''), village_code, status,"
                      " received_on::text FROM leads"
                      f" WHERE period = '{PERIOD}'")
    as_of = datetime.date.fromisoformat(as_of)
    out = {}

    def add(key, status, received):
        c = out.setdefault(key, dict.fromkeys(FIELDS, 0))
        c["received"] += 1
        c["verified"] += status in ("verifying", "identified", "not_included")
        c["included"] += status == "identified"
        c["not_included"] += status == "not_included"
        c["pending"] += status == "pending"
        c["unmatched"] += status == "unmatched"
        c["overdue"] += status in ("pending", "verifying") and \
            (as_of - datetime.date.fromisoformat(received)).days > DECISION_DAYS

    for dept, village, status, received in rows:
        if not village.startswith(prefix):
            continue
        add(("department", dept), status, received)
        add(("township", village[:9]), status, received)
        add(("total", ""), status, received)
    return out


def numbers(row):
    return {f: getattr(row, f) for f in FIELDS}


class Reports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("it_reports")
        cls.keys = fp.Keys(cls.ci, fp.SERVICES + ("admin", "yibao", "weijian", "village", "county", "township"))
        k = cls.keys
        k.register("admin", "admin:county-it")
        k.register("yibao", "dept:130822:yibao", kind="department", level="county", dept="yibao")
        k.register("weijian", "dept:130822:weijian", kind="department", level="county", dept="weijian")
        k.register("village", "actor:130822112201:li", kind="actor", level="village", region="130822112201")
        k.register("county", "actor:130822:wang", kind="actor", level="county", region=COUNTY)
        k.register("township", "actor:130822112:zhang", kind="actor", level="township", region=TOWNSHIP)
        intake = fp.Service("intake", cls.ci, k, env={"FANGPIN_TODAY": TODAY_OPEN})
        try:
            batches = [("yibao", [lead(i, "yibao.high_cost", TOWN_VILLAGES[i % 6], 100000 + i) for i in range(1, 15)]),
                       ("weijian", [lead(100 + i, "weijian.serious_illness", TOWN_VILLAGES[(i * 5) % 6])
                                    for i in range(1, 10)]),
                       ("village", [lead(200 + i, "visit.illness", "130822112201") for i in range(1, 4)])]
            for key, leads in batches:
                req = intake_pb2.IntakeRequest(request_id="r")
                req.submit_leads.batch_id = f"b-{key}"
                req.submit_leads.period = PERIOD
                req.submit_leads.leads.extend(leads)
                c = intake.client(key)
                r = c.call(req, intake_pb2.IntakeReply, 20000)
                c.close()
                assert r is not None and r.status.code == Code.OK, (key, r)
        finally:
            intake.stop()
        # Screening is not wired to verification yet: set statuses, and old receipts, by SQL.
        arr = "ARRAY[" + ",".join(f"'{s}'" for s in STATUSES) + "]"
        fp.sql(cls.ci, f"UPDATE leads SET status = ({arr})[id % {len(STATUSES)} + 1]")
        # intake stored its today (FANGPIN_TODAY), not the database's clock, as the day received
        days = fp.sql(cls.ci, "SELECT DISTINCT received_on::text FROM leads UNION ALL"
                              " SELECT DISTINCT received_on::text FROM lead_batches")
        assert {d for d, in days} == {TODAY_OPEN}, days
        # Older receipts: received_on only, so that a report counting from received_at (the
        # database's clock, today's real date) would not find them overdue.
        fp.sql(cls.ci, "UPDATE leads SET received_on = '2026-10-20' WHERE id % 3 = 0")
        cls.open = fp.Service("reporting", cls.ci, k, env={"FANGPIN_TODAY": TODAY_OPEN,
                                                           "FANGPIN_REPORTING_HTTP_REPORTS": "true"})
        cls.closed = fp.Service("reporting", cls.ci, k, env={"FANGPIN_TODAY": TODAY_CLOSED})

    @classmethod
    def tearDownClass(cls):
        for svc in (cls.open, cls.closed):  # a clean exit: no sanitizer report, no leak
            rc = svc.stop()
            assert rc == 0 and "Sanitizer" not in svc.log(), svc.log()[-3000:]

    def call(self, svc, key, **op):
        return fp.op_call(svc, key, reporting_pb2.ReportingRequest, reporting_pb2.ReportingReply, **op)

    def report(self, svc=None, key="admin", prefix=COUNTY, fmt="proto", period=PERIOD):
        return self.call(svc or self.open, key, get_report=dict(report="lead_verification_monthly",
                                                                region_prefix=prefix, period=period, format=fmt))

    def check_numbers(self, rep, prefix, as_of):
        exp = expected(self.ci, prefix, as_of)
        depts = {r[0] for r in fp.sql(self.ci, f"SELECT code FROM departments WHERE county_code = '{prefix[:6]}'")}
        # the townships under the prefix, or the one a village prefix lies in
        towns = {r[0] for r in fp.sql(self.ci, "SELECT code FROM regions WHERE level = 4 AND"
                                               f" (code LIKE '{prefix}%' OR '{prefix}' LIKE code || '%')")}
        zero = dict.fromkeys(FIELDS, 0)
        seen = set()
        for row in rep.rows:
            key = (row.kind, row.code)
            seen.add(key)
            self.assertEqual(numbers(row), exp.get(key, zero), f"{row.label} {key}")
        want = {("department", d) for d in depts} | {("township", t) for t in towns} | {("total", "")}
        if ("department", "") in exp:
            want.add(("department", ""))  # leads from no department (the village cadre's visits)
        self.assertEqual(seen, want)
        self.assertEqual(rep.rows[-1].kind, "total")
        self.assertEqual(rep.rows[-1].label, "合计")
        return exp

    def test_proto_numbers(self):
        r = self.report()
        self.assertEqual(r.status.code, Code.OK, r.status.message)
        rep = r.report
        self.assertFalse(rep.frozen)
        self.assertEqual((rep.region_name, rep.period, rep.deadline), ("兴隆县", PERIOD, "2026-11-25"))
        exp = self.check_numbers(rep, COUNTY, TODAY_OPEN)
        # the data make every column non-trivial
        for f in FIELDS:
            self.assertGreater(exp[("total", "")][f], 0, f)
        labels = {row.code: row.label for row in rep.rows}
        self.assertEqual(labels["yibao"], "医疗保障局")
        self.assertEqual(labels[TOWNSHIP], "三道河镇")
        # a township prefix: that township's villages only
        t = self.report(prefix=TOWNSHIP, key="township")
        self.assertEqual(t.status.code, Code.OK, t.status.message)
        self.assertTrue(t.report.frozen)  # the township's report was due on 2026-11-20
        self.check_numbers(t.report, TOWNSHIP, "2026-11-20")
        v = self.report(prefix="130822112201", key="county")
        self.assertEqual(v.status.code, Code.OK, v.status.message)
        self.check_numbers(v.report, "130822112201", "2026-11-20")
        # wider than a county (the prefecture 1308): the same total, labels carry the county name
        rows = json.loads(fp.sql(self.ci, "SELECT report_lead_verification_rows('1308', '2026-10', '2026-11-24')")[0][0])
        self.assertEqual({f: rows[-1][f] for f in FIELDS}, expected(self.ci, "1308", TODAY_OPEN)[("total", "")])
        self.assertIn("兴隆县 医疗保障局", [r["label"] for r in rows])

    def test_csv(self):
        r = self.report(fmt="csv")
        self.assertEqual(r.status.code, Code.OK, r.status.message)
        data = r.report.file
        self.assertTrue(data.startswith(b"\xef\xbb\xbf"), "no BOM")
        self.assertEqual(r.report.filename, "lead_verification_monthly-130822-2026-10.csv")
        text = data[3:].decode("utf-8")
        self.assertTrue(text.endswith("\r\n"))
        lines = text.split("\r\n")[:-1]
        self.assertEqual(lines[0].split(","), HEADERS)
        self.assertEqual(len(lines) - 1, len(r.report.rows))
        for line, row in zip(lines[1:], r.report.rows):
            cells = line.split(",")
            self.assertEqual(cells[0], row.label)
            self.assertEqual([int(x) for x in cells[1:]], [getattr(row, f) for f in FIELDS])
        self.check_numbers(r.report, COUNTY, TODAY_OPEN)

    def xlsx_text(self, data):
        z = zipfile.ZipFile(io.BytesIO(data))
        return z.read("xl/worksheets/sheet1.xml").decode(), z.read("xl/sharedStrings.xml").decode()

    def test_xlsx(self):
        r = self.report(fmt="xlsx")
        self.assertEqual(r.status.code, Code.OK, r.status.message)
        self.assertTrue(r.report.filename.endswith(".xlsx"))
        sheet, strings = self.xlsx_text(r.report.file)
        self.assertIn("兴隆县 2026年10月 风险线索核实情况", strings)
        for h in HEADERS:
            self.assertIn(h, strings)
        total = r.report.rows[-1]
        # the total row is the last one: its received count is a number cell
        last = len(r.report.rows) + 2
        self.assertRegex(sheet, rf'<c r="B{last}"[^>]*><v>{total.received}</v></c>')
        self.assertEqual(total.received, expected(self.ci, COUNTY, TODAY_OPEN)[("total", "")]["received"])

    def test_frozen_until_reopened(self):
        a = self.report(svc=self.closed, fmt="csv")
        self.assertEqual(a.status.code, Code.OK, a.status.message)
        self.assertTrue(a.report.frozen)
        self.check_numbers(a.report, COUNTY, "2026-11-25")
        x1 = self.report(svc=self.closed, fmt="xlsx")
        # the data change: a pending lead is identified
        changed = fp.sql(self.ci, "UPDATE leads SET status = 'identified' WHERE id = (SELECT min(id) FROM leads"
                                  f" WHERE status = 'pending' AND village_code LIKE '{COUNTY}%') RETURNING id")
        self.assertEqual(len(changed), 1)
        b = self.report(svc=self.closed, fmt="csv")
        self.assertEqual(b.report.SerializeToString(), a.report.SerializeToString())
        x2 = self.report(svc=self.closed, fmt="xlsx")
        self.assertEqual(x2.report.file, x1.report.file)
        # who may re-open: not a township cadre, not a department; and a reason is required
        args = dict(report="lead_verification_monthly", region_prefix=COUNTY, period=PERIOD, reason="三道河镇补录核实结果")
        self.assertEqual(self.call(self.closed, "township", reopen_report=args).status.code, Code.FORBIDDEN)
        self.assertEqual(self.call(self.closed, "yibao", reopen_report=args).status.code, Code.FORBIDDEN)
        self.assertEqual(self.call(self.closed, "county", reopen_report=dict(args, reason="")).status.code,
                         Code.BAD_REQUEST)
        self.assertEqual(self.call(self.closed, "county", reopen_report=dict(args, period="2025-01")).status.code,
                         Code.NOT_FOUND)
        ro = self.call(self.closed, "county", reopen_report=args)
        self.assertEqual(ro.status.code, Code.OK, ro.status.message)
        self.assertEqual(ro.reopened.reopened_by, "actor:130822:wang")
        rec = fp.sql(self.ci, "SELECT reopened_by, reason FROM report_reopenings WHERE region_prefix = '130822'")
        self.assertEqual(rec, [("actor:130822:wang", "三道河镇补录核实结果")])
        hist = fp.sql(self.ci, "SELECT reopened_by IS NOT NULL FROM report_snapshots WHERE region_prefix = '130822'"
                               " ORDER BY id")
        self.assertEqual(hist, [("t",)])
        c = self.report(svc=self.closed, fmt="csv")
        self.assertTrue(c.report.frozen)
        self.assertNotEqual(c.report.file, a.report.file)
        self.check_numbers(c.report, COUNTY, "2026-11-25")
        self.assertEqual(c.report.rows[-1].included, a.report.rows[-1].included + 1)
        hist = fp.sql(self.ci, "SELECT reopened_by IS NOT NULL FROM report_snapshots WHERE region_prefix = '130822'"
                               " ORDER BY id")
        self.assertEqual(hist, [("t",), ("f",)])  # the re-opened snapshot is kept

    def test_fangpinctl_report(self):
        """`fangpinctl report get` prints the county's report as a table and saves the XLSX."""
        env = {"FANGPIN_REPORTING_CONNECT": self.open.endpoint, "FANGPIN_KEYS_DIR": self.keys.dir,
               "FANGPIN_CLIENT_CERT": self.keys.path("county", secret=True)}
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "county.xlsx")
            p = fp.ctl(["report", "get", "lead_verification_monthly", "--region", COUNTY, "--period", PERIOD,
                        "--format", "xlsx", "--out", out], self.ci, env=env)
            lines = p.stdout.splitlines()
            self.assertIn("兴隆县 2026年10月 风险线索核实情况", lines[0])
            for h in HEADERS[1:]:  # the label column is headed 单位 in the terminal
                self.assertIn(h, lines[2])
            total = next(l for l in lines if l.startswith("合计")).split()
            exp = expected(self.ci, COUNTY, TODAY_OPEN)[("total", "")]
            self.assertEqual(total[1:1 + len(FIELDS)], [str(exp[f]) for f in FIELDS])
            with open(out, "rb") as f:
                sheet, strings = self.xlsx_text(f.read())
            self.assertIn("兴隆县 2026年10月 风险线索核实情况", strings)
            self.assertIn(f"已保存 saved: {out}", p.stdout)
        # refused: a township key asking for the county; a bad period; usage
        env["FANGPIN_CLIENT_CERT"] = self.keys.path("township", secret=True)
        p = fp.ctl(["report", "get", "lead_verification_monthly", "--region", COUNTY, "--period", PERIOD],
                   self.ci, env=env, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("FORBIDDEN", p.stderr)
        p = fp.ctl(["report", "get", "lead_verification_monthly", "--region", TOWNSHIP, "--period", "2026-13"],
                   self.ci, env=env, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("BAD_REQUEST", p.stderr)
        p = fp.ctl(["report", "get", "lead_verification_monthly", "--region", TOWNSHIP], self.ci, env=env,
                   check=False)
        self.assertEqual(p.returncode, 2)

    def test_scope_and_arguments(self):
        self.assertEqual(self.report(key="township").status.code, Code.FORBIDDEN)
        self.assertEqual(self.report(key="township", prefix="130822100").status.code, Code.FORBIDDEN)
        self.assertEqual(self.report(key="county", prefix=TOWNSHIP).status.code, Code.OK)
        self.assertEqual(self.report(prefix="13082").status.code, Code.BAD_REQUEST)
        self.assertEqual(self.report(prefix="130822999").status.code, Code.NOT_FOUND)  # no such township
        self.assertEqual(self.report(prefix="130899").status.code, Code.FORBIDDEN)  # outside the key's county
        self.assertEqual(self.report(fmt="pdf").status.code, Code.BAD_REQUEST)
        self.assertEqual(self.report(period="2026-13").status.code, Code.BAD_REQUEST)
        r = self.call(self.open, "admin", get_report=dict(report="nope", region_prefix=COUNTY, period=PERIOD))
        self.assertEqual(r.status.code, Code.BAD_REQUEST)

    def get(self, url, token=None):
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def test_http_download(self):
        q = f"region={COUNTY}&period={PERIOD}"
        url = f"{self.open.http}/reports/lead_verification_monthly?{q}&format=csv"
        # a bearer token (FANGPIN_REPORTING_HTTP_AUTH=token, the default), within its principal's region
        st, h, body = self.get(url)
        self.assertEqual((st, h["WWW-Authenticate"]), (401, 'Bearer realm="fangpin"'), body)
        self.assertIn("fangpinctl token add", body.decode())
        st, h, body = self.get(url, token="fpt_short")
        self.assertEqual((st, h["WWW-Authenticate"]), (401, 'Bearer realm="fangpin", error="invalid_token"'))
        self.assertEqual(self.get(url, token="fpt_" + "A" * 43)[0], 401)  # well formed, never issued
        town = fp.token(self.ci, "actor:130822112:zhang", "--label", "乡镇大屏")
        st, _, body = self.get(url, token=town)
        self.assertEqual(st, 403)
        self.assertIn("130822112", body.decode())
        self.assertEqual(self.get(url.replace(f"region={COUNTY}", f"region={TOWNSHIP}"), token=town)[0], 200)
        county = fp.token(self.ci, "actor:130822:wang", "--days", "30")
        self.assertEqual(self.get(f"{url}&access_token={county}")[0], 200)  # as a browser's link would
        rows = fp.sql(self.ci, "SELECT principal_id, label, expires_at > now() + interval '29 days', last_used_at"
                               " IS NOT NULL, length(token_sha256) FROM http_tokens ORDER BY id")
        self.assertEqual(rows, [("actor:130822112:zhang", "乡镇大屏", "", "t", "32"),
                                ("actor:130822:wang", "", "t", "t", "32")])
        self.assertNotIn(county, repr(fp.sql(self.ci, "SELECT * FROM http_tokens")))  # only its hash is kept
        listed = fp.ctl(["token", "list"], self.ci).stdout
        self.assertIn("actor:130822112:zhang", listed)
        self.assertIn("乡镇大屏", listed)
        self.assertNotIn(town, listed)
        self.assertEqual(fp.ctl(["token", "add", "--principal", "actor:nobody"], self.ci, check=False).returncode, 1)
        self.assertEqual(fp.ctl(["token", "add", "--principal", "actor:130822:wang", "--days", "0"], self.ci,
                                check=False).returncode, 2)
        st, h, body = self.get(url, token=county)
        self.assertEqual(st, 200, body)
        self.assertEqual(h["Content-Disposition"],
                         'attachment; filename="lead_verification_monthly-130822-2026-10.csv"')
        self.assertTrue(h["Content-Type"].startswith("text/csv"))
        self.assertTrue(body.startswith(b"\xef\xbb\xbf" + ",".join(HEADERS).encode()))
        total = self.report().report.rows[-1]
        self.assertTrue(body.endswith(("合计," + ",".join(str(getattr(total, f)) for f in FIELDS) + "\r\n").encode()))
        st, h, body = self.get(f"{self.open.http}/reports/lead_verification_monthly?{q}&format=xlsx", token=county)
        self.assertEqual(st, 200)
        self.assertIn(".xlsx", h["Content-Disposition"])
        self.assertIn("接收", self.xlsx_text(body)[1])
        self.assertEqual(self.get(f"{self.open.http}/reports/lead_verification_monthly?region=1&period={PERIOD}",
                                  token=county)[0], 400)
        self.assertEqual(self.get(f"{self.open.http}/reports/other?{q}", token=county)[0], 404)
        # revoked: refused at the next request; so is a token of a disabled principal
        tid = fp.sql(self.ci, "SELECT id FROM http_tokens WHERE principal_id = 'actor:130822:wang'")[0][0]
        self.assertIn(f"revoked token {tid}", fp.ctl(["token", "revoke", tid], self.ci).stdout)
        self.assertEqual(self.get(url, token=county)[0], 401)
        self.assertEqual(fp.ctl(["token", "revoke", tid], self.ci, check=False).returncode, 1)
        self.assertEqual(self.get(url.replace(f"region={COUNTY}", f"region={TOWNSHIP}"), token=town)[0], 200)
        fp.sql(self.ci, "UPDATE principals SET disabled_at = now() WHERE id = 'actor:130822112:zhang'")
        try:
            self.assertEqual(self.get(url.replace(f"region={COUNTY}", f"region={TOWNSHIP}"), token=town)[0], 401)
        finally:
            fp.sql(self.ci, "UPDATE principals SET disabled_at = NULL WHERE id = 'actor:130822112:zhang'")
        # off by default
        self.assertEqual(self.get(f"{self.closed.http}/reports/lead_verification_monthly?{q}&format=csv")[0], 404)


if __name__ == "__main__":
    fp.main()
