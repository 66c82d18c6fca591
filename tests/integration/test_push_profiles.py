"""test_push_profiles.py: column profiles through the real intake service and `fangpinctl`
(issue 20, docs/push.md "Column profiles"): the two demo profiles and a test one added, an add
of the same text adding nothing, a new version, list and show (an old version too), a profile
with a mistake refused by its line; `fangpinctl push --profile` of a civil-affairs export in GBK
(a title line above the header, 年月日 dates, amounts in 万元, Chinese kind names, kept columns)
and of a medical-insurance export in UTF-8 (20261003 dates, a fixed kind, NAME@VERSION); another
department's profile, an unknown one and a retired one refused with a clear reason."""
import csv
import io
import os
import shutil
import tempfile
import unittest

import fp
from fangpin.v1 import common_pb2, intake_pb2

Code = common_pb2.Code
TODAY = "2026-11-24"
V1 = "130822112204"  # 三道河村 (tests/fixtures/regions/130822)
V2 = "130822112201"  # 花水村

# civil affairs' 低保 export, with the village as its code (village names land separately)
MINZHENG = """# 低保对象变动明细（村代码）
header_row  = 2
line_ref    = 序号
name        = 户主姓名
id_number   = 身份证号码
village     = 村（社区）代码
kind        = 变动类型
occurred_on = 变动日期
amount      = 保障金额（万元）
detail      = 备注
date_format = YYYY年M月D日
amount_unit = 万元
keep        = 保障人数
"""

YIBAO = """line_ref    = 结算单号
name        = 参保人姓名
id_number   = 证件号码
village     = 村代码
kind        = "医疗费用个人负担较重"
occurred_on = 结算日期
amount      = 个人负担金额（元）
date_format = YYYYMMDD
keep        = 费用类别, 就诊机构
"""


def csv_bytes(rows, encoding):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


class PushProfiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("it_push_profiles")
        cls.keys = fp.Keys(cls.ci, fp.SERVICES + ("admin", "dept-yibao", "dept-minzheng"))
        cls.keys.register("dept-yibao", "dept:130822:yibao", kind="department", level="county", dept="yibao")
        cls.keys.register("dept-minzheng", "dept:130822:minzheng", kind="department", level="county",
                          dept="minzheng")
        cls.svc = fp.Service("intake", cls.ci, cls.keys, env={
            "FANGPIN_TODAY": TODAY, "FANGPIN_INTAKE_LEADS_PUSH": f"tcp://127.0.0.1:{fp.free_port()}"})
        cls.tmp = tempfile.mkdtemp(prefix="fp-profiles-", dir=fp.VAR)

    @classmethod
    def tearDownClass(cls):
        cls.svc.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
        return path

    def profile(self, *args):
        return fp.ctl(["profile"] + list(args), self.ci, check=False)

    def push(self, dept, path, *more):
        env = {"FANGPIN_KEYS_DIR": self.keys.dir, "FANGPIN_INTAKE_CONNECT": self.svc.endpoint,
               "FANGPIN_TIMEOUT_MS": "20000"}
        return fp.ctl(["push", "--dept", dept, "--period", "2026-10"] + list(more) + [path], self.ci, check=False,
                      env=env)

    def test_1_add_list_show_versions(self):
        demo = os.path.join(fp.SOURCE, "deploy", "profiles")
        for name, dept in (("minzheng-dibao", "minzheng"), ("yibao-high-cost", "yibao")):
            p = self.profile("add", name, "--dept", dept, "--file", os.path.join(demo, name + ".ini"), "--by", "it")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn(f"added profile {name} version 1 for 130822/{dept}", p.stdout)
        p = self.profile("add", "mz-codes", "--dept", "minzheng", "--file",
                         self.write("v1.ini", MINZHENG.replace("keep        = 保障人数\n", "")))
        self.assertIn("version 1", p.stdout, p.stderr)
        v2 = self.write("v2.ini", MINZHENG)
        p = self.profile("add", "mz-codes", "--dept", "minzheng", "--file", v2)
        self.assertIn("added profile mz-codes version 2", p.stdout, p.stderr)
        p = self.profile("add", "mz-codes", "--dept", "minzheng", "--file", v2)  # the same text again
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("version 2 for 130822/minzheng already has this text: nothing added", p.stdout)
        p = self.profile("add", "yb", "--dept", "yibao", "--file", self.write("yb.ini", YIBAO))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM push_profiles"), [("5",)])

        p = self.profile("list", "--dept", "minzheng")
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = [l.split() for l in p.stdout.splitlines()[1:]]
        self.assertEqual([(r[2], r[3], r[4]) for r in rows], [("minzheng-dibao", "1", "live"), ("mz-codes", "2", "live")])
        p = self.profile("show", "mz-codes")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("# profile mz-codes version 2 of 2 (130822/minzheng)", p.stdout)
        self.assertIn("keep        = 保障人数", p.stdout)
        p = self.profile("show", "mz-codes", "--version", "1")
        self.assertIn("version 1 of 2", p.stdout, p.stderr)
        self.assertNotIn("keep", p.stdout)

        # a mistake is refused by its line, and nothing is stored
        bad = self.write("bad.ini", "name = 姓名\nid_number = 身份证号\nvillage = 村\nkind = 类型\n"
                                    "occurred_on = 日期\nname = 户主姓名\n")
        p = self.profile("add", "bad", "--dept", "yibao", "--file", bad)
        self.assertEqual(p.returncode, 2, p.stdout)
        self.assertIn("line 6: name is mapped twice (first on line 1)", p.stderr)
        missing = self.write("missing.ini", "name = 姓名\nid_number = 身份证号\nvillage = 村\nkind = 类型\n")
        p = self.profile("add", "bad", "--dept", "yibao", "--file", missing)
        self.assertEqual(p.returncode, 2, p.stdout)
        self.assertIn("occurred_on is not mapped", p.stderr)
        p = self.profile("add", "bad", "--dept", "nosuch", "--file", v2)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("no department nosuch", p.stderr)
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM push_profiles WHERE name = 'bad'"), [("0",)])

    def test_2_push_gbk_through_a_profile(self):
        rows = [["2026年10月低保对象变动明细表"],
                ["序号", "户主姓名", "身份证号码", "乡镇（街道）", "村（社区）代码", "变动类型", "变动日期",
                 "保障金额（万元）", "保障人数", "备注"],
                ["1", "刘一", fp.id_number(21, "19600101"), "三道河镇", V1, "新纳入低保", "2026年10月3日", "0.00015",
                 "2", "因病"],
                ["2", "刘二", fp.id_number(22, "19600101"), "三道河镇", V2, "新纳入特困供养", "2026年9月30日",
                 "0.6", "1", ""],
                ["3", "刘三", fp.id_number(23, "19600101"), "三道河镇", V2, "新纳入低保", "2026年2月30日", "0.1",
                 "1", ""],
                ["4", "刘四", fp.id_number(24, "19600101"), "三道河镇", V2, "新纳入低保", "2026年10月5日",
                 "0.0000001", "1", ""]]
        path = self.write("dibao.csv", csv_bytes(rows, "gbk"))
        p = self.push("minzheng", path, "--profile", "mz-codes")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)  # lines 3 and 4 refused
        self.assertIn("(gbk, period 2026-10, profile mz-codes@2)", p.stdout)
        self.assertIn("4 lines in 1 batch: 2 accepted, 0 already received, 2 refused (1 here, 1 by the service)",
                      p.stdout)
        got = fp.sql(self.ci, "SELECT line_ref, kind, village_code, occurred_on::text, amount_fen::text, detail"
                              " FROM leads WHERE sender = 'dept:130822:minzheng' ORDER BY line_ref")
        self.assertEqual(got, [("1", "minzheng.dibao_new", V1, "2026-10-03", "150", "因病；保障人数：2"),
                               ("2", "minzheng.tekun_new", V2, "2026-09-30", "600000", "保障人数：1")])
        results = path[:-4] + ".results.csv"
        with open(results, encoding="utf-8-sig") as f:  # the header first: the title line is not kept
            res = {r["序号"]: r for r in csv.DictReader(f)}
        self.assertEqual(res["3"]["原因代码"], "date.format")  # 2026-02-30 went to intake, which says it is no date
        self.assertEqual(res["4"]["原因代码"], "amount.format")
        self.assertIn("万元", res["4"]["原因"])
        self.assertEqual([res[k]["结果"] for k in "1234"], ["接收", "接收", "退回", "退回"])
        # the clerk corrects line 3 in the results file and pushes it again under the same profile
        with open(results, encoding="utf-8-sig", newline="") as f:
            sheet = list(csv.reader(f))
        sheet[3][sheet[0].index("变动日期")] = "2026年10月30日"
        path2 = self.write("dibao-again.csv", csv_bytes(sheet, "utf-8-sig"))
        p = self.push("minzheng", path2, "--profile", "mz-codes")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)  # line 4 still refused
        self.assertIn("4 lines in 1 batch: 1 accepted, 2 already received, 1 refused (1 here, 0 by the service)",
                      p.stdout)

    def test_3_push_utf8_by_version(self):
        rows = [["结算单号", "参保人姓名", "证件号码", "村代码", "结算日期", "费用类别", "个人负担金额（元）",
                 "就诊机构"],
                ["JS001", "陈一", fp.id_number(31, "19580101"), V1, "20261003", "住院", "12,345.6", "县医院"],
                ["JS002", "陈二", fp.id_number(32, "19580101"), V2, "20261009", "门诊慢特病", "8000", ""]]
        path = self.write("yibao.csv", csv_bytes(rows, "utf-8-sig"))
        p = self.push("yibao", path, "--profile", "yb@1")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("(utf-8, period 2026-10, profile yb@1)", p.stdout)
        got = fp.sql(self.ci, "SELECT line_ref, kind, occurred_on::text, amount_fen::text, detail FROM leads"
                              " WHERE sender = 'dept:130822:yibao' ORDER BY line_ref")
        self.assertEqual(got, [("JS001", "yibao.high_cost", "2026-10-03", "1234560", "费用类别：住院；就诊机构：县医院"),
                               ("JS002", "yibao.high_cost", "2026-10-09", "800000", "费用类别：门诊慢特病")])
        # the file's layout is not the profile's: named columns missing, nothing sent
        other = self.write("other.csv", csv_bytes([["姓名", "身份证号"], ["x", "y"]], "utf-8"))
        p = self.push("yibao", other, "--profile", "yb")
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("no column for id_number (the profile names it '证件号码')", p.stderr)
        self.assertIn("fangpinctl profile show yb", p.stderr)

    def test_4_refused_profiles(self):
        path = self.write("any.csv", csv_bytes([["a"], ["b"]], "utf-8"))
        before = fp.sql(self.ci, "SELECT count(*) FROM lead_batches")
        for dept, name, why in (("yibao", "mz-codes", "department yibao has no live column profile mz-codes"),
                                ("minzheng", "yibao-high-cost", "department minzheng has no live column profile"),
                                ("yibao", "nosuch", "profile nosuch"),
                                ("yibao", "yb@7", "no live column profile yb@7")):
            p = self.push(dept, path, "--profile", name)
            self.assertEqual(p.returncode, 2, (name, p.stdout, p.stderr))
            self.assertIn("refused: profile.unknown", p.stderr, name)
            self.assertIn(why, p.stderr, name)
        p = self.push("yibao", path, "--profile", "yb@x")
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("write NAME or NAME@VERSION", p.stderr)
        # straight through the protocol: a department reads its own, an actor none
        c = self.svc.client("dept-yibao")
        try:
            r = c.call(intake_pb2.IntakeRequest(request_id="gp1", get_push_profile=intake_pb2.GetPushProfile(
                name="yibao-high-cost")), intake_pb2.IntakeReply, 20000)
        finally:
            c.close()
        self.assertEqual(r.status.code, Code.OK, r.status)
        self.assertEqual((r.push_profile.name, r.push_profile.version, r.push_profile.department),
                         ("yibao-high-cost", 1, "yibao"))
        self.assertIn("kind        = \"医疗费用个人负担较重\"", r.push_profile.body)
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM lead_batches"), before)

    def test_5_remove_retires(self):
        p = self.profile("remove", "mz-codes", "--by", "it")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("retired profile mz-codes of 130822/minzheng (2 versions", p.stdout)
        path = self.write("dibao2.csv", csv_bytes([["x"]], "utf-8"))
        p = self.push("minzheng", path, "--profile", "mz-codes@2")
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("profile.unknown", p.stderr)
        p = self.profile("show", "mz-codes", "--version", "1")  # still readable
        self.assertIn("retired by it", p.stdout, p.stderr)
        p = self.profile("list", "--dept", "minzheng")
        self.assertIn("retired", p.stdout)
        p = self.profile("add", "mz-codes", "--dept", "minzheng", "--file", self.write("v3.ini", MINZHENG))
        self.assertIn("added profile mz-codes version 3", p.stdout, p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
