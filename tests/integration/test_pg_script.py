"""tools/scripts/pg.sh, the private PostgreSQL of make up, the tests and the benchmarks: safe by
default (scram-sha-256 with a generated password, 127.0.0.1 only), from a clone anywhere (a
folder of mode 0700 above it, as /root is, keeps its mode), idempotent on a running cluster,
and a trust cluster of an earlier fangpin keeps its data when it is secured."""
import os
import stat
import subprocess
import tempfile
import unittest

import fp


def pgsh(*args, check=True):
    p = subprocess.run([fp.PGSH] + list(args), capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"pg.sh {' '.join(args)} exited {p.returncode}: {p.stdout}{p.stderr}")
    return p


def psql(ci, q, check=True, env=None):
    p = subprocess.run(["psql", "-X", "-tA", "-w", ci, "-c", q], capture_output=True, text=True,
                       env=dict(os.environ, **(env or {})))
    if check and p.returncode != 0:
        raise AssertionError(f"psql: {p.stderr}")
    return p


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


class PgScript(unittest.TestCase):
    def test_clone_under_a_private_folder(self):
        # as root, the cluster's user (fangpin) cannot reach a folder under a 0700 one
        top = tempfile.mkdtemp(prefix="locked-", dir=fp.VAR)
        os.chmod(top, 0o700)
        before = {p: mode(p) for p in (top, os.path.dirname(top))}
        d = os.path.join(top, "clone", "var", "pg")
        port = fp.free_port()
        try:
            pgsh("start", d, str(port))
            ci = pgsh("conninfo", d, "postgres").stdout.strip()
            self.assertEqual(psql(ci, "SELECT current_setting('listen_addresses')").stdout.strip(), "127.0.0.1")
            self.assertEqual(psql(ci, "SELECT count(*) FROM pg_hba_file_rules WHERE auth_method <> 'scram-sha-256'")
                             .stdout.strip(), "0")
            # idempotent: a second start of a running cluster changes nothing
            pgsh("start", d, str(port))
            self.assertEqual(psql(ci, "SELECT 1").stdout.strip(), "1")
            if os.geteuid() == 0:
                self.assertTrue(os.path.islink(os.path.join(d, "cluster")), os.listdir(d))
            self.assertEqual(mode(os.path.join(d, "password")), 0o600)
            self.assertEqual(mode(os.path.join(d, "pgpass")), 0o600)
            # no password, no connection: not even from this machine
            nopw = f"host=127.0.0.1 port={port} dbname=postgres user=postgres"
            r = psql(nopw, "SELECT 1", check=False, env={"PGPASSFILE": "/dev/null"})
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("password", r.stderr)
            # restarted, it keeps its data
            psql(ci, "CREATE TABLE kept AS SELECT 42 AS x")
            pgsh("stop", d)
            self.assertNotEqual(pgsh("status", d, check=False).returncode, 0)
            pgsh("start", d, str(port))
            self.assertEqual(psql(ci, "SELECT x FROM kept").stdout.strip(), "42")
        finally:
            cluster = os.path.join(d, "cluster")
            ext = os.readlink(cluster) if os.path.islink(cluster) else None
            pgsh("destroy", d, check=False)
        self.assertEqual({p: mode(p) for p in before}, before)  # no folder outside the clone loosened
        self.assertFalse(os.path.exists(d))
        if ext:
            self.assertFalse(os.path.exists(ext), "destroy leaves the cluster's own folder")

    def test_trust_cluster_of_an_earlier_fangpin_is_secured_with_its_data(self):
        d = tempfile.mkdtemp(prefix="oldpg-", dir=fp.VAR)
        port = fp.free_port()
        try:
            pgsh("start", d, str(port))
            ci = pgsh("conninfo", d, "postgres").stdout.strip()
            psql(ci, "CREATE TABLE kept AS SELECT 7 AS x")
            # as an earlier pg.sh left it: trust in pg_hba.conf, no password file
            hba = psql(ci, "SHOW hba_file").stdout.strip()
            pgsh("stop", d)
            subprocess.run(["sed", "-i", "-E", r"s/scram-sha-256$/trust/", hba], check=True)
            os.remove(os.path.join(d, "password"))
            pgsh("start", d, str(port))
            ci = pgsh("conninfo", d, "postgres").stdout.strip()
            self.assertEqual(psql(ci, "SELECT x FROM kept").stdout.strip(), "7")
            self.assertEqual(psql(ci, "SELECT count(*) FROM pg_hba_file_rules WHERE auth_method = 'trust'")
                             .stdout.strip(), "0")
            r = psql(f"host=127.0.0.1 port={port} dbname=postgres user=postgres", "SELECT 1", check=False,
                     env={"PGPASSFILE": "/dev/null"})
            self.assertNotEqual(r.returncode, 0)
        finally:
            pgsh("destroy", d, check=False)


if __name__ == "__main__":
    fp.main()
