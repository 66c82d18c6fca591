"""A service started by root runs as an unprivileged user (FANGPIN_RUN_AS, default fangpin):
it reads its certificate as root, then gives root up for good before it listens or connects."""
import os
import pwd
import subprocess
import unittest

import fp
from fangpin.v1 import common_pb2, intake_pb2


def ids(pid):
    with open(f"/proc/{pid}/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    return [int(x) for x in status["Uid"].split()], [int(x) for x in status["Gid"].split()]


@unittest.skipUnless(os.geteuid() == 0, "only a service started by root gives root up")
class RunAs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.fresh_db("it_privdrop")
        fp.ctl(["migrate"], cls.ci)
        cls.keys = fp.Keys(cls.ci)
        cls.keys.register("admin", "admin:county-it")
        os.chmod(cls.keys.path("intake", secret=True), 0o600)  # readable by root only

    def test_root_becomes_the_unprivileged_user(self):
        svc = fp.Service("intake", self.ci, self.keys)
        try:
            user = pwd.getpwnam("fangpin")
            uids, gids = ids(svc.proc.pid)
            self.assertEqual(uids, [user.pw_uid] * 4)  # real, effective, saved, filesystem
            self.assertEqual(gids, [user.pw_gid] * 4)
            c = svc.client("admin")
            try:  # it answers, with the certificate it read as root
                req = intake_pb2.IntakeRequest(request_id="p")
                req.ping.note = "who"
                r = c.call(req, intake_pb2.IntakeReply, 20000)
                self.assertEqual(r.status.code, common_pb2.OK)
                self.assertEqual(r.pong.principal, "admin:county-it")
            finally:
                c.close()
            self.assertIn("now running as an unprivileged user", svc.log())
        finally:
            self.assertEqual(svc.stop(), 0)

    def test_no_such_user_or_root_stops_it(self):
        for user, msg in (("no-such-fangpin-user", "the user to run as does not exist"),
                          ("root", "a service never runs as root")):
            with self.subTest(user):
                svc = fp.Service("intake", self.ci, self.keys, env={"FANGPIN_RUN_AS": user}, wait_ready=False)
                self.assertEqual(svc.proc.wait(30), 1)
                self.assertIn(msg, svc.log())
                svc.stop()


if __name__ == "__main__":
    fp.main()
