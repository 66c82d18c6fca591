"""`make up` is idempotent on a running stack (issue 21): tools/scripts/up.sh run a second time
while a load runs (events written, temporary tables created and dropped in the live data folder)
succeeds and changes nothing: the same PostgreSQL and service processes, keys, env file and
registered principals. Runs on a FANGPIN_VAR of its own and free ports (FANGPIN_UP_*_PORT)."""
import glob
import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
import threading
import unittest

import fp

UP = os.path.join(fp.SOURCE, "tools", "scripts", "up.sh")
DOWN = os.path.join(fp.SOURCE, "tools", "scripts", "down.sh")


class Load:
    """Writes events and creates and drops temporary tables, from one psql session, until stopped."""

    def __init__(self, ci):
        self.p = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", ci], stdin=subprocess.PIPE,
                                  text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.stop_ev = threading.Event()
        self.rounds = 0
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.stop_ev.wait(0.01):
            self.p.stdin.write("CREATE TEMP TABLE load_t AS SELECT g FROM generate_series(1, 200) g;"
                               " INSERT INTO events (county_code, region_code, type)"
                               " VALUES ('130822', '130822112001', 'lead.accepted'); DROP TABLE load_t;\n")
            self.p.stdin.flush()
            self.rounds += 1

    def stop(self):
        self.stop_ev.set()
        self.t.join()
        self.p.stdin.close()
        err = self.p.stderr.read()
        self.p.stderr.close()
        return self.p.wait(30), err


class Up(unittest.TestCase):
    def snapshot(self, var, ci):
        files = {}
        for path in sorted(glob.glob(os.path.join(var, "keys", "*")) + [os.path.join(var, "fangpin.env"),
                                                                        os.path.join(var, "pg", "port")]):
            with open(path, "rb") as f:
                files[os.path.relpath(path, var)] = (hashlib.sha256(f.read()).hexdigest(), os.stat(path).st_mtime_ns)
        pids = {}
        for path in sorted(glob.glob(os.path.join(var, "run", "*.pid"))):
            with open(path) as f:
                pids[os.path.basename(path)] = f.read().strip()
        with open(os.path.join(fp.pg_cluster(os.path.join(var, "pg")), "data", "postmaster.pid")) as f:
            pids["postgres"] = f.readline().strip()
        rows = fp.sql(ci, "SELECT p.id, p.kind, p.region_code, p.disabled_at IS NULL, k.public_key, k.revoked_at IS NULL,"
                          " k.created_at FROM principals p JOIN curve_keys k ON k.principal_id = p.id ORDER BY k.public_key")
        migrations = fp.sql(ci, "SELECT name, applied_at FROM schema_migrations ORDER BY name")
        return files, pids, rows, migrations

    def up_env(self, **extra):
        env = dict(os.environ, FANGPIN_LOG_LEVEL="info", **extra)
        for svc in fp.SERVICES:
            env[f"FANGPIN_UP_{svc.upper()}_PORT"] = str(fp.free_port())
            env[f"FANGPIN_UP_{svc.upper()}_HTTP_PORT"] = str(fp.free_port())
        for name in ("PUB", "LEADS", "IDENTIFIED"):
            env[f"FANGPIN_UP_{name}_PORT"] = str(fp.free_port())
        return env

    def assert_roles(self, var, pgport):
        """Least privilege (issue 11): each service is connected as its own role, fangpinctl's
        env is fangpin_owner's, which owns the database; none of them is a superuser."""
        ci = fp.conninfo("fangpin", pgport, os.path.join(var, "pg"))
        users = fp.sql(ci, "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = 'fangpin'"
                           " AND backend_type = 'client backend' AND pid <> pg_backend_pid() ORDER BY 1")
        self.assertEqual([u for (u,) in users], sorted(f"fangpin_{s}" for s in fp.SERVICES))
        self.assertEqual(fp.sql(ci, "SELECT rolname, rolcanlogin, rolsuper OR rolcreaterole OR rolcreatedb"
                                    " FROM pg_roles WHERE rolname LIKE 'fangpin%' ORDER BY 1"),
                         sorted((r, "t", "f") for r in fp.ROLES))
        self.assertEqual(fp.sql(ci, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'fangpin'"),
                         [("fangpin_owner",)])
        with open(os.path.join(var, "fangpin.env")) as f:
            self.assertIn(" user=fangpin_owner ", f.read())

    def test_make_up_from_a_clone_under_a_private_folder(self):
        """A clone under a folder of mode 0700 (as /root is): as root, the cluster's user cannot
        reach it, and make up must work without loosening that folder or any above it."""
        top = tempfile.mkdtemp(prefix="private-", dir=fp.VAR)
        os.chmod(top, 0o700)
        modes = {p: stat.S_IMODE(os.stat(p).st_mode) for p in (top, os.path.dirname(top))}
        clone = os.path.join(top, "fangpin")
        shutil.copytree(os.path.join(fp.SOURCE, "tools"), os.path.join(clone, "tools"))
        shutil.copytree(os.path.join(fp.SOURCE, "deploy", "db"), os.path.join(clone, "deploy", "db"))
        env = self.up_env(FANGPIN_PG_PORT=str(fp.free_port()))
        env.pop("FANGPIN_VAR", None)  # the clone's own var/
        var = os.path.join(clone, "var")
        up, down = os.path.join(clone, "tools/scripts/up.sh"), os.path.join(clone, "tools/scripts/down.sh")
        try:
            r = subprocess.run([up, fp.BUILD], env=env, capture_output=True, text=True, timeout=240, cwd=clone)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            for svc in fp.SERVICES:
                st, body = fp.http_get(f"http://127.0.0.1:{env[f'FANGPIN_UP_{svc.upper()}_HTTP_PORT']}/readyz")
                self.assertEqual((st, body), (200, "ready\n"), svc)
            ping = subprocess.run(["bash", "-c", f". {var}/fangpin.env && {fp.BUILD}/fangpinctl ping intake"],
                                  capture_output=True, text=True, timeout=60)
            self.assertEqual(ping.returncode, 0, ping.stdout + ping.stderr)
            for secret in ("fangpin.env", "pg/password", "pg/pgpass") + tuple(f"pg/roles/{r}" for r in fp.ROLES):
                self.assertEqual(stat.S_IMODE(os.stat(os.path.join(var, secret)).st_mode), 0o600, secret)
            self.assert_roles(var, int(env["FANGPIN_PG_PORT"]))
            if os.geteuid() == 0:  # the cluster's files live where its user can reach them
                self.assertTrue(os.path.islink(os.path.join(var, "pg", "cluster")))
        finally:
            d = subprocess.run([down], env=env, capture_output=True, text=True, timeout=120)
            subprocess.run([fp.PGSH, "destroy", os.path.join(var, "pg")], capture_output=True, timeout=120)
        self.assertEqual(d.returncode, 0, d.stdout + d.stderr)
        self.assertEqual({p: stat.S_IMODE(os.stat(p).st_mode) for p in modes}, modes)

    def test_make_up_twice_under_load_changes_nothing(self):
        var = tempfile.mkdtemp(prefix="up-", dir=fp.VAR)
        pgport = fp.free_port()
        env = self.up_env(FANGPIN_VAR=var, FANGPIN_PG_PORT=str(pgport))
        load = None
        try:
            first = subprocess.run([UP, fp.BUILD], env=env, capture_output=True, text=True, timeout=240)
            self.assertEqual(first.returncode, 0, first.stdout + first.stderr)
            self.assertIn(f"HTTP 127.0.0.1:{env['FANGPIN_UP_INTAKE_HTTP_PORT']}", first.stdout)
            ci = fp.conninfo("fangpin", pgport, os.path.join(var, "pg"))
            for svc in fp.SERVICES:
                st, body = fp.http_get(f"http://127.0.0.1:{env[f'FANGPIN_UP_{svc.upper()}_HTTP_PORT']}/readyz")
                self.assertEqual((st, body), (200, "ready\n"), svc)
            load = Load(ci)
            fp.wait_for(lambda: load.rounds >= 20, 20, what="the load running")
            before = self.snapshot(var, ci)
            second = subprocess.run([UP, fp.BUILD], env=env, capture_output=True, text=True, timeout=240)
            self.assertEqual(second.returncode, 0, second.stdout + second.stderr)
            self.assertIn("fangpin is up", second.stdout)
            after = self.snapshot(var, ci)
            self.assertEqual(after, before)
            rounds = load.rounds
            fp.wait_for(lambda: load.rounds >= rounds + 20, 20, what="the load still running after make up")
            rc, err = load.stop()
            load = None
            self.assertEqual((rc, err), (0, ""))
            # the services still answer, through the env file make up wrote
            ping = subprocess.run(["bash", "-c", f". {var}/fangpin.env && {fp.BUILD}/fangpinctl ping reporting"],
                                  capture_output=True, text=True, timeout=60)
            self.assertEqual(ping.returncode, 0, ping.stdout + ping.stderr)
            self.assertIn("you are admin:county-it", ping.stdout)
        finally:
            try:
                if load is not None:
                    load.stop()
            finally:  # whatever happened to the load, stop what make up started
                down = subprocess.run([DOWN], env=env, capture_output=True, text=True, timeout=120)
            self.assertEqual(down.returncode, 0, down.stdout + down.stderr)
        self.assertEqual(glob.glob(os.path.join(var, "run", "*.pid")), [])
        self.assertNotEqual(subprocess.run([fp.PGSH, "status", os.path.join(var, "pg")]).returncode, 0)
        subprocess.run([fp.PGSH, "destroy", os.path.join(var, "pg")], check=True, timeout=120)


if __name__ == "__main__":
    fp.main()
