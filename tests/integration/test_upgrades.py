"""Upgrades in place (issue 12): a database at the schema of each earlier migration, holding data
written at that schema (principals and keys, published and unpublished events, a batch and its
leads, the ledger, a case with its leads and history, a plan with a measure, a token), is taken
to the current schema by `fangpinctl migrate`. Every row is still there, ID numbers are sealed,
published events keep their positions and the relay's high-water mark follows them, and the
services then work on the upgraded data: a new lead of the ledger's person is matched to its
household. `--version` and /metrics name the schema the binaries carry. A county's schema keeps
Citus' rule for its distribution column, county_code (migration 046, docs/scale.md)."""
import os
import re
import subprocess
import unittest

import fp
from fangpin.v1 import common_pb2, intake_pb2
from test_intake import TODAY, id_number, lead

Code = common_pb2.Code
A, B = id_number(seq=801), id_number(seq=802)
V = "130822112201"
KEY = "rCfW2zgU]c8$F=Ph-YAF.WxuM-M>^-4(hN^A7tr%"  # a Z85 public key (40 characters)

# (first migration at which the rows can be written, the SQL that writes them[, the last migration
# whose schema it fits]). Written as an
# older fangpin wrote them: the columns of their time, ID numbers in clear before 018, sealed from
# it on ({sealed_*}: the values the migration sealed them to, SEALED_FROM).
SEEDS = [
    (1, f"""
INSERT INTO regions (code, name, level, parent) VALUES
  ('13', '河北省', 1, NULL), ('1308', '承德市', 2, '13'), ('130822', '兴隆县', 3, '1308'),
  ('130822112', '三道河镇', 4, '130822'), ('{V}', '花水村', 5, '130822112');
INSERT INTO principals (id, kind, display_name, level, region_code, department_code, county_code)
VALUES ('dept:130822:yibao', 'department', '兴隆县医疗保障局', 'county', '130822', 'yibao', '130822'),
       ('actor:130822:xl', 'actor', '兴隆县防贫办', 'county', '130822', NULL, '130822');
INSERT INTO curve_keys (public_key, principal_id) VALUES ('{KEY}', 'actor:130822:xl');
INSERT INTO events (county_code, region_code, type, payload) VALUES
  ('130822', '{V}', 'lead.accepted', '{{"lead_id": 1}}'), ('130822', '{V}', 'lead.accepted', '{{"lead_id": 2}}'),
  ('130822', '{V}', 'case.opened', '{{"case_id": 1}}');
"""),
    # two of them published: before 013 each published event had published_at, after it the relay
    # keeps one high-water mark
    (1, "UPDATE events SET position = id, published_at = now() WHERE id <= 2;", 12),
    (13, "UPDATE events SET position = id WHERE id <= 2; UPDATE relay_state SET published = 2;", 50),
    # from 051 a position is a row of event_positions, and an event not numbered one of events_pending
    (51, "INSERT INTO event_positions (position, event_id, region_code) SELECT id, id, region_code FROM events"
         " WHERE id <= 2; DELETE FROM events_pending WHERE id <= 2;"
         " INSERT INTO events_pending (id) VALUES (3) ON CONFLICT DO NOTHING; UPDATE relay_state SET published = 2;"),
    (2, f"""
INSERT INTO lead_batches (county_code, sender, department_code, batch_id, period, content_hash, leads, accepted,
                          duplicates, rejected)
VALUES ('130822', 'dept:130822:yibao', 'yibao', 'old-1', '2026-10', 'x', 2, 2, 0, 0);
INSERT INTO leads (id, county_code, village_code, sender, department_code, batch_id, line_no, period, kind, id_number,
                   name, occurred_on, amount_fen, status)
VALUES (1, '130822', '{V}', 'dept:130822:yibao', 'yibao', 'old-1', 0, '2026-10', 'yibao.high_cost', '{A}', '张三',
        '2026-10-15', 1234500, 'identified'),
       (2, '130822', '{V}', 'dept:130822:yibao', 'yibao', 'old-1', 1, '2026-10', 'yibao.high_cost', '{B}', '李四',
        '2026-10-15', 1234500, 'unmatched');
SELECT setval('leads_id_seq', 2);
""", 17),
    (18, """
INSERT INTO lead_batches (county_code, sender, department_code, batch_id, period, content_hash, leads, accepted,
                          duplicates, rejected)
VALUES ('130822', 'dept:130822:yibao', 'yibao', 'old-1', '2026-10', 'x', 2, 2, 0, 0);
INSERT INTO leads (id, county_code, village_code, sender, department_code, batch_id, line_no, period, kind, id_hmac,
                   id_sealed, id_masked, name, occurred_on, amount_fen, status)
VALUES (1, '130822', '{V}', 'dept:130822:yibao', 'yibao', 'old-1', 0, '2026-10', 'yibao.high_cost', {sealed_lead_1},
        '张三', '2026-10-15', 1234500, 'identified'),
       (2, '130822', '{V}', 'dept:130822:yibao', 'yibao', 'old-1', 1, '2026-10', 'yibao.high_cost', {sealed_lead_2},
        '李四', '2026-10-15', 1234500, 'unmatched');
SELECT setval('leads_id_seq', 2);
"""),
    (4, f"""
INSERT INTO ledger_households (county_code, household_no, village_code, household_type, head_name, survey_period)
VALUES ('130822', 'H1', '{V}', 'general', '张三', '2026Q3');
INSERT INTO ledger_members (county_code, id_number, household_no, name, relation, birth_date, sex, labour, health,
                            schooling, insured)
VALUES ('130822', '{A}', 'H1', '张三', 'head', '1980-01-01', 'male', 'normal', 'healthy', 'none', true);
INSERT INTO ledger_events (county_code, household_no, id_number, kind, event_on, source)
VALUES ('130822', 'H1', '{A}', 'move_in', '2026-07-01', 'census');
""", 17),
    (18, """
INSERT INTO ledger_households (county_code, household_no, village_code, household_type, head_name, survey_period)
VALUES ('130822', 'H1', '{V}', 'general', '张三', '2026Q3');
INSERT INTO ledger_members (county_code, id_hmac, id_sealed, id_masked, household_no, name, relation, birth_date, sex,
                            labour, health, schooling, insured)
VALUES ('130822', {sealed_member_1}, 'H1', '张三', 'head', '1980-01-01', 'male', 'normal', 'healthy', 'none', true);
INSERT INTO ledger_events (county_code, household_no, id_hmac, kind, event_on, source)
VALUES ('130822', 'H1', {sealed_event_1}, 'move_in', '2026-07-01', 'census');
"""),
    (5, f"""
INSERT INTO cases (id, county_code, village_code, household_no, state, kind, risk_types, opened_on, due_on)
VALUES (1, '130822', '{V}', 'H1', 'identified', 'marginal', '{{medical}}', '2026-10-15', '2026-10-30');
SELECT setval('cases_id_seq', 1);
INSERT INTO case_leads (county_code, case_id, lead_id) VALUES ('130822', 1, 1);
INSERT INTO case_history (county_code, case_id, actor, level, event, from_state, to_state)
VALUES ('130822', 1, 'system', NULL, 'opened', NULL, 'opened'),
       ('130822', 1, 'actor:130822:xl', 'county', 'identify', 'county_approved', 'identified');
"""),
    (10, f"""
INSERT INTO plans (county_code, village_code, household_no, kind, case_id, monitored_kind, risk_types, identified_on,
                   opened_on)
VALUES ('130822', '{V}', 'H1', 'monitoring', 1, 'marginal', '{{medical}}', '2026-10-28', '2026-10-28');
INSERT INTO measures (county_code, plan_id, category, title, responsible_unit, start_on)
SELECT '130822', id, 'health', '大病保险倾斜', '县医保局', '2026-11-01' FROM plans;
"""),
    (15, """
INSERT INTO http_tokens (principal_id, token_sha256, label)
VALUES ('actor:130822:xl', sha256('fpt_upgrade-test'::bytea), '大屏');
"""),
]
TABLES = ["regions", "principals", "curve_keys", "events", "lead_batches", "leads", "ledger_households",
          "ledger_members", "ledger_events", "cases", "case_leads", "case_history", "plans", "measures", "http_tokens"]


# The tables outside Citus' distribution rule (docs/scale.md, "Which tables are distributed"): the
# catalogues every node holds whole (reference tables), and the coordinator's own, events among them
# (the database's one gap-free order, numbered by its one relay). Every other table is a large one:
# it has county_code, in every unique index and in every foreign key to another large table (at the
# same place on both sides).
OUTSIDE_DISTRIBUTION = [
    "department_types", "lead_kinds", "risk_types", "lowincome_categories", "quality_rules", "event_types",
    "event_fields", "event_regions", "holidays", "policy_params", "lowincome_params", "compare_columns",
    "regions",  # reference tables
    "principals", "curve_keys", "http_tokens", "schema_migrations", "schema_functions", "data_key", "relay_state",
    "federation_level", "federation_counties", "report_snapshots", "report_reopenings", "events",
    "event_positions", "events_pending",  # the coordinator's (the events' order and its queue, migration 051)
    "ledger_changes"]  # the coordinator's: the transactions that changed the ledger's present members (056)
KEYED_BY_COUNTY = """
WITH large AS (
    SELECT c.oid, c.relname, (SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = c.oid
                                 AND a.attname = 'county_code' AND NOT a.attisdropped) AS cc
      FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND c.relname <> ALL (%(outside)s))
SELECT l.relname, 'no county_code' FROM large l WHERE l.cc IS NULL
UNION ALL
SELECT l.relname, i.indexrelid::regclass::text FROM large l JOIN pg_index i ON i.indrelid = l.oid
 WHERE i.indisunique AND NOT l.cc = ANY (i.indkey)
UNION ALL
SELECT f.conrelid::regclass::text, f.conname FROM pg_constraint f
  LEFT JOIN large l ON l.oid = f.conrelid LEFT JOIN large r ON r.oid = f.confrelid
 WHERE f.contype = 'f' AND (r.oid IS NOT NULL OR f.confrelid = 'events'::regclass)
   AND NOT coalesce(array_position(f.conkey, l.cc) = array_position(f.confkey, r.cc), false)
ORDER BY 1, 2""" % {"outside": "ARRAY[" + ", ".join(f"'{t}'" for t in OUTSIDE_DISTRIBUTION) + "]"}


def counts(ci):
    """Rows per table of TABLES that exists, in one query."""
    have = {r[0] for r in fp.sql(ci, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    q = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in TABLES if t in have)
    return {t: int(c) for t, c in fp.sql(ci, q)}


SEALED_FROM = 18  # the seeds from 018 on hold ID numbers as that migration sealed them


def sealed_values(ci):
    """The {sealed_*} of the seeds from SEALED_FROM on: the ID numbers of ci (the seeds of schema
    SEALED_FROM - 1, migrated) as migration 018 sealed them, as SQL literals."""
    def lit(*vals):
        return ", ".join("'" + v.replace("'", "''") + "'" for v in vals)

    leads = fp.sql(ci, "SELECT id_hmac, id_sealed, id_masked FROM leads ORDER BY id")
    member = fp.sql(ci, "SELECT id_hmac, id_sealed, id_masked FROM ledger_members")[0]
    return dict(sealed_lead_1=lit(*leads[0]), sealed_lead_2=lit(*leads[1]), sealed_member_1=lit(*member),
                sealed_event_1=lit(fp.sql(ci, "SELECT id_hmac FROM ledger_events")[0][0]))


class Upgrades(unittest.TestCase):
    sealed = None

    def old_database(self, n, template=None):
        """A database at schema n holding the seeds of its time: made from `template` (a database
        at schema n, copied as PostgreSQL copies a template) or from the migration files."""
        seeds = "\n".join(seed for since, seed, *until in SEEDS if since <= n <= (until[0] if until else n))
        if n >= SEALED_FROM:  # those seeds are templates: the village and the sealed values
            values = dict(self.sealed, V=V)
            seeds = seeds.replace("{", "{{").replace("}", "}}")
            for k in values:
                seeds = seeds.replace("{{" + k + "}}", "{" + k + "}")
            seeds = seeds.format(**values)
        if template:
            name = f"it_upgrade_{n:03d}"
            admin = fp.conninfo("postgres")
            fp.sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            fp.sql(admin, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            ci = fp.conninfo(name)
            fp.sql(ci, seeds)
            return ci
        ci = fp.fresh_db(f"it_upgrade_{n:03d}")
        fp.old_schema(ci, n, seeds)
        return ci

    def test_every_earlier_schema_to_the_current_one(self):
        names = fp.migration_names()
        last = len(names)  # how many; numbers may have a gap while a branch's migration is not merged
        template = fp.fresh_db("it_upgrade_template")
        fp.old_schema(template, 0)
        for i in range(1, last):
            n = int(names[i - 1][:3])  # the schema's number; i migrations applied
            with open(os.path.join(fp.MIGRATIONS, names[i - 1]), encoding="utf-8") as f:  # the template at n
                fp.sql(template, f.read() + f"\n;INSERT INTO schema_migrations (name) VALUES ('{names[i - 1]}');")
            with self.subTest(schema=n):
                ci = self.old_database(n, "it_upgrade_template")
                before = counts(ci)
                out = fp.ctl(["migrate"], ci)
                self.assertIn(f"{last - i} migration", out.stdout + out.stderr)
                self.assertEqual(fp.sql(ci, "SELECT count(*) FROM schema_migrations"), [(str(last),)])
                self.assertEqual({t: c for t, c in counts(ci).items() if t in before}, before)
                if n >= 2:
                    self.assertEqual(fp.sql(ci, "SELECT id_hmac FROM leads ORDER BY id"),
                                     [(fp.id_hmac(A),), (fp.id_hmac(B),)])
                if n >= 4:
                    self.assertEqual(fp.sql(ci, "SELECT m.household_no FROM leads l JOIN ledger_members m"
                                                " USING (county_code, id_hmac)"), [("H1",)])
                if n == SEALED_FROM - 1:
                    Upgrades.sealed = sealed_values(ci)
                # published events keep their positions (in event_positions since 051); the relay
                # goes on from the highest, and the one not numbered waits in events_pending
                self.assertEqual(fp.sql(ci, "SELECT e.id, p.position FROM events e"
                                            " LEFT JOIN event_positions p ON p.event_id = e.id ORDER BY e.id"),
                                 [("1", "1"), ("2", "2"), ("3", "")])
                self.assertEqual(fp.sql(ci, "SELECT id FROM events_pending"), [("3",)])
                self.assertEqual(fp.sql(ci, "SELECT published FROM relay_state"), [("2",)])
                again = fp.ctl(["migrate"], ci)
                self.assertIn("0 migration", again.stdout + again.stderr)
                fp.sql(fp.conninfo("postgres"), f'DROP DATABASE "it_upgrade_{n:03d}" WITH (FORCE)')

    def test_large_tables_keyed_by_county(self):
        """Citus' rule for a distribution column (issue 16): every large table has county_code in
        its primary key and every unique constraint, and every foreign key between large tables
        names it (migration 046). The check finds what broke the rule before 046."""
        ci = fp.county_db("it_upgrade_keys")
        self.assertEqual(fp.sql(ci, KEYED_BY_COUNTY), [])
        old = fp.fresh_db("it_upgrade_keys_045")
        fp.old_schema(old, 45)
        bad = fp.sql(old, KEYED_BY_COUNTY)
        for broke in [("cases", "cases_pkey"), ("lead_batches", "lead_batches_pkey"),
                      ("case_history", "case_history_request"), ("plans", "plans_case_id_key"),
                      ("plans", "plans_case_id_fkey"), ("compare_rules_due", "compare_rules_due_quality_run_fkey"),
                      ("deadline_misses", "deadline_misses_pkey")]:
            self.assertIn(broke, bad)
        fp.ctl(["migrate"], old)
        self.assertEqual(fp.sql(old, KEYED_BY_COUNTY), [])
        # and catches a new large table without the county code, a unique index and a foreign key
        # without it
        fp.sql(old, "CREATE TABLE probe_large (id bigint PRIMARY KEY); CREATE UNIQUE INDEX probe_unique ON plans (id);"
                    " ALTER TABLE measures ADD CONSTRAINT probe_fk FOREIGN KEY (plan_id) REFERENCES plans (id)")
        self.assertEqual(fp.sql(old, KEYED_BY_COUNTY), [("measures", "probe_fk"), ("plans", "probe_unique"),
                                                        ("probe_large", "no county_code")])
        for name in ("it_upgrade_keys", "it_upgrade_keys_045"):
            fp.sql(fp.conninfo("postgres"), f'DROP DATABASE "{name}" WITH (FORCE)')

    def test_services_work_on_an_upgraded_database(self):
        ci = self.old_database(10)
        fp.ctl(["migrate"], ci)
        keys = fp.Keys(ci, fp.SERVICES + ("admin", "yibao"))
        keys.register("admin", "admin:county-it")
        keys.register("yibao", "dept:130822:yibao", kind="department", level="county", dept="yibao")
        env = {"FANGPIN_TODAY": TODAY, "FANGPIN_INTAKE_DEADLINE_SCAN_MS": "0"}
        intake = fp.Service("intake", ci, keys, env=env)
        try:
            screening = fp.Service("screening", ci, keys, env=dict(env, FANGPIN_SCREENING_LEADS_PULL=intake.leads_push))
            try:
                req = intake_pb2.IntakeRequest(request_id="up-1")
                req.submit_leads.batch_id = "new-1"
                req.submit_leads.period = "2026-11"
                req.submit_leads.leads.extend([lead(idn=A, village=V, date="2026-11-05", kind="yibao.uninsured",
                                                    amount=None),
                                               lead(idn=A, village=V, date="2026-10-15", ref="2")])
                c = intake.client("yibao")
                try:
                    r = c.call(req, intake_pb2.IntakeReply, 20000)
                finally:
                    c.close()
                self.assertEqual([(i.code, i.reason) for i in r.results],
                                 [(Code.OK, ""), (Code.DUPLICATE, "duplicate.earlier")])
                self.assertEqual(r.results[1].duplicate_of, 1)
                new = r.results[0].id
                fp.wait_for(lambda: fp.sql(ci, f"SELECT status FROM leads WHERE id = {new}") == [("verifying",)], 30,
                            what="screening matching the new lead to the upgraded ledger")
                self.assertEqual(fp.sql(ci, f"SELECT c.household_no, c.state FROM case_leads cl JOIN cases c"
                                            f" ON c.id = cl.case_id WHERE cl.lead_id = {new}"), [("H1", "opened")])
            finally:
                screening.stop()
        finally:
            intake.stop()

    def test_version_names_the_schema(self):
        last = fp.migration_names()[-1]
        for prog in ("fangpin-intake", "fangpin-screening", "fangpin-assistance", "fangpin-reporting", "fangpinctl"):
            p = subprocess.run([os.path.join(fp.BUILD, prog), "--version"], capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 0, prog + p.stderr)
            self.assertIn(f"schema {last[:-4]}", p.stdout, prog)
        ci = fp.county_db("it_upgrade_version")
        keys = fp.Keys(ci)
        svc = fp.Service("intake", ci, keys, env={"FANGPIN_INTAKE_DEADLINE_SCAN_MS": "0"})
        try:
            text = fp.http_get(f"{svc.http}/metrics")[1]
            m = re.search(r'^fangpin_build_info\{([^}]*)\} 1$', text, re.M)
            self.assertIsNotNone(m, text[:2000])
            self.assertIn(f'schema="{last[:-4]}"', m.group(1))
            self.assertIn('service="intake"', m.group(1))
        finally:
            svc.stop()


if __name__ == "__main__":
    fp.main()
