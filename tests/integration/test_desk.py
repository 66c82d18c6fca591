"""test_desk.py: the department desk on intake's HTTP port (/desk/, docs/desk.md) against the real
intake and screening services on the real PostgreSQL.

Through the API (urllib, no browser): no token is 401; a token whose principal is not a
department is 403 with its reason; a GBK CSV uploaded shows each line's result and reason, and the
database holds exactly the accepted lines; the same file again adds nothing (same batch ids,
answered from the stored batches); the results file (CSV and XLSX) of the same file, which again
adds nothing; a body over FANGPIN_INTAKE_DESK_MAX_BYTES is 413; a file that is no CSV or XLSX,
and one without the required columns, are 400 file.unreadable with where; the earlier leads with
their outcomes once screening has screened them, masked; the month's deadline; the page's files
with their security headers.

In a real browser (Debian's headless chromium, tests/integration/browser.py): no token shows the
login form; a department's token pasted there opens the desk; an XLSX uploaded shows its accepted
and refused lines in the table (and in the database); uploading it again adds nothing; a GBK CSV
(Excel's "CSV" on a Chinese Windows) uploaded next shows its own lines; no URL the
page requested holds the token or an ID number; the browser reports no error (console, CSP, a
failed load); the screenshot build-test/itvar/desk.png (1920x1080) is saved (the latest is committed as
docs/images/desk.png for the README)."""
import csv
import io
import json
import os
import shutil
import tempfile
import unittest
import urllib.error
import urllib.request

import fp
from test_push import VILLAGES, bad_check, id_number
from test_push_xlsx import read_xlsx, write_xlsx

TODAY = "2026-11-24"
PERIOD = "2026-10"
SENDER = "dept:130822:yibao"
MAX_BYTES = 200000
HEADER = ["序号", "身份证号", "姓名", "村代码", "线索类型", "发生日期", "金额(元)", "情况说明"]


def people(year, n):
    return [id_number(f"{year}0101", i + 1) for i in range(n)]


def gbk_csv(rows, header=HEADER):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("gbk")


def request(url, method="GET", body=None, token=None, headers=None):
    """(status, headers, body bytes) of one request; the token as a bearer token."""
    h = dict(headers or {})
    if token:
        h["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=body, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


class DeskBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("it_desk_" + cls.__name__.lower())
        cls.keys = fp.Keys(cls.ci, fp.SERVICES + ("admin", "dept-yibao", "county-wang"))
        cls.keys.register("dept-yibao", SENDER, kind="department", level="county", dept="yibao")
        cls.keys.register("county-wang", "actor:130822:wang", kind="actor", level="county")
        cls.intake = fp.Service("intake", cls.ci, cls.keys, env={
            "FANGPIN_TODAY": TODAY, "FANGPIN_INTAKE_DESK_MAX_BYTES": str(MAX_BYTES)})
        cls.screening = fp.Service("screening", cls.ci, cls.keys, env={
            "FANGPIN_SCREENING_LEADS_PULL": cls.intake.leads_push, "FANGPIN_SCREENING_SCAN_S": "1",
            "FANGPIN_TODAY": TODAY})
        cls.token = fp.token(cls.ci, SENDER, "--label", "医保局报送台", "--days", "30")
        cls.actor_token = fp.token(cls.ci, "actor:130822:wang")
        cls.tmp = tempfile.mkdtemp(prefix="fp-desk-", dir=fp.VAR)

    @classmethod
    def tearDownClass(cls):
        cls.screening.stop()
        cls.intake.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def url(self, path):
        return f"{self.intake.http}/desk/{path}"

    def upload(self, body, path="api/upload", query=f"period={PERIOD}", token=None):
        status, headers, data = request(self.url(f"{path}?{query}"), "POST", body, token or self.token)
        return status, headers, data

    def count(self, where="TRUE"):
        return int(fp.sql(self.ci, f"SELECT count(*) FROM leads WHERE sender = '{SENDER}' AND {where}")[0][0])

    def batches(self):
        return int(fp.sql(self.ci, f"SELECT count(*) FROM lead_batches WHERE sender = '{SENDER}'")[0][0])


class DeskApi(DeskBase):
    def rows(self, ids):
        v = VILLAGES[0]
        return [
            ["1", ids[0], "张三", v, "yibao.high_cost", "2026-10-03", "1234.50", "住院"],
            ["2", bad_check(ids[1]), "李四", v, "yibao.high_cost", "2026-10-04", "88", "门诊"],
            ["3", ids[2], "欧阳娜娜", v, "医疗费用个人负担较重", "2026/10/5", "12.345", "金额多一位小数"],
            ["4", ids[3], "王五", v, "yibao.uninsured", "2026-10-06", "", "未参保"],
        ]

    def test_auth(self):
        status, headers, body = request(self.url("api/deadline"))
        self.assertEqual(status, 401, body)
        status, headers, body = request(self.url("api/deadline"), token="fpt_" + "A" * 43)
        self.assertEqual(status, 401, body)
        status, headers, body = request(self.url("api/deadline"), token=self.actor_token)
        self.assertEqual(status, 403, body)
        self.assertEqual(headers["X-Fangpin-Reason"], "caller.kind")
        self.assertIn("行业部门", json.loads(body)["message_zh"])
        status, _, body = self.upload(gbk_csv([]), token=self.actor_token)
        self.assertEqual(status, 403, body)
        status, _, body = request(self.url("api/whoami"), token=self.token)
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["principal"], SENDER)

    def test_gbk_upload_twice_and_results(self):
        ids = people(1950, 4)
        body = gbk_csv(self.rows(ids))
        before, nb = self.count(), self.batches()
        status, _, data = self.upload(body)
        self.assertEqual(status, 200, data)
        r = json.loads(data)
        self.assertEqual(r["encoding"], "gbk")
        self.assertEqual(r["counts"], {"lines": 4, "accepted": 2, "duplicate": 0, "rejected": 2, "failed": 0})
        by = {l["ref"]: l for l in r["lines"]}
        self.assertEqual((by["1"]["result"], by["1"]["result_zh"]), ("accepted", "接收"))
        self.assertEqual((by["2"]["result"], by["2"]["code"]), ("rejected", "idcard.checksum"))
        self.assertTrue(by["2"]["reason_zh"])
        self.assertEqual((by["3"]["result"], by["3"]["code"]), ("rejected", "amount.format"))
        self.assertEqual(by["4"]["result"], "accepted")
        self.assertEqual(by["1"]["name_masked"], "张*")
        self.assertNotIn(ids[0], data.decode())  # masked: 1308**********
        self.assertEqual(self.count() - before, 2)
        ids_db = {int(x[0]) for x in fp.sql(self.ci, f"SELECT id FROM leads WHERE sender = '{SENDER}'")}
        self.assertIn(by["1"]["lead_id"], ids_db)
        self.assertEqual(self.batches() - nb, 1)
        # the same file again: the same batch, answered from what was stored; nothing added
        status, _, again = self.upload(body)
        self.assertEqual(status, 200, again)
        a = json.loads(again)
        self.assertEqual(a["batches"], r["batches"])
        self.assertEqual(a["counts"], r["counts"])
        self.assertEqual([l["lead_id"] for l in a["lines"]], [l["lead_id"] for l in r["lines"]])
        self.assertEqual(self.count() - before, 2)
        self.assertEqual(self.batches() - nb, 1)
        # the results file: the file's columns and the added ones, nothing added again
        status, headers, csvb = self.upload(body, "api/results", f"format=csv&period={PERIOD}")
        self.assertEqual(status, 200, csvb)
        self.assertTrue(csvb.startswith(b"\xef\xbb\xbf"))
        rows = list(csv.reader(io.StringIO(csvb[3:].decode("utf-8"))))
        self.assertEqual(rows[0][:len(HEADER)], HEADER)
        self.assertEqual([x[rows[0].index("结果")] for x in rows[1:]], ["接收", "退回", "退回", "接收"])
        self.assertIn("attachment", headers["Content-Disposition"])
        status, headers, xl = self.upload(body, "api/results", f"format=xlsx&period={PERIOD}")
        self.assertEqual(status, 200, xl)
        path = os.path.join(self.tmp, "results.xlsx")
        with open(path, "wb") as f:
            f.write(xl)
        sheet = read_xlsx(path)
        self.assertEqual(sheet[0][:len(HEADER)], HEADER)
        self.assertEqual(sheet[2][sheet[0].index("原因代码")], "idcard.checksum")
        self.assertEqual(self.count() - before, 2)
        self.assertEqual(self.batches() - nb, 1)

    def test_limits_and_bad_files(self):
        status, _, body = self.upload(b"x" * (MAX_BYTES + 1))
        self.assertEqual(status, 413, body)
        status, headers, body = self.upload(b"\xff\xfe\x00\x00binary")
        self.assertEqual(status, 400, body)
        self.assertEqual(headers["X-Fangpin-Reason"], "file.unreadable")
        self.assertIn("UTF-16", json.loads(body)["message"])
        status, headers, body = self.upload(gbk_csv([["张三", VILLAGES[0]]], header=["姓名", "村代码"]))
        self.assertEqual(status, 400, body)
        why = json.loads(body)
        self.assertEqual(why["reason"], "file.unreadable")
        self.assertIn("the header has", why["message"])
        self.assertIn("文件无法读取", why["message_zh"])
        status, _, body = self.upload(b"PK\x03\x04broken zip")
        self.assertEqual(status, 400, body)
        self.assertIn("not a workbook", json.loads(body)["message"])
        status, headers, body = self.upload(gbk_csv([]), query="period=2026-13")
        self.assertEqual((status, headers["X-Fangpin-Reason"]), (400, "request.field"))
        status, headers, body = self.upload(gbk_csv([]), query=f"period={PERIOD}&profile=nosuch")
        self.assertEqual((status, headers["X-Fangpin-Reason"]), (404, "profile.unknown"))
        status, _, body = request(self.url("api/upload"), "GET", token=self.token)
        self.assertEqual(status, 400, body)

    def test_earlier_leads_and_deadline(self):
        ids = people(1951, 2)
        v = VILLAGES[1]
        body = gbk_csv([["1", ids[0], "赵六", v, "yibao.high_cost", "2026-10-07", "5000", ""],
                        ["2", ids[1], "钱七", v, "yibao.uninsured", "2026-10-08", "", ""]])
        status, _, data = self.upload(body)
        self.assertEqual(status, 200, data)
        mine = [l["lead_id"] for l in json.loads(data)["lines"]]
        fp.wait_for(lambda: int(fp.sql(self.ci, "SELECT count(*) FROM leads WHERE id IN (%s) AND status <> 'pending'"
                                       % ",".join(map(str, mine)))[0][0]) == 2, 60, what="screening took the leads")
        status, _, data = request(self.url(f"api/leads?month={PERIOD}"), token=self.token)
        self.assertEqual(status, 200, data)
        leads = {l["lead_id"]: l for l in json.loads(data)["leads"]}
        db = dict(fp.sql(self.ci, "SELECT id, status FROM leads WHERE id IN (%s)" % ",".join(map(str, mine))))
        for lid in mine:
            self.assertEqual(leads[lid]["status"], db[str(lid)])
            self.assertTrue(leads[lid]["id_masked"].startswith("1308"))
            self.assertIn("*", leads[lid]["id_masked"])
        self.assertEqual(leads[mine[0]]["name_masked"], "赵*")
        self.assertNotIn(ids[0], data.decode())
        status, _, data = request(self.url("api/deadline"), token=self.token)
        self.assertEqual(status, 200, data)
        d = json.loads(data)
        self.assertEqual(d["period"], PERIOD)
        want = fp.sql(self.ci, "SELECT to_char(date '2026-11-01' + (fp_param('lead_push_day', '130822',"
                               " date '2026-10-01')::int - 1), 'YYYY-MM-DD')")[0][0]
        self.assertEqual(d["deadline"], want)
        self.assertIn(d["state"], ("on_time", "late"))
        self.assertGreaterEqual(d["batches"], 1)

    def test_page_files(self):
        status, headers, body = request(self.url(""))
        self.assertEqual(status, 200)
        self.assertIn("行业部门报送台".encode(), body)
        self.assertIn("default-src 'self'", headers["Content-Security-Policy"])
        for name in ("desk.js", "desk.css", "fangpin.js"):
            self.assertEqual(request(self.url(name))[0], 200, name)
        self.assertEqual(request(self.url("nosuch.js"))[0], 404)


class DeskBrowser(DeskBase):
    """The page in Debian's headless chromium, as a department's clerk uses it."""

    def test_upload_in_browser(self):
        import browser
        ids = people(1952, 3)
        v = int(VILLAGES[2])
        path = os.path.join(self.tmp, "医保2026年10月.xlsx")
        write_xlsx(path, HEADER, [
            ["1", ids[0], "孙八", v, "医疗费用个人负担较重", ("date", "2026-10-03"), 1234.5, "住院"],
            ["2", bad_check(ids[1]), "周九", v, "yibao.high_cost", ("date年", "2026-10-04"), 88, "门诊"],
            ["3", ids[2], "吴十", v, "yibao.uninsured", ("date", "2026-10-05"), None, "未参保"],
        ])
        before, nb = self.count(), self.batches()
        with browser.Browser(width=1920, height=1080) as b:
            b.goto(self.url(""))
            # no token: the login form, not the desk
            b.wait_js("document.getElementById('fp-login') !== null && !document.getElementById('fp-login').hidden")
            self.assertTrue(b.eval("document.getElementById('desk').hidden"))
            b.login(self.token)
            b.wait_js("!document.getElementById('desk').hidden && document.getElementById('period').value !== ''")
            self.assertEqual(b.eval("document.getElementById('period').value"), PERIOD)
            b.wait_js("document.getElementById('deadline').textContent.indexOf('前报送') >= 0")
            b.set_files("#file", [path])
            b.click("#upload")
            b.wait_js("!document.getElementById('result').hidden", timeout=60)
            rows = b.eval("Array.from(document.querySelectorAll('#lines tbody tr')).map("
                          "tr => Array.from(tr.cells).map(td => td.textContent))")
            self.assertEqual([r[4] for r in rows], ["接收", "退回", "接收"])
            self.assertEqual(rows[1][6], "idcard.checksum")
            self.assertTrue(rows[1][5])
            self.assertEqual(rows[0][2], "孙*")
            self.assertIn("接收 2 条", b.eval("document.getElementById('counts').textContent"))
            self.assertEqual(self.count() - before, 2)
            self.assertEqual(self.batches() - nb, 1)
            # again: the same batch, nothing added
            b.click("#upload")
            b.wait_js("document.getElementById('upload').disabled === false && "
                      "document.getElementById('upload-status').textContent.indexOf('已处理') >= 0", timeout=60)
            self.assertEqual(self.count() - before, 2)
            self.assertEqual(self.batches() - nb, 1)
            # a GBK CSV, as a department's Excel saves "CSV (逗号分隔)" on a Chinese Windows
            gids = people(1953, 2)
            gpath = os.path.join(self.tmp, "医保2026年10月.csv")
            with open(gpath, "wb") as f:
                f.write(gbk_csv([["1", gids[0], "郑一", VILLAGES[2], "医疗费用个人负担较重", "2026-10-06", "321", "住院"],
                                 ["2", bad_check(gids[1]), "王二", VILLAGES[2], "yibao.high_cost", "2026-10-07",
                                  "12", "门诊"]]))
            b.set_files("#file", [gpath])
            b.click("#upload")
            b.wait_js("document.getElementById('upload').disabled === false && "
                      "document.getElementById('upload-status').textContent.indexOf('.csv：已处理（gbk') >= 0", timeout=60)
            rows = b.eval("Array.from(document.querySelectorAll('#lines tbody tr')).map("
                          "tr => Array.from(tr.cells).map(td => td.textContent))")
            self.assertEqual([(r[2], r[4], r[6]) for r in rows],
                             [("郑*", "接收", ""), ("王*", "退回", "idcard.checksum")])
            self.assertEqual(self.count() - before, 3)
            self.assertEqual(self.batches() - nb, 2)
            b.wait_js("document.querySelectorAll('#leads tbody tr').length >= 3", timeout=30)
            # the README's picture, saved in the run's folder (the source tree is not written
            # to by a test; the latest is copied to docs/images/desk.png by hand and committed)
            shot = b.screenshot(os.path.join(fp.VAR, "desk.png"))
            print("screenshot:", shot)
            urls = b.urls()
            self.assertEqual(b.errors(), [])
        for u in urls:
            self.assertNotIn(self.token, u)
            for idn in ids + gids:
                self.assertNotIn(idn, u)
        self.assertGreater(os.path.getsize(shot), 10000)


if __name__ == "__main__":
    unittest.main()
