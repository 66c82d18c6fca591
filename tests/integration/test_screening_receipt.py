"""Screening receives every accepted lead exactly once: when it was stopped during a push it
catches up from the table when it starts; several workers share the load without taking a
lead twice; intake's LeadsAccepted hint wakes a worker without waiting for its periodic scan."""
import re
import unittest

import fp
from fangpin.v1 import common_pb2, intake_pb2
from test_intake import TODAY, VILLAGES, id_number, lead

def batch(name, first, n):
    req = intake_pb2.IntakeRequest(request_id=name)
    req.submit_leads.batch_id = name
    req.submit_leads.period = "2026-10"
    for k in range(first, first + n):
        req.submit_leads.leads.append(lead(seq=k, village=VILLAGES[k % len(VILLAGES)],
                                           idn=id_number(seq=k % 1000, birth=f"19{40 + k // 1000:02d}0101")))
    return req


def received(svc):
    body = fp.http_get(svc.http + "/metrics")[1]
    m = re.search(r"(?m)^fangpin_screening_leads_received_total (\d+)$", body)
    return int(m.group(1)) if m else 0


class ScreeningReceipt(unittest.TestCase):
    def setUp(self):
        self.ci = fp.county_db(f"it_screen_{self._testMethodName[-20:]}")
        self.keys = fp.Keys(self.ci, fp.SERVICES + ("yibao",))
        self.keys.register("yibao", "dept:130822:yibao", kind="department", level="county", dept="yibao")
        self.intake = fp.Service("intake", self.ci, self.keys, env={"FANGPIN_TODAY": TODAY})
        self.svcs = [self.intake]

    def tearDown(self):
        for s in self.svcs:
            s.stop()

    def screening(self, scan_s="1"):
        s = fp.Service("screening", self.ci, self.keys,
                       env={"FANGPIN_SCREENING_LEADS_PULL": self.intake.leads_push, "FANGPIN_SCREENING_SCAN_S": scan_s})
        self.svcs.append(s)
        return s

    def push(self, name, first, n):
        c = self.intake.client("yibao")
        try:
            r = c.call(batch(name, first, n), intake_pb2.IntakeReply, 30000)
        finally:
            c.close()
        self.assertEqual((r.status.code, r.batch.accepted), (common_pb2.OK, n))

    def unscreened(self):
        return int(fp.sql(self.ci, "SELECT count(*) FROM leads WHERE screened_at IS NULL")[0][0])

    def test_stopped_during_push_receives_everything_on_start(self):
        for b in range(3):
            self.push(f"down-{b}", b * 1000, 1000)
        self.assertEqual(self.unscreened(), 3000)
        s = self.screening(scan_s="3600")  # only the start-up catch-up can find them
        fp.wait_for(lambda: self.unscreened() == 0, 30, what="all leads received")
        self.assertEqual(received(s), 3000)
        rows = fp.sql(self.ci, "SELECT count(*), count(DISTINCT screened_by) FROM leads")
        self.assertEqual(rows, [("3000", "1")])

    def test_two_workers_share_without_taking_a_lead_twice(self):
        a, b = self.screening(), self.screening()  # both ready (fp.Service waits for /readyz)
        for k in range(8):
            self.push(f"two-{k}", k * 1500, 1500)
        fp.wait_for(lambda: self.unscreened() == 0, 30, what="all leads received")
        fp.wait_for(lambda: received(a) + received(b) == 12000, 10, what="metrics settled")
        self.assertEqual(received(a) + received(b), 12000)  # each lead claimed by exactly one worker
        workers = fp.sql(self.ci, "SELECT screened_by, count(*) FROM leads GROUP BY 1 ORDER BY 1")
        self.assertEqual(sum(int(n) for _, n in workers), 12000)

    def test_hint_wakes_the_worker(self):
        s = self.screening(scan_s="3600")  # no scan but the start-up catch-up: only a hint wakes it
        fp.wait_for(lambda: "leads received" not in s.log() and fp.http_get(s.http + "/readyz")[0] == 200, 10)
        pushed = []

        def received_through_a_hint():
            # the hint is best effort by design: one sent before the PULL has connected to
            # intake's PUSH is dropped; the next hint wakes the worker for every lead waiting
            if self.unscreened() == 0:
                return True
            self.push(f"hint-{len(pushed)}", 10 * len(pushed), 10)
            pushed.append(10)
            return False

        fp.wait_for(received_through_a_hint, 30, 1.0, what="leads received through the hint, not the hourly scan")
        fp.wait_for(lambda: received(s) == sum(pushed), 10, what="metrics settled")
        self.assertEqual(received(s), sum(pushed))


if __name__ == "__main__":
    fp.main()
