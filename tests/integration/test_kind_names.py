"""test_kind_names.py: a lead's kind by code, Chinese name or alias through the real intake
service and `fangpinctl` (issue 20, docs/push.md "Kinds by name"): aliases added, refused,
listed and removed with `fangpinctl kinds alias`, seen by the running service at its next batch;
a batch naming kinds every way, each line answered with the kind it resolved to; an unknown kind
refused with the closest kinds the sender may push; the same batch again changes nothing; and
`fangpinctl push` of a file that names kinds in Chinese."""
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


V1 = "130822112204"  # 三道河村 (tests/fixtures/regions/130822)


def lead(seq, kind, amount=100000):
    l = intake_pb2.Lead(id_number=fp.id_number(seq, "19720101"), name="王五", village_code=V1, kind=kind,
                        occurred_on="2026-10-15", line_ref=f"L{seq}")
    if amount is not None:
        l.amount_fen = amount
        l.has_amount = True
    return l


class KindNames(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("it_kind_names")
        cls.keys = fp.Keys(cls.ci, fp.SERVICES + ("admin", "dept-yibao", "minzheng"))
        cls.keys.register("dept-yibao", SENDER, kind="department", level="county", dept="yibao")
        cls.keys.register("minzheng", "dept:130822:minzheng", kind="department", level="county", dept="minzheng")
        cls.svc = fp.Service("intake", cls.ci, cls.keys, env={
            "FANGPIN_TODAY": TODAY, "FANGPIN_INTAKE_LEADS_PUSH": f"tcp://127.0.0.1:{fp.free_port()}"})
        cls.tmp = tempfile.mkdtemp(prefix="fp-kinds-", dir=fp.VAR)

    @classmethod
    def tearDownClass(cls):
        cls.svc.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def alias(self, *args):
        return fp.ctl(["kinds", "alias"] + list(args), self.ci, check=False)

    def submit(self, key, batch_id, leads, rid="r"):
        req = intake_pb2.IntakeRequest(request_id=rid)
        req.submit_leads.batch_id = batch_id
        req.submit_leads.period = "2026-10"
        req.submit_leads.leads.extend(leads)
        c = self.svc.client(key)
        try:
            return c.call(req, intake_pb2.IntakeReply, 20000)
        finally:
            c.close()

    def stored(self):
        return fp.sql(self.ci, "SELECT (SELECT count(*) FROM leads), (SELECT count(*) FROM events),"
                               " (SELECT count(*) FROM lead_batches)")

    def test_1_alias_add_refusals_list_remove(self):
        add = ["add", "--county", "130822", "--dept", "yibao"]
        cases = [  # (alias, kind, what the refusal says)
            ("医疗费用 个人负担较重", "yibao.uninsured", "name '医疗费用个人负担较重' of another kind, yibao.high_cost"),
            ("YIBAO.HIGH-COST", "yibao.uninsured", "code 'yibao.high_cost' of another kind"),
            ("低保", "minzheng.dibao_new", "sent by minzheng, not by yibao"),
            ("低保", "yibao.nothing", "no lead kind yibao.nothing"),
            ("未参加基本医疗保险", "yibao.uninsured", "the kind's own name"),
        ]
        for alias, kind, why in cases:
            p = self.alias(*add, "--alias", alias, "--kind", kind)
            self.assertEqual(p.returncode, 1, (alias, p.stdout, p.stderr))
            self.assertIn(why, p.stderr, alias)
        p = self.alias("add", "--county", "130822", "--dept", "jiaoyu", "--alias", "x", "--kind", "yibao.high_cost")
        self.assertEqual(p.returncode, 1)
        self.assertIn("no department jiaoyu", p.stderr)
        p = self.alias(*add, "--alias", "（）", "--kind", "yibao.high_cost")
        self.assertEqual(p.returncode, 2)
        self.assertEqual(int(fp.sql(self.ci, "SELECT count(*) FROM kind_aliases")[0][0]), 0)

        p = self.alias(*add, "--alias", "住院 自付", "--kind", "yibao.high_cost", "--by", "clerk-li")
        self.assertEqual(p.returncode, 0, p.stderr)
        # the same alias again (written otherwise) is there already; for another kind it is refused
        p = self.alias(*add, "--alias", "住院自付。", "--kind", "yibao.high_cost")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("already an alias", p.stdout)
        p = self.alias(*add, "--alias", "住院－自付", "--kind", "yibao.uninsured")
        self.assertEqual(p.returncode, 1)
        self.assertIn("alias '住院 自付' of another kind, yibao.high_cost", p.stderr)
        self.assertEqual(fp.sql(self.ci, "SELECT county_code, department_code, alias, norm, kind, added_by"
                                         " FROM kind_aliases"),
                         [("130822", "yibao", "住院 自付", "住院自付", "yibao.high_cost", "clerk-li")])
        out = self.alias("list", "--county", "130822").stdout
        self.assertIn("yibao.high_cost", out)
        self.assertIn("住院 自付 / 医疗费用个人负担较重", out)
        self.assertNotIn("住院", self.alias("list", "--dept", "minzheng").stdout)

        p = self.alias("remove", "--county", "130822", "--dept", "yibao", "--alias", "住院自付")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.alias("remove", "--county", "130822", "--dept", "yibao", "--alias", "住院自付")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(int(fp.sql(self.ci, "SELECT count(*) FROM kind_aliases")[0][0]), 0)

    def test_2_batch_names_kinds_every_way(self):
        # added while intake runs: the next batch sees it
        p = self.alias("add", "--county", "130822", "--dept", "yibao", "--alias", "大额医疗", "--kind",
                       "yibao.high_cost")
        self.assertEqual(p.returncode, 0, p.stderr)
        leads = [
            lead(1, "yibao.high_cost"),
            lead(2, "医疗费用个人负担较重"),
            lead(3, "　医疗费用（个人负担） 较重 "),
            lead(4, "ｙｉｂａｏ．ｕｎｉｎｓｕｒｅｄ", amount=None),
            lead(5, "大额　医疗"),
            lead(6, "医疗负担"),
            lead(7, "新纳入低保"),
        ]
        before = self.stored()
        r = self.submit("dept-yibao", "names-1", leads)
        self.assertEqual(r.status.code, Code.PARTIAL)
        got = [(x.code, x.reason, x.kind) for x in r.results]
        self.assertEqual(got, [
            (Code.OK, "", "yibao.high_cost"),
            (Code.OK, "", "yibao.high_cost"),
            (Code.OK, "", "yibao.high_cost"),
            (Code.OK, "", "yibao.uninsured"),
            (Code.OK, "", "yibao.high_cost"),
            (Code.BAD_REQUEST, "kind.unknown", ""),
            (Code.BAD_REQUEST, "kind.not_allowed", ""),
        ])
        unknown = r.results[5]
        self.assertIn("the closest kinds you may send: yibao.high_cost (医疗费用个人负担较重),"
                      " yibao.uninsured (未参加基本医疗保险)", unknown.message)
        self.assertIn("最接近的可报送类型：医疗费用个人负担较重（yibao.high_cost）、未参加基本医疗保险（yibao.uninsured）",
                      unknown.message_zh)
        self.assertNotIn("minzheng", unknown.message)  # only the sender's kinds
        kinds = fp.sql(self.ci, "SELECT line_ref, kind FROM leads WHERE batch_id = 'names-1' ORDER BY line_ref")
        self.assertEqual(kinds, [("L1", "yibao.high_cost"), ("L2", "yibao.high_cost"), ("L3", "yibao.high_cost"),
                                 ("L4", "yibao.uninsured"), ("L5", "yibao.high_cost")])
        after = self.stored()
        # the same batch again: the same answer, nothing stored
        again = self.submit("dept-yibao", "names-1", leads, rid="again")
        self.assertTrue(again.batch.replayed)
        self.assertEqual([(x.code, x.reason, x.kind, x.id, x.message, x.message_zh) for x in again.results],
                         [(x.code, x.reason, x.kind, x.id, x.message, x.message_zh) for x in r.results])
        self.assertEqual(self.stored(), after)
        self.assertNotEqual(before, after)
        # the same leads in a new batch: already received, with the kinds they resolved to
        dup = self.submit("dept-yibao", "names-2", leads[:5])
        self.assertEqual([(x.code, x.kind) for x in dup.results],
                         [(Code.DUPLICATE, "yibao.high_cost")] * 3 + [(Code.DUPLICATE, "yibao.uninsured"),
                                                                      (Code.DUPLICATE, "yibao.high_cost")])
        # another department does not have yibao's alias; removed, it is unknown again
        r = self.submit("minzheng", "names-3", [lead(8, "大额医疗")])
        self.assertEqual(r.results[0].reason, "kind.unknown")
        self.alias("remove", "--county", "130822", "--dept", "yibao", "--alias", "大额医疗")
        r = self.submit("dept-yibao", "names-4", [lead(9, "大额医疗")])
        self.assertEqual(r.results[0].reason, "kind.unknown")

    def test_3_push_a_file_with_chinese_kind_names(self):
        path = os.path.join(self.tmp, "yibao.csv")
        rows = [["行号", "身份证号", "姓名", "村代码", "线索类型", "发生日期", "金额(元)", "情况说明"],
                ["1", fp.id_number(11, "19730101"), "赵六", V1, "医疗费用个人负担较重", "2026-10-03", "5000", ""],
                ["2", fp.id_number(12, "19730101"), "赵七", V1, "未参加 基本医疗保险", "2026-10-03", "", ""],
                ["3", fp.id_number(13, "19730101"), "赵八", V1, "医疗保险", "2026-10-03", "", ""]]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerows(rows)
        with open(path, "wb") as f:
            f.write(buf.getvalue().encode("utf-8-sig"))
        env = {"FANGPIN_KEYS_DIR": self.keys.dir, "FANGPIN_INTAKE_CONNECT": self.svc.endpoint,
               "FANGPIN_TIMEOUT_MS": "20000"}
        p = fp.ctl(["push", "--dept", "yibao", "--period", "2026-10", path], self.ci, check=False, env=env)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)  # one line refused
        kinds = fp.sql(self.ci, f"SELECT line_ref, kind FROM leads WHERE sender = '{SENDER}'"
                                " AND line_ref IN ('1', '2') ORDER BY line_ref")
        self.assertEqual(kinds, [("1", "yibao.high_cost"), ("2", "yibao.uninsured")])
        with open(path[:-4] + ".results.csv", encoding="utf-8-sig") as f:
            res = list(csv.reader(f))
        line3 = [r for r in res if r and r[0] == "3"][0]
        self.assertIn("kind.unknown", line3)
        self.assertTrue(any("未参加基本医疗保险（yibao.uninsured）" in c for c in line3), line3)


if __name__ == "__main__":
    unittest.main(verbosity=2)
