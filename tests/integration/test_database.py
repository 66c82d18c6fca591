"""Services against a database that is down at start, goes away mid-run and comes back, and a
schema migrated by several services starting at once. Uses a PostgreSQL cluster of its own."""
import os
import re
import threading
import unittest

import fp
from fangpin.v1 import common_pb2, intake_pb2


def ping(svc, key="admin"):
    c = svc.client(key)
    try:
        req = intake_pb2.IntakeRequest(request_id="p")
        req.ping.SetInParent()
        return c.call(req, intake_pb2.IntakeReply, timeout_ms=3000)
    finally:
        c.close()


class Database(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = fp.PrivateCluster("dbdown")
        fp.sql(cls.pg.conninfo(), "CREATE DATABASE fangpin")
        cls.ci = cls.pg.conninfo("fangpin")
        cls.keys = fp.Keys(cls.ci)
        cls.keys.register("admin", "admin:county-it")

    @classmethod
    def tearDownClass(cls):
        cls.pg.stop()

    def test_down_at_start_then_up(self):
        self.pg.stop()
        try:
            s = fp.Service("intake", self.ci, self.keys, wait_ready=False)
            fp.wait_for(lambda: fp.http_get(s.http + "/healthz")[0] == 200, 10, what="healthz")
            status, body = fp.http_get(s.http + "/readyz")
            self.assertEqual(status, 503)
            self.assertIn("database unreachable", body)
            self.assertIsNone(s.proc.poll())
        finally:
            self.pg.start()
        s.wait_ready(30)
        r = ping(s)
        self.assertEqual((r.status.code, r.pong.db_ready), (common_pb2.OK, True))
        self.assertEqual(s.stop(), 0)

    def test_lost_mid_run_then_recovers(self):
        s = fp.Service("intake", self.ci, self.keys)
        self.assertTrue(ping(s).pong.db_ready)
        self.pg.stop()
        try:
            fp.wait_for(lambda: fp.http_get(s.http + "/readyz")[0] == 503, 15, what="not ready")
            r = ping(s)  # keys stay cached: the service answers, and says it is not ready
            self.assertEqual(r.status.code, common_pb2.OK)
            self.assertFalse(r.pong.db_ready)
            self.assertIsNone(s.proc.poll())
        finally:
            self.pg.start()
        fp.wait_for(lambda: fp.http_get(s.http + "/readyz")[0] == 200, 30, what="ready again")
        self.assertTrue(ping(s).pong.db_ready)
        body = fp.http_get(s.http + "/metrics")[1]
        m = re.search(r'(?m)^fangpin_db_reconnects_total\{service="intake"\} (\d+)$', body)
        self.assertGreaterEqual(int(m.group(1)), 1)
        self.assertIn("database connection lost", s.log())
        self.assertEqual(s.stop(), 0)

    def test_concurrent_start_migrates_once(self):
        ci = self.pg.conninfo("fresh")
        fp.sql(self.pg.conninfo(), "DROP DATABASE IF EXISTS fresh WITH (FORCE)")
        fp.sql(self.pg.conninfo(), "CREATE DATABASE fresh")
        keys = fp.Keys(ci)  # keys make writes files only; the schema is not there yet
        svcs = []
        threads = [threading.Thread(target=lambda n=n: svcs.append(fp.Service(n, ci, keys, wait_ready=False)))
                   for n in fp.SERVICES]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        try:
            # schema appears; nobody is ready until a key cache loads (it does: empty is loaded)
            for s in svcs:
                s.wait_ready(30)
            rows = fp.sql(ci, "SELECT name, count(*) FROM schema_migrations GROUP BY name ORDER BY name")
            files = sorted(f for f in os.listdir(os.path.join(fp.SOURCE, "deploy/db/migrations")) if f.endswith(".sql"))
            self.assertEqual(rows, [(f, "1") for f in files])
            applied = sum(r["msg"] == "migration applied" for s in svcs for r in s.log_records())
            self.assertEqual(applied, len(files))
            self.assertEqual(fp.sql(ci, "SELECT count(*) FROM policy_params WHERE name = 'monitoring_line_yuan'"),
                             [("5",)])
        finally:
            for s in svcs:
                s.stop()

    def test_wait_for_schema_when_not_migrating(self):
        ci = self.pg.conninfo("waits")
        fp.sql(self.pg.conninfo(), "DROP DATABASE IF EXISTS waits WITH (FORCE)")
        fp.sql(self.pg.conninfo(), "CREATE DATABASE waits")
        s = fp.Service("reporting", ci, self.keys, env={"FANGPIN_MIGRATE": "false"}, wait_ready=False)
        try:
            fp.wait_for(lambda: "waiting for the schema" in s.log(), 15, what="waiting log")
            self.assertEqual(fp.http_get(s.http + "/readyz")[0], 503)
            fp.ctl(["migrate"], ci)
            s.wait_ready(30)
        finally:
            s.stop()


if __name__ == "__main__":
    fp.main()
