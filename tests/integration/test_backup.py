"""Backup and restore (issue 12): `make backup` of a running `make up` installation while it
keeps working, then the cluster destroyed and `make restore`: every row committed before the
backup is there and nothing after it, event positions go on from the backup's last one with no
gap and no repeat, a batch pushed before the backup is still answered from its stored results,
the county's data key still matches its people, keys and tokens still work, and the services
come up without manual steps."""
import os
import shutil
import subprocess
import tempfile
import unittest

import fp
from fangpin.v1 import common_pb2, intake_pb2
from test_intake import TODAY, id_number, lead

Code = common_pb2.Code
V = "130822112201"
SCRIPTS = os.path.join(fp.SOURCE, "tools", "scripts")


class Backup(unittest.TestCase):
    def setUp(self):
        self.var = tempfile.mkdtemp(prefix="backup-", dir=fp.VAR)
        self.env = dict(os.environ, FANGPIN_VAR=self.var, FANGPIN_PG_PORT=str(fp.free_port()), FANGPIN_LOG_LEVEL="info",
                        FANGPIN_TODAY=TODAY)
        for svc in fp.SERVICES:
            self.env[f"FANGPIN_UP_{svc.upper()}_PORT"] = str(fp.free_port())
            self.env[f"FANGPIN_UP_{svc.upper()}_HTTP_PORT"] = str(fp.free_port())
        for name in ("PUB", "LEADS", "IDENTIFIED"):
            self.env[f"FANGPIN_UP_{name}_PORT"] = str(fp.free_port())

    def tearDown(self):
        self.run_script("down.sh", check=False)
        subprocess.run([fp.PGSH, "destroy", os.path.join(self.var, "pg")], capture_output=True, timeout=120)

    def run_script(self, name, *args, check=True):
        r = subprocess.run([os.path.join(SCRIPTS, name)] + list(args), env=self.env, capture_output=True, text=True,
                           timeout=300, cwd=fp.SOURCE)
        if check:
            self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-3000:])
        return r

    def ci(self):
        return fp.conninfo("fangpin", pgdir=os.path.join(self.var, "pg"))

    def push(self, batch, leads):
        keys = os.path.join(self.var, "keys")
        c = fp.Client(f"tcp://127.0.0.1:{self.env['FANGPIN_UP_INTAKE_PORT']}", os.path.join(keys, "intake.key"),
                      os.path.join(keys, "dept-yibao.key_secret"))
        try:
            req = intake_pb2.IntakeRequest(request_id=f"r-{batch}")
            req.submit_leads.batch_id = batch
            req.submit_leads.period = "2026-10"
            req.submit_leads.leads.extend(leads)
            return c.call(req, intake_pb2.IntakeReply, 30000)
        finally:
            c.close()

    def published(self):
        """Waits until the relay has numbered every event; returns the last position."""
        ci = self.ci()
        fp.wait_for(lambda: fp.sql(ci, "SELECT count(*) FROM events_pending") == [("0",)], 30,
                    what="the relay numbering every event")
        return int(fp.sql(ci, "SELECT coalesce(max(position), 0) FROM event_positions")[0][0])

    def positions_gapless(self):
        return fp.sql(self.ci(), "SELECT count(*) = max(position) AND count(DISTINCT position) = count(*)"
                                 " FROM event_positions") == [("t",)]

    def test_backup_while_working_then_restore_into_a_new_cluster(self):
        self.run_script("up.sh", fp.BUILD)
        ci = self.ci()
        fp.ctl(["regions", "import"] + fp.FIXTURE_130822, ci)
        people = [id_number(seq=900 + i) for i in range(20)]
        first = self.push("before", [lead(idn=p, village=V, ref=str(i)) for i, p in enumerate(people)])
        self.assertEqual(first.batch.accepted, 20)
        token = fp.token(ci, "actor:130822:county")
        at_backup = self.published()
        stream = ("SELECT p.position, e.type, e.payload::text FROM event_positions p JOIN events e ON e.id = p.event_id"
                  " WHERE p.position <= %d ORDER BY p.position" % at_backup)
        before_events = fp.sql(ci, stream)

        backup = os.path.join(self.var, "backups", "one")
        out = self.run_script("backup.sh", backup)
        self.assertIn("backup written", out.stdout)
        for f in ("fangpin.dump", "roles.sql", "keys/data.key", "keys/intake.key_secret", "MANIFEST"):
            self.assertTrue(os.path.exists(os.path.join(backup, f)), f)
        with open(os.path.join(backup, "MANIFEST")) as f:
            manifest = f.read()
        backed_up = int(manifest.split("last_event_position: ")[1].split()[0])
        self.assertGreaterEqual(backed_up, at_backup)
        with open(os.path.join(backup, "roles.sql")) as f:
            self.assertNotIn("ROLE postgres", f.read())

        # keep working after the backup: this is what the restore loses
        after = self.push("after", [lead(idn=id_number(seq=950), village=V, ref="x")])
        self.assertEqual(after.batch.accepted, 1)
        self.assertGreater(self.published(), at_backup)

        # a damaged backup is refused before anything is touched
        damaged = os.path.join(self.var, "backups", "damaged")
        shutil.copytree(backup, damaged)
        with open(os.path.join(damaged, "MANIFEST"), "a") as f:
            f.write("tampered\n")
        bad = self.run_script("restore.sh", fp.BUILD, damaged, check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("damaged", bad.stderr)
        self.assertEqual(fp.sql(ci, "SELECT count(*) FROM leads"), [("21",)])

        # the disaster, then the restore
        self.run_script("down.sh")
        subprocess.run([fp.PGSH, "destroy", os.path.join(self.var, "pg")], check=True, capture_output=True, timeout=120)
        shutil.rmtree(os.path.join(self.var, "keys"))
        out = self.run_script("restore.sh", fp.BUILD, backup)
        self.assertIn(f"the last event position is {backed_up}", out.stdout)
        ci = self.ci()
        for svc in fp.SERVICES:  # up without manual steps
            st, body = fp.http_get(f"http://127.0.0.1:{self.env[f'FANGPIN_UP_{svc.upper()}_HTTP_PORT']}/readyz")
            self.assertEqual((st, body), (200, "ready\n"), svc)

        # everything before the backup, nothing after it
        self.assertEqual(fp.sql(ci, "SELECT batch_id, count(*) FROM leads GROUP BY 1"), [("before", "20")])
        # the stream as it was published before the backup, unchanged; what the services wrote
        # since the restore (their scans) numbered after it
        self.assertEqual(fp.sql(ci, stream), before_events)
        self.assertTrue(self.positions_gapless())
        # the same batch again is answered from its stored results; the same people match
        again = self.push("before", [lead(idn=p, village=V, ref=str(i)) for i, p in enumerate(people)])
        self.assertTrue(again.batch.replayed)
        self.assertEqual([r.id for r in again.results], [r.id for r in first.results])
        more = self.push("later", [lead(idn=people[0], village=V, ref="0"), lead(idn=id_number(seq=960), village=V)])
        self.assertEqual([(r.code, r.reason) for r in more.results],
                         [(Code.DUPLICATE, "duplicate.earlier"), (Code.OK, "")])
        self.assertEqual(more.results[0].duplicate_of, first.results[0].id)
        # new events go on from the backup's last position: no gap, no repeat
        self.assertGreater(self.published(), at_backup)
        self.assertTrue(self.positions_gapless())
        # the keys (CURVE, above) and the token still work
        url = (f"http://127.0.0.1:{self.env['FANGPIN_UP_REPORTING_HTTP_PORT']}/reports/lead_verification_monthly"
               f"?region=130822&period=2026-10&format=csv")
        self.assertEqual(fp.http_get(url, token=token)[0], 200)
        self.assertEqual(fp.http_get(url)[0], 401)


if __name__ == "__main__":
    fp.main()
