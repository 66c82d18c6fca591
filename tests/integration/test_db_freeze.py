"""A database that stops answering (issue 11): PostgreSQL is frozen under load (SIGSTOP on the
postmaster and every server process of a private cluster), which no TCP keepalive can see, since
the server's kernel still answers them. The intake service's watchdog (common/db.c) drops a
connection whose statement has heard nothing for FANGPIN_DB_STATEMENT_TIMEOUT_MS + 2000 ms, and a
connection attempt that has not finished within connect_timeout. So within 15 s /readyz answers
503 and every request is answered UNAVAILABLE instead of hanging. After SIGCONT the service
recovers by itself, and the batches sent again with the same request and batch ids are each
stored exactly once: a transaction cut by the watchdog was rolled back by the server, or was
committed and is answered from its stored result."""
import datetime
import os
import signal
import threading
import time
import unittest

import fp
from fangpin.v1 import common_pb2, intake_pb2
from test_intake import V1, id_number

Code = common_pb2.Code
TODAY = "2026-11-24"
STATEMENT_TIMEOUT_MS = 3000  # the watchdog then drops a silent statement after 5 s
LEADS = 100                  # per batch
FROZEN_WITHIN_S = 15         # the bound: /readyz 503 and requests answered, from the SIGSTOP


def batch_leads(b):
    """LEADS leads nobody else sends: ID numbers unique to batch b (its own birth date)."""
    birth = (datetime.date(1950, 1, 1) + datetime.timedelta(days=b)).strftime("%Y%m%d")
    out = []
    for k in range(1, LEADS + 1):
        out.append(intake_pb2.Lead(id_number=id_number(birth=birth, seq=k), name="张三", village_code=V1,
                                   kind="yibao.high_cost", occurred_on="2026-10-15", amount_fen=1234500,
                                   has_amount=True, detail="住院自付", line_ref=f"L{k}"))
    return out


def submit_req(b):
    req = intake_pb2.IntakeRequest(request_id=f"rq-freeze-{b}")
    req.submit_leads.batch_id = f"freeze-{b}"
    req.submit_leads.period = "2026-10"
    req.submit_leads.leads.extend(batch_leads(b))
    return req


def server_pids(pgdir):
    """The postmaster of the cluster in pgdir and its children (backends, checkpointer...)."""
    with open(os.path.join(fp.pg_cluster(pgdir), "data", "postmaster.pid")) as f:
        postmaster = int(f.readline())
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if ppid == postmaster:
            kids.append(int(d))
    return postmaster, kids


def freeze(pgdir):
    """SIGSTOP the postmaster first (it forks no new backend after), then every child."""
    postmaster, _ = server_pids(pgdir)
    os.kill(postmaster, signal.SIGSTOP)
    for pid in server_pids(pgdir)[1]:
        os.kill(pid, signal.SIGSTOP)


def thaw(pgdir):
    postmaster, kids = server_pids(pgdir)
    for pid in kids:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    os.kill(postmaster, signal.SIGCONT)


class Loader:
    """One department program sending batches one after another on its own DEALER, each waiting
    for its answer (30 s at most: no answer is recorded as None, a hang), until an answer is not
    OK or it is stopped."""

    def __init__(self, svc, first, stop):
        self.svc, self.next, self.stop = svc, first, stop
        self.sent = []      # batch numbers, in order
        self.codes = []     # the answer's code for each, None when none came
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        c = self.svc.client("yibao")
        try:
            while not self.stop.is_set():
                b = self.next
                self.next += 1
                self.sent.append(b)
                r = c.call(submit_req(b), intake_pb2.IntakeReply, timeout_ms=30000)
                self.codes.append(r.status.code if r is not None else None)
                if r is None or r.status.code != Code.OK:
                    return
        finally:
            c.close()

    def oks(self):
        return sum(1 for c in list(self.codes) if c == Code.OK)

    def done(self):
        return not self.t.is_alive()


class DbFreeze(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = fp.PrivateCluster("dbfreeze")
        cls.ci = fp.fresh_db("fangpin", cls.pg.port, cls.pg.dir)
        fp.ctl(["migrate"], cls.ci)
        fp.ctl(["regions", "import"] + fp.FIXTURE_130822, cls.ci)
        cls.keys = fp.Keys(cls.ci, names=("intake", "admin", "yibao"))
        cls.keys.register("admin", "admin:county-it")
        cls.keys.register("yibao", "dept:130822:yibao", kind="department", level="county", dept="yibao")

    @classmethod
    def tearDownClass(cls):
        cls.pg.stop()

    def test_frozen_database_is_unavailable_then_recovers_without_half_writes(self):
        svc = fp.Service("intake", self.ci, self.keys, env={
            "FANGPIN_TODAY": TODAY, "FANGPIN_INTAKE_DEADLINE_SCAN_MS": "0", "FANGPIN_INTAKE_DB_CONNECTIONS": "3",
            "FANGPIN_DB_STATEMENT_TIMEOUT_MS": str(STATEMENT_TIMEOUT_MS)})
        stop = threading.Event()
        loaders = [Loader(svc, 1000 * (i + 1), stop) for i in range(2)]
        frozen = False
        try:
            fp.wait_for(lambda: all(l.oks() >= 2 or l.done() for l in loaders), 60, what="batches stored under load")
            self.assertTrue(all(not l.done() for l in loaders), [l.codes for l in loaders])
            freeze(self.pg.dir)
            frozen = True
            t0 = time.time()
            left = lambda: max(0.1, t0 + FROZEN_WITHIN_S - time.time())  # noqa: E731
            fp.wait_for(lambda: fp.http_get(svc.http + "/readyz", timeout=2)[0] == 503, left(),
                        what="/readyz 503 with the database frozen")
            t_503 = time.time() - t0
            fp.wait_for(lambda: all(l.done() for l in loaders), left(),
                        what="every batch in flight answered with the database frozen")
            t_answered = time.time() - t0
            for l in loaders:  # OK until the freeze, then UNAVAILABLE: never no answer
                self.assertEqual(l.codes[-1], Code.UNAVAILABLE, l.codes)
                self.assertTrue(all(c == Code.OK for c in l.codes[:-1]), l.codes)
            c = svc.client("yibao")
            try:
                r = c.call(submit_req(1), intake_pb2.IntakeReply, timeout_ms=int(left() * 1000))
            finally:
                c.close()
            self.assertIsNotNone(r, "a new batch got no answer with the database frozen")
            self.assertEqual(r.status.code, Code.UNAVAILABLE, r.status.message)
            self.assertIsNone(svc.proc.poll())
            thaw(self.pg.dir)
            frozen = False
            t1 = time.time()
            fp.wait_for(lambda: fp.http_get(svc.http + "/readyz", timeout=2)[0] == 200, 60, what="ready again")
            t_ready = time.time() - t1
        finally:
            stop.set()
            if frozen:
                thaw(self.pg.dir)
        for l in loaders:
            l.t.join(60)
        self.assertGreaterEqual(svc.metric("fangpin_db_unanswered_total"), 1)
        self.assertIn("did not answer a statement", svc.log())

        # every batch again, same request and batch ids: each stored exactly once
        batches = [1] + [b for l in loaders for b in l.sent]
        for b in batches:
            r, _, codes = fp.lazy_call(svc.endpoint, self.keys.path("intake"), self.keys.path("yibao", secret=True),
                                       submit_req(b), intake_pb2.IntakeReply, timeout_ms=20000, retries=10)
            self.assertIsNotNone(r, f"batch {b}: no answer after the thaw ({codes})")
            self.assertEqual((r.request_id, r.status.code), (f"rq-freeze-{b}", Code.OK), r.status.message)
            self.assertEqual((r.batch.accepted, r.batch.duplicates, r.batch.rejected), (LEADS, 0, 0))
        stored = fp.sql(self.ci, "SELECT b.batch_id, b.accepted, (SELECT count(*) FROM leads l WHERE l.sender ="
                                 " b.sender AND l.batch_id = b.batch_id) FROM lead_batches b"
                                 " WHERE b.batch_id LIKE 'freeze-%' ORDER BY 1")
        self.assertEqual(stored, sorted((f"freeze-{b}", str(LEADS), str(LEADS)) for b in batches))
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM leads WHERE batch_id LIKE 'freeze-%'"),
                         [(str(LEADS * len(batches)),)])
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM events WHERE type = 'lead.accepted'"),
                         [(str(LEADS * len(batches)),)])
        # no session of the frozen time is left holding a transaction open
        fp.wait_for(lambda: fp.sql(self.ci, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                            " AND state LIKE 'idle in transaction%'") == [("0",)],
                    30, what="no transaction left open")
        print(f"database frozen: /readyz 503 after {t_503:.1f}s, every batch in flight answered UNAVAILABLE after"
              f" {t_answered:.1f}s; thawed: ready again after {t_ready:.1f}s; {len(batches)} batches of {LEADS}"
              f" leads, each stored once")
        self.assertEqual(svc.stop(), 0)


if __name__ == "__main__":
    fp.main()
