#!/usr/bin/env python3
"""bench/federation/run.py BUILD: replication lag at a prefecture (issue 16, docs/federation.md).

Three county clusters (wal_level=logical) and one prefecture cluster, each its own PostgreSQL on
a leased port (fsync off, as the tests run them), set up as tests/integration/test_federation.py
does (`fangpinctl federation publish` / `add-county`). Each county runs its own intake (the
optimised build of BUILD, logs at warn), and a client per county pushes RATE (1,000) leads/s in
batches every 100 ms for FED_SECONDS (60) s, one batch at a time (a slow answer lowers the rate
reached, which is printed). Lag of a batch: from intake's acknowledgement (committed at the
county) to the moment the prefecture holds it (its lead_batches row; the prefecture is polled
every 50 ms by psql, so figures are at that resolution). Printed: the rate each county reached,
lag p50/p99/max; then the monthly lead verification report's SQL function (through psql: the
process start is in the figure) at the prefecture (prefix 1308) against the same report on one
ordinary database holding the three counties' leads (copied there with COPY: the raw COPY of
the same rows, timed in the same run), and each county's own. Figures are printed, never
asserted; everything started is stopped on exit, its files removed."""
import atexit
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
RATE = int(os.environ.get("RATE", "1000"))
SECONDS = float(os.environ.get("FED_SECONDS", "60"))
TICK = 0.1
os.environ.setdefault("FANGPIN_BUILD", BUILD)
os.environ.setdefault("FANGPIN_SOURCE", SOURCE)
if "FANGPIN_TEST_VAR" not in os.environ:  # removed at exit, after fp has stopped the clusters
    os.environ["FANGPIN_TEST_VAR"] = tempfile.mkdtemp(prefix="fp-bench-fed-")
    atexit.register(shutil.rmtree, os.environ["FANGPIN_TEST_VAR"], True)
sys.path[:0] = [os.path.join(SOURCE, "tests", "integration"), os.path.join(BUILD, "py")]

import fp  # noqa: E402
import test_federation as tf  # noqa: E402
from fangpin.v1 import common_pb2, intake_pb2  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def push_loop(county, svc, acks, stop):
    """Every TICK s one batch of RATE*TICK leads; acks gets (batch number, time acknowledged)."""
    c = svc.client("yibao")
    n, per, start = 0, int(RATE * TICK), time.monotonic()
    town = tf.COUNTIES[county.code][1]
    while not stop.is_set():
        n += 1
        req = intake_pb2.IntakeRequest(request_id=f"r{n}")
        req.submit_leads.batch_id, req.submit_leads.period = f"bench{n}", tf.PERIOD
        for i in range(per):
            born = (datetime.date(1950, 1, 1) + datetime.timedelta(days=n)).strftime("%Y%m%d")
            req.submit_leads.leads.add(id_number=tf.check_digit(f"{county.code}{born}{i % 1000:03d}"),
                                       name="张三", village_code=f"{town}{201 + i % 3}", kind="yibao.high_cost",
                                       occurred_on="2026-10-15", line_ref=str(i), amount_fen=100000,
                                       has_amount=True)
        r = c.call(req, intake_pb2.IntakeReply, 60000)
        if r is None or r.status.code != common_pb2.Code.OK:
            raise SystemExit(f"county {county.code}: batch {n} not accepted: {r}")
        acks.append((n, time.monotonic()))
        sleep = start + n * TICK - time.monotonic()
        if sleep > 0:
            stop.wait(sleep)
    c.close()


def watch(pci, codes, seen, stop):
    """Polls the prefecture: seen[code] gets (batches held, time) whenever the count grows."""
    last = dict.fromkeys(codes, 0)
    while not stop.is_set():
        rows = fp.sql(pci, "SELECT county_code, count(*) FROM lead_batches WHERE batch_id LIKE 'bench%' GROUP BY 1")
        now = time.monotonic()
        for code, k in rows:
            if int(k) > last[code]:
                last[code] = int(k)
                seen[code].append((int(k), now))
        stop.wait(0.05)


def timed(ci, query, runs=3):
    out = []
    for _ in range(runs):
        t = time.monotonic()
        fp.sql(ci, query)
        out.append(time.monotonic() - t)
    return min(out), sorted(out)[len(out) // 2]


class Bench(tf.Federation):
    """The test's set-up (clusters, counties, subscriptions; no province), then the load."""
    WITH_PROVINCE = False

    @classmethod
    def load(cls):  # no test load: the bench's own
        pass


def main():
    Bench.setUpClass()
    counties = Bench.counties
    for c in counties.values():  # the test's services log at debug: this load runs at warn
        c.intake.stop()
        c.reporting.stop()
    svcs = {code: fp.Service("intake", c.ci, c.keys, env={"FANGPIN_TODAY": tf.TODAY, "FANGPIN_LOG_LEVEL": "warn"})
            for code, c in counties.items()}
    acks = {code: [] for code in counties}
    seen = {code: [] for code in counties}
    stop, wstop = threading.Event(), threading.Event()
    watcher = threading.Thread(target=watch, args=(Bench.pci, list(counties), seen, wstop))
    watcher.start()
    threads = [threading.Thread(target=push_loop, args=(counties[code], svcs[code], acks[code], stop))
               for code in counties]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    stop.wait(SECONDS)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    fp.wait_for(lambda: all(seen[c] and seen[c][-1][0] >= len(acks[c]) for c in counties), 600,
                what="every batch at the prefecture")
    wstop.set()
    watcher.join()
    lags = []
    for code in counties:
        for n, t_ack in acks[code]:
            t_seen = next(t for k, t in seen[code] if k >= n)
            lags.append(max(0.0, t_seen - t_ack))
        print(f"county {code}: {len(acks[code])} batches, {len(acks[code]) * int(RATE * TICK) / elapsed:.0f} leads/s")
    print(f"replication lag at the prefecture ({len(lags)} batches, 50 ms polling): "
          f"p50 {pct(lags, 50) * 1000:.0f} ms, p99 {pct(lags, 99) * 1000:.0f} ms, max {max(lags) * 1000:.0f} ms")
    report(Bench.pcluster, Bench.pci, counties)


def report(pcluster, pci, counties):
    """The monthly report at the prefecture, on one ordinary database of the same rows, per county."""
    one = pcluster.conninfo("allinone")
    fp.sql(pcluster.conninfo(), 'CREATE DATABASE "allinone" OWNER fangpin_owner')
    fp.ctl(["migrate"], fp.role_conninfo(one, "fangpin_owner"))
    fp.sql(pci, "ANALYZE")
    cols = ",".join(c for c, in fp.sql(one, "SELECT column_name FROM information_schema.columns WHERE table_name ="
                                            " 'leads' AND column_name <> 'id' ORDER BY ordinal_position"))
    n = fp.sql(pci, "SELECT count(*) FROM leads")[0][0]
    t = time.monotonic()
    dump = subprocess.Popen(["psql", "-X", "-q", pci, "-c", f"COPY (SELECT {cols} FROM leads) TO STDOUT"],
                            stdout=subprocess.PIPE)
    subprocess.run(["psql", "-X", "-q", one, "-c", f"COPY leads ({cols}) FROM STDIN"], stdin=dump.stdout, check=True)
    dump.wait()
    print(f"raw COPY of the prefecture's {n} leads into one database: {time.monotonic() - t:.2f} s")
    fp.ctl(["regions", "import"] + tf.region_files(tempfile.mkdtemp(dir=fp.VAR)), one)
    fp.sql(one, "ANALYZE")
    q = "SELECT report_lead_verification_monthly_rows('{}', '2026-10', '2026-11-24')"
    bests = {}
    for name, ci, prefix in [("prefecture (federated)", pci, "1308"), ("one database of the three", one, "1308")] + \
            [(f"county {code} (its own)", c.ci, code) for code, c in counties.items()]:
        best, median = timed(ci, q.format(prefix))
        bests[name] = best
        print(f"lead_verification_monthly, {name}: best {best * 1000:.0f} ms, median {median * 1000:.0f} ms")
    # machine-readable, for bench/summary.sh: the yardstick is the same report on one database
    pref, single = bests["prefecture (federated)"], bests["one database of the three"]
    print(f"BENCH path=prefecture_report rows={n} secs={pref:.3f} yardstick=one_database yard_secs={single:.3f} "
          f"ratio={single / pref:.2f}")


if __name__ == "__main__":
    main()
