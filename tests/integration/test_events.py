"""The event relay (issue 6): every event row gets a gap-free position in commit order and is
published once on the reporting PUB socket (topic = region/type); a subscriber that was away
replays with no gap (the Clone pattern); heartbeats; scope; `fangpinctl tail`; the SSE stream."""
import os
import signal
import subprocess
import time
import unittest

import zmq
import zmq.auth

import fp
from fangpin.v1 import common_pb2, reporting_pb2

T1 = "130822112001"  # a village of 三道河镇 (130822112)
T2 = "130822100001"  # a village of 兴隆镇
OTHER = "130821001001"  # another county
# events not yet sent on the PUB: unnumbered, or above the relay's high-water mark (migration 013)
UNPUBLISHED = ("SELECT (SELECT count(*) FROM events_pending)"  # unnumbered (migration 051)
               " + (SELECT count(*) FROM event_positions WHERE position > (SELECT published FROM relay_state))")


def insert_sql(n, region=T1, type_="lead.accepted", county=None):
    county = county or region[:6]
    return (f"INSERT INTO events (county_code, region_code, type, payload) "
            f"SELECT '{county}', '{region}', '{type_}', jsonb_build_object('n', g) FROM generate_series(1, {n}) g")


class Sub:
    """A dashboard's subscriber: SUB with CURVE, dedup by position, Replay to fill gaps.

    With live=True (the default) it also subscribes to the heartbeat, last, and returns only
    once a heartbeat has arrived: the relay applies a socket's subscriptions in the order they
    were sent, so from then on every earlier subscription is in force."""

    def __init__(self, svc, pub_ep, key="admin", topics=("",), live=True):
        self.svc, self.key = svc, key
        self.ctx = zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.SUB)
        self.sock.linger = 0
        spub, _ = zmq.auth.load_certificate(svc.keys.path("reporting"))
        cpub, csec = zmq.auth.load_certificate(svc.keys.path(key, secret=True))
        self.sock.curve_serverkey, self.sock.curve_publickey, self.sock.curve_secretkey = spub, cpub, csec
        for t in topics:
            self.sock.setsockopt(zmq.SUBSCRIBE, t.encode())
        if live:
            self.sock.setsockopt(zmq.SUBSCRIBE, b"HEARTBEAT")
        self.sock.connect(pub_ep)
        self.seen = {}        # position -> (topic, Event)
        self.order = []       # positions in the order handled
        self.dups = 0
        self.beats = []       # the positions heartbeats carried
        if live:
            fp.wait_for(self._heartbeat, 15, 0, what=f"a heartbeat on {pub_ep} (subscriptions {topics} in force)")

    def _heartbeat(self, at_least=0):
        f = self.recv(100)
        if f:
            self.handle(f)
        return bool(f) and f[0] == b"HEARTBEAT" and int(f[1]) >= at_least

    def sync(self, head, timeout=15):
        """Receives until a heartbeat says position `head` was published: the PUB sends in order,
        so every event up to head that this subscription may see has arrived by then."""
        fp.wait_for(lambda: self._heartbeat(head), timeout, 0, what=f"a heartbeat at or past position {head}")

    def recv(self, timeout_ms=200):
        if not self.sock.poll(timeout_ms):
            return None
        return self.sock.recv_multipart()

    def pump(self, seconds):
        end = time.time() + seconds
        while time.time() < end:
            f = self.recv(100)
            if f:
                self.handle(f)

    def handle(self, frames):
        if frames[0] == b"HEARTBEAT":
            self.beats.append(int(frames[1]))
            return
        pos = int(frames[1])
        if pos in self.seen:
            self.dups += 1
            return
        ev = reporting_pb2.Event()
        ev.ParseFromString(frames[2])
        assert ev.position == pos
        self.seen[pos] = (frames[0].decode(), ev)
        self.order.append(pos)

    def close(self):
        self.sock.close(0)


def replay(client, prefix, after, limit=1000, types=(), rid="r"):
    req = reporting_pb2.ReportingRequest(request_id=rid)
    req.replay.region_prefix = prefix
    req.replay.after_position = after
    req.replay.limit = limit
    req.replay.types.extend(types)
    return client.call(req, reporting_pb2.ReportingReply, timeout_ms=10000)


def replay_all(client, prefix, after=0):
    out = []
    while True:
        r = replay(client, prefix, after)
        assert r.status.code == common_pb2.OK, r.status.message
        out.extend(r.events.events)
        after = r.events.next_after
        if len(r.events.events) < 1000:
            return out, r.events.head_position


def start(ci, keys, pub=None, extra=None):
    pub = pub or f"tcp://127.0.0.1:{fp.free_port()}"
    env = {"FANGPIN_REPORTING_PUB": pub, "FANGPIN_REPORTING_HEARTBEAT_MS": "200"}
    env.update(extra or {})
    return fp.Service("reporting", ci, keys, env=env), pub


def positions(ci):
    return [int(r[0]) for r in fp.sql(ci, "SELECT p.position FROM events e LEFT JOIN event_positions p ON p.event_id = e.id"
                                          " ORDER BY p.position")]


class Events(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("events_main")
        cls.keys = fp.Keys(cls.ci, names=("reporting", "admin", "township"))
        cls.keys.register("admin", "admin:county-it")
        cls.keys.register("township", "actor:130822112:zhang", kind="actor", level="township", region="130822112")
        cls.svc, cls.pub = start(cls.ci, cls.keys, extra={"FANGPIN_REPORTING_SSE": "true",
                                                          "FANGPIN_REPORTING_SSE_KEEPALIVE_MS": "300"})
        cls.client = cls.svc.client("admin")

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.svc.stop()

    def head(self):
        return int(fp.sql(self.ci, "SELECT coalesce(max(position), 0) FROM event_positions")[0][0])

    def wait_published(self):
        fp.wait_for(lambda: fp.sql(self.ci, UNPUBLISHED)[0][0] == "0",
                    30, what="every event published")

    def test_topic_prefixes_deliver_the_region_asked_for(self):
        county = Sub(self.svc, self.pub, topics=("130822",))
        town = Sub(self.svc, self.pub, topics=("130822112",))
        before = self.head()
        fp.sql(self.ci, insert_sql(3, T1) + "; " + insert_sql(4, T2) + "; " + insert_sql(5, OTHER))
        self.wait_published()
        county.sync(self.head())
        town.sync(self.head())
        c = [e for p, (t, e) in county.seen.items() if p > before]
        w = [e for p, (t, e) in town.seen.items() if p > before]
        self.assertEqual(len(c), 7)
        self.assertTrue(all(e.region.startswith("130822") and e.county == "130822" for e in c))
        self.assertEqual(len(w), 3)
        self.assertTrue(all(e.region == T1 for e in w))
        topic = next(iter(town.seen.values()))[0]
        self.assertEqual(topic, T1 + "/lead.accepted")
        county.close()
        town.close()

    def test_pub_keeps_to_the_keys_region(self):
        # a township's key: "" (everything) gives its township and the heartbeat, the county's
        # prefix is narrowed to its township, a neighbour's prefix gives nothing
        everything = Sub(self.svc, self.pub, key="township", topics=("",), live=False)
        fp.wait_for(everything._heartbeat, 15, 0, what="a heartbeat through the township's all-subscription")
        county = Sub(self.svc, self.pub, key="township", topics=("130822",))
        neighbour = Sub(self.svc, self.pub, key="township", topics=("130822100",))
        before = self.head()
        fp.sql(self.ci, insert_sql(3, T1) + "; " + insert_sql(4, T2) + "; " + insert_sql(5, OTHER))
        self.wait_published()
        for s in (everything, county, neighbour):
            s.sync(self.head())
        beats = everything.beats
        mine = [p for p in range(before + 1, self.head() + 1)
                if fp.sql(self.ci, f"SELECT region_code FROM event_positions WHERE position = {p}")[0][0] == T1]
        self.assertEqual(len(mine), 3)
        self.assertEqual(sorted(p for p in everything.seen if p > before), mine)
        self.assertEqual(sorted(p for p in county.seen if p > before), mine)
        self.assertEqual([p for p in neighbour.seen if p > before], [])
        self.assertTrue(beats, "the heartbeat comes with an all-subscription")
        st, body = fp.http_get(f"{self.svc.http}/metrics")
        self.assertEqual(st, 200)
        narrowed = [l for l in body.splitlines() if l.startswith("fangpin_event_subscriptions_narrowed_total")]
        refused = [l for l in body.splitlines() if l.startswith("fangpin_event_subscriptions_refused_total")]
        self.assertGreaterEqual(float(narrowed[0].split()[-1]), 2)
        self.assertGreaterEqual(float(refused[0].split()[-1]), 1)
        for x in (everything, county, neighbour):
            x.close()

    def test_heartbeats_carry_the_latest_position(self):
        s = Sub(self.svc, self.pub, topics=("HEARTBEAT",), live=False)
        fp.sql(self.ci, insert_sql(2, T2))
        self.wait_published()
        head = self.head()
        frames = []

        def three_beats_past_head():
            f = s.recv(100)
            if f:
                frames.append(f)
            beats = [int(x[1]) for x in frames if x[0] == b"HEARTBEAT"]
            return len(beats) >= 3 and max(beats) >= head

        fp.wait_for(three_beats_past_head, 15, 0, what="three heartbeats, one at or past the head")
        self.assertEqual({x[0] for x in frames}, {b"HEARTBEAT"})  # the topic asked for, nothing else
        s.close()

    def test_away_subscriber_catches_up_with_replay(self):
        before = self.head()
        fp.sql(self.ci, insert_sql(6000, T1) + "; " + insert_sql(4000, T2))
        self.wait_published()
        evs, head = replay_all(self.client, "130822", before)
        got = [e.position for e in evs]
        self.assertEqual(got, list(range(before + 1, before + 10001)))
        self.assertGreaterEqual(head, before + 10000)
        town, _ = replay_all(self.client, "130822112", before)
        self.assertEqual(len(town), 6000)
        self.assertTrue(all(e.region == T1 for e in town))
        typed = replay(self.client, "130822", before, limit=5, types=["plan.created"])
        self.assertEqual(typed.status.code, common_pb2.OK)
        self.assertEqual(len(typed.events.events), 0)
        self.assertEqual(typed.events.next_after, typed.events.head_position)

    def test_township_key_refused_a_county_wide_replay(self):
        c = self.svc.client("township")
        r = replay(c, "130822", 0)
        self.assertEqual(r.status.code, common_pb2.FORBIDDEN)
        r = replay(c, "", 0)
        self.assertEqual(r.status.code, common_pb2.FORBIDDEN)
        r = replay(c, "130822112", 0, limit=10)
        self.assertEqual(r.status.code, common_pb2.OK)
        self.assertTrue(all(e.region.startswith("130822112") for e in r.events.events))
        r = replay(c, "13082211x", 0)
        self.assertEqual(r.status.code, common_pb2.BAD_REQUEST)
        c.close()

    def test_tail_prints_k_lines(self):
        fp.sql(self.ci, insert_sql(5, T1, "case.verified"))
        self.wait_published()
        env = {"FANGPIN_KEYS_DIR": self.keys.dir, "FANGPIN_REPORTING_CONNECT": self.svc.endpoint,
               "FANGPIN_REPORTING_PUB_CONNECT": self.pub}
        p = fp.ctl(["tail", "--region", "130822", "--from", "0", "--count", "5", "--timeout-ms", "20000"],
                   self.ci, env=env, timeout=60)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 5, p.stdout + p.stderr)
        self.assertEqual([int(l.split()[0]) for l in lines], [1, 2, 3, 4, 5])
        self.assertIn("130822", lines[0])
        # live: only new events, of the types asked for
        proc = subprocess.Popen([os.path.join(fp.BUILD, "fangpinctl"), "tail", "--region", "130822112",
                                 "--types", "plan.created", "--count", "3", "--timeout-ms", "20000"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, FANGPIN_PG=self.ci, **env))
        out_s, err_s = fp.Stream(proc.stdout), fp.Stream(proc.stderr)

        def one_round():  # the PUB keeps no history: write until the live tail has its three
            if proc.poll() is not None:
                return True
            fp.sql(self.ci, insert_sql(2, T1, "case.verified") + "; " + insert_sql(3, T1, "plan.created")
                   + "; " + insert_sql(3, T2, "plan.created"))
            return False

        fp.wait_for(one_round, 30, 0.5, what="fangpinctl tail to print three live events and exit")
        proc.wait(10)
        out, err = out_s.close(), err_s.close()
        self.assertEqual(proc.returncode, 0, err)
        lines = out.splitlines()
        self.assertEqual(len(lines), 3, out + err)
        self.assertTrue(all(f" {T1} " in l and "plan.created" in l for l in lines), out)
        pos = [int(l.split()[0]) for l in lines]
        self.assertEqual(pos, sorted(set(pos)))

    def test_sse_stream_replays_then_follows(self):
        fp.sql(self.ci, insert_sql(3, T2, "household.identified"))
        self.wait_published()
        # a township's token (as an EventSource sends it: access_token) reads its township only
        town = fp.token(self.ci, "actor:130822112:zhang")
        st, body = fp.http_get(f"{self.svc.http}/events?region=130822100&from=0&access_token={town}")
        self.assertEqual(st, 403)
        self.assertIn("130822112", body)
        st, body = fp.http_get(f"{self.svc.http}/events?region=130822100&from=0")
        self.assertEqual(st, 401)
        admin = fp.token(self.ci, "admin:county-it")
        out = self.sse(admin, "130822100", lambda s: s.wait(lambda t: t.startswith(": fangpin events"),
                                                            what="the stream to open"),
                       lambda: fp.sql(self.ci, insert_sql(2, T2, "plan.created") + "; "
                                      + insert_sql(2, OTHER, "plan.created")))
        ids = [int(l[3:].strip()) for l in out.splitlines() if l.startswith("id:")]
        events = [l[6:].strip() for l in out.splitlines() if l.startswith("event:")]
        want = self.region_positions("130822100")
        self.assertEqual(ids, want)
        self.assertEqual(events[-2:], ["plan.created", "plan.created"])
        self.assertIn('"region":"130822100001"', out)
        st, _ = fp.http_get(f"{self.svc.http}/events?region=13x", token=admin)
        self.assertEqual(st, 400)
        # the township's own stream, through the query parameter: its events (T1), none of the others
        fp.sql(self.ci, insert_sql(2, T1, "plan.created"))
        self.wait_published()
        want = self.region_positions("130822112")
        out = self.sse(None, "130822112", None, None, query=f"&access_token={town}")
        self.assertTrue(out.startswith(": fangpin events"), out)
        ids = [int(l[3:].strip()) for l in out.splitlines() if l.startswith("id:")]
        self.assertGreaterEqual(len(want), 2)
        self.assertEqual(ids, want)

    def region_positions(self, prefix):
        return [int(r[0]) for r in fp.sql(self.ci, f"SELECT position FROM event_positions WHERE region_code LIKE '{prefix}%'"
                                                   " ORDER BY position")]

    def sse(self, token, region, opened, then, query=""):
        """Reads /events?region=..&from=0 with curl: waits for opened(stream), runs then(), and
        returns what was read once every event of the region (at that moment) has arrived."""
        proc = subprocess.Popen(["curl", "-sN"] + (["-H", f"Authorization: Bearer {token}"] if token else [])
                                + [f"{self.svc.http}/events?region={region}&from=0{query}"],
                                stdout=subprocess.PIPE, text=True)
        s = fp.Stream(proc.stdout)
        try:
            if opened:
                opened(s)
            if then:
                then()
            self.wait_published()
            want = {f"id: {p}" for p in self.region_positions(region)}
            s.wait(lambda t: want <= set(t.splitlines()), what=f"every event of {region} on the stream")
        finally:
            proc.terminate()
            proc.wait(10)
        return s.close()


    def test_sse_stream_ends_when_its_token_is_revoked(self):
        tok = fp.token(self.ci, "admin:county-it", "--label", "revoke me")
        tid = fp.sql(self.ci, "SELECT max(id) FROM http_tokens")[0][0]
        proc = subprocess.Popen(["curl", "-sN", "--max-time", "15", "-H", f"Authorization: Bearer {tok}",
                                 f"{self.svc.http}/events?region=130822"], stdout=subprocess.PIPE, text=True)
        s = fp.Stream(proc.stdout)
        s.wait(lambda t: ": keep-alive" in t, what="the stream's first keep-alive (every 300 ms)")
        fp.ctl(["token", "revoke", tid], self.ci)
        proc.wait(20)
        out = s.close()
        self.assertEqual(proc.returncode, 0, out)  # the server ended it (curl's --max-time would be 28)
        self.assertTrue(out.rstrip().endswith(": token revoked or expired"), out[-200:])
        self.assertEqual(fp.http_get(f"{self.svc.http}/events?region=130822", token=tok)[0], 401)

    def test_settings_are_checked(self):
        for env, msg in (({"FANGPIN_REPORTING_HTTP_AUTH": "none"}, "FANGPIN_REPORTING_HTTP_AUTH must be token or proxy"),
                         ({"FANGPIN_REPORTING_DEADLINES_FROM": "2026-13"}, "FANGPIN_REPORTING_DEADLINES_FROM is not a month"),
                         ({"FANGPIN_REPORTING_DEADLINES_FROM": "2026-1"}, "FANGPIN_REPORTING_DEADLINES_FROM is not a month")):
            s = fp.Service("reporting", self.ci, self.keys, env=env, wait_ready=False)
            self.assertEqual(s.proc.wait(20), 1, env)
            self.assertIn(msg, s.log())
            s.stop()


class Ordering(unittest.TestCase):
    def test_late_commit_gets_the_later_position(self):
        ci = fp.county_db("events_order")
        keys = fp.Keys(ci, names=("reporting", "admin"))
        keys.register("admin", "admin:county-it")
        svc, pub = start(ci, keys)
        sub = Sub(svc, pub)
        try:
            # A takes the lower id and commits last; B commits in between.
            a = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", ci], stdin=subprocess.PIPE, text=True,
                                 stdout=subprocess.DEVNULL)
            a.stdin.write("BEGIN;\n" + insert_sql(1, T1, "lead.accepted") + ";\nSELECT pg_sleep(2);\nCOMMIT;\n")
            a.stdin.flush()
            fp.wait_for(lambda: fp.sql(ci, "SELECT last_value FROM events_id_seq")[0][0] == "1" and
                        fp.sql(ci, "SELECT is_called FROM events_id_seq")[0][0] == "t", 10, what="A's insert")
            fp.sql(ci, "BEGIN; " + insert_sql(1, T2, "plan.created") + "; COMMIT")
            a.stdin.close()
            a.wait(10)
            sub.sync(2)  # both published, and nothing after them
            self.assertEqual(sorted(sub.seen), [1, 2])
            self.assertEqual(sub.order, [1, 2])
            self.assertEqual(sub.seen[1][1].type, "plan.created")  # committed first
            self.assertEqual(sub.seen[2][1].type, "lead.accepted")
            self.assertEqual(sub.dups, 0)
            rows = fp.sql(ci, "SELECT e.id, p.position FROM events e LEFT JOIN event_positions p ON p.event_id = e.id"
                              " ORDER BY e.id")
            self.assertEqual(rows, [("1", "2"), ("2", "1")])
        finally:
            sub.close()
            svc.stop()

    def test_relay_killed_mid_stream_neither_loses_nor_repeats(self):
        ci = fp.county_db("events_kill")
        keys = fp.Keys(ci, names=("reporting", "admin"))
        keys.register("admin", "admin:county-it")
        svc, pub = start(ci, keys, extra={"FANGPIN_REPORTING_RELAY_BATCH": "100"})
        sub = Sub(svc, pub)
        writer = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", ci], stdin=subprocess.PIPE,
                                  text=True, stdout=subprocess.DEVNULL)
        writer.stdin.write("".join(insert_sql(50, T1 if i % 2 else T2) + ";\nSELECT pg_sleep(0.01);\n"
                                   for i in range(100)))
        writer.stdin.close()
        try:
            fp.wait_for(lambda: len(sub.seen) >= 500 or sub.pump(0.1), 30, what="events flowing")
            svc.proc.send_signal(signal.SIGKILL)
            svc.proc.wait(10)
            svc.logf.close()
            sub.pump(0.3)
            # as if the relay had died between its commit and its PUB sends: numbered, never marked
            fp.sql(ci, "UPDATE relay_state SET published ="
                       " least(published, (SELECT max(position) - 150 FROM event_positions))")
            svc2 = fp.Service("reporting", ci, keys, env={"FANGPIN_REPORTING_PUB": pub,
                                                          "FANGPIN_REPORTING_HEARTBEAT_MS": "200",
                                                          "FANGPIN_REPORTING_RELAY_BATCH": "100"})
            writer.wait(60)
            fp.wait_for(lambda: fp.sql(ci, UNPUBLISHED)[0][0] == "0",
                        60, what="every event published")
            self.assertEqual(positions(ci), list(range(1, 5001)))
            sub.pump(1.0)
            # events published before the subscriber reconnected: replay the gap (Clone pattern)
            c = svc2.client("admin")
            last = 0
            for p in sorted(sub.seen):
                if p != last + 1:
                    break
                last = p
            evs, head = replay_all(c, "130822", last)
            for e in evs:
                if e.position not in sub.seen:
                    sub.seen[e.position] = ("", e)
            self.assertEqual(sorted(sub.seen), list(range(1, 5001)))
            self.assertEqual(head, 5000)
            c.close()
            svc2.stop()
            self.assertIn("republishing events numbered but not marked published", svc2.log())
        finally:
            sub.close()
            if writer.poll() is None:
                writer.kill()


class Throughput(unittest.TestCase):
    def test_relay_throughput(self):
        ci = fp.county_db("events_speed")
        keys = fp.Keys(ci, names=("reporting", "admin"))
        keys.register("admin", "admin:county-it")
        fp.sql(ci, insert_sql(50000, T1))
        t0 = time.time()
        svc, pub = start(ci, keys)
        try:
            fp.wait_for(lambda: fp.sql(ci, UNPUBLISHED)[0][0] == "0",
                        120, step=0.05, what="50000 events published")
            dt = time.time() - t0
            print(f"relay: 50000 events numbered and published in {dt:.2f}s ({50000 / dt:.0f}/s, incl. start)")
            self.assertEqual(positions(ci)[-1], 50000)
        finally:
            svc.stop()


if __name__ == "__main__":
    fp.main()
