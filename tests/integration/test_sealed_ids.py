"""ID numbers at rest (issue 11, "Personal data at rest"; common/seal.h, migrations 017/018): a
database written by an older version is sealed in place by `fangpinctl migrate` (refused,
changing nothing, without the county's data key), and what it sealed matches what intake seals
now; a service given another county's key refuses to become ready. After `make demo`:
test_sealed_demo.py."""
import os
import shutil
import subprocess
import tempfile
import unittest

import fp
from fangpin.v1 import common_pb2, intake_pb2
from test_intake import TODAY, id_number, lead

Code = common_pb2.Code
ID_IN_TEXT = r"[0-9]{17}[0-9Xx]|(^|[^0-9])[0-9]{15}([^0-9]|$)"


def text_columns(ci):
    """Every column of every table in the schema whose values are text to a reader."""
    return fp.sql(ci, "SELECT c.table_name, c.column_name FROM information_schema.columns c"
                      " JOIN information_schema.tables t USING (table_schema, table_name)"
                      " WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
                      " AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')"
                      " ORDER BY 1, 2")


def ids_in_clear(ci):
    """(table, column, count) of every text column holding something shaped like an ID number."""
    found = []
    for table, column in text_columns(ci):
        n = fp.sql(ci, f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ~ \'{ID_IN_TEXT}\'')[0][0]
        if n != "0":
            found.append((table, column, n))
    return found


class SealedIds(unittest.TestCase):
    def test_older_database_sealed_in_place(self):
        ci = fp.fresh_db("it_sealed_upgrade")
        fp.old_schema(ci, 16)
        A, B = id_number(seq=501), id_number(seq=502)
        fp.sql(ci, f"""
            INSERT INTO regions (code, name, level, parent) VALUES
              ('13', '河北省', 1, NULL), ('1308', '承德市', 2, '13'), ('130822', '兴隆县', 3, '1308'),
              ('130822112', '三道河镇', 4, '130822'), ('130822112201', '花水村', 5, '130822112');
            INSERT INTO ledger_households (county_code, household_no, village_code, household_type, head_name,
                                           survey_period)
            VALUES ('130822', 'H1', '130822112201', 'general', '张三', '2026Q3');
            INSERT INTO ledger_members (county_code, id_number, household_no, name, relation, birth_date, sex,
                                        labour, health, schooling, insured)
            VALUES ('130822', '{A}', 'H1', '张三', 'head', '1980-01-01', 'male', 'normal', 'healthy', 'none', true);
            INSERT INTO ledger_events (county_code, household_no, id_number, kind, event_on, source)
            VALUES ('130822', 'H1', '{A}', 'move_in', '2026-07-01', 'census');
            INSERT INTO lead_batches (county_code, sender, batch_id, period, content_hash, leads, accepted,
                                      duplicates, rejected)
            VALUES ('130822', 'dept:130822:yibao', 'old-1', '2026-10', 'x', 2, 2, 0, 0);
            INSERT INTO leads (county_code, village_code, sender, department_code, batch_id, line_no, period, kind,
                               id_number, name, occurred_on, amount_fen)
            VALUES ('130822', '130822112201', 'dept:130822:yibao', 'yibao', 'old-1', 0, '2026-10',
                    'yibao.high_cost', '{A}', '张三', '2026-10-15', 1234500),
                   ('130822', '130822112201', 'dept:130822:yibao', 'yibao', 'old-1', 1, '2026-10',
                    'yibao.high_cost', '{B}', '李四', '2026-10-15', 1234500);""")
        self.assertEqual(len(ids_in_clear(ci)), 3)  # leads, ledger_members, ledger_events

        # without the key: refused with what to do, and the clear numbers are as they were
        no_key = fp.ctl(["migrate"], ci, check=False, env={"FANGPIN_DATA_KEY": os.path.join(fp.VAR, "no-such.key")})
        self.assertEqual(no_key.returncode, 1, no_key.stdout + no_key.stderr)
        self.assertIn("sealing them needs the county's data key", no_key.stderr)
        self.assertEqual(fp.sql(ci, "SELECT id_number FROM leads ORDER BY line_no"), [(A,), (B,)])
        self.assertEqual(fp.sql(ci, "SELECT count(*) FROM schema_migrations WHERE name LIKE '018%'"), [("0",)])

        # with it: sealed, the clear columns gone
        fp.ctl(["migrate"], ci)
        self.assertEqual(ids_in_clear(ci), [])
        self.assertEqual(fp.sql(ci, "SELECT count(*) FROM information_schema.columns"
                                    " WHERE table_schema = 'public' AND column_name = 'id_number'"), [("0",)])
        rows = fp.sql(ci, "SELECT id_hmac, id_sealed, id_masked FROM leads ORDER BY line_no")
        for (hmac, sealed, masked), number in zip(rows, (A, B)):
            self.assertEqual(hmac, fp.id_hmac(number))
            self.assertEqual(fp.id_open(sealed), number)
            self.assertEqual(masked, number[:4] + "*" * 10 + number[-4:])
        self.assertEqual(fp.sql(ci, "SELECT id_hmac FROM ledger_members UNION SELECT id_hmac FROM ledger_events"),
                         [(fp.id_hmac(A),)])
        self.assertEqual(len(fp.sql(ci, "SELECT check_value FROM data_key")), 1)

        # intake seals the same way: the same lead again is a duplicate of the migrated one, and a
        # new lead of A's matches the migrated ledger member
        fp.ctl(["regions", "import"] + fp.FIXTURE_130822, ci)
        keys = fp.Keys(ci, fp.SERVICES + ("admin", "yibao"))
        keys.register("yibao", "dept:130822:yibao", kind="department", level="county", dept="yibao")
        svc = fp.Service("intake", ci, keys, env={"FANGPIN_TODAY": TODAY, "FANGPIN_INTAKE_DEADLINE_SCAN_MS": "0"})
        try:
            old_id = int(fp.sql(ci, "SELECT id FROM leads WHERE line_no = 0")[0][0])
            req = intake_pb2.IntakeRequest(request_id="sealed-1")
            req.submit_leads.batch_id = "new-1"
            req.submit_leads.period = "2026-10"
            req.submit_leads.leads.extend([lead(idn=A, village="130822112201", date="2026-10-15"),
                                           lead(idn=A, village="130822112201", date="2026-10-20", ref="2")])
            c = svc.client("yibao")
            try:
                rep = c.call(req, intake_pb2.IntakeReply, 20000)
            finally:
                c.close()
            items = rep.results
            self.assertEqual([(i.code, i.reason) for i in items],
                             [(Code.DUPLICATE, "duplicate.earlier"), (Code.OK, "")])
            self.assertEqual(items[0].duplicate_of, old_id)
            self.assertEqual(fp.sql(ci, "SELECT count(*) FROM leads l JOIN ledger_members m USING (county_code, id_hmac)"),
                             [("2",)])
        finally:
            svc.stop()

    def submit(self, svc, rid, batch, leads):
        req = intake_pb2.IntakeRequest(request_id=rid)
        req.submit_leads.batch_id = batch
        req.submit_leads.period = "2026-10"
        req.submit_leads.leads.extend(leads)
        c = svc.client("yibao")
        try:
            return c.call(req, intake_pb2.IntakeReply, 20000)
        finally:
            c.close()

    def test_data_key_rotated(self):
        """fangpinctl keys rotate-data-key re-seals every number with a new key in one go; an
        intake still holding the old key is refused (data_key.changed), storing nothing, until it
        is restarted with the new one; a wrong old key changes nothing."""
        ci = fp.county_db("it_sealed_rotate")
        keys = fp.Keys(ci, fp.SERVICES + ("admin", "yibao"))
        keys.register("yibao", "dept:130822:yibao", kind="department", level="county", dept="yibao")
        env = {"FANGPIN_TODAY": TODAY, "FANGPIN_INTAKE_DEADLINE_SCAN_MS": "0"}
        A, B = id_number(seq=601), id_number(seq=602)
        svc = fp.Service("intake", ci, keys, env=env)
        try:
            r = self.submit(svc, "rot-1", "rot-1", [lead(idn=A, ref="1"), lead(idn=B, ref="2")])
            self.assertEqual([i.code for i in r.results], [Code.OK, Code.OK])
            new = os.path.join(tempfile.mkdtemp(prefix="newkey-", dir=fp.VAR), "data.key")
            out = fp.ctl(["keys", "rotate-data-key", "--new", new], ci)
            self.assertIn("2 people's ID numbers re-sealed", out.stdout)
            rows = fp.sql(ci, "SELECT id_hmac, id_sealed, id_masked FROM leads ORDER BY line_no")
            for (hmac, sealed, masked), number in zip(rows, (A, B)):
                self.assertEqual(hmac, fp.id_hmac(number, new))
                self.assertEqual(fp.id_open(sealed, new), number)
                self.assertEqual(masked, number[:4] + "*" * 10 + number[-4:])
            # intake still has the old key: refused whole, nothing stored
            r = self.submit(svc, "rot-2", "rot-2", [lead(idn=A, ref="1", date="2026-10-16")])
            self.assertEqual((r.status.code, r.status.reason), (Code.UNAVAILABLE, "data_key.changed"))
            self.assertEqual(fp.sql(ci, "SELECT count(*) FROM leads"), [("2",)])
        finally:
            svc.stop()
        shutil.copy(new, os.path.join(keys.dir, "data.key"))
        svc = fp.Service("intake", ci, keys, env=env)
        try:
            r = self.submit(svc, "rot-2", "rot-2", [lead(idn=A, ref="1", date="2026-10-16"),
                                                    lead(idn=B, ref="2")])
            self.assertEqual([(i.code, i.reason) for i in r.results],
                             [(Code.OK, ""), (Code.DUPLICATE, "duplicate.earlier")])
        finally:
            svc.stop()
        # the run's key is not this database's any more: a rotation from it changes nothing
        before = fp.sql(ci, "SELECT id, id_hmac, id_sealed FROM leads ORDER BY id")
        again = fp.ctl(["keys", "rotate-data-key", "--new", os.path.join(os.path.dirname(new), "third.key")], ci,
                       check=False)
        self.assertEqual(again.returncode, 1, again.stdout + again.stderr)
        self.assertIn("is not this database's", again.stderr)
        self.assertEqual(fp.sql(ci, "SELECT id, id_hmac, id_sealed FROM leads ORDER BY id"), before)

    def test_another_countys_key_is_refused(self):
        ci = fp.county_db("it_sealed_wrong_key")
        fp.ctl(["migrate"], ci)  # the run's key is now this database's
        keys = fp.Keys(ci, fp.SERVICES + ("admin",))
        other = tempfile.mkdtemp(prefix="otherkey-", dir=fp.VAR)
        fp.ctl(["keys", "make", "--dir", other, "x"], ci)
        shutil.copy(os.path.join(other, "data.key"), os.path.join(keys.dir, "data.key"))
        before = fp.sql(ci, "SELECT check_value FROM data_key")
        svc = fp.Service("intake", ci, keys, env={"FANGPIN_TODAY": TODAY}, wait_ready=False)
        try:
            fp.wait_for(lambda: "is not this database's" in svc.log(), 30,
                        what="intake saying its data key is not the database's")
            self.assertEqual(fp.http_get(f"{svc.http}/readyz")[0], 503)
            self.assertEqual(fp.sql(ci, "SELECT check_value FROM data_key"), before)
        finally:
            svc.stop()
        # a key file others can read is refused at start, with what to do
        os.chmod(os.path.join(keys.dir, "data.key"), 0o644)
        p = subprocess.run([os.path.join(fp.BUILD, "fangpin-intake")], capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, FANGPIN_PG=ci, FANGPIN_KEYS_DIR=keys.dir,
                                    FANGPIN_INTAKE_ENDPOINT=f"tcp://127.0.0.1:{fp.free_port()}",
                                    FANGPIN_INTAKE_HTTP=f"127.0.0.1:{fp.free_port()}"))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("chmod 600", p.stderr)


if __name__ == "__main__":
    fp.main()
