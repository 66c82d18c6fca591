"""test_push.py: `fangpinctl push` against the real intake service and PostgreSQL: a UTF-8 file
with a BOM and Chinese headers, a GBK file with English headers, pushed twice without taking
anything twice; refused lines (each with its reason code in FILE.results.csv); a missing column;
usage errors; the service down, frozen mid-push, its database away (UNAVAILABLE), and the push
itself killed mid-way and run again; a last line without a line break, and the formula guard of
FILE.results.csv."""
import csv
import io
import os
import shutil
import signal
import subprocess
import tempfile
import unittest

import fp

TODAY = "2026-11-24"  # the service's FANGPIN_TODAY: the tests do not depend on the real date
PERIOD = "2026-10"
SENDER = "dept:130822:yibao"
FIXTURE = os.path.join(fp.SOURCE, "tests", "fixtures", "regions", "130822")
ZH_HEADER = ["行号", "身份证号", "姓名", "村代码", "线索类型", "发生日期", "金额(元)", "情况说明"]
RESULT_HEADER = ["行号", "线索编号", "结果", "原因代码", "原因", "reason", "村代码"]


def id_number(birth, seq, region="130822"):
    """A valid 18-character ID number (GB 11643 MOD 11-2)."""
    body = f"{region}{birth}{seq:03d}"
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w)) % 11]


def bad_check(idn):
    """The same number with a wrong check character."""
    return idn[:17] + ("0" if idn[17] != "0" else "1")


def villages():
    with open(os.path.join(FIXTURE, "villages.csv"), encoding="utf-8") as f:
        return [r["code"] for r in csv.DictReader(f)]


VILLAGES = villages()


def people(year, n):
    """n distinct valid ID numbers born in `year` (distinct years keep the tests apart)."""
    out = []
    for i in range(n):
        day = 1 + i // 900
        out.append(id_number(f"{year}01{day:02d}", i % 900 + 1))
    return out


def write_csv(path, header, rows, encoding="utf-8-sig", newline="\r\n"):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    w.writerow(header)
    w.writerows(rows)
    with open(path, "wb") as f:
        f.write(buf.getvalue().encode(encoding))


def read_results(path):
    """The rows of FILE.results.csv (which must start with a UTF-8 BOM) as dicts."""
    with open(path, "rb") as f:
        data = f.read()
    assert data.startswith(b"\xef\xbb\xbf"), "no BOM in the results file"
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))
    assert rows[0] == RESULT_HEADER, rows[0]
    return [dict(zip(RESULT_HEADER, r)) for r in rows[1:]]


def results_path(path):
    return path[:-4] + ".results.csv"


class Push(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("it_push")
        cls.keys = fp.Keys(cls.ci, fp.SERVICES + ("admin", "dept-yibao", "dept-weijian"))
        cls.keys.register("dept-yibao", SENDER, kind="department", level="county", dept="yibao")
        cls.keys.register("dept-weijian", "dept:130822:weijian", kind="department", level="county",
                          dept="weijian")
        cls.svc = fp.Service("intake", cls.ci, cls.keys, env={
            "FANGPIN_TODAY": TODAY, "FANGPIN_INTAKE_LEADS_PUSH": f"tcp://127.0.0.1:{fp.free_port()}"})
        cls.tmp = tempfile.mkdtemp(prefix="fp-push-", dir=fp.VAR)

    @classmethod
    def tearDownClass(cls):
        cls.svc.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def env(self, **kw):
        e = {"FANGPIN_KEYS_DIR": self.keys.dir, "FANGPIN_INTAKE_CONNECT": self.svc.endpoint,
             "FANGPIN_TIMEOUT_MS": "20000"}
        e.update(kw)
        return e

    def push(self, path, *extra, env=None, dept="yibao", period=PERIOD):
        args = ["push"] + (["--dept", dept] if dept else []) + ["--period", period] + list(extra) + [path]
        return fp.ctl(args, self.ci, check=False, env=env or self.env(), timeout=240)

    def count(self, where="TRUE"):
        return int(fp.sql(self.ci, f"SELECT count(*) FROM leads WHERE sender = '{SENDER}' AND {where}")[0][0])

    def path(self, name):
        return os.path.join(self.tmp, name)

    def test_utf8_bom_chinese_headers_twice(self):
        ids = people(1961, 30)
        rows = []
        for i, idn in enumerate(ids):
            high = i % 3 != 2
            rows.append([f"A{i + 1}", idn, "张三" if i % 2 else "欧阳·娜娜", VILLAGES[i % len(VILLAGES)],
                         "yibao.high_cost" if high else "yibao.uninsured", f"2026-10-{1 + i % 28:02d}",
                         f"{1000 + i}.50" if high else "", "住院自付, 费用\"较高\"\n第二行" if i == 4 else "门诊"])
        path = self.path("utf8.csv")
        write_csv(path, ZH_HEADER, rows)
        before = self.count()
        out = self.push(path, "--chunk", "7", "--window", "2")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("30 accepted", out.stdout)
        self.assertIn("utf-8", out.stdout)
        res = read_results(results_path(path))
        self.assertEqual([r["行号"] for r in res], [f"A{i + 1}" for i in range(30)])
        self.assertEqual({r["结果"] for r in res}, {"accepted"})
        lead_ids = [int(r["线索编号"]) for r in res]
        self.assertEqual(len(set(lead_ids)), 30)
        self.assertEqual(self.count(), before + 30)
        # what was stored is what the file says
        row = fp.sql(self.ci, f"SELECT name, village_code, kind, occurred_on, amount_fen,"
                              f" replace(detail, chr(10), '<LF>'), line_ref FROM leads WHERE id = {lead_ids[4]}")
        self.assertEqual(row, [("欧阳·娜娜", VILLAGES[4], "yibao.high_cost", "2026-10-05", "100450",
                                "住院自付, 费用\"较高\"<LF>第二行", "A5")])
        row = fp.sql(self.ci, f"SELECT kind, amount_fen IS NULL FROM leads WHERE id = {lead_ids[2]}")
        self.assertEqual(row, [("yibao.uninsured", "t")])
        self.assertEqual(fp.sql(self.ci, "SELECT count(DISTINCT batch_id) FROM leads WHERE id IN (%s)"
                                % ",".join(map(str, lead_ids))), [("5",)])

        # the same command again: the stored answers, nothing new
        again = self.push(path, "--chunk", "7", "--window", "2")
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertEqual(self.count(), before + 30)
        res2 = read_results(results_path(path))
        self.assertEqual([int(r["线索编号"]) for r in res2], lead_ids)

        # another chunk size makes other batches: every line comes back as already received
        third = self.push(path, "--chunk", "11")
        self.assertEqual(third.returncode, 0, third.stdout + third.stderr)
        self.assertIn("30 already received", third.stdout)
        self.assertEqual(self.count(), before + 30)
        res3 = read_results(results_path(path))
        self.assertEqual({r["结果"] for r in res3}, {"duplicate"})
        self.assertEqual([int(r["线索编号"]) for r in res3], lead_ids)
        self.assertEqual({r["原因代码"] for r in res3}, {"duplicate.earlier"})

    def test_gbk_english_headers(self):
        ids = people(1962, 12)
        header = [" ID_Number ", "Name", "Village_Code", "KIND", "date", "Amount", "remark", "Detail"]
        rows = [[idn, "李四", "130822112201", "yibao.high_cost", "2026/10/5" if i == 0 else "2026-10-06",
                 "1,234.50" if i == 1 else "88", "ignored", "三道河镇"] for i, idn in enumerate(ids)]
        rows.append(["", "", "", "", "", "", "", ""])  # Excel's empty lines below the data
        path = self.path("gbk.csv")
        write_csv(path, header, rows, encoding="gbk")
        with open(path, "rb") as f:
            self.assertNotIn(b"\xef\xbb\xbf", f.read(3))
        before = self.count()
        out = self.push(path)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("gbk", out.stdout)
        res = read_results(results_path(path))
        self.assertEqual([r["行号"] for r in res], [str(n) for n in range(2, 14)])  # no ref column: line numbers
        self.assertEqual({r["结果"] for r in res}, {"accepted"})
        self.assertEqual(self.count(), before + 12)
        first = int(res[0]["线索编号"])
        self.assertEqual(fp.sql(self.ci, f"SELECT name, occurred_on, detail FROM leads WHERE id = {first}"),
                         [("李四", "2026-10-05", "三道河镇")])
        self.assertEqual(fp.sql(self.ci, f"SELECT amount_fen FROM leads WHERE id = {int(res[1]['线索编号'])}"),
                         [("123450",)])
        again = self.push(path)
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertEqual(self.count(), before + 12)

    def test_refused_lines(self):
        ids = people(1963, 8)
        rows = [
            ["1", ids[0], "王五", "130822112201", "yibao.high_cost", "2026-10-01", "500", "ok"],
            ["2", bad_check(ids[1]), "王五", "130822112201", "yibao.high_cost", "2026-10-01", "500", ""],
            ["3", ids[2], "王五", "130821100001", "yibao.high_cost", "2026-10-01", "500", ""],
            ["4", ids[3], "王五", "130822112201", "weijian.serious_illness", "2026-10-01", "", ""],
            ["5", ids[4], "王五", "130822112201", "yibao.high_cost", "2026-12-01", "500", ""],
            ["6", ids[5], "王五", "130822112201", "yibao.high_cost", "2026-10-01", "12.345", ""],
            ["7", ids[6], "王五", "130822112201", "yibao.uninsured", "2026-10-02", "", ""],
            ["8", ids[6], "王五", "130822112201", "yibao.uninsured", "2026-10-02", "", "again"],
        ]
        path = self.path("bad.csv")
        write_csv(path, ZH_HEADER, rows)
        before = self.count()
        out = self.push(path)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        res = {r["行号"]: r for r in read_results(results_path(path))}
        self.assertEqual(len(res), 8)
        want = {"1": ("accepted", ""), "2": ("rejected", "idcard.checksum"),
                "3": ("rejected", "village.out_of_scope"), "4": ("rejected", "kind.not_allowed"),
                "5": ("rejected", "date.future"), "6": ("rejected", "amount.format"),
                "7": ("accepted", ""), "8": ("duplicate", "duplicate.in_batch")}
        self.assertEqual({k: (v["结果"], v["原因代码"]) for k, v in res.items()}, want)
        for k in ("2", "3", "4", "5", "6"):
            self.assertTrue(res[k]["原因"] and res[k]["reason"], res[k])
            self.assertIn(f"{path}:{int(k) + 1}", out.stderr)
            self.assertIn(want[k][1], out.stderr)
        self.assertIn("12.345", res["6"]["reason"])
        self.assertEqual(res["8"]["线索编号"], res["7"]["线索编号"])
        self.assertEqual(self.count(), before + 2)
        self.assertIn("5 refused (1 here, 4 by the service)", out.stdout)

    def test_last_line_and_formula_ref(self):
        """A file whose last line has no line break sends that line too; a reference that a
        spreadsheet would take for a formula comes back in FILE.results.csv behind an apostrophe."""
        ids = people(1972, 2)
        rows = [["=1+1", ids[0], "冯十一", "130822112201", "yibao.uninsured", "2026-10-03", "", ""],
                ["2", ids[1], "冯十一", "130822112201", "yibao.uninsured", "2026-10-03", "", ""]]
        path = self.path("last.csv")
        write_csv(path, ZH_HEADER, rows)
        with open(path, "rb") as f:
            data = f.read()
        self.assertTrue(data.endswith(b"\r\n"))
        with open(path, "wb") as f:
            f.write(data[:-2])
        before = self.count()
        out = self.push(path)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        res = read_results(results_path(path))
        self.assertEqual([r["行号"] for r in res], ["'=1+1", "2"])
        self.assertEqual({r["结果"] for r in res}, {"accepted"})
        self.assertEqual(self.count(), before + 2)

    def test_missing_column(self):
        header = ["身份证号", "姓名", "线索类型", "发生日期", "金额(元)"]
        path = self.path("missing.csv")
        write_csv(path, header, [[id_number("19640101", 1), "赵六", "yibao.uninsured", "2026-10-01", ""]])
        before = self.count()
        out = self.push(path)
        self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
        self.assertIn("village_code", out.stderr)
        self.assertIn("村代码", out.stderr)
        self.assertIn('"发生日期"', out.stderr)  # what was found is listed
        self.assertFalse(os.path.exists(results_path(path)))
        self.assertEqual(self.count(), before)

    def test_usage_errors(self):
        path = self.path("usage.csv")
        write_csv(path, ZH_HEADER, [["1", id_number("19650101", 1), "孙七", "130822112201", "yibao.uninsured",
                                     "2026-10-01", "", ""]])
        cases = [
            (["push", "--dept", "yibao", path], "--period"),
            (["push", "--dept", "yibao", "--period", "2026-13", path], "YYYY-MM"),
            (["push", "--dept", "yibao", "--period", PERIOD], "file"),
            (["push", "--dept", "yibao", "--period", PERIOD, "--chunk", "0", path], "--chunk"),
            (["push", "--dept", "yibao", "--period", PERIOD, "--bogus", path], "--bogus"),
            (["push", "--dept", "yibao", "--period", PERIOD, self.path("nope.csv")], "nope.csv"),
            (["push", "--dept", "nobody", "--period", PERIOD, path], "dept-nobody.key_secret"),
            (["push", "--key", self.keys.path("dept-yibao"), "--period", PERIOD, path], "secret"),
        ]
        for args, text in cases:
            with self.subTest(args=args):
                out = fp.ctl(args, self.ci, check=False, env=self.env())
                self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
                self.assertIn(text, out.stderr)
        # a file that is neither UTF-8 nor GBK, and a malformed CSV line
        with open(self.path("binary.csv"), "wb") as f:
            f.write(b"\xff\xfe\xfa\xfb\x00\x01")
        out = self.push(self.path("binary.csv"))
        self.assertEqual(out.returncode, 2, out.stderr)
        with open(self.path("quote.csv"), "w", encoding="utf-8") as f:
            f.write(",".join(ZH_HEADER) + "\n1,x,y\"z,1,2,3,4,5\n")
        out = self.push(self.path("quote.csv"))
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn("quote.csv:2:", out.stderr)
        self.assertEqual(self.count("name = '孙七'"), 0)

    def test_key_from_client_cert(self):
        """Without --dept the key is FANGPIN_CLIENT_CERT (here the health commission's)."""
        path = self.path("weijian.csv")
        write_csv(path, ZH_HEADER, [["1", id_number("19660101", 1), "周八", "130822112201",
                                     "weijian.serious_illness", "2026-10-01", "", ""]])
        out = self.push(path, dept=None, env=self.env(FANGPIN_CLIENT_CERT=self.keys.path("dept-weijian", True)))
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM leads WHERE sender = 'dept:130822:weijian'"),
                         [("1",)])

    def test_batch_refused_as_a_whole(self):
        path = self.path("future.csv")
        write_csv(path, ZH_HEADER, [["1", id_number("19670101", 1), "吴九", "130822112201", "yibao.uninsured",
                                     "2026-10-01", "", ""]])
        out = self.push(path, period="2027-01")  # a month that has not begun
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn("BAD_REQUEST", out.stderr)
        res = read_results(results_path(path))
        self.assertEqual([(r["结果"], r["原因代码"]) for r in res], [("failed", "push.bad_request")])

    def test_service_down(self):
        path = self.path("down.csv")
        write_csv(path, ZH_HEADER, [[str(i), id_number("19680101", i), "郑十", "130822112201", "yibao.uninsured",
                                     "2026-10-01", "", ""] for i in range(1, 6)])
        env = self.env(FANGPIN_INTAKE_CONNECT=f"tcp://127.0.0.1:{fp.free_port()}", FANGPIN_TIMEOUT_MS="300")
        out = self.push(path, "--retries", "1", env=env)  # gives up (a hang fails on push's timeout)
        self.assertEqual(out.returncode, 3, out.stdout + out.stderr)
        self.assertIn("no answer", out.stderr)
        res = read_results(results_path(path))
        self.assertEqual({(r["结果"], r["原因代码"]) for r in res}, {("failed", "push.unreachable")})
        self.assertEqual(len(res), 5)

    def big_file(self, name, year, n):
        rows = [[str(i + 1), idn, "钱一", VILLAGES[i % len(VILLAGES)], "yibao.uninsured", "2026-10-03", "", ""]
                for i, idn in enumerate(people(year, n))]
        path = self.path(name)
        write_csv(path, ZH_HEADER, rows)
        return path, rows

    def test_service_stopped_mid_push(self):
        """The service freezes (SIGSTOP) while chunks are in flight: push times out, reconnects,
        resends the same batches, and every line is stored once."""
        n = 2700
        path, rows = self.big_file("stopped.csv", 1969, n)
        start = self.count()
        env = self.env(FANGPIN_TIMEOUT_MS="1000")
        args = ["push", "--dept", "yibao", "--period", PERIOD, "--chunk", "10", "--window", "3",
                "--retries", "20", path]
        proc = subprocess.Popen([os.path.join(fp.BUILD, "fangpinctl")] + args, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=dict(os.environ, FANGPIN_PG=self.ci, **env))
        out_s, err_s = fp.Stream(proc.stdout), fp.Stream(proc.stderr)
        fp.wait_for(lambda: self.count() > start or proc.poll() is not None, 60, 0.01, "first leads stored")
        self.svc.proc.send_signal(signal.SIGSTOP)
        try:
            self.assertIsNone(proc.poll(), "push finished before the service was stopped: make the file larger")
            err_s.wait(lambda t: "no answer for chunk" in t, 60, "push to time out on the frozen service")
        finally:
            self.svc.proc.send_signal(signal.SIGCONT)
        proc.wait(180)
        out, err = out_s.close(), err_s.close()
        self.assertEqual(proc.returncode, 0, out + err)
        self.assertIn("no answer for chunk", err)
        self.assertEqual(self.count() - start, n)
        res = read_results(results_path(path))
        self.assertEqual(len(res), n)
        self.assertEqual({r["结果"] for r in res}, {"accepted"})
        self.assertEqual(len({r["线索编号"] for r in res}), n)

    def test_push_killed_and_run_again(self):
        """push killed (SIGKILL) part-way; the same command again completes, each line once."""
        path, rows = self.big_file("killed.csv", 1970, 2000)
        start = self.count()
        args = ["push", "--dept", "yibao", "--period", PERIOD, "--chunk", "40", "--window", "1", path]
        proc = subprocess.Popen([os.path.join(fp.BUILD, "fangpinctl")] + args, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=dict(os.environ, FANGPIN_PG=self.ci, **self.env()))
        fp.wait_for(lambda: self.count() > start or proc.poll() is not None, 60, 0.01, "first leads stored")
        proc.kill()
        proc.wait()
        partial = self.count() - start
        self.assertGreater(partial, 0)
        out = self.push(path, "--chunk", "40", "--window", "1")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertEqual(self.count() - start, 2000)
        res = read_results(results_path(path))
        self.assertEqual(len(res), 2000)
        self.assertEqual({r["结果"] for r in res}, {"accepted"})
        self.assertIn("2000 accepted", out.stdout)


class PushDatabaseDown(unittest.TestCase):
    """The service's database goes away before the push: the service answers UNAVAILABLE, push
    retries with backoff, the database comes back, and every line is stored once."""

    @classmethod
    def setUpClass(cls):
        cls.pg = fp.PrivateCluster("push-dbdown")
        fp.sql(cls.pg.conninfo(), "CREATE DATABASE fangpin")
        cls.ci = cls.pg.conninfo("fangpin")
        fp.ctl(["migrate"], cls.ci)
        fp.ctl(["regions", "import"] + fp.FIXTURE_130822, cls.ci)
        cls.keys = fp.Keys(cls.ci, fp.SERVICES + ("admin", "dept-yibao"))
        cls.keys.register("dept-yibao", SENDER, kind="department", level="county", dept="yibao")
        cls.tmp = tempfile.mkdtemp(prefix="fp-push-db-", dir=fp.VAR)

    @classmethod
    def tearDownClass(cls):
        cls.pg.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_unavailable_then_back(self):
        svc = fp.Service("intake", self.ci, self.keys, env={
            "FANGPIN_TODAY": TODAY, "FANGPIN_INTAKE_LEADS_PUSH": f"tcp://127.0.0.1:{fp.free_port()}"})
        try:
            path = os.path.join(self.tmp, "dbdown.csv")
            write_csv(path, ZH_HEADER, [[str(i + 1), idn, "冯二", VILLAGES[i], "yibao.uninsured", "2026-10-07", "",
                                         ""] for i, idn in enumerate(people(1971, 60))])
            self.pg.stop()
            try:
                fp.wait_for(lambda: fp.http_get(svc.http + "/readyz")[0] == 503, 15, what="intake not ready")
                env = dict(os.environ, FANGPIN_PG=self.ci, FANGPIN_KEYS_DIR=self.keys.dir,
                           FANGPIN_INTAKE_CONNECT=svc.endpoint, FANGPIN_TIMEOUT_MS="5000")
                proc = subprocess.Popen([os.path.join(fp.BUILD, "fangpinctl"), "push", "--dept", "yibao",
                                         "--period", PERIOD, "--chunk", "25", "--retries", "12", path],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                out_s, err_s = fp.Stream(proc.stdout), fp.Stream(proc.stderr)
                err_s.wait(lambda t: "unavailable" in t, 60, "push to be answered UNAVAILABLE")
            finally:
                self.pg.start()
            proc.wait(120)
            out, err = out_s.close(), err_s.close()
            self.assertEqual(proc.returncode, 0, out + err)
            self.assertIn("unavailable", err)
            self.assertIn("60 accepted", out)
            self.assertEqual(fp.sql(self.ci, "SELECT count(*), count(DISTINCT id_hmac) FROM leads"), [("60", "60")])
        finally:
            svc.stop()


if __name__ == "__main__":
    fp.main()
