"""Helpers for fangpin's integration tests: a fresh database on the test run's private
PostgreSQL, the real fangpinctl and service binaries on free ports, and clients written with
stock tools only (pyzmq with zmq.auth certificates, the protobuf runtime and the *_pb2 modules
protoc generates from proto/). Nothing here mocks a part of the system."""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import uuid

import zmq
import zmq.auth

from fangpin.v1 import common_pb2  # noqa: F401  (generated into the build folder)

BUILD = os.environ["FANGPIN_BUILD"]
SOURCE = os.environ["FANGPIN_SOURCE"]
VAR = os.environ["FANGPIN_TEST_VAR"]
PGSH = os.path.join(SOURCE, "tools", "scripts", "pg.sh")
SERVICES = ("intake", "screening", "assistance", "reporting")


def pg_port(pgdir=None):
    with open(os.path.join(pgdir or os.path.join(VAR, "pg"), "port")) as f:
        return int(f.read().strip())


def conninfo(dbname, port=None):
    return f"host=127.0.0.1 port={port or pg_port()} dbname={dbname} user=postgres"


def sql(ci, query, check=True):
    """Runs query with psql; returns the rows as tuples of strings."""
    args = ["psql", "-X", "-q", "-tA", "-F", "\t", "-v", "ON_ERROR_STOP=1", ci]
    if len(query.encode()) < 100000:
        p = subprocess.run(args + ["-c", query], capture_output=True, text=True)
    else:  # over the kernel's limit for one argument (128 KiB): from stdin, as one transaction
        p = subprocess.run(args + ["-1", "-f", "-"], input=query, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"psql failed: {p.stderr}")
    return [tuple(line.split("\t")) for line in p.stdout.splitlines() if line]


def fresh_db(name, port=None):
    """Creates an empty database (dropping an old one of that name); returns its conninfo."""
    name = name.lower()
    admin = conninfo("postgres", port)
    sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    sql(admin, f'CREATE DATABASE "{name}"')
    return conninfo(name, port)


FIXTURE_130822 = [os.path.join(SOURCE, "tests/fixtures/regions/130822", f)
                  for f in ("provinces.csv", "cities.csv", "areas.csv", "streets.csv", "villages.csv")]


def county_db(name):
    """A fresh database, migrated, holding 兴隆县 (130822)'s division codes; returns its conninfo."""
    ci = fresh_db(name)
    ctl(["migrate"], ci)
    ctl(["regions", "import"] + FIXTURE_130822, ci)
    return ci


def ctl(args, ci, check=True, env=None, timeout=300, cwd=None):
    e = dict(os.environ, FANGPIN_PG=ci)
    if env:
        e.update(env)
    p = subprocess.run([os.path.join(BUILD, "fangpinctl")] + list(args), capture_output=True, text=True,
                       env=e, timeout=timeout, cwd=cwd)
    if check and p.returncode != 0:
        raise RuntimeError(f"fangpinctl {' '.join(args)} exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def token(ci, principal, *more):
    """A bearer token for the reporting HTTP port, issued by `fangpinctl token add` to principal."""
    t = ctl(["token", "add", "--principal", principal] + list(more), ci).stdout.strip()
    assert t.startswith("fpt_") and len(t) == 47, t
    return t


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5, token=None):
    """Returns (status, body) for a GET (with token as a bearer token); (0, error) when nothing answers."""
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, OSError) as e:
        return 0, str(e)


def wait_for(pred, timeout=20.0, step=0.1, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Keys:
    """A key folder made with the real `fangpinctl keys make`."""

    def __init__(self, ci, names=SERVICES + ("admin",)):
        self.dir = tempfile.mkdtemp(prefix="fpkeys-", dir=VAR)
        self.ci = ci
        ctl(["keys", "make", "--dir", self.dir] + list(names), ci)

    def make(self, *names):
        ctl(["keys", "make", "--dir", self.dir] + list(names), self.ci)

    def path(self, name, secret=False):
        return os.path.join(self.dir, name + (".key_secret" if secret else ".key"))

    def public(self, name):
        pub, _ = zmq.auth.load_certificate(self.path(name))
        return pub.decode()

    def register(self, name, pid, kind="admin", region="130822", level=None, dept=None, display=None):
        args = ["keys", "register", "--id", pid, "--kind", kind, "--name", display or pid, "--region", region,
                "--key", self.path(name)]
        if level:
            args += ["--level", level]
        if dept:
            args += ["--dept", dept]
        ctl(args, self.ci)


class Service:
    """One real service binary on free ports, its JSON log in a file."""

    def __init__(self, name, ci, keys, env=None, wait_ready=True):
        self.name = name
        self.zport, self.hport = free_port(), free_port()
        self.endpoint = f"tcp://127.0.0.1:{self.zport}"
        self.http = f"http://127.0.0.1:{self.hport}"
        self.keys = keys
        self.log_path = os.path.join(VAR, f"{name}-{uuid.uuid4().hex[:8]}.log")
        U = name.upper()
        e = dict(os.environ, FANGPIN_PG=ci, FANGPIN_KEYS_DIR=keys.dir, FANGPIN_LOG_LEVEL="debug",
                 FANGPIN_DB_BACKOFF_MAX_MS="500", FANGPIN_SHUTDOWN_GRACE_MS="5000")
        e[f"FANGPIN_{U}_ENDPOINT"] = self.endpoint
        e[f"FANGPIN_{U}_HTTP"] = f"127.0.0.1:{self.hport}"
        if name == "intake":  # its LeadsAccepted PUSH port too, so parallel tests never clash
            e["FANGPIN_INTAKE_LEADS_PUSH"] = f"tcp://127.0.0.1:{free_port()}"
        if name == "screening":  # and its HouseholdIdentified PUSH
            e["FANGPIN_SCREENING_IDENTIFIED_PUSH"] = f"tcp://127.0.0.1:{free_port()}"
        if name == "reporting":  # and the event PUB
            e["FANGPIN_REPORTING_PUB"] = f"tcp://127.0.0.1:{free_port()}"
        if env:
            e.update(env)
        self.leads_push = e.get("FANGPIN_INTAKE_LEADS_PUSH")
        self.pub = e.get("FANGPIN_REPORTING_PUB")
        self.identified_push = e.get("FANGPIN_SCREENING_IDENTIFIED_PUSH")
        if env:
            e.update(env)
        self.logf = open(self.log_path, "wb")
        self.proc = subprocess.Popen([os.path.join(BUILD, f"fangpin-{name}")], stdout=self.logf,
                                     stderr=subprocess.STDOUT, env=e)
        if wait_ready:
            self.wait_ready()

    def wait_ready(self, timeout=30):
        wait_for(lambda: self.proc.poll() is None and http_get(self.http + "/readyz")[0] == 200 or self._died(),
                 timeout, what=f"{self.name} ready")

    def _died(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited {self.proc.returncode}:\n{self.log()}")
        return False

    def log(self):
        if not self.logf.closed:
            self.logf.flush()
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def log_records(self):
        return [json.loads(line) for line in self.log().splitlines() if line.strip()]

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"{self.name} did not stop on {sig}")
        self.logf.close()
        return self.proc.returncode

    def client(self, key_name, **kw):
        return Client(self.endpoint, self.keys.path(self.name), self.keys.path(key_name, secret=True), **kw)


class Client:
    """A DEALER with CURVE, as a department's own program would write it."""

    def __init__(self, endpoint, server_cert, client_secret_cert, ctx=None, monitor=False):
        self.ctx = ctx or zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.linger = 0
        spub, _ = zmq.auth.load_certificate(server_cert)
        cpub, csec = zmq.auth.load_certificate(client_secret_cert)
        self.sock.curve_serverkey = spub
        self.sock.curve_publickey = cpub
        self.sock.curve_secretkey = csec
        self.mon = self.sock.get_monitor_socket() if monitor else None
        self.sock.connect(endpoint)

    def send_frames(self, frames):
        self.sock.send_multipart(frames)

    def recv(self, timeout_ms=5000):
        if self.sock.poll(timeout_ms, zmq.POLLIN):
            return self.sock.recv_multipart()
        return None

    def call(self, msg, reply_type, timeout_ms=5000):
        self.sock.send(msg.SerializeToString())
        frames = self.recv(timeout_ms)
        if frames is None:
            return None
        r = reply_type()
        r.ParseFromString(frames[-1])
        return r

    def monitor_events(self, timeout_ms=3000):
        from zmq.utils.monitor import recv_monitor_message
        events = []
        end = time.time() + timeout_ms / 1000
        while time.time() < end:
            if self.mon.poll(100):
                events.append(recv_monitor_message(self.mon)["event"])
        return events

    def close(self):
        if self.mon is not None:
            self.sock.disable_monitor()
            self.mon.close(0)
        self.sock.close(0)


class PrivateCluster:
    """A PostgreSQL cluster of the test's own, for tests that stop and start the server."""

    def __init__(self, tag):
        self.dir = os.path.join(VAR, f"pg-{tag}")
        subprocess.run([PGSH, "stop", self.dir], check=False, capture_output=True)
        subprocess.run(["rm", "-rf", self.dir], check=True)
        self.port = free_port()
        self.start()

    def start(self):
        subprocess.run([PGSH, "start", self.dir, str(self.port)], check=True,
                       env=dict(os.environ, PG_FSYNC="off"))

    def stop(self):
        subprocess.run([PGSH, "stop", self.dir], check=True)

    def conninfo(self, db="postgres"):
        return conninfo(db, self.port)


def main():
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    print(f"{r.testsRun - len(r.failures) - len(r.errors) - len(r.skipped)} passed, "
          f"{len(r.failures) + len(r.errors)} failed, {len(r.skipped)} skipped")
    sys.exit(0 if r.wasSuccessful() else 1)


def proc_status_kib(pid, field):
    """A memory figure of a process from /proc/PID/status (VmRSS, VmHWM...), in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"/proc/{pid}/status has no {field}")


def recv_until(client, n, deadline_s, reply_type):
    """Up to n replies on client's socket until deadline_s (time.time()); returns them parsed."""
    out = []
    while len(out) < n:
        left = deadline_s - time.time()
        if left <= 0:
            break
        frames = client.recv(int(left * 1000) + 1)
        if frames is None:
            break
        r = reply_type()
        r.ParseFromString(frames[-1])
        out.append(r)
    return out


def proc_cpu_seconds(pid):
    """CPU time (user + system, all threads) a process has used so far, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")
