"""Intake through its real protocol: SubmitLeads with a result per line, idempotent resends,
every reason code, sender scopes, kill -9 mid-push with client retries, the LeadsAccepted hint,
GetBatch, ListOutcomes, SubmissionStatus with the late-submission event."""
import csv
import json
import os
import signal
import unittest

import zmq

import fp
from fangpin.v1 import common_pb2, intake_pb2

Code = common_pb2.Code
TODAY = "2026-11-24"  # FANGPIN_TODAY for the service: the tests do not depend on the real date


def id_number(region="130822", birth="19800101", seq=1):
    body = f"{region}{birth}{seq:03d}"
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w)) % 11]


def villages():
    with open(os.path.join(fp.SOURCE, "tests/fixtures/regions/130822/villages.csv"), encoding="utf-8") as f:
        return [r["code"] for r in csv.DictReader(f)]


VILLAGES = villages()
V1 = "130822112001" if "130822112001" in VILLAGES else VILLAGES[0]


def lead(seq=1, kind="yibao.high_cost", village=V1, date="2026-10-15", amount=1234500, ref=None, **kw):
    idn = kw.pop("idn", None)
    l = intake_pb2.Lead(id_number=idn if idn is not None else id_number(seq=seq % 1000, birth=f"19{50 + seq // 1000 % 40:02d}0101"),
                        name=kw.pop("name", "张三"), village_code=village, kind=kind, occurred_on=date,
                        detail=kw.pop("detail", "住院自付"), line_ref=ref or str(seq))
    if amount is not None:
        l.amount_fen = amount
        l.has_amount = True
    return l


class Intake(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("it_intake")
        cls.keys = fp.Keys(cls.ci, fp.SERVICES + ("admin", "yibao", "yibao2", "weijian", "village", "gateway",
                                                  "stranger"))
        cls.keys.register("admin", "admin:county-it")
        cls.keys.register("yibao", "dept:130822:yibao", kind="department", level="county", dept="yibao")
        cls.keys.register("yibao2", "dept:130822:yibao-2", kind="department", level="county", dept="yibao")
        cls.keys.register("weijian", "dept:130822:weijian", kind="department", level="county", dept="weijian")
        cls.keys.register("village", "actor:130822112001:li", kind="actor", level="village", region=V1)
        cls.keys.register("gateway", "gateway:130822:qr", kind="gateway")
        cls.pull_port = fp.free_port()
        # no late-submission scan here: test_submission_status_and_late_event runs one when
        # it wants it, after yibao's push (a scan racing the first push would see yibao missing)
        cls.env = {"FANGPIN_TODAY": TODAY, "FANGPIN_INTAKE_MAX_BATCH": "3000",
                   "FANGPIN_INTAKE_LEADS_PUSH": f"tcp://127.0.0.1:{cls.pull_port}",
                   "FANGPIN_INTAKE_DEADLINE_SCAN_MS": "0"}
        cls.svc = fp.Service("intake", cls.ci, cls.keys, env=cls.env)

    @classmethod
    def tearDownClass(cls):
        cls.svc.stop()

    def call(self, key, req, timeout_ms=20000, svc=None):
        c = (svc or self.svc).client(key)
        try:
            return c.call(req, intake_pb2.IntakeReply, timeout_ms)
        finally:
            c.close()

    def submit(self, key, batch_id, leads, period="2026-10", rid="r"):
        req = intake_pb2.IntakeRequest(request_id=rid)
        req.submit_leads.batch_id = batch_id
        req.submit_leads.period = period
        req.submit_leads.leads.extend(leads)
        return self.call(key, req)

    def count(self, q):
        return int(fp.sql(self.ci, q)[0][0])

    def test_batch_accepted_then_resent_identically(self):
        leads = [lead(seq=i, ref=f"L{i}") for i in range(1, 51)]
        r = self.submit("yibao", "b-accept", leads, rid="first")
        self.assertEqual((r.request_id, r.status.code), ("first", Code.OK))
        self.assertEqual(len(r.results), 50)
        self.assertEqual((r.batch.accepted, r.batch.duplicates, r.batch.rejected, r.batch.replayed), (50, 0, 0, False))
        for i, it in enumerate(r.results):
            self.assertEqual((it.index, it.code, it.ref), (i, Code.OK, f"L{i + 1}"))
            self.assertGreater(it.id, 0)
        ids = [it.id for it in r.results]
        self.assertEqual(len(set(ids)), 50)
        stored = fp.sql(self.ci, "SELECT count(*), count(DISTINCT id) FROM leads WHERE batch_id = 'b-accept'")
        self.assertEqual(stored, [("50", "50")])
        events = fp.sql(self.ci, "SELECT region_code, payload::text FROM events WHERE type = 'lead.accepted'"
                                 " AND payload->>'batch_id' = 'b-accept'")
        self.assertEqual(len(events), 50)
        for region, payload in events:
            self.assertEqual(region, V1)
            self.assertNotIn(leads[0].id_number[:14], payload)  # no ID number in events
            self.assertIn(json.loads(payload)["lead_id"], ids)
        stored_q = "SELECT (SELECT count(*) FROM leads) + (SELECT count(*) FROM events WHERE type = 'lead.accepted')"
        before = self.count(stored_q)
        again = self.submit("yibao", "b-accept", leads, rid="second")
        self.assertEqual(again.request_id, "second")
        self.assertTrue(again.batch.replayed)
        self.assertEqual([(x.code, x.id, x.ref) for x in again.results], [(x.code, x.id, x.ref) for x in r.results])
        self.assertEqual(before, self.count(stored_q))
        # GetBatch returns the same results
        g = self.call("yibao", intake_pb2.IntakeRequest(request_id="g", get_batch=intake_pb2.GetBatch(batch_id="b-accept")))
        self.assertEqual([x.id for x in g.results], ids)
        g = self.call("yibao", intake_pb2.IntakeRequest(request_id="g", get_batch=intake_pb2.GetBatch(batch_id="nope")))
        self.assertEqual(g.status.code, Code.NOT_FOUND)
        # another sender cannot read it
        g = self.call("weijian", intake_pb2.IntakeRequest(request_id="g", get_batch=intake_pb2.GetBatch(batch_id="b-accept")))
        self.assertEqual(g.status.code, Code.NOT_FOUND)

    def test_batch_id_reused_with_other_content(self):
        self.assertEqual(self.submit("yibao", "b-reuse", [lead(seq=900)]).status.code, Code.OK)
        r = self.submit("yibao", "b-reuse", [lead(seq=901)])
        self.assertEqual(r.status.code, Code.CONFLICT)
        self.assertEqual(self.count("SELECT count(*) FROM leads WHERE batch_id = 'b-reuse'"), 1)

    def test_every_reason_code(self):
        valid = id_number(seq=77, birth="19700505")
        bad_check = valid[:17] + ("0" if valid[17] != "0" else "1")
        cases = [
            ("idcard.missing", lead(seq=1, idn="")),
            ("idcard.format", lead(seq=1, idn="13082219800101001")),
            ("idcard.checksum", lead(seq=1, idn=bad_check)),
            ("idcard.birth_date", lead(seq=1, idn=id_number(birth="19800231"))),
            ("idcard.legacy15", lead(seq=1, idn="130822800101001")),
            ("name.missing", lead(seq=2, name="")),
            ("name.too_long", lead(seq=3, name="张" * 30)),
            ("village.format", lead(seq=4, village="13082211200")),
            ("village.not_village", lead(seq=5, village="130822112000")),
            ("village.out_of_scope", lead(seq=6, village="130821100001")),
            ("village.unknown", lead(seq=7, village="130822112999")),
            ("kind.unknown", lead(seq=8, kind="yibao.nonsense")),
            ("kind.not_allowed", lead(seq=9, kind="weijian.serious_illness")),
            ("date.format", lead(seq=10, date="2026-13-01")),
            ("date.future", lead(seq=11, date="2026-11-25")),
            ("date.too_old", lead(seq=12, date="2024-01-01")),
            ("amount.required", lead(seq=13, amount=None)),
            ("amount.negative", lead(seq=14, amount=-1)),
            ("amount.too_large", lead(seq=15, amount=10 ** 15)),
            ("amount.not_allowed", lead(seq=16, kind="yibao.uninsured", amount=100)),
        ]
        leads = [c[1] for c in cases] + [lead(seq=950), lead(seq=950)]
        r = self.submit("yibao", "b-reasons", leads)
        self.assertEqual(r.status.code, Code.PARTIAL)
        got = [(x.code, x.reason) for x in r.results]
        want = [(Code.BAD_REQUEST, c[0]) for c in cases] + [(Code.OK, ""), (Code.DUPLICATE, "duplicate.in_batch")]
        self.assertEqual(got, want)
        for x in r.results[:len(cases)]:
            self.assertTrue(x.message and x.message_zh, x.reason)
            self.assertEqual(x.id, 0)
        self.assertEqual(r.results[-1].duplicate_of, r.results[-2].id)
        # the same person, kind and date in a later batch is a duplicate of the first
        r2 = self.submit("yibao", "b-reasons-2", [lead(seq=950)])
        self.assertEqual((r2.results[0].code, r2.results[0].reason, r2.results[0].duplicate_of),
                         (Code.DUPLICATE, "duplicate.earlier", r.results[-2].id))
        self.assertEqual(r2.status.code, Code.OK)

    def test_batch_level_refusals(self):
        for want, batch_id, period, leads in [
            ("YYYY-MM", "b-p", "2026-1", [lead()]),
            ("not begun", "b-f", "2026-12", [lead()]),
            ("no leads", "b-e", "2026-10", []),
            ("limit of 3000", "b-many", "2026-10", [lead(seq=i) for i in range(3001)]),
            ("batch id", "bad id!", "2026-10", [lead()]),
        ]:
            with self.subTest(batch=batch_id):
                r = self.submit("yibao", batch_id, leads, period=period)
                self.assertEqual(r.status.code, Code.BAD_REQUEST)
                self.assertIn(want, r.status.message + r.status.message_zh)
                self.assertEqual(len(r.results), 0)

    def test_senders_and_scopes(self):
        r = self.submit("village", "v-1", [lead(seq=300, kind="visit.illness", amount=None),
                                           lead(seq=301, kind="visit.illness", amount=None, village="130822112002"),
                                           lead(seq=302, kind="yibao.high_cost")])
        self.assertEqual([x.reason for x in r.results], ["", "village.out_of_scope", "kind.not_allowed"])
        r = self.submit("gateway", "g-1", [lead(seq=303, kind="self.hardship", amount=None),
                                           lead(seq=304, kind="visit.other", amount=None)])
        self.assertEqual([x.reason for x in r.results], ["", "kind.not_allowed"])
        r = self.submit("admin", "a-1", [lead(seq=305)])
        self.assertEqual(r.status.code, Code.FORBIDDEN)
        c = self.svc.client("stranger")
        try:
            req = intake_pb2.IntakeRequest(request_id="s")
            req.submit_leads.batch_id = "s-1"
            req.submit_leads.period = "2026-10"
            req.submit_leads.leads.append(lead(seq=306))
            self.assertIsNone(c.call(req, intake_pb2.IntakeReply, timeout_ms=1500))
        finally:
            c.close()

    def test_outcomes_for_the_department(self):
        r = self.submit("yibao2", "o-1", [lead(seq=400, ref="row-400"), lead(seq=401, ref="row-401")])
        self.assertEqual(r.batch.accepted, 2)
        req = intake_pb2.IntakeRequest(request_id="o", list_outcomes=intake_pb2.ListOutcomes(period="2026-10", limit=5000))
        out = self.call("yibao", req)  # another key of the same department sees them
        mine = [o for o in out.outcomes.outcomes if o.batch_id == "o-1"]
        self.assertEqual(sorted(o.line_ref for o in mine), ["row-400", "row-401"])  # ids follow key (id_hmac) order
        for o in mine:
            self.assertEqual(o.status, intake_pb2.PENDING)
            self.assertRegex(o.id_number_masked, r"^1308\*{10}\d{3}[\dX]$")
            self.assertEqual(o.period, "2026-10")
        out = self.call("weijian", req)
        self.assertFalse([o for o in out.outcomes.outcomes if o.batch_id == "o-1"])
        # paging
        page = self.call("yibao", intake_pb2.IntakeRequest(request_id="p", list_outcomes=intake_pb2.ListOutcomes(limit=1)))
        self.assertEqual(len(page.outcomes.outcomes), 1)
        self.assertEqual(page.outcomes.next_after_id, page.outcomes.outcomes[0].lead_id)

    def test_submission_status_and_late_event(self):
        self.submit("yibao", "s-2026-10", [lead(seq=500)])
        r = self.call("admin", intake_pb2.IntakeRequest(request_id="s", submission_status=intake_pb2.SubmissionStatus(period="2026-10")))
        self.assertEqual(r.status.code, Code.OK)
        self.assertEqual((r.submissions.county, r.submissions.deadline), ("130822", "2026-11-05"))
        states = {d.department: d.state for d in r.submissions.departments}
        self.assertEqual(states, {"yibao": "late", "weijian": "missing"})  # pushed 11-24 (FANGPIN_TODAY) > 11-05
        # a process that scans, after yibao's push: weijian missed the deadline, yibao did not
        scanner = fp.Service("intake", self.ci, self.keys, env=dict(self.env, FANGPIN_INTAKE_DEADLINE_SCAN_MS="200",
                                                                    FANGPIN_INTAKE_LEADS_PUSH=f"tcp://127.0.0.1:{fp.free_port()}"))
        try:
            scanner.wait_scans("late_submissions", more=3, since=0)  # and again: nothing raised twice
        finally:
            scanner.stop()
        rows = fp.sql(self.ci, "SELECT region_code, payload->>'department' FROM events WHERE type = 'intake.submission_late'")
        self.assertEqual(rows, [("130822000000", "weijian")])
        r = self.call("admin", intake_pb2.IntakeRequest(request_id="s", submission_status=intake_pb2.SubmissionStatus(period="2026-11")))
        self.assertEqual({d.department: d.state for d in r.submissions.departments}, {"yibao": "not_due", "weijian": "not_due"})

    def test_lead_kinds_listed_with_permission(self):
        r = self.call("weijian", intake_pb2.IntakeRequest(request_id="k", list_lead_kinds=intake_pb2.ListLeadKinds()))
        kinds = {k.code: k for k in r.lead_kinds.kinds}
        self.assertGreaterEqual(len(kinds), 20)
        self.assertTrue(kinds["weijian.serious_illness"].allowed)
        self.assertFalse(kinds["yibao.high_cost"].allowed)
        self.assertTrue(kinds["yibao.high_cost"].needs_amount)
        self.assertEqual(list(kinds["gongan.member_death"].risk_types), ["lack_of_labour", "accident"])

    def test_leads_accepted_hint(self):
        ctx = zmq.Context.instance()
        pull = ctx.socket(zmq.PULL)
        pull.linger = 0
        pull.connect(f"tcp://127.0.0.1:{self.pull_port}")
        batches = []  # the lead ids of each batch sent

        def hint():
            # the hint is best effort by design: one sent before the PULL has connected is
            # dropped, so send batches until one is hinted
            k = len(batches)
            r = self.submit("yibao", f"h-{k}", [lead(seq=600 + 2 * k), lead(seq=601 + 2 * k)])
            batches.append([x.id for x in r.results])
            return pull.poll(1000) and pull.recv()

        try:
            raw = fp.wait_for(hint, 30, 0, what="a LeadsAccepted hint on the PULL")
            msg = intake_pb2.LeadsAccepted()
            msg.ParseFromString(raw)
            self.assertEqual(msg.county, "130822")
            self.assertIn(list(msg.lead_ids), batches)
            self.assertEqual(len(msg.lead_ids), 2)
        finally:
            pull.close()

    def test_no_id_number_in_logs(self):
        self.submit("yibao", "log-1", [lead(seq=700, idn=id_number(seq=700)[:17] + "0")])
        log = self.svc.log()
        self.assertNotIn(id_number(seq=700)[:17], log)


class IntakeSigterm(unittest.TestCase):
    def test_sigterm_mid_work_answers_what_it_committed_and_half_writes_nothing(self):
        # A long grace: every batch in flight finishes, is committed and answered.
        answered, stored = self.run_sigterm("it_intake_term", "30000", all_received=True)
        self.assertEqual(len([r for r in answered.values() if r.status.code == Code.OK]), 6)

    def test_sigterm_with_short_grace_rolls_back_what_it_abandons(self):
        # A grace shorter than the work: batches not committed by then are rolled back whole
        # (the connection closes mid-transaction) and never acknowledged.
        answered, stored = self.run_sigterm("it_intake_term_short", "0")
        self.assertIn('"inflight":"abandoned"', self.last_log, "no work was in flight when the grace ran out")
        self.assertLess(sum(1 for v in stored.values() if int(v) == 3000), 6, "nothing was cut short")

    def run_sigterm(self, db, grace, all_received=False):
        ci = fp.county_db(db)
        keys = fp.Keys(ci, fp.SERVICES + ("yibao",))
        keys.register("yibao", "dept:130822:yibao", kind="department", level="county", dept="yibao")
        svc = fp.Service("intake", ci, keys, env={"FANGPIN_TODAY": TODAY, "FANGPIN_SHUTDOWN_GRACE_MS": grace})
        c = svc.client("yibao")
        answered = {}
        try:
            n = 0
            for b in range(6):
                req = intake_pb2.IntakeRequest(request_id=f"t{b}")
                req.submit_leads.batch_id = f"term-{b}"
                req.submit_leads.period = "2026-10"
                for _ in range(3000):
                    req.submit_leads.leads.append(lead(seq=n, village=VILLAGES[n % len(VILLAGES)],
                                                       idn=id_number(seq=n % 1000, birth=f"19{40 + n // 1000:02d}0101")))
                    n += 1
                c.send_frames([req.SerializeToString()])
            def received():  # answered + in flight: what the service has taken off its socket
                return sum(v for name, labels, v in fp.metrics(svc.http)
                           if name == "fangpin_inflight_requests" or name == "fangpin_requests_total")

            # work in flight (batches being stored, others queued); with all_received, all six
            # taken off the socket, so that the stop refuses none of them
            fp.wait_for(lambda: received() >= (6 if all_received else 1), 30, 0.005,
                        "all six batches received" if all_received else "requests in flight")
            svc.proc.send_signal(signal.SIGTERM)
            while True:
                frames = c.recv(5000)
                if frames is None:
                    break
                r = intake_pb2.IntakeReply()
                r.ParseFromString(frames[-1])
                answered[r.request_id] = r
            self.assertEqual(svc.proc.wait(30), 0)
        finally:
            c.close()
            svc.stop()
        stored = dict(fp.sql(ci, "SELECT batch_id, count(*) FROM leads GROUP BY batch_id"))
        for b in range(6):
            count = int(stored.get(f"term-{b}", "0"))
            self.assertIn(count, (0, 3000), f"batch term-{b} half-written: {count} leads")
            r = answered.get(f"t{b}")
            if r is not None and r.status.code == Code.OK:
                self.assertEqual(count, 3000, f"term-{b} acknowledged but not stored")
                self.assertEqual(r.batch.accepted, 3000)
            elif r is not None:  # refused while stopping: nothing of it stored
                self.assertEqual(r.status.code, Code.UNAVAILABLE)
                self.assertEqual(count, 0)
        self.assertIn("stopping", svc.log())
        self.last_log = svc.log()
        return answered, stored


class IntakeDocs(unittest.TestCase):
    def test_every_reason_code_is_documented(self):
        import re
        with open(os.path.join(fp.SOURCE, "services/intake/lead_validate.h"), encoding="utf-8") as f:
            codes = re.findall(r'#define INTAKE_R_\w+ "([^"]+)"', f.read())
        with open(os.path.join(fp.SOURCE, "docs/protocol.md"), encoding="utf-8") as f:
            doc = f.read()
        self.assertGreater(len(codes), 30)
        for c in codes:
            self.assertIn(f"| `{c}` |", doc, f"docs/protocol.md lacks reason {c}")


class IntakeCrash(unittest.TestCase):
    """kill -9 in the middle of a large push; the client retries every batch with its id."""

    def test_kill9_mid_push_then_retry_stores_each_line_once(self):
        ci = fp.county_db("it_intake_crash")
        keys = fp.Keys(ci, fp.SERVICES + ("yibao",))
        keys.register("yibao", "dept:130822:yibao", kind="department", level="county", dept="yibao")
        env = {"FANGPIN_TODAY": TODAY}
        svc = fp.Service("intake", ci, keys, env=env)
        batches = {}
        n = 0
        for b in range(12):
            leads = []
            for i in range(2000):
                leads.append(lead(seq=n, village=VILLAGES[n % len(VILLAGES)],
                                  idn=id_number(seq=n % 1000, birth=f"19{40 + n // 1000:02d}0101")))
                n += 1
            req = intake_pb2.IntakeRequest(request_id=f"b{b}")
            req.submit_leads.batch_id = f"crash-{b}"
            req.submit_leads.period = "2026-10"
            req.submit_leads.leads.extend(leads)
            batches[b] = req.SerializeToString()
        c = svc.client("yibao")
        acked = set()
        try:
            for b, data in batches.items():  # send all without waiting: several are in flight
                c.send_frames([data])
            first = c.recv(30000)
            self.assertIsNotNone(first)
            r = intake_pb2.IntakeReply()
            r.ParseFromString(first[-1])
            acked.add(r.request_id)
            svc.proc.send_signal(signal.SIGKILL)
            svc.proc.wait()
        finally:
            c.close()
            svc.logf.close()
        svc2 = fp.Service("intake", ci, keys, env=env)
        try:
            c = svc2.client("yibao")
            try:
                replayed = 0
                for b, data in batches.items():
                    c.send_frames([data])
                    frames = c.recv(60000)
                    self.assertIsNotNone(frames, f"batch {b} unanswered")
                    r = intake_pb2.IntakeReply()
                    r.ParseFromString(frames[-1])
                    self.assertEqual(r.status.code, Code.OK, r.status.message)
                    self.assertEqual(r.batch.accepted + r.batch.duplicates, 2000)
                    replayed += r.batch.replayed
                self.assertGreaterEqual(replayed, len(acked))
            finally:
                c.close()
            rows = fp.sql(ci, "SELECT count(*), count(DISTINCT (id_hmac, kind, occurred_on)) FROM leads")
            self.assertEqual(rows, [(str(n), str(n))])
            self.assertEqual(fp.sql(ci, "SELECT count(*) FROM events WHERE type = 'lead.accepted'"), [(str(n),)])
            self.assertEqual(fp.sql(ci, "SELECT count(*), sum(accepted) FROM lead_batches"), [("12", str(n))])
        finally:
            svc2.stop()


if __name__ == "__main__":
    fp.main()
