"""The data-quality checks (疑点, issue 14) on a real database: every rule of quality_rules fires on
a household crafted for it and does not fire on one just across its boundary (one table, CASES,
checked to cover every rule); `fangpinctl quality run` is idempotent (a finding still found keeps
its id), a finding no longer found is fixed by the run, one past its due day is overdue, a
village actor explains one (refused for another village, and it opens again when its facts
change); `quality list` shows masked names and never an ID number, as a table or through the CSV
writer; docs/quality-checks.md is what tools/scripts/quality-doc.py makes from the rules."""
import csv
import io
import json
import os
import subprocess
import sys
import unittest
import zipfile

import fp
import test_events
from fangpin.v1 import common_pb2, reporting_pb2
from test_quarter_reports import q

COUNTY = "130822"
VA, VB = "130822112201", "130822112202"  # 花水村, 鸠儿峪村 (兴隆县 fixture)
ON = "2026-10-01"   # the run's day: the line of Hebei is 6600 yuan; the last finished quarter 2026Q3
LINE = 660000       # fen
TODAY = {"FANGPIN_TODAY": ON}
_seq = [0]


def person(**kw):
    """A member: the head, born 1980-01-01 (46 on ON), a man of full labour, healthy, insured."""
    m = dict(relation="head", birth_date="1980-01-01", sex="male", labour="normal", health="healthy",
             disability_grade=None, schooling="none", insured=True, left_on=None, name="张建国")
    m.update(kw)
    return m


def household(no, members=None, village=VA, plan=None, measures=(), incomes=(), **cols):
    """SQL making household no: a general household with 60000 yuan of wages and every guarantee
    met, its members (default: the head alone), its identified case and plan, measures, checks
    and income follow-ups."""
    h = dict(household_type="general", monitored_kind=None, head_name="张建国", wage_fen=6000000,
             production_cost_fen=0, pension_fen=0, tekun_fen=0, food_clothing_ok=True, education_ok=True,
             medical_ok=True, housing_ok=True, water_ok=True)
    h.update(cols)
    if h["household_type"] == "monitored" and not h["monitored_kind"]:
        h["monitored_kind"] = "marginal"
    out = [f"INSERT INTO ledger_households (county_code, household_no, village_code, survey_period, {', '.join(h)})"
           f" VALUES ('{COUNTY}', '{no}', '{village}', '2026Q3', {', '.join(q(v) for v in h.values())});"]
    for m in members if members is not None else [person()]:
        _seq[0] += 1
        if m.get("left_on"):
            m = dict(m, left_reason="not_in_census:2026Q3")
        m = dict(m)
        # what an upper level found of the person (federation_found, replicated down: docs/federation.md)
        for county, elsewhere in m.pop("found", {}).items():
            out.append(f"INSERT INTO federation_found (county_code, found_by, id_hmac, source, ref, elsewhere, found_on)"
                       f" VALUES ('{county}', '1308', sha256('person {_seq[0]}'::bytea), 'ledger', '{no}',"
                       f" {q(elsewhere)}, '2026-09-30');")
        for (dept, fact), value in m.pop("dept_facts", {}).items():
            out.append(f"INSERT INTO dept_facts (county_code, id_hmac, department_code, fact, value, as_of, export_id,"
                       f" batch_id) SELECT '{COUNTY}', sha256('person {_seq[0]}'::bytea), '{dept}', '{fact}',"
                       f" '{value}', '2026-09-30', min(id), 'it' FROM compare_exports;")
        cols_ = ", ".join(m)
        out.append(f"INSERT INTO ledger_members (county_code, household_no, id_hmac, id_sealed, id_masked, {cols_})"
                   f" VALUES ('{COUNTY}', '{no}', sha256('person {_seq[0]}'::bytea), '\\x00'::bytea,"
                   f" '1308**********{_seq[0]:04d}', {', '.join(q(v) for v in m.values())});")
    if plan is not None:
        out += plan_sql(no, village, plan, measures, incomes)
    return out


def plan_sql(no, village, plan, measures, incomes):
    p = dict(kind="marginal", risk_types=["illness"], identified_on="2026-01-05", elim_state="monitored",
             elim_way=None, eliminated_on=None, findings=[], case_per_capita=500000, household_kind=None)
    p.update(plan)
    out = [f"INSERT INTO cases (county_code, village_code, household_no, state, kind, risk_types, opened_on, due_on,"
           f" line_fen, per_capita_net_fen) VALUES ('{COUNTY}', '{village}', '{no}', 'identified', {q(p['kind'])},"
           f" {q(p['risk_types'])}, '2025-12-20', '2026-01-04', {LINE}, {p['case_per_capita']});",
           f"INSERT INTO plans (county_code, village_code, household_no, kind, case_id, monitored_kind, risk_types,"
           f" identified_on, opened_on, elim_state, elim_way, eliminated_on, findings) SELECT '{COUNTY}', '{village}',"
           f" '{no}', 'monitoring', max(id), {q(p['kind'])}, {q(p['risk_types'])}, {q(p['identified_on'])},"
           f" '2026-01-06', {q(p['elim_state'])}, {q(p['elim_way'])}, {q(p['eliminated_on'])},"
           f" {q(json.dumps(p['findings']))}::jsonb FROM cases WHERE household_no = '{no}';"]
    plan_id = f"(SELECT id FROM plans WHERE household_no = '{no}')"
    for m in measures:
        m = dict(dict(category="industry", status="in_progress", start_on="2026-02-01", checked=True), **m)
        out.append(f"INSERT INTO measures (county_code, plan_id, category, title, responsible_unit, start_on, status)"
                   f" VALUES ('{COUNTY}', {plan_id}, {q(m['category'])}, '帮扶', '农业农村局', {q(m['start_on'])},"
                   f" {q(m['status'])});")
        if m["checked"]:
            out.append(f"INSERT INTO measure_checks (county_code, measure_id, quarter, checked_on, actor, level,"
                       f" result, finding) SELECT '{COUNTY}', max(id), '2026Q3', '2026-09-20', 'actor:x', 'village',"
                       f" 'on_track', '已落实' FROM measures;")
    for month, fen in incomes:
        out.append(f"INSERT INTO household_income (county_code, household_no, month, per_capita_net_fen, recorded_by)"
                   f" VALUES ('{COUNTY}', '{no}', '{month}', {fen}, 'actor:x');")
    return out


def with_member(**kw):
    return dict(members=[person(), person(name="李秀兰", **kw)])


MON = dict(household_type="monitored")
ELIMINATED = dict(elim_state="eliminated", elim_way="by_assistance", eliminated_on="2026-09-01")


def finding(pid):
    return [{"id": pid, "zh": "检查", "seen": "x=1", "why_zh": "原因"}]


# rule -> (the household that fires it, the household just across its boundary): household() kwargs
CASES = {
    "Q001": (with_member(relation="spouse", sex="female", birth_date="2007-01-01"),
             with_member(relation="spouse", sex="female", birth_date="2006-10-01")),
    "Q002": (with_member(relation="child", birth_date="1994-10-01"), with_member(relation="child", birth_date="1995-10-01")),
    "Q003": (with_member(relation="parent", birth_date="1966-10-01"),
             with_member(relation="parent", birth_date="1965-10-01")),
    "Q004": (with_member(relation="grandchild", birth_date="2009-10-01"),
             with_member(relation="grandchild", birth_date="2010-10-01")),
    "Q005": (with_member(relation="grandparent", birth_date="1951-10-01"),
             with_member(relation="grandparent", birth_date="1950-10-01")),
    "Q006": (with_member(relation="spouse", sex="male"), with_member(relation="spouse", sex="female")),
    "Q007": (dict(members=[person(birth_date="2009-01-01")]), dict(members=[person(birth_date="2008-10-01")])),
    # found by the prefecture in another county: for this county, or (across the boundary) for another
    "Q008": (dict(members=[person(found={COUNTY: ["130825"]})]), dict(members=[person(found={"130825": [COUNTY]})])),
    "Q010": (with_member(relation="child", birth_date="2011-01-01", labour="weak"),
             with_member(relation="child", birth_date="2010-10-01", labour="weak")),
    "Q011": (dict(members=[person(birth_date="1966-10-01")]), dict(members=[person(birth_date="1966-10-02")])),
    "Q012": (with_member(health="disabled", disability_grade=2), with_member(health="disabled", disability_grade=3)),
    "Q013": (with_member(health="serious"), with_member(health="serious", labour="weak")),
    "Q020": (with_member(relation="child", birth_date="2019-10-01", labour="none", schooling="preschool"),
             with_member(relation="child", birth_date="2020-10-01", labour="none", schooling="preschool")),
    "Q021": (with_member(relation="child", birth_date="2011-10-01", labour="none", schooling="dropped_out"),
             with_member(relation="child", birth_date="2010-10-01", labour="none", schooling="dropped_out")),
    "Q022": (with_member(relation="child", birth_date="2020-10-01", labour="none", schooling="none"),
             with_member(relation="child", birth_date="2021-10-01", labour="none", schooling="none")),
    "Q023": (with_member(relation="child", birth_date="2016-01-01", labour="none", schooling="dropped_out"),
             dict(with_member(relation="child", birth_date="2016-01-01", labour="none", schooling="dropped_out"),
                  education_ok=False)),
    "Q030": (dict(with_member(insured=False), household_type="lifted"), with_member(insured=False)),
    "Q031": (with_member(insured=False), dict(with_member(insured=False), medical_ok=None)),
    "Q032": (with_member(health="disabled"), with_member(health="disabled", disability_grade=4)),
    "Q033": (with_member(health="serious", labour="weak"), dict(with_member(health="serious", labour="weak"),
                                                                 medical_oop_fen=1)),
    "Q040": (dict(members=[person(left_on="2026-07-01"), person(relation="spouse", sex="female")]),
             with_member(relation="spouse", sex="female")),
    "Q041": (dict(members=[person(), person(relation="spouse", sex="female"), person(relation="spouse", sex="female")]),
             with_member(relation="spouse", sex="female")),
    "Q042": (dict(members=[person(left_on="2026-07-01")]), {}),
    "Q043": (dict(members=[person()] + [person(relation="child", birth_date="2005-01-01")] * 12),
             dict(members=[person()] + [person(relation="child", birth_date="2005-01-01")] * 11)),
    "Q050": (dict(wage_fen=LINE - 1), dict(wage_fen=LINE)),
    "Q051": (dict(wage_fen=0, production_cost_fen=100), dict(wage_fen=0)),
    "Q052": (dict(wage_fen=0), dict(wage_fen=1)),
    "Q053": (dict(tekun_fen=1), dict(tekun_fen=1, members=[person(labour="weak")])),
    "Q054": (dict(members=[person(labour="none")]), dict(members=[person(labour="weak")])),
    "Q055": (dict(household_type="lifted", members=[person(birth_date="1966-10-01")]),
             dict(household_type="lifted", members=[person(birth_date="1966-10-02")])),
    "Q056": (dict(dibao_fen=1), dict(household_type="lifted", dibao_fen=1)),
    "Q060": (dict(food_clothing_ok=False), dict(MON, food_clothing_ok=False)),
    "Q061": (dict(education_ok=False), dict(MON, education_ok=False)),
    "Q062": (dict(medical_ok=False), dict(MON, medical_ok=False)),
    "Q063": (dict(housing_ok=False), dict(MON, housing_ok=False)),
    "Q064": (dict(water_ok=False), dict(MON, water_ok=False)),
    "Q065": (dict(household_type="lifted", water_ok=None), dict(household_type="lifted")),
    "Q070": (dict(MON), dict(MON, plan={})),
    "Q071": (dict(MON, plan=dict(risk_types=[])), dict(MON, plan={})),
    "Q072": (dict(MON, plan=dict(risk_types=["illness", "disability", "schooling", "disaster", "accident", "water"])),
             dict(MON, plan=dict(risk_types=["illness", "disability", "schooling", "disaster", "accident"]))),
    "Q073": (dict(household_type="lifted", plan={}), dict(household_type="lifted", plan=ELIMINATED)),
    "Q074": (dict(MON, plan=dict(kind="sudden_hardship")), dict(MON, plan={})),
    "Q075": (dict(MON, plan=dict(case_per_capita=LINE * 3 // 2)), dict(MON, plan=dict(case_per_capita=LINE * 3 // 2 - 1))),
    "Q076": (dict(MON, plan=dict(risk_types=["housing"])), dict(MON, housing_ok=False, plan=dict(risk_types=["housing"]))),
    "Q077": (dict(MON, plan=dict(risk_types=["water"])), dict(MON, water_ok=False, plan=dict(risk_types=["water"]))),
    "Q078": (dict(MON, housing_ok=False, plan=dict(risk_types=["water"])),
             dict(MON, housing_ok=False, plan=dict(risk_types=["water", "housing"]))),
    "Q079": (dict(MON, water_ok=False, plan=dict(risk_types=["housing"])),
             dict(MON, water_ok=False, plan=dict(risk_types=["water", "housing"]))),
    "Q081": (dict(household_type="lifted", medical_ok=False, plan=ELIMINATED),
             dict(household_type="lifted", medical_ok=None, plan=ELIMINATED)),
    "Q080": (dict(household_type="lifted", plan=ELIMINATED, incomes=[("2026-08-01", LINE - 1)]),
             dict(household_type="lifted", plan=ELIMINATED, incomes=[("2026-08-01", LINE)])),
    "Q090": (dict(MON, plan={}, measures=[dict(status="planned", start_on="2026-08-31")]),
             dict(MON, plan={}, measures=[dict(status="planned", start_on="2026-09-01")])),
    "Q091": (dict(MON, plan={}, measures=[dict(checked=False)]), dict(MON, plan={}, measures=[{}])),
    "Q092": (dict(MON, plan={}, measures=[dict(category="education")]),
             dict(MON, plan={}, measures=[dict(category="education")],
                  members=[person(), person(relation="child", birth_date="2012-01-01", labour="none",
                                            schooling="in_school")])),
    "Q093": (dict(MON, plan={}, measures=[dict(category="employment")], members=[person(labour="none")]),
             dict(MON, plan={}, measures=[dict(category="employment")], members=[person(labour="weak")])),
    # what a department said in a comparison (dept_facts, docs/compare.md)
    "Q094": (dict(MON, members=[person(dept_facts={("yibao", "insured"): "no"})]),
             dict(MON, members=[person(dept_facts={("yibao", "insured"): "yes"})])),
    "Q095": (dict(members=[person(insured=False, dept_facts={("yibao", "insured"): "yes"})]),
             dict(members=[person(insured=False, dept_facts={("yibao", "insured"): "no"})])),
    "Q096": (dict(members=[person(dept_facts={("minzheng", "dibao"): "yes"})]),
             dict(MON, members=[person(dept_facts={("minzheng", "dibao"): "yes"})])),
    # 住建 names the spouse: the house is the household's, the finding the head's
    "Q097": (dict(MON, members=[person(), person(relation="spouse", sex="female", name="李秀兰",
                                                 dept_facts={("zhujian", "house_safe"): "no"})]),
             dict(MON, members=[person(dept_facts={("zhujian", "house_safe"): "yes"})])),
    "Q098": (dict(MON, housing_ok=False, members=[person(dept_facts={("zhujian", "house_safe"): "yes"})]),
             dict(MON, housing_ok=False, members=[person(dept_facts={("zhujian", "house_safe"): "no"})])),
    # 12 on ON fires; 16 is past compulsory school age
    "Q099": (with_member(relation="child", birth_date="2014-01-01", labour="none", schooling="in_school",
                         dept_facts={("jiaoyu", "at_school"): "no"}),
             with_member(relation="child", birth_date="2010-09-01", labour="none", schooling="in_school",
                         dept_facts={("jiaoyu", "at_school"): "no"})),
    "Q100": (with_member(relation="child", birth_date="2014-01-01", labour="none", schooling="none",
                         dept_facts={("jiaoyu", "at_school"): "yes"}),
             with_member(relation="child", birth_date="2014-01-01", labour="none", schooling="in_school",
                         dept_facts={("jiaoyu", "at_school"): "yes"})),
}
for _n in range(1, 10):
    CASES[f"Q10{_n}"] = (dict(MON, plan=dict(findings=finding(f"P0{_n}"))),
                         dict(MON, plan=dict(findings=finding(f"P0{_n % 9 + 1}"))))


def build(ci, cases):
    # the export the department facts answer (dept_facts.export_id)
    sql = ["INSERT INTO compare_exports (county_code, department_code, sender, reason, columns, rows)"
           f" VALUES ('{COUNTY}', 'yibao', 'it', 'it', '{{id_number}}', 0);"]
    for rule, (fire, clean) in cases.items():
        sql += household(rule + "F", **fire) + household(rule + "C", **clean)
    fp.sql(ci, "\n".join(sql))


def found(ci, state="state <> 'fixed'"):
    return {(r, h) for r, h in fp.sql(ci, f"SELECT rule_code, household_no FROM quality_findings WHERE {state}")}


class Rules(unittest.TestCase):
    """Each rule at its boundary, all evaluated by one run."""

    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("it_quality_rules")
        build(cls.ci, CASES)
        cls.ran = fp.ctl(["quality", "run", "--county", COUNTY], cls.ci, env=TODAY)
        cls.found = found(cls.ci)

    def test_every_rule_has_a_case(self):
        rules = {r for r, in fp.sql(self.ci, "SELECT code FROM quality_rules")}
        self.assertEqual(rules, set(CASES))
        self.assertGreaterEqual(len(rules), 61)

    def test_each_rule_fires_and_not_across_its_boundary(self):
        for rule in sorted(CASES):
            with self.subTest(rule=rule):
                self.assertIn((rule, rule + "F"), self.found, f"{rule} did not fire on {rule}F")
                self.assertNotIn((rule, rule + "C"), self.found, f"{rule} fired on {rule}C")

    def test_run_prints_counts_per_rule(self):
        out = self.ran.stdout
        self.assertIn(f"of county {COUNTY} on {ON}", out)
        self.assertRegex(out, r"\nQ050 +error +income +\d+ +\d+")

    def test_findings_name_the_person_and_facts(self):
        rows = fp.sql(self.ci, "SELECT subject, id_hmac IS NOT NULL, plan_id IS NOT NULL, facts::text, village_code,"
                               " state, opened_on, due_on FROM quality_findings WHERE (rule_code, household_no) IN"
                               " (('Q001', 'Q001F'), ('Q050', 'Q050F'), ('Q071', 'Q071F'))")
        by = {r[0].split(":")[0]: r for r in rows}
        self.assertEqual(len(by), 3)
        self.assertEqual(by["person"][1:3], ("t", "f"))
        self.assertEqual(json.loads(by["person"][3]), {"relation": "spouse", "age": 19})
        self.assertEqual(json.loads(by["household"][3])["line_fen"], LINE)
        self.assertEqual(by["plan"][1:3], ("f", "t"))
        self.assertEqual(by["plan"][4:], (VA, "open", ON, "2026-10-31"))

    def test_list_is_masked_and_holds_no_id_number(self):
        table = fp.ctl(["quality", "list", "--rule", "Q001"], self.ci).stdout
        self.assertIn("李*兰", table)  # the person the rule found
        self.assertNotIn("李秀兰", table)
        self.assertIn("Q001F", table)
        self.assertNotIn("Q001C", table)
        table = fp.ctl(["quality", "list", "--rule", "Q050", "--state", "open"], self.ci).stdout
        self.assertIn("张*国", table)  # a household rule: the head
        self.assertNotIn("张建国", table)
        out = os.path.join(fp.VAR, "quality-list.csv")
        fp.ctl(["quality", "list", "--region", VA, "--category", "identity", "--out", out], self.ci)
        with open(out, encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual({r["category"] for r in rows}, {"identity"})
        self.assertIn(("Q006", "Q006F", "李*兰"), {(r["rule"], r["household_no"], r["name"]) for r in rows})
        self.assertTrue(all(r["id_masked"] == "" or "**********" in r["id_masked"] for r in rows))
        stdout = fp.ctl(["quality", "list", "--severity", "error", "--format", "csv"], self.ci).stdout
        rows = list(csv.DictReader(io.StringIO(stdout.lstrip("\ufeff"))))
        self.assertTrue(rows and {r["severity"] for r in rows} == {"error"})

    def test_docs_are_the_rules(self):
        p = subprocess.run([sys.executable, os.path.join(fp.SOURCE, "tools/scripts/quality-doc.py"), self.ci],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(fp.SOURCE, "docs/quality-checks.md"), encoding="utf-8") as f:
            committed = f.read()
        self.assertEqual(committed, p.stdout, "docs/quality-checks.md is not what tools/scripts/quality-doc.py makes from "
                                              "quality_rules: run it against a migrated database and commit the page")


class HouseholdTypes(unittest.TestCase):
    """Each rule's household that fires it, made again as a household of each type: the rule fires
    on the types it lists and on no other (quality_rule_test leaves out the type test of a rule of
    every type: the ledger's CHECK allows no other type)."""

    TYPES = ("general", "lifted", "monitored")

    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("it_quality_types")
        cases = {}
        for rule, (fire, _clean) in CASES.items():
            for t in cls.TYPES:
                kind = (fire.get("monitored_kind") or "marginal") if t == "monitored" else None
                cases[f"{rule}{t[0]}"] = (dict(fire, household_type=t, monitored_kind=kind), None)
        sql = ["INSERT INTO compare_exports (county_code, department_code, sender, reason, columns, rows)"
               f" VALUES ('{COUNTY}', 'yibao', 'it', 'it', '{{id_number}}', 0);"]
        for no, (h, _) in cases.items():
            sql += household(no, **h)
        fp.sql(cls.ci, "\n".join(sql))
        fp.ctl(["quality", "run", "--county", COUNTY], cls.ci, env=TODAY)
        cls.found = found(cls.ci)
        cls.types = {r: set(t.strip("{}").split(",")) for r, t in
                     fp.sql(cls.ci, "SELECT code, household_types FROM quality_rules")}

    def test_a_rule_fires_on_its_types_only(self):
        self.assertTrue(any(len(t) < 3 for t in self.types.values()))
        for rule in sorted(CASES):
            for t in self.TYPES:
                with self.subTest(rule=rule, household_type=t):
                    self.assertEqual((rule, f"{rule}{t[0]}") in self.found, t in self.types[rule])


class Life(unittest.TestCase):
    """The findings' life across runs."""

    def setUp(self):
        self.ci = fp.county_db(f"it_quality_{self._testMethodName[-20:]}")
        build(self.ci, {r: CASES[r] for r in ("Q001", "Q050", "Q064", "Q071")})
        keys = fp.Keys(self.ci, ("va", "vb"))
        keys.register("va", f"actor:{VA}:li", kind="actor", level="village", region=VA)
        keys.register("vb", f"actor:{VB}:wang", kind="actor", level="village", region=VB)

    def run_on(self, day, *more):
        return fp.ctl(["quality", "run", "--county", COUNTY] + list(more), self.ci, env={"FANGPIN_TODAY": day})

    def findings(self):
        return {(r, h): (int(i), s) for i, r, h, s in fp.sql(
            self.ci, "SELECT id, rule_code, household_no, state FROM quality_findings WHERE state <> 'fixed'")}

    def test_rerun_keeps_findings_and_fixes_what_is_gone(self):
        self.run_on(ON)
        first = self.findings()
        self.run_on(ON)
        self.assertEqual(self.findings(), first, "a second run on the same records changed the findings")
        fp.sql(self.ci, "UPDATE ledger_households SET wage_fen = 700000 WHERE household_no = 'Q050F'")
        out = self.run_on("2026-10-02").stdout
        now = self.findings()
        self.assertNotIn(("Q050", "Q050F"), now)
        self.assertEqual({k: v for k, v in first.items() if k != ("Q050", "Q050F")}, now)
        self.assertEqual(fp.sql(self.ci, "SELECT state, fixed_on, fixed_run = (SELECT max(id) FROM quality_runs)"
                                         " FROM quality_findings WHERE household_no = 'Q050F' AND rule_code = 'Q050'"),
                         [("fixed", "2026-10-02", "t")])
        self.assertRegex(out, r"\nQ050 .* 0 +0 +0 +0 +1 ")
        fp.sql(self.ci, "UPDATE ledger_households SET wage_fen = 100 WHERE household_no = 'Q050F'")
        self.run_on("2026-10-03")
        again = self.findings()[("Q050", "Q050F")]
        self.assertNotEqual(again[0], first[("Q050", "Q050F")][0], "a problem found again after a fix is a new finding")

    def test_overdue_after_the_due_day(self):
        self.run_on(ON)
        self.run_on("2026-10-31")
        self.assertEqual(self.findings()[("Q064", "Q064F")][1], "open")
        self.run_on("2026-11-01")
        self.assertEqual(self.findings()[("Q064", "Q064F")][1], "overdue")
        self.assertEqual(fp.sql(self.ci, "SELECT counts->>'overdue' FROM quality_runs ORDER BY id DESC LIMIT 1"),
                         [(str(len(self.findings())),)])

    def test_only_the_rules_asked_are_run(self):
        self.run_on(ON, "--rules", "Q064")
        self.assertEqual(set(self.findings()), {("Q064", "Q064F")})
        self.run_on(ON)
        self.run_on(ON, "--rules", "Q001")  # Q064's finding is not judged, so not fixed
        self.assertIn(("Q064", "Q064F"), self.findings())
        p = fp.ctl(["quality", "run", "--county", COUNTY, "--rules", "Q999"], self.ci, check=False, env=TODAY)
        self.assertEqual(p.returncode, 1)
        self.assertIn("unknown quality rule", p.stderr)

    def test_explained_by_the_village_and_reopened_when_facts_change(self):
        self.run_on(ON)
        fid, _ = self.findings()[("Q050", "Q050F")]
        p = fp.ctl(["quality", "explain", str(fid), "--by", f"actor:{VB}:wang", "--reason", "外出务工收入未统计"],
                   self.ci, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not an active village actor", p.stderr)
        p = fp.ctl(["quality", "explain", str(fid), "--by", f"actor:{VA}:li", "--reason", "身份证 130822196805120033"],
                   self.ci, check=False)
        self.assertEqual(p.returncode, 2)
        fp.ctl(["quality", "explain", str(fid), "--by", f"actor:{VA}:li", "--reason", "外出务工收入未统计"], self.ci)
        self.assertEqual(fp.sql(self.ci, f"SELECT state, explanation, explained_by FROM quality_findings WHERE id = {fid}"),
                         [("explained", "外出务工收入未统计", f"actor:{VA}:li")])
        p = fp.ctl(["quality", "explain", str(fid), "--by", f"actor:{VA}:li", "--reason", "again"], self.ci, check=False)
        self.assertIn("not open or overdue", p.stderr)
        self.run_on("2026-11-15")  # past the due day, facts unchanged: stays explained
        self.assertEqual(self.findings()[("Q050", "Q050F")], (fid, "explained"))
        fp.sql(self.ci, "UPDATE ledger_households SET wage_fen = 100 WHERE household_no = 'Q050F'")
        self.run_on("2026-11-16")
        self.assertEqual(self.findings()[("Q050", "Q050F")], (fid, "open"))
        self.assertEqual(fp.sql(self.ci, f"SELECT due_on FROM quality_findings WHERE id = {fid}"), [("2026-12-16",)])


class Events(unittest.TestCase):
    """finding.opened and finding.closed: written by the run in its transaction, published and
    replayed by the reporting service like every event, naming the finding and never a person."""

    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("it_quality_events")
        build(cls.ci, {r: CASES[r] for r in ("Q001", "Q050")})
        cls.keys = fp.Keys(cls.ci, names=("reporting", "admin"))
        cls.keys.register("admin", "admin:county-it")
        cls.svc, _ = test_events.start(cls.ci, cls.keys)
        cls.client = cls.svc.client("admin")

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.svc.stop()

    def replayed(self, after, types):
        fp.wait_for(lambda: fp.sql(self.ci, test_events.UNPUBLISHED)[0][0] == "0", 30, what="every event published")
        r = test_events.replay(self.client, VA[:9], after, types=types)
        self.assertEqual(r.status.code, common_pb2.OK, r.status.message)
        return [(e.type, e.region, json.loads(e.payload_json)) for e in r.events.events]

    def head(self):
        return int(fp.sql(self.ci, "SELECT coalesce(max(position), 0) FROM event_positions")[0][0])

    def test_opened_then_closed_by_the_run_after_a_fix(self):
        fp.ctl(["quality", "run", "--county", COUNTY], self.ci, env=TODAY)
        run1, = [int(x) for x, in fp.sql(self.ci, "SELECT max(id) FROM quality_runs")]
        rows = fp.sql(self.ci, "SELECT id, rule_code, household_no FROM quality_findings ORDER BY id")
        self.assertEqual({(r, h) for _, r, h in rows}, {("Q001", "Q001F"), ("Q050", "Q050F")})
        cats = {"Q001": "identity", "Q050": "income"}
        opened = self.replayed(0, ["finding.opened"])
        self.assertEqual(opened, [("finding.opened", VA, {"finding_id": int(i), "rule": r, "category": cats[r],
                                                          "run_id": run1, "household_no": h}) for i, r, h in rows])
        self.assertEqual(self.replayed(0, ["finding.closed"]), [])
        for _, _, payload in opened:
            self.assertNotIn("name", payload)
            self.assertNotRegex(json.dumps(payload, ensure_ascii=False), r"\d{15}|张|李")
        before = self.head()
        fp.ctl(["quality", "run", "--county", COUNTY], self.ci, env=TODAY)
        self.assertEqual(self.replayed(before, ["finding.opened", "finding.closed"]), [],
                         "a run that found the same findings wrote events")
        fp.sql(self.ci, "UPDATE ledger_households SET wage_fen = 700000 WHERE household_no = 'Q050F'")
        fp.ctl(["quality", "run", "--county", COUNTY], self.ci, env={"FANGPIN_TODAY": "2026-10-02"})
        run3, = [int(x) for x, in fp.sql(self.ci, "SELECT max(id) FROM quality_runs")]
        fixed = [int(i) for i, r, _ in rows if r == "Q050"]
        self.assertEqual(self.replayed(before, ["finding.opened", "finding.closed"]),
                         [("finding.closed", VA, {"finding_id": fixed[0], "rule": "Q050", "category": "income",
                                                  "run_id": run3, "household_no": "Q050F"})])

    def test_a_refused_event_writes_no_run(self):
        """The events are written in the run's transaction: a run whose events the catalogue
        refuses leaves neither run nor finding behind."""
        ci = fp.county_db("it_quality_events_refused")
        build(ci, {"Q052": CASES["Q052"]})
        fp.sql(ci, "DELETE FROM event_fields WHERE type = 'finding.opened' AND field = 'household_no'")
        p = fp.ctl(["quality", "run", "--county", COUNTY], ci, check=False, env=TODAY)
        self.assertEqual(p.returncode, 1)
        self.assertIn("event.unknown_field", p.stderr)
        self.assertEqual(fp.sql(ci, "SELECT (SELECT count(*) FROM quality_runs), (SELECT count(*) FROM"
                                    " quality_findings), (SELECT count(*) FROM events)"), [("0", "0", "0")])


class Report(unittest.TestCase):
    """疑点问题整改情况 (quality_findings) through the reporting service: the findings opened in the
    period by where they stood on the report day, per region and per rule, as CSV and XLSX."""

    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("it_quality_report")
        build(cls.ci, {r: CASES[r] for r in ("Q001", "Q050", "Q064")})
        cls.keys = fp.Keys(cls.ci, names=("reporting", "admin", "va"))
        cls.keys.register("admin", "admin:county-it")
        cls.keys.register("va", f"actor:{VA}:li", kind="actor", level="village", region=VA)
        run = lambda day: fp.ctl(["quality", "run", "--county", COUNTY], cls.ci, env={"FANGPIN_TODAY": day})
        run(ON)
        fid, = fp.sql(cls.ci, "SELECT id FROM quality_findings WHERE rule_code = 'Q001'")[0]
        fp.ctl(["quality", "explain", fid, "--by", f"actor:{VA}:li", "--reason", "年龄登记有误，待户籍核实"], cls.ci)
        # explained_at is the clock's, not FANGPIN_TODAY's: put it on the fixture's calendar
        fp.sql(cls.ci, f"UPDATE quality_findings SET explained_at = '2026-10-01 18:00+08' WHERE id = {fid}")
        fp.sql(cls.ci, "UPDATE ledger_households SET wage_fen = 700000 WHERE household_no = 'Q050F'")
        run("2026-10-02")  # Q050F is fixed: closed
        fp.sql(cls.ci, "\n".join(household("VBZERO", village=VB, wage_fen=0)))
        run("2026-10-20")  # VBZERO opens Q050 and Q052, due 2026-11-19
        cls.svc = fp.Service("reporting", cls.ci, cls.keys, env={"FANGPIN_TODAY": "2026-11-05",
                                                                 "FANGPIN_REPORTING_DEADLINE_SCAN_MS": "0"})

    @classmethod
    def tearDownClass(cls):
        rc = cls.svc.stop()
        assert rc == 0 and "Sanitizer" not in cls.svc.log(), cls.svc.log()[-3000:]

    def get(self, prefix=COUNTY, period="2026-10", fmt="proto"):
        req = reporting_pb2.ReportingRequest(request_id="q")
        req.get_report.report, req.get_report.region_prefix = "quality_findings", prefix
        req.get_report.period, req.get_report.format = period, fmt
        c = self.svc.client("admin")
        try:
            r = c.call(req, reporting_pb2.ReportingReply, 20000)
        finally:
            c.close()
        self.assertEqual(r.status.code, common_pb2.OK, r.status.message)
        return r.report

    def rows(self, rep):
        keys = [c.key for c in rep.columns]
        self.assertEqual(keys, ["opened", "open", "overdue", "explained", "closed"])
        return {(row.kind, row.code): dict(zip(keys, map(int, row.cells))) for row in rep.rows}

    def test_counts_by_state_per_region_and_rule(self):
        rep = self.get()
        self.assertFalse(rep.frozen)
        rows = self.rows(rep)
        nrules = int(fp.sql(self.ci, "SELECT count(*) FROM quality_rules")[0][0])
        self.assertEqual(len([k for k in rows if k[0] == "rule"]), nrules, "a row for every rule")
        z = dict(opened=0, open=0, overdue=0, explained=0, closed=0)
        self.assertEqual(rows[("rule", "Q001")], dict(z, opened=1, explained=1))
        self.assertEqual(rows[("rule", "Q050")], dict(z, opened=2, open=1, closed=1))  # Q050F closed; VBZERO open
        self.assertEqual(rows[("rule", "Q052")], dict(z, opened=1, open=1))
        self.assertEqual(rows[("rule", "Q064")], dict(z, opened=1, overdue=1))  # due 2026-10-31, report day 11-05
        self.assertEqual(rows[("rule", "Q007")], z)
        total = rows[("total", "")]
        for key in z:
            self.assertEqual(total[key], sum(v[key] for k, v in rows.items() if k[0] == "rule"), key)
            self.assertEqual(total[key], rows[("township", VA[:9])][key], key)
        self.assertEqual(total["opened"], total["open"] + total["overdue"] + total["explained"] + total["closed"])
        self.assertEqual(total["opened"], int(fp.sql(self.ci, "SELECT count(*) FROM quality_findings")[0][0]))
        village = self.rows(self.get(prefix=VB))
        self.assertEqual(village[("village", VB)], dict(z, opened=2, open=2))
        self.assertEqual(village[("total", "")], village[("village", VB)])

    def test_period_selects_when_opened(self):
        self.assertEqual(self.rows(self.get(period="2026Q4")), self.rows(self.get(period="2026-10")))
        self.assertEqual(self.rows(self.get(period="2026-09"))[("total", "")]["opened"], 0)

    def test_csv_and_xlsx(self):
        r = self.get(fmt="csv")
        self.assertEqual(r.filename, "quality_findings-130822-2026-10.csv")
        self.assertTrue(r.file.startswith(b"\xef\xbb\xbf"), "no BOM")
        lines = r.file[3:].decode("utf-8").split("\r\n")[:-1]
        self.assertEqual(lines[0].split(","), ["区划/疑点规则", "本期发现疑点", "待整改", "逾期未整改", "已说明", "已整改销号"])
        self.assertEqual(len(lines) - 1, len(r.rows))
        self.assertIn("Q064 " + fp.sql(self.ci, "SELECT message_zh FROM quality_rules WHERE code = 'Q064'")[0][0]
                      + ",1,0,1,0,0", lines)
        x = self.get(fmt="xlsx")
        z = zipfile.ZipFile(io.BytesIO(x.file))
        strings = z.read("xl/sharedStrings.xml").decode()
        self.assertIn("疑点问题整改情况", x.title)
        self.assertIn(x.title, strings)
        self.assertIn("已整改销号", strings)


if __name__ == "__main__":
    fp.main()
