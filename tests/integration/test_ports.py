"""tools/scripts/ports.py, the leases every test port comes from: a port leased by one process is
given to no other until that process dies, never one the kernel hands out as an ephemeral port,
never one another program listens on."""
import os
import socket
import subprocess
import sys
import unittest

import fp
import ports

HOLDER = ("import sys; sys.path.insert(0, sys.argv[1]); import ports; "
          "print(' '.join(map(str, ports.lease(int(sys.argv[2])))), flush=True); sys.stdin.read()")


class Holder:
    """Another process holding n leases until close()."""

    def __init__(self, n):
        self.p = subprocess.Popen([sys.executable, "-c", HOLDER, os.path.dirname(ports.__file__), str(n)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.ports = [int(x) for x in self.p.stdout.readline().split()]

    def close(self):
        self.p.stdin.close()
        self.p.wait(10)


class Ports(unittest.TestCase):
    def test_block_is_below_the_ephemeral_range(self):
        lo, hi = ports.port_range()
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            elo, ehi = (int(x) for x in f.read().split())
        self.assertTrue(hi < elo or lo > ehi, (lo, hi, elo, ehi))
        got = ports.lease(20)
        self.assertTrue(all(lo <= p <= hi for p in got), got)
        self.assertEqual(len(set(got)), 20)

    def test_another_process_is_never_given_a_held_port(self):
        mine = set(ports.lease(50))
        h = Holder(300)
        try:
            self.assertEqual(len(h.ports), 300)
            self.assertFalse(mine & set(h.ports))
            # and while it lives, its ports are not ours to take
            for p in h.ports[:20]:
                self.assertIsNone(ports._try(p, ports._lock_dir()), p)
        finally:
            h.close()
        # its death freed them
        fd = ports._try(h.ports[0], ports._lock_dir())
        self.assertIsNotNone(fd)
        os.close(fd)

    def test_a_port_someone_listens_on_is_skipped(self):
        p = ports.lease()
        ports.release(p)
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", p))
            s.listen()
            self.assertIsNone(ports._try(p, ports._lock_dir()))

    def test_scripts_run_under_a_lease(self):
        out = subprocess.run([sys.executable, ports.__file__, "3", "--", "sh", "-c",
                              'echo "$FP_PORTS|$FP_PORTS_FOR"; ls -l /proc/$$/fd'],
                             capture_output=True, text=True, check=True).stdout
        first, rest = out.split("\n", 1)
        got, owner = first.split("|")
        self.assertEqual(owner, "sh")
        got = [int(x) for x in got.split()]
        self.assertEqual(len(got), 3)
        for p in got:  # the script holds the locks it inherited
            self.assertIn(os.path.join(ports.LOCK_DIR, str(p)), rest)


if __name__ == "__main__":
    fp.main()
