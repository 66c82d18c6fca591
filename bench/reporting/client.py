#!/usr/bin/env python3
"""bench/reporting/client.py: the reporting benchmark's clients, written with stock tools only
(pyzmq with zmq.auth certificates, the protobuf runtime and the *_pb2 modules the build
generates into BUILD/py), as a dashboard's or a county's own program would be. Run by run.sh.

  client.py reports --endpoint E --server-cert C --client-cert S --pg CONNINFO --prefix P \
            --runs N  REPORT:PERIOD:SQLFILE ...
      per report: GetReport through the service (proto, xlsx), the report's SQL function
      report_<code>_rows(prefix, period, as_of) straight in PostgreSQL, and the plain SQL
      aggregate of SQLFILE (psql variables :prefix, :period, :quarter, :as_of), best and median of N
  client.py relay --pub E --server-cert C --client-cert S --pg CONNINFO --prefix P --events N
      writes N events into the outbox in one INSERT and times until the subscriber has the last
  client.py latency --pub E --intake E --reporting-cert C --intake-cert C --client-cert S \
            --dept-cert S --rate R --seconds T --batch B --village V ...
      pushes leads through intake at R leads/s in batches of B, subscribes to the PUB, and
      measures from each batch's send to the arrival of each of its lead.accepted events
Times are wall clock on this machine (time.perf_counter); nothing is asserted."""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

import zmq
import zmq.auth

from fangpin.v1 import common_pb2, intake_pb2, reporting_pb2  # noqa: F401

W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id18(first17):
    return first17 + "10X98765432"[sum(int(c) * k for c, k in zip(first17, W)) % 11]


def curve(sock, server_cert, client_cert):
    spub, _ = zmq.auth.load_certificate(server_cert)
    cpub, csec = zmq.auth.load_certificate(client_cert)
    sock.curve_serverkey, sock.curve_publickey, sock.curve_secretkey = spub, cpub, csec


def psql_ms(ci, query, variables=None, options=None, each=False):
    """Runs query with psql and \\timing; returns (milliseconds of the statement, its output).
    options: server settings for the session (PGOPTIONS), e.g. "-c jit=off". each: a list of the
    milliseconds of each statement instead of their sum."""
    args = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", ci]
    for k, v in (variables or {}).items():
        args += ["-v", f"{k}={v}"]
    env = dict(os.environ, PGOPTIONS=options) if options else None
    p = subprocess.run(args, input="\\timing on\n" + query + "\n", capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise RuntimeError(f"psql: {p.stderr.strip()}")
    ms = [float(x) for x in re.findall(r"^Time: ([0-9.]+) ms", p.stdout, re.M)]
    out = [ln for ln in p.stdout.splitlines() if ln and not ln.startswith("Time: ")]
    return (ms if each else sum(ms)), out


def psql_warm_ms(ci, query, runs, variables=None, options=None):
    """Runs query runs + 1 times in one psql session; returns (milliseconds of each run but the first,
    the output). The first run is not timed: it fills the session's caches (catalogue, compiled
    PL/pgSQL), which the service's long-lived connections already have."""
    ms, out = psql_ms(ci, "\n".join([query] * (runs + 1)), variables, options, each=True)
    return ms[1:], out


def stats(xs):
    return min(xs), statistics.median(xs)


def cmd_reports(a):
    ctx = zmq.Context.instance()
    s = ctx.socket(zmq.DEALER)
    s.linger = 0
    curve(s, a.server_cert, a.client_cert)
    s.connect(a.endpoint)

    def get(report, period, fmt):
        req = reporting_pb2.ReportingRequest(request_id=f"b{time.time_ns()}")
        req.get_report.report, req.get_report.region_prefix = report, a.prefix
        req.get_report.period, req.get_report.format = period, fmt
        t0 = time.perf_counter()
        s.send(req.SerializeToString())
        if not s.poll(a.timeout * 1000, zmq.POLLIN):
            raise RuntimeError(f"GetReport {report} {fmt}: no reply in {a.timeout} s")
        r = reporting_pb2.ReportingReply()
        r.ParseFromString(s.recv_multipart()[-1])
        ms = (time.perf_counter() - t0) * 1000
        if r.status.code != common_pb2.Code.OK:
            raise RuntimeError(f"GetReport {report} {fmt}: {r.status.code} {r.status.message}")
        return ms, r.report

    def reopen(report, period):
        req = reporting_pb2.ReportingRequest(request_id=f"r{time.time_ns()}")
        req.reopen_report.report, req.reopen_report.region_prefix = report, a.prefix
        req.reopen_report.period, req.reopen_report.reason = period, "benchmark: compute again"
        s.send(req.SerializeToString())
        if not s.poll(a.timeout * 1000, zmq.POLLIN):
            raise RuntimeError(f"ReopenReport {report}: no reply")
        r = reporting_pb2.ReportingReply()
        r.ParseFromString(s.recv_multipart()[-1])
        if r.status.code != common_pb2.Code.OK:
            raise RuntimeError(f"ReopenReport {report}: {r.status.code} {r.status.message}")

    # the connection and CURVE handshake once, outside the timings
    req = reporting_pb2.ReportingRequest(request_id="ping")
    req.ping.SetInParent()
    s.send(req.SerializeToString())
    if not s.poll(10000, zmq.POLLIN):
        sys.exit("client.py: the reporting service does not answer a Ping")
    s.recv_multipart()

    hdr = f"{'report, prefix ' + a.prefix:<44} {'first ms':>9} {'best ms':>9} {'median':>9}  notes"
    print(hdr)
    for spec in a.specs:
        report, period, sqlfile = spec.split(":", 2)
        as_of = a.as_of
        lines = []
        # A closed period's report is frozen: the first GetReport computes and stores the snapshot,
        # later ones read it. So that every timed call computes, each one after the first is
        # preceded (untimed) by a ReopenReport; the snapshot read is timed on its own.
        frozen = [False]

        def computed(fmt):
            if frozen[0]:
                reopen(report, period)
            ms, rep = get(report, period, fmt)
            frozen[0] = rep.frozen
            return ms, rep

        proto = [computed("proto") for _ in range(a.runs)]
        rep = proto[-1][1]
        lines.append(("GetReport proto (service, end to end)", [m for m, _ in proto],
                      f"{len(rep.rows)} rows, {'frozen' if rep.frozen else 'live'}, due {rep.deadline}"))
        xlsx = [computed("xlsx") for _ in range(a.runs)]
        lines.append(("GetReport xlsx (service, end to end)", [m for m, _ in xlsx],
                      f"{len(xlsx[-1][1].file)} bytes"))
        if rep.frozen:
            snap = [get(report, period, "proto")[0] for _ in range(a.runs)]
            lines.append(("GetReport proto, frozen snapshot read", snap, "no computing"))
        fn = "report_lead_verification_rows" if report == "lead_verification_monthly" else f"report_{report}_rows"
        q = f"SELECT jsonb_array_length({fn}('{a.prefix}', '{period}', '{as_of}'));"
        sq, out = psql_warm_ms(a.pg, q, a.runs)
        lines.append((f"{fn}() in SQL", sq, f"{out[-1] if out else '?'} rows"))
        quarter = period.replace("-", "") if "Q" in period else ""
        variables = {"prefix": a.prefix, "period": period, "quarter": quarter, "as_of": as_of}
        with open(sqlfile) as f:
            agg = f.read().strip().rstrip(";")
        # without JIT, as the report functions run (011): compiling costs more than these queries.
        # The whole row is read so that every column is computed: under a bare count(*) the planner
        # drops the aggregates nobody reads, and with them joins and lookups that only they need
        # (measures_quarterly's checks and statuses), so the yardstick did less than the report.
        pq, out = psql_warm_ms(a.pg, f"SELECT count(*) FROM ({agg}) plain WHERE plain::text <> '';", a.runs,
                               variables, "-c jit=off")
        lines.append(("plain GROUP BY, jit off (physical limit)", pq, f"{out[-1] if out else '?'} groups"))
        print(f"{report} {period} (as of {as_of})")
        for name, xs, note in lines:
            b, m = stats(xs)
            print(f"  {name:<42} {xs[0]:9.1f} {b:9.1f} {m:9.1f}  {note}")
        b_svc, b_sql, b_plain = min(lines[0][1]), min(lines[-2][1]), min(lines[-1][1])
        print(f"  -> service/plain {b_svc / b_plain:.1f}x, function/plain {b_sql / b_plain:.1f}x")
        # machine-readable, for bench/summary.sh: the yardstick here is the plain GROUP BY
        print(f"BENCH path=report_{report} rows={len(rep.rows)} secs={b_svc / 1000:.3f} "
              f"yardstick=plain_group_by yard_secs={b_plain / 1000:.3f} ratio={b_plain / b_svc:.2f}"
              + (f" size={os.environ['FP_BENCH_SIZE']}" if os.environ.get("FP_BENCH_SIZE") else ""))
        sys.stdout.flush()
    s.close()


def sub_socket(ctx, a, prefix):
    sub = ctx.socket(zmq.SUB)
    sub.linger = 0
    sub.rcvhwm = 0
    curve(sub, a.server_cert if hasattr(a, "server_cert") else a.reporting_cert, a.client_cert)
    sub.setsockopt(zmq.SUBSCRIBE, prefix.encode())
    sub.setsockopt(zmq.SUBSCRIBE, b"HEARTBEAT")
    sub.connect(a.pub)
    return sub


def wait_heartbeat(sub, timeout=15.0):
    """The head position from a heartbeat (proves the subscription is live)."""
    end = time.time() + timeout
    while time.time() < end:
        if sub.poll(500, zmq.POLLIN):
            f = sub.recv_multipart()
            if f[0] == b"HEARTBEAT":
                return int(f[1])
    sys.exit("client.py: no heartbeat from the reporting PUB (CURVE key not admitted?)")


def cmd_relay(a):
    ctx = zmq.Context.instance()
    sub = sub_socket(ctx, a, a.prefix)
    head = wait_heartbeat(sub)
    want = head + a.events
    villages = a.villages.split(",")
    vals = "ARRAY[" + ",".join(f"'{v}'" for v in villages) + "]"
    q = (f"INSERT INTO events (county_code, region_code, type, payload) "
         f"SELECT left(v, 6), v, 'bench.relay', jsonb_build_object('n', i, 'kind', 'bench') "
         f"FROM generate_series(1, {a.events}) i, LATERAL (SELECT ({vals})[1 + i % {len(villages)}] AS v) x;")
    t0 = time.perf_counter()
    p = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", a.pg, "-c", q])
    got = 0
    last = head
    first_at = committed = None
    gaps = 0
    end = t0 + a.timeout
    beat = head
    seen_at = t0
    while last < want and time.perf_counter() < end:
        if committed is None and p.poll() is not None:
            committed = time.perf_counter()
            if p.returncode != 0:
                sys.exit("client.py: the INSERT failed")
        # PUB drops at its high-water mark: once the heartbeat shows everything published and
        # nothing came for 2 s, what is missing was dropped (a real subscriber would Replay it)
        if beat >= want and time.perf_counter() - seen_at > 2:
            break
        if not sub.poll(100, zmq.POLLIN):
            continue
        while True:
            try:
                f = sub.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            pos = int(f[1])
            if f[0] == b"HEARTBEAT":
                beat = max(beat, pos)
                continue
            seen_at = time.perf_counter()
            if pos <= last:
                continue
            if pos != last + 1:
                gaps += pos - last - 1
            if first_at is None:
                first_at = time.perf_counter()
            got += 1
            last = pos
    t_end = seen_at if last < want else time.perf_counter()
    if committed is None:
        p.wait()
        committed = time.perf_counter()
    wall = t_end - t0
    print(f"relay: {a.events} events written in one INSERT (commit after {committed - t0:.2f} s)")
    gaps += want - last
    print(f"  received {got} of {a.events} on the PUB (dropped at the PUB's high-water mark: {gaps});"
          f" last position {last}, head {want}")
    if first_at:
        print(f"  first event {first_at - t0:.2f} s after the INSERT began; last {wall:.2f} s")
        print(f"  write -> last received: {a.events / wall:.0f} events/s; "
              f"from the first received: {got / max(t_end - first_at, 1e-9):.0f} events/s")
    # the relay's own view, independent of this subscriber's speed: it raises relay_state.published
    # (and its published_at) after the sends, the last time right after the last batch
    # (positions are in event_positions since migration 051, in events.position before it)
    span = "?"
    _, narrow = psql_ms(a.pg, "SELECT to_regclass('event_positions') IS NOT NULL;")
    last = ("SELECT min(e.created_at) t0, max(p.position) p FROM events e JOIN event_positions p ON p.event_id = e.id"
            if narrow and narrow[-1] == "t" else "SELECT min(created_at) t0, max(position) p FROM events")
    for _ in range(100):
        _, out = psql_ms(a.pg, "SELECT round(extract(epoch FROM s.published_at - e.t0)::numeric, 3)"
                               f" FROM relay_state s, ({last} WHERE type = 'bench.relay') e WHERE s.published >= e.p;")
        if out and out[-1]:
            span = out[-1]
            break
        time.sleep(0.1)
    print(f"  relay's last mark (relay_state.published_at) {span} s after the INSERT's transaction began")
    print(f"RELAY_S={wall:.3f} RELAY_GOT={got} RELAY_COMMIT_S={committed - t0:.3f} RELAY_SERVER_S={span}")
    sub.close()


def cmd_latency(a):
    ctx = zmq.Context.instance()
    sub = sub_socket(ctx, a, a.prefix)
    wait_heartbeat(sub)
    dealer = ctx.socket(zmq.DEALER)
    dealer.linger = 0
    curve(dealer, a.intake_cert, a.dept_cert)
    dealer.connect(a.intake)
    villages = a.villages.split(",")
    total = int(a.rate * a.seconds)
    nbatches = (total + a.batch - 1) // a.batch
    interval = a.batch / a.rate
    tag = f"lat{int(time.time())}"
    sent = {}      # batch id -> send time
    acked = {}     # batch id -> reply time
    lat = []       # ms, one per lead.accepted event received
    arrived = []   # (batch id, time) of each lead.accepted event received
    poller = zmq.Poller()
    poller.register(sub, zmq.POLLIN)
    poller.register(dealer, zmq.POLLIN)
    start = time.perf_counter()
    nb = 0
    late = 0
    seq = 0
    occurred = a.occurred
    t_deadline = start + a.seconds + a.drain

    def drain():
        nonlocal late
        while True:
            try:
                f = sub.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            now = time.perf_counter()
            if f[0] == b"HEARTBEAT" or len(f) < 3:
                continue
            ev = reporting_pb2.Event()
            ev.ParseFromString(f[2])
            if ev.type != "lead.accepted":
                continue
            b = json.loads(ev.payload_json).get("batch_id", "")
            if b in sent:
                lat.append((now - sent[b]) * 1000)
                arrived.append((b, now))
        while True:
            try:
                f = dealer.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            r = intake_pb2.IntakeReply()
            r.ParseFromString(f[-1])
            if r.request_id in sent and r.request_id not in acked:
                acked[r.request_id] = time.perf_counter()
                if r.status.code != common_pb2.Code.OK:
                    late += 1

    while True:
        now = time.perf_counter()
        if nb < nbatches:
            due = start + nb * interval
            if now >= due:
                bid = f"{tag}-{nb:06d}"
                req = intake_pb2.IntakeRequest(request_id=bid)
                req.submit_leads.batch_id = bid
                req.submit_leads.period = a.period
                for _ in range(min(a.batch, total - nb * a.batch)):
                    # made-up people of the county: birth 1990.., sequence 900.. (not the ledger's)
                    d = seq % 10000
                    first17 = (f"{a.county}{time.strftime('%Y%m%d', time.gmtime(631152000 + d * 86400))}"
                               f"{900 + seq // 10000:03d}")
                    l = req.submit_leads.leads.add()
                    l.id_number, l.name, l.village_code = id18(first17), "测员", villages[seq % len(villages)]
                    l.kind, l.occurred_on, l.detail, l.line_ref = "yibao.high_cost", occurred, "基准测试", str(seq)
                    l.amount_fen, l.has_amount = 100000 + seq, True
                    seq += 1
                sent[bid] = time.perf_counter()
                dealer.send(req.SerializeToString())
                nb += 1
                continue
            wait_ms = max(0, int((due - now) * 1000))
        else:
            if len(lat) >= seq or now > t_deadline:
                break
            wait_ms = 50
        for sock, _ in poller.poll(wait_ms):
            pass
        drain()
    drain()
    elapsed = max(sent.values()) - start
    acks = sorted((acked[b] - sent[b]) * 1000 for b in acked)
    print(f"latency: {seq} leads in {nb} batches of {a.batch} over {elapsed:.1f} s "
          f"({seq / elapsed:.0f} leads/s offered), {len(acks)} batches answered, {late} not OK")
    if acks:
        print(f"  intake answer (batch committed): p50 {pct(acks, 50):.1f} ms, p99 {pct(acks, 99):.1f} ms, "
              f"max {acks[-1]:.1f} ms")
    lat.sort()
    if lat:
        print(f"  lead sent -> lead.accepted on the reporting PUB: {len(lat)} of {seq} events, "
              f"p50 {pct(lat, 50):.1f} ms, p99 {pct(lat, 99):.1f} ms, max {lat[-1]:.1f} ms")
    else:
        print("  no lead.accepted event arrived")
    # the relay's share, apart from intake's queue: from intake's answer (sent after its commit,
    # which is when the event becomes visible and NOTIFY fires) to the event on the PUB; it can be
    # below 0 when the event overtakes the answer
    rel = sorted((t - acked[b]) * 1000 for b, t in arrived if b in acked)
    if rel:
        print(f"  intake answer -> lead.accepted on the PUB (the relay's share): p50 {pct(rel, 50):.1f} ms, "
              f"p99 {pct(rel, 99):.1f} ms, max {rel[-1]:.1f} ms")
        print(f"LAT_P50={pct(lat, 50):.1f} LAT_P99={pct(lat, 99):.1f} ACK_P50={pct(acks, 50):.1f} "
              f"ACK_P99={pct(acks, 99):.1f} RELAY_SHARE_P50={pct(rel, 50):.1f} RELAY_SHARE_P99={pct(rel, 99):.1f}")
    sub.close()
    dealer.close()


def pct(xs, p):
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    r = sp.add_parser("reports")
    r.add_argument("--endpoint", required=True)
    r.add_argument("--server-cert", required=True)
    r.add_argument("--client-cert", required=True)
    r.add_argument("--pg", required=True)
    r.add_argument("--prefix", required=True)
    r.add_argument("--as-of", required=True)
    r.add_argument("--runs", type=int, default=3)
    r.add_argument("--timeout", type=int, default=600)
    r.add_argument("specs", nargs="+")
    e = sp.add_parser("relay")
    e.add_argument("--pub", required=True)
    e.add_argument("--server-cert", required=True)
    e.add_argument("--client-cert", required=True)
    e.add_argument("--pg", required=True)
    e.add_argument("--prefix", required=True)
    e.add_argument("--villages", required=True)
    e.add_argument("--events", type=int, default=200000)
    e.add_argument("--timeout", type=float, default=600)
    lt = sp.add_parser("latency")
    lt.add_argument("--pub", required=True)
    lt.add_argument("--intake", required=True)
    lt.add_argument("--reporting-cert", required=True)
    lt.add_argument("--intake-cert", required=True)
    lt.add_argument("--client-cert", required=True)
    lt.add_argument("--dept-cert", required=True)
    lt.add_argument("--prefix", required=True)
    lt.add_argument("--county", required=True)
    lt.add_argument("--villages", required=True)
    lt.add_argument("--rate", type=float, default=1000)
    lt.add_argument("--seconds", type=float, default=30)
    lt.add_argument("--batch", type=int, default=10)
    lt.add_argument("--drain", type=float, default=20)
    lt.add_argument("--period", default="2026-11")
    lt.add_argument("--occurred", default="2026-11-10")
    a = ap.parse_args()
    {"reports": cmd_reports, "relay": cmd_relay, "latency": cmd_latency}[a.cmd](a)


if __name__ == "__main__":
    main()
