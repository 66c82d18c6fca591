"""Data-quality findings (疑点, issue 14) through the protocol: the assistance service's
ListFindings, MarkFindingFixed, ExplainFinding and ReviewExplanation on a real database, each
caller by its own key. A village actor sees its village's findings only (masked, no ID number);
it claims a fix, the county corrects the ledger and re-runs, and the finding closes; a fix claimed
without a correction comes back open, marked as a fix that did not hold; an explanation rejected
by the township opens again due anew, explained again and accepted it survives a re-run; a
village actor may not review, nor a township actor of another township. `fangpinctl check` does
the same through the service. And the nightly runs: once per county and day, none again after a
restart on the same day."""
import csv
import io
import json
import unittest

import fp
from fangpin.v1 import assistance_pb2 as A, common_pb2
from test_quality import CASES, COUNTY, ON, VA, VB, household

Code = common_pb2.Code
TA = VA[:9]
LATER = "2026-10-20"


def fixture(ci):
    fire = CASES["Q050"][0]  # per capita income below the line, not monitored
    sql = []
    for no, village in (("FXA1", VA), ("FXA2", VA), ("FXA3", VA), ("FXB1", VB)):
        sql += household(no, village=village, **fire)
    fp.sql(ci, "\n".join(sql))


class Findings(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("it_findings")
        fixture(cls.ci)
        fp.ctl(["quality", "run", "--county", COUNTY, "--rules", "Q050"], cls.ci, env={"FANGPIN_TODAY": ON})
        other, = fp.sql(cls.ci, f"SELECT min(code) FROM regions WHERE level = 4 AND county_code = '{COUNTY}'"
                                f" AND code <> '{TA}'")[0]
        cls.keys = fp.Keys(cls.ci, names=("assistance", "va", "vb", "ta", "tx", "cty"))
        cls.keys.register("va", f"actor:{VA}:li", kind="actor", level="village", region=VA)
        cls.keys.register("vb", f"actor:{VB}:wang", kind="actor", level="village", region=VB)
        cls.keys.register("ta", f"actor:{TA}:zhao", kind="actor", level="township", region=TA)
        cls.keys.register("tx", f"actor:{other}:qian", kind="actor", level="township", region=other)
        cls.keys.register("cty", f"actor:{COUNTY}:sun", kind="actor", level="county", region=COUNTY)
        cls.svc = fp.Service("assistance", cls.ci, cls.keys,
                             env={"FANGPIN_TODAY": ON, "FANGPIN_QUALITY_NIGHTLY_AT": "off"})
        cls.seq = 0

    @classmethod
    def tearDownClass(cls):
        cls.svc.stop()

    def call(self, key, **op):
        Findings.seq += 1
        c = self.svc.client(key)
        try:
            r = c.call(A.AssistanceRequest(request_id=f"rid-{self.seq}", **op), A.AssistanceReply, timeout_ms=30000)
        finally:
            c.close()
        self.assertIsNotNone(r, "no answer")
        return r

    def retry(self, key, request_id, **op):
        """op sent again with an earlier request's id."""
        c = self.svc.client(key)
        try:
            r = c.call(A.AssistanceRequest(request_id=request_id, **op), A.AssistanceReply, timeout_ms=30000)
        finally:
            c.close()
        self.assertIsNotNone(r, "no answer")
        return r

    def ok(self, key, **op):
        r = self.call(key, **op)
        self.assertEqual(r.status.code, Code.OK, r.status)
        return r

    def refused(self, key, reason, **op):
        r = self.call(key, **op)
        self.assertEqual(r.status.reason, reason, r.status)
        self.assertNotEqual(r.status.code, Code.OK)
        return r

    def listed(self, key, **filters):
        return {f.household_no: f for f in self.ok(key, list_findings=A.ListFindings(**filters)).finding_list.findings}

    def fid(self, household_no):
        return int(fp.sql(self.ci, f"SELECT id FROM quality_findings WHERE household_no = '{household_no}'"
                                   f" ORDER BY id DESC LIMIT 1")[0][0])

    def run_on(self, day):
        fp.ctl(["quality", "run", "--county", COUNTY, "--rules", "Q050"], self.ci, env={"FANGPIN_TODAY": day})

    def events(self, type_):
        return [json.loads(p) for p, in fp.sql(self.ci, f"SELECT payload::text FROM events WHERE type = '{type_}'"
                                                        f" ORDER BY id")]

    def ctl(self, key, *args, check=True):
        return fp.ctl(list(args), self.ci, check=check, env={
            "FANGPIN_ASSISTANCE_CONNECT": self.svc.endpoint, "FANGPIN_KEYS_DIR": self.keys.dir,
            "FANGPIN_CLIENT_CERT": self.keys.path(key, secret=True), "FANGPIN_TODAY": ON})

    # --- the tests, in the order of a finding's life ---------------------------------------------

    def test_1_village_sees_its_own_village_only(self):
        mine = self.listed("va")
        self.assertEqual(set(mine), {"FXA1", "FXA2", "FXA3"})
        for f in mine.values():
            self.assertEqual((f.village_code, f.rule, f.state), (VA, "Q050", "open"))
            self.assertEqual(f.name_masked, "张*国")
            self.assertIn("per_capita_fen", json.loads(f.facts))
        self.assertEqual(set(self.listed("vb")), {"FXB1"})
        self.assertEqual(set(self.listed("cty")), {"FXA1", "FXA2", "FXA3", "FXB1"})
        self.assertEqual(set(self.listed("cty", region_prefix=VB)), {"FXB1"})
        self.assertEqual(self.listed("cty", state="fixed"), {})
        self.refused("va", "read.region", list_findings=A.ListFindings(region_prefix=VB))
        page = self.ok("cty", list_findings=A.ListFindings(limit=2)).finding_list
        self.assertEqual(len(page.findings), 2)
        rest = self.ok("cty", list_findings=A.ListFindings(limit=2, after_id=page.next_after_id)).finding_list
        self.assertEqual(len(page.findings) + len(rest.findings), 4)
        out = self.ctl("va", "check", "list").stdout
        self.assertIn("FXA1", out)
        self.assertNotIn("FXB1", out)
        self.assertIn("3 finding(s)", out)
        rows = list(csv.DictReader(io.StringIO(self.ctl("cty", "check", "list", "--format", "csv", "--region", VB)
                                               .stdout.lstrip("\ufeff"))))
        self.assertEqual([(r["household_no"], r["name"], r["state"]) for r in rows], [("FXB1", "张*国", "open")])

    def test_2_a_claimed_fix_closes_when_corrected_and_comes_back_when_not(self):
        a1, a2 = self.fid("FXA1"), self.fid("FXA2")
        f = self.ok("va", mark_finding_fixed=A.MarkFindingFixed(finding_id=a1)).finding
        self.first_claim = Findings.seq
        self.assertEqual((f.state, f.fix_claimed_by, f.fix_held), ("open", f"actor:{VA}:li", ""))
        out = self.ctl("va", "check", "fix", str(a2)).stdout
        self.assertIn(f"finding {a2}: open", out)
        self.refused("vb", "finding.out_of_scope", mark_finding_fixed=A.MarkFindingFixed(finding_id=a1))
        self.refused("ta", "caller.level", mark_finding_fixed=A.MarkFindingFixed(finding_id=a1))
        self.refused("va", "finding.not_found", mark_finding_fixed=A.MarkFindingFixed(finding_id=999999))
        # a retry of the claim on a1 (its reply lost): answered from what is stored, not claimed again
        claimed = fp.sql(self.ci, f"SELECT fix_claimed_at::text FROM quality_findings WHERE id = {a1}")
        retry = self.retry("va", f"rid-{self.first_claim}", mark_finding_fixed=A.MarkFindingFixed(finding_id=a1))
        self.assertEqual(retry.status.code, Code.OK, retry.status)
        self.assertEqual((retry.finding.finding_id, retry.finding.fix_claimed_by), (a1, f"actor:{VA}:li"))
        self.assertEqual(fp.sql(self.ci, f"SELECT fix_claimed_at::text FROM quality_findings WHERE id = {a1}"), claimed)
        # the county corrects FXA1 in the ledger, not FXA2, and runs the checks again
        fp.sql(self.ci, "UPDATE ledger_households SET wage_fen = 6000000 WHERE household_no = 'FXA1'")
        self.run_on(ON)
        fixed = self.listed("va", state="fixed")
        self.assertEqual(set(fixed), {"FXA1"})
        self.assertEqual(fixed["FXA1"].fix_held, "yes")
        again = self.listed("va")["FXA2"]
        self.assertEqual((again.finding_id, again.state, again.fix_claimed_by, again.fix_held),
                         (a2, "open", f"actor:{VA}:li", "no"))
        self.assertEqual([(e["finding_id"], e["actor"]) for e in self.events("finding.fix_claimed")],
                         [(a1, f"actor:{VA}:li"), (a2, f"actor:{VA}:li")])
        self.assertEqual([e["finding_id"] for e in self.events("finding.fix_failed")], [a2])
        self.assertIn(a1, [e["finding_id"] for e in self.events("finding.closed")])
        # the same retry once the run closed it: the finding as it is (fixed), still one claim event
        retry = self.retry("va", f"rid-{self.first_claim}", mark_finding_fixed=A.MarkFindingFixed(finding_id=a1))
        self.assertEqual((retry.status.code, retry.finding.state, retry.finding.fix_held), (Code.OK, "fixed", "yes"))
        self.assertEqual([e["finding_id"] for e in self.events("finding.fix_claimed")].count(a1), 1)
        # a new request on the closed finding is no retry: refused by its state
        self.refused("va", "finding.state", mark_finding_fixed=A.MarkFindingFixed(finding_id=a1))

    def test_3_explanation_rejected_then_accepted_and_kept(self):
        a3 = self.fid("FXA3")
        self.refused("va", "finding.reason_required", explain_finding=A.ExplainFinding(finding_id=a3, reason=" "))
        self.refused("va", "request.field",
                     explain_finding=A.ExplainFinding(finding_id=a3, reason="身份证 130822196805120033"))
        self.refused("vb", "finding.out_of_scope", explain_finding=A.ExplainFinding(finding_id=a3, reason="x"))
        f = self.ok("va", explain_finding=A.ExplainFinding(finding_id=a3, reason="外出务工收入未统计")).finding
        self.assertEqual((f.state, f.explanation, f.review), ("explained", "外出务工收入未统计", ""))
        self.refused("va", "finding.state", explain_finding=A.ExplainFinding(finding_id=a3, reason="again"))
        review = dict(finding_id=a3, accept=False, reason="请提供务工证明")
        self.refused("va", "caller.level", review_explanation=A.ReviewExplanation(**review))
        self.refused("tx", "finding.out_of_scope", review_explanation=A.ReviewExplanation(**review))
        self.refused("ta", "finding.reason_required",
                     review_explanation=A.ReviewExplanation(finding_id=a3, accept=False, reason=""))
        f = self.ok("ta", review_explanation=A.ReviewExplanation(**review)).finding
        self.assertEqual((f.state, f.review, f.reviewed_by, f.rejection_reason),
                         ("open", "rejected", f"actor:{TA}:zhao", "请提供务工证明"))
        self.assertEqual(f.due_on, "2026-10-31")  # ON + quality_due_days (30)
        self.refused("ta", "finding.state", review_explanation=A.ReviewExplanation(**review))
        out = self.ctl("va", "check", "explain", str(a3), "--reason", "已补充务工证明").stdout
        self.assertIn(f"finding {a3}: explained", out)
        out = self.ctl("ta", "check", "review", str(a3), "accept").stdout
        self.assertIn("explanation accepted", out)
        f = self.listed("va")["FXA3"]
        self.assertEqual((f.state, f.review, f.rejection_reason), ("explained", "accepted", "请提供务工证明"))
        self.refused("ta", "finding.state", review_explanation=A.ReviewExplanation(finding_id=a3, accept=True))
        self.run_on(LATER)  # facts unchanged: it stays explained and accepted
        f = self.listed("va")["FXA3"]
        self.assertEqual((f.finding_id, f.state, f.review), (a3, "explained", "accepted"))
        self.assertEqual([(e["finding_id"], e["actor"]) for e in self.events("finding.explained")],
                         [(a3, f"actor:{VA}:li")] * 2)
        self.assertEqual([(e["decision"], e.get("due_on")) for e in self.events("finding.reviewed")],
                         [("rejected", "2026-10-31"), ("accepted", None)])
        p = self.ctl("tx", "check", "review", str(a3), "reject", "--reason", "x", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("FORBIDDEN", p.stderr)
        self.assertIn("not of your village", p.stderr)

    def test_4_no_id_number_in_events_or_answers(self):
        for t, p in fp.sql(self.ci, "SELECT type, payload::text FROM events WHERE type LIKE 'finding.%'"):
            self.assertNotRegex(p, r"\d{15}", t)
            self.assertNotIn("name", json.loads(p), t)


class Nightly(unittest.TestCase):
    """FANGPIN_QUALITY_NIGHTLY_AT=00:00 is always past: the service runs each county's checks at
    once, records one nightly run per county for FANGPIN_TODAY, and after a restart on the same
    day runs none again."""

    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("it_findings_nightly")
        fixture(cls.ci)
        cls.keys = fp.Keys(cls.ci, names=("assistance",))
        cls.env = {"FANGPIN_TODAY": ON, "FANGPIN_QUALITY_NIGHTLY_AT": "00:00"}

    def nightly(self):
        return fp.sql(self.ci, "SELECT county_code, on_day::text, actor FROM quality_runs WHERE reason = 'nightly'")

    def done(self, svc):
        return [r for r in svc.log_records() if r.get("msg") == "nightly data-quality runs done"]

    def test_once_per_county_and_day(self):
        svc = fp.Service("assistance", self.ci, self.keys, env=self.env)
        try:
            fp.wait_for(lambda: self.done(svc), 60, what="the nightly runs")
            self.assertEqual(self.done(svc)[0].get("counties"), "1")
        finally:
            svc.stop()
        self.assertEqual(self.nightly(), [(COUNTY, ON, "assistance:nightly")])
        found, = fp.sql(self.ci, "SELECT count(*) FROM quality_findings WHERE rule_code = 'Q050'")[0]
        self.assertEqual(found, "4")
        svc = fp.Service("assistance", self.ci, self.keys, env=self.env)
        try:
            fp.wait_for(lambda: self.done(svc), 60, what="the nightly runs after a restart")
            self.assertEqual(self.done(svc)[0].get("counties"), "0")
        finally:
            svc.stop()
        self.assertEqual(self.nightly(), [(COUNTY, ON, "assistance:nightly")])
        svc = fp.Service("assistance", self.ci, self.keys, env=dict(self.env, FANGPIN_TODAY=LATER))
        try:
            fp.wait_for(lambda: self.done(svc), 60, what="the nightly runs of the next day")
        finally:
            svc.stop()
        self.assertEqual(sorted(self.nightly()), [(COUNTY, ON, "assistance:nightly"), (COUNTY, LATER, "assistance:nightly")])

    def test_a_county_that_fails_loses_no_other(self):
        """Each county's nightly run is a transaction of its own: 130822's fails (a trigger refuses
        its run), 130823's, run after it, is committed all the same."""
        ci = fp.county_db("it_findings_nightly_fail")
        fixture(ci)
        other = household("FXC1", village="130823100200", **CASES["Q050"][0])
        fp.sql(ci, "\n".join([s.replace(f"'{COUNTY}'", "'130823'") for s in other] + [
            "CREATE FUNCTION it_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            f" IF NEW.county_code = '{COUNTY}' THEN RAISE EXCEPTION 'it: this county fails'; END IF;"
            " RETURN NEW; END $$;",
            "CREATE TRIGGER it_fail BEFORE INSERT ON quality_runs FOR EACH ROW EXECUTE FUNCTION it_fail();"]))
        keys = fp.Keys(ci, names=("assistance",))
        svc = fp.Service("assistance", ci, keys, env=self.env)
        try:
            msg = "nightly data-quality runs incomplete; the counties left are tried again in a minute"
            fp.wait_for(lambda: any(r.get("msg") == msg for r in svc.log_records()), 60, what="the nightly attempt")
            failed = [r for r in svc.log_records() if r.get("msg") == "the nightly data-quality run of a county failed"]
            self.assertEqual([r.get("county") for r in failed], [COUNTY])
            self.assertEqual(self.done(svc), [])
        finally:
            svc.stop()
        self.assertEqual(fp.sql(ci, "SELECT county_code, on_day::text FROM quality_runs WHERE reason = 'nightly'"),
                         [("130823", ON)])
        self.assertEqual(fp.sql(ci, "SELECT household_no FROM quality_findings WHERE rule_code = 'Q050'"), [("FXC1",)])

    def test_bad_setting_stops_the_service(self):
        svc = fp.Service("assistance", self.ci, self.keys, env=dict(self.env, FANGPIN_QUALITY_NIGHTLY_AT="25:00"),
                         wait_ready=False)
        fp.wait_for(lambda: svc.proc.poll() is not None, 30, what="the service to stop")
        self.assertNotEqual(svc.proc.returncode, 0)
        self.assertIn("FANGPIN_QUALITY_NIGHTLY_AT", svc.log())


if __name__ == "__main__":
    fp.main()
