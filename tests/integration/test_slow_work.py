"""The reporting service's slow work does not hold up its requests (services/reporting/workdb.c):
the deadline scan and report computations run on work connections of their own, so a Replay or a
small GetReport is answered while a slow scan runs, the relay publishes during a long report, and
the work connections come back after the database goes away.

The test owns its databases, so it makes the slow work slow deterministically: it wraps the SQL
functions report_deadline_scan and report_get in versions that first pass a gate, an advisory
lock that the test holds (Gate) for as long as it wants the work to stay unfinished. Each wrapped
scan writes a row to scan_marks in its own transaction, so a row appears exactly when a scan
commits. "Answered while the scan runs" is then an order of events observed in PostgreSQL (the
same scan backend still waiting at the gate, no new mark), never a wall-clock threshold."""
import re
import subprocess
import unittest

import zmq
import zmq.auth

import fp
from fangpin.v1 import common_pb2, reporting_pb2

Code = common_pb2.Code
SCAN_GATE = 7105901    # advisory lock keys: the wrapped scan and the slow report wait on them
REPORT_GATE = 7105902
VILLAGE = "130822112201"
T1 = "130822112001"

WRAP_SCAN = f"""
CREATE TABLE scan_marks (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp());
-- the test's own table, which the reporting service's role may not write: marked with the owner's rights
CREATE FUNCTION scan_mark() RETURNS void LANGUAGE sql SECURITY DEFINER AS $m$ INSERT INTO scan_marks DEFAULT VALUES $m$;
ALTER FUNCTION report_deadline_scan(date, text) RENAME TO report_deadline_scan_real;
CREATE FUNCTION report_deadline_scan(p_today date, p_from text) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE n integer;
BEGIN
    PERFORM pg_advisory_lock_shared({SCAN_GATE});
    PERFORM pg_advisory_unlock_shared({SCAN_GATE});
    PERFORM pg_sleep({{sleep}});
    n := report_deadline_scan_real(p_today, p_from);
    PERFORM scan_mark();
    RETURN n;
END $$;
"""

# Only scale_quarterly is slow: the small report the requests ask for stays quick.
WRAP_REPORT = f"""
ALTER FUNCTION report_get(text, text, text, date) RENAME TO report_get_real;
CREATE FUNCTION report_get(p_report text, p_prefix text, p_period text, p_today date)
RETURNS TABLE (frozen boolean, generated_at_ms bigint, region_name text, deadline date, content jsonb)
LANGUAGE plpgsql AS $$
BEGIN
    IF p_report = 'scale_quarterly' THEN
        PERFORM pg_advisory_lock_shared({REPORT_GATE});
        PERFORM pg_advisory_unlock_shared({REPORT_GATE});
    END IF;
    RETURN QUERY SELECT * FROM report_get_real(p_report, p_prefix, p_period, p_today);
END $$;
"""

ACTIVE = ("SELECT pid::text || '/' || xact_start::text FROM pg_stat_activity"
          " WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'"
          " AND query LIKE '{like}'")
SCAN_LIKE = "SELECT report_deadline_scan(%"
REPORT_LIKE = "SELECT g.frozen, g.generated_at_ms%"  # its start: the text is cut at track_activity_query_size


def request(rid, **op):
    req = reporting_pb2.ReportingRequest(request_id=rid)
    for name, fields in op.items():
        getattr(req, name).SetInParent()
        for k, v in fields.items():
            setattr(getattr(req, name), k, v)
    return req


def replay_req(after=0):
    return request("replay", replay=dict(region_prefix="130822", after_position=after, limit=1000))


def small_report_req():
    return request("small", get_report=dict(report="lead_verification_monthly", region_prefix=VILLAGE,
                                            period="2026-10", format="proto"))


def slow_report_req():
    return request("slow", get_report=dict(report="scale_quarterly", region_prefix="130822", period="2026Q3",
                                           format="proto"))


def start(ci, keys, extra=None):
    env = {"FANGPIN_REPORTING_HEARTBEAT_MS": "200", "FANGPIN_TODAY": "2026-11-24",
           "FANGPIN_REPORTING_DEADLINE_SCAN_MS": "500"}
    env.update(extra or {})
    return fp.Service("reporting", ci, keys, env=env)


class Gate:
    """Holds an advisory lock from a psql session of its own until release(): the wrapped slow
    work waits at it meanwhile."""

    def __init__(self, ci, key):
        self.key = key
        self.p = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", ci], stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, text=True)
        self.p.stdin.write(f"SELECT pg_advisory_lock({key});\n")
        self.p.stdin.flush()
        fp.wait_for(lambda: fp.sql(ci, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                                       f" AND mode = 'ExclusiveLock' AND objid = {key}")[0][0] == "1",
                    20, what=f"the gate {key} held")

    def release(self):
        if self.p.poll() is None:
            self.p.stdin.write(f"SELECT pg_advisory_unlock({self.key});\n")
            self.p.stdin.close()
            self.p.wait(20)


def connections(ci):
    """The reporting service's connections to ci (everything but psql's own)."""
    return int(fp.sql(ci, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                          " AND backend_type = 'client backend' AND pid <> pg_backend_pid()")[0][0])


def metric(svc, name):
    body = fp.http_get(svc.http + "/metrics")[1]
    m = re.search(r"(?m)^" + re.escape(name) + r"(?:\{[^}]*\})? (\S+)$", body)
    return float(m.group(1)) if m else None


class SlowWork(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("slow_work")
        fp.sql(cls.ci, WRAP_SCAN.format(sleep=0))
        fp.sql(cls.ci, WRAP_REPORT)
        cls.keys = fp.Keys(cls.ci, names=("reporting", "admin"))
        cls.keys.register("admin", "admin:county-it")
        # a scan starts at most 0.5 s after the last one ended; while a test holds the scan's
        # gate, the next one waits in it, unfinished
        cls.svc = start(cls.ci, cls.keys)

    @classmethod
    def tearDownClass(cls):
        cls.svc.stop()

    def marks(self):
        return int(fp.sql(self.ci, "SELECT count(*) FROM scan_marks")[0][0])

    def active(self, like):
        rows = fp.sql(self.ci, ACTIVE.format(like=like))
        return rows[0][0] if rows else None

    def running_scan(self):
        """Waits for a scan to be running; returns (its backend and start, marks before it)."""
        found = {}

        def running():
            found["marks"] = self.marks()
            found["scan"] = self.active(SCAN_LIKE)
            return found["scan"] is not None
        fp.wait_for(running, 30, what="a deadline scan running")
        return found["scan"], found["marks"]

    def assert_scan_unfinished(self, scan, marks, what):
        self.assertEqual(self.active(SCAN_LIKE), scan, f"{what}: the scan finished first")
        self.assertEqual(self.marks(), marks, f"{what}: the scan committed first")

    def call_during_scan(self, req, what):
        c = self.svc.client("admin")
        gate = Gate(self.ci, SCAN_GATE)
        try:
            scan, marks = self.running_scan()
            r = c.call(req, reporting_pb2.ReportingReply, timeout_ms=30000)
            self.assertIsNotNone(r, f"{what}: no reply")
            self.assert_scan_unfinished(scan, marks, what)
            return r
        finally:
            gate.release()
            c.close()

    def test_replay_answered_while_the_scan_runs(self):
        fp.sql(self.ci, f"INSERT INTO events (county_code, region_code, type, payload)"
                        f" VALUES ('130822', '{T1}', 'lead.accepted', '{{}}')")
        r = self.call_during_scan(replay_req(), "Replay")
        self.assertEqual(r.status.code, Code.OK, r.status.message)
        self.assertGreaterEqual(r.events.head_position, 0)
        # the scan does finish, and writes its mark
        marks = self.marks()
        fp.wait_for(lambda: self.marks() > marks, 30, what="the scan finishing")

    def test_small_report_answered_while_the_scan_runs(self):
        r = self.call_during_scan(small_report_req(), "GetReport")
        self.assertEqual(r.status.code, Code.OK, r.status.message)
        self.assertEqual(r.report.region_prefix, VILLAGE)

    def test_relay_and_replay_go_on_during_a_long_report(self):
        sub = zmq.Context.instance().socket(zmq.SUB)
        spub, _ = zmq.auth.load_certificate(self.keys.path("reporting"))
        cpub, csec = zmq.auth.load_certificate(self.keys.path("admin", secret=True))
        sub.curve_serverkey, sub.curve_publickey, sub.curve_secretkey = spub, cpub, csec
        sub.linger = 0
        sub.setsockopt(zmq.SUBSCRIBE, T1.encode())
        sub.connect(self.svc.pub)
        slow = self.svc.client("admin")
        quick = self.svc.client("admin")
        gate = Gate(self.ci, REPORT_GATE)  # the slow report stays unfinished until released
        try:
            # the subscription reaches the PUB before anything is published
            fp.wait_for(lambda: sub.poll(0) or self.publish_probe(sub), 10, what="subscription")
            fp.wait_for(lambda: fp.sql(self.ci, "SELECT (SELECT count(*) FROM events_pending) + (SELECT count(*) FROM"
                                                   " event_positions WHERE position > (SELECT published FROM relay_state))")[0][0] == "0",
                        20, what="the probes published")
            while sub.poll(300):
                sub.recv_multipart()
            base = int(fp.sql(self.ci, "SELECT coalesce(max(position), 0) FROM event_positions")[0][0])
            slow.send_frames([slow_report_req().SerializeToString()])
            report = {}

            def computing():
                report["q"] = self.active(REPORT_LIKE)
                return report["q"] is not None
            fp.wait_for(computing, 30, what="the slow report computing")
            fp.sql(self.ci, "INSERT INTO events (county_code, region_code, type, payload)"
                            f" SELECT '130822', '{T1}', 'lead.accepted', jsonb_build_object('n', g)"
                            " FROM generate_series(1, 3) g")
            got = []
            while len(got) < 3:
                self.assertTrue(sub.poll(30000), "the relay published nothing during the report")
                f = sub.recv_multipart()
                if f[0] != b"HEARTBEAT" and int(f[1]) > base:
                    got.append(int(f[1]))
            r = quick.call(replay_req(base), reporting_pb2.ReportingReply, timeout_ms=30000)
            self.assertIsNotNone(r)
            self.assertEqual(r.status.code, Code.OK, r.status.message)
            self.assertEqual([e.position for e in r.events.events], got)
            # all that while, the report was still being computed and not yet answered
            self.assertEqual(self.active(REPORT_LIKE), report["q"], "the report finished first")
            self.assertFalse(slow.sock.poll(0), "the report was answered first")
            gate.release()
            frames = slow.recv(30000)
            self.assertIsNotNone(frames, "no report reply")
            rep = reporting_pb2.ReportingReply()
            rep.ParseFromString(frames[-1])
            self.assertEqual(rep.status.code, Code.OK, rep.status.message)
        finally:
            gate.release()
            slow.close()
            quick.close()
            sub.close(0)

    def publish_probe(self, sub):
        """Publishes one event for T1 and reports whether the subscriber got it."""
        fp.sql(self.ci, f"INSERT INTO events (county_code, region_code, type, payload)"
                        f" VALUES ('130822', '{T1}', 'lead.accepted', '{{}}')")
        return bool(sub.poll(500))

    def test_work_connections_apart_from_requests_and_relay(self):
        # the service's, the relay's and FANGPIN_REPORTING_WORK_DB_CONNECTIONS (2) work connections
        fp.wait_for(lambda: connections(self.ci) == 4, 20, what="four connections")
        fp.wait_for(lambda: metric(self.svc, "fangpin_reporting_work_db_up") == 2, 20, what="work connections up")


class NoWorkConnections(unittest.TestCase):
    """FANGPIN_REPORTING_WORK_DB_CONNECTIONS=0: reports and the scan share the service's connection."""

    def test_reports_and_scan_on_the_service_connection(self):
        ci = fp.county_db("slow_work_zero")
        fp.sql(ci, WRAP_SCAN.format(sleep=0))
        keys = fp.Keys(ci, names=("reporting", "admin"))
        keys.register("admin", "admin:county-it")
        svc = start(ci, keys, {"FANGPIN_REPORTING_WORK_DB_CONNECTIONS": "0"})
        try:
            fp.wait_for(lambda: int(fp.sql(ci, "SELECT count(*) FROM scan_marks")[0][0]) > 0, 20, what="a scan")
            c = svc.client("admin")
            r = c.call(small_report_req(), reporting_pb2.ReportingReply, timeout_ms=20000)
            c.close()
            self.assertEqual(r.status.code, Code.OK, r.status.message)
            self.assertEqual(connections(ci), 2)
        finally:
            self.assertEqual(svc.stop(), 0)


class WorkConnectionsReconnect(unittest.TestCase):
    """The database goes away and comes back: every connection recovers by itself."""

    @classmethod
    def setUpClass(cls):
        cls.pg = fp.PrivateCluster("workdb")
        cls.ci = fp.fresh_db("fangpin", cls.pg.port, cls.pg.dir)
        fp.ctl(["migrate"], cls.ci)
        fp.ctl(["regions", "import"] + fp.FIXTURE_130822, cls.ci)
        fp.sql(cls.ci, WRAP_SCAN.format(sleep=1))
        cls.keys = fp.Keys(cls.ci, names=("reporting", "admin"))
        cls.keys.register("admin", "admin:county-it")

    @classmethod
    def tearDownClass(cls):
        cls.pg.stop()

    def call(self, svc, req):
        c = svc.client("admin")
        try:
            return c.call(req, reporting_pb2.ReportingReply, timeout_ms=20000)
        finally:
            c.close()

    def test_lost_mid_scan_then_recovers(self):
        svc = start(self.ci, self.keys)
        try:
            fp.wait_for(lambda: connections(self.ci) == 4, 20, what="four connections")
            fp.wait_for(lambda: fp.sql(self.ci, ACTIVE.format(like=SCAN_LIKE)), 20, what="a scan running")
            self.pg.stop()
            try:
                fp.wait_for(lambda: fp.http_get(svc.http + "/readyz")[0] == 503, 15, what="not ready")
                r = self.call(svc, small_report_req())
                self.assertEqual(r.status.code, Code.UNAVAILABLE)
                self.assertIsNone(svc.proc.poll())
            finally:
                self.pg.start()
            fp.wait_for(lambda: fp.http_get(svc.http + "/readyz")[0] == 200, 30, what="ready again")
            fp.wait_for(lambda: metric(svc, "fangpin_reporting_work_db_up") == 2, 30, what="work connections back")
            fp.wait_for(lambda: connections(self.ci) == 4, 20, what="four connections again")
            marks = int(fp.sql(self.ci, "SELECT count(*) FROM scan_marks")[0][0])
            fp.wait_for(lambda: int(fp.sql(self.ci, "SELECT count(*) FROM scan_marks")[0][0]) > marks, 30,
                        what="a scan after the reconnect")
            r = self.call(svc, small_report_req())
            self.assertEqual(r.status.code, Code.OK, r.status.message)
            r = self.call(svc, replay_req())
            self.assertEqual(r.status.code, Code.OK, r.status.message)
            self.assertIn("work connection lost", svc.log())
        finally:
            self.assertEqual(svc.stop(), 0)


if __name__ == "__main__":
    fp.main()
