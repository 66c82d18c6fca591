"""The verification case through the real protocol: a department's lead becomes an identified
household (village visit -> public notice -> township review after the notice days -> county
approval -> identification) and the department sees IDENTIFIED in intake's ListOutcomes; a
send-back and re-submission; a case closed as not included; refusals by region and level; the
overdue scan (event to the level above, ListCases filter); a retried request id applied once; a
notice text with a masked name and no ID number. Screening runs with FANGPIN_TODAY, restarted
with a later date to pass the notice days."""
import json
import unittest

import fp
from fangpin.v1 import common_pb2, intake_pb2, screening_pb2
from test_cases import VA, VB, import_ledger, ledger_line, person
from test_intake import TODAY, lead

Code = common_pb2.Code
RECENT = "2026-11-23"  # lead date: a case opened on it is not overdue on TODAY (2026-11-24)
LATER = "2026-11-29"   # the notice posted on TODAY has run its 5 days
H1, H2, H3, H4 = "13082211220100001", "13082211220100002", "13082211220200001", "13082211220100003"


class CaseFlow(unittest.TestCase):
    def setUp(self):
        self.ci = fp.county_db(f"it_flow_{self._testMethodName[-20:]}")
        self.keys = fp.Keys(self.ci, fp.SERVICES + ("admin", "yibao", "va", "vb", "tb", "cty"))
        self.keys.register("admin", "admin:county-it")
        self.keys.register("yibao", "dept:130822:yibao", kind="department", level="county", dept="yibao")
        self.keys.register("va", f"actor:{VA}:li", kind="actor", level="village", region=VA)
        self.keys.register("vb", f"actor:{VB}:wang", kind="actor", level="village", region=VB)
        self.keys.register("tb", "actor:130822112:zhao", kind="actor", level="township", region="130822112")
        self.keys.register("cty", "actor:130822:sun", kind="actor", level="county", region="130822")
        import_ledger(self.ci, [
            ledger_line(H1, VA, "一般户", "张三丰", "张三丰", person(1), "户主", 8000),
            ledger_line(H2, VA, "一般户", "李四", "李四", person(2), "户主", 9000),
            ledger_line(H3, VB, "一般户", "王五", "王五", person(3), "户主", 9000),
            ledger_line(H4, VA, "一般户", "赵六", "赵六", person(4), "户主", 9000),
        ])
        self.intake = fp.Service("intake", self.ci, self.keys, env={"FANGPIN_TODAY": TODAY})
        self.svcs = [self.intake]
        self.s = None
        self.n = 0

    def tearDown(self):
        for s in self.svcs:
            s.stop()

    def screening(self, today):
        if self.s:
            self.s.stop()
            self.svcs.remove(self.s)
        self.s = fp.Service("screening", self.ci, self.keys,
                            env={"FANGPIN_SCREENING_LEADS_PULL": self.intake.leads_push, "FANGPIN_SCREENING_SCAN_S": "1",
                                 "FANGPIN_TODAY": today})
        self.svcs.append(self.s)
        return self.s

    def push(self, leads):
        req = intake_pb2.IntakeRequest(request_id="p")
        req.submit_leads.batch_id = "b1"
        req.submit_leads.period = "2026-11"
        req.submit_leads.leads.extend(leads)
        r = self.call_intake("yibao", req)
        self.assertEqual((r.status.code, r.batch.accepted), (Code.OK, len(leads)), r)
        fp.wait_for(lambda: fp.sql(self.ci, "SELECT count(*) FROM leads WHERE status = 'pending'")[0][0] == "0",
                    20, what="leads screened")

    def call_intake(self, key, req):
        c = self.intake.client(key)
        try:
            return c.call(req, intake_pb2.IntakeReply, 10000)
        finally:
            c.close()

    def outcomes(self):
        r = self.call_intake("yibao", intake_pb2.IntakeRequest(request_id="o", list_outcomes=intake_pb2.ListOutcomes(limit=100)))
        self.assertEqual(r.status.code, Code.OK)
        return {o.line_ref: o for o in r.outcomes.outcomes}

    def ask(self, key, rid=None, **op):
        self.n += 1
        req = screening_pb2.ScreeningRequest(request_id=rid or f"r{self.n}", **op)
        c = self.s.client(key)
        try:
            return c.call(req, screening_pb2.ScreeningReply, 10000)
        finally:
            c.close()

    def case_id(self, hh):
        return int(fp.sql(self.ci, f"SELECT id FROM cases WHERE household_no = '{hh}'")[0][0])

    def visit(self, key, cid, consent=True, rid=None):
        return self.ask(key, rid, record_visit=screening_pb2.RecordVisit(
            case_id=cid, consent_given=consent, findings=screening_pb2.VisitFindings(
                income=[screening_pb2.IncomeItem(item="wage_other", amount_fen=800000)],
                guarantees="住房、饮水安全", labour_notes="户主患病，劳动能力弱", text="入户核实属实")))

    def ok(self, r, state):
        self.assertIsNotNone(r)
        self.assertEqual(r.status.code, Code.OK, r.status)
        self.assertEqual(r.case_summary.state, state)
        return r.case_summary

    def refused(self, r, code, reason_code=None):
        self.assertIsNotNone(r)
        self.assertEqual(r.status.code, code, r.status)
        if reason_code:
            zh = {"case.level_not_allowed": "本级不能在案件当前环节办理该事项",
                  "case.notice_too_early": "公示期未满，请在公示期满后审核",
                  "case.consent_missing": "入户核实时未取得农户签字的承诺授权书",
                  "case.reason_missing": "退回或关闭案件须填写理由",
                  "case.event_not_allowed": "案件当前环节不能办理该事项"}[reason_code]
            self.assertEqual(r.status.message_zh, zh)
            self.assertEqual(r.status.reason, reason_code)

    def test_identify_send_back_refusals_retry_notice(self):
        self.screening(TODAY)
        self.push([lead(idn=person(1), village=VA, date=RECENT, ref="a"),
                   lead(idn=person(2), village=VA, date=RECENT, ref="b")])
        c1, c2 = self.case_id(H1), self.case_id(H2)

        # refusals: another village, a township at a village step, an admin, a department
        self.refused(self.visit("vb", c1), Code.NOT_FOUND)
        # the wrong level is FORBIDDEN, as in assistance (issue 13: one situation, one status)
        self.refused(self.visit("tb", c1), Code.FORBIDDEN, "case.level_not_allowed")
        self.refused(self.visit("admin", c1), Code.FORBIDDEN)
        self.refused(self.visit("yibao", c1), Code.FORBIDDEN)
        self.refused(self.visit("va", c1, consent=False), Code.CONFLICT, "case.consent_missing")

        # the visit, retried with the same request id: applied once
        self.ok(self.visit("va", c1, rid="visit-1"), "visited")
        r = self.visit("va", c1, rid="visit-1")
        self.ok(r, "visited")
        self.assertEqual(fp.sql(self.ci, f"SELECT count(*) FROM case_history WHERE case_id = {c1} AND event = 'visit'"),
                         [("1",)])
        self.assertEqual(fp.sql(self.ci, f"SELECT count(*) FROM events WHERE type = 'case.visit'"), [("1",)])

        # the notice: masked name, never the ID number
        s = self.ok(self.ask("va", post_notice=screening_pb2.PostNotice(case_id=c1)), "notice_posted")
        self.assertEqual(s.notice_posted_on, TODAY)
        d = self.ask("va", show_case=screening_pb2.ShowCase(case_id=c1)).case_detail
        self.assertIn("张*丰", d.notice_text)
        self.assertIn("公示", d.notice_text)
        self.assertNotIn("张三丰", d.notice_text)
        self.assertNotIn(person(1), d.notice_text)
        self.assertNotIn(person(1)[6:14], d.notice_text)
        s = self.ok(self.ask("va", record_objection=screening_pb2.RecordObjection(case_id=c1, text="收入不实")),
                    "notice_posted")
        self.assertEqual(s.objections, 1)
        # review before the notice days have passed: refused
        self.refused(self.ask("tb", township_review=screening_pb2.TownshipReview(case_id=c1, opinion="同意")),
                     Code.CONFLICT, "case.notice_too_early")

        # send-back and re-submission
        self.ok(self.visit("va", c2), "visited")
        self.ok(self.ask("va", post_notice=screening_pb2.PostNotice(case_id=c2)), "notice_posted")
        self.refused(self.ask("tb", return_case=screening_pb2.ReturnCase(case_id=c2, reason="")), Code.CONFLICT,
                     "case.reason_missing")
        s = self.ok(self.ask("tb", return_case=screening_pb2.ReturnCase(case_id=c2, reason="核实材料不全")), "visited")
        self.assertEqual(s.notice_posted_on, "")
        # a cadre's own notice text: a phone number in groups or in full-width digits is refused,
        # and what is posted is cleaned as the generated notice is (numbers, health words)
        for phone in ("138 0013 8000", "１３８００１３８０００", "138-0013-8000"):
            self.refused(self.ask("va", post_notice=screening_pb2.PostNotice(
                case_id=c2, notice_text_override=f"公示：李四家，电话{phone}")), Code.BAD_REQUEST)
        self.ok(self.ask("va", post_notice=screening_pb2.PostNotice(
            case_id=c2, notice_text_override="公示：李四家因患癌症致贫，邮编067300，公示5天")), "notice_posted")
        d = self.ask("va", show_case=screening_pb2.ShowCase(case_id=c2)).case_detail
        self.assertEqual(d.notice_text, "公示：李四家因患**致贫，邮编***，公示5天")

        # five days later
        self.screening(LATER)
        self.ok(self.ask("tb", township_review=screening_pb2.TownshipReview(case_id=c1, opinion="同意")),
                "township_reviewed")
        self.refused(self.ask("va", county_approve=screening_pb2.CountyApprove(case_id=c1, opinion="同意")),
                     Code.FORBIDDEN, "case.level_not_allowed")
        self.ok(self.ask("cty", county_approve=screening_pb2.CountyApprove(case_id=c1, opinion="同意")), "county_approved")
        self.refused(self.ask("cty", identify=screening_pb2.Identify(case_id=c1, kind="marginal", risk_types=[])),
                     Code.CONFLICT)
        s = self.ok(self.ask("cty", identify=screening_pb2.Identify(case_id=c1, kind="marginal",
                                                                     risk_types=["illness", "lack_of_labour"])),
                    "identified")
        self.assertEqual((s.kind, list(s.risk_types)), ("marginal", ["illness", "lack_of_labour"]))
        self.refused(self.ask("cty", close_case=screening_pb2.CloseCase(case_id=c1, reason="x")), Code.CONFLICT)
        self.ok(self.ask("tb", township_review=screening_pb2.TownshipReview(case_id=c2, opinion="同意")),
                "township_reviewed")

        o = self.outcomes()
        self.assertEqual(o["a"].status, intake_pb2.IDENTIFIED)
        self.assertEqual(o["b"].status, intake_pb2.VERIFYING)

        hist = fp.sql(self.ci, f"SELECT actor, coalesce(level, ''), event, coalesce(from_state, ''), to_state"
                               f" FROM case_history WHERE case_id = {c1} ORDER BY id")
        self.assertEqual([h[2] for h in hist], ["opened", "visit", "post_notice", "objection", "review", "approve",
                                                "identify"])
        self.assertEqual(hist[4][:2], ("actor:130822112:zhao", "township"))
        ev = fp.sql(self.ci, f"SELECT type, region_code, payload::text FROM events WHERE payload->>'case_id' = '{c1}'"
                             f" AND type <> 'case.opened' ORDER BY id")
        self.assertEqual([e[0] for e in ev], ["case.visit", "case.post_notice", "case.objection", "case.review",
                                              "case.approve", "case.identify"])
        self.assertTrue(all(e[1] == VA for e in ev))
        self.assertEqual(json.loads(ev[-1][2]), {"case_id": c1, "from": "county_approved", "to": "identified",
                                                 "level": "county"})
        for _, _, payload in fp.sql(self.ci, "SELECT type, region_code, payload::text FROM events"):
            self.assertNotIn(person(1), payload)
        self.assertNotIn(person(1), self.s.log())

    def test_overdue_scan_pages(self):
        # three old cases and one recent one, scanned one case per statement: every page is read,
        # the three old ones reported once each, the recent one not, and the count covers them all
        self.screening(TODAY)
        self.push([lead(idn=person(1), village=VA, date="2026-10-15", ref="o1"),
                   lead(idn=person(2), village=VA, date=RECENT, ref="r"),
                   lead(idn=person(3), village=VB, date="2026-10-15", ref="o3"),
                   lead(idn=person(4), village=VA, date="2026-10-15", ref="o4")])
        old = sorted(self.case_id(h) for h in (H1, H3, H4))
        self.case_id(H2)
        self.s.stop()
        self.svcs.remove(self.s)
        self.s = fp.Service("screening", self.ci, self.keys,
                            env={"FANGPIN_SCREENING_LEADS_PULL": self.intake.leads_push, "FANGPIN_SCREENING_SCAN_S": "1",
                                 "FANGPIN_TODAY": TODAY, "FANGPIN_SCREENING_OVERDUE_PAGE": "1"})
        self.svcs.append(self.s)
        self.s.wait_scans("overdue", more=1, since=0)
        ev = fp.sql(self.ci, "SELECT payload::text FROM events WHERE type = 'case.overdue'")
        self.assertEqual(sorted(json.loads(p)["case_id"] for p, in ev), old)
        self.assertEqual(self.s.metric("fangpin_cases_overdue"), 3)
        r = self.ask("cty", list_cases=screening_pb2.ListCases(overdue_only=True))
        self.assertEqual(sorted(x.case_id for x in r.case_list.cases), old)

    def test_close_and_overdue(self):
        self.screening(TODAY)
        self.push([lead(idn=person(3), village=VB, date="2026-10-15", ref="old"),
                   lead(idn=person(4), village=VA, date=RECENT, ref="c")])
        c3, c4 = self.case_id(H3), self.case_id(H4)

        # closed as not included: the department sees the outcome and the reason
        self.refused(self.ask("va", close_case=screening_pb2.CloseCase(case_id=c4, reason=" ")), Code.CONFLICT,
                     "case.reason_missing")
        self.ok(self.ask("va", close_case=screening_pb2.CloseCase(case_id=c4, reason="家庭收入超过监测范围")),
                "closed_not_included")
        o = self.outcomes()["c"]
        self.assertEqual(o.status, intake_pb2.NOT_INCLUDED)
        self.assertIn("家庭收入超过监测范围", o.reason)

        # the old case is overdue at the village's step: reported once, to the township (the scan
        # runs on database-ready and every 60 s: a restart makes it run now)
        self.screening(TODAY)
        fp.wait_for(lambda: fp.sql(self.ci, "SELECT count(*) FROM events WHERE type = 'case.overdue'")[0][0] == "1",
                    15, what="case.overdue")
        ev = fp.sql(self.ci, "SELECT region_code, payload::text FROM events WHERE type = 'case.overdue'")
        self.assertEqual(ev[0][0], "130822112000")
        self.assertEqual(json.loads(ev[0][1])["case_id"], c3)
        r = self.ask("tb", list_cases=screening_pb2.ListCases(overdue_only=True))
        self.assertEqual([x.case_id for x in r.case_list.cases], [c3])
        self.assertTrue(r.case_list.cases[0].overdue)
        # a new process scans on database-ready (and every minute): it does not report it again
        self.screening(TODAY).wait_scans("overdue", more=1, since=0)
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM events WHERE type = 'case.overdue'"), [("1",)])

        # fangpinctl case: a visit by the village, then `case show` in Chinese
        def ctl(key, *args, check=True):
            return fp.ctl(["case"] + list(args), self.ci, check=check, env={
                "FANGPIN_SCREENING_CONNECT": self.s.endpoint, "FANGPIN_KEYS_DIR": self.keys.dir,
                "FANGPIN_CLIENT_CERT": self.keys.path(key, secret=True)})
        p = ctl("va", "visit", str(c3), "--consent", "--findings", "属实", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("NOT_FOUND", p.stderr)
        p = ctl("vb", "visit", str(c3), "--consent", "--findings", "入户核实属实", "--income", "wage_other=900000",
                "--request-id", "ctl-1")
        self.assertIn("已入户核实", p.stdout)
        ctl("vb", "visit", str(c3), "--consent", "--findings", "入户核实属实", "--request-id", "ctl-1")
        self.assertEqual(fp.sql(self.ci, f"SELECT count(*) FROM case_history WHERE case_id = {c3} AND event = 'visit'"),
                         [("1",)])
        p = ctl("tb", "show", str(c3))
        self.assertIn("筛查规则说明", p.stdout)
        self.assertIn("已入户核实", p.stdout)
        self.assertIn("入户核实属实", p.stdout)
        self.assertNotIn(person(3), p.stdout)
        p = ctl("tb", "list", "--overdue")
        self.assertIn("共", p.stdout)


    def test_province_params_and_holidays(self):
        # Hebei (13): a 7-day notice, and decision due in 15 working days; 2026-12-01 a holiday
        fp.sql(self.ci, "INSERT INTO policy_params (name, province_code, effective_from, value, unit, source) VALUES"
                        " ('notice_days', '13', '2026-01-01', 7, 'days', 'test'),"
                        " ('decision_working_days', '13', '2026-01-01', 1, 'flag', 'test')")
        fp.sql(self.ci, "INSERT INTO holidays (day, kind, name) VALUES ('2026-12-01', 'holiday', 'test')")
        self.screening(TODAY)
        self.push([lead(idn=person(1), village=VA, date=RECENT, ref="a")])
        c1 = self.case_id(H1)
        # lead on Monday 2026-11-23 + 15 working days, skipping weekends and 2026-12-01:
        # 2026-12-15 (calendar days would give 2026-12-08, working days without the holiday 2026-12-14)
        self.assertEqual(fp.sql(self.ci, f"SELECT due_on::text FROM cases WHERE id = {c1}"), [("2026-12-15",)])
        self.ok(self.visit("va", c1), "visited")
        s = self.ok(self.ask("va", post_notice=screening_pb2.PostNotice(case_id=c1)), "notice_posted")
        self.assertEqual(s.due_on, "2026-12-15")
        # the township's review is due 2 working days after Hebei's 7-day notice ends (2026-12-01,
        # the test holiday): 2026-12-03; the compiled 5 days would give 2026-12-02. The list, the
        # case and the reply agree with the overdue scan's parameters.
        self.assertEqual(s.step_due_on, "2026-12-03")
        d = self.ask("va", show_case=screening_pb2.ShowCase(case_id=c1)).case_detail
        self.assertEqual(d.summary.step_due_on, "2026-12-03")
        rows = self.ask("tb", list_cases=screening_pb2.ListCases(limit=50)).case_list.cases
        self.assertEqual([r.step_due_on for r in rows if r.case_id == c1], ["2026-12-03"])
        d = self.ask("va", show_case=screening_pb2.ShowCase(case_id=c1)).case_detail
        self.assertIn("公示期7天", d.notice_text)
        # 5 days after the notice: the national 5 would allow it, Hebei's 7 does not
        self.screening("2026-11-29")
        self.refused(self.ask("tb", township_review=screening_pb2.TownshipReview(case_id=c1, opinion="同意")),
                     Code.CONFLICT, "case.notice_too_early")
        self.screening("2026-12-01")
        self.ok(self.ask("tb", township_review=screening_pb2.TownshipReview(case_id=c1, opinion="同意")),
                "township_reviewed")

if __name__ == "__main__":
    fp.main()
