"""Least privilege in the database (issue 11): the services connect as roles that are not
superusers, each with deploy/db/grants.sql's privileges only, and a separate role, fangpin_owner,
applies the migrations.

- A flow through the four services, each connected as its own role (checked in
  pg_stat_activity): a department's lead pushed to intake, screened into a case by screening, the
  case identified (here by SQL: test_case_flow walks the steps, with the roles too), a plan
  opened for it by assistance, every event given its position by reporting's relay, a report
  made by reporting.
- What a role must not do is refused with SQLSTATE 42501 (insufficient_privilege): intake may not
  change a case nor drop a table, reporting may not insert a lead, and so on; no role may create
  a table, a role or a database, and none is a superuser.
- A service left with FANGPIN_MIGRATE=true on its own role does not try to migrate: it waits for
  the schema, and is ready once fangpinctl migrate has run as fangpin_owner."""
import subprocess
import unittest

import fp
from fangpin.v1 import common_pb2, intake_pb2, reporting_pb2
from test_cases import VA, import_ledger, ledger_line, person
from test_intake import TODAY, lead

Code = common_pb2.Code
H1 = "13082211220100001"


def sqlstate(ci, query):
    """The SQLSTATE of the error query raises when run on ci (psql, VERBOSITY verbose), or None."""
    p = subprocess.run(["psql", "-X", "-q", "-v", "VERBOSITY=verbose", "-v", "ON_ERROR_STOP=1", ci, "-c", query],
                       capture_output=True, text=True)
    if p.returncode == 0:
        return None
    for line in p.stderr.splitlines():
        if line.startswith("ERROR:"):
            return line.split(":")[1].strip()
    raise AssertionError(f"psql failed without an ERROR line: {p.stderr}")


class Flow(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("it_roles_flow")
        cls.keys = fp.Keys(cls.ci, fp.SERVICES + ("admin", "yibao"))
        cls.keys.register("admin", "admin:county-it")
        cls.keys.register("yibao", "dept:130822:yibao", kind="department", level="county", dept="yibao")
        import_ledger(cls.ci, [ledger_line(H1, VA, "一般户", "张三丰", "张三丰", person(1), "户主", 8000)])
        cls.intake = fp.Service("intake", cls.ci, cls.keys, env={"FANGPIN_TODAY": TODAY})
        cls.screening = fp.Service("screening", cls.ci, cls.keys, env={
            "FANGPIN_SCREENING_LEADS_PULL": cls.intake.leads_push, "FANGPIN_SCREENING_SCAN_S": "1",
            "FANGPIN_TODAY": TODAY})
        cls.assistance = fp.Service("assistance", cls.ci, cls.keys, env={
            "FANGPIN_ASSISTANCE_IDENTIFIED_PULL": cls.screening.identified_push, "FANGPIN_ASSISTANCE_SCAN_S": "1",
            "FANGPIN_TODAY": TODAY})
        cls.reporting = fp.Service("reporting", cls.ci, cls.keys, env={"FANGPIN_TODAY": TODAY})
        cls.svcs = [cls.intake, cls.screening, cls.assistance, cls.reporting]

    @classmethod
    def tearDownClass(cls):
        for s in cls.svcs:
            s.stop()

    def test_services_connect_as_their_roles(self):
        for s in self.svcs:
            self.assertEqual(s.role, f"fangpin_{s.name}")
        users = fp.sql(self.ci, "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = current_database()"
                                " AND backend_type = 'client backend' AND pid <> pg_backend_pid() ORDER BY 1")
        self.assertEqual([u for (u,) in users], sorted(f"fangpin_{s}" for s in fp.SERVICES))
        self.assertEqual(fp.sql(self.ci, "SELECT rolname FROM pg_roles WHERE rolname LIKE 'fangpin%'"
                                         " AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls)"), [])
        self.assertEqual(fp.sql(self.ci, "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class c"
                                         " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'"),
                         [("fangpin_owner",)])

    def test_flow_through_the_four_services(self):
        req = intake_pb2.IntakeRequest(request_id="roles-push")
        req.submit_leads.batch_id = "roles-b1"
        req.submit_leads.period = "2026-11"
        req.submit_leads.leads.extend([lead(idn=person(1), village=VA, date="2026-11-23", ref="a")])
        c = self.intake.client("yibao")
        try:
            r = c.call(req, intake_pb2.IntakeReply, 10000)
        finally:
            c.close()
        self.assertEqual((r.status.code, r.batch.accepted), (Code.OK, 1), r)
        case = fp.wait_for(lambda: fp.sql(self.ci, f"SELECT id FROM cases WHERE household_no = '{H1}'"), 30,
                           what="the lead screened into a case")[0][0]
        # the identification steps are test_case_flow's; here the case is identified at once
        fp.sql(self.ci, "UPDATE cases SET state = 'identified', kind = 'marginal', step_since = DATE '2026-11-24'"
                        f" WHERE id = {case}")
        fp.wait_for(lambda: fp.sql(self.ci, f"SELECT id FROM plans WHERE case_id = {case}"), 30,
                    what="assistance opening a plan for the identified case")
        fp.wait_for(lambda: fp.sql(self.ci, "SELECT count(*) FROM events_pending")[0][0] == "0", 30,
                    what="reporting's relay giving every event its position")
        types = {t for (t,) in fp.sql(self.ci, "SELECT DISTINCT type FROM events")}
        self.assertLessEqual({"lead.accepted", "plan.opened"}, types)
        rq = reporting_pb2.ReportingRequest(request_id="roles-report")
        rq.get_report.report = "scale_quarterly"
        rq.get_report.region_prefix = "130822"
        rq.get_report.period = "2026Q3"
        rq.get_report.format = "proto"
        c = self.reporting.client("admin")
        try:
            rr = c.call(rq, reporting_pb2.ReportingReply, 30000)
        finally:
            c.close()
        self.assertIsNotNone(rr)
        self.assertEqual(rr.status.code, Code.OK, rr.status)
        self.assertNotEqual(fp.sql(self.ci, "SELECT count(*) FROM report_snapshots")[0][0], "0")

    def test_what_each_role_must_not_do(self):
        refused = {
            "fangpin_intake": ["UPDATE cases SET state = 'identified'", "DROP TABLE leads", "DELETE FROM leads",
                               "SELECT * FROM ledger_members", "UPDATE curve_keys SET revoked_at = now()"],
            "fangpin_screening": ["UPDATE plans SET elim_state = elim_state", "SELECT * FROM http_tokens",
                                  "INSERT INTO lead_batches DEFAULT VALUES", "TRUNCATE events"],
            "fangpin_assistance": ["UPDATE cases SET state = 'identified'", "INSERT INTO leads DEFAULT VALUES",
                                   "UPDATE ledger_households SET head_name = 'x'", "DELETE FROM plans"],
            "fangpin_reporting": ["INSERT INTO leads DEFAULT VALUES", "DELETE FROM events", "UPDATE cases SET state = state",
                                  "INSERT INTO curve_keys DEFAULT VALUES", "ALTER TABLE events ADD COLUMN x int"],
        }
        for role, queries in refused.items():
            ci = fp.role_conninfo(self.ci, role)
            for q in queries + ["CREATE TABLE mine (x int)", "CREATE ROLE mine", "CREATE DATABASE mine",
                                "UPDATE schema_migrations SET applied_at = now()"]:
                with self.subTest(role=role, query=q):
                    self.assertEqual(sqlstate(ci, q), "42501")
            with self.subTest(role=role, query="superuser"):
                self.assertEqual(fp.sql(ci, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"), [("f",)])
        # and what a role may do, it may (the control for the refusals above)
        self.assertIsNone(sqlstate(fp.role_conninfo(self.ci, "fangpin_reporting"), "SELECT count(*) FROM ledger_members"))
        self.assertIsNone(sqlstate(fp.role_conninfo(self.ci, "fangpin_intake"), "SELECT count(*) FROM leads"))


class WaitsForTheMigrator(unittest.TestCase):
    def test_service_role_waits_for_fangpinctl_migrate(self):
        ci = fp.fresh_db("it_roles_wait", owner="fangpin_owner")
        keys = fp.Keys(ci, names=("reporting",))
        s = fp.Service("reporting", ci, keys, role="fangpin_reporting", wait_ready=False)
        try:
            fp.wait_for(lambda: "this role does not own the database" in s.log(), 30,
                        what="reporting saying it leaves the schema to the migrator")
            fp.wait_for(lambda: "waiting for the schema" in s.log(), 30, what="reporting waiting for the schema")
            self.assertNotEqual(fp.http_get(s.http + "/readyz")[0], 200)
            self.assertEqual(sqlstate(fp.role_conninfo(ci, "fangpin_reporting"), "CREATE TABLE mine (x int)"), "42501")
            fp.ctl(["migrate"], fp.role_conninfo(ci, "fangpin_owner"))
            s.wait_ready()
            self.assertNotIn("migration applied", s.log())
        finally:
            s.stop()
        self.assertEqual(fp.sql(ci, "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class c"
                                    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'"),
                         [("fangpin_owner",)])


if __name__ == "__main__":
    fp.main()
