#!/usr/bin/env python3
"""Shows what `fangpinctl push` wrote in FILE.results.csv, the way a county IT person reads it:
how many lines had each result, then every line not simply accepted (refused, duplicate,
failed), with the name and kind from the file beside the reason (the results file repeats every
column of the file, then adds 结果, 原因代码, 原因 ...: docs/push.md). Used by
tools/scripts/demo.sh; Python 3 standard library only.

    show_results.py INPUT RESULTS.csv
    show_results.py --resolved RESULTS.csv KIND_COLUMN VILLAGE_COLUMN...

INPUT is the file that was pushed; its cells are read from RESULTS.csv, which repeats them.
--resolved shows every line: the kind and the village as the file wrote them, and the kind code
and village code the service resolved them to (解析线索类型, 解析村代码), or why it refused.
"""
import csv
import sys
import unicodedata

LABEL = {"accepted": "接收 accepted", "duplicate": "已接收 duplicate", "rejected": "退回 refused",
         "failed": "未获答复 failed"}
HEADERS = {"name": ("姓名", "name"), "kind": ("线索类型", "lead_kind", "kind"),
           "ref": ("行号", "序号", "ref", "line_ref")}


def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def pad(s, n):
    return s + " " * max(0, n - width(s))


def columns(header):
    """{name, kind, ref: the results file's column holding it (as push matches a header), or None}."""
    low = {h.strip().lower(): h for h in header}
    return {k: next((low[n.lower()] for n in names if n.lower() in low), None) for k, names in HEADERS.items()}


def resolved(path, kind_col, village_cols):
    with open(path, encoding="utf-8-sig", newline="") as f:
        results = list(csv.DictReader(f))
    table = [("行号", "线索类型（原文）", "村（原文）", "→ 线索类型 kind", "→ 村代码 village", "结果 result")]
    for r in results:
        written = " ".join(r[c] for c in village_cols if r[c])
        outcome = LABEL.get(r["result"], r["result"])
        if r["原因代码"] and r["result"] != "duplicate":
            outcome += f"  {r['原因代码']}：{r['原因']}"
        table.append((r["文件行号"], r[kind_col], written, r["解析线索类型"], r["解析村代码"], outcome))
    widths = [max(width(row[i]) for row in table) for i in range(5)]
    for row in table:
        print("  " + "  ".join(pad(row[i], widths[i]) for i in range(5)) + "  " + row[5])


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "--resolved":
        return resolved(sys.argv[2], sys.argv[3], sys.argv[4:])
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[2], encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        col = columns(reader.fieldnames)
        results = list(reader)
    cell = lambda r, k: r[col[k]].strip() if col[k] else ""
    ref = lambda r: cell(r, "ref") or r["文件行号"]
    counts = {}
    for r in results:
        counts[r["result"]] = counts.get(r["result"], 0) + 1
    print("  " + ", ".join(f"{LABEL.get(k, k)} {v}" for k, v in sorted(counts.items(), key=lambda kv:
                                                                        list(LABEL).index(kv[0]) if kv[0] in LABEL else 9)))
    shown = [r for r in results if r["result"] != "accepted"]
    if not shown:
        print("  every line accepted 全部接收")
        return
    line_of = {r["线索编号"]: ref(r) for r in results if r["result"] == "accepted"}
    table = [("行号", "姓名", "线索类型 kind", "结果 result", "原因代码 code", "原因 reason")]
    english = [""]
    for r in shown:
        why, en = r["原因"], r["reason"]
        if r["result"] == "duplicate" and r["线索编号"] in line_of:
            why += f"（与第 {line_of[r['线索编号']]} 行相同）"
            en += f" (same as line {line_of[r['线索编号']]})"
        table.append((ref(r), cell(r, "name"), cell(r, "kind"), LABEL.get(r["result"], r["result"]), r["原因代码"], why))
        english.append(en)
    widths = [max(width(row[i]) for row in table) for i in range(5)]
    for row, en in zip(table, english):
        print("  " + "  ".join(pad(row[i], widths[i]) for i in range(5)) + "  " + row[5])
        if en:
            print("  " + " " * (widths[0] + 2) + en)


if __name__ == "__main__":
    main()
