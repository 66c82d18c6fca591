"""Who may read what from the reporting service (issue 11; docs/protocol.md, "Who may read what"):
for each kind of principal (admin, county, township and village actors, a department, the
self-report gateway) the same table through every real interface: the event PUB, Replay,
GetReport, the HTTP report downloads and the /events stream. Refusals carry their reason
(Status.reason on the ROUTER, the X-Fangpin-Reason header on HTTP)."""
import unittest

import fp
from fangpin.v1 import common_pb2, reporting_pb2

Code = common_pb2
VILLAGE = "130822112201"  # 花水村 of 三道河镇 (in the fixture)
TOWNSHIP = "130822112"
COUNTY = "130822"
PERIODS = {"lead_verification_monthly": "2026-10", "scale_quarterly": "2026Q3", "measures_quarterly": "2026Q3",
           "elimination_quarterly": "2026Q3", "deadlines": "2026-10", "quality_findings": "2026-10"}
ALL = set(PERIODS)

# key -> (principal, kind, level, region), its own region, reads events, the reports it reads, why refused
TABLE = {
    "admin": (("admin:county-it", "admin", None, COUNTY), COUNTY, True, ALL, None),
    "county": (("actor:130822:wang", "actor", "county", COUNTY), COUNTY, True, ALL, None),
    "township": (("actor:130822112:zhang", "actor", "township", TOWNSHIP), TOWNSHIP, True, ALL, None),
    "village": (("actor:130822112201:li", "actor", "village", VILLAGE), VILLAGE, True, ALL - {"deadlines"},
                "read.report"),
    "dept": (("dept:130822:yibao", "department", "county", COUNTY), COUNTY, False, set(), "read.kind"),
    "gateway": (("gateway:130822:qr", "gateway", None, COUNTY), COUNTY, False, set(), "read.kind"),
}


class ReadPolicy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("it_read_policy")
        cls.keys = fp.Keys(cls.ci, names=("reporting",) + tuple(TABLE))
        for key, ((pid, kind, level, region), *_rest) in TABLE.items():
            cls.keys.register(key, pid, kind=kind, level=level, region=region, dept="yibao" if kind == "department" else None)
        cls.tokens = {key: fp.token(cls.ci, t[0][0]) for key, t in TABLE.items()}
        cls.svc = fp.Service("reporting", cls.ci, cls.keys, env={
            "FANGPIN_REPORTING_HEARTBEAT_MS": "200", "FANGPIN_REPORTING_SSE": "true",
            "FANGPIN_REPORTING_HTTP_REPORTS": "true", "FANGPIN_TODAY": "2026-11-24"})
        # events in the village (inside every reader's region) and in another township
        fp.sql(cls.ci, "INSERT INTO events (county_code, region_code, type, payload) VALUES "
                       f"('130822', '{VILLAGE}', 'lead.accepted', '{{}}'), ('130822', '130822100001', 'lead.accepted', '{{}}')")
        fp.wait_for(lambda: fp.sql(cls.ci, "SELECT (SELECT count(*) FROM events_pending) + (SELECT count(*) FROM"
                                           " event_positions WHERE position > (SELECT published FROM relay_state))")[0][0] == "0", 30,
                    what="the events published")

    @classmethod
    def tearDownClass(cls):
        rc = cls.svc.stop()
        assert rc == 0 and "Sanitizer" not in cls.svc.log(), cls.svc.log()[-3000:]

    def call(self, key, **op):
        req = reporting_pb2.ReportingRequest(request_id="policy")
        name, fields = next(iter(op.items()))
        getattr(req, name).SetInParent()
        for f, v in fields.items():
            setattr(getattr(req, name), f, v)
        c = self.svc.client(key)
        try:
            r = c.call(req, reporting_pb2.ReportingReply, 30000)
        finally:
            c.close()
        self.assertIsNotNone(r, "no reply")
        return r

    def test_replay(self):
        for key, (_, own, events, _, why) in TABLE.items():
            with self.subTest(key=key):
                r = self.call(key, replay=dict(region_prefix=own, after_position=0))
                if events:
                    self.assertEqual(r.status.code, Code.OK, r.status)
                    self.assertIn(VILLAGE, {e.region for e in r.events.events})
                    self.assertTrue(all(e.region.startswith(own) for e in r.events.events))
                else:
                    self.assertEqual((r.status.code, r.status.reason), (Code.FORBIDDEN, "read.kind"), r.status)
                    self.assertEqual(len(r.events.events), 0)
                # wider than the region: refused, by region (or, for those who read none, by kind)
                r = self.call(key, replay=dict(region_prefix="13", after_position=0))
                self.assertEqual((r.status.code, r.status.reason),
                                 (Code.FORBIDDEN, "read.region" if events else "read.kind"), r.status)

    def test_get_report(self):
        for key, (_, own, _, reports, why) in TABLE.items():
            for report, period in PERIODS.items():
                with self.subTest(key=key, report=report):
                    r = self.call(key, get_report=dict(report=report, region_prefix=own, period=period, format="csv"))
                    if report in reports:
                        self.assertEqual(r.status.code, Code.OK, r.status)
                        self.assertTrue(r.report.file)
                    else:
                        self.assertEqual((r.status.code, r.status.reason), (Code.FORBIDDEN, why), r.status)
                        self.assertFalse(r.report.file)
            with self.subTest(key=key, report="outside"):  # a neighbouring county: never
                r = self.call(key, get_report=dict(report="scale_quarterly", region_prefix="130821", period="2026Q3"))
                self.assertEqual(r.status.code, Code.FORBIDDEN, r.status)

    def test_http_downloads(self):
        for key, (_, own, _, reports, why) in TABLE.items():
            for report in ("lead_verification_monthly", "deadlines"):
                with self.subTest(key=key, report=report):
                    url = f"{self.svc.http}/reports/{report}?region={own}&period={PERIODS[report]}&format=csv"
                    st, headers = fp.http_status(url, token=self.tokens[key], timeout=30)
                    if report in reports:
                        self.assertEqual(st, 200)
                        self.assertIn("attachment", headers.get("Content-Disposition", ""))
                    else:
                        self.assertEqual((st, headers.get("X-Fangpin-Reason")), (403, why))

    def test_sse(self):
        for key, (_, own, events, _, why) in TABLE.items():
            with self.subTest(key=key):
                st, headers = fp.http_status(f"{self.svc.http}/events?region={own}&from=0", token=self.tokens[key])
                if events:
                    self.assertEqual(st, 200)
                    self.assertTrue(headers.get("Content-Type", "").startswith("text/event-stream"))
                else:
                    self.assertEqual((st, headers.get("X-Fangpin-Reason")), (403, why))
                if events:  # and wider than its region
                    st, headers = fp.http_status(f"{self.svc.http}/events?region=13", token=self.tokens[key])
                    self.assertEqual((st, headers.get("X-Fangpin-Reason")), (403, "read.region"))

    def test_pub(self):
        cert = self.keys.path("reporting")
        head = lambda: int(fp.sql(self.ci, "SELECT coalesce(max(position), 0) FROM event_positions")[0][0])
        for key, (_, own, events, _, why) in TABLE.items():
            with self.subTest(key=key):
                refused = self.svc.metric("fangpin_event_subscriptions_refused_total")
                # everything asked for: a reader gets its region and the heartbeat
                s = fp.KeySub(self.svc.pub, cert, self.keys.path(key, secret=True), topics=("",))
                barrier = None
                try:
                    if events:
                        s.wait_heartbeat()
                    else:  # both subscriptions ("" and HEARTBEAT) judged and refused
                        fp.wait_for(lambda: self.svc.metric("fangpin_event_subscriptions_refused_total") >= refused + 2,
                                    20, what=f"{key}'s subscriptions refused")
                        barrier = fp.KeySub(self.svc.pub, cert, self.keys.path("admin", secret=True), topics=(COUNTY,))
                        barrier.wait_heartbeat()
                    fp.sql(self.ci, "INSERT INTO events (county_code, region_code, type, payload) VALUES "
                                    f"('130822', '{VILLAGE}', 'plan.opened', '{{}}'),"
                                    " ('130822', '130822100001', 'plan.opened', '{}')")
                    fp.wait_for(lambda: fp.sql(self.ci, "SELECT count(*) FROM events_pending")[0][0] == "0",
                                30, what="the events numbered")
                    h = head()
                    if events:
                        s.wait_heartbeat(h)  # the PUB sends in order: everything up to h for this key is in
                        got = {p: e.region for p, e in s.events.items() if p > h - 2}
                        self.assertEqual(set(got.values()), {VILLAGE} if own != COUNTY else {VILLAGE, "130822100001"})
                    else:
                        barrier.wait_heartbeat(h)  # published up to h; this subscriber has no subscription at all
                        while s.pump(0):
                            pass
                        self.assertEqual((s.events, s.beats), ({}, []))
                finally:
                    s.close()
                    if barrier:
                        barrier.close()

    def test_reasons_are_documented(self):
        import os
        with open(os.path.join(fp.SOURCE, "docs/protocol.md"), encoding="utf-8") as f:
            doc = f.read()
        for r in ("read.kind", "read.report", "read.region", "reopen.level", "key.revoked", "principal.disabled",
                  "key.unregistered"):
            self.assertIn(f"| `{r}` |", doc, f"docs/protocol.md lacks reason {r}")
        self.assertIn("## Who may read what", doc)


if __name__ == "__main__":
    fp.main()
