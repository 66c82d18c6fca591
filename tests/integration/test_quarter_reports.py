"""The quarterly reports and the deadlines report (issue 6): scale_quarterly, measures_quarterly,
elimination_quarterly and deadlines over the assistance store, screening's cases and intake's
batches. The fixture is inserted with SQL (the assistance service is not what is under test) from
Python objects, and every number of every report is compared with a count written here in Python
over those objects, not with the report's SQL. Also: the rollup levels, freezing after the due day
until re-opened, CSV (BOM, Chinese headers), XLSX, arguments and scope, and the deadline.missed
events, written once per late unit, deadline and period."""
import datetime
import io
import json
import random
import time
import unittest
import zipfile

import fp
from fangpin.v1 import common_pb2, reporting_pb2

Code = common_pb2.Code
D = datetime.date.fromisoformat
COUNTY = "130822"
TOWNSHIP = "130822112"
QUARTER = "2026Q3"
QS, QE = D("2026-07-01"), D("2026-09-30")
QUARTER_DUE = "2026-10-07"       # 5 working days after 2026-09-30 (Mon-Fri, no holidays filled)
TODAY_OPEN = "2026-10-05"        # before the quarter's due day: computed live
TODAY_CLOSED = "2026-11-27"      # after it, and after 2026-10's last deadline (2026-11-25): frozen
KINDS = ["unstable_lifted", "marginal", "sudden_hardship"]
RISKS = ["illness", "disability", "schooling", "disaster", "accident", "industry_failure", "unstable_work",
         "lack_of_labour", "housing", "water", "other"]
CATEGORIES = ["industry", "finance", "employment", "housing", "water", "health", "education", "social_help",
              "relocation", "backstop", "helper", "risk_fund"]
STATUSES = ["planned", "in_progress", "delivered", "stopped"]
DEPTS = ["yibao", "weijian", "minzheng"]
REASONS = ["elim.backstop_household", "收入尚不稳定", "=cmd|' /C calc'!A0", "", "户主130822198001011234收入不稳"]
MASKED = {"户主130822198001011234收入不稳": "户主1308**********1234收入不稳"}

SCALE_KEYS = (["mon_hh", "mon_people", "ul_hh", "ul_people", "mg_hh", "mg_people", "sh_hh", "sh_people"]
              + [f"risk_{r}_hh" for r in RISKS]
              + ["new_hh", "new_people", "elim_hh", "elim_people", "elim_assist_hh", "elim_natural_hh"])
MEASURE_KEYS = ["total", "planned", "in_progress", "delivered", "stopped", "checked", "problem", "unchecked"]
ELIM_KEYS = ["nominated", "notice_posted", "township_approved", "county_confirmed", "eliminated", "elim_assist",
             "elim_natural", "returned", "refused", "refused_village", "refused_township", "refused_county", "undone",
             "at_nominated", "at_notice", "at_township_approved", "at_county_confirmed"]
DEADLINE_KEYS = ["deadline", "due_on", "done_on", "days_late", "late"]


def day(rng, lo, hi):
    a, b = D(lo), D(hi)
    return a + datetime.timedelta(days=rng.randrange((b - a).days + 1))


def q(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "ARRAY[" + ",".join(q(x) for x in v) + "]::text[]" if v else "'{}'::text[]"
    return "'" + str(v).replace("'", "''") + "'"


def insert(table, rows):
    if not rows:
        return ""
    cols = list(rows[0])
    vals = ",\n".join("(" + ",".join(q(r[c]) for c in cols) + ")" for r in rows)
    return f"INSERT INTO {table} ({','.join(cols)}) VALUES\n{vals};\n"


class Fixture:
    """Households, plans, measures, checks, history, summaries, batches and leads, as Python rows."""

    def __init__(self, villages):
        rng = random.Random(20261)
        self.villages = villages
        self.households, self.members, self.cases, self.plans = [], [], [], []
        self.measures, self.checks, self.history = [], [], []
        seq = 0
        for h in range(90):
            hno = f"H{h:04d}"
            village = rng.choice(villages)
            self.households.append(dict(county_code=COUNTY, household_no=hno, village_code=village,
                                        household_type="monitored", monitored_kind=rng.choice(KINDS),
                                        head_name="户主", survey_period="2026Q3"))
            for m in range(rng.randint(1, 5)):
                seq += 1
                left = rng.choice([None, None, None, "2026-08-15", "2026-11-02"])
                self.members.append(dict(county_code=COUNTY, **fp.id_columns(f"{COUNTY}1980{seq:08d}"),
                                         household_no=hno, name="某", relation="head" if m == 0 else "child",
                                         birth_date="1980-01-01", sex="male", labour="normal", health="healthy",
                                         schooling="none", insured=True, left_on=left,
                                         left_reason="moved" if left else ""))
            if h >= 80:
                continue  # ten households without a plan
            ident = day(rng, "2025-09-01", "2026-10-20")
            kind = self.households[-1]["monitored_kind"]
            self.cases.append(dict(id=h + 1, county_code=COUNTY, village_code=village, household_no=hno,
                                   state="identified", kind=kind, opened_on=str(ident - datetime.timedelta(days=20)),
                                   due_on=str(ident)))
            state, way, elim_on = "monitored", None, None
            r = rng.random()
            if r < 0.35:
                state, way = "eliminated", rng.choice(["by_assistance", "natural"])
                elim_on = day(rng, str(max(ident, D("2026-03-01"))), "2026-11-10")
                if elim_on < ident:
                    elim_on = ident
            elif r < 0.55:
                state = rng.choice(["nominated", "notice_posted", "township_approved", "county_confirmed"])
            self.plans.append(dict(id=h + 1, county_code=COUNTY, village_code=village, household_no=hno,
                                   kind="monitoring", case_id=h + 1, year=None, monitored_kind=kind,
                                   risk_types=rng.sample(RISKS, rng.randint(1, 3)), identified_on=str(ident),
                                   opened_on=str(ident), elim_state=state, elim_way=way,
                                   eliminated_on=str(elim_on) if elim_on else None))
        # two consolidation plans (measures count for every plan)
        for i, hh in enumerate(self.households[80:82]):
            self.plans.append(dict(id=200 + i, county_code=COUNTY, village_code=hh["village_code"],
                                   household_no=hh["household_no"], kind="consolidation", case_id=None, year=2026,
                                   monitored_kind=None, risk_types=[], identified_on=None, opened_on="2026-02-01",
                                   elim_state="monitored", elim_way=None, eliminated_on=None))
        mid = 0
        mrng = random.Random(20262)  # the measures' status history (its own draws: the rest is unchanged)
        self.mhistory = []
        for p in self.plans:
            for _ in range(rng.randint(0, 4)):
                mid += 1
                status = rng.choice(STATUSES)
                self.measures.append(dict(id=mid, county_code=COUNTY, plan_id=p["id"], category=rng.choice(CATEGORIES),
                                          title="措施", responsible_unit="县乡村振兴局",
                                          start_on=str(day(rng, "2026-01-01", "2026-11-30")), status=status,
                                          status_on=None if status == "planned" else str(day(rng, "2026-03-01", "2026-11-20")),
                                          stop_reason="户已搬迁" if status == "stopped" else ""))
                # its history: added (planned), maybe in progress, then its status now on status_on;
                # many changed after the quarter, so the report must count their status back then
                final = self.measures[-1]["status_on"]
                added = day(mrng, "2026-01-01", final or "2026-11-20")
                steps = [(added, "added", "planned")]
                if status in ("delivered", "stopped") and mrng.random() < 0.5:
                    steps.append((day(mrng, str(added), final), "in_progress", "in_progress"))
                if status != "planned":
                    steps.append((D(final), status, status))
                for on, event, to in steps:
                    self.mhistory.append(dict(county_code=COUNTY, plan_id=p["id"], measure_id=mid, on_day=str(on),
                                              actor="actor:x", level="village", event="measure." + event,
                                              from_state=None, to_state=to, reason="措施"))
                for quarter in ("2026Q2", QUARTER):
                    if rng.random() < 0.5:
                        self.checks.append(dict(county_code=COUNTY, measure_id=mid, quarter=quarter,
                                                checked_on="2026-09-10", actor="actor:x", level="village",
                                                result=rng.choice(["on_track", "problem"]), finding="已核查"))
        steps = [("nominate", "village"), ("post_notice", "village"), ("approve", "township"),
                 ("confirm", "county"), ("return", "township"), ("return", "county"), ("refuse", "village"),
                 ("refuse", "township"), ("refuse", "county"), ("undo", "county")]
        to = {"nominate": "nominated", "post_notice": "notice_posted", "approve": "township_approved",
              "confirm": "county_confirmed", "refuse": "monitored", "undo": "monitored"}
        for p in self.plans[:80]:
            for _ in range(rng.randint(0, 5)):
                step, level = rng.choice(steps)
                to_state = to.get(step) or ("nominated" if level == "township" else
                                            rng.choice(["notice_posted", "township_approved"]))
                self.history.append(dict(county_code=COUNTY, plan_id=p["id"], on_day=str(day(rng, "2026-05-01", "2026-11-10")),
                                         actor="actor:x", level=level, event="elimination." + step, to_state=to_state,
                                         reason=rng.choice(REASONS) if step in ("refuse", "return", "undo") else ""))
            if rng.random() < 0.3:
                self.history.append(dict(county_code=COUNTY, plan_id=p["id"], on_day="2026-08-01", actor="actor:x",
                                         level="village", event="measure.added", to_state=None, reason=""))
        self.summaries = [dict(county_code=COUNTY, quarter=QUARTER, submitted_on="2026-10-12", due_on=QUARTER_DUE,
                               actor="actor:130822:wang", counts="{}", request_id="qs-1")]
        # deadlines of 2026-10 (and 2026-09, which the scan also looks at)
        self.batches = [("yibao", "2026-10", "2026-11-03 10:00+08"), ("weijian", "2026-10", "2026-11-08 10:00+08"),
                        ("yibao", "2026-09", "2026-10-04 09:00+08")]
        towns = sorted({v[:9] for v in villages})
        self.towns = towns
        # per township: (lead status, day the township reviewed it, day the county decided it)
        plan = {towns[0]: [("identified", "2026-11-10", "2026-11-14"), ("unmatched", "2026-11-02", "2026-11-02")],
                towns[1]: [("identified", "2026-11-12", "2026-11-24"), ("not_included", "2026-11-22", "2026-11-22")],
                towns[2]: [("identified", "2026-11-15", "2026-11-20"), ("verifying", None, None)]}
        self.leads, self.case_leads, self.case_history = [], [], []
        lid, cid = 0, 1000
        for town, leads in plan.items():
            village = next(h["village_code"] for h in self.households if h["village_code"].startswith(town))
            hh = [h for h in self.households if h["village_code"] == village]
            for i, (status, town_on, county_on) in enumerate(leads):
                lid += 1
                self.leads.append(dict(id=lid, county_code=COUNTY, village_code=village, sender="dept:130822:yibao",
                                       department_code="yibao", batch_id="b-yibao-2026-10", line_no=lid,
                                       period="2026-10", kind="yibao.high_cost",
                                       **fp.id_columns(f"{COUNTY}19800101{lid:04d}"),
                                       name="某", occurred_on="2026-10-15", status=status,
                                       status_at=(town_on or "2026-11-01") + " 12:00+08",
                                       received_at="2026-11-03 10:00+08", received_on="2026-11-03"))
                if status == "unmatched":
                    continue
                cid += 1
                self.cases.append(dict(id=cid, county_code=COUNTY, village_code=village,
                                       household_no=hh[i]["household_no"] if i < len(hh) else hh[0]["household_no"],
                                       state="closed_not_included" if status == "not_included" else
                                       ("identified" if status == "identified" else "visited"),
                                       kind=None, opened_on="2026-10-15", due_on="2026-10-30"))
                self.case_leads.append(dict(county_code=COUNTY, case_id=cid, lead_id=lid))
                self.case_history.append(dict(county_code=COUNTY, case_id=cid, at="2026-11-05 09:00+08", actor="a",
                                              event="visit", from_state="opened", to_state="visited"))
                if town_on:
                    self.case_history.append(dict(county_code=COUNTY, case_id=cid, at=town_on + " 16:00+08",
                                                  actor="a", event="review", from_state="notice_posted",
                                                  to_state="closed_not_included" if status == "not_included"
                                                  else "township_reviewed"))
                if county_on and status != "not_included":
                    self.case_history.append(dict(county_code=COUNTY, case_id=cid, at=county_on + " 16:00+08",
                                                  actor="a", event="approve", from_state="township_reviewed",
                                                  to_state="county_approved"))
        self.lead_plan = plan

    def sql(self):
        s = ("INSERT INTO departments (county_code, code, name_zh, name_en) SELECT '130822', code, name_zh, name_en"
             " FROM department_types WHERE code IN ('yibao', 'weijian', 'minzheng');\n")
        s += insert("ledger_households", self.households) + insert("ledger_members", self.members)
        s += insert("cases", self.cases) + insert("plans", self.plans) + insert("measures", self.measures)
        s += insert("measure_checks", self.checks) + insert("plan_history", self.history)
        s += insert("plan_history", self.mhistory)
        s += insert("quarter_summaries", self.summaries)
        s += insert("lead_batches", [dict(county_code=COUNTY, sender=f"dept:130822:{d}", department_code=d,
                                          batch_id=f"b-{d}-{p}", period=p, content_hash="x", leads=1, accepted=1,
                                          duplicates=0, rejected=0, received_at=at, received_on=at[:10])
                                     for d, p, at in self.batches])
        s += insert("leads", self.leads) + insert("case_leads", self.case_leads)
        s += insert("case_history", self.case_history)
        return s

    # --- the independent counts ----------------------------------------------------------------

    def people(self, hno):
        return sum(1 for m in self.members if m["household_no"] == hno and (m["left_on"] is None or D(m["left_on"]) > QE))

    def units(self, prefix, code_of):
        """Adds a count to every unit the report has for prefix: the levels below it, and the total."""
        lens = {2: [4, 6, 9], 4: [6, 9], 6: [9]}.get(len(prefix), [12])
        return lambda village: [village[:n] for n in lens] + [""] if village.startswith(prefix) else []

    def scale(self, prefix):
        out = {}
        units = self.units(prefix, None)
        for p in self.plans:
            if p["kind"] != "monitoring" or D(p["identified_on"]) > QE:
                continue
            n = self.people(p["household_no"])
            elim_on = D(p["eliminated_on"]) if p["eliminated_on"] else None
            gone = elim_on is not None and elim_on <= QE
            for u in units(p["village_code"]):
                c = out.setdefault(u, dict.fromkeys(SCALE_KEYS, 0))
                if not gone:
                    c["mon_hh"] += 1
                    c["mon_people"] += n
                    k = {"unstable_lifted": "ul", "marginal": "mg", "sudden_hardship": "sh"}[p["monitored_kind"]]
                    c[k + "_hh"] += 1
                    c[k + "_people"] += n
                    for r in p["risk_types"]:
                        c[f"risk_{r}_hh"] += 1
                if D(p["identified_on"]) >= QS:
                    c["new_hh"] += 1
                    c["new_people"] += n
                if elim_on is not None and QS <= elim_on <= QE:
                    c["elim_hh"] += 1
                    c["elim_people"] += n
                    c["elim_assist_hh" if p["elim_way"] == "by_assistance" else "elim_natural_hh"] += 1
        return out

    def measures_count(self, prefix):
        out = {}
        units = self.units(prefix, None)
        plan = {p["id"]: p for p in self.plans}
        checks = {c["measure_id"]: c["result"] for c in self.checks if c["quarter"] == QUARTER}
        at_end = {}  # each measure's status on the quarter's last day: its last history row by then
        for h in self.mhistory:  # in id order, days ascending per measure
            if D(h["on_day"]) <= QE:
                at_end[h["measure_id"]] = h["to_state"]
        for m in self.measures:
            if D(m["start_on"]) > QE:
                continue
            if m["status"] in ("delivered", "stopped") and D(m["status_on"]) < QS:
                continue
            status = at_end.get(m["id"], "planned")  # recorded only after the quarter: planned
            res = checks.get(m["id"])
            village = plan[m["plan_id"]]["village_code"]
            for u in units(village) + (["cat:" + m["category"]] if village.startswith(prefix) else []):
                c = out.setdefault(u, dict.fromkeys(MEASURE_KEYS, 0))
                c["total"] += 1
                c[status] += 1
                c["checked"] += res is not None
                c["problem"] += res == "problem"
                c["unchecked"] += res is None and status in ("planned", "in_progress")
        return out

    def elimination(self, prefix):
        out, distinct = {}, {}
        units = self.units(prefix, None)
        plan = {p["id"]: p for p in self.plans}
        step_key = {"nominate": "nominated", "post_notice": "notice_posted", "approve": "township_approved",
                    "confirm": "county_confirmed", "return": "returned", "refuse": "refused", "undo": "undone"}
        reasons = {}
        for h in self.history:
            if not h["event"].startswith("elimination.") or not (QS <= D(h["on_day"]) <= QE):
                continue
            step = h["event"][len("elimination."):]
            village = plan[h["plan_id"]]["village_code"]
            if not village.startswith(prefix):
                continue
            for u in units(village):
                c = out.setdefault(u, dict.fromkeys(ELIM_KEYS, 0))
                distinct.setdefault((u, step), set()).add(h["plan_id"])
                if step == "refuse":
                    c["refused_" + h["level"]] += 1
            if step == "refuse":
                why = MASKED.get(h["reason"].strip(), h["reason"].strip()) or "（未填写原因）"
                r = reasons.setdefault(why, dict.fromkeys(ELIM_KEYS, 0) | {"plans": set()})
                r["plans"].add(h["plan_id"])
                r["refused_" + h["level"]] += 1
        for (u, step), plans in distinct.items():
            out[u][step_key[step]] = len(plans)
        for p in self.plans:
            if p["kind"] == "monitoring" and p["elim_state"] == "eliminated" and QS <= D(p["eliminated_on"]) <= QE:
                for u in units(p["village_code"]):
                    c = out.setdefault(u, dict.fromkeys(ELIM_KEYS, 0))
                    c["eliminated"] += 1
                    c["elim_assist" if p["elim_way"] == "by_assistance" else "elim_natural"] += 1
        # where each household stood at the quarter's end: its last elimination step (by day, then
        # by the order written) on or before the last day
        last = {}
        for h in self.history:  # in id order
            if h["event"].startswith("elimination.") and D(h["on_day"]) <= QE:
                if h["plan_id"] not in last or D(h["on_day"]) >= D(last[h["plan_id"]]["on_day"]):
                    last[h["plan_id"]] = h
        at = {"nominated": "at_nominated", "notice_posted": "at_notice", "township_approved": "at_township_approved",
              "county_confirmed": "at_county_confirmed"}
        for pid, h in last.items():
            village = plan[pid]["village_code"]
            if h["to_state"] in at:
                for u in units(village):
                    out.setdefault(u, dict.fromkeys(ELIM_KEYS, 0))[at[h["to_state"]]] += 1
        for why, r in reasons.items():
            r["refused"] = len(r.pop("plans"))
            out["reason:" + why] = r
        return out

    def late_units(self, period, as_of):
        """(deadline, unit kind, code, due, done or None) of every late unit of the county."""
        as_of = D(as_of)
        late = []
        if "Q" in period:
            due = D(QUARTER_DUE)
            s = next((x for x in self.summaries if x["quarter"] == period), None)
            done = D(s["submitted_on"]) if s else None
            if due < as_of and (done is None or done > due):
                late.append(("quarter_summary", "county", COUNTY, due, done))
            return late
        y, m = int(period[:4]), int(period[5:])
        n = datetime.date(y + m // 12, m % 12 + 1, 1)
        for d in sorted(DEPTS):
            due = n.replace(day=5)
            got = [D(at[:10]) for dd, p, at in self.batches if dd == d and p == period]
            done = min(got) if got else None
            if due < as_of and (done is None or done > due):
                late.append(("lead_push", "department", d, due, done))
        tdue, cdue = n.replace(day=20), n.replace(day=25)
        leads = self.lead_plan if period == "2026-10" else {}
        for t in sorted(r[0] for r in fp.sql(self.ci, f"SELECT code FROM regions WHERE length(code) = 9"
                                                      f" AND code LIKE '{COUNTY}%'")):
            ls = leads.get(t, [])
            ons = [D(x[1]) if x[1] else None for x in ls]
            done = (n - datetime.timedelta(days=1)) if not ls else (None if None in ons else max(ons))
            if tdue < as_of and (done is None or done > tdue):
                late.append(("township_report", "township", t, tdue, done))
        all_leads = [x for ls in leads.values() for x in ls]
        ons = [D(x[2]) if x[2] else None for x in all_leads]
        done = (n - datetime.timedelta(days=1)) if not all_leads else (None if None in ons else max(ons))
        if cdue < as_of and (done is None or done > cdue):
            late.append(("county_report", "county", COUNTY, cdue, done))
        return late


class QuarterReports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("it_quarter_reports")
        villages = [r[0] for r in fp.sql(cls.ci, "SELECT code FROM regions WHERE length(code) = 12 AND code LIKE"
                                                 " '130822%' ORDER BY code")]
        towns = sorted({v[:9] for v in villages})
        pick = [t for t in towns if t != TOWNSHIP][:3] + [TOWNSHIP]
        cls.fx = Fixture([v for t in pick for v in [x for x in villages if x.startswith(t)][:3]])
        cls.fx.ci = cls.ci
        fp.sql(cls.ci, cls.fx.sql())
        cls.keys = fp.Keys(cls.ci, fp.SERVICES + ("admin", "county", "township", "province"))
        k = cls.keys
        k.register("admin", "admin:county-it")
        k.register("county", "actor:130822:wang", kind="actor", level="county", region=COUNTY)
        k.register("township", "actor:130822112:zhang", kind="actor", level="township", region=TOWNSHIP)
        k.register("province", "actor:13:zhao", kind="actor", level="province", region="13")
        cls.open = fp.Service("reporting", cls.ci, k, env={"FANGPIN_TODAY": TODAY_OPEN,
                                                           "FANGPIN_REPORTING_DEADLINE_SCAN_MS": "0",
                                                           "FANGPIN_REPORTING_HTTP_REPORTS": "true",
                                                           "FANGPIN_REPORTING_HTTP_AUTH": "proxy"})
        cls.closed = fp.Service("reporting", cls.ci, k, env={"FANGPIN_TODAY": TODAY_CLOSED,
                                                             "FANGPIN_REPORTING_DEADLINE_SCAN_MS": "200",
                                                             "FANGPIN_REPORTING_DEADLINES_FROM": "2026-10"})

    @classmethod
    def tearDownClass(cls):
        for svc in (cls.open, cls.closed):
            rc = svc.stop()
            assert rc == 0 and "Sanitizer" not in svc.log(), svc.log()[-3000:]

    def report(self, report, svc=None, key="admin", prefix=COUNTY, period=QUARTER, fmt="proto"):
        req = reporting_pb2.ReportingRequest(request_id="r")
        req.get_report.report, req.get_report.region_prefix = report, prefix
        req.get_report.period, req.get_report.format = period, fmt
        c = (svc or self.open).client(key)
        try:
            r = c.call(req, reporting_pb2.ReportingReply, 20000)
        finally:
            c.close()
        self.assertIsNotNone(r, "no reply")
        return r

    def ok(self, *a, **kw):
        r = self.report(*a, **kw)
        self.assertEqual(r.status.code, Code.OK, r.status.message)
        return r.report

    def rows(self, rep):
        """{(kind, code): {key: int}} of a report's rows, via its columns and cells."""
        keys = [c.key for c in rep.columns]
        out = {}
        for row in rep.rows:
            self.assertEqual(len(row.cells), len(keys))
            out[(row.kind, row.code)] = {k: (int(v) if c.numeric else v)
                                         for k, v, c in zip(keys, row.cells, rep.columns)}
        return out

    def region_units(self, prefix):
        lens = {2: [4, 6, 9], 4: [6, 9], 6: [9]}.get(len(prefix), [12])
        return {r[0] for r in fp.sql(self.ci, f"SELECT code FROM regions WHERE code LIKE '{prefix}%'"
                                              f" AND length(code) IN ({','.join(map(str, lens))})")}

    def check_regions(self, rep, prefix, exp, keys, extra_kinds=()):
        got = self.rows(rep)
        kinds = {4: "prefecture", 6: "county", 9: "township", 12: "village"}
        units = self.region_units(prefix)
        zero = dict.fromkeys(keys, 0)
        for code in units:
            self.assertEqual(got[(kinds[len(code)], code)], exp.get(code, zero), code)
        self.assertEqual(got[("total", "")], exp.get("", zero))
        self.assertEqual({k for k in got if k[0] not in extra_kinds}, {(kinds[len(c)], c) for c in units} | {("total", "")})
        self.assertEqual(rep.rows[-1].kind, "total")
        self.assertEqual(rep.rows[-1].label, "合计")
        return got

    # --- the numbers ------------------------------------------------------------------------------

    def test_scale(self):
        village = self.fx.plans[0]["village_code"]
        for prefix, key in ((COUNTY, "admin"), ("1308", "province"), (TOWNSHIP, "township"), ("13", "province"),
                            (village, "admin")):
            rep = self.ok("scale_quarterly", prefix=prefix, key=key)
            self.assertFalse(rep.frozen)
            self.assertEqual(rep.deadline, QUARTER_DUE)
            exp = self.fx.scale(prefix)
            self.check_regions(rep, prefix, exp, SCALE_KEYS)
        total = self.fx.scale(COUNTY)[""]
        for k in SCALE_KEYS:  # the fixture makes every column count something, except maybe a rare risk type
            if not k.startswith("risk_"):
                self.assertGreater(total[k], 0, k)
        rep = self.ok("scale_quarterly")
        self.assertEqual(rep.title, "兴隆县 2026年第3季度 规模统计表")
        self.assertEqual([c.key for c in rep.columns], SCALE_KEYS)
        # the county's rows are its townships, labelled by name; the prefecture's are indented under counties
        labels = {r.code: r.label for r in rep.rows}
        self.assertEqual(labels[TOWNSHIP], "三道河镇")
        wide = self.ok("scale_quarterly", prefix="1308", key="province")
        wl = {r.code: (r.kind, r.label) for r in wide.rows}
        self.assertEqual(wl[COUNTY], ("county", "兴隆县"))
        self.assertEqual(wl[TOWNSHIP], ("township", "　三道河镇"))
        codes = [r.code for r in wide.rows if r.kind != "total"]
        self.assertLess(codes.index(COUNTY), codes.index(TOWNSHIP))
        # the SQL function the benchmark times gives the same rows
        direct = json.loads(fp.sql(self.ci, f"SELECT report_scale_quarterly_rows('{COUNTY}', '{QUARTER}',"
                                            f" '{TODAY_OPEN}')")[0][0])
        self.assertEqual(direct[-1]["mon_hh"], total["mon_hh"])

    def test_measures(self):
        for prefix, key in ((COUNTY, "admin"), (TOWNSHIP, "township"), ("1308", "province")):
            rep = self.ok("measures_quarterly", prefix=prefix, key=key)
            exp = self.fx.measures_count(prefix)
            got = self.check_regions(rep, prefix, exp, MEASURE_KEYS, extra_kinds=("category",))
            zero = dict.fromkeys(MEASURE_KEYS, 0)
            cats = [r.code for r in rep.rows if r.kind == "category"]
            self.assertEqual(cats, CATEGORIES)
            for c in CATEGORIES:
                self.assertEqual(got[("category", c)], exp.get("cat:" + c, zero), c)
        total = self.fx.measures_count(COUNTY)[""]
        for k in MEASURE_KEYS:
            self.assertGreater(total[k], 0, k)
        labels = {r.code: r.label for r in self.ok("measures_quarterly").rows if r.kind == "category"}
        self.assertEqual(labels["backstop"], "综合保障兜底")

    def test_elimination(self):
        for prefix, key in ((COUNTY, "admin"), (TOWNSHIP, "township")):
            rep = self.ok("elimination_quarterly", prefix=prefix, key=key)
            exp = self.fx.elimination(prefix)
            got = self.check_regions(rep, prefix, exp, ELIM_KEYS, extra_kinds=("reason",))
            reasons = {k: v for k, v in exp.items() if k.startswith("reason:")}
            got_reasons = {}
            for row in rep.rows:
                if row.kind == "reason":
                    self.assertTrue(row.label.startswith("不予消除原因："), row.label)
                    got_reasons["reason:" + row.label[len("不予消除原因："):]] = got[("reason", row.code)] \
                        if row.code else self.rows_by_label(rep)[row.label]
            self.assertEqual(got_reasons, reasons)
        total = self.fx.elimination(COUNTY)[""]
        for k in ELIM_KEYS:
            self.assertGreater(total[k], 0, k)
        rows = [r for r in self.ok("elimination_quarterly").rows if r.kind == "reason"]
        self.assertIn("elim.backstop_household", [r.code for r in rows])
        # an ID number typed into a reason never reaches the report
        self.assertIn("不予消除原因：户主1308**********1234收入不稳", [r.label for r in rows])
        self.assertNotIn("130822198001011234", "".join(r.label for r in rows))

    def rows_by_label(self, rep):
        keys = [c.key for c in rep.columns]
        return {row.label: {k: int(v) for k, v in zip(keys, row.cells)} for row in rep.rows}

    def test_deadlines_and_events(self):
        # frozen the day after the period's last deadline (lateness on it is known then)
        for period, due in (("2026-10", "2026-11-26"), (QUARTER, "2026-10-08")):
            rep = self.ok("deadlines", svc=self.closed, period=period)
            self.assertTrue(rep.frozen)
            self.assertEqual(rep.deadline, due)
            exp = self.fx.late_units(period, due)
            got = [r for r in rep.rows if r.kind not in ("subtotal", "total")]
            self.assertEqual([(r.kind, r.code) for r in got], [(k, c) for _, k, c, _, _ in exp])
            for r, (deadline, kind, code, d, done) in zip(got, exp):
                cells = dict(zip([c.key for c in rep.columns], r.cells))
                self.assertEqual(cells["due_on"], str(d))
                self.assertEqual(cells["done_on"], str(done) if done and done <= D(due) else "")
                end = done if done and done <= D(due) else D(due)
                self.assertEqual(int(cells["days_late"]), (end - d).days)
            self.assertEqual(rep.rows[-1].kind, "total")
            self.assertEqual(int(dict(zip([c.key for c in rep.columns], rep.rows[-1].cells))["late"]), len(exp))
        # the month's report names every kind of late unit
        kinds = {r.kind for r in self.ok("deadlines", svc=self.closed, period="2026-10").rows}
        self.assertTrue({"department", "township", "county"} <= kinds, kinds)
        # live (the open service's today, 2026-10-05): nothing of 2026-10 is due yet
        live = self.ok("deadlines", period="2026-10")
        self.assertFalse(live.frozen)
        self.assertEqual([r.kind for r in live.rows], ["total"])
        # the scan (every 200 ms in the closed service, as of 2026-11-27) looks at the months 2026-10
        # and 2026-09 and the quarter 2026Q3, one event per late unit, deadline and period; the
        # county began with fangpin in 2026-10 (FANGPIN_REPORTING_DEADLINES_FROM), so 2026-09 and
        # 2026Q3 (ended before it) are not announced
        want, every = set(), 0
        for period in ("2026-10", "2026-09", QUARTER):
            for deadline, kind, code, d, _ in self.fx.late_units(period, TODAY_CLOSED):
                region = (COUNTY if kind == "department" else code).ljust(12, "0")
                every += 1
                if period == "2026-10":
                    want.add((region, deadline, kind, code, period, str(d)))
        self.assertGreater(every, len(want))
        self.assertTrue(want)

        def events():
            return fp.sql(self.ci, "SELECT region_code, payload::text FROM events WHERE type = 'deadline.missed'")

        fp.wait_for(lambda: len(events()) >= len(want), what="deadline.missed events")
        self.closed.wait_scans("deadlines")  # a whole scan more: it announces nothing again
        got = [(r, json.loads(p)) for r, p in events()]
        self.assertEqual(len(got), len(want))
        self.assertEqual({(r, p["deadline"], p["unit_kind"], p["unit"], p["period"], p["due_on"]) for r, p in got},
                         want)
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM deadline_misses")[0][0], str(len(want)))
        # without a start month, the same scan announces all three periods (tried in a transaction
        # rolled back: nothing stays)
        import subprocess
        p = subprocess.run(["psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", self.ci, "-c", "BEGIN",
                            "-c", "DELETE FROM deadline_misses", "-c", f"SELECT report_deadline_scan('{TODAY_CLOSED}')",
                            "-c", f"SELECT report_deadline_scan('{TODAY_CLOSED}', '2026-09')", "-c", "ROLLBACK"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.split(), [str(every), "0"])
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM deadline_misses")[0][0], str(len(want)))
        p = subprocess.run(["psql", "-X", "-q", "-tA", self.ci, "-c",
                            f"SELECT report_deadline_scan('{TODAY_CLOSED}', '2026-13')"], capture_output=True, text=True)
        self.assertIn("p_from must be a month", p.stderr)

    # --- freezing, files, arguments -------------------------------------------------------------

    def test_frozen_until_reopened(self):
        a = self.ok("scale_quarterly", svc=self.closed, fmt="csv")
        self.assertTrue(a.frozen)
        self.check_regions(a, COUNTY, self.fx.scale(COUNTY), SCALE_KEYS)
        m1 = self.ok("measures_quarterly", svc=self.closed, fmt="xlsx")
        e1 = self.ok("elimination_quarterly", svc=self.closed)
        # the data change: a monitored household of the quarter is eliminated in it, a measure is
        # checked, a refusal is recorded
        pid = fp.sql(self.ci, "UPDATE plans SET elim_state = 'eliminated', elim_way = 'natural',"
                              " eliminated_on = '2026-09-01' WHERE id = (SELECT min(id) FROM plans WHERE kind = 'monitoring'"
                              " AND elim_state = 'monitored' AND identified_on <= '2026-06-30') RETURNING id")[0][0]
        mid = fp.sql(self.ci, "INSERT INTO measure_checks (county_code, measure_id, quarter, checked_on, actor, level,"
                              " result, finding) SELECT '130822', m.id, '2026Q3', '2026-09-20', 'a', 'village', 'on_track',"
                              " 'x' FROM measures m WHERE m.status = 'in_progress' AND m.start_on <= '2026-09-30' AND NOT"
                              " EXISTS (SELECT 1 FROM measure_checks c WHERE c.measure_id = m.id AND c.quarter = '2026Q3')"
                              " LIMIT 1 RETURNING id")[0][0]
        hid = fp.sql(self.ci, "INSERT INTO plan_history (county_code, plan_id, on_day, actor, level, event, reason)"
                              " VALUES ('130822', 1, '2026-09-02', 'a', 'county', 'elimination.refuse', '新原因')"
                              " RETURNING id")[0][0]
        b = self.ok("scale_quarterly", svc=self.closed, fmt="csv")
        self.assertEqual(b.SerializeToString(), a.SerializeToString())
        self.assertEqual(self.ok("measures_quarterly", svc=self.closed, fmt="xlsx").file, m1.file)
        self.assertEqual(self.ok("elimination_quarterly", svc=self.closed).SerializeToString(), e1.SerializeToString())
        # the live report (open service) sees the change at once
        self.assertEqual(self.rows(self.ok("scale_quarterly"))[("total", "")]["elim_natural_hh"],
                         self.rows(a)[("total", "")]["elim_natural_hh"] + 1)
        req = reporting_pb2.ReportingRequest(request_id="ro")
        req.reopen_report.report, req.reopen_report.region_prefix = "scale_quarterly", COUNTY
        req.reopen_report.period, req.reopen_report.reason = QUARTER, "补录风险消除"
        c = self.closed.client("county")
        try:
            r = c.call(req, reporting_pb2.ReportingReply, 20000)
        finally:
            c.close()
        self.assertEqual(r.status.code, Code.OK, r.status.message)
        c2 = self.ok("scale_quarterly", svc=self.closed, fmt="csv")
        self.assertTrue(c2.frozen)
        self.assertNotEqual(c2.file, a.file)
        self.assertEqual(self.rows(c2)[("total", "")]["elim_natural_hh"],
                         self.rows(a)[("total", "")]["elim_natural_hh"] + 1)
        # put the fixture back for the other tests' counts
        fp.sql(self.ci, "UPDATE plans SET elim_state = 'monitored', elim_way = NULL, eliminated_on = NULL"
                        f" WHERE id = {pid}")
        fp.sql(self.ci, f"DELETE FROM measure_checks WHERE id = {mid}")
        fp.sql(self.ci, f"DELETE FROM plan_history WHERE id = {hid}")

    def test_csv_and_xlsx(self):
        for report, keys in (("scale_quarterly", SCALE_KEYS), ("measures_quarterly", MEASURE_KEYS),
                             ("elimination_quarterly", ELIM_KEYS)):
            r = self.ok(report, fmt="csv")
            self.assertEqual(r.filename, f"{report}-130822-2026Q3.csv")
            self.assertTrue(r.file.startswith(b"\xef\xbb\xbf"), "no BOM")
            lines = r.file[3:].decode("utf-8").split("\r\n")[:-1]
            self.assertEqual(lines[0].split(",")[1:], [c.title for c in r.columns])
            self.assertEqual(len(lines) - 1, len(r.rows))
            self.assertEqual(lines[-1].split(","), ["合计"] + list(r.rows[-1].cells))
            x = self.ok(report, fmt="xlsx")
            z = zipfile.ZipFile(io.BytesIO(x.file))
            sheet, strings = z.read("xl/worksheets/sheet1.xml").decode(), z.read("xl/sharedStrings.xml").decode()
            self.assertIn(x.title, strings)
            for c in x.columns:
                self.assertIn(c.title, strings)
            last = len(x.rows) + 2
            self.assertRegex(sheet, rf'<c r="B{last}"[^>]*><v>{x.rows[-1].cells[0]}</v></c>')
        scale = self.ok("scale_quarterly", fmt="csv")
        head = scale.file[3:].decode().split("\r\n")[0].split(",")
        self.assertEqual(head[:3], ["区划", "监测对象户数", "监测对象人数"])
        # a refusal reason is a row of its own, as recorded (after the label's prefix: never a formula)
        el = self.ok("elimination_quarterly", fmt="csv").file.decode("utf-8")
        self.assertIn("\r\n不予消除原因：=cmd|' /C calc'!A0,", el)
        d = self.ok("deadlines", svc=self.closed, period="2026-10", fmt="csv")
        head = d.file[3:].decode().split("\r\n")[0].split(",")
        self.assertEqual(head, ["单位", "截止事项", "截止日期", "完成日期", "逾期天数", "逾期单位数"])
        x = self.ok("deadlines", svc=self.closed, period="2026-10", fmt="xlsx")
        self.assertIn("兴隆县 2026年10月 逾期情况", zipfile.ZipFile(io.BytesIO(x.file)).read("xl/sharedStrings.xml").decode())

    def test_arguments_and_scope(self):
        bad = [dict(report="scale_quarterly", period="2026-10"), dict(report="scale_quarterly", period="2026Q5"),
               dict(report="measures_quarterly", period="2026q3"), dict(report="elimination_quarterly", period=""),
               dict(report="lead_verification_monthly", period=QUARTER), dict(report="deadlines", period="2026-13"),
               dict(report="deadlines", period="2026Q0"), dict(report="scale_quarterly", prefix="13082"),
               dict(report="quarterly", period=QUARTER), dict(report="scale_quarterly", fmt="pdf")]
        for b in bad:
            r = self.report(**b)
            self.assertEqual(r.status.code, Code.BAD_REQUEST, b)
            self.assertTrue(r.status.message, b)
        r = self.report("scale_quarterly", period="2026-10")
        self.assertIn("YYYYQn", r.status.message)
        self.assertEqual(self.report("scale_quarterly", prefix="130822999").status.code, Code.NOT_FOUND)
        self.assertEqual(self.report("scale_quarterly", key="township").status.code, Code.FORBIDDEN)
        self.assertEqual(self.report("deadlines", key="township", prefix="130822100", period="2026-10").status.code,
                         Code.FORBIDDEN)
        self.assertEqual(self.report("scale_quarterly", key="county", prefix=TOWNSHIP).status.code, Code.OK)

    def test_http_download(self):
        # FANGPIN_REPORTING_HTTP_AUTH=proxy: no token, any region (the reverse proxy authenticates)
        import urllib.request
        url = f"{self.open.http}/reports/measures_quarterly?region={COUNTY}&period={QUARTER}&format=csv"
        with urllib.request.urlopen(url, timeout=20) as r:
            body = r.read()
            self.assertEqual(r.headers["Content-Disposition"],
                             'attachment; filename="measures_quarterly-130822-2026Q3.csv"')
        self.assertTrue(body.startswith("\ufeff区划/措施类别,措施总数".encode()))


if __name__ == "__main__":
    fp.main()
