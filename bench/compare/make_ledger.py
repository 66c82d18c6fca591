#!/usr/bin/env python3
"""bench/compare/make_ledger.py: one county's ledger (兴隆县 130822, its fixture villages) of about
--people members, for the comparison benchmark (bench/compare/run.sh).

    make_ledger.py --people 1000000 --out FILE

deploy/demo/make_ledger.py's generator gives each member an ID number of the county's own area
code, and an area code has 500 sequence numbers per sex and birth day: a million people of one
area fill some days and the generator never finds a free number. Real counties hold many people
born elsewhere, so this runs the generator in chunks of at most 125,000 people, each chunk's ID
numbers of another 承德市 area code (the households all in 130822's villages; each chunk's household
numbers with a prefix of its own, so no two chunks share a household). Python 3 standard library;
a fixed seed.
"""
import argparse
import csv
import io
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy", "demo"))
import make_ledger as ml  # noqa: E402

AREAS = ["130822", "130821", "130824", "130825", "130826", "130827", "130828", "130881", "130802", "130803",
         "130804"]
CHUNK = 125000


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--people", type=int, required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    chunks = max(1, -(-args.people // CHUNK))
    if chunks > len(AREAS):
        sys.exit(f"make_ledger.py: at most {len(AREAS) * CHUNK} people")
    rows = []
    for k in range(chunks):
        n = min(CHUNK, args.people - k * CHUNK)
        ml.COUNTY = AREAS[k]
        rows += ml.build(ml.Gen(ml.SEED + k), max(1, round(n / 3.15)), f"C{k}", [])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(ml.HEADER)
    w.writerows(rows)
    with open(args.out, "wb") as f:
        f.write(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))
    print(f"wrote {args.out}: {len(rows)} members in {len({r[0] for r in rows})} households")


if __name__ == "__main__":
    main()
