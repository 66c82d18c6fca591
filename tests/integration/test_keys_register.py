"""Who may read what (issue 11, part): `fangpinctl keys register` refuses a level that does not
match the region's length (a "village" actor with a county code would read the whole county),
and brings a revoked key back only with --force."""
import unittest

import fp


class KeysRegister(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("it_keys_register")
        cls.keys = fp.Keys(cls.ci, ("v", "t", "old"))

    def register(self, name, pid, level, region, *more):
        return fp.ctl(["keys", "register", "--id", pid, "--kind", "actor", "--name", pid, "--region", region,
                       "--level", level, "--key", self.keys.path(name)] + list(more), self.ci, check=False)

    def principals(self, pid):
        return fp.sql(self.ci, f"SELECT level, region_code FROM principals WHERE id = '{pid}'")

    def test_level_must_match_the_region(self):
        for level, region in (("village", "130822"), ("township", "130822112001"), ("county", "130822112"),
                              ("village", "13082211200X"), ("chief", "130822")):
            with self.subTest(level=level, region=region):
                p = self.register("v", f"actor:{region}:x", level, region)
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertIn("--region" if level != "chief" else "--level", p.stderr)
                self.assertEqual(self.principals(f"actor:{region}:x"), [])
        p = self.register("v", "actor:130822112001:li", "village", "130822112001")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.register("t", "actor:130822112:wang", "township", "130822112")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.principals("actor:130822112:wang"), [("township", "130822112")])

    def test_a_revoked_key_needs_force(self):
        self.assertEqual(self.register("old", "actor:130822:old", "county", "130822").returncode, 0)
        fp.ctl(["keys", "revoke", "--key", self.keys.path("old")], self.ci)
        revoked = "SELECT revoked_at IS NOT NULL FROM curve_keys WHERE principal_id = 'actor:130822:old'"
        self.assertEqual(fp.sql(self.ci, revoked), [("t",)])
        p = self.register("old", "actor:130822:old", "county", "130822")
        self.assertEqual(p.returncode, 1)
        self.assertIn("revoked", p.stderr)
        self.assertIn("--force", p.stderr)
        self.assertEqual(fp.sql(self.ci, revoked), [("t",)])
        p = self.register("old", "actor:130822:old", "county", "130822", "--force")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(fp.sql(self.ci, revoked), [("f",)])


if __name__ == "__main__":
    fp.main()
