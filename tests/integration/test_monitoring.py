"""Monitoring a county can switch on (issue 12): deploy/monitoring's scrape file and alert rules
pass promtool's checks and the rules' unit tests; every metric the rules and the Grafana
dashboard query is one the four running services really export; the services' /metrics passes
promtool's exposition parser; the relay's lag gauges count events written and not published."""
import json
import os
import re
import subprocess
import unittest

import fp
from fangpin.v1 import assistance_pb2, intake_pb2, reporting_pb2, screening_pb2

MON = os.path.join(fp.SOURCE, "deploy", "monitoring")
PROMTOOL = "/usr/bin/promtool"
RELAY_LOCK = 7105001  # the lock relay_number() (functions/events.sql) takes: the numbering waits for it
# PromQL words that are not metric names
KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
            "offset", "inf", "nan"}
BUILTIN = {"up"}  # made by Prometheus for every target, not by the services
TYPES = {"intake": (intake_pb2.IntakeRequest, intake_pb2.IntakeReply),
         "screening": (screening_pb2.ScreeningRequest, screening_pb2.ScreeningReply),
         "assistance": (assistance_pb2.AssistanceRequest, assistance_pb2.AssistanceReply),
         "reporting": (reporting_pb2.ReportingRequest, reporting_pb2.ReportingReply)}


def promtool(*args):
    r = subprocess.run([PROMTOOL] + list(args), cwd=MON, capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout + r.stderr


def metric_names(expr):
    """The metric names a PromQL expression selects: its identifiers, once strings, label
    matchers, grouping clauses, ranges and function names are taken out."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        word, rest = m.group(0), e[m.end():].lstrip()
        if rest.startswith("(") or word.lower() in KEYWORDS or e[m.start() - 1:m.start()].isdigit():
            continue
        names.add(word)
    return names


def rule_exprs():
    """The expr of every rule in fangpin-rules.yml (read as text: the file keeps one per line)."""
    with open(os.path.join(MON, "fangpin-rules.yml")) as f:
        return [m.group(1) for m in re.finditer(r"(?m)^\s+expr:\s*(.+)$", f.read())]


def dashboard_exprs():
    with open(os.path.join(MON, "grafana-fangpin.json")) as f:
        dash = json.load(f)
    return [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]


class Promtool(unittest.TestCase):
    def test_scrape_file_and_rules_check(self):
        rc, out = promtool("check", "config", "prometheus.yml")
        self.assertEqual(rc, 0, out)
        rc, out = promtool("check", "rules", "fangpin-rules.yml")
        self.assertEqual(rc, 0, out)
        self.assertIn("SUCCESS", out)

    def test_rules_unit_tests(self):
        rc, out = promtool("test", "rules", "fangpin-rules.test.yml")
        self.assertEqual(rc, 0, out)

    def test_every_alert_is_unit_tested_and_documented(self):
        with open(os.path.join(MON, "fangpin-rules.yml")) as f:
            alerts = re.findall(r"(?m)^\s+- alert:\s*(\w+)", f.read())
        with open(os.path.join(MON, "fangpin-rules.test.yml")) as f:
            tested = set(re.findall(r"(?m)^\s+alertname:\s*(\w+)", f.read()))
        with open(os.path.join(fp.SOURCE, "docs", "operations.md")) as f:
            doc = f.read()
        self.assertGreaterEqual(len(alerts), 10)
        for a in alerts:
            self.assertIn(a, tested, f"{a} has no promtool unit test")
            self.assertTrue(f"`{a}`" in doc, f"{a} is not explained in docs/operations.md")

    def test_name_extraction(self):
        self.assertEqual(metric_names('histogram_quantile(0.99, sum by (service, le) (rate(x_bucket{a="b"}[5m]))) > 1'),
                         {"x_bucket"})
        self.assertEqual(metric_names("a > 0 and on (instance) increase(b_total[10m]) == 0"), {"a", "b_total"})


class ExportedNames(unittest.TestCase):
    """The four services on a county database, as `make up` runs them."""

    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("it_monitoring")
        cls.keys = fp.Keys(cls.ci)
        cls.keys.register("admin", "admin:county-it")
        env = {"FANGPIN_REPORTING_HEARTBEAT_MS": "200"}
        cls.svcs = {n: fp.Service(n, cls.ci, cls.keys, env=env) for n in fp.SERVICES}

    @classmethod
    def tearDownClass(cls):
        for s in cls.svcs.values():
            s.stop()

    def exported(self):
        names = set()
        for s in self.svcs.values():
            names |= {n for n, _, _ in fp.metrics(s.http)}
        return names

    def ping(self, name):
        req_t, rep_t = TYPES[name]
        c = self.svcs[name].client("admin")
        try:
            req = req_t(request_id=f"mon-{name}")
            req.ping.note = "monitoring"
            return c.call(req, rep_t)
        finally:
            c.close()

    def test_rules_and_dashboard_query_exported_metrics(self):
        # a request answered by each (fangpin_requests_total has a series per operation and
        # code, made by the first), and the start-up scans done (what they count has a value)
        for name in fp.SERVICES:
            self.ping(name)
        self.svcs["screening"].wait_scans("overdue", more=1, since=0)
        exported = self.exported()
        for where, exprs in (("fangpin-rules.yml", rule_exprs()), ("grafana-fangpin.json", dashboard_exprs())):
            self.assertTrue(exprs, where)
            used = set().union(*(metric_names(e) for e in exprs))
            self.assertTrue(any(n.startswith("fangpin_") for n in used), where)
            missing = sorted(used - exported - BUILTIN)
            self.assertEqual(missing, [], f"{where} queries metrics no service exports")

    def test_metrics_parse_as_prometheus_text(self):
        for name, s in self.svcs.items():
            st, body = fp.http_get(s.http + "/metrics")
            self.assertEqual(st, 200)
            r = subprocess.run([PROMTOOL, "check", "metrics"], input=body, capture_output=True, text=True,
                               timeout=60)
            self.assertNotIn("error while linting", r.stdout + r.stderr, f"{name}: {r.stdout}{r.stderr}")
            self.assertIn('fangpin_db_statement_seconds_bucket{service="%s",le="+Inf"}' % name, body)

    def test_database_metrics_count_statements(self):
        s = self.svcs["reporting"]
        before = s.metric("fangpin_db_statement_seconds_count")
        errors = s.metric("fangpin_db_errors_total")
        self.assertEqual(fp.http_get(s.http + "/readyz")[0], 200)  # a SELECT 1 on the service's connection
        fp.wait_for(lambda: s.metric("fangpin_db_statement_seconds_count") > before, 30,
                    what="reporting's /readyz statement counted in fangpin_db_statement_seconds")
        self.assertEqual(s.metric("fangpin_db_errors_total"), errors)  # an idle service fails nothing

    def test_relay_lag(self):
        """Events the relay cannot claim (their pending rows locked by another session: the claim skips them)
        are counted unpublished, with an age; once free they are published and the lag is 0."""
        s, n = self.svcs["reporting"], 7
        held = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", self.ci], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, text=True)
        try:
            # hold the relay's numbering lock while the events are written and locked, so that it
            # cannot claim them in between; then let it go
            held.stdin.write(f"SELECT pg_advisory_lock({RELAY_LOCK});\n"
                             "INSERT INTO events (county_code, region_code, type, payload) SELECT '130822',"
                             f" '130822112001', 'lag.test', jsonb_build_object('n', g) FROM generate_series(1, {n}) g;\n"
                             "BEGIN;\nSELECT id FROM events_pending WHERE id IN (SELECT id FROM events WHERE type = 'lag.test')"
                             " FOR UPDATE;\n"
                             f"SELECT pg_advisory_unlock({RELAY_LOCK});\n")
            held.stdin.flush()
            fp.wait_for(lambda: s.metric("fangpin_relay_lag_events") >= n and s.metric("fangpin_relay_lag_seconds") > 0,
                        60, what=f"the relay's lag counting the {n} locked events")
        finally:
            if held.poll() is None:
                held.stdin.write("COMMIT;\n")
                held.stdin.close()
                held.wait(30)
        fp.wait_for(lambda: fp.sql(self.ci, "SELECT count(*) FROM events_pending WHERE id IN"
                                             " (SELECT id FROM events WHERE type = 'lag.test')")[0][0] == "0", 60, what="the events published")
        fp.wait_for(lambda: s.metric("fangpin_relay_lag_events") == 0 and s.metric("fangpin_relay_lag_seconds") == 0,
                    60, what="the relay's lag back to 0")
        self.assertGreaterEqual(s.metric("fangpin_events_published_total"), n)

    def test_overdue_gauge_matches_the_cases(self):
        s = self.svcs["screening"]
        s.wait_scans("overdue", more=1, since=0)  # the start-up scan; nothing changes the cases after it
        want = int(fp.sql(self.ci, "SELECT count(*) FROM cases WHERE state NOT IN ('identified',"
                                    " 'closed_not_included') AND overdue_step = state")[0][0])
        self.assertEqual(s.metric("fangpin_cases_overdue"), want)


if __name__ == "__main__":
    fp.main()
