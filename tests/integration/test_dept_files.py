"""test_dept_files.py: department files as departments write them (issue 20), through the real
intake service and `fangpinctl push`, read by the two column profiles that ship in
deploy/profiles/ (docs/push.md):

- 民政局's 低保 change list as its system exports it: a GBK CSV with a title line above the
  header, the township and the village by name in two columns (with and without 村民委员会, in
  traditional characters once), 变动类型 in the system's own words, dates as 2026年10月3日, the
  allowance in 万元. A word the catalogue does not know (低保新增) is refused with the closest
  kinds; a village named without its township, where 兴隆县 has two of that name, is refused with
  both candidates. The county adds the alias, the clerk writes the township in the results file
  and pushes that file again: both lines are taken, the others come back as already received.
- 医保局's list of high personal costs as an XLSX: the village in an address column
  (河北省承德市兴隆县三道河镇花水村3组), the settlement date 20261003 as a number cell, amounts in 元,
  every line one kind given by its Chinese name in the profile, cost columns kept in the detail.

Each stored lead is checked: kind code, village code, date, amount in fen, detail."""
import csv
import os
import shutil
import tempfile
import unittest

import fp
from test_push_xlsx import write_xlsx

TODAY = "2026-11-24"
PROFILES = os.path.join(fp.SOURCE, "deploy", "profiles")
HUASHUI = "130822112201"  # 花水村民委员会, 三道河镇
SANDAOHE = "130822112204"  # 三道河村民委员会, 三道河镇
YUSHUGOU = ("130822101210", "130822108214")  # 榆树沟村民委员会 of 半壁山镇 and 蓝旗营镇
DIBAO_HEADER = ["序号", "户主姓名", "身份证号码", "乡镇（街道）", "村（社区）", "变动类型", "变动日期",
                "保障金额（万元）", "保障人数", "低保类别", "备注"]


def person(seq):
    return fp.id_number(seq, "19580101")


class DeptFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("it_dept_files")
        cls.keys = fp.Keys(cls.ci, fp.SERVICES + ("admin", "dept-yibao", "dept-minzheng"))
        for dept in ("yibao", "minzheng"):
            cls.keys.register(f"dept-{dept}", f"dept:130822:{dept}", kind="department", level="county", dept=dept)
        cls.svc = fp.Service("intake", cls.ci, cls.keys, env={
            "FANGPIN_TODAY": TODAY, "FANGPIN_INTAKE_LEADS_PUSH": f"tcp://127.0.0.1:{fp.free_port()}"})
        cls.tmp = tempfile.mkdtemp(prefix="fp-deptfiles-", dir=fp.VAR)
        for name, dept in (("minzheng-dibao", "minzheng"), ("yibao-high-cost", "yibao")):
            fp.ctl(["profile", "add", name, "--dept", dept, "--file", os.path.join(PROFILES, name + ".ini")], cls.ci)

    @classmethod
    def tearDownClass(cls):
        cls.svc.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def push(self, dept, path, profile):
        env = {"FANGPIN_KEYS_DIR": self.keys.dir, "FANGPIN_INTAKE_CONNECT": self.svc.endpoint,
               "FANGPIN_TIMEOUT_MS": "20000"}
        return fp.ctl(["push", "--dept", dept, "--period", "2026-10", "--profile", profile, path], self.ci,
                      check=False, env=env)

    def leads(self, dept):
        return fp.sql(self.ci, "SELECT line_ref, kind, village_code, occurred_on::text, amount_fen::text, detail"
                               f" FROM leads WHERE sender = 'dept:130822:{dept}' ORDER BY line_ref")

    @staticmethod
    def results(path):
        with open(path, encoding="utf-8-sig", newline="") as f:
            return list(csv.reader(f))

    def test_1_minzheng_gbk_export(self):
        rows = [
            ["1", "孙一", person(1), "三道河镇", "花水村民委员会", "新纳入低保", "2026年10月3日", "0.4632", "1", "A类", "因病"],
            ["2", "孙二", person(2), "三道河鎮", "三道河", "临时救助", "2026年10月9日", "0.2", "3", "", ""],
            ["3", "孙三", person(3), "三道河镇", "花水", "低保新增", "2026年10月12日", "1.0080", "2", "B类", ""],
            ["4", "孙四", person(4), "", "榆树沟", "新纳入低保", "2026年10月20日", "0.5040", "1", "C类", "因残"],
        ]
        title = "兴隆县2026年10月低保对象变动明细表\r\n"
        body = "".join(",".join(r) + "\r\n" for r in [DIBAO_HEADER] + rows)
        path = os.path.join(self.tmp, "低保变动2026年10月.csv")
        with open(path, "wb") as f:
            f.write((title + body).encode("gbk"))
        p = self.push("minzheng", path, "minzheng-dibao")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("(gbk, period 2026-10, profile minzheng-dibao@1): 4 lines in 1 batch: 2 accepted, "
                      "0 already received, 2 refused (0 here, 2 by the service)", p.stdout)
        self.assertEqual(self.leads("minzheng"), [
            ("1", "minzheng.dibao_new", HUASHUI, "2026-10-03", "463200", "因病；保障人数：1；低保类别：A类"),
            ("2", "minzheng.temp_relief", SANDAOHE, "2026-10-09", "200000", "保障人数：3")])

        sheet = self.results(path[:-4] + ".results.csv")
        head = sheet[0]
        self.assertEqual(head[:len(DIBAO_HEADER)], DIBAO_HEADER)  # the header first, the title not kept
        col = {name: head.index(name) for name in ("结果", "原因代码", "原因", "解析线索类型", "解析村代码")}
        by_ref = {r[0]: r for r in sheet[1:]}
        self.assertEqual([(by_ref[k][col["结果"]], by_ref[k][col["解析线索类型"]], by_ref[k][col["解析村代码"]])
                          for k in "12"],
                         [("接收", "minzheng.dibao_new", HUASHUI), ("接收", "minzheng.temp_relief", SANDAOHE)])
        unknown, ambiguous = by_ref["3"], by_ref["4"]
        self.assertEqual(unknown[col["原因代码"]], "kind.unknown")
        self.assertIn("新纳入低保", unknown[col["原因"]])  # the closest kinds this department may push
        self.assertEqual(ambiguous[col["原因代码"]], "village.ambiguous")
        for code in YUSHUGOU:
            self.assertIn(code, ambiguous[col["原因"]])

        # the county adds the system's word as an alias; the clerk writes the township of line 4 in
        # the results file and pushes that file again, as it is
        fp.ctl(["kinds", "alias", "add", "--county", "130822", "--dept", "minzheng", "--alias", "低保新增",
                "--kind", "minzheng.dibao_new"], self.ci)
        ambiguous[head.index("乡镇（街道）")] = "蓝旗营镇"
        again = os.path.join(self.tmp, "低保变动2026年10月.results-corrected.csv")
        with open(again, "w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f, lineterminator="\r\n").writerows(sheet)
        p = self.push("minzheng", again, "minzheng-dibao")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("4 lines in 1 batch: 2 accepted, 2 already received, 0 refused", p.stdout)
        got = self.leads("minzheng")
        self.assertEqual(got[2:], [
            ("3", "minzheng.dibao_new", HUASHUI, "2026-10-12", "1008000", "保障人数：2；低保类别：B类"),
            ("4", "minzheng.dibao_new", YUSHUGOU[1], "2026-10-20", "504000", "因残；保障人数：1；低保类别：C类")])
        final = {r[0]: r for r in self.results(again[:-4] + ".results.csv")[1:]}
        self.assertEqual([final[k][col["结果"]] for k in "1234"], ["已接收", "已接收", "接收", "接收"])

    def test_2_yibao_xlsx_with_an_address_column(self):
        header = ["结算单号", "参保人姓名", "证件号码", "住址", "费用类别", "结算日期", "个人负担金额（元）",
                  "医疗总费用（元）", "统筹基金支付（元）", "就诊机构"]
        rows = [
            ["JS-0001", "周一", person(11), "河北省承德市兴隆县三道河镇花水村3组", "住院", 20261003, 12345.6, 30000,
             17654.4, "兴隆县医院"],
            ["JS-0002", "周二", person(12), "兴隆县蓝旗营镇榆树沟村", "门诊慢特病", 20261009, "8,000.00", None, None,
             None],
            ["JS-0003", "周三", person(13), "兴隆县榆树沟村", "住院", 20261011, 5000, None, None, None],
        ]
        path = os.path.join(self.tmp, "个人负担较重人员名单.xlsx")
        write_xlsx(path, header, rows)
        p = self.push("yibao", path, "yibao-high-cost")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("(xlsx, period 2026-10, profile yibao-high-cost@1): 3 lines in 1 batch: 2 accepted", p.stdout)
        self.assertEqual(self.leads("yibao"), [
            ("JS-0001", "yibao.high_cost", HUASHUI, "2026-10-03", "1234560",
             "费用类别：住院；医疗总费用（元）：30000；统筹基金支付（元）：17654.4；就诊机构：兴隆县医院"),
            ("JS-0002", "yibao.high_cost", YUSHUGOU[1], "2026-10-09", "800000", "费用类别：门诊慢特病")])
        res = {r[0]: r for r in self.results(path[:-5] + ".results.csv")}
        head = res["结算单号"]
        self.assertEqual(head[:len(header)], header)
        self.assertEqual(res["JS-0001"][head.index("解析村代码")], HUASHUI)
        self.assertEqual(res["JS-0001"][head.index("住址")], "河北省承德市兴隆县三道河镇花水村3组")
        self.assertEqual(res["JS-0003"][head.index("原因代码")], "village.ambiguous")
        self.assertTrue(os.path.exists(path[:-5] + ".results.xlsx"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
