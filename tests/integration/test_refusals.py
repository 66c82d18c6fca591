"""One way to refuse (issue 13): every refusal of every service, through the real ZeroMQ
interface, carries a reason code in Status.reason, and its status is the one docs/refusals.md
(the table of common/refusal.c) gives that code; the same situation gets the same status in
every service (a caller of the wrong kind or level, a region outside the key's, an unknown
operation)."""
import os
import re
import unittest

import fp
from fangpin.v1 import assistance_pb2 as A, common_pb2, intake_pb2 as I, reporting_pb2 as R, screening_pb2 as S

Code = common_pb2.Code
TODAY = "2026-11-24"
VA = "130822112201"


def documented():
    """code -> status name, from docs/refusals.md (families "case.*" as their prefix)."""
    path = os.path.join(os.environ["FANGPIN_SOURCE"], "docs", "refusals.md")
    rows = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^\| `([a-z0-9_.*]+)` \| `([A-Z_]+)` \|", line)
            if m:
                rows[m.group(1)] = m.group(2)
    return rows


class Refusals(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.doc = documented()
        cls.ci = fp.county_db("it_refusals")
        cls.keys = fp.Keys(cls.ci, fp.SERVICES + ("admin", "yibao", "va", "cty"))
        cls.keys.register("admin", "admin:county-it")
        cls.keys.register("yibao", "dept:130822:yibao", kind="department", level="county", dept="yibao")
        cls.keys.register("va", f"actor:{VA}:li", kind="actor", level="village", region=VA)
        cls.keys.register("cty", "actor:130822:sun", kind="actor", level="county", region="130822")
        cls.svcs = {}
        try:
            for name in fp.SERVICES:
                cls.svcs[name] = fp.Service(name, cls.ci, cls.keys, env={"FANGPIN_TODAY": TODAY})
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for s in cls.svcs.values():
            s.stop()

    def status_of(self, reason):
        if reason in self.doc:
            return self.doc[reason]
        fam = reason.split(".")[0] + ".*"
        self.assertIn(fam, self.doc, f"{reason} is not in docs/refusals.md")
        return self.doc[fam]

    def refused(self, service, key, req_type, reply_type, reason, code=None, **op):
        c = self.svcs[service].client(key)
        try:
            r = c.call(req_type(request_id=f"rid-{reason}", **op), reply_type, timeout_ms=30000)
        finally:
            c.close()
        self.assertIsNotNone(r, f"{service}: no answer")
        self.assertEqual(r.status.reason, reason, r.status)
        self.assertEqual(Code.Name(r.status.code), self.status_of(reason), r.status)
        if code is not None:
            self.assertEqual(r.status.code, code, r.status)
        self.assertTrue(r.status.message and r.status.message_zh, r.status)
        return r

    def test_unknown_operation_everywhere(self):
        for name, req, rep in (("intake", I.IntakeRequest, I.IntakeReply),
                               ("screening", S.ScreeningRequest, S.ScreeningReply),
                               ("assistance", A.AssistanceRequest, A.AssistanceReply),
                               ("reporting", R.ReportingRequest, R.ReportingReply)):
            with self.subTest(service=name):
                self.refused(name, "cty", req, rep, "request.unknown_operation", Code.UNKNOWN_OPERATION)

    def test_intake(self):
        self.refused("intake", "admin", I.IntakeRequest, I.IntakeReply, "caller.kind", Code.FORBIDDEN,
                     submit_leads=I.SubmitLeads(batch_id="b1", period="2026-10"))
        self.refused("intake", "yibao", I.IntakeRequest, I.IntakeReply, "batch.empty", Code.BAD_REQUEST,
                     submit_leads=I.SubmitLeads(batch_id="b1", period="2026-10"))
        self.refused("intake", "yibao", I.IntakeRequest, I.IntakeReply, "batch.not_found", Code.NOT_FOUND,
                     get_batch=I.GetBatch(batch_id="never-sent"))
        self.refused("intake", "yibao", I.IntakeRequest, I.IntakeReply, "request.field", Code.BAD_REQUEST,
                     list_outcomes=I.ListOutcomes(period="2026/10"))
        self.refused("intake", "yibao", I.IntakeRequest, I.IntakeReply, "profile.unknown", Code.NOT_FOUND,
                     get_push_profile=I.GetPushProfile(name="never-added"))
        self.refused("intake", "cty", I.IntakeRequest, I.IntakeReply, "caller.kind", Code.FORBIDDEN,
                     get_push_profile=I.GetPushProfile(name="never-added"))

    def test_screening(self):
        self.refused("screening", "admin", S.ScreeningRequest, S.ScreeningReply, "caller.kind", Code.FORBIDDEN,
                     record_visit=S.RecordVisit(case_id=1))
        self.refused("screening", "cty", S.ScreeningRequest, S.ScreeningReply, "case.not_found", Code.NOT_FOUND,
                     record_visit=S.RecordVisit(case_id=999999))
        self.refused("screening", "cty", S.ScreeningRequest, S.ScreeningReply, "case.not_found", Code.NOT_FOUND,
                     show_case=S.ShowCase(case_id=999999))
        self.refused("screening", "yibao", S.ScreeningRequest, S.ScreeningReply, "read.kind", Code.FORBIDDEN,
                     list_cases=S.ListCases())
        self.refused("screening", "va", S.ScreeningRequest, S.ScreeningReply, "read.region", Code.FORBIDDEN,
                     list_cases=S.ListCases(region_prefix="130822112202"))
        self.refused("screening", "cty", S.ScreeningRequest, S.ScreeningReply, "request.field", Code.BAD_REQUEST,
                     list_cases=S.ListCases(region_prefix="13x"))

    def test_assistance(self):
        self.refused("assistance", "admin", A.AssistanceRequest, A.AssistanceReply, "caller.kind", Code.FORBIDDEN,
                     add_measure=A.AddMeasure(plan_id=1))
        self.refused("assistance", "cty", A.AssistanceRequest, A.AssistanceReply, "caller.level", Code.FORBIDDEN,
                     open_consolidation_plan=A.OpenConsolidationPlan(county_code="130822", household_no="1",
                                                                     year=2026))
        self.refused("assistance", "va", A.AssistanceRequest, A.AssistanceReply, "request.field", Code.BAD_REQUEST,
                     add_measure=A.AddMeasure(plan_id=0))
        self.refused("assistance", "cty", A.AssistanceRequest, A.AssistanceReply, "plan.not_found", Code.NOT_FOUND,
                     show_plan=A.ShowPlan(plan_id=999999))
        self.refused("assistance", "yibao", A.AssistanceRequest, A.AssistanceReply, "read.kind", Code.FORBIDDEN,
                     list_plans=A.ListPlans())
        self.refused("assistance", "va", A.AssistanceRequest, A.AssistanceReply, "read.region", Code.FORBIDDEN,
                     list_plans=A.ListPlans(region_prefix="130822112202"))

    def test_reporting(self):
        report = dict(report="lead_verification_monthly", region_prefix="130822", period="2026-10")
        self.refused("reporting", "yibao", R.ReportingRequest, R.ReportingReply, "read.kind", Code.FORBIDDEN,
                     get_report=R.GetReport(**report))
        self.refused("reporting", "va", R.ReportingRequest, R.ReportingReply, "read.region", Code.FORBIDDEN,
                     get_report=R.GetReport(**report))
        self.refused("reporting", "va", R.ReportingRequest, R.ReportingReply, "reopen.level", Code.FORBIDDEN,
                     reopen_report=R.ReopenReport(reason="补录", **report))
        self.refused("reporting", "cty", R.ReportingRequest, R.ReportingReply, "report.not_frozen", Code.NOT_FOUND,
                     reopen_report=R.ReopenReport(reason="补录", **report))
        self.refused("reporting", "cty", R.ReportingRequest, R.ReportingReply, "request.field", Code.BAD_REQUEST,
                     replay=R.Replay(region_prefix="13x"))


if __name__ == "__main__":
    unittest.main()
