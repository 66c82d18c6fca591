"""Screening takes each received lead to a case: a lead of a person in the ledger opens a case
for the household (or merges into its open case) with the rules' decision, a lead of a person
not in the ledger goes to the village as a task; departments see VERIFYING / UNMATCHED through
intake's ListOutcomes; ListCases and ShowCase through the real protocol within the caller's
region; a SIGKILLed screening loses and duplicates nothing."""
import json
import os
import signal
import tempfile
import unittest

import fp
from fangpin.v1 import common_pb2, intake_pb2, screening_pb2
from test_intake import TODAY, id_number, lead

Code = common_pb2.Code
VA, VB = "130822112201", "130822112202"  # 花水村, 鸠儿峪村 (兴隆县 fixture)
HEADER = ("户编号,村代码,户类型,监测类型,户主姓名,姓名,身份证号,与户主关系,性别,出生日期,劳动能力,健康状况,在校情况,"
          "是否参保,工资性收入(元),公益性岗位收入(元),生产经营性收入(元),财产性收入(元),养老金(元),计划生育金(元),"
          "生态补偿金(元),低保金(元),特困供养金(元),其他转移性收入(元),生产经营费用支出(元),医疗自付(元),饮水安全,"
          "住房安全,基本医疗保障,调查期")


def person(seq):
    return id_number(birth="19800101", seq=seq)


def ledger_line(hh, village, hh_type, head, name, idn, relation, wage, operating=0, medical=0):
    return ",".join([hh, village, hh_type, "", head, name, idn, relation, "", "", "普通劳动力", "健康", "非在校生", "是",
                     str(wage), "0", str(operating), "0", "0", "0", "0", "0", "0", "0", "0", str(medical),
                     "是", "是", "是", "2026Q3"])


def import_ledger(ci, lines):
    d = tempfile.mkdtemp(prefix="ledger-", dir=fp.VAR)
    path = os.path.join(d, "130822-2026Q3.csv")
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEADER + "\n" + "\n".join(lines) + "\n")
    fp.ctl(["ledger", "import", path], ci)


class Cases(unittest.TestCase):
    def setUp(self):
        self.ci = fp.county_db(f"it_cases_{self._testMethodName[-20:]}")
        self.keys = fp.Keys(self.ci, fp.SERVICES + ("admin", "yibao", "weijian", "gongan", "va", "vb", "tb"))
        self.keys.register("admin", "admin:county-it")
        self.keys.register("yibao", "dept:130822:yibao", kind="department", level="county", dept="yibao")
        self.keys.register("weijian", "dept:130822:weijian", kind="department", level="county", dept="weijian")
        self.keys.register("gongan", "dept:130822:gongan", kind="department", level="county", dept="gongan")
        self.keys.register("va", f"actor:{VA}:li", kind="actor", level="village", region=VA)
        self.keys.register("vb", f"actor:{VB}:wang", kind="actor", level="village", region=VB)
        self.keys.register("tb", "actor:130822112:zhao", kind="actor", level="township", region="130822112")
        self.intake = fp.Service("intake", self.ci, self.keys, env={"FANGPIN_TODAY": TODAY})
        self.svcs = [self.intake]

    def tearDown(self):
        for s in self.svcs:
            s.stop()

    def screening(self):
        s = fp.Service("screening", self.ci, self.keys,
                       env={"FANGPIN_SCREENING_LEADS_PULL": self.intake.leads_push, "FANGPIN_SCREENING_SCAN_S": "1"})
        self.svcs.append(s)
        return s

    def push(self, key, name, leads):
        req = intake_pb2.IntakeRequest(request_id=name)
        req.submit_leads.batch_id = name
        req.submit_leads.period = "2026-10"
        req.submit_leads.leads.extend(leads)
        c = self.intake.client(key)
        try:
            r = c.call(req, intake_pb2.IntakeReply, 30000)
        finally:
            c.close()
        self.assertEqual((r.status.code, r.batch.accepted), (Code.OK, len(leads)), r)

    def ask(self, svc, key, req):
        c = svc.client(key)
        try:
            return c.call(req, screening_pb2.ScreeningReply, 10000)
        finally:
            c.close()

    def unscreened(self):
        return int(fp.sql(self.ci, "SELECT count(*) FROM leads WHERE screened_at IS NULL OR status = 'pending'")[0][0])

    def test_leads_become_cases_and_village_tasks(self):
        A, B, C, D, E = person(1), person(2), person(3), person(4), person(9)
        import_ledger(self.ci, [
            ledger_line("13082211220100001", VA, "一般户", "甲一", "甲一", A, "户主", 8000, operating=2000),
            ledger_line("13082211220100001", VA, "一般户", "甲一", "乙一", B, "配偶", 8000, operating=2000),
            ledger_line("13082211220100002", VA, "脱贫户", "丙二", "丙二", C, "户主", 50000),
            ledger_line("13082211220200001", VB, "一般户", "丁三", "丁三", D, "户主", 9000),
        ])
        s = self.screening()
        self.push("yibao", "y1", [lead(idn=A, village=VA, amount=1234500, ref="a"),
                                  lead(idn=C, village=VA, amount=3000000, ref="c"),
                                  lead(idn=D, village=VB, amount=100000, ref="d"),
                                  lead(idn=E, village=VB, amount=100000, ref="e")])
        self.push("weijian", "w1", [lead(idn=B, village=VA, kind="weijian.serious_illness", amount=None, ref="b")])
        fp.wait_for(lambda: self.unscreened() == 0, 20, what="all leads screened")

        cases = {hh: (int(cid), st, int(n)) for cid, hh, st, n in fp.sql(
            self.ci, "SELECT c.id, c.household_no, c.state, count(cl.lead_id) FROM cases c"
                     " JOIN case_leads cl ON cl.case_id = c.id GROUP BY 1, 2, 3")}
        self.assertEqual(sorted(cases), ["13082211220100001", "13082211220100002", "13082211220200001"])
        self.assertTrue(all(st == "opened" for _, st, _ in cases.values()))
        h1 = cases["13082211220100001"][0]
        self.assertEqual(cases["13082211220100001"][2], 2)  # A's and B's leads merged into one case
        hist = fp.sql(self.ci, f"SELECT actor, event, coalesce(from_state, ''), to_state FROM case_history"
                               f" WHERE case_id = {h1} ORDER BY id")
        self.assertEqual(hist, [("system", "opened", "", "opened"), ("system", "lead_merged", "opened", "opened")])

        # the decision: 10000 yuan for 2 people = 5000 < 6600 (Hebei from 2021-10) fires S01
        line, pc, dec = fp.sql(self.ci, f"SELECT line_fen, per_capita_net_fen, decision FROM cases WHERE id = {h1}")[0]
        self.assertEqual((int(line), int(pc)), (660000, 500000))
        dec = json.loads(dec)
        fired = {f["id"]: f for f in dec["fired"]}
        self.assertIn("S01", fired)
        self.assertEqual(fired["S01"]["seen"], "income=500000 line=660000")
        self.assertIn("5000", fired["S01"]["why_zh"])
        self.assertIn("6600", fired["S01"]["why_zh"])
        self.assertIn("S08", fired)  # the serious illness reported by weijian
        self.assertEqual(dec["kind"], "marginal")
        self.assertIn("illness", dec["risk_types"])
        # a lifted household well above the line, with 30000 yuan out of pocket: S03, not S01
        dec2 = json.loads(fp.sql(self.ci, f"SELECT decision FROM cases WHERE id = {cases['13082211220100002'][0]}")[0][0])
        ids2 = [f["id"] for f in dec2["fired"]]
        self.assertIn("S03", ids2)
        self.assertNotIn("S01", ids2)

        # the unmatched lead: status, village task, event
        st = dict(fp.sql(self.ci, "SELECT line_ref, status FROM leads"))
        self.assertEqual(st, {"a": "verifying", "b": "verifying", "c": "verifying", "d": "verifying", "e": "unmatched"})
        tasks = fp.sql(self.ci, "SELECT t.village_code, t.kind FROM village_tasks t JOIN leads l ON l.id = t.lead_id"
                                " WHERE l.line_ref = 'e'")
        self.assertEqual(tasks, [(VB, "register_or_refute")])
        ev = fp.sql(self.ci, "SELECT type, region_code, payload::text FROM events"
                             " WHERE type IN ('case.opened', 'case.lead_merged', 'lead.unmatched') ORDER BY id")
        self.assertEqual(sorted(t for t, _, _ in ev), ["case.lead_merged", "case.opened", "case.opened", "case.opened",
                                                       "lead.unmatched"])
        self.assertIn(("lead.unmatched", VB), [(t, r) for t, r, _ in ev])
        for _, _, payload in fp.sql(self.ci, "SELECT type, region_code, payload::text FROM events"):
            for idn in (A, B, C, D, E):
                self.assertNotIn(idn, payload)
                self.assertNotIn(idn[6:14] + idn[14:], payload)
        for idn in (A, B, C, D, E):
            self.assertNotIn(idn, s.log())

        # the department sees VERIFYING / UNMATCHED through intake
        c = self.intake.client("yibao")
        try:
            r = c.call(intake_pb2.IntakeRequest(request_id="o", list_outcomes=intake_pb2.ListOutcomes(limit=100)),
                       intake_pb2.IntakeReply, 10000)
        finally:
            c.close()
        self.assertEqual(r.status.code, Code.OK)
        self.assertEqual({o.line_ref: o.status for o in r.outcomes.outcomes},
                         {"a": intake_pb2.VERIFYING, "c": intake_pb2.VERIFYING, "d": intake_pb2.VERIFYING,
                          "e": intake_pb2.UNMATCHED})
        self.assertIn("不在乡村人口台账中", [o.reason for o in r.outcomes.outcomes if o.line_ref == "e"][0])

        # ListCases / ShowCase within the caller's region
        def list_cases(key, **kw):
            return self.ask(s, key, screening_pb2.ScreeningRequest(request_id="l", list_cases=screening_pb2.ListCases(**kw)))

        def show(key, cid):
            return self.ask(s, key, screening_pb2.ScreeningRequest(request_id="s", show_case=screening_pb2.ShowCase(case_id=cid)))

        r = list_cases("va")
        self.assertEqual(r.status.code, Code.OK)
        self.assertEqual(sorted(x.household_no for x in r.case_list.cases), ["13082211220100001", "13082211220100002"])
        x = [x for x in r.case_list.cases if x.case_id == h1][0]
        self.assertEqual((x.state, x.leads, x.suggested_kind, x.per_capita_net_fen, x.line_fen, x.village_code),
                         ("opened", 2, "marginal", 500000, 660000, VA))
        r = show("va", h1)
        self.assertEqual(r.status.code, Code.OK)
        d = r.case_detail
        self.assertEqual(d.summary.case_id, h1)
        self.assertEqual(len(d.leads), 2)
        for l in d.leads:
            self.assertIn("*", l.id_number_masked)
            self.assertNotIn(l.id_number_masked, (A, B))
        self.assertEqual([h.event for h in d.history], ["opened", "lead_merged"])
        rule = [f for f in d.rules if f.id == "S01"][0]
        self.assertEqual(rule.zh, "人均纯收入低于监测标准")
        self.assertEqual(rule.seen, "income=500000 line=660000")
        self.assertIn("6600", rule.why_zh)
        self.assertNotIn(A.encode(), r.SerializeToString())

        self.assertEqual(show("vb", h1).status.code, Code.NOT_FOUND)
        r = list_cases("vb")
        self.assertEqual([x.household_no for x in r.case_list.cases], ["13082211220200001"])
        self.assertEqual(list_cases("vb", region_prefix=VA).status.code, Code.FORBIDDEN)
        self.assertEqual(list_cases("va", region_prefix="130822").status.code, Code.FORBIDDEN)
        self.assertEqual(len(list_cases("tb").case_list.cases), 3)
        self.assertEqual(len(list_cases("admin").case_list.cases), 3)
        self.assertEqual(len(list_cases("admin", region_prefix=VB).case_list.cases), 1)
        self.assertEqual(show("admin", h1).status.code, Code.OK)
        self.assertEqual(list_cases("yibao").status.code, Code.FORBIDDEN)
        self.assertEqual(show("yibao", h1).status.code, Code.FORBIDDEN)
        self.assertEqual(show("va", 999999).status.code, Code.NOT_FOUND)

    def test_rule_ratios_come_from_the_province_parameters(self):
        # 30000 yuan out of pocket against 50000 yuan of net income is 60%: large rigid spending
        # under the national 50% (S03 fires, see above); Hebei (13) setting 70% from 2020 means
        # the same household's case does not fire S03.
        fp.sql(self.ci, "INSERT INTO policy_params (name, province_code, effective_from, value, unit, source)"
                        " VALUES ('rigid_ratio_pct', '13', '2020-01-01', 70, 'percent', 'test')")
        C = person(3)
        import_ledger(self.ci, [ledger_line("13082211220100002", VA, "脱贫户", "丙二", "丙二", C, "户主", 50000)])
        self.screening()
        self.push("yibao", "y-ratio", [lead(idn=C, village=VA, amount=3000000, ref="c")])
        fp.wait_for(lambda: self.unscreened() == 0, 20, what="the lead screened")
        dec = json.loads(fp.sql(self.ci, "SELECT decision FROM cases")[0][0])
        self.assertNotIn("S03", [f["id"] for f in dec["fired"]])
        self.assertEqual(int(fp.sql(self.ci, "SELECT count(*) FROM cases")[0][0]), 1)

    def test_death_lead_updates_the_ledger(self):
        A, B = person(11), person(12)
        hh = "13082211220100011"
        import_ledger(self.ci, [
            ledger_line(hh, VA, "一般户", "甲五", "甲五", A, "户主", 30000),
            ledger_line(hh, VA, "一般户", "甲五", "乙五", B, "配偶", 30000),
        ])
        self.screening()
        death = dict(idn=A, village=VA, kind="gongan.member_death", amount=None, date="2026-10-12", ref="g1")
        self.push("gongan", "g1", [lead(**death)])
        fp.wait_for(lambda: self.unscreened() == 0, 20, what="the death lead screened")

        lid = int(fp.sql(self.ci, "SELECT id FROM leads WHERE line_ref = 'g1'")[0][0])
        self.assertEqual(fp.sql(self.ci, f"SELECT coalesce(to_char(left_on, 'YYYY-MM-DD'), ''), left_reason"
                                         f" FROM ledger_members WHERE id_hmac = '{fp.id_hmac(A)}'"),
                         [("2026-10-12", f"death:lead:{lid}")])
        self.assertEqual(fp.sql(self.ci, f"SELECT left_on IS NULL FROM ledger_members WHERE id_hmac = '{fp.id_hmac(B)}'"),
                         [("t",)])
        ev = fp.sql(self.ci, f"SELECT household_no, kind, to_char(event_on, 'YYYY-MM-DD'), source FROM ledger_events"
                             f" WHERE id_hmac = '{fp.id_hmac(A)}'")
        self.assertEqual(ev, [(hh, "death", "2026-10-12", f"lead:{lid}")])
        # the household's case: the death is a shock (S11)
        rows = fp.sql(self.ci, f"SELECT c.id, c.state, c.decision FROM cases c WHERE c.household_no = '{hh}'")
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0][1], "opened")
        self.assertIn("S11", [f["id"] for f in json.loads(rows[0][2])["fired"]])
        self.assertEqual(fp.sql(self.ci, f"SELECT status FROM leads WHERE id = {lid}"), [("verifying",)])

        # the same death pushed again (a new batch id): intake answers a duplicate, nothing changes
        c = self.intake.client("gongan")
        try:
            req = intake_pb2.IntakeRequest(request_id="g2")
            req.submit_leads.batch_id = "g2"
            req.submit_leads.period = "2026-10"
            req.submit_leads.leads.extend([lead(**death)])
            r = c.call(req, intake_pb2.IntakeReply, 30000)
        finally:
            c.close()
        self.assertEqual((r.status.code, r.batch.accepted + r.batch.duplicates), (Code.OK, 1), r)
        fp.wait_for(lambda: self.unscreened() == 0, 20, what="the repeated lead screened")
        # the lead processed again by screening: nothing more
        fp.sql(self.ci, f"SELECT count(*) FROM screen_match(ARRAY[{lid}]::bigint[])")
        # and the death reported again with another date (a new lead): merged, no second event
        self.push("gongan", "g3", [lead(**dict(death, ref="g3", date="2026-10-13"))])
        fp.wait_for(lambda: self.unscreened() == 0, 20, what="the second report screened")
        self.assertEqual(fp.sql(self.ci, f"SELECT count(*) FROM ledger_events WHERE id_hmac = '{fp.id_hmac(A)}'"), [("1",)])
        self.assertEqual(fp.sql(self.ci, f"SELECT to_char(left_on, 'YYYY-MM-DD'), left_reason FROM ledger_members"
                                         f" WHERE id_hmac = '{fp.id_hmac(A)}'"), [("2026-10-12", f"death:lead:{lid}")])
        # ... it merges into the household's case rather than asking the village to register the person
        self.assertEqual(fp.sql(self.ci, "SELECT l.status, cl.case_id FROM leads l"
                                         " LEFT JOIN case_leads cl ON cl.lead_id = l.id WHERE l.line_ref = 'g3'"),
                         [("verifying", rows[0][0])])
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM village_tasks"), [("0",)])
        self.assertEqual(fp.sql(self.ci, f"SELECT count(*) FROM cases WHERE household_no = '{hh}'"), [("1",)])

    def test_sigkill_loses_and_duplicates_nothing(self):
        lines = []
        for h in range(20):
            hh, village = f"1308221122{h % 2 + 1:02d}{h:05d}", (VA, VB)[h % 2]
            lines.append(ledger_line(hh, village, "一般户", f"户主{h}", f"户主{h}", person(100 + 2 * h), "户主", 5000 + 1000 * h))
            lines.append(ledger_line(hh, village, "一般户", f"户主{h}", f"配偶{h}", person(101 + 2 * h), "配偶", 5000 + 1000 * h))
        import_ledger(self.ci, lines)
        total = 0
        for b in range(5):
            leads = []
            for k in range(b * 1000, b * 1000 + 1000):
                p = k % 50  # 40 people in the ledger, 10 not
                day = 1 + k // 50
                leads.append(lead(idn=person(100 + p), village=(VA, VB)[(p // 2) % 2] if p < 40 else VA,
                                  date=f"2026-{6 + (day - 1) // 30:02d}-{(day - 1) % 30 + 1:02d}", ref=str(k)))
            self.push("yibao", f"k{b}", leads)
            total += len(leads)
        s = self.screening()
        fp.wait_for(lambda: int(fp.sql(self.ci, "SELECT count(*) FROM leads WHERE screened_at IS NOT NULL")[0][0]) > 0,
                    20, step=0.005, what="a first batch")
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait()
        at_kill = int(fp.sql(self.ci, "SELECT count(*) FROM leads WHERE screened_at IS NOT NULL")[0][0])
        print(f"screened when killed: {at_kill} of {total}")  # usually one batch of 2000
        s.logf.close()
        self.svcs.remove(s)
        self.screening()
        fp.wait_for(lambda: self.unscreened() == 0, 60, what="all leads screened after the restart")

        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM case_leads GROUP BY lead_id HAVING count(*) > 1"), [])
        rows = fp.sql(self.ci,
                      "SELECT count(*) FILTER (WHERE cl.lead_id IS NOT NULL AND l.status = 'verifying'),"
                      " count(*) FILTER (WHERE cl.lead_id IS NULL AND l.status = 'unmatched'"
                      "                  AND (SELECT count(*) FROM village_tasks t WHERE t.lead_id = l.id) = 1),"
                      " count(*) FROM leads l LEFT JOIN case_leads cl ON cl.lead_id = l.id")
        self.assertEqual(rows, [(str(4000), str(1000), str(total))])
        self.assertEqual(fp.sql(self.ci, "SELECT count(*), count(DISTINCT household_no) FROM cases"), [("20", "20")])
        # one history row and one event per lead, no more
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM case_history"), [("4000",)])
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM events WHERE type IN ('case.opened', 'case.lead_merged',"
                                         " 'lead.unmatched')"), [(str(total),)])
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM events WHERE type = 'case.opened'"), [("20",)])
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM cases WHERE decision ? 'fired'"), [("20",)])


if __name__ == "__main__":
    fp.main()
