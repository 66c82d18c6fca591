"""The rural low-income population through the real protocol (docs/lowincome.md): a county in
the separate mode behaves as before (civil affairs' leads open cases and change no category,
screening refers no one, a category change is refused); after its switch date, a civil-affairs
lead puts a household in 低保 (and an exit lead takes it out), a household screened as likely
低保边缘 is sent to civil affairs with its facts, a civil-affairs key confirms it (once, however
often it is retried), and keys of other departments or of actors are refused; one visit serves
every category: a household identified 边缘易致贫 and then, after a hospital bill, sent to civil
affairs as likely 刚性支出困难 on the same quarter's income and expense record, its second case's
visit step met by that record; civil affairs declines a referral with its reason."""
import json
import unittest

import fp
from fangpin.v1 import common_pb2, reporting_pb2, screening_pb2
from test_case_flow import LATER
import test_cases
from test_cases import import_ledger, ledger_line, person
from test_intake import TODAY, lead

Code = common_pb2.Code
VA = "130822112201"
H_DIBAO, H_EDGE, H_RICH, H_SICK = ("13082211220100001", "13082211220100002", "13082211220100003",
                                   "13082211220100004")
A, B, C, D = person(11), person(12), person(13), person(14)


class LowIncome(unittest.TestCase):
    def setUp(self):
        self.ci = fp.county_db(f"it_lowinc_{self._testMethodName[-20:]}")
        self.keys = fp.Keys(self.ci, fp.SERVICES + ("admin", "minzheng", "yibao", "county", "va", "tb"))
        self.reporting = []
        self.keys.register("admin", "admin:county-it")
        self.keys.register("minzheng", "dept:130822:minzheng", kind="department", level="county", dept="minzheng")
        self.keys.register("yibao", "dept:130822:yibao", kind="department", level="county", dept="yibao")
        self.keys.register("county", "actor:130822:chen", kind="actor", level="county", region="130822")
        self.keys.register("va", f"actor:{VA}:li", kind="actor", level="village", region=VA)
        self.keys.register("tb", "actor:130822112:zhao", kind="actor", level="township", region="130822112")
        import_ledger(self.ci, [
            # one member each: the per-capita income is the wage (yuan)
            ledger_line(H_DIBAO, VA, "一般户", "甲", "甲", A, "户主", 4000),
            ledger_line(H_EDGE, VA, "一般户", "乙", "乙", B, "户主", 8000),
            ledger_line(H_RICH, VA, "一般户", "丙", "丙", C, "户主", 9000),
            ledger_line(H_SICK, VA, "一般户", "丁", "丁", D, "户主", 9500),
        ])
        # the county's 低保 standard: 1.5 × 6000 = 9000 yuan, so 8000 is below it and 9000 is not
        self.ctl(None, "category", "param", "set", "dibao_standard_yuan", "130822", "2026-01-01", "6000",
                 "--source", "县民政局 2026 年农村低保标准")
        self.intake = fp.Service("intake", self.ci, self.keys, env={"FANGPIN_TODAY": TODAY})
        self.svcs = [self.intake]
        self.screening = None
        self.start_screening(TODAY)

    def start_screening(self, today):
        if self.screening:
            self.screening.stop()
            self.svcs.remove(self.screening)
        self.screening = fp.Service("screening", self.ci, self.keys, env={
            "FANGPIN_SCREENING_LEADS_PULL": self.intake.leads_push, "FANGPIN_SCREENING_SCAN_S": "1",
            "FANGPIN_TODAY": today})
        self.svcs.append(self.screening)

    def tearDown(self):
        for s in self.svcs + self.reporting:
            s.stop()

    def report(self, today, fmt="proto", key="admin", report="lowincome_quarterly", refused=None):
        """农村低收入人口分类统计 of 2026Q4 for the county, from a reporting service whose day is today."""
        svc = fp.Service("reporting", self.ci, self.keys, env={"FANGPIN_TODAY": today,
                                                               "FANGPIN_REPORTING_DEADLINE_SCAN_MS": "0"})
        self.reporting.append(svc)
        req = reporting_pb2.ReportingRequest(request_id="lowinc-report")
        req.get_report.report, req.get_report.region_prefix = report, "130822"
        req.get_report.period, req.get_report.format = "2026Q4", fmt
        c = svc.client(key)
        try:
            r = c.call(req, reporting_pb2.ReportingReply, 20000)
        finally:
            c.close()
        svc.stop()
        if refused:
            self.assertEqual((r.status.code, r.status.reason), refused, r.status)
            return None, None
        self.assertEqual(r.status.code, Code.OK, r.status.message)
        keys = [c.key for c in r.report.columns]
        return r.report, {(row.kind, row.code): dict(zip(keys, map(int, row.cells))) for row in r.report.rows
                          if fmt == "proto"}

    def ctl(self, key, *args, check=True):
        env = {"FANGPIN_SCREENING_CONNECT": self.screening.endpoint, "FANGPIN_KEYS_DIR": self.keys.dir,
               "FANGPIN_CLIENT_CERT": self.keys.path(key, secret=True)} if key else None
        return fp.ctl(list(args), self.ci, check=check, env=env)

    submit = test_cases.Cases.push  # one batch to intake, all accepted

    def push(self, key, name, leads):
        self.submit(key, name, leads)
        fp.wait_for(lambda: fp.sql(self.ci, "SELECT count(*) FROM leads WHERE screened_at IS NULL")[0][0] == "0",
                    30, what=f"batch {name} screened")

    def ask(self, key, op, **fields):
        req = screening_pb2.ScreeningRequest(request_id=fields.pop("request_id", f"{op}-{key}"))
        getattr(req, op).SetInParent()
        for k, v in fields.items():
            if isinstance(v, screening_pb2.VisitFindings):
                getattr(req, op).findings.CopyFrom(v)
            else:
                setattr(getattr(req, op), k, v)
        c = self.screening.client(key)
        try:
            return c.call(req, screening_pb2.ScreeningReply, 10000)
        finally:
            c.close()

    def members(self):
        return sorted(fp.sql(self.ci, "SELECT household_no, category, decided_by FROM household_categories"))

    def leads_of_both(self, date):
        self.push("minzheng", f"mz-{date}", [lead(idn=A, village=VA, kind="minzheng.dibao_new", date=date,
                                                  amount=None, ref="a")])
        self.push("yibao", f"yb-{date}", [lead(idn=B, village=VA, date=date, amount=100000, ref="b"),
                                          lead(idn=C, village=VA, date=date, amount=100000, ref="c")])

    def test_separate_mode_is_as_before(self):
        self.leads_of_both("2026-10-15")
        # the leads open cases as they always did
        self.assertEqual(sorted(r[0] for r in fp.sql(self.ci, "SELECT household_no FROM cases")),
                         [H_DIBAO, H_EDGE, H_RICH])
        self.assertEqual(self.members(), [])
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM lowincome_referrals"), [("0",)])
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM events WHERE type LIKE 'category.%'"
                                         " OR type = 'lowincome.referred'"), [("0",)])
        r = self.ask("minzheng", "confirm_category", household_no=H_EDGE, category="dibao_edge", reason="审核确认")
        self.assertEqual((r.status.code, r.status.reason), (Code.CONFLICT, "category.mode"), r)
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM household_category_history"), [("0",)])

    def test_before_and_after_the_switch(self):
        self.ctl(None, "mode", "set", "130822", "2026-10-10", "unified", "--by", "县乡村振兴局")
        self.assertIn("unified", self.ctl(None, "mode", "show", "130822").stdout)
        # a lead dated before the switch changes nothing; one after it does
        self.push("minzheng", "before", [lead(idn=A, village=VA, kind="minzheng.dibao_new", date="2026-10-09",
                                              amount=None, ref="a0")])
        self.assertEqual(self.members(), [])
        self.push("minzheng", "after", [lead(idn=A, village=VA, kind="minzheng.dibao_new", date="2026-10-10",
                                             amount=None, ref="a1")])
        lead_id = fp.sql(self.ci, "SELECT id FROM leads WHERE line_ref = 'a1'")[0][0]
        self.assertEqual(self.members(), [(H_DIBAO, "dibao", f"lead:{lead_id}")])
        self.assertEqual(fp.sql(self.ci, "SELECT change, on_date::text, actor, department FROM"
                                         " household_category_history"),
                         [("enter", "2026-10-10", f"lead:{lead_id}", "minzheng")])
        ev = fp.sql(self.ci, "SELECT payload FROM events WHERE type = 'category.entered'")
        self.assertEqual(json.loads(ev[0][0]), {"household_no": H_DIBAO, "category": "dibao", "on": "2026-10-10",
                                                "by": f"lead:{lead_id}"})
        # civil affairs' exit lead takes the household out of 低保
        self.push("minzheng", "exit", [lead(idn=A, village=VA, kind="minzheng.dibao_exit", date="2026-11-01",
                                            amount=None, ref="a2")])
        self.assertEqual(self.members(), [])
        self.assertEqual([r[0] for r in fp.sql(self.ci, "SELECT change FROM household_category_history ORDER BY id")],
                         ["enter", "leave"])

    def test_unified_refers_and_civil_affairs_confirms(self):
        self.ctl(None, "mode", "set", "130822", "2026-01-01", "unified")
        self.leads_of_both("2026-10-15")
        self.assertEqual([m[:2] for m in self.members()], [(H_DIBAO, "dibao")])
        # 8000 yuan < 1.5 × 6000: sent to civil affairs with the facts; 9000 is not below, and a
        # household in 低保 is not 低保边缘
        r = self.ask("minzheng", "list_referrals")
        self.assertEqual(r.status.code, Code.OK, r)
        self.assertEqual([(x.household_no, x.category) for x in r.referral_list.referrals], [(H_EDGE, "dibao_edge")])
        x = r.referral_list.referrals[0]
        self.assertEqual((x.per_capita_fen, x.standard_fen, x.multiple_pct, x.status), (800000, 600000, 150, "open"))
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM events WHERE type = 'lowincome.referred'"), [("1",)])
        self.assertIn(H_EDGE, self.ctl("minzheng", "category", "referrals").stdout)

        # only civil affairs decides
        r = self.ask("yibao", "confirm_category", household_no=H_EDGE, category="dibao_edge", reason="x")
        self.assertEqual((r.status.code, r.status.reason), (Code.FORBIDDEN, "category.authority"), r)
        r = self.ask("county", "confirm_category", household_no=H_EDGE, category="dibao_edge", reason="x")
        self.assertEqual((r.status.code, r.status.reason), (Code.FORBIDDEN, "category.authority"), r)
        r = self.ask("minzheng", "confirm_category", household_no=H_EDGE, category="marginal", reason="x")
        self.assertEqual((r.status.code, r.status.reason), (Code.FORBIDDEN, "category.by_case"), r)
        r = self.ask("minzheng", "confirm_category", household_no="nope", category="dibao_edge", reason="x")
        self.assertEqual((r.status.code, r.status.reason), (Code.NOT_FOUND, "category.household"), r)
        r = self.ask("minzheng", "confirm_category", household_no=H_EDGE, category="nope", reason="x")
        self.assertEqual((r.status.code, r.status.reason), (Code.NOT_FOUND, "category.unknown"), r)
        self.assertEqual([m[:2] for m in self.members()], [(H_DIBAO, "dibao")])

        # civil affairs confirms through fangpinctl; a retry of the same request is applied once
        for _ in range(2):
            p = self.ctl("minzheng", "category", "confirm", H_EDGE, "--category", "dibao_edge", "--on", "2026-11-20",
                         "--reason", "民政审核确认", "--request-id", "mz-confirm-1")
            self.assertIn("低保边缘家庭", p.stdout)
        self.assertEqual(fp.sql(self.ci, "SELECT actor, department, reason, on_date::text FROM"
                                         " household_category_history WHERE household_no = %s" % repr(H_EDGE)),
                         [("dept:130822:minzheng", "minzheng", "民政审核确认", "2026-11-20")])
        self.assertEqual(fp.sql(self.ci, "SELECT status, closed_by FROM lowincome_referrals"),
                         [("confirmed", "dept:130822:minzheng")])
        r = self.ask("minzheng", "confirm_category", household_no=H_EDGE, category="dibao_edge", reason="again")
        self.assertEqual((r.status.code, r.status.reason), (Code.CONFLICT, "category.already"), r)
        # the report counts both households by category, live before its due day
        rep, rows = self.report(TODAY)
        self.assertFalse(rep.frozen)
        total = rows[("total", "")]
        self.assertEqual({k: v for k, v in total.items() if v}, {
            "total_hh": 2, "total_people": 2, "dibao_hh": 1, "dibao_people": 1, "dibao_edge_hh": 1,
            "dibao_edge_people": 1, "entries": 2})
        self.assertEqual(rows[("village", VA)] if ("village", VA) in rows else rows[("township", VA[:9])], total)
        self.assertEqual({c.key: c.title for c in rep.columns}["dibao_edge_hh"], "低保边缘家庭户数")
        # the county's actor reads the categories of its region, the household with its history
        r = self.ask("county", "list_categories", household_no=H_EDGE)
        self.assertEqual([(m.category, m.authority, m.since) for m in r.category_list.members],
                         [("dibao_edge", "minzheng", "2026-11-20")])
        self.assertEqual([(h.change, h.actor) for h in r.category_list.history], [("enter", "dept:130822:minzheng")])
        r = self.ask("yibao", "list_categories")
        self.assertEqual((r.status.code, r.status.reason), (Code.FORBIDDEN, "category.authority"), r)
        # civil affairs ends it
        r = self.ask("minzheng", "leave_category", household_no=H_EDGE, category="dibao_edge", reason="收入增加")
        self.assertEqual(r.status.code, Code.OK, r)
        self.assertEqual([m[:2] for m in self.members()], [(H_DIBAO, "dibao")])
        r = self.ask("minzheng", "leave_category", household_no=H_EDGE, category="dibao_edge", reason="x",
                     request_id="leave-2")
        self.assertEqual((r.status.code, r.status.reason), (Code.CONFLICT, "category.not_member"), r)
        # after its due day the quarter is frozen: the exit of 11-24 is in it, as an exit
        rep, rows = self.report("2027-02-01")
        self.assertTrue(rep.frozen)
        self.assertEqual({k: v for k, v in rows[("total", "")].items() if v}, {
            "total_hh": 1, "total_people": 1, "dibao_hh": 1, "dibao_people": 1, "entries": 2, "exits": 1})
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM report_snapshots WHERE report_code ="
                                         " 'lowincome_quarterly'"), [("1",)])
        # civil affairs reads it through the reporting service too, its county's only
        _, mz = self.report("2027-02-01", key="minzheng")
        self.assertEqual(mz, rows)
        self.report("2027-02-01", key="minzheng", report="scale_quarterly", refused=(Code.FORBIDDEN, "read.report"))
        self.report("2027-02-01", key="yibao", refused=(Code.FORBIDDEN, "read.kind"))
        rep, _ = self.report("2027-02-01", fmt="csv")
        self.assertEqual(rep.filename, "lowincome_quarterly-130822-2026Q4.csv")
        self.assertIn("低保对象户数", rep.file.decode("utf-8-sig").splitlines()[0])

    def test_parameters_by_region_and_date(self):
        """The value in force: the county's row before the province's before the national one,
        the latest on or before the date; a standard that changes between two screenings."""
        set_ = lambda *a: self.ctl(None, "category", "param", "set", *a, "--source", "test")
        set_("dibao_standard_yuan", "13", "2025-01-01", "5000")
        set_("dibao_standard_yuan", "130822", "2027-01-01", "6600")
        set_("dibao_edge_multiple_pct", "13", "2027-01-01", "200")
        got = lambda name, region, on: fp.sql(self.ci, f"SELECT coalesce(lowincome_param('{name}', '{region}', '{on}')::text,"
                                                   " 'none')")[0][0]
        self.assertEqual(got("dibao_standard_yuan", VA, "2025-06-30"), "5000")   # the province's only
        self.assertEqual(got("dibao_standard_yuan", VA, "2026-01-01"), "6000")   # the county's from setUp
        self.assertEqual(got("dibao_standard_yuan", VA, "2026-12-31"), "6000")
        self.assertEqual(got("dibao_standard_yuan", VA, "2027-01-01"), "6600")
        self.assertEqual(got("dibao_standard_yuan", "130823101001", "2027-06-01"), "5000")  # another county
        self.assertEqual(got("dibao_standard_yuan", "140822101001", "2027-06-01"), "none")  # another province
        self.assertEqual(got("dibao_edge_multiple_pct", VA, "2026-12-31"), "150")  # national
        self.assertEqual(got("dibao_edge_multiple_pct", VA, "2027-01-01"), "200")  # the province's
        self.assertIn("6600", self.ctl(None, "category", "param", "list", "--region", "130822").stdout)
        p = self.ctl(None, "category", "param", "set", "no_such", "13", "2027-01-01", "1", "--source", "x",
                     check=False)
        self.assertEqual(p.returncode, 1)

    def step(self, key, op, state, **fields):
        r = self.ask(key, op, request_id=f"{op}-{fields.get('case_id')}", **fields)
        self.assertEqual((r.status.code, r.case_summary.state), (Code.OK, state), r.status)
        return r

    def test_one_visit_serves_every_category(self):
        """A household identified 边缘易致贫 on a visit that recorded its income and rigid expenses
        (收支核算); a hospital bill later in the quarter opens a second case, and the same record
        (with the bill) finds it likely 刚性支出困难: sent to civil affairs without a second visit;
        the second case's visit step is met by the record, its own items not recorded."""
        self.ctl(None, "mode", "set", "130822", "2026-01-01", "unified")
        self.ctl(None, "category", "param", "set", "disposable_income_yuan", "130822", "2026-01-01", "20000",
                 "--source", "县统计局 2025 年农村居民人均可支配收入")
        self.push("yibao", "sick-1", [lead(idn=D, village=VA, date="2026-11-20", amount=100000, ref="d1")])
        c1 = int(fp.sql(self.ci, f"SELECT id FROM cases WHERE household_no = '{H_SICK}'")[0][0])
        findings = screening_pb2.VisitFindings(
            income=[screening_pb2.IncomeItem(item="wage_other", amount_fen=950000)],
            expenses=[screening_pb2.IncomeItem(item="medical", amount_fen=200000),
                      screening_pb2.IncomeItem(item="education", amount_fen=300000)],
            text="入户核实：务工收入 9500 元，子女上学")
        bad = screening_pb2.VisitFindings(income=[screening_pb2.IncomeItem(item="lottery", amount_fen=1)], text="x")
        r = self.ask("va", "record_visit", case_id=c1, consent_given=True, findings=bad, request_id="bad-visit")
        self.assertEqual((r.status.code, r.status.reason), (Code.BAD_REQUEST, "request.field"), r)
        self.assertIn("lottery", r.status.message)
        self.step("va", "record_visit", "visited", case_id=c1, consent_given=True, findings=findings)
        self.assertEqual(fp.sql(self.ci, "SELECT case_id, quarter, visited_on::text, net_fen, per_capita_fen,"
                                         " medical_fen, education_fen FROM household_visits"),
                         [(str(c1), "2026Q4", TODAY, "950000", "950000", "200000", "300000")])
        # 9500 yuan is above 1.5 × 6000 and the rigid spending (2000 + 3000) below it: no referral
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM lowincome_referrals"), [("0",)])
        self.step("va", "post_notice", "notice_posted", case_id=c1)
        self.start_screening(LATER)
        self.step("tb", "township_review", "township_reviewed", case_id=c1, opinion="同意")
        self.step("county", "county_approve", "county_approved", case_id=c1, opinion="同意")
        req = screening_pb2.ScreeningRequest(request_id="identify-1")
        req.identify.case_id, req.identify.kind = c1, "marginal"
        req.identify.risk_types.append("illness")
        c = self.screening.client("county")
        try:
            r = c.call(req, screening_pb2.ScreeningReply, 10000)
        finally:
            c.close()
        self.assertEqual((r.status.code, r.case_summary.state), (Code.OK, "identified"), r.status)

        # the hospital bill of 8000 yuan: a second case, judged on the quarter's record
        self.push("yibao", "sick-2", [lead(idn=D, village=VA, date=TODAY, amount=800000, ref="d2")])
        c2 = int(fp.sql(self.ci, f"SELECT id FROM cases WHERE household_no = '{H_SICK}' AND id <> {c1}")[0][0])
        r = self.ask("minzheng", "list_referrals")
        self.assertEqual([(x.household_no, x.category, x.case_id) for x in r.referral_list.referrals],
                         [(H_SICK, "rigid_spending", c2)])
        x = r.referral_list.referrals[0]
        visit_id = int(fp.sql(self.ci, "SELECT id FROM household_visits")[0][0])
        # rigid: the bill (8000, larger than the visit's 2000 of medical) + 3000 of education
        self.assertEqual((x.per_capita_fen, x.net_fen, x.rigid_fen, x.disposable_fen, x.visit_id),
                         (950000, 950000, 1100000, 2000000, visit_id))
        r = self.ask("county", "list_categories", household_no=H_SICK)
        self.assertEqual([(m.category, m.decided_by) for m in r.category_list.members], [("marginal", f"case:{c1}")])
        # the monitoring kind's history as a category change, read from the case (nothing copied)
        self.assertEqual([(h.category, h.change, h.on, h.actor) for h in r.category_list.history],
                         [("marginal", "enter", LATER, f"case:{c1}")])

        # the second case's visit: met by the record, no second visit, its items not recorded
        again = screening_pb2.VisitFindings(income=[screening_pb2.IncomeItem(item="wage_other", amount_fen=1)])
        r = self.step("va", "record_visit", "visited", case_id=c2, findings=again)
        self.assertIn("复用", r.status.message_zh)
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM household_visits"), [("1",)])
        self.assertEqual(fp.sql(self.ci, "SELECT case_id, reused, asked_items FROM household_visit_uses ORDER BY case_id"),
                         [(str(c1), "f", "f"), (str(c2), "t", "t")])
        self.assertEqual([json.loads(p[0])["case_id"] for p in fp.sql(
            self.ci, "SELECT payload FROM events WHERE type = 'visit.reused'")], [c2])
        self.assertIn("复用本季度入户收支核算", fp.sql(
            self.ci, f"SELECT reason FROM case_history WHERE case_id = {c2} AND event = 'visit'")[0][0])

        # civil affairs declines it, with its reason (once, however often retried)
        r = self.ask("yibao", "decline_referral", referral_id=x.referral_id, reason="x")
        self.assertEqual((r.status.code, r.status.reason), (Code.FORBIDDEN, "category.authority"), r)
        r = self.ask("minzheng", "decline_referral", referral_id=x.referral_id + 99, reason="x")
        self.assertEqual((r.status.code, r.status.reason), (Code.NOT_FOUND, "category.referral"), r)
        r = self.ask("minzheng", "decline_referral", referral_id=x.referral_id, reason="")
        self.assertEqual((r.status.code, r.status.reason), (Code.BAD_REQUEST, "category.bad_request"), r)
        for _ in range(2):
            p = self.ctl("minzheng", "category", "decline", str(x.referral_id), "--reason", "医保报销后自付低于收入",
                         "--on", "2026-11-30", "--request-id", "decline-1")
            self.assertIn("医保报销后自付低于收入", p.stdout)
        self.assertEqual(fp.sql(self.ci, "SELECT status, closed_by, closed_on::text, close_reason FROM"
                                         " lowincome_referrals"),
                         [("declined", "dept:130822:minzheng", "2026-11-30", "医保报销后自付低于收入")])
        ev = fp.sql(self.ci, "SELECT payload FROM events WHERE type = 'lowincome.declined'")
        self.assertEqual([json.loads(e[0]) for e in ev], [{"referral_id": x.referral_id, "household_no": H_SICK,
                                                           "category": "rigid_spending", "by": "dept:130822:minzheng"}])
        r = self.ask("minzheng", "decline_referral", referral_id=x.referral_id, reason="again", request_id="d2")
        self.assertEqual((r.status.code, r.status.reason), (Code.CONFLICT, "category.referral_closed"), r)
        r = self.ask("minzheng", "list_referrals", status="declined")
        self.assertEqual([(y.referral_id, y.close_reason) for y in r.referral_list.referrals],
                         [(x.referral_id, "医保报销后自付低于收入")])


if __name__ == "__main__":
    unittest.main()
