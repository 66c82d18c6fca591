"""Helpers for fangpin's integration tests: a fresh database on the test run's private
PostgreSQL, the real fangpinctl and service binaries on leased ports, and clients written with
stock tools only (pyzmq with zmq.auth certificates, the protobuf runtime and the *_pb2 modules
protoc generates from proto/). Nothing here mocks a part of the system.

How a test stays deterministic (tests/README.md says more): every port comes from free_port(),
a lease no other test can be given (tools/scripts/ports.py); every wait is wait_for() on a
condition with a deadline, which on timeout names the condition and prints the last lines of
every service this test started; files go under VAR (the build's itvar/)."""
import atexit
import hashlib
import hmac
import io
import json
import os
import signal
import struct
import shutil
import subprocess
import sys
import tempfile
import threading
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
sys.path.insert(0, os.path.join(SOURCE, "tools", "scripts"))
import ports  # noqa: E402  (tools/scripts/ports.py: leases that cannot collide)

_clusters = []  # every PrivateCluster, stopped when the test process exits
_started = []  # every Service this test process started, for the logs shown when a wait times out


@atexit.register
def _leave_nothing_behind():
    """A test whose setUpClass failed half-way never reaches its tearDown: whatever service it
    started is killed when the test process exits, so no run leaves a process behind."""
    for s in _started:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()
    for c in _clusters:
        subprocess.run([PGSH, "stop", c.dir], capture_output=True)


def pg_port(pgdir=None):
    with open(os.path.join(pgdir or os.path.join(VAR, "pg"), "port")) as f:
        return int(f.read().strip())


def pg_cluster(pgdir):
    """The folder holding a pg.sh cluster's data/: pgdir, or where pgdir/cluster links to (as root,
    when the cluster's user cannot reach pgdir)."""
    link = os.path.join(pgdir, "cluster")
    return os.readlink(link) if os.path.islink(link) else pgdir


def conninfo(dbname, port=None, pgdir=None):
    """The conninfo of database dbname on the run's cluster (or the cluster in pgdir): scram
    with the password tools/scripts/pg.sh generated for it."""
    pgdir = pgdir or os.path.join(VAR, "pg")
    with open(os.path.join(pgdir, "password")) as f:
        pw = f.read().strip()
    return f"host=127.0.0.1 port={port or pg_port(pgdir)} dbname={dbname} user=postgres password={pw}"


ROLES = ("fangpin_owner",) + tuple(f"fangpin_{s}" for s in SERVICES)
MIGRATION_COUNT = len([f for f in os.listdir(os.path.join(SOURCE, "deploy/db/migrations")) if f.endswith(".sql")])


def role_conninfo(ci, role):
    """ci with user and password those of role, one of ROLES (deploy/db/roles.sh): made on the
    run's cluster by pgfixture and on a PrivateCluster by its constructor, with the passwords
    pg.sh generated in its folder's roles/."""
    kv = dict(part.split("=", 1) for part in ci.split())
    port = int(kv["port"])
    pgdir = next((c.dir for c in _clusters if c.port == port), os.path.join(VAR, "pg"))
    with open(os.path.join(pgdir, "roles", role)) as f:
        kv.update(user=role, password=f.read().strip())
    return " ".join(f"{k}={v}" for k, v in kv.items())


def migrated(ci):
    """True when the database of ci holds every migration of the source tree."""
    rows = sql(ci, "SELECT count(*) FROM schema_migrations", check=False)
    return bool(rows) and int(rows[0][0]) >= MIGRATION_COUNT


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


def fresh_db(name, port=None, pgdir=None, owner=None):
    """Creates an empty database (dropping an old one of that name), owned by owner (default the
    superuser); returns its conninfo (the superuser's)."""
    name = name.lower()
    admin = conninfo("postgres", port, pgdir)
    sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    sql(admin, f'CREATE DATABASE "{name}"' + (f' OWNER "{owner}"' if owner else ""))
    return conninfo(name, port, pgdir)


FIXTURE_130822 = [os.path.join(SOURCE, "tests/fixtures/regions/130822", f)
                  for f in ("provinces.csv", "cities.csv", "areas.csv", "streets.csv", "villages.csv")]


def county_db(name):
    """A fresh database owned by fangpin_owner, migrated by it as make up does, holding 兴隆县
    (130822)'s division codes; returns its conninfo (the superuser's)."""
    ci = fresh_db(name, owner="fangpin_owner")
    ctl(["migrate"], role_conninfo(ci, "fangpin_owner"))
    ctl(["regions", "import"] + FIXTURE_130822, ci)
    return ci


MIGRATIONS = os.path.join(SOURCE, "deploy", "db", "migrations")


def migration_names():
    return sorted(n for n in os.listdir(MIGRATIONS) if n.endswith(".sql"))


def old_schema(ci, upto, then=""):
    """The schema as an older fangpin left it: the migration files up to number `upto` (an int;
    0 = none), applied and recorded the way common/migrate.c does, then the SQL `then`: one psql
    session."""
    parts = ["CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());"]
    names = [n for n in migration_names() if int(n[:3]) <= upto]
    for n in names:
        with open(os.path.join(MIGRATIONS, n), encoding="utf-8") as f:
            parts.append(f.read() + f"\n;INSERT INTO schema_migrations (name) VALUES ('{n}');")
    sql(ci, "\n".join(parts + [then]))
    return names


def id_number(seq, birth="19800101", region="130822"):
    """A valid 18-character resident ID number (GB 11643, check character MOD 11-2)."""
    body = f"{region}{birth}{seq:03d}"
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w)) % 11]


def data_key():
    """The run's county data key (common/seal.h), one for every database of the run, made once
    by the real `fangpinctl keys make` (a link makes it appear whole, whichever test is first)."""
    path = os.path.join(VAR, "data.key")
    if not os.path.exists(path):
        d = tempfile.mkdtemp(prefix="fpdatakey-", dir=VAR)
        subprocess.run([os.path.join(BUILD, "fangpinctl"), "keys", "make", "--dir", d, "unused"],
                       check=True, capture_output=True)
        try:
            os.link(os.path.join(d, "data.key"), path)
        except FileExistsError:
            pass
    return path


def _data_subkey(n, key=None):
    """Subkey n of the run's data key, derived as libsodium's crypto_kdf does (BLAKE2b keyed by
    the key, salt = n little-endian, personal = the context "fpidseal"): written here from the
    algorithm's definition, so that the tests check common/seal.c against it."""
    with open(key or data_key()) as f:
        master = bytes.fromhex(f.read().split()[-1])
    return hashlib.blake2b(b"", digest_size=32, key=master, salt=struct.pack("<Q", n) + bytes(8),
                           person=b"fpidseal" + bytes(8)).digest()


def id_hmac(idn, key=None):
    """What the database keeps of ID number idn to match it (id_hmac), as psql prints a bytea;
    with the run's data key, or the key file `key`."""
    return "\\x" + hmac.new(_data_subkey(1, key), idn.encode(), hashlib.sha256).hexdigest()


def id_open(sealed, key=None):
    """The ID number sealed in id_sealed (psql's \\x hex text), opened with Debian's PyNaCl."""
    import nacl.bindings as nb
    raw = bytes.fromhex(sealed[2:])
    return nb.crypto_aead_xchacha20poly1305_ietf_decrypt(raw[24:], b"fangpin id number v1", raw[:24],
                                                         _data_subkey(2, key)).decode()


def id_columns(idn, key=None):
    """The three columns fangpin stores for ID number idn (id_hmac, id_sealed, id_masked), made
    here as common/seal.c makes them, for fixtures written straight into the tables."""
    import nacl.bindings as nb
    import nacl.utils
    nonce = nacl.utils.random(24)
    sealed = nonce + nb.crypto_aead_xchacha20poly1305_ietf_encrypt(idn.encode(), b"fangpin id number v1", nonce,
                                                                    _data_subkey(2, key))
    return dict(id_hmac=id_hmac(idn, key), id_sealed="\\x" + sealed.hex(), id_masked=idn[:4] + "*" * 10 + idn[-4:])


def ctl(args, ci, check=True, env=None, timeout=300, cwd=None):
    e = dict(os.environ, FANGPIN_PG=ci)
    if env:
        e.update(env)
    if "FANGPIN_DATA_KEY" not in e and "FANGPIN_KEYS_DIR" not in e:
        e["FANGPIN_DATA_KEY"] = data_key()
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
    """A port on 127.0.0.1 leased to this test process until it exits: outside the kernel's
    ephemeral range and locked against every other test on the machine (tools/scripts/ports.py),
    so nothing can take it between now and the moment a service binds it, nor while a test
    restarts the service on it."""
    return ports.lease()


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


def log_tails(lines=15):
    """The last lines of the log of every service this test process started."""
    out = []
    for s in _started:
        try:
            tail = s.log().splitlines()[-lines:]
        except OSError as e:
            tail = [f"(no log: {e})"]
        state = "running" if s.proc.poll() is None else f"exited {s.proc.returncode}"
        out.append(f"--- {s.name} (pid {s.proc.pid}, {state}), {s.log_path}:\n" + "\n".join(tail))
    return "\n".join(out)


def wait_for(pred, timeout=20.0, step=0.1, what="condition"):
    """Polls pred until it returns something true and returns that; after timeout seconds fails
    with what it waited for and the last log lines of every service of this test. The only way
    a test waits: never a bare sleep."""
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    v = pred()  # once more: the deadline may have passed while the machine was busy
    if v:
        return v
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{log_tails()}")


def metrics(http):
    """A service's /metrics, read once: [(name, labels as written, value)]."""
    st, body = http_get(http + "/metrics")
    if st != 200:
        raise AssertionError(f"GET {http}/metrics: {st} {body}")
    out = []
    for line in body.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        series, value = line.rsplit(" ", 1)
        base, _, lab = series.partition("{")
        out.append((base, lab.rstrip("}"), float(value)))
    return out


def metric(http, name, labels=None):
    """The value of the series name{labels} (labels as written, e.g. 'scan="overdue"'), or with
    labels=None the sum of every series of that name; 0 if absent."""
    return sum(v for n, lab, v in metrics(http) if n == name and (labels is None or lab == labels))


class Stream:
    """Collects a child's output (a pipe) on a thread, so that a test can wait for what it
    printed so far (wait) without blocking, and still read all of it at the end (text)."""

    def __init__(self, pipe):
        self._pipe, self._chunks, self._lock = pipe, [], threading.Lock()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        for line in iter(self._pipe.readline, "" if isinstance(self._pipe, io.TextIOBase) else b""):
            with self._lock:
                self._chunks.append(line)

    def text(self):
        with self._lock:
            return "".join(self._chunks)

    def wait(self, pred, timeout=20.0, what="output"):
        return wait_for(lambda: pred(self.text()), timeout, 0.05, what)

    def close(self, timeout=10):
        self._t.join(timeout)
        return self.text()


class Keys:
    """A key folder made with the real `fangpinctl keys make`."""

    def __init__(self, ci, names=SERVICES + ("admin",)):
        self.dir = tempfile.mkdtemp(prefix="fpkeys-", dir=VAR)
        self.ci = ci
        shutil.copy(data_key(), os.path.join(self.dir, "data.key"))  # kept by keys make
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
    """One real service binary on free ports, its JSON log in a file.

    It connects as its own role (fangpin_<name>, with what deploy/db/grants.sql gives it) when
    the database is migrated already, as after county_db() or a `fangpinctl keys register`, so
    that every test proves the grants enough; on a database not yet migrated, as ci says (the
    superuser), so that it applies the migrations itself. role= chooses: a role, or None for ci."""

    def __init__(self, name, ci, keys, env=None, wait_ready=True, role="auto"):
        self.name = name
        if role == "auto":
            role = f"fangpin_{name}" if not (env and "FANGPIN_PG" in env) and migrated(ci) else None
        self.role = role
        if role:
            ci = role_conninfo(ci, role)
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
        self.logf = open(self.log_path, "wb")
        self.proc = subprocess.Popen([os.path.join(BUILD, f"fangpin-{name}")], stdout=self.logf,
                                     stderr=subprocess.STDOUT, env=e)
        _started.append(self)
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

    def metric(self, name, labels=None):
        return metric(self.http, name, labels)

    def wait_scans(self, scan, more=2, timeout=30, since=None):
        """Waits until this service has completed `more` scans of that name (fangpin_scans_total)
        beyond `since` (default: the count now). With more=2, at least one whole scan began after
        this call; since=0, more=1 on a new process: its start-up scan is done."""
        series = f'scan="{scan}"'
        start = self.metric("fangpin_scans_total", series) if since is None else since
        wait_for(lambda: self.metric("fangpin_scans_total", series) >= start + more, timeout,
                 what=f"{more} more {scan} scans of {self.name}")

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


def op_call(svc, key, request_type, reply_type, timeout_ms=20000, **op):
    """One operation of svc called with the client of key: op is {oneof member: {field: value}}
    (e.g. get_report={"name": ...}); returns the reply, failing when none came."""
    req = request_type(request_id="r")
    name, fields = next(iter(op.items()))
    getattr(req, name).SetInParent()
    for f, v in fields.items():
        setattr(getattr(req, name), f, v)
    c = svc.client(key)
    try:
        r = c.call(req, reply_type, timeout_ms)
    finally:
        c.close()
    assert r is not None, "no reply"
    return r


class PrivateCluster:
    """A PostgreSQL cluster of the test's own, for tests that stop and start the server."""

    def __init__(self, tag, opts=""):
        """opts: server settings for pg.sh's PG_OPTS (e.g. "-c wal_level=logical")."""
        self.dir = os.path.join(VAR, f"pg-{tag}")
        self.opts = opts
        subprocess.run([PGSH, "destroy", self.dir], check=True, capture_output=True)
        self.port = free_port()
        _clusters.append(self)
        self.start()
        subprocess.run([PGSH, "roles", self.dir], check=True, capture_output=True)

    def start(self):
        subprocess.run([PGSH, "start", self.dir, str(self.port)], check=True,
                       env=dict(os.environ, PG_FSYNC="off", PG_OPTS=self.opts))

    def stop(self):
        subprocess.run([PGSH, "stop", self.dir], check=True)

    def conninfo(self, db="postgres"):
        return conninfo(db, self.port, self.dir)


def main():
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    print(f"{r.testsRun - len(r.failures) - len(r.errors) - len(r.skipped)} passed, "
          f"{len(r.failures) + len(r.errors)} failed, {len(r.skipped)} skipped")
    sys.exit(0 if r.wasSuccessful() else 1)


# --- Clients that heal after a restart (issue 21; docs/protocol.md, "Clients that heal") -------

def spawn(name, ci, keys, env, wait_ready=True):
    """A service on the endpoints env names (FANGPIN_<NAME>_ENDPOINT and _HTTP, and for reporting
    FANGPIN_REPORTING_PUB), so that it can be started again on the same ones after a kill."""
    s = Service(name, ci, keys, env=env, wait_ready=False)
    U = name.upper()
    s.endpoint = env[f"FANGPIN_{U}_ENDPOINT"]
    s.http = "http://" + env[f"FANGPIN_{U}_HTTP"]
    if wait_ready:
        s.wait_ready()
    return s


def lazy_call(endpoint, server_cert, client_secret_cert, msg, reply_type, timeout_ms=2000, retries=5,
              retry_unavailable=True):
    """The Lazy Pirate client of docs/protocol.md: one request; no reply within timeout_ms and the
    same bytes (the same request id) go again on a new DEALER socket, up to retries more times;
    UNAVAILABLE is retried after a pause too (when retry_unavailable). Returns (reply, attempts,
    codes seen) with reply None when nothing answered."""
    data = msg.SerializeToString()
    codes = []
    for attempt in range(1, retries + 2):
        c = Client(endpoint, server_cert, client_secret_cert)
        try:
            c.send_frames([data])
            frames = c.recv(timeout_ms)
        finally:
            c.close()
        if frames is None:
            continue
        r = reply_type()
        r.ParseFromString(frames[-1])
        codes.append(r.status.code)
        if retry_unavailable and r.status.code == common_pb2.UNAVAILABLE and attempt <= retries:
            time.sleep(0.2)  # the retrying client's back-off, as a real client pauses; not a synchronisation
            continue
        return r, attempt, codes
    return None, retries + 1, codes


class Follower:
    """A dashboard's subscriber to the reporting events, written as docs/protocol.md says (the
    zguide's Clone pattern): a SUB socket with CURVE and ZMTP heartbeats; a HEARTBEAT expected
    every heartbeat_ms, and after MISSED of them in a row a new SUB socket; a Replay (Lazy Pirate)
    after the last position whenever a heartbeat's head or an event's position shows a gap or the
    socket was reopened. Positions are handled once each; how each arrived is recorded."""

    MISSED = 3
    RCVHWM = None  # the SUB socket's receive high-water mark: libzmq's default unless set

    def __init__(self, pub_ep, endpoint, server_cert, client_secret_cert, prefix="", heartbeat_ms=1000,
                 timeout_ms=2000):
        from fangpin.v1 import reporting_pb2
        self.pb = reporting_pb2
        self.pub_ep, self.endpoint, self.prefix = pub_ep, endpoint, prefix
        self.server_cert, self.client_cert = server_cert, client_secret_cert
        self.hb, self.timeout_ms = heartbeat_ms, timeout_ms
        self.ctx = zmq.Context.instance()
        self.sock = None
        self.last = 0               # every position up to here has been handled
        self.handled = []           # positions in the order handled (each once)
        self.live = []              # (time.time(), position) of those that came live
        self.replayed = 0
        self.reopened = 0
        self.replays = 0
        self.seq = 0
        self.heard = time.time()
        self._open()

    def _open(self):
        if self.sock is not None:
            self.sock.close(0)
        s = self.ctx.socket(zmq.SUB)
        s.linger = 0
        if self.RCVHWM is not None:
            s.rcvhwm = self.RCVHWM
        spub, _ = zmq.auth.load_certificate(self.server_cert)
        cpub, csec = zmq.auth.load_certificate(self.client_cert)
        s.curve_serverkey, s.curve_publickey, s.curve_secretkey = spub, cpub, csec
        s.setsockopt(zmq.HEARTBEAT_IVL, self.hb)
        s.setsockopt(zmq.HEARTBEAT_TIMEOUT, self.MISSED * self.hb)
        s.setsockopt(zmq.HEARTBEAT_TTL, self.MISSED * self.hb)
        s.setsockopt(zmq.SUBSCRIBE, self.prefix.encode())
        s.setsockopt(zmq.SUBSCRIBE, b"HEARTBEAT")
        s.connect(self.pub_ep)
        self.sock = s
        self.heard = time.time()

    def _handle(self, ev, how):
        if ev.position <= self.last:
            return
        self.last = ev.position
        self.handled.append(ev.position)
        if how == "live":
            self.live.append((time.time(), ev.position))
        else:
            self.replayed += 1

    def replay(self):
        """Replays after the last position until caught up; False when nothing answered."""
        self.replays += 1
        while True:
            self.seq += 1
            req = self.pb.ReportingRequest(request_id=f"follower-{id(self)}-{self.seq}")
            req.replay.region_prefix = self.prefix
            req.replay.after_position = self.last
            req.replay.limit = 1000
            r, _, _ = lazy_call(self.endpoint, self.server_cert, self.client_cert, req, self.pb.ReportingReply,
                                self.timeout_ms, retries=1)
            if r is None or r.status.code != common_pb2.OK:
                return False
            for ev in r.events.events:
                self._handle(ev, "replay")
            if r.events.next_after > self.last:
                self.last = r.events.next_after
            if len(r.events.events) < 1000:
                return True

    def step(self, timeout_ms=100):
        """Handles what arrives within timeout_ms; reopens the socket after MISSED silent beats."""
        if not self.sock.poll(timeout_ms):
            if time.time() - self.heard > self.MISSED * self.hb / 1000:
                self.reopened += 1
                self._open()
                self.replay()
            return
        frames = self.sock.recv_multipart()
        self.heard = time.time()
        pos = int(frames[1])
        if frames[0] == b"HEARTBEAT":
            if pos > self.last:
                self.replay()
            return
        ev = self.pb.Event()
        ev.ParseFromString(frames[2])
        if pos == self.last + 1:
            self._handle(ev, "live")
        elif pos > self.last + 1:
            self.replay()

    def close(self):
        if self.sock is not None:
            self.sock.close(0)
            self.sock = None


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


# --- Who may read what, and keys revoked one by one (issue 11) -----------------------------------

def http_status(url, token=None, timeout=10):
    """(status, headers) of a GET with token as a bearer token, closed as soon as the headers are in
    (for a stream such as /events, which never ends by itself); (0, {}) when nothing answers."""
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        r = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as e:
        e.read()
        return e.code, dict(e.headers)
    except (urllib.error.URLError, OSError):
        return 0, {}
    status, headers = r.status, dict(r.headers)
    r.close()
    return status, headers


def revoke_without_notify(ci, public_key):
    """Revokes one key as a lost NOTIFY would leave it: session_replication_role = replica keeps the
    curve_keys trigger from sending NOTIFY fangpin_keys, so the services learn of it only at their
    periodic reload (FANGPIN_KEYS_REFRESH_S)."""
    sql(ci, "SET session_replication_role = replica; "
            f"UPDATE curve_keys SET revoked_at = now() WHERE public_key = '{public_key}' AND revoked_at IS NULL")


class KeySub:
    """An event subscriber on a key of its own: SUB with CURVE and a socket monitor (to see the
    service drop it and refuse its handshake), subscribed to topics and then HEARTBEAT."""

    def __init__(self, pub_ep, server_cert, client_secret_cert, topics=("",), heartbeat=True):
        from zmq.utils.monitor import recv_monitor_message
        from fangpin.v1 import reporting_pb2
        self._recv_monitor, self._pb = recv_monitor_message, reporting_pb2
        self.sock = zmq.Context.instance().socket(zmq.SUB)
        self.sock.linger = 0
        spub, _ = zmq.auth.load_certificate(server_cert)
        cpub, csec = zmq.auth.load_certificate(client_secret_cert)
        self.sock.curve_serverkey, self.sock.curve_publickey, self.sock.curve_secretkey = spub, cpub, csec
        for t in topics:
            self.sock.setsockopt(zmq.SUBSCRIBE, t.encode())
        if heartbeat:
            self.sock.setsockopt(zmq.SUBSCRIBE, b"HEARTBEAT")
        self.mon = self.sock.get_monitor_socket()
        self.sock.connect(pub_ep)
        self.events = {}    # position -> Event
        self.beats = []     # positions the heartbeats carried
        self.monitor = []   # monitor event names, in order

    def pump(self, timeout_ms=100):
        """Handles what arrives within timeout_ms (and the monitor's events); True if a frame came."""
        while self.mon.poll(0):
            self.monitor.append(zmq.Event(self._recv_monitor(self.mon)["event"]).name)
        if not self.sock.poll(timeout_ms):
            return False
        f = self.sock.recv_multipart()
        if f[0] == b"HEARTBEAT":
            self.beats.append(int(f[1]))
        else:
            ev = self._pb.Event()
            ev.ParseFromString(f[2])
            self.events[ev.position] = ev
        return True

    def wait_heartbeat(self, at_least=0, timeout=20):
        """Until a heartbeat at or past position at_least: the subscriptions (sent before HEARTBEAT)
        are in force, and every event up to that position this key may see has arrived."""
        def beat():
            n = len(self.beats)
            self.pump(100)
            return any(b >= at_least for b in self.beats[n:])
        wait_for(beat, timeout, 0, what=f"a heartbeat at or past {at_least}")

    def close(self):
        self.sock.disable_monitor()
        self.mon.close(0)
        self.sock.close(0)
