#!/usr/bin/env python3
"""bench/screening/make_census.py: the screening benchmark's data, for a whole prefecture.

    make_census.py --regions DIR --prefecture 1308 --people 1000000 --leads 200000 --out DIR [--key FILE]

deploy/demo/make_ledger.py writes one county (兴隆县, its fixture villages; --prefix only goes
before household numbers), so this runs its generator once per county of the prefecture, with
that county's code and its real village committees (村民委员会) from the national
villages.csv.gz, people shared out by the number of villages. Writes, in DIR:
  ledger.csv    the census (docs/ledger.md layout, UTF-8 with BOM, CRLF), every county in one file
  leads.tsv     accepted leads for COPY into leads (text format): people of the ledger, chosen
                with replacement (several leads of one person or household merge into one case),
                plus --unknown (2%) made-up people who are not in it. Their ID numbers as intake
                stores them: id_hmac, id_sealed, id_masked made with the county's data key (--key,
                else $FANGPIN_DATA_KEY, else $FANGPIN_KEYS_DIR/data.key) by bench/seal_ids.py, as
                common/seal.c makes them, so screening matches them to the ledger that `fangpinctl
                ledger import` sealed with the same key; no number is written in clear
  cases.tsv     as many case-like rows as leads, for the raw COPY yardstick (bare table like cases)
Python 3 standard library and Debian's python3-nacl (run it with /usr/bin/python3); fixed seed
(but for the sealed numbers' random nonces).
"""
import argparse
import csv
import gzip
import io
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "deploy", "demo"))
import make_ledger as ml  # noqa: E402
sys.path.insert(0, os.path.join(HERE, ".."))
import seal_ids  # noqa: E402

# (kind, department, amount fen or None): lead kinds as departments push them
KINDS = [("yibao.high_cost", "yibao", True), ("weijian.serious_illness", "weijian", False),
         ("minzheng.temp_relief", "minzheng", True), ("zhujian.dangerous_house", "zhujian", False),
         ("yingji.disaster", "yingji", False), ("renshe.job_loss", "renshe", False)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--regions", required=True)
    ap.add_argument("--prefecture", default="1308")
    ap.add_argument("--people", type=int, default=1000000)
    ap.add_argument("--leads", type=int, default=200000)
    ap.add_argument("--unknown", type=float, default=0.02)
    ap.add_argument("--period", default="2026-10")
    ap.add_argument("--out", required=True)
    ap.add_argument("--key", help="the data key file (default: as fangpin finds it)")
    a = ap.parse_args()
    sealer = seal_ids.Sealer(a.key)
    pre = a.prefecture
    villages = {}
    with gzip.open(os.path.join(a.regions, "villages.csv.gz"), "rt", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["code"].startswith(pre) and r["name"].endswith("村民委员会"):
                villages.setdefault(r["areaCode"], []).append(r["code"])
    if not villages:
        sys.exit(f"make_census.py: no village committees under {pre}")
    total_v = sum(len(v) for v in villages.values())
    os.makedirs(a.out, exist_ok=True)
    people = []  # (county, village, id_number, name) of every member
    ids17 = set()
    with open(os.path.join(a.out, "ledger.csv"), "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(ml.HEADER)
        for county in sorted(villages):
            vs = villages[county]
            n = max(1, round(a.people * len(vs) / total_v))
            ml.COUNTY, ml.VILLAGES = county, vs
            g = ml.Gen(ml.SEED + int(county))
            rows = ml.build(g, max(1, round(n / 3.15)), "", [])
            w.writerows(rows)
            people.extend((county, r[1], r[6], r[5]) for r in rows)
            ids17.update(g.ids)
            print(f"  {county}: {len(vs)} villages, {len(rows)} members", file=sys.stderr)
    rng = random.Random(20261103)
    nunknown = int(a.leads * a.unknown)
    leads = []
    seen = set()
    while len(leads) < a.leads - nunknown:
        county, village, idn, name = people[rng.randrange(len(people))]
        kind, dept, amt = KINDS[rng.randrange(len(KINDS))]
        day = rng.randint(1, 28)
        key = (county, dept, idn, kind, day)
        if key in seen:
            continue
        seen.add(key)
        leads.append((county, village, idn, name, kind, dept, amt, day))
    counties = sorted(villages)
    while len(leads) < a.leads:  # people the ledger does not know: valid made-up ID numbers
        county = counties[rng.randrange(len(counties))]
        village = villages[county][rng.randrange(len(villages[county]))]
        first17 = f"{county}{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
        if first17 in ids17:
            continue
        ids17.add(first17)
        kind, dept, amt = KINDS[rng.randrange(len(KINDS))]
        leads.append((county, village, first17 + ml.check_char(first17), "外来某", kind, dept, amt, rng.randint(1, 28)))
    rng.shuffle(leads)
    with open(os.path.join(a.out, "leads.tsv"), "w", encoding="utf-8") as f:
        for i, (county, village, idn, name, kind, dept, amt, day) in enumerate(leads):
            amount = str(rng.randint(500000, 8000000)) if amt else "\\N"
            f.write(f"{county}\t{village}\tdept:{county}:{dept}\t{dept}\tbench-{dept}-{county}\t{i + 2}\t{i + 2}\t"
                    f"{a.period}\t{kind}\t{sealer.copy_fields(idn)}\t{name}\t{a.period}-{day:02d}\t{amount}\t"
                    "bench\n")
    decision = json.dumps({"kind": "marginal", "in_range": True, "fired": [
        {"id": "income.below_line", "zh": "人均纯收入低于监测线", "seen": True, "why_zh": "人均纯收入 5200 元，低于 6600 元"}],
        "risk_types": ["illness"]}, ensure_ascii=False).replace("\\", "\\\\")
    with open(os.path.join(a.out, "cases.tsv"), "w", encoding="utf-8") as f:
        for i, (county, village, idn, name, kind, dept, amt, day) in enumerate(leads):
            f.write(f"{i + 1}\t{county}\t{village}\t{county}{village}{i:05d}\topened\t\\N\t{{illness}}\t{decision}\t"
                    f"660000\t520000\t{a.period}-{day:02d}\t2026-11-{day:02d}\n")
    print(f"wrote {a.out}: {len(people)} members, {len(leads)} leads ({nunknown} not in the ledger)", file=sys.stderr)
    print(len(people))


if __name__ == "__main__":
    main()
