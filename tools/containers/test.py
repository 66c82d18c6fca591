#!/usr/bin/python3
"""`make containers-test`: the real docker-compose.yml, run by Debian's docker-compose against
podman's Docker-compatible socket on this machine (after `make containers`).

The stack runs from a variant of docker-compose.yml that changes only what this machine needs:
host networking instead of bridges (no `ports:`), the service hostnames (postgres, intake,
screening) as 127.0.0.1, and every port moved to one leased for this run, so that a `make up`
stack on the same machine is not in the way. Everything else (images, environment, health checks,
depends_on, volumes, the init script) is the file's own.

It brings the stack up, waits until every service is healthy (running the health checks itself:
no systemd here), registers an admin key, pings the four services over CURVE from the host with
fangpinctl, stops PostgreSQL and sees every /readyz answer 503, starts it again and sees them
ready without any container restarting, then takes the stack down with its volumes. Prints each
step with its time; exits non-zero on the first failure."""
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import yaml

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("FANGPIN_BUILD", os.path.join(TOP, "build"))
CDIR = os.environ.get("FANGPIN_CONTAINERS_DIR", os.path.join(TOP, "var", "containers"))
PROJECT = "fangpin-ctest"
T0 = time.time()
PORTS = {5432: "pg", 7101: "intake", 7102: "screening", 7103: "assistance", 7104: "reporting", 7105: "pub",
         7110: "leads", 7111: "identified", 8101: "intake-http", 8102: "screening-http", 8103: "assistance-http",
         8104: "reporting-http"}
SERVICES = ("intake", "screening", "assistance", "reporting")


def say(msg):
    print(f"[{time.time() - T0:6.1f} s] {msg}", flush=True)


def fail(msg):
    say("FAILED: " + msg)
    sys.exit(1)


def run(args, check=True, **kw):
    p = subprocess.run(args, capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        fail(f"{' '.join(args[:4])}... exited {p.returncode}\n{p.stdout[-2000:]}{p.stderr[-2000:]}")
    return p


def wait(pred, timeout, what, every=1.0):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(every)  # polling another process's state: there is no event to wait on
    fail(f"timed out after {timeout} s waiting for {what}")


def leased_ports(n):
    """n ports leased from tools/scripts/ports.py for this process's life."""
    sys.path.insert(0, os.path.join(TOP, "tools", "scripts"))
    import ports
    got = ports.lease(n)
    return got if isinstance(got, list) else [got]


def variant(remap):
    """docker-compose.yml as this machine can run it (see the module's docstring)."""
    with open(os.path.join(TOP, "docker-compose.yml")) as f:
        doc = yaml.safe_load(f)
    for name, svc in doc["services"].items():
        svc.pop("ports", None)
        svc.pop("build", None)
        svc["network_mode"] = "host"
        if name == "postgres":
            svc.setdefault("environment", {})["PGPORT"] = str(remap[5432])
        for i, v in enumerate(svc.get("volumes", [])):  # bind mounts relative to the project
            if isinstance(v, str) and v.startswith("./"):
                svc["volumes"][i] = os.path.join(TOP, v[2:])
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    text = re.sub(r"\bhost=postgres\b", "host=127.0.0.1", text)
    text = re.sub(r"tcp://(intake|screening|reporting):", "tcp://127.0.0.1:", text)
    for old, new in remap.items():
        text = re.sub(rf"(?<=[:=]){old}\b", str(new), text)
    return text


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


class Podman:
    """podman's Docker-compatible socket, for docker-compose."""

    def __init__(self):
        self.sock = os.path.join(CDIR, "podman.sock")
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.log = open(os.path.join(CDIR, "podman-service.log"), "w")
        self.p = subprocess.Popen(["podman", "system", "service", "--time=0", f"unix://{self.sock}"],
                                  stdout=self.log, stderr=subprocess.STDOUT)
        wait(lambda: os.path.exists(self.sock), 30, "podman's socket")

    def stop(self):
        self.p.terminate()
        self.p.wait(30)
        self.log.close()


def containers():
    """{compose service name: container id} of the project's containers."""
    out = run(["podman", "ps", "-a", "--filter", f"label=com.docker.compose.project={PROJECT}", "--format", "json"]).stdout
    return {c["Labels"]["com.docker.compose.service"]: c["Id"] for c in json.loads(out or "[]")}


def state(cid):
    return json.loads(run(["podman", "inspect", cid]).stdout)[0]["State"]


def healthy(cid):
    s = state(cid)
    if not s.get("Running"):
        return False
    if run(["podman", "healthcheck", "run", cid], check=False).returncode != 0:
        return False
    h = s.get("Health") or s.get("Healthcheck") or {}
    return h.get("Status", "healthy") in ("healthy", "starting")


def main():
    os.makedirs(CDIR, exist_ok=True)
    os.environ["CONTAINERS_CONF"] = os.path.join(CDIR, "containers.conf")
    for img in ("postgres:15", "fangpin/intake:latest", "fangpin/screening:latest", "fangpin/assistance:latest",
                "fangpin/reporting:latest"):
        if run(["podman", "image", "exists", img], check=False).returncode != 0:
            fail(f"no image {img}: run make containers first")
    remap = dict(zip(PORTS, leased_ports(len(PORTS))))
    compose = os.path.join(CDIR, "compose-host.yml")
    with open(compose, "w") as f:
        f.write(variant(remap))
    env = dict(os.environ, COMPOSE_HTTP_TIMEOUT="300")
    for v in ("", "_OWNER", "_INTAKE", "_SCREENING", "_ASSISTANCE", "_REPORTING"):
        env[f"FANGPIN_DB{v}_PASSWORD"] = secrets.token_hex(16)
    podman = Podman()
    env["DOCKER_HOST"] = f"unix://{podman.sock}"
    dc = ["docker-compose", "-p", PROJECT, "-f", compose]
    try:
        run(dc + ["down", "-v", "--remove-orphans"], env=env, check=False)
        say(f"compose up ({compose})")
        up = subprocess.Popen(dc + ["up", "-d", "--no-build"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        out = []
        reader = threading.Thread(target=lambda: out.extend(up.stdout), daemon=True)
        reader.start()

        def all_healthy():
            # depends_on waits for health that nobody runs here: run the checks while up waits
            cs = containers()
            for name, cid in cs.items():
                if name not in ("keys", "migrate"):
                    healthy(cid)
            return up.poll() is not None and all(n in cs and healthy(cs[n]) for n in ("postgres",) + SERVICES)

        wait(all_healthy, 300, "every container healthy", every=2)
        reader.join(10)
        if up.returncode != 0:
            fail("docker-compose up: " + "".join(out)[-3000:])
        say("all healthy: " + ", ".join(sorted(containers())))
        http = {s: f"http://127.0.0.1:{remap[8101 + i]}" for i, s in enumerate(SERVICES)}
        wait(lambda: all(http_status(f"{u}/readyz") == 200 for u in http.values()), 120, "every /readyz 200")
        say("every service ready")
        ping(remap, env)
        cs = containers()
        started = {s: state(cs[s])["StartedAt"] for s in SERVICES}
        run(["podman", "stop", "-t", "30", cs["postgres"]])
        say("PostgreSQL stopped")
        wait(lambda: all(http_status(f"{u}/readyz") == 503 for u in http.values()), 60, "every /readyz 503")
        say("every /readyz 503 while the database is away")
        run(["podman", "start", cs["postgres"]])
        wait(lambda: healthy(cs["postgres"]), 120, "PostgreSQL healthy again", every=2)
        wait(lambda: all(http_status(f"{u}/readyz") == 200 for u in http.values()), 120, "every /readyz 200 again")
        after = {s: state(cs[s])["StartedAt"] for s in SERVICES}
        if after != started:
            fail(f"a service container restarted: {started} -> {after}")
        say("ready again, no container restarted")
        ping(remap, env)
    except SystemExit:
        for name, cid in sorted(containers().items()):  # what each container said, for the failure
            logs = run(["podman", "logs", "--tail", "15", cid], check=False)
            say(f"--- {name} ({state(cid).get('Status')}):\n{logs.stdout}{logs.stderr}")
        raise
    finally:
        run(dc + ["down", "-v", "--remove-orphans"], env=env, check=False)
        left = containers()
        for cid in left.values():
            run(["podman", "rm", "-f", cid], check=False)
        podman.stop()
        say("stack down")
    say("containers-test passed")


def ping(remap, db_env):
    """An admin key registered with the stack's owner role, then fangpinctl ping of each service
    over CURVE from the host, with the servers' public keys copied out of their containers."""
    keys = tempfile.mkdtemp(prefix="ctest-keys-", dir=CDIR)
    cs = containers()
    for s in SERVICES:
        run(["podman", "cp", f"{cs[s]}:/var/lib/fangpin/keys/{s}.key", os.path.join(keys, f"{s}.key")])
    ctl = os.path.join(BUILD, "fangpinctl")
    env = dict(os.environ, FANGPIN_KEYS_DIR=keys, FANGPIN_CLIENT_CERT=os.path.join(keys, "admin.key_secret"),
               FANGPIN_PG=f"host=127.0.0.1 port={remap[5432]} dbname=fangpin user=fangpin_owner "
                          f"password={db_env['FANGPIN_DB_OWNER_PASSWORD']}")
    for i, s in enumerate(SERVICES):
        env[f"FANGPIN_{s.upper()}_CONNECT"] = f"tcp://127.0.0.1:{remap[7101 + i]}"
    if not os.path.exists(os.path.join(keys, "admin.key_secret")):
        run([ctl, "keys", "make", "--dir", keys, "admin"], env=env)
    run([ctl, "keys", "register", "--id", "admin:ctest", "--kind", "admin", "--name", "containers-test",
         "--region", "130822", "--key", os.path.join(keys, "admin.key")], env=env)
    for s in SERVICES:
        out = run([ctl, "ping", s], env=env).stdout.strip().splitlines()
        say(f"ping {s} over CURVE: {out[0] if out else ''}")


if __name__ == "__main__":
    main()
