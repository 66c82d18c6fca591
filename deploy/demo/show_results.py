#!/usr/bin/env python3
"""Shows what `fangpinctl push` wrote in FILE.results.csv, the way a county IT person reads it:
how many lines had each result, then every line not simply accepted (refused, duplicate,
failed), with the name and kind from the input file beside the reason. Used by
tools/scripts/demo.sh; Python 3 standard library only.

    show_results.py INPUT.csv RESULTS.csv
"""
import csv
import io
import sys
import unicodedata

LABEL = {"accepted": "已接收 accepted", "duplicate": "重复 duplicate", "rejected": "退回 refused",
         "failed": "未送达 failed"}
HEADERS = {"name": ("姓名", "name"), "kind": ("线索类型", "lead_kind", "kind"),
           "ref": ("行号", "序号", "ref", "line_ref")}


def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def pad(s, n):
    return s + " " * max(0, n - width(s))


def decode(data):
    """As fangpinctl push reads a file: UTF-8 (BOM or not) if all of it is UTF-8, else GBK."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def read_input(path):
    """{line reference: (name, kind)}: the reference is the 序号/行号 cell, else the line number."""
    with open(path, "rb") as f:
        reader = csv.reader(io.StringIO(decode(f.read()), newline=""))
    header = [h.strip().lower() for h in next(reader)]
    col = {k: next((i for i, h in enumerate(header) if h in [n.lower() for n in names]), None)
           for k, names in HEADERS.items()}
    cell = lambda row, k: row[col[k]].strip() if col[k] is not None and col[k] < len(row) else ""
    lines, start = {}, reader.line_num + 1
    for row in reader:
        if any(c.strip() for c in row):
            lines[cell(row, "ref") or str(start)] = (cell(row, "name"), cell(row, "kind"))
        start = reader.line_num + 1
    return lines


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    lines = read_input(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8-sig", newline="") as f:
        results = list(csv.DictReader(f))
    counts = {}
    for r in results:
        counts[r["结果"]] = counts.get(r["结果"], 0) + 1
    print("  " + ", ".join(f"{LABEL.get(k, k)} {v}" for k, v in sorted(counts.items(), key=lambda kv:
                                                                        list(LABEL).index(kv[0]) if kv[0] in LABEL else 9)))
    shown = [r for r in results if r["结果"] != "accepted"]
    if not shown:
        print("  every line accepted 全部接收")
        return
    line_of = {r["线索编号"]: r["行号"] for r in results if r["结果"] == "accepted"}
    table = [("行号", "姓名", "线索类型 kind", "结果 result", "原因代码 code", "原因 reason")]
    english = [""]
    for r in shown:
        name, kind = lines.get(r["行号"], ("", ""))
        why, en = r["原因"], r["reason"]
        if r["结果"] == "duplicate" and r["线索编号"] in line_of:
            why += f"（与第 {line_of[r['线索编号']]} 行相同）"
            en += f" (same as line {line_of[r['线索编号']]})"
        table.append((r["行号"], name, kind, LABEL.get(r["结果"], r["结果"]), r["原因代码"], why))
        english.append(en)
    widths = [max(width(row[i]) for row in table) for i in range(5)]
    for row, en in zip(table, english):
        print("  " + "  ".join(pad(row[i], widths[i]) for i in range(5)) + "  " + row[5])
        if en:
            print("  " + " " * (widths[0] + 2) + en)

if __name__ == "__main__":
    main()
