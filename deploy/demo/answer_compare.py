#!/usr/bin/env python3
"""Writes 医疗保障局's answer to a data-comparison export, for `make demo` (docs/compare.md).

    answer_compare.py EXPORT.csv ANSWER.csv

EXPORT.csv is what `fangpinctl compare export --dept yibao` wrote (姓名, 身份证号, 村代码,
是否参保: the ledger's view). The answer says what 医保's own register says of each person:
insured, except a few whose 2026 contribution lapsed (chosen by their ID number, so the demo
answers the same on every machine), and most of those the ledger still records as uninsured
are in fact insured. The differences are what the rules Q094 and Q095 find. Python 3
standard library only.
"""
import csv
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(sys.argv[2], "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["身份证号", "姓名", "参保状态", "参保日期"])
        for r in rows:
            id_number = r["身份证号"]
            lapsed = int(id_number[14:17]) % 41 == 0
            if r["是否参保"] == "否" and int(id_number[16]) % 2 == 0:
                lapsed = True  # not insured at 医保 either: the ledger is right
            w.writerow([id_number, r["姓名"], "否" if lapsed else "是", "" if lapsed else "2026-01-01"])


if __name__ == "__main__":
    main()
