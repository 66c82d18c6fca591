"""Faults under load, the short version of `make chaos` (tools/chaos/chaos.py, issue 12): the four
services on a private PostgreSQL under a mixed load at a low rate (leads from three departments,
a cadre's case steps and plan changes, two event subscribers, a report reader); each service is
killed with SIGKILL once and PostgreSQL restarted once fast and once immediate, in an order and at
moments drawn from a seeded RNG (the seed is printed). Only the invariants are asserted: every
acknowledged lead, case step and plan change stored exactly once; every retried or resent request
applied once; each subscriber holding every event once, in order, with no gap; every service
exiting 0 on SIGTERM; no process left behind. Nothing about time or throughput."""
import os
import random
import sys
import unittest

import fp

sys.path.insert(0, os.path.join(fp.SOURCE, "tools", "chaos"))
import chaos  # noqa: E402


class Chaos(unittest.TestCase):
    def test_every_fault_once_under_load_loses_nothing(self):
        seed = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(1, 2 ** 31))
        fig, injected, failures = chaos.run_chaos(40, 40, seed, rounds=1, gap=(2.0, 6.0), tag="it-chaos")
        chaos.print_chaos(fig, injected, failures, seed)
        self.assertEqual(sorted(f for _, f, _ in injected), sorted(chaos.FAULTS))
        self.assertGreater(fig["leads acknowledged"], 0)
        self.assertGreater(fig["case steps acknowledged"], 0)
        self.assertGreater(fig["plan changes acknowledged"], 0)
        self.assertEqual(failures, [], f"seed {seed}")

    def test_rolling_restart_under_load_loses_nothing(self):
        """Each service stopped with SIGTERM and started again, one after another, under the load:
        each exits 0, and the same checks as above hold."""
        seed = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(1, 2 ** 31))
        fig, injected, failures = chaos.run_chaos(20, 40, seed, rounds=1, gap=(1.0, 3.0), tag="it-rolling",
                                                  faults=chaos.ROLLING, shuffle=False)
        chaos.print_chaos(fig, injected, failures, seed)
        self.assertEqual([f for _, f, _ in injected], list(chaos.ROLLING))
        self.assertGreater(fig["leads acknowledged"], 0)
        self.assertGreater(fig["case steps acknowledged"], 0)
        self.assertEqual(failures, [], f"seed {seed}")


if __name__ == "__main__":
    fp.main()
