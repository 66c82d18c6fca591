"""Inputs at the edges, as the logs and the database see them (issue 11): a run of all four
services writes only JSON lines on stderr, PostgreSQL's NOTICEs included; a failed statement is
logged with its SQLSTATE and message but never its DETAIL (which holds the failing row's
values); a bearer token reaches SQL only as its SHA-256 (the test database logs every
statement with its parameters to look)."""
import json
import os
import unittest

import fp
from fangpin.v1 import common_pb2, intake_pb2, reporting_pb2, screening_pb2

Code = common_pb2.Code
TODAY = "2026-11-24"
V1 = "130822100001"


def id_number(seq):
    body = f"13082219800101{seq:03d}"
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w)) % 11]


class Logs(unittest.TestCase):
    def test_a_full_run_logs_json_lines_only(self):
        ci = fp.county_db("it_logs")
        dbname = "it_logs"
        fp.sql(fp.conninfo("postgres"), f"ALTER DATABASE {dbname} SET log_statement = 'all'")
        keys = fp.Keys(ci, fp.SERVICES + ("admin", "yibao", "county"))
        keys.register("admin", "admin:county-it")
        keys.register("yibao", "dept:130822:yibao", kind="department", level="county", dept="yibao")
        keys.register("county", "actor:130822:xl", kind="actor", level="county", region="130822")
        env = {"FANGPIN_TODAY": TODAY, "FANGPIN_REPORTING_HTTP_REPORTS": "true"}
        svcs = []
        try:
            intake = fp.Service("intake", ci, keys, env=dict(env, FANGPIN_INTAKE_DB_CONNECTIONS="1"))
            svcs.append(intake)
            screening = fp.Service("screening", ci, keys, env=dict(env, FANGPIN_SCREENING_LEADS_PULL=intake.leads_push))
            svcs.append(screening)
            assistance = fp.Service("assistance", ci, keys, env=dict(
                env, FANGPIN_ASSISTANCE_IDENTIFIED_PULL=screening.identified_push))
            svcs.append(assistance)
            reporting = fp.Service("reporting", ci, keys, env=env)
            svcs.append(reporting)

            def submit(batch, leads):
                req = intake_pb2.IntakeRequest(request_id=batch)
                req.submit_leads.batch_id = batch
                req.submit_leads.period = "2026-10"
                for i, (name, seq) in enumerate(leads):
                    req.submit_leads.leads.append(intake_pb2.Lead(
                        id_number=id_number(seq), name=name, village_code=V1, kind="yibao.high_cost",
                        occurred_on="2026-10-15", amount_fen=500000, has_amount=True, line_ref=str(i + 1)))
                c = intake.client("yibao")
                try:
                    return c.call(req, intake_pb2.IntakeReply, 20000)
                finally:
                    c.close()

            # two batches on one connection: the second CREATE TEMP TABLE IF NOT EXISTS gets a NOTICE
            self.assertEqual(submit("b1", [("张三", 1)]).status.code, Code.OK)
            self.assertEqual(submit("b2", [("王五", 2)]).status.code, Code.OK)
            # a statement that fails with a DETAIL holding the row ("Failing row contains (...)")
            fp.sql(ci, "ALTER TABLE leads ADD CONSTRAINT it_logs_no_lisi CHECK (name <> '李四')")
            failed = submit("b3", [("李四", 3)])
            self.assertNotEqual(failed.status.code, Code.OK)
            fp.wait_for(lambda: "SQLSTATE 23514" in intake.log(), 10, what="the failed statement logged")

            c = screening.client("county")
            try:
                r = c.call(screening_pb2.ScreeningRequest(request_id="l", list_cases=screening_pb2.ListCases()),
                           screening_pb2.ScreeningReply)
                self.assertEqual(r.status.code, Code.OK, r.status)
            finally:
                c.close()
            c = reporting.client("county")
            try:
                r = c.call(reporting_pb2.ReportingRequest(request_id="r", replay=reporting_pb2.Replay(
                    region_prefix="130822")), reporting_pb2.ReportingReply)
                self.assertEqual(r.status.code, Code.OK, r.status)
            finally:
                c.close()
            c = assistance.client("admin")
            try:
                c.send_frames([common_pb2.PingRequest(request_id="p", ping=common_pb2.Ping()).SerializeToString()])
                self.assertIsNotNone(c.recv(5000))
            finally:
                c.close()

            # a bearer token, issued and used: only its SHA-256 goes to SQL
            tok = fp.token(ci, "actor:130822:xl")
            status, _ = fp.http_get(reporting.http + "/reports/lead_verification_monthly?region=130822&period=2026-10",
                                    timeout=30, token=tok)
            self.assertEqual(status, 200)
        finally:
            for s in svcs:
                s.stop()
            fp.sql(fp.conninfo("postgres"), f"ALTER DATABASE {dbname} RESET log_statement")

        notices = 0
        for s in svcs:
            lines = [line for line in s.log().splitlines() if line.strip()]
            self.assertTrue(lines, f"{s.name} logged nothing")
            for n, line in enumerate(lines, 1):
                try:
                    rec = json.loads(line)
                except ValueError:
                    self.fail(f"{s.name}'s stderr line {n} is not JSON: {line[:200]}")
                self.assertIsInstance(rec, dict)
                self.assertIn("msg", rec)
                notices += rec["msg"] == "database notice"
            self.assertNotIn("DETAIL", s.log())
            self.assertNotIn("Failing row", s.log())
            self.assertNotIn("李四", s.log())
        self.assertGreater(notices, 0, "no NOTICE reached the JSON logger")
        failed_lines = [r for r in intake.log_records() if "SQLSTATE 23514" in r.get("error", "")]
        self.assertTrue(failed_lines)
        self.assertIn("it_logs_no_lisi", failed_lines[0]["error"])

        with open(os.path.join(fp.pg_cluster(os.path.join(fp.VAR, "pg")), "postgres.log"), encoding="utf-8",
                  errors="replace") as f:
            pglog = f.read()
        self.assertIn("http_tokens", pglog, "the database did not log the statements")
        self.assertNotIn(tok, pglog, "the plain bearer token reached SQL")
        self.assertNotIn(tok[4:], pglog)


if __name__ == "__main__":
    fp.main()
