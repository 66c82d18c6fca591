"""Safe by default (issue 11), the request path of every service: frames that would make a
service allocate far more than their size are refused fast and cheaply (bounded decoding),
request ids are bounded, and a sender that pipelines faster than the database can keep up is
pushed back by ZeroMQ instead of filling the service's memory (FANGPIN_MAX_INFLIGHT).
Each test prints the memory figures it measured (VmRSS/VmHWM from /proc/PID/status)."""
import os
import threading
import time
import unittest

import zmq
import zmq.auth

import fp
from fangpin.v1 import assistance_pb2, common_pb2, intake_pb2, reporting_pb2, screening_pb2

Code = common_pb2.Code
TODAY = "2026-11-24"
MIB = 1024 * 1024
V1 = "130822100001"  # in tests/fixtures/regions/130822


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, payload):
    """A length-delimited field."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def submit_of_empty_leads(n):
    """IntakeRequest { request_id: "big", submit_leads { batch_id, period, n empty Lead } }, built
    as bytes (the protobuf runtime would take minutes to build millions of messages)."""
    inner = field(1, b"b-empty") + field(2, b"2026-10") + b"\x1a\x00" * n
    return field(1, b"big") + field(11, inner)


def reply_of(frames, reply_type):
    r = reply_type()
    r.ParseFromString(frames[-1])
    return r


def id_number(seq):
    body = f"130822{1940 + seq // 1000 % 60}0101{seq % 1000:03d}"
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w)) % 11]


class Setup:
    @classmethod
    def county(cls, name):
        cls.ci = fp.county_db(name)
        cls.keys = fp.Keys(cls.ci, fp.SERVICES + ("admin", "yibao", "county"))
        cls.keys.register("admin", "admin:county-it")
        cls.keys.register("yibao", "dept:130822:yibao", kind="department", level="county", dept="yibao")
        cls.keys.register("county", "actor:130822:xl", kind="actor", level="county", region="130822")


class BoundedDecoding(Setup, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.county("it_limits")
        env = {"FANGPIN_TODAY": TODAY}
        cls.svcs = {}
        try:
            for name in fp.SERVICES:
                cls.svcs[name] = fp.Service(name, cls.ci, cls.keys, env=env)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for s in cls.svcs.values():
            s.stop()

    def refused_fast(self, svc, key, frame, reply_type, code, reason):
        """Sends frame; the reply must come within a second of the service's CPU time with code
        and reason, and the service's resident memory (and its peak) grow by less than 64 MiB."""
        pid = svc.proc.pid
        c = svc.client(key)
        try:
            # connected and warm first: the figures then measure the frame, not the handshake
            c.send_frames([common_pb2.PingRequest(request_id="warm", ping=common_pb2.Ping()).SerializeToString()])
            self.assertIsNotNone(c.recv(5000), "no answer to a ping")
            rss0 = fp.proc_status_kib(pid, "VmRSS")
            hwm0 = fp.proc_status_kib(pid, "VmHWM")
            cpu0 = fp.proc_cpu_seconds(pid)
            t0 = time.time()
            c.send_frames([frame])
            frames = c.recv(10000)
            elapsed = time.time() - t0
            cpu = fp.proc_cpu_seconds(pid) - cpu0
            self.assertIsNotNone(frames, f"{svc.name}: no reply to a {len(frame)}-byte frame")
            r = reply_of(frames, reply_type)
            rss1 = fp.proc_status_kib(pid, "VmRSS")
            hwm1 = fp.proc_status_kib(pid, "VmHWM")
        finally:
            c.close()
        print(f"{svc.name}: {len(frame)} bytes -> {Code.Name(r.status.code)} {r.status.reason} in "
              f"{elapsed * 1000:.0f} ms (service CPU {cpu * 1000:.0f} ms); VmRSS {rss0 // 1024} -> {rss1 // 1024} MiB "
              f"(+{(rss1 - rss0) / 1024:.1f}), VmHWM {hwm0 // 1024} -> {hwm1 // 1024} MiB "
              f"(peak above the RSS before: +{max(0, hwm1 - rss0) / 1024:.1f})", flush=True)
        self.assertEqual(r.status.code, code, r.status)
        self.assertEqual(r.status.reason, reason, r.status)
        # The wall time includes the client encrypting the frame and both sides moving it over
        # CURVE, on a machine shared with other builds; what the service spends is its CPU time.
        self.assertLess(cpu, 1.0, f"{svc.name} worked {cpu:.2f}s to refuse")
        self.assertLess(elapsed, 1.0 if len(frame) < 8 * MIB else 3.0, f"{svc.name} took {elapsed:.2f}s to refuse")
        self.assertLess(rss1 - rss0, 64 * 1024, "resident memory grew by 64 MiB or more")
        self.assertLess(hwm1 - rss0, 64 * 1024, "peak resident memory rose by 64 MiB or more")
        return r

    def test_a_16_mib_frame_of_empty_leads(self):
        frame = submit_of_empty_leads((16 * MIB - 64) // 2)  # under the old 16 MiB limit
        self.assertLess(len(frame), 16 * MIB)
        self.refused_fast(self.svcs["intake"], "yibao", frame, intake_pb2.IntakeReply, Code.TOO_LARGE,
                          "request.too_large")

    def test_millions_of_empty_leads_within_the_size_limit(self):
        frame = submit_of_empty_leads(2_000_000)
        self.assertLess(len(frame), 4 * MIB)  # intake's FANGPIN_MAX_REQUEST_BYTES
        self.refused_fast(self.svcs["intake"], "yibao", frame, intake_pb2.IntakeReply, Code.TOO_LARGE,
                          "request.too_complex")

    def test_every_service_refuses_a_frame_of_empty_fields(self):
        n = 500_000  # 2 bytes each: just under the 1 MiB default of the other services
        frames = {
            # Identify.risk_types, Replay.types: repeated strings, all empty
            "screening": (field(1, b"r") + field(18, b"\x1a\x00" * n), screening_pb2.ScreeningReply),
            "reporting": (field(1, b"r") + field(11, b"\x22\x00" * n), reporting_pb2.ReportingReply),
            # unknown fields (protobuf-c keeps each one): field 900, varint 0, 3 bytes each
            "assistance": (field(1, b"r") + b"\xa0\x38\x00" * (n * 2 // 3), assistance_pb2.AssistanceReply),
        }
        for name, (frame, reply_type) in frames.items():
            with self.subTest(service=name):
                self.assertLess(len(frame), MIB)
                self.refused_fast(self.svcs[name], "county", frame, reply_type, Code.TOO_LARGE, "request.too_complex")

    def test_request_ids(self):
        for name, svc in self.svcs.items():
            c = svc.client("admin")
            try:
                for rid in ("", "x" * 129, "批次1", "a\nb", "tab\there"):
                    with self.subTest(service=name, rid=rid):
                        c.send_frames([common_pb2.PingRequest(request_id=rid, ping=common_pb2.Ping(note="n"))
                                      .SerializeToString()])
                        r = reply_of(c.recv(5000), common_pb2.PingReply)
                        self.assertEqual(r.status.code, Code.BAD_REQUEST)
                        self.assertEqual(r.status.reason, "request.id")
                        self.assertEqual(r.request_id, "")
                rid = "~ 1-2026/10:" + "x" * 116
                self.assertEqual(len(rid), 128)
                c.send_frames([common_pb2.PingRequest(request_id=rid, ping=common_pb2.Ping(note="n"))
                              .SerializeToString()])
                r = reply_of(c.recv(5000), common_pb2.PingReply)
                self.assertEqual(r.status.code, Code.OK, r.status)
                self.assertEqual(r.request_id, rid)
                self.assertEqual(r.pong.service, name)
            finally:
                c.close()

    def test_a_refused_batch_names_its_reason(self):
        c = self.svcs["intake"].client("yibao")
        try:
            req = intake_pb2.IntakeRequest(request_id="e")
            req.submit_leads.batch_id = "empty"
            req.submit_leads.period = "2026-10"
            r = c.call(req, intake_pb2.IntakeReply)
            self.assertEqual((r.status.code, r.status.reason), (Code.BAD_REQUEST, "batch.empty"))
            self.assertEqual(r.request_id, "e")
        finally:
            c.close()

    def test_garbage_is_bad_request_with_a_reason(self):
        c = self.svcs["intake"].client("yibao")
        try:
            c.send_frames([b"\x0a\x05ab"])  # a string field cut short
            r = reply_of(c.recv(5000), intake_pb2.IntakeReply)
            self.assertEqual(r.status.code, Code.BAD_REQUEST)
            self.assertEqual(r.status.reason, "request.malformed")
        finally:
            c.close()


class Backpressure(Setup, unittest.TestCase):
    BATCHES = 2000
    LEADS = 5

    @classmethod
    def setUpClass(cls):
        cls.county("it_backpressure")
        # A small high-water mark, so that the service's queue holds few frames and the sender
        # really is held back; the in-flight cap is the default (64).
        # ASan keeps freed memory in a quarantine (256 MiB by default) that a production build
        # does not have: a small one, so that resident memory measures the service's own use.
        asan = os.environ.get("ASAN_OPTIONS", "")
        cls.svc = fp.Service("intake", cls.ci, cls.keys, env={
            "FANGPIN_TODAY": TODAY, "FANGPIN_ZMQ_HWM": "50",
            "ASAN_OPTIONS": (asan + ":" if asan else "") + "quarantine_size_mb=8"})

    @classmethod
    def tearDownClass(cls):
        cls.svc.stop()

    def metric(self, name):
        status, body = fp.http_get(self.svc.http + "/metrics")
        for line in body.splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                return float(line.rsplit(" ", 1)[1])
        return None

    def test_pipelined_batches_are_held_back_and_all_answered(self):
        detail = "住院自付" * 330  # 3,960 bytes: a batch is about 20 KB on the wire
        frames = []
        for b in range(self.BATCHES):
            req = intake_pb2.IntakeRequest(request_id=f"p{b}")
            req.submit_leads.batch_id = f"pipe-{b}"
            req.submit_leads.period = "2026-10"
            for i in range(self.LEADS):
                n = b * self.LEADS + i
                req.submit_leads.leads.append(intake_pb2.Lead(
                    id_number=id_number(n), name="张三", village_code=V1, kind="yibao.high_cost",
                    occurred_on="2026-10-15", amount_fen=100000 + n, has_amount=True, detail=detail, line_ref=str(i)))
            frames.append(req.SerializeToString())
        total = sum(len(f) for f in frames)

        pid = self.svc.proc.pid
        rss0 = fp.proc_status_kib(pid, "VmRSS")
        peak_inflight = [0.0]
        done = threading.Event()

        def sample():
            while not done.is_set():
                v = self.metric("fangpin_inflight_requests")
                if v is not None:
                    peak_inflight[0] = max(peak_inflight[0], v)
                done.wait(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        ctx = zmq.Context()
        s = ctx.socket(zmq.DEALER)
        s.linger = 0
        s.rcvhwm = 0  # this client keeps every reply until it reads them at the end
        s.sndhwm = 50
        s.curve_serverkey, _ = zmq.auth.load_certificate(self.keys.path("intake"))
        s.curve_publickey, s.curve_secretkey = zmq.auth.load_certificate(self.keys.path("yibao", secret=True))
        s.connect(self.svc.endpoint)
        try:
            t0 = time.time()
            held_back = 0
            for f in frames:
                while True:  # a send the high-water mark refuses is the push back
                    try:
                        s.send(f, zmq.DONTWAIT)
                        break
                    except zmq.Again:
                        held_back += 1
                        s.poll(1000, zmq.POLLOUT)
            sent = time.time() - t0
            replies = {}
            deadline = time.time() + 240
            while len(replies) < self.BATCHES and time.time() < deadline:
                if not s.poll(int((deadline - time.time()) * 1000) + 1, zmq.POLLIN):
                    break
                r = intake_pb2.IntakeReply()
                r.ParseFromString(s.recv())
                self.assertNotIn(r.request_id, replies, "a batch answered twice")
                replies[r.request_id] = r
            elapsed = time.time() - t0
            # nothing more comes: every batch was answered exactly once
            extra = s.poll(500, zmq.POLLIN)
        finally:
            done.set()
            sampler.join()
            s.close(0)
            ctx.term()
        rss1 = fp.proc_status_kib(pid, "VmRSS")
        hwm1 = fp.proc_status_kib(pid, "VmHWM")
        paused = self.metric("fangpin_requests_paused_total")
        print(f"{self.BATCHES} batches, {total / MIB:.1f} MiB, sent in {sent:.1f}s (the sender was held back "
              f"{held_back} times), all answered in {elapsed:.1f}s; in flight at most {peak_inflight[0]:.0f}, "
              f"ROUTER paused {paused} times; VmRSS {rss0 // 1024} -> {rss1 // 1024} MiB, VmHWM {hwm1 // 1024} MiB",
              flush=True)
        self.assertEqual(len(replies), self.BATCHES)
        self.assertFalse(extra, "a reply more than the batches sent")
        bad = [r for r in replies.values() if r.status.code != Code.OK]
        self.assertEqual([(r.request_id, [x.reason for x in r.results]) for r in bad[:3]], [])
        self.assertEqual(sum(r.batch.accepted for r in replies.values()), self.BATCHES * self.LEADS)
        self.assertLessEqual(peak_inflight[0], 64)
        self.assertGreater(paused or 0, 0)
        self.assertGreater(held_back, 0, "the sender was never held back")
        self.assertLess(hwm1, 200 * 1024, "peak resident memory reached 200 MiB")
        stored = fp.sql(self.ci, "SELECT count(*) FROM leads WHERE batch_id LIKE 'pipe-%'")[0][0]
        self.assertEqual(int(stored), self.BATCHES * self.LEADS)


if __name__ == "__main__":
    fp.main()
