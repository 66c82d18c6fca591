"""Faults under load, and the soak (issue 12): the four real services on a private PostgreSQL,
a mixed load (leads from three departments, cadre operations on cases and plans, two event
subscribers and a report reader) and, for chaos, kill -9 of each service and restarts of
PostgreSQL (fast and immediate) at moments drawn from a seeded RNG. At the end: every
acknowledged lead, case step and plan change stored exactly once, every retried request applied
once, each subscriber holding every event once, in order, with no gap, and no process left
behind.

Used by `make chaos` / `make soak` (tools/chaos/run.sh, the optimised build) and by
tests/integration/test_chaos.py (the sanitizer build, shorter). It runs on the integration
tests' harness, tests/integration/fp.py: leased ports, fp.wait_for, fp.spawn, fp.Follower.

    chaos.py chaos [--seconds S] [--rate LEADS_PER_S] [--seed N]
    chaos.py soak  [--seconds S] [--rate LEADS_PER_S] [--every S]
    chaos.py rolling [--seconds S] [--rate LEADS_PER_S] [--rounds N] [--seed N]

`rolling` is the rolling restart: each service in turn stopped with SIGTERM and started again
(ROLLING), N rounds, under the same load and with the same checks as chaos.
"""
import argparse
import datetime
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid

import fp
from fangpin.v1 import assistance_pb2 as A, common_pb2, intake_pb2, reporting_pb2, screening_pb2

Code = common_pb2.Code
TODAY, PERIOD, LEAD_DAY = "2026-11-24", "2026-11", "2026-11-20"
VA = "130822112201"
DEPTS = (("yibao", "yibao.high_cost", True), ("weijian", "weijian.serious_illness", False),
         ("minzheng", "minzheng.temp_relief", True))
FAULTS = ("kill intake", "kill screening", "kill assistance", "kill reporting", "pg fast", "pg immediate")
# a rolling restart: each service stopped with SIGTERM (it must drain and exit 0) and started
# again, one after another, in this order
ROLLING = ("term intake", "term screening", "term assistance", "term reporting")
HB_MS = 500
CALL_TIMEOUT_MS = 10000   # one attempt; then the same bytes again on a new socket
GIVE_UP_S = 180           # a request still unanswered after this is counted as not acknowledged
LEDGER_HEADER = ("户编号,村代码,户类型,监测类型,户主姓名,姓名,身份证号,与户主关系,性别,出生日期,劳动能力,健康状况,在校情况,"
                 "是否参保,工资性收入(元),公益性岗位收入(元),生产经营性收入(元),财产性收入(元),养老金(元),计划生育金(元),"
                 "生态补偿金(元),低保金(元),特困供养金(元),其他转移性收入(元),生产经营费用支出(元),医疗自付(元),饮水安全,"
                 "住房安全,基本医疗保障,调查期")


def id_number(birth, seq, region="130822"):
    body = f"{region}{birth}{seq:03d}"
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w)) % 11]


def load_id(n):
    """The ID number of the load's lead n: unique per n (birth days from 1950, 1,000 a day)."""
    d = datetime.date(1950, 1, 1) + datetime.timedelta(days=n // 1000)
    return id_number(d.strftime("%Y%m%d"), n % 1000)


def cadre_id(i):
    return id_number("19800101", i)


def cadre_name(i):
    """A name as on an ID card (no digits): a surname and a given name drawn from i."""
    sur, given = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
    return sur[i % len(sur)] + given[i // len(sur) % len(given)] + given[i % len(given)]


def villages():
    import csv
    with open(os.path.join(fp.SOURCE, "tests/fixtures/regions/130822/villages.csv"), encoding="utf-8") as f:
        return [r["code"] for r in csv.DictReader(f)]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.c = {}

    def add(self, key, n=1):
        with self.lock:
            self.c[key] = self.c.get(key, 0) + n

    def get(self, key):
        return self.c.get(key, 0)


class Rig:
    """The cluster, the keys, the four services on fixed (leased) endpoints, restartable."""

    def __init__(self, tag, log=print):
        self.log = log
        self.marker = uuid.uuid4().hex  # in every service's environment: found again if left behind
        self.cluster = fp.PrivateCluster(tag)
        self.postmasters = {self._postmaster()}
        self.ci = fp.fresh_db("chaos", self.cluster.port, self.cluster.dir)
        fp.ctl(["migrate"], self.ci)
        fp.ctl(["regions", "import"] + fp.FIXTURE_130822, self.ci)
        names = fp.SERVICES + ("admin", "va", "yibao", "weijian", "minzheng")
        self.keys = fp.Keys(self.ci, names)
        self.keys.register("admin", "admin:county-it")
        self.keys.register("va", f"actor:{VA}:li", kind="actor", level="village", region=VA)
        for d, _, _ in DEPTS:
            self.keys.register(d, f"dept:130822:{d}", kind="department", level="county", dept=d)
        ep = lambda: f"tcp://127.0.0.1:{fp.free_port()}"
        hp = lambda: f"127.0.0.1:{fp.free_port()}"
        leads_push, ident_push, pub = ep(), ep(), ep()
        common = {"FANGPIN_TODAY": TODAY, "FANGPIN_LOG_LEVEL": "info", "FANGPIN_CHAOS_RUN": self.marker}
        self.env = {
            "intake": dict(common, FANGPIN_INTAKE_ENDPOINT=ep(), FANGPIN_INTAKE_HTTP=hp(),
                           FANGPIN_INTAKE_LEADS_PUSH=leads_push, FANGPIN_INTAKE_MAX_BATCH="3000"),
            "screening": dict(common, FANGPIN_SCREENING_ENDPOINT=ep(), FANGPIN_SCREENING_HTTP=hp(),
                              FANGPIN_SCREENING_LEADS_PULL=leads_push, FANGPIN_SCREENING_IDENTIFIED_PUSH=ident_push,
                              FANGPIN_SCREENING_SCAN_S="2"),
            "assistance": dict(common, FANGPIN_ASSISTANCE_ENDPOINT=ep(), FANGPIN_ASSISTANCE_HTTP=hp(),
                               FANGPIN_ASSISTANCE_IDENTIFIED_PULL=ident_push),
            "reporting": dict(common, FANGPIN_REPORTING_ENDPOINT=ep(), FANGPIN_REPORTING_HTTP=hp(),
                              FANGPIN_REPORTING_PUB=pub, FANGPIN_REPORTING_HEARTBEAT_MS=str(HB_MS)),
        }
        self.endpoint = {n: self.env[n][f"FANGPIN_{n.upper()}_ENDPOINT"] for n in fp.SERVICES}
        self.pub = pub
        self.svc = {}
        self.pids = set()
        self.problems = []  # what a graceful stop got wrong (an exit status other than 0)
        self.lock = threading.Lock()
        for n in fp.SERVICES:
            self.start(n)

    def _postmaster(self):
        with open(os.path.join(fp.pg_cluster(self.cluster.dir), "data", "postmaster.pid")) as f:
            return int(f.readline())

    def start(self, name):
        s = fp.spawn(name, self.ci, self.keys, self.env[name], wait_ready=False)
        with self.lock:
            self.svc[name] = s
            self.pids.add(s.proc.pid)
        s.wait_ready(120)
        return s

    def kill9(self, name):
        s = self.svc[name]
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait(30)
        s.logf.close()
        self.start(name)

    @staticmethod
    def _sigterm(s):
        """SIGTERM and the exit status, or "hung" (then SIGKILL) after 60 s."""
        s.proc.send_signal(signal.SIGTERM)
        try:
            return s.proc.wait(60)
        except subprocess.TimeoutExpired:
            s.proc.kill()
            s.proc.wait()
            return "hung"

    def term(self, name):
        """SIGTERM: the service finishes what it holds and exits 0; then it is started again."""
        s = self.svc[name]
        rc = self._sigterm(s)
        if rc != 0:
            self.problems.append(f"{name} exited {rc} on SIGTERM (rolling restart)")
        s.logf.close()
        self.start(name)

    def restart_pg(self, mode):
        run_as = ["runuser", "-u", "fangpin", "--"] if os.geteuid() == 0 else []
        pgbin = sorted(d for d in os.listdir("/usr/lib/postgresql"))[-1]
        subprocess.run(run_as + [f"/usr/lib/postgresql/{pgbin}/bin/pg_ctl", "-D",
                                 os.path.join(fp.pg_cluster(self.cluster.dir), "data"), "-m", mode, "-w", "-t", "120",
                                 "stop"], check=True, capture_output=True)
        self.cluster.start()
        self.postmasters.add(self._postmaster())
        for n in fp.SERVICES:  # every service reconnects by itself and is ready again
            fp.wait_for(lambda: fp.http_get(self.svc[n].http + "/readyz")[0] == 200, 120,
                        what=f"{n} ready after the PostgreSQL restart ({mode})")

    def inject(self, fault):
        if fault.startswith("kill "):
            self.kill9(fault[5:])
        elif fault.startswith("term "):
            self.term(fault[5:])
        else:
            self.restart_pg(fault[3:])

    def cert(self, name):
        return self.keys.path(name)

    def secret(self, name):
        return self.keys.path(name, secret=True)

    def stop(self):
        """SIGTERM to every service (each must exit 0), then PostgreSQL; returns the problems."""
        bad = list(self.problems)
        for n, s in self.svc.items():
            if s.proc.poll() is None:
                rc = self._sigterm(s)
                if rc != 0:
                    bad.append(f"{n} exited {rc} on SIGTERM")
            if not s.logf.closed:
                s.logf.close()
        self.cluster.stop()
        return bad

    def left_behind(self):
        """Processes of this run still alive: a service pid, a postmaster or its children, or
        anything carrying this run's marker in its environment."""
        out = []
        mine = self.pids | self.postmasters
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            pid = int(d)
            try:
                with open(f"/proc/{pid}/stat") as f:
                    rest = f.read().rsplit(")", 1)[1].split()
                if rest[0] == "Z":
                    continue
                ppid = int(rest[1])
                env = b""
                try:
                    with open(f"/proc/{pid}/environ", "rb") as f:
                        env = f.read()
                except OSError:
                    pass
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            except (OSError, IndexError):
                continue
            if pid in mine or ppid in self.postmasters or self.marker.encode() in env:
                out.append(f"{pid} {cmd}")
        return out


class Caller:
    """The Lazy Pirate client (docs/protocol.md) of one worker thread, on a ZeroMQ context of its
    own: one DEALER per service, kept while it answers; no answer within CALL_TIMEOUT_MS and it is
    closed and the same bytes (the same request id, batch id) go again on a new one; UNAVAILABLE
    is retried after a pause; a late reply to an earlier request is recognised by its request id
    and dropped."""

    def __init__(self, rig, key, stats):
        import zmq
        self.rig, self.key, self.stats = rig, key, stats
        self.ctx = zmq.Context()
        self.socks = {}

    def _sock(self, service):
        c = self.socks.get(service)
        if c is None:
            c = self.socks[service] = fp.Client(self.rig.endpoint[service], self.rig.cert(service),
                                                self.rig.secret(self.key), ctx=self.ctx)
        return c

    def _drop(self, service):
        c = self.socks.pop(service, None)
        if c is not None:
            c.close()

    def call(self, service, req, reply_type, kind):
        """Returns (reply or None after GIVE_UP_S, attempts)."""
        data = req.SerializeToString()
        end = time.time() + GIVE_UP_S
        attempts = 0
        while time.time() < end:
            attempts += 1
            c = self._sock(service)
            c.send_frames([data])
            r = None
            deadline = time.time() + CALL_TIMEOUT_MS / 1000
            while r is None:
                frames = c.recv(max(1, int((deadline - time.time()) * 1000)))
                if frames is None:
                    break
                got = reply_type()
                got.ParseFromString(frames[-1])
                if got.request_id == req.request_id:
                    r = got
            if r is None:
                self.stats.add(f"{kind} timeouts")
                self._drop(service)
                continue
            if r.status.code == Code.UNAVAILABLE:
                self.stats.add(f"{kind} unavailable")
                time.sleep(0.2)  # the client's back-off before the retry, as a department's program pauses
                continue
            if attempts > 1:
                self.stats.add(f"{kind} retried")
            return r, attempts
        self.stats.add(f"{kind} given up")
        return None, attempts

    def close(self):
        for s in list(self.socks):
            self._drop(s)
        self.ctx.term()


class Follower(fp.Follower):
    """fp.Follower with no receive high-water mark on its SUB socket: under this load the socket
    queue fills while the subscriber parses, and libzmq 4.3's engine, stopped at the mark and
    restarted while ZMTP heartbeats run, can abort the driver (libzmq issue #3937). An unbounded
    queue never stops the engine; PUB-side drops are still healed by Replay."""

    RCVHWM = 0


class Load:
    """The mixed load: leads from three departments at `rate` leads/s in batches, a cadre working
    cases and plans, two event subscribers, a report reader. Records every acknowledgement."""

    def __init__(self, rig, rate, seed, batch=100, log=print):
        self.rig, self.rate, self.batch, self.log = rig, rate, batch, log
        self.rng = random.Random(seed + 1)
        self.stats = Stats()
        self.stop_ev = threading.Event()
        self.villages = villages()
        self.acked_batches = {}   # batch_id -> sorted lead ids of the acknowledged reply
        self.resent = {}          # batch_id -> (accepted, ids) of a deliberate second send
        self.unacked_batches = []
        self.case_acks = []       # (case_id, event, request_id)
        self.plan_acks = []       # (plan_id, event, request_id)
        self.measure_titles = []  # titles of acknowledged AddMeasure: one measure each
        self.retried_ids = []     # request ids that went more than once (a retry or a resend)
        self.lock = threading.Lock()
        self.threads = []
        self.followers = []

    # --- setup: households with cases, lifted households for plans --------------------------

    def setup(self, cases=40, lifted=40):
        lines = []
        for i in range(1, cases + lifted + 1):
            hh = f"{VA}{i:05d}"
            kind = "一般户" if i <= cases else "脱贫户"
            lines.append(",".join([hh, VA, kind, "", cadre_name(i), cadre_name(i), cadre_id(i), "户主", "", "", "普通劳动力",
                                   "健康", "非在校生", "是", "9000", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0",
                                   "0", "是", "是", "是", "2026Q3"]))
        d = os.path.join(fp.VAR, f"ledger-{self.rig.marker[:8]}")
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "130822-2026Q3.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write(LEDGER_HEADER + "\n" + "\n".join(lines) + "\n")
        fp.ctl(["ledger", "import", path], self.rig.ci)
        req = intake_pb2.IntakeRequest(request_id="setup")
        req.submit_leads.batch_id = "setup-cases"
        req.submit_leads.period = PERIOD
        for i in range(1, cases + 1):
            l = req.submit_leads.leads.add(id_number=cadre_id(i), name=cadre_name(i), village_code=VA,
                                           kind="yibao.high_cost", occurred_on=LEAD_DAY, detail="住院自付",
                                           line_ref=f"c{i}")
            l.amount_fen, l.has_amount = 500000, True
        cl = Caller(self.rig, "yibao", self.stats)
        r, _ = cl.call("intake", req, intake_pb2.IntakeReply, "setup")
        cl.close()
        if r is None or r.status.code != Code.OK or r.batch.accepted != cases:
            raise AssertionError(f"setup batch: {r and r.status.message} {r and [x.reason for x in r.results][:3]}")
        q = f"SELECT id FROM cases WHERE household_no LIKE '{VA}%' ORDER BY id"
        fp.wait_for(lambda: len(fp.sql(self.rig.ci, q)) == cases, 120, what=f"{cases} cases opened by screening")
        self.case_ids = [int(x[0]) for x in fp.sql(self.rig.ci, q)]
        self.lifted = [f"{VA}{i:05d}" for i in range(cases + 1, cases + lifted + 1)]

    # --- the workers ------------------------------------------------------------------------

    def start(self):
        for k, (dept, kind, amount) in enumerate(DEPTS):
            self._thread(self._leads, dept, kind, amount, k)
        self._thread(self._cadre)
        self._thread(self._reports)
        for prefix in ("130822", "130822"):  # two dashboards of the county, each on its own socket
            f = Follower(self.rig.pub, self.rig.endpoint["reporting"], self.rig.cert("reporting"),
                            self.rig.secret("admin"), prefix=prefix, heartbeat_ms=HB_MS, timeout_ms=5000)
            self.followers.append(f)
            self._thread(self._follow, f)

    def _thread(self, fn, *args):
        t = threading.Thread(target=fn, args=args, daemon=True)
        t.start()
        self.threads.append(t)

    def stop(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join(GIVE_UP_S + 60)

    def _leads(self, dept, kind, amount, k):
        per_s = self.rate / len(DEPTS)
        cl = Caller(self.rig, dept, self.stats)
        n = 0
        t0 = time.time()
        b = 0
        while not self.stop_ev.is_set():
            req = intake_pb2.IntakeRequest(request_id=f"{dept}-r{b}")
            bid = f"{dept}-{b}"
            req.submit_leads.batch_id = bid
            req.submit_leads.period = PERIOD
            for _ in range(self.batch):
                seq = n * len(DEPTS) + k
                l = req.submit_leads.leads.add(id_number=load_id(seq), name="张三",
                                               village_code=self.villages[seq % len(self.villages)], kind=kind,
                                               occurred_on=LEAD_DAY, detail="负载", line_ref=str(seq))
                if amount:
                    l.amount_fen, l.has_amount = 100000 + seq, True
                n += 1
            r, attempts = cl.call("intake", req, intake_pb2.IntakeReply, "lead batches")
            if r is None or r.status.code not in (Code.OK, Code.PARTIAL):
                with self.lock:
                    self.unacked_batches.append((bid, None if r is None else r.status.code))
            else:
                ids = sorted(x.id for x in r.results if x.code == Code.OK)
                with self.lock:
                    self.acked_batches[bid] = ids
                    if attempts > 1:
                        self.retried_ids.append(bid)
                self.stats.add("lead batches acknowledged")
                self.stats.add("leads acknowledged", len(ids))
                if b % 20 == 7:  # a client that resends an answered batch: answered again, stored once
                    r2, _ = cl.call("intake", req, intake_pb2.IntakeReply, "resends")
                    if r2 is not None:
                        with self.lock:
                            self.resent[bid] = (r2.batch.replayed, sorted(x.id for x in r2.results if x.code == Code.OK))
                            self.retried_ids.append(bid)
            b += 1
            # paced at the rate; behind it (a fault), the next batch goes at once
            wait = t0 + n / per_s - time.time()
            if wait > 0:
                self.stop_ev.wait(wait)
        cl.close()

    def _ask(self, service, req, reply_type, kind, resend):
        r, attempts = self.cadre.call(service, req, reply_type, kind)
        if r is None or r.status.code != Code.OK:
            self.stats.add(f"{kind} not acknowledged")
            return None
        if attempts > 1 or resend:
            with self.lock:
                self.retried_ids.append(req.request_id)
        if resend:  # the same request id again: the same answer, applied once
            r2, _ = self.cadre.call(service, req, reply_type, "resends")
            if r2 is None or r2.status.code != Code.OK:
                self.stats.add(f"{kind} resend refused")
        self.stats.add(f"{kind} acknowledged")
        return r

    def _cadre(self):
        """Case steps (visit, then notice) on every case, plan changes (open a consolidation plan,
        add a measure, start it) on every lifted household, then more measures until stopped."""
        self.cadre = Caller(self.rig, "va", self.stats)
        try:
            self._cadre_ops()
        finally:
            self.cadre.close()

    def _cadre_ops(self):
        ops = []
        for cid in self.case_ids:
            ops.append(("case", cid, "visit"))
            ops.append(("case", cid, "notice"))
        for hh in self.lifted:
            ops.append(("plan", hh, "open"))
        self.rng.shuffle(ops)  # one order across cases, the visit before the notice of each case
        seen = set()
        ordered = []
        for op in ops:
            if op[0] == "case" and op[2] == "notice" and op[1] not in seen:
                continue
            seen.add(op[1])
            ordered.append(op)
        ordered += [op for op in ops if op not in ordered]
        plans = []
        k = 0
        while not self.stop_ev.is_set():
            k += 1
            rid = f"cadre-{k}"
            resend = k % 5 == 0
            if ordered:
                what, target, step = ordered.pop(0)
            elif plans:
                what, target, step = "measure", plans[k % len(plans)], "add"
            else:
                return
            if what == "case":
                op = ({"record_visit": screening_pb2.RecordVisit(case_id=target, consent_given=True,
                                                                  findings=screening_pb2.VisitFindings(text="属实"))}
                      if step == "visit" else {"post_notice": screening_pb2.PostNotice(case_id=target)})
                r = self._ask("screening", screening_pb2.ScreeningRequest(request_id=rid, **op),
                              screening_pb2.ScreeningReply, "case steps", resend)
                if r is not None:
                    with self.lock:
                        self.case_acks.append((target, step, rid))
            elif what == "plan":
                r = self._ask("assistance", A.AssistanceRequest(request_id=rid, open_consolidation_plan=A.OpenConsolidationPlan(
                    county_code="130822", household_no=target, year=2026)), A.AssistanceReply, "plan changes", resend)
                if r is not None:
                    plans.append(r.plan_summary.plan_id)
                    with self.lock:
                        self.plan_acks.append((r.plan_summary.plan_id, "plan.opened", rid))
            else:
                title = f"措施{rid}"
                r = self._ask("assistance", A.AssistanceRequest(request_id=rid, add_measure=A.AddMeasure(
                    plan_id=target, category="health", title=title, responsible_unit="县医保局", start_on=TODAY)),
                    A.AssistanceReply, "plan changes", resend)
                if r is not None:
                    with self.lock:
                        self.plan_acks.append((target, "measure.added", rid))
                        self.measure_titles.append(title)
                    rid2 = rid + "-s"
                    r2 = self._ask("assistance", A.AssistanceRequest(request_id=rid2, set_measure_status=A.SetMeasureStatus(
                        measure_id=r.measure.measure_id, status="in_progress")), A.AssistanceReply, "plan changes",
                        k % 7 == 0)
                    if r2 is not None:
                        with self.lock:
                            self.plan_acks.append((target, "measure.in_progress", rid2))
            self.stop_ev.wait(0.05)  # a cadre's pace: about twenty operations a second at most

    def _reports(self):
        cl = Caller(self.rig, "admin", self.stats)
        k = 0
        while not self.stop_ev.is_set():
            k += 1
            req = reporting_pb2.ReportingRequest(request_id=f"report-{k}")
            req.get_report.report = "lead_verification_monthly"
            req.get_report.region_prefix = "130822"
            req.get_report.period = PERIOD
            r, _ = cl.call("reporting", req, reporting_pb2.ReportingReply, "reports")
            self.stats.add("reports read" if r is not None and r.status.code == Code.OK else "reports refused")
            self.stop_ev.wait(1.0)
        cl.close()

    def _follow(self, f):
        while not self.stop_ev.is_set():
            f.step(50)


def drain_and_check(rig, load, stats, log=print):
    """After the load: every acknowledgement stored exactly once, every retried request applied
    once, each subscriber gap-free and in order. Returns (figures, failures)."""
    ci = rig.ci
    fails = []
    fig = {}
    # leads: the acknowledged ids of each batch are the rows of that batch, each once, each with
    # its one lead.accepted event
    rows = fp.sql(ci, "SELECT batch_id, id FROM leads WHERE batch_id <> 'setup-cases'")
    stored = {}
    for bid, lid in rows:
        stored.setdefault(bid, []).append(int(lid))
    ev = dict(fp.sql(ci, "SELECT payload->>'batch_id', count(*) FROM events WHERE type = 'lead.accepted'"
                         " GROUP BY 1"))
    for bid, ids in load.acked_batches.items():
        got = sorted(stored.get(bid, []))
        if got != ids:
            fails.append(f"batch {bid}: acknowledged {len(ids)} leads, stored {len(got)} (differ)")
        if int(ev.get(bid, 0)) != len(ids):
            fails.append(f"batch {bid}: {len(ids)} leads, {ev.get(bid, 0)} lead.accepted events")
    for bid, (replayed, ids) in load.resent.items():
        if not replayed or ids != load.acked_batches.get(bid):
            fails.append(f"batch {bid}: the resend was not answered as the first send (replayed={replayed})")
    n_leads = sum(len(v) for v in load.acked_batches.values())
    fig["leads acknowledged"] = n_leads
    fig["leads stored"] = len(rows)
    fig["lead batches acknowledged"] = len(load.acked_batches)
    fig["lead batches not acknowledged"] = len(load.unacked_batches)
    for bid, code in load.unacked_batches:  # never answered: stored whole or not at all
        got = len(stored.get(bid, []))
        if got not in (0, load.batch):
            fails.append(f"batch {bid} (not acknowledged, {code}): {got} leads stored, half a batch")
    # case steps: one history row per acknowledged request id, one visit and one notice per case
    hist = fp.sql(ci, "SELECT case_id, event, request_id FROM case_history WHERE request_id LIKE 'cadre-%'")
    by_rid = {}
    for cid, event, rid in hist:
        by_rid.setdefault(rid, []).append((int(cid), event))
    for cid, step, rid in load.case_acks:
        if len(by_rid.get(rid, [])) != 1 or by_rid[rid][0][0] != cid:
            fails.append(f"case step {rid} on case {cid}: {by_rid.get(rid, [])} in case_history")
    per_case = {}
    for cid, event, _ in hist:
        per_case[(int(cid), event)] = per_case.get((int(cid), event), 0) + 1
    for key, cnt in per_case.items():
        if cnt != 1:
            fails.append(f"case {key[0]}: {cnt} '{key[1]}' rows")
    fig["case steps acknowledged"] = len(load.case_acks)
    fig["case steps stored"] = len(hist)
    # plan changes: one plan_history row per acknowledged request id; one measure per title
    ph = fp.sql(ci, "SELECT plan_id, event, request_id FROM plan_history WHERE request_id LIKE 'cadre-%'")
    by_rid = {}
    for pid, event, rid in ph:
        by_rid.setdefault(rid, []).append((int(pid), event))
    for pid, event, rid in load.plan_acks:
        if by_rid.get(rid) != [(pid, event)]:
            fails.append(f"plan change {rid} ({event} on plan {pid}): {by_rid.get(rid, [])} in plan_history")
    titles = dict(fp.sql(ci, "SELECT title, count(*) FROM measures WHERE title LIKE '措施cadre-%' GROUP BY 1"))
    for t in load.measure_titles:
        if titles.get(t) != "1":
            fails.append(f"measure {t}: {titles.get(t, 0)} rows")
    fig["plan changes acknowledged"] = len(load.plan_acks)
    fig["plan changes stored"] = len(ph)
    fig["requests retried or resent"] = len(load.retried_ids)
    # events: all published, then each subscriber has 1..head, once each, in order
    fp.wait_for(lambda: fp.sql(ci, "SELECT (SELECT count(*) FROM events_pending) + (SELECT count(*) FROM event_positions"
                                   " WHERE position > (SELECT published FROM relay_state))")[0][0] == "0",
                120, what="every event published")
    head = int(fp.sql(ci, "SELECT coalesce(max(position), 0) FROM event_positions")[0][0])
    count = int(fp.sql(ci, "SELECT count(*) FROM events")[0][0])
    if head != count:
        fails.append(f"events: {count} rows, positions up to {head}")
    fig["events"] = head

    def caught_up():
        for f in load.followers:
            f.step(50)
        return all(f.last >= head for f in load.followers)
    fp.wait_for(caught_up, 120, step=0, what=f"both subscribers at position {head}")
    for i, f in enumerate(load.followers):
        if f.handled != list(range(1, head + 1)):
            dup = len(f.handled) - len(set(f.handled))
            fails.append(f"subscriber {i + 1}: {len(f.handled)} events handled of {head}, {dup} twice, "
                         f"in order: {f.handled == sorted(f.handled)}")
        fig[f"subscriber {i + 1} live/replayed/reopened"] = f"{len(f.live)}/{f.replayed}/{f.reopened}"
        f.close()
    return fig, fails


def run_chaos(seconds, rate, seed, rounds=None, gap=(5.0, 20.0), tag="chaos", log=print, faults=FAULTS,
              shuffle=True):
    """The chaos run: faults in rounds (each round every fault of `faults` once, in an order
    drawn from the seeded RNG, or in the given order with shuffle=False, and at moments drawn from
    it) until `seconds` have passed, or exactly `rounds` rounds (the load then runs until both are
    done). Returns (figures, faults injected, failures)."""
    rng = random.Random(seed)
    log(f"chaos: seed {seed}, {seconds} s, {rate} leads/s")
    rig = Rig(tag, log)
    failures = []
    injected = []
    try:
        load = Load(rig, rate, seed, log=log)
        load.setup()
        load.start()
        t0 = time.time()
        stop = threading.Event()
        pending = []
        while not stop.is_set():
            if not pending:
                pending = list(faults)[::-1]  # popped from the end: the given order
                if shuffle:
                    rng.shuffle(pending)
            wait = rng.uniform(*gap)
            if rounds is not None and len(injected) >= rounds * len(faults):
                break
            if rounds is None and time.time() + wait - t0 > seconds:
                break
            stop.wait(wait)  # the moment of the next fault: drawn from the seeded RNG
            fault = pending.pop()
            t = time.time() - t0
            rig.inject(fault)
            injected.append((round(t, 1), fault, round(time.time() - t0 - t, 1)))
            log(f"  {t:7.1f} s  {fault:16s} recovered in {injected[-1][2]:.1f} s")
        left = t0 + seconds - time.time()
        if left > 0:
            stop.wait(left)
        load.stop()
        fig, fails = drain_and_check(rig, load, load.stats, log)
        failures += fails
        for k in sorted(load.stats.c):
            fig.setdefault(k, load.stats.c[k])
    finally:
        failures += rig.stop()
    behind = rig.left_behind()
    if behind:
        failures.append("left behind: " + "; ".join(behind))
    fig["faults injected"] = len(injected)
    fig["processes left behind"] = len(behind or [])
    return fig, injected, failures


def table(rows, head):
    w = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    line = lambda r: "  ".join(str(c).rjust(w[i]) if i else str(c).ljust(w[i]) for i, c in enumerate(r))
    return "\n".join([line(head), line(["-" * x for x in w])] + [line(r) for r in rows])


def print_chaos(fig, injected, failures, seed):
    print("\nfaults (seconds into the load, fault, seconds until every service was ready again):")
    print(table([[f"{t:.1f}", f, f"{r:.1f}"] for t, f, r in injected], ["at s", "fault", "recovered s"]))
    print("\nfigures:")
    print(table([[k, v] for k, v in fig.items()], ["what", "count"]))
    print(f"\nseed {seed}: " + ("PASS: nothing lost, nothing twice, no gap, nothing left behind" if not failures
                              else f"FAIL ({len(failures)}):\n  " + "\n  ".join(failures[:50])))


# --- the soak ------------------------------------------------------------------------------

def tcp_conns(pid, port):
    """Established TCP connections of process pid to local port `port` (PostgreSQL)."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                t = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if t.startswith("socket:["):
                inodes.add(t[8:-1])
    except OSError:
        return 0
    n = 0
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    p = line.split()
                    if p[3] == "01" and int(p[2].rsplit(":", 1)[1], 16) == port and p[9] in inodes:
                        n += 1
        except OSError:
            pass
    return n


def sample(rig):
    row = {}
    for n, s in rig.svc.items():
        pid = s.proc.pid
        row[f"{n[:5]} rss MiB"] = round(fp.proc_status_kib(pid, "VmRSS") / 1024, 1)
        row[f"{n[:5]} fds"] = len(os.listdir(f"/proc/{pid}/fd"))
        row[f"{n[:5]} db"] = tcp_conns(pid, rig.cluster.port)
    row["pg fangpin"] = int(fp.sql(rig.cluster.conninfo(), "SELECT count(*) FROM pg_stat_activity"
                                                         " WHERE application_name = 'fangpin'")[0][0])
    return row


def run_soak(seconds, rate, every=10.0, tag="soak", log=print):
    log(f"soak: {seconds} s at {rate} leads/s, sampled every {every:g} s")
    rig = Rig(tag, log)
    rows = []
    fails = []
    try:
        load = Load(rig, rate, 0, log=log)
        load.setup()
        load.start()
        t0 = time.time()
        stop = threading.Event()
        head = None
        k = 0
        fmt = lambda vals: "  ".join(str(v).rjust(max(len(h), 7)) for h, v in zip(head, vals))
        while True:
            row = {"t s": round(time.time() - t0)}
            row.update(sample(rig))
            row["leads"] = load.stats.get("leads acknowledged")
            rows.append(row)
            if head is None:
                head = list(row)
                print(fmt(head), flush=True)
            print(fmt([row[h] for h in head]), flush=True)
            k += 1
            if k * every > seconds + 0.001:
                break
            stop.wait(max(0.0, t0 + k * every - time.time()))  # the sampling clock
        load.stop()
        fig, fails = drain_and_check(rig, load, load.stats, log)
    finally:
        fails += rig.stop()
    # growth over the last 20 minutes, or the last two thirds of a shorter run: the mean of the
    # window's first six samples (a minute) against the mean of its last six, so that one
    # sample's jitter (a scan's extra connection, a burst of buffers) is not read as growth
    window = 1200 if seconds >= 1800 else seconds * 2 / 3
    win = [r for r in rows if r["t s"] >= rows[-1]["t s"] - window]
    m = max(1, min(6, len(win) // 3))
    start, end = win[:m], win[-m:]
    mean = lambda rs, key: sum(r[key] for r in rs) / len(rs)
    verdict = []
    for key in head:
        if key in ("t s", "leads"):
            continue
        a, b = mean(start, key), mean(end, key)
        growth = (b - a) / a * 100 if a else (0.0 if b == a else float("inf"))
        verdict.append([key, round(a, 1), round(b, 1), f"{growth:+.1f}%", "ok" if growth < 10 else "GROWS"])
    print(f"\ngrowth, mean of t={start[0]['t s']}..{start[-1]['t s']} s against t={end[0]['t s']}..{end[-1]['t s']} s:")
    print(table(verdict, ["series", "from", "to", "growth", "verdict"]))
    grows = [v[0] for v in verdict if v[4] != "ok"]
    behind = rig.left_behind()
    if behind:
        fails.append("left behind: " + "; ".join(behind))
    print("\nfirst row: " + ", ".join(f"{h}={rows[0][h]}" for h in head))
    print("last row:  " + ", ".join(f"{h}={rows[-1][h]}" for h in head))
    ok = not grows and not fails
    print("\nsoak: " + ("PASS: growth under 10% on every series; nothing lost" if ok else
                        "FAIL: " + "; ".join([f"{g} grows 10% or more" for g in grows] + fails[:20])))
    return ok


def main():
    import faulthandler
    faulthandler.register(signal.SIGUSR1)  # kill -USR1 PID: every thread's stack on stderr
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("chaos", "soak", "rolling"))
    ap.add_argument("--seconds", type=float, default=None)
    ap.add_argument("--rate", type=float, default=1000)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--every", type=float, default=10.0)
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    if a.mode in ("chaos", "rolling"):
        seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1, 2 ** 31)
        if a.mode == "chaos":
            fig, injected, failures = run_chaos(a.seconds or 300, a.rate, seed)
        else:
            fig, injected, failures = run_chaos(a.seconds or 60, a.rate, seed, rounds=a.rounds, gap=(3.0, 8.0),
                                                tag="rolling", faults=ROLLING, shuffle=False)
        print_chaos(fig, injected, failures, seed)
        sys.exit(1 if failures else 0)
    sys.exit(0 if run_soak(a.seconds or 1800, a.rate, a.every) else 1)


if __name__ == "__main__":
    main()
