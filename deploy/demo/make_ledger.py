#!/usr/bin/env python3
"""Writes the demo's rural population ledger of 兴隆县 (130822) for the 2026Q3 census:
deploy/demo/ledger/130822-2026Q3.csv, one line per member with the household's columns
repeated, in the layout of docs/ledger.md.

    python3 deploy/demo/make_ledger.py                     # the committed demo file
    python3 deploy/demo/make_ledger.py --people 100000 --out /tmp/ledger-100k.csv [--prefix B1]

Python 3 standard library only; a fixed seed, so the output does not change between runs.
Villages are the real village committees of tests/fixtures/regions/130822/villages.csv; ID
numbers are made up, with the 130822 prefix and a correct MOD 11-2 check character. Household
types mix general, lifted and monitored households; incomes scatter around Hebei's monitoring
line of 6600 yuan per person and year, so some households fall below it.

The demo file also holds the people of the demo's monthly lead files (deploy/demo/leads/*.csv,
read here), so that screening can match them, except:
  - lines those files hold as deliberate mistakes (a wrong check digit, a village outside the
    county), which intake refuses anyway;
  - NOT_IN_LEDGER below: a handful of people deliberately left out, to give the demo its
    "register or refute" tasks (a lead about a person the ledger does not know).
With --people the lead files are not read: the file is synthetic only (for benchmarks). PREFIX
is put before every household number, so files made with different prefixes hold different
households.
"""
import argparse
import csv
import io
import os
import random
from datetime import date, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
FIXTURE = os.path.join(TOP, "tests", "fixtures", "regions", "130822")
LEADS = os.path.join(HERE, "leads")
OUT = os.path.join(HERE, "ledger", "130822-2026Q3.csv")
COUNTY = "130822"
PERIOD = "2026Q3"
SEED = 20260930
DEMO_HOUSEHOLDS = 2000

# Lead people deliberately absent from the ledger (by lead file and line): see docs/ledger.md.
# Everyone named on these lines is left out, whatever other lines name them.
NOT_IN_LEDGER = [("yibao-2026-10.csv", 20), ("weijian-2026-10.csv", 14), ("minzheng-2026-10.csv", 13),
                 ("zhujian-2026-10.csv", 5), ("zhujian-2026-10.csv", 12)]

HEADER = ["户编号", "村代码", "户类型", "监测类型", "户主姓名", "姓名", "身份证号", "与户主关系", "性别", "出生日期",
          "劳动能力", "健康状况", "在校情况", "是否参保", "残疾等级", "工资性收入(元)", "公益性岗位收入(元)",
          "生产经营性收入(元)", "财产性收入(元)", "养老金(元)", "计划生育金(元)", "生态补偿金(元)", "低保金(元)",
          "特困供养金(元)", "其他转移性收入(元)", "生产经营费用支出(元)", "医疗自付(元)", "吃穿不愁", "义务教育保障",
          "基本医疗保障", "住房安全", "饮水安全", "调查期"]

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SURNAMES = ("王" * 9 + "李" * 8 + "张" * 8 + "刘" * 7 + "赵" * 5 + "杨" * 4 + "孙" * 3 + "于" * 3 +
            "高" * 3 + "马" * 2 + "陈" * 2 + "董" * 2 + "吴" * 2 + "郑" * 2 + "宋" * 2 + "徐" * 2 +
            "周朱田曹付韩金关佟富那郭石崔闫")
GIVEN_M = "国建志文明海军春宝德福永振立成树新广庆连俊会山旺学忠林长海金义占利浩宇子轩博涛"
GIVEN_F = "秀桂玉凤丽淑春兰英芳霞艳梅华红琴荣珍敏素翠云亚静娟欣怡雨涵梓萱"
TODAY = date(2026, 9, 30)


def check_char(first17):
    s = sum(int(d) * w for d, w in zip(first17, WEIGHTS))
    return "10X98765432"[s % 11]


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


VILLAGES = [r["code"] for r in read_csv(os.path.join(FIXTURE, "villages.csv")) if r["name"].endswith("村民委员会")]


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.ids = set()

    def id_number(self, born, male):
        while True:
            seq = self.rng.randrange(0, 500) * 2 + (1 if male else 0)
            first17 = f"{COUNTY}{born:%Y%m%d}{seq:03d}"
            if first17 not in self.ids:
                self.ids.add(first17)
                return first17 + check_char(first17)

    def name(self, male, born, surname=None):
        given = GIVEN_M if male else GIVEN_F
        n = 2 if born.year < 1985 or self.rng.random() < 0.5 else 1
        return (surname or self.rng.choice(SURNAMES)) + "".join(self.rng.choice(given) for _ in range(n))

    def born(self, age):
        return date(TODAY.year - age, 1, 1) + timedelta(days=self.rng.randrange(365)) - timedelta(days=365 if age and self.rng.random() < 0.3 else 0)

    def person(self, age, male, relation, surname=None, known=None):
        age = max(0, min(age, 98))
        if known:  # a person from a lead file: their own ID number and name
            idn, name = known
            born = date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))
            male = int(idn[16]) % 2 == 1
        else:
            born = self.born(age)
            if born > TODAY:
                born = TODAY - timedelta(days=30)
            idn = self.id_number(born, male)
            name = self.name(male, born, surname)
        return {"id": idn, "name": name, "born": born, "male": male, "rel": relation}


def age_of(born):
    return TODAY.year - born.year - ((TODAY.month, TODAY.day) < (born.month, born.day))


def household(g, village, no, size, kind, head_known=None, known_role=None, known=None):
    """Members of one household: a head (the lead person when given), spouse, children, parents."""
    r = g.rng
    members = []
    if head_known:
        head = g.person(0, True, "户主", known=head_known)
    else:
        head = g.person(r.randint(26, 82), r.random() < 0.82, "户主")
    members.append(head)
    ha = age_of(head["born"])
    sur = head["name"][0]
    if size >= 2 and ha < 90 and (r.random() < 0.85 or size > 2):
        members.append(g.person(ha + r.randint(-5, 4), not head["male"], "配偶"))
    while len(members) < size:
        if ha < 58 and r.random() < 0.2 and not any(m["rel"] == "之父" or m["rel"] == "之母" for m in members):
            male = r.random() < 0.4
            members.append(g.person(ha + r.randint(24, 32), male, "之父" if male else "之母", surname=sur if male else None))
        elif ha >= 55 and r.random() < 0.5 and any(m["rel"] in ("之子", "之女") for m in members):
            male = r.random() < 0.5
            members.append(g.person(ha - r.randint(48, 56), male, "之孙子" if male else "之孙女", surname=sur))
        else:
            male = r.random() < 0.52
            ca = ha - r.randint(22, 36)
            if ca < 0:
                ca = r.randint(0, 3)
            members.append(g.person(ca, male, "之子" if male else "之女", surname=sur))
    if known:  # a lead person who is not the head: replace the best-fitting member
        want = age_of(date(int(known[0][6:10]), int(known[0][10:12]), int(known[0][12:14])))
        idx = min(range(1, len(members)), key=lambda i: abs(age_of(members[i]["born"]) - want)) if len(members) > 1 else None
        if idx is None:
            members.append(g.person(0, True, "配偶", known=known))
        else:
            p = g.person(0, True, members[idx]["rel"], known=known)
            flip = {"之子": "之女", "之女": "之子", "之孙子": "之孙女", "之孙女": "之孙子", "之父": "之母", "之母": "之父"}
            if p["rel"] in flip and (p["rel"] in ("之子", "之孙子", "之父")) != p["male"]:
                p["rel"] = flip[p["rel"]]
            if p["rel"] == "配偶" and p["male"] == members[0]["male"]:
                p["rel"] = "其他"
            members[idx] = p
    return members


def member_attrs(g, m, kind, ill=False, disabled=False):
    r = g.rng
    a = age_of(m["born"])
    if ill:
        health = "患有大病" if r.random() < 0.6 else "长期慢性病"
    elif disabled:
        health = "残疾"
    else:
        x = r.random()
        p_ill = 0.02 + a / 600 + (0.08 if kind != "一般户" else 0)
        health = "健康" if x > p_ill * 2.2 else ("长期慢性病" if x > p_ill * 0.6 else ("患有大病" if x > p_ill * 0.25 else "残疾"))
    grade = str(r.randint(1, 4)) if health == "残疾" else ""
    if a < 16 or a >= 70:
        labour = "无劳动力"
    elif health in ("患有大病", "残疾") and r.random() < 0.6:
        labour = "丧失劳动力"
    elif health != "健康" or a >= 60:
        labour = "弱劳动力或半劳动力"
    else:
        labour = "技能劳动力" if r.random() < 0.15 else "普通劳动力"
    if a < 6:
        school = "学龄前儿童"
    elif a < 16:
        school = "辍学" if r.random() < 0.004 else "在校生"
    elif a < 22:
        school = "在校生" if r.random() < 0.55 else "非在校生"
    else:
        school = "非在校生"
    insured = "否" if r.random() < 0.02 else "是"
    return labour, health, school, insured, grade


def yuan(fen):
    return f"{fen // 100}.{fen % 100:02d}"


def incomes(g, kind, mkind, members, attrs, ill):
    """Income items (fen) around the monitoring line of 6600 yuan per person and year."""
    r = g.rng
    n = len(members)
    target = {"一般户": r.lognormvariate(9.55, 0.45), "脱贫户": r.lognormvariate(9.1, 0.35)}.get(kind)
    if kind == "监测户":
        target = r.uniform(4800, 7800) if mkind != "突发严重困难户" else r.uniform(6000, 11000)
    workers = [i for i, a in enumerate(attrs) if a[0] in ("普通劳动力", "技能劳动力", "弱劳动力或半劳动力")]
    old = [i for i, m in enumerate(members) if age_of(m["born"]) >= 60]
    pension = sum(r.randint(1600, 2600) for _ in old) * 100
    eco = r.choice([0, 0, 0, 12000, 25000, 38000, 60000])
    famplan = 96000 if old and r.random() < 0.08 else 0
    dibao = tekun = 0
    if kind != "一般户" and (not workers or r.random() < 0.15):
        dibao = n * r.randint(3800, 5900) * 100
    if n == 1 and not workers and r.random() < 0.5:
        tekun, dibao = r.randint(9000, 12000) * 100, 0
    property_ = r.choice([0, 0, 0, 0, 20000, 36000, 50000, 80000]) if kind != "一般户" else r.choice([0, 0, 30000, 120000])
    other_tr = r.choice([0, 0, 0, 0, 50000, 100000, 150000])
    total = int(target * n * 100)
    rest = max(0, total - pension - eco - famplan - dibao - tekun - property_ - other_tr)
    if not workers:
        rest = rest // 4
    operating_share = r.uniform(0.05, 0.5)
    operating = int(rest * operating_share)
    wage = rest - operating
    public_job = 0
    if kind != "一般户" and workers and r.random() < 0.3:
        public_job = min(wage, r.randint(6000, 9600) * 100)
    cost = int(operating * r.uniform(0.15, 0.45))
    operating += cost  # so that operating income minus production costs is about the share
    medical = r.randint(0, 2500) * 100 if r.random() < 0.5 else 0
    if ill:
        medical = r.randint(8000, 60000) * 100
    round_ = lambda v: v - v % 100  # noqa: E731 whole yuan for most items, as villages write them
    return [round_(wage), round_(public_job), round_(operating), property_, pension, famplan, eco, dibao, tekun,
            other_tr, round_(cost), medical]


def lead_people():
    """(file, line, id_number, name, village, lead kind) of each line of the demo lead files."""
    out = []
    for fn in sorted(os.listdir(LEADS)):
        if not fn.endswith(".csv") or fn.endswith(".results.csv"):
            continue
        raw = open(os.path.join(LEADS, fn), "rb").read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gbk")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        head = rows[0]
        col = lambda *names: next(i for i, h in enumerate(head) if h in names)  # noqa: E731
        ci, cn, cv, ck = col("身份证号", "公民身份号码"), col("姓名"), col("村代码", "行政村代码"), col("线索类型")
        for ln, row in enumerate(rows[1:], start=2):
            if len(row) <= max(ci, cn, cv, ck) or not row[ci]:
                continue
            out.append((fn, ln, row[ci], row[cn], row[cv], row[ck]))
    return out


def valid_id(idn):
    return len(idn) == 18 and idn[:17].isdigit() and check_char(idn[:17]) == idn[17]


def build(g, nhouseholds, prefix, leads):
    r = g.rng
    seq = {}
    rows = []
    villages = VILLAGES
    # the lead people: one household each (several leads of one person share it)
    placed = {}
    skip = {idn for fn, ln, idn, _, _, _ in leads if (fn, ln) in NOT_IN_LEDGER}
    plan = []
    for fn, ln, idn, name, village, kind in leads:
        if idn in skip or not valid_id(idn) or village not in villages or idn in placed:
            continue
        placed[idn] = village
        g.ids.add(idn[:17])
        plan.append((idn, name, village, kind))
    specs = []
    for idn, name, village, kind in plan:
        specs.append((village, (idn, name), kind))
    while len(specs) < nhouseholds:
        specs.append((r.choice(villages), None, None))
    r.shuffle(specs)
    for village, known, lead_kind in specs:
        n = seq.get(village, 0) + 1
        seq[village] = n
        no = f"{prefix}{village}{n:05d}"
        size = r.choices((1, 2, 3, 4, 5, 6), (12, 26, 22, 21, 12, 7))[0]
        x = r.random()
        kind, mkind = ("一般户", "") if x < 0.70 else (("脱贫户", "") if x < 0.92 else ("监测户", ""))
        if known and lead_kind and lead_kind.startswith(("minzheng", "yibao.high", "weijian")) and r.random() < 0.5:
            kind = r.choice(["脱贫户", "监测户"])
        if kind == "监测户":
            mkind = r.choices(("脱贫不稳定户", "边缘易致贫户", "突发严重困难户"), (40, 45, 15))[0]
        head_known = member_known = None
        if known:
            a = age_of(date(int(known[0][6:10]), int(known[0][10:12]), int(known[0][12:14])))
            if a >= 24 and r.random() < 0.75:
                head_known = known
            else:
                member_known = known
                size = max(size, 2)
        members = household(g, village, no, size, kind, head_known, None, member_known)
        ill_ids = {known[0]} if known and lead_kind and lead_kind.split(".")[0] in ("yibao", "weijian") else set()
        attrs = [member_attrs(g, m, kind, ill=m["id"] in ill_ids) for m in members]
        amounts = incomes(g, kind, mkind, members, attrs, bool(ill_ids))
        edu = "否：子女辍学" if any(a[2] == "辍学" for a in attrs) else "是"
        med = "否：有成员未参保" if any(a[3] == "否" for a in attrs) else "是"
        housing = "是"
        if known and lead_kind == "zhujian.dangerous_house" and r.random() < 0.5:
            housing = "否：" + r.choice(["C级危房", "D级危房"])
        elif r.random() < 0.01:
            housing = "否：C级危房"
        water = "否：季节性缺水" if r.random() < 0.008 else "是"
        head = members[0]
        for m, a in zip(members, attrs):
            rows.append([no, village, kind, mkind, head["name"], m["name"], m["id"], m["rel"], "男" if m["male"] else "女",
                         m["born"].isoformat(), a[0], a[1], a[2], a[3], a[4]] + [yuan(v) for v in amounts] +
                        ["是", edu, med, housing, water, PERIOD])
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--people", type=int, help="about this many members (synthetic only, for benchmarks)")
    ap.add_argument("--prefix", default="", help="put before every household number")
    ap.add_argument("--out", help="output path (default: the committed demo file)")
    args = ap.parse_args()
    if args.people:
        g = Gen(SEED + sum(map(ord, args.prefix)))
        rows = build(g, max(1, round(args.people / 3.15)), args.prefix, [])
        out = args.out or f"ledger-{args.people}.csv"
    else:
        g = Gen(SEED)
        rows = build(g, DEMO_HOUSEHOLDS, args.prefix, lead_people())
        out = args.out or OUT
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")  # what Excel writes for "CSV UTF-8"
    w.writerow(HEADER)
    w.writerows(rows)
    with open(out, "wb") as f:
        f.write(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))
    print(f"wrote {out}: {len(rows)} members in {len({r[0] for r in rows})} households")


if __name__ == "__main__":
    main()
