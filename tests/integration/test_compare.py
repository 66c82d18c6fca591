"""Data comparison with departments (数据比对, issue 14; docs/compare.md) through the real intake
service, `fangpinctl compare` and PostgreSQL: 医保 (yibao) exports its ledger slice (audited:
who, county, columns, rows, reason; only its county's present members, only its columns, the ID
number opened; paged), as CSV and XLSX; it answers with a file in which a monitored person is
uninsured and a person the ledger marks uninsured is insured, and findings Q094 and Q095 open;
the same file again changes nothing; yibao is refused 民政's columns, and a department of another
county is refused this county's rows. 住建 (zhujian) and 教育 (jiaoyu) answer too: an unsafe house the
ledger says is safe opens Q097 and the reverse Q098; a child of compulsory school age 教育 says is
not at school in a household whose compulsory education the ledger says is guaranteed opens Q099,
a child the ledger says is not at school whom 教育 says is opens Q100."""
import csv
import io
import os
import shutil
import re
import signal
import tempfile
import threading
import time
import unittest
import zipfile
import xml.etree.ElementTree as ET

import fp
from fangpin.v1 import common_pb2, intake_pb2 as I
from test_push_xlsx import write_xlsx

Code = common_pb2.Code
TODAY = "2026-11-24"
COUNTY = "130822"
VA, VB = "130822112201", "130822112202"  # 花水村, 鸠儿峪村 (tests/fixtures/regions/130822)
P1 = fp.id_number(11, "19700101")  # head of a monitored household, insured in the ledger
P2 = fp.id_number(12, "19750101")  # head of a general household, NOT insured in the ledger
P3 = fp.id_number(14, "19780101")  # P2's spouse, insured
P4 = fp.id_number(15, "19600101")  # left the ledger
P9 = fp.id_number(19, "19800101", region="130823")  # another county's person
P6 = fp.id_number(22, "19820101")  # head of a lifted household whose housing and schooling are guaranteed
P7 = fp.id_number(23, "20140301")  # P6's child, at school in the ledger
P8 = fp.id_number(24, "19850101")  # head of a general household whose house is not safe in the ledger
P10 = fp.id_number(25, "20120501")  # P8's child, not at school in the ledger
REASON = "2026Q4 季度比对"


def member(county, no, idn, name, relation="head", insured=True, left_on=None, schooling="none"):
    c = fp.id_columns(idn)
    left = f"'{left_on}', 'not_in_census:2026Q3'" if left_on else "NULL, ''"
    return (f"INSERT INTO ledger_members (county_code, household_no, id_hmac, id_sealed, id_masked, name, relation,"
            f" sex, birth_date, labour, health, schooling, insured, left_on, left_reason) VALUES ('{county}', '{no}',"
            f" '{c['id_hmac']}', '{c['id_sealed']}', '{c['id_masked']}', '{name}', '{relation}', 'male',"
            f" '{idn[6:10]}-{idn[10:12]}-{idn[12:14]}', 'normal', 'healthy', '{schooling}', {str(insured).lower()},"
            f" {left});")


def household(county, no, village, kind, monitored=None, housing_ok="NULL", education_ok="NULL"):
    m = f"'{monitored}'" if monitored else "NULL"
    return (f"INSERT INTO ledger_households (county_code, household_no, village_code, household_type, monitored_kind,"
            f" head_name, survey_period, housing_ok, education_ok) VALUES ('{county}', '{no}', '{village}', '{kind}',"
            f" {m}, '户主', '2026Q3', {housing_ok}, {education_ok});")


def read_inline_xlsx(path):
    """The rows of the first sheet of a workbook libxlsxwriter wrote in constant memory (each cell an
    inline string, <c r="B2" t="inlineStr"><is><t>...</t></is></c>), as lists of str."""
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in root.iter(ns + "row"):
        cells = {}
        for c in row.iter(ns + "c"):
            col = re.match(r"[A-Z]+", c.get("r")).group(0)
            cells[ord(col) - ord("A")] = "".join(t.text or "" for t in c.iter(ns + "t"))
        rows.append([cells.get(i, "") for i in range(max(cells) + 1)])
    return rows


class Compare(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("it_compare")
        cls.keys = fp.Keys(cls.ci, fp.SERVICES + ("admin", "dept-yibao", "dept-minzheng", "other-yibao",
                                                       "dept-zhujian", "dept-jiaoyu", "stream-yibao"))
        cls.keys.register("dept-yibao", "dept:130822:yibao", kind="department", level="county", dept="yibao")
        cls.keys.register("dept-minzheng", "dept:130822:minzheng", kind="department", level="county", dept="minzheng")
        cls.keys.register("dept-zhujian", "dept:130822:zhujian", kind="department", level="county", dept="zhujian")
        cls.keys.register("dept-jiaoyu", "dept:130822:jiaoyu", kind="department", level="county", dept="jiaoyu")
        cls.keys.register("other-yibao", "dept:130823:yibao", kind="department", level="county", dept="yibao",
                          region="130823")
        cls.keys.register("stream-yibao", "dept:130821:yibao", kind="department", level="county", dept="yibao",
                          region="130821")
        fp.sql(cls.ci, "\n".join([
            household(COUNTY, "H1", VA, "monitored", "marginal"), member(COUNTY, "H1", P1, "王建国"),
            household(COUNTY, "H2", VB, "general"), member(COUNTY, "H2", P2, "赵福", insured=False),
            member(COUNTY, "H2", P3, "李秀兰", relation="spouse"),
            household(COUNTY, "H3", VA, "lifted"), member(COUNTY, "H3", P4, "孙老汉", left_on="2026-07-01"),
            household("130823", "H9", "130823100200", "general"), member("130823", "H9", P9, "外县人")]))
        cls.svc = fp.Service("intake", cls.ci, cls.keys, env={
            "FANGPIN_TODAY": TODAY, "FANGPIN_INTAKE_LEADS_PUSH": f"tcp://127.0.0.1:{fp.free_port()}"})
        # the assistance service runs the rules an import's last batch makes due (compare_rules_due)
        cls.assist = cls.start_assistance()
        cls.tmp = tempfile.mkdtemp(prefix="fp-compare-", dir=fp.VAR)

    @classmethod
    def start_assistance(cls):
        return fp.Service("assistance", cls.ci, cls.keys, env={"FANGPIN_TODAY": TODAY,
                                                              "FANGPIN_QUALITY_NIGHTLY_AT": "off"})

    @classmethod
    def tearDownClass(cls):
        cls.assist.stop()
        cls.svc.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def compare(self, *args):
        env = {"FANGPIN_KEYS_DIR": self.keys.dir, "FANGPIN_INTAKE_CONNECT": self.svc.endpoint,
               "FANGPIN_TIMEOUT_MS": "20000"}
        return fp.ctl(["compare"] + list(args), self.ci, check=False, env=env, cwd=self.tmp)

    def slice_call(self, key, **kw):
        c = self.svc.client(key)
        try:
            return c.call(I.IntakeRequest(request_id=f"cmp-{key}-{fp.free_port()}",
                                          get_compare_slice=I.GetCompareSlice(**kw)), I.IntakeReply, 20000)
        finally:
            c.close()

    def export(self, out):
        p = self.compare("export", "--dept", "yibao", "--reason", REASON, "--out", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        return int(p.stdout.split()[1])

    def test_1_export_csv_audited_own_county_own_columns(self):
        path = os.path.join(self.tmp, "yibao.csv")
        ex = self.export(path)
        with open(path, "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(b"\xef\xbb\xbf"))
        rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))
        self.assertEqual(rows[0], ["姓名", "身份证号", "村代码", "是否参保"])
        self.assertEqual(sorted(rows[1:]), sorted([["王建国", P1, VA, "是"], ["赵福", P2, VB, "否"],
                                                   ["李秀兰", P3, VB, "是"]]))  # no P4 (left), no P9 (130823)
        audit = fp.sql(self.ci, f"SELECT county_code, department_code, sender, reason, array_to_string(columns, ','),"
                                f" rows, rows_sent FROM compare_exports WHERE id = {ex}")
        self.assertEqual(audit, [(COUNTY, "yibao", "dept:130822:yibao", REASON, "name,id_number,village_code,insured",
                                  "3", "3")])
        ev = fp.sql(self.ci, "SELECT region_code, payload::text FROM events WHERE type = 'compare.exported'"
                             f" AND (payload->>'export_id')::bigint = {ex}")
        self.assertEqual(len(ev), 1)
        self.assertEqual(ev[0][0], "130822000000")
        for idn in (P1, P2, P3):
            self.assertNotIn(idn, ev[0][1])

    def test_2_export_xlsx(self):
        path = os.path.join(self.tmp, "yibao.xlsx")
        self.export(path)
        rows = read_inline_xlsx(path)
        self.assertEqual(rows[0], ["姓名", "身份证号", "村代码", "是否参保"])
        self.assertEqual(sorted(rows[1:]), sorted([["王建国", P1, VA, "是"], ["赵福", P2, VB, "否"],
                                                   ["李秀兰", P3, VB, "是"]]))

    def test_3b_pages_in_household_order(self):
        """Pages follow the tables' order (household, then person) through a cursor that names both;
        a cursor of another shape is refused."""
        r = self.slice_call("dept-minzheng", reason=REASON, limit=1, columns=["id_number", "household_no"])
        self.assertEqual(r.status.code, Code.OK, r.status.message)
        seen = []
        while True:
            seen += [(row.cells[1], row.cells[0]) for row in r.compare_slice.page]  # the department's order: id, household
            if not r.compare_slice.next_after:
                break
            self.assertEqual(r.compare_slice.next_after.split(b"\0")[0].decode(), seen[-1][0])
            r = self.slice_call("dept-minzheng", export_id=r.compare_slice.export_id, after=r.compare_slice.next_after,
                                limit=1)
            self.assertEqual(r.status.code, Code.OK, r.status.message)
        want = fp.sql(self.ci, f"SELECT household_no FROM ledger_members WHERE county_code = '{COUNTY}'"
                               " AND left_on IS NULL ORDER BY household_no, id_hmac")
        self.assertEqual([h for h, _ in seen], [h for (h,) in want])
        bad = self.slice_call("dept-minzheng", export_id=r.compare_slice.export_id, after=b"\x01" * 32, limit=1)
        self.assertEqual((bad.status.code, bad.status.reason), (Code.BAD_REQUEST, "request.field"))

    def test_3_pages(self):
        r = self.slice_call("dept-yibao", reason=REASON, limit=2, columns=["id_number", "name"])
        self.assertEqual(r.status.code, Code.OK, r.status.message)
        self.assertEqual(list(r.compare_slice.columns), ["name", "id_number"])  # the department's order
        self.assertEqual((r.compare_slice.rows, len(r.compare_slice.page)), (3, 2))
        seen = [row.cells[1] for row in r.compare_slice.page]
        ex = r.compare_slice.export_id
        counted = f"SELECT pages, rows_sent FROM compare_exports WHERE id = {ex}"
        # the second page is read ahead by intake, but counted only once asked for; another
        # department asking for it with the same cursor is refused and not answered from it
        self.assertEqual(fp.sql(self.ci, counted), [("1", "2")])
        other = self.slice_call("dept-minzheng", export_id=ex, after=r.compare_slice.next_after, limit=2)
        self.assertEqual((other.status.code, other.status.reason), (Code.NOT_FOUND, "compare.export_unknown"))
        self.assertEqual(fp.sql(self.ci, counted), [("1", "2")])
        r2 = self.slice_call("dept-yibao", export_id=ex, after=r.compare_slice.next_after, limit=2)
        self.assertEqual(r2.status.code, Code.OK, r2.status.message)
        self.assertEqual(r2.compare_slice.next_after, b"")
        seen += [row.cells[1] for row in r2.compare_slice.page]
        self.assertEqual(sorted(seen), sorted([P1, P2, P3]))
        self.assertEqual(fp.sql(self.ci, counted), [("2", "3")])
        # a page asked for again (no longer read ahead) is read again, and counted again
        again = self.slice_call("dept-yibao", export_id=ex, after=r.compare_slice.next_after, limit=2)
        self.assertEqual(again.status.code, Code.OK, again.status.message)
        self.assertEqual([row.cells[1] for row in again.compare_slice.page],
                         [row.cells[1] for row in r2.compare_slice.page])
        self.assertEqual(fp.sql(self.ci, counted), [("3", "4")])
        # the first page again (the export's cursor is the department's): the same rows
        first = self.slice_call("dept-yibao", export_id=ex, limit=2)
        self.assertEqual([row.cells[1] for row in first.compare_slice.page], seen[:2])
        # another department cannot read this export's pages
        r3 = self.slice_call("dept-minzheng", export_id=r.compare_slice.export_id, limit=2)
        self.assertEqual((r3.status.code, r3.status.reason), (Code.NOT_FOUND, "compare.export_unknown"))

    stream_people = None

    def stream_county(self):
        """600 persons of county 130821 (stream-yibao's), one a household, named with 30,000
        characters: rows more than the sockets hold; made once. Their ID numbers in export order."""
        county, n = "130821", 600
        if Compare.stream_people is None:
            people = [fp.id_number(i + 1, "19800101", region=county) for i in range(n)]
            fp.sql(self.ci, "\n".join([household(county, f"S{i:04d}", "130821100200", "general") for i in range(n)] +
                                       [member(county, f"S{i:04d}", p, "张") for i, p in enumerate(people)]) +
                   f"\nUPDATE ledger_members SET name = repeat('名', 30000) WHERE county_code = '{county}';")
            Compare.stream_people = people
        return Compare.stream_people

    def stream_waiting(self):
        """The pid of the session of the stream that waits to send (ClientWrite), once there is one."""
        waiting = []
        for _ in range(200):
            waiting = fp.sql(self.ci, "SELECT pid FROM pg_stat_activity WHERE query LIKE 'COPY (SELECT m.id_hmac%'"
                                      " AND wait_event = 'ClientWrite'")
            if waiting:
                break
            time.sleep(0.05)
        self.assertEqual(len(waiting), 1, "no stream waiting to send")
        return waiting[0][0]

    def page_on(self, r):
        """Asks for every page after r's (limit 2): the export's id, the pages asked for with r's, and
        the ID numbers of them all in order (each name checked)."""
        ex, calls, seen = r.compare_slice.export_id, 1, [row.cells[1] for row in r.compare_slice.page]
        while r.compare_slice.next_after:
            r = self.slice_call("stream-yibao", export_id=ex, after=r.compare_slice.next_after, limit=2)
            self.assertEqual(r.status.code, Code.OK, r.status.message)
            calls += 1
            seen += [row.cells[1] for row in r.compare_slice.page]
            self.assertEqual({row.cells[0] for row in r.compare_slice.page} - {"名" * 30000}, set())
        return ex, calls, seen

    def test_3c_a_stream_cut_off_gives_every_page_once(self):
        """After a page read with its statement, intake streams the pages after it (one COPY on a
        connection of its own, docs/compare.md) and holds two of them made; then it reads no more and
        the database waits to send (ClientWrite). That session ended there (pg_terminate_backend),
        the pages made are still given and the one after them is read with its statement: every
        row once, in the tables' order, each page asked for counted once. Names of 30,000
        characters make 600 rows more than the sockets hold."""
        people, n = self.stream_county(), 600
        r = self.slice_call("stream-yibao", reason=REASON, limit=2, columns=["id_number", "name"])
        self.assertEqual(r.status.code, Code.OK, r.status.message)
        self.assertEqual(list(r.compare_slice.columns), ["name", "id_number"])
        waiting = self.stream_waiting()
        self.assertEqual(fp.sql(self.ci, f"SELECT pg_terminate_backend({waiting})"), [("t",)])
        ex, calls, seen = self.page_on(r)
        self.assertEqual(seen, people)  # households S0000, S0001, ... of one person each
        self.assertEqual(fp.sql(self.ci, f"SELECT pages, rows_sent FROM compare_exports WHERE id = {ex}"),
                         [(str(calls), str(n))])
        self.assertEqual(calls, n // 2 + 1)  # 300 full pages, then the empty last one
        # the stream begun after the cut (with the page read after it) read to its end
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY (SELECT m.id_hmac%'"
                                         " AND state = 'active'"), [("0",)])

    def test_3d_an_abandoned_stream_ends_with_the_next_export(self):
        """An export left after its first page leaves its stream waiting to send; the department's
        next export begins a stream in place of it: intake closes the waiting stream's connection
        (its session ends) and the new export reads every row once."""
        people = self.stream_county()
        left = self.slice_call("stream-yibao", reason=REASON, limit=2, columns=["id_number", "name"])
        self.assertEqual(left.status.code, Code.OK, left.status.message)
        pid = self.stream_waiting()
        r = self.slice_call("stream-yibao", reason=REASON, limit=2, columns=["id_number", "name"])
        self.assertEqual(r.status.code, Code.OK, r.status.message)
        self.assertNotEqual(r.compare_slice.export_id, left.compare_slice.export_id)
        gone = []
        for _ in range(100):
            gone = fp.sql(self.ci, f"SELECT count(*) FROM pg_stat_activity WHERE pid = {pid}")
            if gone == [("0",)]:
                break
            time.sleep(0.05)
        self.assertEqual(gone, [("0",)], "the abandoned stream's session is still there")
        ex, calls, seen = self.page_on(r)
        self.assertEqual(seen, people)
        self.assertEqual(fp.sql(self.ci, f"SELECT pages, rows_sent FROM compare_exports WHERE id IN"
                                         f" ({left.compare_slice.export_id}, {ex}) ORDER BY id"),
                         [("1", "2"), (str(calls), "600")])

    def answer_file(self, name):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f, lineterminator="\r\n")
            w.writerows([["序号", "身份证号", "参保状态", "参保日期"], ["1", P1, "否", ""],
                         ["2", P2, "是", "2026-03-01"], ["3", P3.lower(), "已参保", "20260101"]])
        return path

    def test_4_answers_open_findings_once(self):
        ex = self.export(os.path.join(self.tmp, "for-answers.csv"))
        path = self.answer_file("yibao-answers.csv")
        p = self.compare("import", "--dept", "yibao", "--export", str(ex), path)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("3 answers, 3 in the ledger, 5 facts stored, 2 findings opened\n", p.stdout)
        self.assertNotIn("already received", p.stdout)  # the wait for the rules' run replays the batch
        found = fp.sql(self.ci, "SELECT rule_code, household_no, id_hmac::text FROM quality_findings"
                                " WHERE state = 'open' ORDER BY rule_code")
        self.assertEqual(found, [("Q094", "H1", fp.id_hmac(P1)), ("Q095", "H2", fp.id_hmac(P2))])
        self.assertEqual(fp.sql(self.ci, "SELECT value, as_of::text, export_id::text FROM dept_facts"
                                         f" WHERE id_hmac = '{fp.id_hmac(P2)}' ORDER BY fact"),
                         [("yes", TODAY, str(ex)), ("2026-03-01", TODAY, str(ex))])
        counts = "SELECT (SELECT count(*) FROM dept_facts), (SELECT count(*) FROM quality_findings)," \
                 " (SELECT count(*) FROM quality_runs), (SELECT count(*) FROM compare_batches)"
        before = fp.sql(self.ci, counts)
        p = self.compare("import", "--dept", "yibao", "--export", str(ex), path)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("already received: nothing changed", p.stdout)
        self.assertEqual(fp.sql(self.ci, counts), before)
        # a line with a value the column does not take: nothing is sent
        bad = os.path.join(self.tmp, "bad.csv")
        with open(bad, "w", encoding="utf-8") as f:
            f.write(f"身份证号,参保状态\n{P1},也许\n")
        p = self.compare("import", "--dept", "yibao", "--export", str(ex), bad)
        self.assertEqual(p.returncode, 2)
        self.assertIn("line 2: 参保状态", p.stderr)
        self.assertEqual(fp.sql(self.ci, counts), before)

    def test_4b_a_batch_again_on_another_day_writes_nothing(self):
        """Intake COPYs a batch's facts into dept_facts before compare_answers_apply finds the batch
        stored: the same batch again on another day (no fact of that day to collide with) is
        answered as replayed, and its facts of that day are undone."""
        P15 = fp.id_number(30, "19920101")
        fp.sql(self.ci, "\n".join([household(COUNTY, "H10", VB, "general"), member(COUNTY, "H10", P15, "韩六")]))
        ex = int(self.export(os.path.join(self.tmp, "nextday.csv")))

        def send(svc):
            c = svc.client("dept-yibao")
            try:
                return c.call(I.IntakeRequest(request_id=f"cmp-nextday-{fp.free_port()}",
                                              submit_compare_answers=I.SubmitCompareAnswers(
                    batch_id="nextday-1", export_id=ex, defer_rules=True, answers=[I.CompareAnswer(
                        id_number=P15, facts=[I.CompareFact(fact="insured", value="yes"),
                                              I.CompareFact(fact="insured_on", value="2026-02-01")], line_ref="2")])),
                    I.IntakeReply, 20000)
            finally:
                c.close()
        r = send(self.svc)
        self.assertEqual(r.status.code, Code.OK, r.status.message)
        self.assertEqual((r.compare_answers.replayed, r.compare_answers.facts, r.compare_answers.matched), (False, 2, 1))
        facts = f"SELECT fact, value, as_of::text, batch_id FROM dept_facts WHERE id_hmac = '{fp.id_hmac(P15)}' ORDER BY fact"
        stored = [("insured", "yes", TODAY, "nextday-1"), ("insured_on", "2026-02-01", TODAY, "nextday-1")]
        self.assertEqual(fp.sql(self.ci, facts), stored)
        later = fp.Service("intake", self.ci, self.keys, env={
            "FANGPIN_TODAY": "2026-11-25", "FANGPIN_INTAKE_LEADS_PUSH": f"tcp://127.0.0.1:{fp.free_port()}"})
        try:
            r = send(later)
        finally:
            later.stop()
        self.assertEqual(r.status.code, Code.OK, r.status.message)
        self.assertEqual((r.compare_answers.replayed, r.compare_answers.facts, r.compare_answers.matched), (True, 2, 1))
        self.assertEqual(fp.sql(self.ci, facts), stored)

    def test_5_refused_other_columns_and_county(self):
        n = fp.sql(self.ci, "SELECT count(*) FROM compare_exports")
        p = self.compare("export", "--dept", "yibao", "--reason", REASON, "--columns", "name,dibao_yuan")
        self.assertEqual(p.returncode, 1)
        self.assertIn("refused: compare.columns", p.stderr)
        self.assertIn("dibao_yuan", p.stderr)
        r = self.slice_call("other-yibao", reason=REASON, county=COUNTY)
        self.assertEqual((r.status.code, r.status.reason), (Code.FORBIDDEN, "compare.out_of_scope"))
        r = self.slice_call("dept-yibao", reason="")
        self.assertEqual((r.status.code, r.status.reason), (Code.BAD_REQUEST, "request.field"))
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM compare_exports"), n)  # nothing audited, nothing left
        # the other county's department gets its own county's rows only
        r = self.slice_call("other-yibao", reason=REASON)
        self.assertEqual(r.status.code, Code.OK, r.status.message)
        self.assertEqual([row.cells[1] for row in r.compare_slice.page], [P9])
        # answers to an export of another department are refused
        ex = int(fp.sql(self.ci, "SELECT max(id) FROM compare_exports WHERE department_code = 'yibao'"
                                 " AND county_code = '130822'")[0][0])
        c = self.svc.client("dept-minzheng")
        try:
            r = c.call(I.IntakeRequest(request_id="cmp-mz", submit_compare_answers=I.SubmitCompareAnswers(
                batch_id="b1", export_id=ex, answers=[I.CompareAnswer(
                    id_number=P1, facts=[I.CompareFact(fact="dibao", value="yes")])])), I.IntakeReply, 20000)
        finally:
            c.close()
        self.assertEqual((r.status.code, r.status.reason), (Code.NOT_FOUND, "compare.export_unknown"))

    def test_6_minzheng_columns_and_xlsx_answers(self):
        env = {"FANGPIN_KEYS_DIR": self.keys.dir, "FANGPIN_INTAKE_CONNECT": self.svc.endpoint}
        p = fp.ctl(["compare", "export", "--dept", "minzheng", "--reason", REASON, "--out", "mz.csv"], self.ci,
                   check=False, env=env, cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        ex = p.stdout.split()[1]
        with open(os.path.join(self.tmp, "mz.csv"), encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
        self.assertEqual(rows[0], ["姓名", "身份证号", "村代码", "户编号", "与户主关系", "低保金(元)", "特困供养金(元)"])
        self.assertIn(["李秀兰", P3, VB, "H2", "配偶", "0.00", "0.00"], rows)
        path = os.path.join(self.tmp, "mz-answers.xlsx")
        # 民政's answer as a workbook: the spouse of a general household receives 低保 (Q096); the
        # monitored household's head too (no finding: monitored already); a person not in the ledger
        # (line 4) is named back by its line and becomes a lead minzheng.dibao_new
        p5 = fp.id_number(21, "19900101")
        write_xlsx(path, ["身份证号", "姓名", "村代码", "低保状态", "月保障金额（元）", "纳入日期"],
                   [[P3, "李秀兰", VB, "在保", 450, "2026-11-01"], [P1, "王建国", VA, "在保", "380.5", ""],
                    [p5, "钱新", VA, "在保", 300, "2026-11-02"]])
        p = fp.ctl(["compare", "import", "--dept", "minzheng", "--export", ex, path], self.ci, check=False, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("3 answers, 2 in the ledger, 6 facts stored, 1 findings opened", p.stdout)
        self.assertIn("1 answers name no one present in the ledger, lines: 4\n", p.stdout)
        self.assertIn("(minzheng.dibao_new): 1 accepted, 0 already received, 0 refused\n", p.stdout)
        lead = "SELECT kind, sender, village_code, name, occurred_on::text, line_ref FROM leads" \
               f" WHERE id_hmac = '{fp.id_hmac(p5)}'"
        self.assertEqual(fp.sql(self.ci, lead), [("minzheng.dibao_new", "dept:130822:minzheng", VA, "钱新",
                                                  "2026-11-02", "4")])
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM leads"), [("1",)])  # the others are in the ledger
        p = fp.ctl(["compare", "import", "--dept", "minzheng", "--export", ex, path], self.ci, check=False, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.count("already received: nothing changed"), 2, p.stdout)
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM leads"), [("1",)])
        self.assertEqual(fp.sql(self.ci, "SELECT household_no, id_hmac::text FROM quality_findings"
                                         " WHERE rule_code = 'Q096'"), [("H2", fp.id_hmac(P3))])
        self.assertEqual(fp.sql(self.ci, f"SELECT value FROM dept_facts WHERE id_hmac = '{fp.id_hmac(P1)}'"
                                         " AND fact = 'dibao_fen'"), [("38050",)])

    def dept_round_trip(self, dept, header, answers):
        """Exports dept's slice as CSV, checks its header, answers with the export plus answers (a
        column name and {id number: cell}), and returns the export's rows and the import's output."""
        env = {"FANGPIN_KEYS_DIR": self.keys.dir, "FANGPIN_INTAKE_CONNECT": self.svc.endpoint}
        p = fp.ctl(["compare", "export", "--dept", dept, "--reason", REASON, "--out", f"{dept}.csv"], self.ci,
                   check=False, env=env, cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        ex = p.stdout.split()[1]
        with open(os.path.join(self.tmp, f"{dept}.csv"), encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
        self.assertEqual(rows[0], header)
        column, cells = answers
        path = os.path.join(self.tmp, f"{dept}-answers.csv")
        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f, lineterminator="\r\n")
            w.writerow(rows[0] + [column])
            w.writerows(r + [cells[r[1]]] for r in rows[1:] if r[1] in cells)
        p = fp.ctl(["compare", "import", "--dept", dept, "--export", ex, path], self.ci, check=False, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        again = fp.ctl(["compare", "import", "--dept", dept, "--export", ex, path], self.ci, check=False, env=env)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn("already received: nothing changed", again.stdout)
        return rows, p.stdout, ex

    def findings(self, rules):
        return fp.sql(self.ci, "SELECT rule_code, household_no, id_hmac::text FROM quality_findings"
                               f" WHERE rule_code IN ({rules}) AND state = 'open' ORDER BY rule_code")

    def test_7_zhujian_and_jiaoyu_answers(self):
        fp.sql(self.ci, "\n".join([
            household(COUNTY, "H4", VA, "lifted", housing_ok="true", education_ok="true"),
            member(COUNTY, "H4", P6, "周大山"), member(COUNTY, "H4", P7, "周小燕", relation="child", schooling="in_school"),
            household(COUNTY, "H5", VB, "general", housing_ok="false", education_ok="true"),
            member(COUNTY, "H5", P8, "吴长林"), member(COUNTY, "H5", P10, "吴小军", relation="child")]))
        # 住建: P7's house (H4's) is graded D, a dangerous house, while the ledger says H4's housing
        # is guaranteed: Q097, the head's; H5's (B) is safe while the ledger says not: Q098; H1's
        # housing is not surveyed in the ledger: no finding either way
        rows, out, _ = self.dept_round_trip("zhujian", ["姓名", "身份证号", "村代码", "户编号", "与户主关系", "住房安全"],
                                            ("住房安全鉴定", {P7: "D级", P8: "B", P1: "A"}))
        self.assertIn(["周小燕", P7, VA, "H4", "子女", "是"], rows)
        self.assertIn(["吴长林", P8, VB, "H5", "户主", "否"], rows)
        self.assertIn("3 answers, 3 in the ledger, 3 facts stored, 2 findings opened", out)
        self.assertEqual(self.findings("'Q097', 'Q098'"), [("Q097", "H4", fp.id_hmac(P6)),
                                                          ("Q098", "H5", fp.id_hmac(P8))])
        self.assertEqual(fp.sql(self.ci, f"SELECT department_code, fact, value FROM dept_facts"
                                         f" WHERE id_hmac = '{fp.id_hmac(P7)}'"), [("zhujian", "house_safe", "no")])
        # 教育: P7 (12, compulsory school age) has dropped out while H4's compulsory education is
        # guaranteed in the ledger: Q099; P10, not at school in the ledger, is at school: Q100
        rows, out, _ = self.dept_round_trip("jiaoyu", ["姓名", "身份证号", "村代码", "出生日期", "在校情况"],
                                            ("学籍状态", {P7: "辍学", P10: "在读"}))
        self.assertIn(["周小燕", P7, VA, "2014-03-01", "在校生"], rows)
        self.assertIn("2 answers, 2 in the ledger, 2 facts stored, 2 findings opened", out)
        self.assertEqual(self.findings("'Q099', 'Q100'"), [("Q099", "H4", fp.id_hmac(P7)),
                                                          ("Q100", "H5", fp.id_hmac(P10))])
        # a department's answer carries only its own facts
        ex = fp.sql(self.ci, "SELECT max(id) FROM compare_exports WHERE department_code = 'zhujian'")[0][0]
        c = self.svc.client("dept-zhujian")
        try:
            r = c.call(I.IntakeRequest(request_id="cmp-zj", submit_compare_answers=I.SubmitCompareAnswers(
                batch_id="zj1", export_id=int(ex), answers=[I.CompareAnswer(
                    id_number=P8, facts=[I.CompareFact(fact="at_school", value="yes")])])), I.IntakeReply, 20000)
        finally:
            c.close()
        self.assertEqual((r.status.code, r.status.reason), (Code.BAD_REQUEST, "compare.answer"))

    def test_8_deferred_batches_run_the_rules_once(self):
        """A batch with defer_rules stores its facts and runs no rule; the next batch without it runs
        them over every fact, the deferred batch's too."""
        P11 = fp.id_number(26, "19880101")
        fp.sql(self.ci, "\n".join([household(COUNTY, "H6", VA, "monitored", "marginal"), member(COUNTY, "H6", P11, "郑二")]))
        ex = int(self.export(os.path.join(self.tmp, "deferred.csv")))
        runs = "SELECT count(*) FROM quality_runs"
        before = fp.sql(self.ci, runs)

        def send(batch, idn, value, defer):
            c = self.svc.client("dept-yibao")
            try:
                return c.call(I.IntakeRequest(request_id=f"cmp-{batch}", submit_compare_answers=I.SubmitCompareAnswers(
                    batch_id=batch, export_id=ex, defer_rules=defer, answers=[I.CompareAnswer(
                        id_number=idn, facts=[I.CompareFact(fact="insured", value=value)], line_ref="2")])),
                    I.IntakeReply, 20000)
            finally:
                c.close()
        r = send("defer-1", P11, "no", True)
        self.assertEqual(r.status.code, Code.OK, r.status.message)
        self.assertEqual((r.compare_answers.facts, r.compare_answers.quality_run_id), (1, 0))
        self.assertEqual(fp.sql(self.ci, runs), before)
        self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM quality_findings WHERE household_no = 'H6'"), [("0",)])
        r = send("defer-2", P1, "no", False)
        self.assertEqual(r.status.code, Code.OK, r.status.message)
        self.assertTrue(r.compare_answers.rules_queued)
        # the assistance service runs them; the same batch again names the run
        r = fp.wait_for(lambda: (lambda x: x if x.compare_answers.quality_run_id else None)(send("defer-2", P1, "no", False)),
                        what="the deferred batches' rules run by the assistance service")
        self.assertTrue(r.compare_answers.replayed)
        self.assertFalse(r.compare_answers.rules_queued)
        self.assertNotEqual(r.compare_answers.quality_run_id, 0)
        self.assertEqual(fp.sql(self.ci, "SELECT rule_code, id_hmac::text FROM quality_findings WHERE household_no = 'H6'"),
                         [("Q094", fp.id_hmac(P11))])

    def test_8b_a_file_of_batches_finds_its_persons_in_the_members_intake_holds(self):
        """The batches of a file (defer_rules) have intake read the county's present members once and
        look each batch's persons up in them (fangpin_intake_compare_batches_total{ledger="held"}).
        The answers stay the ledger's: a person who leaves the ledger after the members were read is
        answered not in it (the database sees the change: ledger="database"), and the members are
        read again, without that person."""
        P12, P13 = fp.id_number(41, "19890101"), fp.id_number(42, "19900101")
        P14 = fp.id_number(43, "19910101")  # not in the ledger
        fp.sql(self.ci, "\n".join([household(COUNTY, "H11", VB, "general"), member(COUNTY, "H11", P12, "钱七"),
                                   member(COUNTY, "H11", P13, "钱八", relation="spouse")]))
        ex = int(self.export(os.path.join(self.tmp, "held.csv")))
        batches, reads = "fangpin_intake_compare_batches_total", "fangpin_intake_compare_presence_reads_total"
        # an intake of its own: it holds no members yet
        svc = fp.Service("intake", self.ci, self.keys, env={
            "FANGPIN_TODAY": TODAY, "FANGPIN_INTAKE_LEADS_PUSH": f"tcp://127.0.0.1:{fp.free_port()}"})
        self.addCleanup(svc.stop)

        def send(batch, answers):
            c = svc.client("dept-yibao")
            try:
                r = c.call(I.IntakeRequest(request_id=f"cmp-{batch}", submit_compare_answers=I.SubmitCompareAnswers(
                    batch_id=batch, export_id=ex, defer_rules=True, answers=[I.CompareAnswer(
                        id_number=idn, facts=[I.CompareFact(fact="insured", value="yes")], line_ref=ref)
                        for idn, ref in answers])), I.IntakeReply, 20000)
            finally:
                c.close()
            self.assertEqual(r.status.code, Code.OK, r.status.message)
            return r.compare_answers

        def read_again(since):
            """Waits until intake has read the members once more than since, and holds them."""
            fp.wait_for(lambda: svc.metric(reads) > since and svc.metric("fangpin_intake_compare_presence_members") > 0,
                        what="intake reading the county's present members")

        a = send("held-1", [(P12, "2")])  # a batch of a file: the members are read; it asks the database
        self.assertEqual((a.matched, svc.metric(batches, 'ledger="database"')), (1, 1))
        read_again(0)
        held, asked = svc.metric(batches, 'ledger="held"'), svc.metric(batches, 'ledger="database"')
        a = send("held-2", [(P12, "3"), (P13, "4"), (P14, "5"), (P12, "6")])
        self.assertEqual((a.answers, a.matched, list(a.unmatched_refs), a.facts), (4, 2, ["5"], 2))  # P12's fact was stored
        self.assertEqual((svc.metric(batches, 'ledger="held"'), svc.metric(batches, 'ledger="database"')),
                         (held + 1, asked))
        # P13 leaves the ledger after the members were read
        fp.sql(self.ci, f"UPDATE ledger_members SET left_on = '{TODAY}', left_reason = 'death:test'"
                        f" WHERE id_hmac = '{fp.id_hmac(P13)}'")
        n_reads = svc.metric(reads)
        a = send("held-3", [(P13, "7"), (P12, "8")])
        self.assertEqual((a.matched, list(a.unmatched_refs)), (1, ["7"]))
        self.assertEqual((svc.metric(batches, 'ledger="held"'), svc.metric(batches, 'ledger="database"')),
                         (held + 1, asked + 1))
        self.assertEqual(svc.metric("fangpin_intake_compare_presence_members"), 0)  # dropped
        send("held-4", [(P12, "9")])  # read again (this batch asks the database meanwhile)
        read_again(n_reads)
        held = svc.metric(batches, 'ledger="held"')
        a = send("held-5", [(P13, "10"), (P12, "11"), (P14, "12")])
        self.assertEqual((a.matched, list(a.unmatched_refs)), (1, ["10", "12"]))
        self.assertEqual(svc.metric(batches, 'ledger="held"'), held + 1)
        # the same batch again is answered as stored, its lines as then
        a = send("held-2", [(P12, "3"), (P13, "4"), (P14, "5"), (P12, "6")])
        self.assertEqual((a.replayed, a.matched, list(a.unmatched_refs)), (True, 2, ["5"]))

    def test_9_rules_due_survive_a_stopped_service(self):
        """The last batch's rules are due in the database, not in a service's memory: with the
        assistance service stopped the import's facts are stored and the rules wait (the request
        does not run them); started again, it runs them and the findings appear."""
        P12 = fp.id_number(27, "19870101")
        fp.sql(self.ci, "\n".join([household(COUNTY, "H7", VA, "monitored", "marginal"), member(COUNTY, "H7", P12, "冯三")]))
        ex = int(self.export(os.path.join(self.tmp, "stopped.csv")))
        type(self).assist.stop()
        try:
            c = self.svc.client("dept-yibao")
            try:
                r = c.call(I.IntakeRequest(request_id="cmp-stopped", submit_compare_answers=I.SubmitCompareAnswers(
                    batch_id="stopped-1", export_id=ex, answers=[I.CompareAnswer(
                        id_number=P12, facts=[I.CompareFact(fact="insured", value="no")], line_ref="2")])),
                    I.IntakeReply, 20000)
            finally:
                c.close()
            self.assertEqual(r.status.code, Code.OK, r.status.message)
            self.assertEqual((r.compare_answers.facts, r.compare_answers.quality_run_id, r.compare_answers.rules_queued),
                             (1, 0, True))
            self.assertEqual(fp.sql(self.ci, "SELECT department_code, quality_run IS NULL, done_at IS NULL"
                                             " FROM compare_rules_due WHERE batch_id = 'stopped-1'"),
                             [("yibao", "t", "t")])
            self.assertEqual(fp.sql(self.ci, "SELECT count(*) FROM quality_findings WHERE household_no = 'H7'"), [("0",)])
        finally:
            type(self).assist = self.start_assistance()
        found = fp.wait_for(lambda: fp.sql(self.ci, "SELECT rule_code, id_hmac::text FROM quality_findings"
                                                    " WHERE household_no = 'H7'"),
                            what="the due rules run after the assistance service's restart")
        self.assertEqual(found, [("Q094", fp.id_hmac(P12))])
        self.assertEqual(fp.sql(self.ci, "SELECT d.quality_run = b.quality_run, d.done_at IS NOT NULL, b.findings_opened"
                                         " FROM compare_rules_due d JOIN compare_batches b USING"
                                         " (county_code, department_code, batch_id) WHERE d.batch_id = 'stopped-1'"),
                         [("t", "t", "1")])

    def test_9z_rules_due_survive_kill9_and_a_held_answer_hears_the_run(self):
        """The last batch sent with wait_ms while the assistance service is killed (kill -9): its
        facts are committed and its rules due; a short wait ends with the answer still queued;
        the same batch again with a long wait is held by intake, and the assistance service,
        started again, runs the due rules at its start and intake answers the held batch as soon
        as that run is committed (named in the answer), not when its wait ends."""
        P13 = fp.id_number(28, "19890101")
        fp.sql(self.ci, "\n".join([household(COUNTY, "H8", VA, "monitored", "marginal"), member(COUNTY, "H8", P13, "褚四")]))
        ex = int(self.export(os.path.join(self.tmp, "killed.csv")))
        type(self).assist.stop(sig=signal.SIGKILL)

        def send(wait_ms, out=None):
            c = self.svc.client("dept-yibao")
            try:
                r = c.call(I.IntakeRequest(request_id=f"cmp-killed-{wait_ms}", submit_compare_answers=I.SubmitCompareAnswers(
                    batch_id="killed-1", export_id=ex, wait_ms=wait_ms, answers=[I.CompareAnswer(
                        id_number=P13, facts=[I.CompareFact(fact="insured", value="no")], line_ref="2")])),
                    I.IntakeReply, 60000)
            finally:
                c.close()
            if out is not None:
                out.append(r)
            return r
        try:
            r = send(200)
            self.assertEqual(r.status.code, Code.OK, r.status.message)
            self.assertEqual((r.compare_answers.replayed, r.compare_answers.facts, r.compare_answers.quality_run_id,
                              r.compare_answers.rules_queued), (False, 1, 0, True))
            held = []
            t = threading.Thread(target=send, args=(50000, held))
            t.start()
            # the batch is held: no answer while nobody runs the rules
            fp.wait_for(lambda: self.svc.metric("fangpin_inflight_requests") >= 1, what="the batch held by intake")
            self.assertEqual(held, [])
        finally:
            type(self).assist = self.start_assistance()
        t.join(40)
        self.assertFalse(t.is_alive(), "the held answer did not come when the rules had run")
        r = held[0]
        self.assertEqual(r.status.code, Code.OK, r.status.message)
        self.assertTrue(r.compare_answers.replayed)
        self.assertFalse(r.compare_answers.rules_queued)
        self.assertNotEqual(r.compare_answers.quality_run_id, 0)
        self.assertEqual(r.compare_answers.findings_opened, 1)
        self.assertEqual(fp.sql(self.ci, "SELECT rule_code, id_hmac::text FROM quality_findings WHERE household_no = 'H8'"),
                         [("Q094", fp.id_hmac(P13))])
        self.assertEqual(fp.sql(self.ci, "SELECT d.quality_run::text, d.done_at IS NOT NULL FROM compare_rules_due d"
                                         " WHERE d.batch_id = 'killed-1'"),
                         [(str(r.compare_answers.quality_run_id), "t")])

    def test_9zz_a_stopping_intake_answers_the_batch_it_holds(self):
        """A batch held for its rules' run (the assistance service killed, so nobody runs them) is
        answered, still queued, when intake is told to stop (SIGTERM), not abandoned: the
        department learns its facts are stored and sends the batch again later."""
        P14 = fp.id_number(29, "19910101")
        fp.sql(self.ci, "\n".join([household(COUNTY, "H9", VA, "monitored", "marginal"), member(COUNTY, "H9", P14, "卫五")]))
        ex = int(self.export(os.path.join(self.tmp, "stopping.csv")))
        type(self).assist.stop(sig=signal.SIGKILL)
        held = []

        def send():
            c = self.svc.client("dept-yibao")
            try:
                held.append(c.call(I.IntakeRequest(request_id="cmp-stopping", submit_compare_answers=I.SubmitCompareAnswers(
                    batch_id="stopping-1", export_id=ex, wait_ms=50000, answers=[I.CompareAnswer(
                        id_number=P14, facts=[I.CompareFact(fact="insured", value="no")], line_ref="2")])),
                    I.IntakeReply, 60000))
            finally:
                c.close()
        t = threading.Thread(target=send)
        t.start()
        try:
            fp.wait_for(lambda: fp.sql(self.ci, "SELECT count(*) FROM compare_rules_due WHERE batch_id = 'stopping-1'"
                                                " AND done_at IS NULL") == [("1",)],
                        what="the batch stored and its rules due")
            fp.wait_for(lambda: self.svc.metric("fangpin_inflight_requests") >= 1, what="the batch held by intake")
            type(self).svc.stop()
            t.join(30)
            self.assertFalse(t.is_alive(), "the held batch was not answered when intake stopped")
        finally:
            type(self).svc = fp.Service("intake", self.ci, self.keys, env={
                "FANGPIN_TODAY": TODAY, "FANGPIN_INTAKE_LEADS_PUSH": f"tcp://127.0.0.1:{fp.free_port()}"})
            type(self).assist = self.start_assistance()
        r = held[0]
        self.assertEqual(r.status.code, Code.OK, r.status.message)
        self.assertEqual((r.compare_answers.facts, r.compare_answers.quality_run_id, r.compare_answers.rules_queued),
                         (1, 0, True))


if __name__ == "__main__":
    unittest.main()
