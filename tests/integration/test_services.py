"""The four services through their real interfaces: CURVE + ZAP over ZeroMQ, the protobuf
request types, HTTP health, configuration, logging and clean stops."""
import json
import re
import signal
import subprocess
import os
import time
import unittest

import zmq
import zmq.auth

import fp
from fangpin.v1 import (assistance_pb2, common_pb2, intake_pb2, reporting_pb2,
                        screening_pb2)

TYPES = {
    "intake": (intake_pb2.IntakeRequest, intake_pb2.IntakeReply),
    "screening": (screening_pb2.ScreeningRequest, screening_pb2.ScreeningReply),
    "assistance": (assistance_pb2.AssistanceRequest, assistance_pb2.AssistanceReply),
    "reporting": (reporting_pb2.ReportingRequest, reporting_pb2.ReportingReply),
}
Code = common_pb2.Code


class Services(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.fresh_db("it_services")
        fp.ctl(["migrate"], cls.ci)
        cls.keys = fp.Keys(cls.ci, fp.SERVICES + ("admin", "village", "dept", "stranger", "late", "revokee"))
        cls.keys.register("admin", "admin:county-it")
        cls.keys.register("village", "actor:130822112001:wang", kind="actor", level="village",
                          region="130822112001", display="王村专干")
        cls.keys.register("dept", "dept:130822:yibao", kind="department", level="county", dept="yibao")
        cls.keys.register("revokee", "actor:130822:revokee", kind="actor", level="county")
        env = {"FANGPIN_MAX_REQUEST_BYTES": "4096", "FANGPIN_MAX_FRAME_BYTES": "65536",
               "FANGPIN_KEYS_REFRESH_S": "1"}
        cls.svcs = {n: fp.Service(n, cls.ci, cls.keys, env=env) for n in fp.SERVICES}

    @classmethod
    def tearDownClass(cls):
        for s in cls.svcs.values():
            s.stop()

    def ping(self, svc, key="admin", rid="r-1"):
        req_t, rep_t = TYPES[svc]
        c = self.svcs[svc].client(key)
        try:
            req = req_t(request_id=rid)
            req.ping.note = "hello"
            return c.call(req, rep_t)
        finally:
            c.close()

    def test_ping_every_service_with_identity(self):
        for svc in fp.SERVICES:
            with self.subTest(svc=svc):
                r = self.ping(svc, rid=f"rid-{svc}")
                self.assertIsNotNone(r, f"{svc} did not answer")
                self.assertEqual(r.request_id, f"rid-{svc}")
                self.assertEqual(r.status.code, Code.OK)
                self.assertEqual(r.WhichOneof("result"), "pong")
                self.assertEqual(r.pong.service, svc)
                self.assertEqual(r.pong.note, "hello")
                self.assertEqual(r.pong.principal, "admin:county-it")
                self.assertEqual(r.pong.kind, "admin")
                self.assertTrue(r.pong.db_ready)
                self.assertLess(abs(r.pong.server_time_ms - time.time() * 1000), 60000)

    def test_actor_and_department_identity_from_key(self):
        r = self.ping("screening", key="village")
        self.assertEqual((r.pong.principal, r.pong.kind, r.pong.level, r.pong.region),
                         ("actor:130822112001:wang", "actor", "village", "130822112001"))
        r = self.ping("intake", key="dept")
        self.assertEqual((r.pong.principal, r.pong.kind, r.pong.level, r.pong.region),
                         ("dept:130822:yibao", "department", "county", "130822"))

    def test_unknown_key_refused_at_handshake(self):
        c = self.svcs["intake"].client("stranger", monitor=True)
        try:
            req = intake_pb2.IntakeRequest(request_id="x")
            req.ping.SetInParent()
            self.assertIsNone(c.call(req, intake_pb2.IntakeReply, timeout_ms=1500))
            events = c.monitor_events(1000)
            self.assertIn(zmq.EVENT_HANDSHAKE_FAILED_AUTH, events)
        finally:
            c.close()
        self.assertIn("unknown CURVE key", self.svcs["intake"].log())
        # and the service is still fine
        self.assertEqual(self.ping("intake").status.code, Code.OK)

    def test_garbage_frame_gets_error_and_service_stays_up(self):
        for svc in fp.SERVICES:
            with self.subTest(svc=svc):
                c = self.svcs[svc].client("admin")
                try:
                    c.send_frames([b"\xff\xff\xff\xff garbage \x00\x01"])
                    frames = c.recv()
                    self.assertIsNotNone(frames)
                    r = TYPES[svc][1]()
                    r.ParseFromString(frames[-1])
                    self.assertEqual(r.status.code, Code.BAD_REQUEST)
                    self.assertIn("not a fangpin.v1.", r.status.message)
                    self.assertTrue(r.status.message_zh)
                finally:
                    c.close()
                self.assertEqual(self.ping(svc).status.code, Code.OK)

    def test_unknown_operation(self):
        c = self.svcs["reporting"].client("admin")
        try:
            # a request id and a field number this service does not know (future operation 99)
            raw = common_pb2.RequestHeader(request_id="op-99").SerializeToString() + b"\x9a\x06\x00"
            c.send_frames([raw])
            r = reporting_pb2.ReportingReply()
            r.ParseFromString(c.recv()[-1])
            self.assertEqual(r.request_id, "op-99")
            self.assertEqual(r.status.code, Code.UNKNOWN_OPERATION)
            # no operation at all
            r = c.call(reporting_pb2.ReportingRequest(request_id="none"), reporting_pb2.ReportingReply)
            self.assertEqual((r.request_id, r.status.code), ("none", Code.UNKNOWN_OPERATION))
        finally:
            c.close()

    def test_oversized_request_answered_then_oversized_frame_disconnected(self):
        c = self.svcs["assistance"].client("admin")
        try:
            req = assistance_pb2.AssistanceRequest(request_id="big")
            req.ping.note = "x" * 5000  # above FANGPIN_MAX_REQUEST_BYTES=4096
            r = c.call(req, assistance_pb2.AssistanceReply)
            self.assertEqual(r.status.code, Code.TOO_LARGE)
            self.assertIn("exceeds the limit", r.status.message)
        finally:
            c.close()
        c = self.svcs["assistance"].client("admin", monitor=True)
        try:
            c.send_frames([b"y" * 100000])  # above ZMQ_MAXMSGSIZE=65536: peer dropped, no reply
            self.assertIsNone(c.recv(1500))
            self.assertIn(zmq.EVENT_DISCONNECTED, c.monitor_events(1000))
        finally:
            c.close()
        self.assertEqual(self.ping("assistance").status.code, Code.OK)

    def test_extra_frames_refused(self):
        c = self.svcs["screening"].client("admin")
        try:
            c.send_frames([b"a", b"b", b"c"])
            r = screening_pb2.ScreeningReply()
            r.ParseFromString(c.recv()[-1])
            self.assertEqual(r.status.code, Code.BAD_REQUEST)
            # a REQ-style empty delimiter is accepted and echoed
            req = screening_pb2.ScreeningRequest(request_id="delim")
            req.ping.SetInParent()
            c.send_frames([b"", req.SerializeToString()])
            frames = c.recv()
            self.assertEqual(frames[0], b"")
            r.ParseFromString(frames[-1])
            self.assertEqual((r.request_id, r.status.code), ("delim", Code.OK))
        finally:
            c.close()

    def test_key_registered_after_start_then_revoked(self):
        self.keys.register("late", "gateway:130822:selfreport", kind="gateway")
        r = fp.wait_for(lambda: (lambda x: x if x and x.status.code == Code.OK else None)(
            self.ping("intake", key="late")), 10, step=0.3, what="late key admitted")
        self.assertEqual(r.pong.kind, "gateway")
        c = self.svcs["intake"].client("revokee")
        try:
            req = intake_pb2.IntakeRequest(request_id="before")
            req.ping.SetInParent()
            self.assertEqual(c.call(req, intake_pb2.IntakeReply).status.code, Code.OK)
            fp.ctl(["keys", "revoke", "--key", self.keys.path("revokee")], self.ci)

            def refused():
                r = c.call(intake_pb2.IntakeRequest(request_id="after", ping=common_pb2.Ping()),
                           intake_pb2.IntakeReply)
                return r if r and r.status.code == Code.FORBIDDEN else None
            r = fp.wait_for(refused, 10, step=0.3, what="revoked key refused on its open connection")
            self.assertEqual(r.status.reason, "key.revoked")  # the key it came on, not the principal's others
            self.assertIn("revoked", r.status.message)
        finally:
            c.close()

    def test_http_health_and_metrics(self):
        for svc in fp.SERVICES:
            s = self.svcs[svc]
            self.assertEqual(fp.http_get(s.http + "/healthz"), (200, "ok\n"))
            self.assertEqual(fp.http_get(s.http + "/readyz"), (200, "ready\n"))
            self.assertEqual(fp.http_get(s.http + "/nope")[0], 404)
        self.ping("intake")
        status, body = fp.http_get(self.svcs["intake"].http + "/metrics")
        self.assertEqual(status, 200)
        m = re.search(r'^fangpin_requests_total\{service="intake",op="ping",code="OK"\} (\d+)$', body, re.M)
        self.assertIsNotNone(m, body)
        self.assertGreaterEqual(int(m.group(1)), 1)
        self.assertRegex(body, r'(?m)^fangpin_db_up\{service="intake"\} 1$')
        self.assertRegex(body, r'(?m)^# TYPE fangpin_requests_total counter$')

    def test_logs_are_json_lines(self):
        recs = self.svcs["intake"].log_records()
        self.assertTrue(any(r["msg"] == "listening" for r in recs))
        for r in recs:
            self.assertEqual(r["svc"], "intake")
            self.assertIn(r["level"], ("debug", "info", "warn", "error"))
            self.assertRegex(r["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


class Lifecycle(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.fresh_db("it_lifecycle")
        cls.keys = fp.Keys(cls.ci)
        fp.ctl(["migrate"], cls.ci)
        cls.keys.register("admin", "admin:county-it")

    def binary(self, svc):
        return os.path.join(fp.BUILD, f"fangpin-{svc}")

    def test_help_lists_every_setting_and_version(self):
        for svc in fp.SERVICES:
            p = subprocess.run([self.binary(svc), "--help"], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0)
            for var in ("FANGPIN_PG", "FANGPIN_LOG_LEVEL", "FANGPIN_KEYS_DIR", f"FANGPIN_{svc.upper()}_ENDPOINT",
                        f"FANGPIN_{svc.upper()}_HTTP", "FANGPIN_MAX_REQUEST_BYTES", "FANGPIN_MAX_FRAME_BYTES",
                        "FANGPIN_SHUTDOWN_GRACE_MS", "FANGPIN_MIGRATE"):
                self.assertIn(var, p.stdout)
            p = subprocess.run([self.binary(svc), "--version"], capture_output=True, text=True)
            self.assertRegex(p.stdout, rf"^fangpin-{svc} \d+\.\d+\.\d+ \(schema \d{{3}}_\w+\)$")

    def test_readme_configuration_table_matches_help(self):
        with open(os.path.join(fp.SOURCE, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        for svc in fp.SERVICES:
            out = subprocess.run([self.binary(svc), "--help"], capture_output=True, text=True).stdout
            for var in re.findall(r"^\s+(FANGPIN_\w+)", out, re.M):
                self.assertTrue(f"`{var}`" in readme, f"README's configuration table lacks {var}")

    def test_register_key_file_whose_path_looks_like_z85(self):
        # A 40-character path is valid Z85 text too: the file must win.
        rel = os.path.join("k" * 34, "x.key")
        self.assertEqual(len(rel), 40)
        fp.ctl(["keys", "make", "--dir", "k" * 34, "x"], self.ci, cwd=fp.VAR)
        fp.ctl(["keys", "register", "--id", "admin:z85-path", "--kind", "admin", "--name", "x", "--region", "130822",
                "--key", rel], self.ci, cwd=fp.VAR)
        pub, _ = zmq.auth.load_certificate(os.path.join(fp.VAR, rel))
        self.assertEqual(fp.sql(self.ci, "SELECT public_key FROM curve_keys WHERE principal_id = 'admin:z85-path'"),
                         [(pub.decode(),)])

    def test_bad_configuration_refused(self):
        p = subprocess.run([self.binary("intake")], capture_output=True, text=True,
                           env=dict(os.environ, FANGPIN_MAX_REQUEST_BYTES="12abc", FANGPIN_SHUTDOWN_GRACE_MS="-5"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("FANGPIN_MAX_REQUEST_BYTES=\"12abc\": not an integer", p.stderr)
        self.assertIn("FANGPIN_SHUTDOWN_GRACE_MS=\"-5\": out of range", p.stderr)
        p = subprocess.run([self.binary("intake"), "--bogus"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)

    def test_missing_server_key_is_a_clear_error(self):
        s = fp.Service("intake", self.ci, self.keys, env={"FANGPIN_KEYS_DIR": "/nonexistent"}, wait_ready=False)
        self.assertEqual(s.proc.wait(20), 1)
        s.stop()
        self.assertIn("cannot read the server's secret certificate", s.log())

    def test_sigterm_stops_cleanly(self):
        s = fp.Service("screening", self.ci, self.keys)
        c = s.client("admin")
        req = screening_pb2.ScreeningRequest(request_id="a")
        req.ping.SetInParent()
        self.assertEqual(c.call(req, screening_pb2.ScreeningReply).status.code, 0)
        c.close()
        self.assertEqual(s.stop(signal.SIGTERM), 0)
        msgs = [r["msg"] for r in s.log_records()]
        self.assertIn("stopping", msgs)
        self.assertEqual(msgs[-1], "stopped")

    def test_no_id_number_reaches_the_log(self):
        # A client-chosen request id is echoed in logs of refusals: an ID number inside it is masked.
        s = fp.Service("intake", self.ci, self.keys)
        c = s.client("admin")
        raw = common_pb2.RequestHeader(request_id="11010519491231002X").SerializeToString() + b"\x9a\x06\x00"
        c.send_frames([raw])
        self.assertIsNotNone(c.recv())
        c.close()
        s.stop()
        self.assertNotIn("11010519491231002X", s.log())


if __name__ == "__main__":
    fp.main()
