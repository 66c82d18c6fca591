"""Restarts nobody notices (issue 21): a service binds its CURVE sockets only once its keys are
loaded, so a client that reconnects while it restarts is never refused at the handshake; the
subscribers of docs/protocol.md (a plain SUB with heartbeats and Replay, and `fangpinctl tail`)
heal after every `kill -9` of the reporting service; a DEALER client's first request after a
restart is answered (or UNAVAILABLE while not ready), never refused as unauthenticated."""
import os
import re
import signal
import subprocess
import threading
import time
import unittest

import zmq

import fp
from fangpin.v1 import common_pb2, intake_pb2

T1 = "130822112001"
HB_MS = 200          # the reporting heartbeat in these tests
RESTARTS = 20        # kill -9 of the reporting service, in a row
LIVE_WITHIN_S = 2.0  # after each restart, both subscribers get live events again within this


def ping_msg(rid):
    return intake_pb2.IntakeRequest(request_id=rid, ping=common_pb2.Ping(note="restart"))


def ports_env(name, more=None):
    U = name.upper()
    e = {f"FANGPIN_{U}_ENDPOINT": f"tcp://127.0.0.1:{fp.free_port()}",
         f"FANGPIN_{U}_HTTP": f"127.0.0.1:{fp.free_port()}"}
    e.update(more or {})
    return e


def kill9(svc):
    svc.proc.send_signal(signal.SIGKILL)
    svc.proc.wait(10)
    svc.logf.close()


class Writer:
    """A load: one event every few milliseconds from one psql session, until stopped."""

    def __init__(self, ci, every_ms=25):
        self.p = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", ci], stdin=subprocess.PIPE,
                                  text=True, stdout=subprocess.DEVNULL)
        self.stop_ev = threading.Event()
        self.t = threading.Thread(target=self._run, args=(every_ms,), daemon=True)
        self.t.start()

    def _run(self, every_ms):
        while not self.stop_ev.wait(every_ms / 1000):
            self.p.stdin.write(f"INSERT INTO events (county_code, region_code, type) "
                               f"VALUES ('130822', '{T1}', 'lead.accepted');\n")
            self.p.stdin.flush()

    def stop(self):
        self.stop_ev.set()
        self.t.join()
        self.p.stdin.close()
        self.p.wait(30)


class TailReader:
    """`fangpinctl tail --show-source` in the background; each line with the time it arrived."""

    def __init__(self, env):
        self.p = subprocess.Popen([os.path.join(fp.BUILD, "fangpinctl"), "tail", "--region", "130822", "--from", "0",
                                   "--show-source"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=dict(os.environ, **env))
        self.lines = []  # (time, source, position)
        self.err = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self.err.extend(self.p.stderr), daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            f = line.split()
            self.lines.append((time.time(), f[0], int(f[1])))

    def live_since(self, t0):
        return [t for t, src, _ in list(self.lines) if src == "live" and t > t0]

    def positions(self):
        return [p for _, _, p in list(self.lines)]

    def stop(self):
        self.p.terminate()
        self.p.wait(10)
        self.p.stdout.close()
        self.p.stderr.close()


class Restarts(unittest.TestCase):
    def test_subscribers_heal_after_every_kill_of_the_reporting_service(self):
        ci = fp.fresh_db("restarts_pub")
        fp.ctl(["migrate"], ci)
        keys = fp.Keys(ci, names=("reporting", "admin"))
        keys.register("admin", "admin:county-it")
        env = ports_env("reporting", {"FANGPIN_REPORTING_PUB": f"tcp://127.0.0.1:{fp.free_port()}",
                                      "FANGPIN_REPORTING_HEARTBEAT_MS": str(HB_MS)})
        svc = fp.spawn("reporting", ci, keys, env)
        follower = fp.Follower(env["FANGPIN_REPORTING_PUB"], svc.endpoint, keys.path("reporting"),
                               keys.path("admin", secret=True), prefix="130822", heartbeat_ms=HB_MS)
        stop = threading.Event()

        def follow():
            while not stop.is_set():
                follower.step(50)
        ft = threading.Thread(target=follow, daemon=True)
        ft.start()
        tail = TailReader({"FANGPIN_KEYS_DIR": keys.dir, "FANGPIN_REPORTING_CONNECT": svc.endpoint,
                           "FANGPIN_REPORTING_PUB_CONNECT": env["FANGPIN_REPORTING_PUB"],
                           "FANGPIN_REPORTING_HEARTBEAT_MS": str(HB_MS)})
        writer = Writer(ci)
        delays = []  # (from spawn to ready, follower's first live after ready, tail's)
        try:
            t0 = time.time()
            fp.wait_for(lambda: any(t > t0 for t, _ in follower.live) and tail.live_since(t0), 20,
                        what="both subscribers receiving live events before the first kill")
            for i in range(RESTARTS):
                kill9(svc)
                t_spawn = time.time()
                svc = fp.spawn("reporting", ci, keys, env, wait_ready=False)
                svc.wait_ready(30)
                t_ready = time.time()
                fp.wait_for(lambda: any(t > t_ready for t, _ in follower.live) and tail.live_since(t_ready),
                            15, step=0.02, what=f"live events at both subscribers after restart {i + 1}")
                f_first = min(t for t, _ in follower.live if t > t_ready) - t_ready
                t_first = min(tail.live_since(t_ready)) - t_ready
                delays.append((t_ready - t_spawn, f_first, t_first))
                self.assertLessEqual(max(f_first, t_first), LIVE_WITHIN_S,
                                     f"restart {i + 1}: first live event after {f_first:.2f}s (SUB), "
                                     f"{t_first:.2f}s (tail)")
                self.assertEqual(svc.log().count("connection refused"), 0, svc.log())
            writer.stop()
            fp.wait_for(lambda: fp.sql(ci, "SELECT (SELECT count(*) FROM events_pending) + (SELECT count(*) FROM event_positions"
                                           " WHERE position > (SELECT published FROM relay_state))")[0][0] == "0",
                        30, what="every event published")
            n = int(fp.sql(ci, "SELECT count(*) FROM events")[0][0])
            self.assertEqual(fp.sql(ci, "SELECT max(position) FROM event_positions")[0][0], str(n))
            # the next heartbeat carries the head: both catch up by Replay whatever they missed live
            fp.wait_for(lambda: follower.last >= n and len(tail.lines) >= n, 20,
                        what=f"both subscribers at position {n}")
            self.assertEqual(follower.handled, list(range(1, n + 1)))
            self.assertEqual(tail.positions(), list(range(1, n + 1)))
            live_tail = sum(1 for _, src, _ in tail.lines if src == "live")
            print(f"{RESTARTS} kill -9 restarts, {n} events: ready {min(d[0] for d in delays):.2f}.."
                  f"{max(d[0] for d in delays):.2f}s after the spawn; first live event after ready: SUB "
                  f"{min(d[1] for d in delays):.3f}..{max(d[1] for d in delays):.3f}s, tail "
                  f"{min(d[2] for d in delays):.3f}..{max(d[2] for d in delays):.3f}s; SUB live {len(follower.live)}, "
                  f"replayed {follower.replayed}, reopened {follower.reopened}; tail live {live_tail}, "
                  f"replayed {n - live_tail}")
        finally:
            stop.set()
            ft.join(10)
            follower.close()
            if writer.p.poll() is None:
                writer.stop_ev.set()
                writer.p.kill()
            tail.stop()
            svc.stop()
        self.assertEqual([l for l in tail.err if "refused" in l], [])

    def test_first_request_after_a_restart_is_answered_at_every_service(self):
        ci = fp.fresh_db("restarts_dealer")
        fp.ctl(["migrate"], ci)
        keys = fp.Keys(ci)
        keys.register("admin", "admin:county-it")
        for name in fp.SERVICES:
            with self.subTest(service=name):
                self._dealer_restarts(ci, keys, name, restarts=5)

    def _dealer_restarts(self, ci, keys, name, restarts):
        env = ports_env(name)
        svc = fp.spawn(name, ci, keys, env)
        # a plain DEALER, as a department's program holds one for hours, never reopened
        plain = fp.Client(svc.endpoint, keys.path(name), keys.path("admin", secret=True), monitor=True)
        ctl_env = {"FANGPIN_KEYS_DIR": keys.dir, f"FANGPIN_{name.upper()}_CONNECT": svc.endpoint,
                   "FANGPIN_TIMEOUT_MS": "3000"}
        try:
            r = plain.call(ping_msg("before"), intake_pb2.IntakeReply)
            self.assertEqual(r.status.code, common_pb2.OK)
            answered = []
            for k in range(restarts):
                kill9(svc)
                t_spawn = time.time()
                svc = fp.spawn(name, ci, keys, env, wait_ready=False)
                # the first request goes while the new process is still starting
                plain.send_frames([ping_msg(f"plain-{k}").SerializeToString()])
                frames = plain.recv(20000)
                self.assertIsNotNone(frames, f"{name}: no answer on the plain DEALER after restart {k + 1}")
                rep = intake_pb2.IntakeReply()
                rep.ParseFromString(frames[-1])
                self.assertEqual(rep.request_id, f"plain-{k}")
                self.assertIn(rep.status.code, (common_pb2.OK, common_pb2.UNAVAILABLE), rep.status.message)
                answered.append(time.time() - t_spawn)
                # a Lazy Pirate client started at once on a new socket, and fangpinctl ping
                lr, attempts, codes = fp.lazy_call(svc.endpoint, keys.path(name), keys.path("admin", secret=True),
                                                   ping_msg(f"lazy-{k}"), intake_pb2.IntakeReply, 3000)
                self.assertIsNotNone(lr)
                self.assertEqual(lr.status.code, common_pb2.OK)
                self.assertTrue(all(c in (common_pb2.OK, common_pb2.UNAVAILABLE) for c in codes), codes)
                p = fp.ctl(["ping", name], ci, env=ctl_env, check=False, timeout=60)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                self.assertNotIn("refused", p.stderr)
                svc.wait_ready(30)
            events = plain.monitor_events(300)
            self.assertNotIn(zmq.EVENT_HANDSHAKE_FAILED_AUTH, events)
            body = fp.http_get(svc.http + "/metrics")[1]
            for m in ("fangpin_zap_denied_total", "fangpin_zap_not_ready_total"):
                self.assertRegex(body, rf'(?m)^{m}\{{service="{name}"\}} 0$')
            self.assertNotIn("connection refused", svc.log())
            print(f"{name}: {restarts} kill -9 restarts; the plain DEALER's first request answered "
                  f"{min(answered):.2f}..{max(answered):.2f}s after the spawn, never refused")
        finally:
            plain.close()
            svc.stop()


class SseResumes(unittest.TestCase):
    def test_event_stream_tells_the_browser_to_reconnect_and_resumes_after_a_kill(self):
        ci = fp.fresh_db("restarts_sse")
        fp.ctl(["migrate"], ci)
        keys = fp.Keys(ci, names=("reporting", "admin"))
        env = ports_env("reporting", {"FANGPIN_REPORTING_PUB": f"tcp://127.0.0.1:{fp.free_port()}",
                                      "FANGPIN_REPORTING_HEARTBEAT_MS": str(HB_MS), "FANGPIN_REPORTING_SSE": "true",
                                      "FANGPIN_REPORTING_HTTP_AUTH": "proxy"})
        insert = ("INSERT INTO events (county_code, region_code, type) SELECT '130822', '{}', 'lead.accepted'"
                  " FROM generate_series(1, {})")
        published = "SELECT count(*) FROM event_positions WHERE position <= (SELECT published FROM relay_state)"

        def stream(svc, last=None):
            args = ["curl", "-sN", "--max-time", "1.5", f"{svc.http}/events?region=130822&from=0"]
            if last is not None:
                args[2:2] = ["-H", f"Last-Event-ID: {last}"]
            out = subprocess.run(args, capture_output=True, text=True, timeout=30).stdout
            return out, [int(l[3:]) for l in out.splitlines() if l.startswith("id:")]

        svc = fp.spawn("reporting", ci, keys, env)
        try:
            fp.sql(ci, insert.format(T1, 5))
            fp.wait_for(lambda: fp.sql(ci, published)[0][0] == "5", 20, what="5 events published")
            out, ids = stream(svc)
            self.assertIn(f"retry: {3 * HB_MS}\n", out)
            self.assertEqual(ids, [1, 2, 3, 4, 5])
            kill9(svc)
            fp.sql(ci, insert.format(T1, 3))  # written while the service is down
            svc = fp.spawn("reporting", ci, keys, env)
            out, ids = stream(svc, last=5)  # what an EventSource sends when it reconnects
            self.assertEqual(ids, [6, 7, 8])
        finally:
            svc.stop()


class Readiness(unittest.TestCase):
    def test_not_listening_until_the_key_table_can_be_read(self):
        ci = fp.fresh_db("restarts_keys")
        fp.ctl(["migrate"], ci)
        keys = fp.Keys(ci)
        keys.register("admin", "admin:county-it")
        # the key table cannot be read at start: the service waits, not ready and not listening
        fp.sql(ci, "ALTER TABLE curve_keys RENAME TO curve_keys_away")
        env = ports_env("intake")
        svc = fp.spawn("intake", ci, keys, env, wait_ready=False)
        try:
            fp.wait_for(lambda: "key cache reload failed" in svc.log(), 15, what="a failed key load logged")
            st, body = fp.http_get(svc.http + "/readyz")
            self.assertEqual(st, 503)
            self.assertIn("keys not loaded", body)
            self.assertIn("sockets not bound", body)
            host, port = svc.endpoint[len("tcp://"):].rsplit(":", 1)
            import socket
            with socket.socket() as s:  # nothing listens: a client's connect is refused and retried
                self.assertNotEqual(s.connect_ex((host, int(port))), 0)
            c = fp.Client(svc.endpoint, keys.path("intake"), keys.path("admin", secret=True), monitor=True)
            c.send_frames([ping_msg("waiting").SerializeToString()])
            fp.sql(ci, "ALTER TABLE curve_keys_away RENAME TO curve_keys")
            frames = c.recv(15000)  # the same socket, answered once the keys load and it binds
            self.assertIsNotNone(frames, "no answer once the key table came back")
            r = intake_pb2.IntakeReply()
            r.ParseFromString(frames[-1])
            self.assertEqual((r.request_id, r.status.code), ("waiting", common_pb2.OK))
            self.assertNotIn(zmq.EVENT_HANDSHAKE_FAILED_AUTH, c.monitor_events(300))
            c.close()
            self.assertEqual(fp.http_get(svc.http + "/readyz"), (200, "ready\n"))
            recs = svc.log_records()
            self.assertTrue(any(x["msg"] == "listening" and x.get("socket") == "ROUTER" for x in recs))
            loaded = next(i for i, x in enumerate(recs) if x["msg"] == "key cache loaded")
            bound = next(i for i, x in enumerate(recs) if x["msg"] == "listening")
            self.assertLess(loaded, bound)
        finally:
            fp.sql(ci, "ALTER TABLE IF EXISTS curve_keys_away RENAME TO curve_keys")
            svc.stop()

    def test_a_taken_endpoint_stops_the_service_once_it_would_bind(self):
        ci = fp.fresh_db("restarts_taken")
        fp.ctl(["migrate"], ci)
        keys = fp.Keys(ci)
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(1)
            port = s.getsockname()[1]
            svc = fp.spawn("intake", ci, keys, ports_env("intake", {"FANGPIN_INTAKE_ENDPOINT":
                                                                    f"tcp://127.0.0.1:{port}"}), wait_ready=False)
            self.assertEqual(svc.proc.wait(30), 1)
        svc.logf.close()
        self.assertTrue(re.search(r"cannot bind a CURVE endpoint", svc.log()), svc.log())


if __name__ == "__main__":
    fp.main()
