"""test_push_xlsx.py: `fangpinctl push` of an .xlsx workbook against the real intake service and
PostgreSQL, and the results file a clerk acts on. The workbook is written here with zipfile as
Excel saves one: Chinese headers in shared strings, dates as serial numbers in a date style
(built-in 14 and a custom 年月日 format), the ID number as text, the village code as a number, an
empty cell in the middle of a line, a kind by its Chinese name, and one refused line. Then: the
same file twice adds nothing; the results come back as CSV and XLSX with every original column
and the added ones; the results file, corrected, pushed again (accepted lines come back as
已接收, the corrected line is taken); the results XLSX pushed as it is; --results; a workbook
named .csv; a workbook that is refused with its reason."""
import csv
import io
import os
import shutil
import tempfile
import unittest
import xml.etree.ElementTree as ET
import zipfile

import fp
from test_push import ADDED, PERIOD, SENDER, TODAY, VILLAGES, bad_check, id_number, read_results

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
HEADER = ["序号", "身份证号", "姓名", "村代码", "线索类型", "发生日期", "金额(元)", "情况说明"]


def col_letter(i):
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def serial(iso):
    """The sheet serial number of a date (1900 system, past 1900-03-01)."""
    import datetime
    return (datetime.date.fromisoformat(iso) - datetime.date(1899, 12, 30)).days


def write_xlsx(path, header, rows):
    """A workbook as Excel saves it. A cell is a str (a shared string), an int or float (a
    number), ("date", "YYYY-MM-DD") or ("date年", ...) (a serial in style 1 = numFmt 14, or
    style 2 = a custom 年月日 format), or None (no cell at all)."""
    strings, index = [], {}

    def sst(s):
        if s not in index:
            index[s] = len(strings)
            strings.append(s)
        return index[s]

    def cell(ref, v):
        if v is None:
            return ""
        if isinstance(v, tuple):
            return f'<c r="{ref}" s="{1 if v[0] == "date" else 2}"><v>{serial(v[1])}</v></c>'
        if isinstance(v, (int, float)):
            return f'<c r="{ref}"><v>{v!r}</v></c>'
        return f'<c r="{ref}" t="s"><v>{sst(v)}</v></c>'

    body = []
    for r, row in enumerate([header] + rows, start=1):
        cells = "".join(cell(f"{col_letter(c)}{r}", v) for c, v in enumerate(row))
        body.append(f'<row r="{r}">{cells}</row>')
    esc = lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "_rels/.rels": f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{RELS}/officeDocument"'
                       ' Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook {MAIN} xmlns:r="{RELS}"><sheets><sheet name="线索" sheetId="1" r:id="rId1"/>'
                           "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PKG}">'
                                      f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
                                      f'<Relationship Id="rId2" Type="{RELS}/styles" Target="styles.xml"/>'
                                      f'<Relationship Id="rId3" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>'
                                      "</Relationships>",
        "xl/styles.xml": f'<styleSheet {MAIN}><numFmts count="1"><numFmt numFmtId="176" '
                         'formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
                         '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="176"/></cellXfs>'
                         "</styleSheet>",
        "xl/worksheets/sheet1.xml": f'<worksheet {MAIN}><sheetData>{"".join(body)}</sheetData></worksheet>',
        "xl/sharedStrings.xml": f'<sst {MAIN}>' + "".join(f"<si><t>{esc(s)}</t></si>" for s in strings) + "</sst>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + text)


def read_xlsx(path):
    """The first sheet of a workbook (as libxlsxwriter writes one) as a list of rows of str."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        sst = []
        if "xl/sharedStrings.xml" in names:
            for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS):
                sst.append("".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")))
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.find("m:sheetData", NS).findall("m:row", NS):
        r = int(row.get("r"))
        while len(rows) < r:
            rows.append([])
        for c in row.findall("m:c", NS):
            ref = c.get("r")
            col = 0
            for ch in ref.rstrip("0123456789"):
                col = col * 26 + ord(ch) - 64
            v = c.find("m:v", NS)
            text = sst[int(v.text)] if c.get("t") == "s" else (v.text if v is not None else "")
            line = rows[r - 1]
            line.extend([""] * (col - len(line)))
            line[col - 1] = text
    return rows


def people(n):
    return [id_number(f"197301{1 + i:02d}", i + 1) for i in range(n)]


class PushXlsx(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.county_db("it_push_xlsx")
        cls.keys = fp.Keys(cls.ci, fp.SERVICES + ("admin", "dept-yibao"))
        cls.keys.register("dept-yibao", SENDER, kind="department", level="county", dept="yibao")
        cls.svc = fp.Service("intake", cls.ci, cls.keys, env={
            "FANGPIN_TODAY": TODAY, "FANGPIN_INTAKE_LEADS_PUSH": f"tcp://127.0.0.1:{fp.free_port()}"})
        cls.tmp = tempfile.mkdtemp(prefix="fp-push-xlsx-", dir=fp.VAR)

    @classmethod
    def tearDownClass(cls):
        cls.svc.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def push(self, path, *extra):
        env = {"FANGPIN_KEYS_DIR": self.keys.dir, "FANGPIN_INTAKE_CONNECT": self.svc.endpoint,
               "FANGPIN_TIMEOUT_MS": "20000"}
        return fp.ctl(["push", "--dept", "yibao", "--period", PERIOD] + list(extra) + [path], self.ci, check=False,
                      env=env, timeout=240)

    def count(self):
        return int(fp.sql(self.ci, f"SELECT count(*) FROM leads WHERE sender = '{SENDER}'")[0][0])

    def path(self, name):
        return os.path.join(self.tmp, name)

    def rows(self, ids):
        v = int(VILLAGES[0])
        return [
            ["1", ids[0], "张三", v, "医疗费用个人负担较重", ("date", "2026-10-03"), 1234.5, "住院"],
            ["2", bad_check(ids[1]), "李四", v, "yibao.high_cost", ("date年", "2026-10-04"), 88, "门诊"],
            ["3", ids[2], "王五", v, "yibao.uninsured", ("date", "2026-10-05"), None, "未参保"],
        ]

    def test_1_workbook_twice_results_and_again(self):
        ids = people(3)
        path = self.path("医保2026年10月.xlsx")
        write_xlsx(path, HEADER, self.rows(ids))
        before = self.count()
        out = self.push(path)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn("(xlsx, period 2026-10): 3 lines in 1 batch: 2 accepted, 0 already received, 1 refused",
                      out.stdout)
        self.assertIn(f"{path}:row 3 (ref 2): refused: idcard.checksum", out.stderr)
        self.assertEqual(self.count(), before + 2)
        stored = fp.sql(self.ci, "SELECT line_ref, kind, occurred_on, amount_fen, village_code FROM leads"
                                 f" WHERE sender = '{SENDER}' AND line_ref IN ('1', '3') ORDER BY line_ref")
        self.assertEqual(stored, [("1", "yibao.high_cost", "2026-10-03", "123450", VILLAGES[0]),
                                  ("3", "yibao.uninsured", "2026-10-05", "", VILLAGES[0])])

        # the results, CSV and XLSX: every original column as the sheet shows it, then ADDED
        csv_path, xlsx_path = path[:-5] + ".results.csv", path[:-5] + ".results.xlsx"
        self.assertIn(f"results in {csv_path} and {xlsx_path}", out.stdout)
        res = read_results(csv_path)
        self.assertEqual([[r[h] for h in HEADER] for r in res],
                         [["1", ids[0], "张三", VILLAGES[0], "医疗费用个人负担较重", "2026-10-03", "1234.5", "住院"],
                          ["2", bad_check(ids[1]), "李四", VILLAGES[0], "yibao.high_cost", "2026-10-04", "88", "门诊"],
                          ["3", ids[2], "王五", VILLAGES[0], "yibao.uninsured", "2026-10-05", "", "未参保"]])
        self.assertEqual([(r["结果"], r["原因代码"], r["解析线索类型"], r["文件行号"]) for r in res],
                         [("接收", "", "yibao.high_cost", "2"), ("退回", "idcard.checksum", "", "3"),
                          ("接收", "", "yibao.uninsured", "4")])
        self.assertTrue(res[1]["原因"] and res[1]["reason"])
        sheet = read_xlsx(xlsx_path)
        self.assertEqual(sheet[0], HEADER + ADDED)
        with open(csv_path, encoding="utf-8-sig") as f:
            self.assertEqual([r + [""] * (len(sheet[0]) - len(r)) for r in sheet],
                             [r for r in csv.reader(f)])

        # the same file twice: the stored answers, nothing new
        again = self.push(path)
        self.assertEqual(again.returncode, 1, again.stdout + again.stderr)
        self.assertIn("2 accepted, 0 already received, 1 refused", again.stdout)
        self.assertEqual(self.count(), before + 2)

        # the results XLSX pushed as it is: its added columns are not read; what was taken comes
        # back as already received (other bytes, other batches), the refused line refused again
        again = self.push(xlsx_path)
        self.assertEqual(again.returncode, 1, again.stdout + again.stderr)
        self.assertIn("0 accepted, 2 already received, 1 refused", again.stdout)
        res2 = read_results(xlsx_path[:-5] + ".results.csv")
        self.assertEqual(list(res2[0])[:len(HEADER) + len(ADDED)], HEADER + ADDED)  # added once, not twice
        self.assertEqual([r["结果"] for r in res2], ["已接收", "退回", "已接收"])
        self.assertEqual(read_xlsx(xlsx_path[:-5] + ".results.xlsx")[0], HEADER + ADDED)

        # the clerk corrects the refused line in the results CSV and pushes that file
        with open(csv_path, encoding="utf-8-sig") as f:
            table = list(csv.reader(f))
        table[2][1] = ids[1]
        fixed = self.path("fixed.csv")
        with open(fixed, "w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows(table)
        out = self.push(fixed)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("1 accepted, 2 already received, 0 refused", out.stdout)
        self.assertEqual(self.count(), before + 3)
        res3 = read_results(self.path("fixed.results.csv"))
        self.assertEqual([r["结果"] for r in res3], ["已接收", "接收", "已接收"])
        self.assertEqual(res3[1]["身份证号"], ids[1])

    def test_2_results_option_and_name(self):
        """A workbook named .csv is read as a workbook; --results FILE.xlsx writes an XLSX (and
        its CSV beside it) for any input, --results FILE.csv only the CSV; --results of another kind,
        or naming the input, is a usage error."""
        ids = [id_number("19740101", i + 1) for i in range(2)]
        path = self.path("named.csv")
        rows = [[str(i + 1), idn, "赵六", int(VILLAGES[1]), "yibao.uninsured", ("date", "2026-10-06"), None, ""]
                for i, idn in enumerate(ids)]
        write_xlsx(path, HEADER, rows)
        out = self.push(path, "--results", self.path("out.xlsx"))
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("(xlsx,", out.stdout)
        self.assertFalse(os.path.exists(self.path("named.results.csv")))
        sheet = read_xlsx(self.path("out.xlsx"))
        self.assertEqual([r[:len(HEADER) + 1] for r in sheet[1:]],
                         [["1", ids[0], "赵六", VILLAGES[1], "yibao.uninsured", "2026-10-06", "", "", "接收"],
                          ["2", ids[1], "赵六", VILLAGES[1], "yibao.uninsured", "2026-10-06", "", "", "接收"]])
        self.assertEqual([r["结果"] for r in read_results(self.path("out.csv"))], ["接收", "接收"])
        out = self.push(path, "--results", self.path("only.csv"))  # a CSV asked for: no XLSX
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        # the same bytes, the same batches: the stored answers, as the first time
        self.assertEqual([r["结果"] for r in read_results(self.path("only.csv"))], ["接收", "接收"])
        self.assertFalse(os.path.exists(self.path("only.xlsx")))
        out = self.push(path, "--results", path)  # never over the input itself
        self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
        self.assertIn("would overwrite", out.stderr)
        out = self.push(path, "--results", self.path("out.txt"))
        self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
        self.assertIn("FILE.csv or a FILE.xlsx", out.stderr)

    def test_3_refused_workbooks(self):
        """A workbook push cannot read is refused with the reader's reason; nothing is sent."""
        before = self.count()
        for name, why in (("doctype.xlsx", "a DOCTYPE"), ("chart.xlsx", "is not a worksheet")):
            path = self.path(name)
            shutil.copy(os.path.join(fp.SOURCE, "tests", "fixtures", "xlsx", name), path)
            out = self.push(path)
            self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
            self.assertIn("not a workbook push can read", out.stderr)
            self.assertIn(why, out.stderr)
            self.assertFalse(os.path.exists(path[:-5] + ".results.csv"))
        with open(self.path("cut.xlsx"), "wb") as f:
            f.write(b"PK\x03\x04" + b"\0" * 40)
        out = self.push(self.path("cut.xlsx"))
        self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
        self.assertIn("not a readable zip archive", out.stderr)
        self.assertEqual(self.count(), before)


if __name__ == "__main__":
    unittest.main()
