"""test_village_names.py: a lead's village by code, by township and village names or by an
address, through the real intake service and `fangpinctl push` (issue 20, docs/push.md "Villages
by name"), against the region table of 兴隆县 (tests/fixtures/regions/130822): names with and
without their suffixes, written with spaces, full-width or traditional characters, an address
with its province, prefecture, county and group number, each line answered with the village it
resolved to and the lead stored there; an ambiguous name (two 榆树沟) refused with its
candidates, an unknown one with the closest villages, a code still working; the same batch again
and GetBatch answer the same; and a pushed file whose 村代码 column holds names."""
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
SENDER = "dept:130822:yibao"
HUASHUI = "130822112201"  # 花水村民委员会, 三道河镇
SANDAOHE = "130822112204"  # 三道河村民委员会, 三道河镇
DONGGUAN_SQ = "130822100003"  # 东关社区居民委员会, 兴隆镇
DONGGUAN = "130822100227"  # 东关村民委员会, 兴隆镇
YUSHUGOU = ("130822101210", "130822108214")  # 榆树沟村民委员会 of 半壁山镇 and 蓝旗营镇


def lead(seq, village):
    return intake_pb2.Lead(id_number=fp.id_number(seq, "19720101"), name="王五", village_code=village,
                           kind="yibao.uninsured", occurred_on="2026-10-15", line_ref=f"L{seq}")


class VillageNames(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("it_village_names")
        cls.keys = fp.Keys(cls.ci, fp.SERVICES + ("dept-yibao",))
        cls.keys.register("dept-yibao", SENDER, kind="department", level="county", dept="yibao")
        cls.svc = fp.Service("intake", cls.ci, cls.keys, env={
            "FANGPIN_TODAY": TODAY, "FANGPIN_INTAKE_LEADS_PUSH": f"tcp://127.0.0.1:{fp.free_port()}"})
        cls.tmp = tempfile.mkdtemp(prefix="fp-villages-", dir=fp.VAR)

    @classmethod
    def tearDownClass(cls):
        cls.svc.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def call(self, req):
        c = self.svc.client("dept-yibao")
        try:
            return c.call(req, intake_pb2.IntakeReply, 20000)
        finally:
            c.close()

    def submit(self, batch_id, leads, rid="r"):
        req = intake_pb2.IntakeRequest(request_id=rid)
        req.submit_leads.batch_id = batch_id
        req.submit_leads.period = "2026-10"
        req.submit_leads.leads.extend(leads)
        return self.call(req)

    def test_1_names_addresses_refusals(self):
        leads = [
            lead(1, "三道河镇花水村"),
            lead(2, "三道河镇 花水村民委员会"),
            lead(3, "河北省承德市兴隆县三道河镇花水村5组"),
            lead(4, "興隆縣三道河鎮花水村"),
            lead(5, "三道河村"),  # a village named as its township
            lead(6, "兴隆镇东关社区"),
            lead(7, "兴隆镇东关村"),
            lead(8, "半壁山镇榆树沟"),
            lead(9, "榆树沟村"),
            lead(10, "三道河镇花水沟村"),
            lead(11, HUASHUI),
            lead(12, "130822112299"),  # a code of no village in the region table
            lead(13, "东关"),  # 东关村 and 东关社区
            lead(14, "　三道河镇（花水村）　"),  # full-width space and brackets
        ]
        r = self.submit("v-1", leads)
        self.assertEqual(r.status.code, Code.PARTIAL)
        got = [(x.code, x.reason, x.village) for x in r.results]
        self.assertEqual(got, [
            (Code.OK, "", HUASHUI), (Code.OK, "", HUASHUI), (Code.OK, "", HUASHUI), (Code.OK, "", HUASHUI),
            (Code.OK, "", SANDAOHE), (Code.OK, "", DONGGUAN_SQ), (Code.OK, "", DONGGUAN),
            (Code.OK, "", YUSHUGOU[0]),
            (Code.BAD_REQUEST, "village.ambiguous", ""),
            (Code.BAD_REQUEST, "village.unknown", ""),
            (Code.OK, "", HUASHUI),
            (Code.BAD_REQUEST, "village.unknown", ""),
            (Code.BAD_REQUEST, "village.ambiguous", ""),
            (Code.OK, "", HUASHUI),
        ])
        amb = r.results[8]
        self.assertIn(f"the villages of that name: {YUSHUGOU[0]} 榆树沟村民委员会 (半壁山镇),"
                      f" {YUSHUGOU[1]} 榆树沟村民委员会 (蓝旗营镇)", amb.message)
        self.assertIn(f"同名的村：半壁山镇榆树沟村民委员会（{YUSHUGOU[0]}）、蓝旗营镇榆树沟村民委员会（{YUSHUGOU[1]}）",
                      amb.message_zh)
        self.assertIn(DONGGUAN, r.results[12].message)
        self.assertIn(DONGGUAN_SQ, r.results[12].message)
        unknown = r.results[9]
        self.assertIn(f"the closest villages: {HUASHUI} 花水村民委员会 (三道河镇)", unknown.message)
        self.assertIn(f"最接近的村：三道河镇花水村民委员会（{HUASHUI}）", unknown.message_zh)
        code_unknown = r.results[11]  # set by the database: the catalogue's message alone
        self.assertNotIn("closest", code_unknown.message)
        self.assertIn("region table", code_unknown.message)
        stored = fp.sql(self.ci, "SELECT line_ref, village_code FROM leads WHERE batch_id = 'v-1' ORDER BY line_no")
        self.assertEqual(stored, [("L1", HUASHUI), ("L2", HUASHUI), ("L3", HUASHUI), ("L4", HUASHUI),
                                  ("L5", SANDAOHE), ("L6", DONGGUAN_SQ), ("L7", DONGGUAN), ("L8", YUSHUGOU[0]),
                                  ("L11", HUASHUI), ("L14", HUASHUI)])
        # the same batch again: the same answer, candidates included, nothing more stored
        n = fp.sql(self.ci, "SELECT count(*) FROM leads")
        again = self.submit("v-1", leads, rid="again")
        self.assertTrue(again.batch.replayed)
        self.assertEqual([(x.code, x.reason, x.village, x.message, x.message_zh) for x in again.results],
                         [(x.code, x.reason, x.village, x.message, x.message_zh) for x in r.results])
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM leads"), n)
        # GetBatch: the stored villages; the catalogue's messages (it has not the lines' texts)
        g = self.call(intake_pb2.IntakeRequest(request_id="g", get_batch=intake_pb2.GetBatch(batch_id="v-1")))
        self.assertEqual([(x.code, x.reason, x.village) for x in g.results], got)
        self.assertNotIn("榆树沟", g.results[8].message)
        # the same people in a new batch: already received, with the village each resolved to
        dup = self.submit("v-2", [lead(1, "花水村"), lead(11, "三道河镇花水")])
        self.assertEqual([(x.code, x.village) for x in dup.results], [(Code.DUPLICATE, HUASHUI)] * 2)

    def test_2_codes_only_batch(self):
        r = self.submit("v-codes", [lead(21, HUASHUI), lead(22, SANDAOHE), lead(23, "13082211220")])
        self.assertEqual([(x.code, x.reason, x.village) for x in r.results],
                         [(Code.OK, "", HUASHUI), (Code.OK, "", SANDAOHE), (Code.BAD_REQUEST, "village.format", "")])

    def test_3_push_a_file_with_village_names(self):
        path = os.path.join(self.tmp, "yibao.csv")
        rows = [["行号", "身份证号", "姓名", "村代码", "线索类型", "发生日期"],
                ["1", fp.id_number(31, "19730101"), "赵六", "兴隆县三道河镇花水村3组", "yibao.uninsured", "2026-10-03"],
                ["2", fp.id_number(32, "19730101"), "赵七", "蓝旗营镇 榆树沟村", "yibao.uninsured", "2026-10-03"],
                ["3", fp.id_number(33, "19730101"), "赵八", "榆树沟", "yibao.uninsured", "2026-10-03"],
                ["4", fp.id_number(34, "19730101"), "赵九", SANDAOHE, "yibao.uninsured", "2026-10-03"]]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerows(rows)
        with open(path, "wb") as f:
            f.write(buf.getvalue().encode("utf-8-sig"))
        env = {"FANGPIN_KEYS_DIR": self.keys.dir, "FANGPIN_INTAKE_CONNECT": self.svc.endpoint,
               "FANGPIN_TIMEOUT_MS": "20000"}
        p = fp.ctl(["push", "--dept", "yibao", "--period", "2026-10", path], self.ci, check=False, env=env)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)  # line 3 refused
        with open(path[:-4] + ".results.csv", encoding="utf-8-sig") as f:
            res = {r["行号"]: r for r in csv.DictReader(f)}
        self.assertEqual([(res[k]["result"], res[k]["解析村代码"]) for k in "1234"],
                         [("accepted", HUASHUI), ("accepted", YUSHUGOU[1]), ("rejected", ""),
                          ("accepted", SANDAOHE)])
        self.assertEqual(res["1"]["村代码"], "兴隆县三道河镇花水村3组")  # the clerk's own cell, kept
        self.assertEqual(res["3"]["原因代码"], "village.ambiguous")
        self.assertIn(f"半壁山镇榆树沟村民委员会（{YUSHUGOU[0]}）", res["3"]["原因"])

if __name__ == "__main__":
    unittest.main(verbosity=2)
