"""ID numbers at rest (issue 11): after `make demo` (tools/scripts/up.sh and demo.sh, on leased
ports and a private var/) no text column of any table holds anything shaped like an ID number;
each lead's number is there sealed, opens with the county's data key, and no bytea column holds
its characters. (Its own file: the demo takes a few minutes of its own.)"""
import os
import subprocess
import tempfile
import unittest

import fp
from test_intake import TODAY
from test_sealed_ids import ids_in_clear, text_columns


class SealedDemo(unittest.TestCase):
    def test_make_demo_leaves_no_id_number_in_clear(self):
        var = tempfile.mkdtemp(prefix="sealed-demo-", dir=fp.VAR)
        env = dict(os.environ, FANGPIN_VAR=var, FANGPIN_PG_PORT=str(fp.free_port()), FANGPIN_LOG_LEVEL="info",
                   FANGPIN_TODAY=TODAY, FANGPIN_REPORTING_DEADLINES_FROM="2026-10")
        for svc in fp.SERVICES:
            env[f"FANGPIN_UP_{svc.upper()}_PORT"] = str(fp.free_port())
            env[f"FANGPIN_UP_{svc.upper()}_HTTP_PORT"] = str(fp.free_port())
        for name in ("PUB", "LEADS", "IDENTIFIED"):
            env[f"FANGPIN_UP_{name}_PORT"] = str(fp.free_port())
        scripts = os.path.join(fp.SOURCE, "tools", "scripts")
        try:
            r = subprocess.run([os.path.join(scripts, "up.sh"), fp.BUILD], env=env, capture_output=True, text=True,
                               timeout=300, cwd=fp.SOURCE)
            self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-3000:])
            r = subprocess.run([os.path.join(scripts, "demo.sh"), fp.BUILD], env=env, capture_output=True,
                               text=True, timeout=600, cwd=fp.SOURCE)
            self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-3000:])
            ci = fp.conninfo("fangpin", pgdir=os.path.join(var, "pg"))
            # the demo did its work: leads, ledger members, cases
            leads, members = fp.sql(ci, "SELECT (SELECT count(*) FROM leads), (SELECT count(*) FROM ledger_members)")[0]
            self.assertGreater(int(leads), 50)
            self.assertGreater(int(members), 1000)
            self.assertGreater(len(text_columns(ci)), 100)
            self.assertEqual(ids_in_clear(ci), [])
            # each lead's number is there sealed, and opens with the county's key
            key = os.path.join(var, "keys", "data.key")
            sample = fp.sql(ci, "SELECT id_sealed, id_masked, id_hmac FROM leads ORDER BY id LIMIT 5")
            for sealed, masked, hmac in sample:
                number = fp.id_open(sealed, key)
                self.assertRegex(number, r"^[0-9]{17}[0-9X]$")
                self.assertEqual(masked, number[:4] + "*" * 10 + number[-4:])
                self.assertEqual(hmac, fp.id_hmac(number, key))
            # and no bytea column holds a number's characters
            bytea = fp.sql(ci, "SELECT table_name, column_name FROM information_schema.columns"
                               " WHERE table_schema = 'public' AND data_type = 'bytea'")
            number = fp.id_open(sample[0][0], key)
            for table, column in bytea:
                self.assertEqual(fp.sql(ci, f'SELECT count(*) FROM "{table}" WHERE'
                                            f' position(convert_to(\'{number}\', \'UTF8\') IN "{column}") > 0'),
                                 [("0",)], f"{table}.{column}")
        finally:
            subprocess.run([os.path.join(scripts, "down.sh")], env=env, capture_output=True, timeout=120)
            subprocess.run([fp.PGSH, "destroy", os.path.join(var, "pg")], capture_output=True, timeout=120)



if __name__ == "__main__":
    fp.main()
