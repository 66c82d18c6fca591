#!/usr/bin/env python3
"""Writes the demo's October 2026 lead files of 兴隆县 (130822) into deploy/demo/leads/.

    python3 deploy/demo/make_leads.py        # from anywhere; Python 3 standard library only

Every person is made up here, from a fixed seed: random names, and resident ID numbers with
the region prefix 130822, a plausible birth date and a correct GB 11643 (MOD 11-2) check
character. The villages are real: the village committees (村民委员会) of
tests/fixtures/regions/130822/villages.csv. The output does not change from one run to the
next, and the committed CSV files are exactly what this script writes.

Each file is written the way that department's software exports it (encoding, line ends,
header names), and three of them hold the mistakes real files have, so that `make demo` shows
the service refusing them line by line (see leads/README.md).
"""
import csv
import io
import os
import random
from datetime import date, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
FIXTURE = os.path.join(TOP, "tests", "fixtures", "regions", "130822")
OUT = os.path.join(HERE, "leads")
PERIOD = "2026-10"
COUNTY = "130822"

rng = random.Random(20261031)

# --- villages ---------------------------------------------------------------------------------
def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))

TOWNSHIPS = {r["code"]: r["name"] for r in read_csv(os.path.join(FIXTURE, "streets.csv"))}
VILLAGES = [(r["code"], r["name"]) for r in read_csv(os.path.join(FIXTURE, "villages.csv"))
            if r["name"].endswith("村民委员会")]  # rural villages, not urban communities (社区)
VILLAGE_NAME = dict(VILLAGES)

# --- people -----------------------------------------------------------------------------------
# Surnames common in 承德 (关, 佟, 富, 那 among the Manchu families of 兴隆), weighted roughly.
SURNAMES = ("王" * 9 + "李" * 8 + "张" * 8 + "刘" * 7 + "赵" * 5 + "杨" * 4 + "孙" * 3 + "于" * 3 +
            "高" * 3 + "马" * 2 + "陈" * 2 + "董" * 2 + "吴" * 2 + "郑" * 2 + "宋" * 2 + "徐" * 2 +
            "周朱田曹付韩金关佟富那郭石崔闫")
GIVEN_M = "国建志文明海军春宝德福永振立成树新广庆连俊会山旺学忠林长海金义占利"
GIVEN_F = "秀桂玉凤丽淑春兰英芳霞艳梅华红琴荣珍敏素翠云亚静娟"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_char(first17):
    """GB 11643 MOD 11-2 check character of the first 17 digits."""
    s = sum(int(d) * w for d, w in zip(first17, WEIGHTS))
    return "10X98765432"[s % 11]


used_ids = set()
used_names = set()


class Person:
    def __init__(self, age_lo, age_hi, village=None, male=None):
        self.male = rng.random() < 0.5 if male is None else male
        while True:
            age = rng.randint(age_lo, age_hi)
            born = date(2026 - age, 1, 1) + timedelta(days=rng.randrange(365))
            seq = rng.randrange(0, 500) * 2 + (1 if self.male else 0)  # odd = male, even = female
            first17 = f"{COUNTY}{born:%Y%m%d}{seq:03d}"
            if first17 not in used_ids:
                used_ids.add(first17)
                break
        self.id_number = first17 + check_char(first17)
        self.born = born
        while True:
            given = GIVEN_M if self.male else GIVEN_F
            n = 2 if born.year < 1985 or rng.random() < 0.4 else 1
            name = rng.choice(SURNAMES) + "".join(rng.choice(given) for _ in range(n))
            if name not in used_names and len(set(name)) == len(name):
                used_names.add(name)
                break
        self.name = name
        self.village = village or rng.choice(VILLAGES)[0]

    @property
    def age(self):
        return 2026 - self.born.year

    @property
    def township(self):
        return TOWNSHIPS[self.village[:9]]


def day(d):
    return date(2026, 10, d)


def some_day():
    return day(rng.randint(1, 31))


def yuan(lo, hi):
    return f"{rng.randint(lo * 100, hi * 100) / 100:.2f}"


def with_separators(amount):
    whole, cents = amount.split(".")
    return f"{int(whole):,}.{cents}"


def wrong_check(id_number):
    """The same number with another check character: a digit mistyped when copied."""
    right = id_number[17]
    wrong = rng.choice([c for c in "0123456789X" if c != right])
    return id_number[:17] + wrong


# Serious illnesses as 医保 codes them on a settlement, and as 卫健's follow-up describes them.
SERIOUS = {"肺恶性肿瘤": "恶性肿瘤（肺癌），正在放化疗", "胃恶性肿瘤": "恶性肿瘤（胃癌）术后化疗",
           "慢性肾衰竭（尿毒症期）": "尿毒症，每周血液透析3次", "急性心肌梗死": "急性心肌梗死，冠脉支架术后",
           "脑出血": "脑出血后遗症，偏瘫卧床", "白血病": "白血病，化疗中"}

# People known to several departments: a serious illness is both a high cost at 医保 and a
# case at 卫健; a family on 低保 may also get temporary relief.
ILL = [Person(38, 82) for _ in range(7)]
for p in ILL:
    p.diagnosis = rng.choice(sorted(SERIOUS))

# --- 医疗保障局 (yibao): plain UTF-8 from its settlement system, LF line ends -------------------
DIAGNOSES = ["脑梗死", "急性心肌梗死", "肺恶性肿瘤", "胃恶性肿瘤", "慢性肾衰竭（尿毒症期）", "股骨颈骨折",
             "重症肺炎", "肝硬化失代偿期", "乳腺恶性肿瘤", "脑出血", "2型糖尿病伴多个并发症",
             "慢性阻塞性肺疾病急性加重", "白血病", "类风湿关节炎"]
HOSPITALS = ["兴隆县医院", "兴隆县中医院", "承德市中心医院", "承德医学院附属医院", "北京天坛医院",
             "天津医科大学总医院", "河北医科大学第四医院"]


def yibao_rows():
    header = ["姓名", "身份证号", "村代码", "线索类型", "发生日期", "金额(元)", "情况说明"]
    rows = []
    people = ILL[:6] + [Person(35, 85) for _ in range(16)]
    for i, p in enumerate(people):
        amount = yuan(8000, 68000)
        if i in (4, 13):
            amount = with_separators(amount)  # Excel's "1,234.50" number format
        dx = getattr(p, "diagnosis", None) or rng.choice([d for d in DIAGNOSES if not (p.male and "乳腺" in d)])
        hosp = rng.choice(HOSPITALS)
        stay = rng.randint(6, 38)
        rows.append([p.name, p.id_number, p.village, "yibao.high_cost", some_day().isoformat(), amount,
                     f"{hosp}住院{stay}天（{dx}），基本医保、大病保险和医疗救助报销后个人自付"])
    for _ in range(6):
        p = Person(1, 70)
        rows.append([p.name, p.id_number, p.village, "yibao.uninsured", some_day().isoformat(), "",
                     "2026年度城乡居民基本医疗保险未参保，经核查非死亡、未在外地参保"])
    rows.sort(key=lambda r: r[4])
    # the mistakes
    rows[3][1] = wrong_check(rows[3][1])       # a digit mistyped: idcard.checksum
    costly = [i for i, r in enumerate(rows) if r[3] == "yibao.high_cost" and i > 10]
    rows[costly[0]][5] = ""                     # a high cost without its amount: amount.required
    rows.insert(costly[3] + 2, list(rows[costly[3]]))  # pasted twice: duplicate.in_batch
    return header, rows


# --- 卫生健康局 (weijian): "CSV UTF-8" from Excel: UTF-8 with a BOM, CRLF ----------------------
ILLNESSES = ["恶性肿瘤（肺癌），正在放化疗", "恶性肿瘤（食管癌）术后", "尿毒症，每周血液透析3次",
             "重性精神障碍（精神分裂症）", "急性心肌梗死，冠脉支架术后", "脑卒中后遗症，偏瘫卧床",
             "耐多药肺结核", "终末期肾病", "重度再生障碍性贫血", "慢性心力衰竭（心功能IV级）",
             "恶性肿瘤（肝癌）晚期"]
CHILD_ILLNESSES = ["儿童急性白血病，化疗中", "先天性心脏病，待手术", "重度再生障碍性贫血"]
SOURCES = ["家庭医生签约随访发现", "县域大病专项救治登记", "慢病管理系统筛查", "乡镇卫生院住院登记"]


def weijian_rows():
    header = ["序号", "姓名", "公民身份号码", "行政村代码", "线索类型", "发生日期", "金额（元）", "说明"]
    rows = []
    people = ILL[2:] + [Person(8, 85) for _ in range(15)]
    for p in people:
        if hasattr(p, "diagnosis"):
            illness = SERIOUS[p.diagnosis]
        else:
            illness = rng.choice(CHILD_ILLNESSES if p.age < 16 else ILLNESSES)
        # the year's medical costs so far, when the hospital reported them
        amount = f"{rng.randint(200, 1500) * 100}.00" if rng.random() < 0.35 else ""
        rows.append(["", p.name, p.id_number, p.village, "weijian.serious_illness",
                     some_day().isoformat(), amount, f"{rng.choice(SOURCES)}：{illness}"])
    rng.shuffle(rows)
    # the mistakes
    rows[6][3] = "130821" + rows[6][3][6:]     # a village of 承德县 next door: village.out_of_scope
    rows[13][5] = "2027" + rows[13][5][4:]     # the year mistyped: date.future
    for i, r in enumerate(rows):
        r[0] = str(i + 1)
    return header, rows


# --- 民政局 (minzheng): "CSV (逗号分隔)" from WPS: GBK, CRLF, empty rows below the data ---------
def minzheng_rows():
    header = ["序号", "姓名", "身份证号", "所属乡镇", "村代码", "线索类型", "日期", "金额", "情况说明"]
    rows = []
    dibao = [ILL[0]] + [Person(30, 90) for _ in range(11)]
    for p in dibao:
        monthly = rng.choice(["386", "412", "455", "498", "530"])
        why = (["老年单身，无固定收入，", "年老体弱，子女无赡养能力，"] if p.age >= 65 else
               ["因病致贫，经入户核查，", "家庭主要劳动力残疾，", "因病丧失劳动能力，"])
        rows.append([p, "minzheng.dibao_new", some_day(), monthly if rng.random() < 0.7 else "",
                     rng.choice(why) + f"新纳入农村低保，月保障金{monthly}元"])
    for p in [dibao[1], dibao[4]] + [Person(25, 80) for _ in range(8)]:
        amount = str(rng.choice([800, 1000, 1500, 2000, 2500, 3000, 5000]))
        why = ["因病住院，医疗费用支出大", "房屋失火，生活用品损毁", "突发重病，临时生活困难"]
        if 30 <= p.age <= 55:
            why += ["子女上学，生活暂时困难", "遭遇交通事故，家庭主要劳动力受伤"]
        rows.append([p, "minzheng.temp_relief", some_day(), amount, rng.choice(why) + "，给予临时救助"])
    p = Person(60, 88)
    rows.append([p, "minzheng.tekun_new", some_day(), "",
                 "无劳动能力、无生活来源、无法定赡养义务人，新纳入分散供养特困人员"])
    rows.sort(key=lambda r: (r[2], r[0].village))
    out = []
    for i, (p, kind, when, amount, text) in enumerate(rows):
        # WPS shows dates the Chinese way: 2026/10/5
        out.append([str(i + 1), p.name, p.id_number, p.township, p.village, kind,
                    f"{when.year}/{when.month}/{when.day}", amount, text])
    # the mistake: a dangerous house seen on a 低保 visit, sent with 住建局's kind (that is
    # zhujian's to report): kind.not_allowed
    p = dibao[6]
    at = next(i for i, r in enumerate(out) if r[2] == p.id_number and r[5] == "minzheng.dibao_new")
    out.insert(at + 1, ["", p.name, p.id_number, p.township, p.village, "zhujian.dangerous_house", out[at][6], "",
                        "入户核查低保时发现住房墙体开裂，疑似危房"])
    for i, r in enumerate(out):
        r[0] = str(i + 1)
    return header, out


# --- 住房和城乡建设局 (zhujian): plain UTF-8 from its housing-safety system, LF, no amount ------
def zhujian_rows():
    header = ["姓名", "身份证号", "村代码", "线索类型", "发生日期", "情况说明"]
    rows = []
    cracks = ["承重墙体开裂", "屋面漏雨、檩条糟朽", "地基不均匀沉降", "土坯房墙体酥碱", "房屋整体倾斜"]
    for _ in range(16):
        p = Person(52, 88)
        grade = rng.choice("CCCD")
        rows.append([p.name, p.id_number, p.village, "zhujian.dangerous_house", some_day().isoformat(),
                     f"农村房屋安全隐患排查：{rng.choice(cracks)}，鉴定为{grade}级危房"])
    rows.sort(key=lambda r: (r[4], r[2]))
    return header, rows


# --- 民政局 again: the 低保 change list as its own system exports it ----------------------------
# Read through the column profile deploy/profiles/minzheng-dibao.ini (docs/push.md): a title line
# above the header; the township and the village by name in two columns, written as clerks write
# them (the full 村民委员会, 村, 村委会, the bare name, once in traditional characters); 变动类型 in
# the system's own words (two of them aliases the county adds with `fangpinctl kinds alias add`);
# dates as 2026年10月3日; the allowance in 万元 a year. One line names a village 榆树沟 without its
# township, and 兴隆县 has two: it is refused with both candidates.
DIBAO_EXPORT_KINDS = [("低保新增", 0.5), ("新纳入低保", 0.2), ("特困新增", 0.1), ("临时救助", 0.2)]
YUSHUGOU = "130822108214"  # 蓝旗营镇榆树沟村民委员会; 半壁山镇 has one too


def dibao_export_rows():
    header = ["序号", "户主姓名", "身份证号码", "乡镇（街道）", "村（社区）", "变动类型", "变动日期",
              "保障金额（万元）", "保障人数", "低保类别", "备注"]
    rows = []
    for i in range(12):
        p = Person(35, 86, village=YUSHUGOU if i == 7 else None)
        full = VILLAGE_NAME[p.village]
        short = full[:-len("村民委员会")]
        village = [full, short + "村", short + "村委会", short][i % 4]
        township = p.township
        if i == 5:  # typed with a traditional-character input method
            township = township.replace("镇", "鎮").replace("乡", "鄉")
        if i == 7:
            township, village = "", short  # the clerk left the township out
        kind = rng.choices([k for k, _ in DIBAO_EXPORT_KINDS], [w for _, w in DIBAO_EXPORT_KINDS])[0]
        when = some_day()
        members = rng.randint(1, 4)
        if kind == "临时救助":
            amount, grade, note = f"{rng.choice([800, 1000, 1500, 2000, 3000]) / 10000:.4f}", "", "因病临时救助"
        elif kind == "特困新增":
            amount, grade, note, members = f"{7560 / 10000:.4f}", "", "分散供养", 1
        else:
            monthly = rng.choice([386, 420, 465, 510, 560]) * members
            amount = f"{monthly * 12 / 10000:.4f}"
            grade, note = rng.choice(["A类", "B类", "C类"]), rng.choice(["因病", "因残", "缺劳动力", "年老体弱"])
        rows.append((when, [p.name, p.id_number, township, village, kind,
                            f"{when.year}年{when.month}月{when.day}日", amount, str(members), grade, note]))
    rows.sort(key=lambda r: r[0])
    return header, [[str(i + 1)] + r for i, (_, r) in enumerate(rows)]


def render(header, rows, lineterminator):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=lineterminator)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def write(name, data):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(data)
    print(f"wrote {os.path.relpath(path, TOP)} ({len(data)} bytes)")


def main():
    os.makedirs(OUT, exist_ok=True)
    yibao, weijian, minzheng, zhujian = yibao_rows(), weijian_rows(), minzheng_rows(), zhujian_rows()
    write(f"yibao-{PERIOD}.csv", render(*yibao, "\n").encode("utf-8"))
    write(f"weijian-{PERIOD}.csv", b"\xef\xbb\xbf" + render(*weijian, "\r\n").encode("utf-8"))
    text = render(*minzheng, "\r\n") + ",,,,,,,,\r\n" * 3  # Excel/WPS keep formatted empty rows
    write(f"minzheng-{PERIOD}.csv", text.encode("gbk"))
    write(f"zhujian-{PERIOD}.csv", render(*zhujian, "\n").encode("utf-8"))
    title = "兴隆县2026年10月低保对象变动明细表\r\n"  # the export's title line, above the header
    write(f"minzheng-dibao-{PERIOD}.csv", (title + render(*dibao_export_rows(), "\r\n")).encode("gbk"))


if __name__ == "__main__":
    main()
