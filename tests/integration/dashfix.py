"""The dashboard tests' county (test_dashboard_api.py, test_dashboard.py): 兴隆县 with households,
monitored plans, open cases, a month of leads from six departments (bench/reporting/fixture.sql,
small), a few plans with plan-check findings and cases reported overdue, principals at every
level with bearer tokens, and a reporting service with the dashboard, the downloads and /events
on."""
import csv
import io
import json
import os
import subprocess
import urllib.error
import urllib.request

import fp

TODAY = "2026-12-03"   # the dashboard's defaults: month 2026-11, quarter 2026Q4
MONTH = "2026-11"
QUARTER = "2026Q4"
COUNTY = "130822"
TOWNSHIP = "130822100"  # 兴隆镇
OTHER_TOWNSHIP = "130822101"
PRINCIPALS = {  # key name: (principal id, kind, level, region, department)
    "county": ("actor:130822:dash", "actor", "county", COUNTY, None),
    "township": ("actor:130822100:dash", "actor", "township", TOWNSHIP, None),
    "village": ("actor:130822100201:dash", "actor", "village", "130822100201", None),
    "yibao": ("dept:130822:yibao", "department", "county", COUNTY, "yibao"),
}


def county(name):
    """A county database with the fixture's data; returns its conninfo."""
    ci = fp.county_db(name)
    env = dict(os.environ, FANGPIN_DATA_KEY=fp.data_key(), FP_BENCH_TMP=fp.VAR)
    args = {"prefix": COUNTY, "people": 1500, "monitored": 150, "open_cases": 40, "leads": 120,
            "quarter": QUARTER, "month": MONTH}
    cmd = ["psql", ci, "-Xq", "-v", "ON_ERROR_STOP=1"]
    for k, v in args.items():
        cmd += ["-v", f"{k}={v}"]
    subprocess.run(cmd + ["-f", "bench/reporting/fixture.sql"], env=env, cwd=fp.SOURCE, check=True,
                   capture_output=True, timeout=600)
    # what screening's overdue scan and assistance's plan check would have written
    fp.sql(ci, "UPDATE cases SET overdue_step = state WHERE id % 4 = 0"
               " AND state NOT IN ('identified', 'closed_not_included')")
    fp.sql(ci, "UPDATE plans SET findings = jsonb_build_array(jsonb_build_object('id', 'P04', 'zh',"
               " '计划开立超过30天仍无帮扶措施', 'seen', '', 'why_zh', '')), findings_at = now() WHERE id % 7 = 0")
    return ci


def keys(ci):
    k = fp.Keys(ci, fp.SERVICES + ("admin",) + tuple(PRINCIPALS))
    k.register("admin", "admin:dash-it")
    for name, (pid, kind, level, region, dept) in PRINCIPALS.items():
        k.register(name, pid, kind=kind, level=level, region=region, dept=dept)
    return k


def tokens(ci):
    return {name: fp.token(ci, p[0], "--label", "大屏测试") for name, p in PRINCIPALS.items()}


def reporting(ci, k, **env):
    e = {"FANGPIN_TODAY": TODAY, "FANGPIN_REPORTING_DASH": "true", "FANGPIN_REPORTING_HTTP_REPORTS": "true",
         "FANGPIN_REPORTING_SSE": "true", "FANGPIN_REPORTING_HEARTBEAT_MS": "200"}
    e.update(env)
    return fp.Service("reporting", ci, k, env=e)


def get(url, token=None):
    """(status, headers, body bytes) of a GET with a bearer token."""
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def api(svc, path, token):
    st, h, body = get(f"{svc.http}/dash/api/{path}", token)
    return st, h, json.loads(body) if h.get("Content-Type", "").startswith("application/json") else body


def report_csv(svc, report, region, period, token):
    """The report's download as {first column's label: {header: cell}} (the rows as the CSV has them)."""
    st, _, body = get(f"{svc.http}/reports/{report}?region={region}&period={period}&format=csv", token)
    assert st == 200, (st, body[:300])
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    head = rows[0]
    return {r[0]: dict(zip(head[1:], r[1:])) for r in rows[1:]}
