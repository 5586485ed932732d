"""Generate a labelled, mixed Chinese/English data set for measuring detection.

Every column has a known answer (the entity, or None), headers are a mix of
Chinese, English, pinyin and opaque names, and the clean columns are the hard
negatives a scanner gets wrong: order numbers, QQ numbers, waybills, version
strings, hashes, category codes, ordinary dates, random 16/18-digit ids.
The output has the devset's layout: DIR/data/... and DIR/labels.json.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import sqlite3
import string
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from detectors.validators import (
    USCC_ALPHABET,
    luhn_check_digit,
    resident_id_check_char,
    uscc_check_char,
)

Gen = Callable[[random.Random], str]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉宇浩凯婷雪琳晨欣怡子轩梓涵博文思远嘉俊"
FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "William", "Elizabeth",
         "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen"]
LAST = ["Smith", "Johnson", "Williams", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez",
        "Lopez", "Wilson", "Anderson", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Thompson", "Harris"]
CITIES = [("广东省", "深圳市", "南山区"), ("浙江省", "杭州市", "西湖区"), ("北京市", "", "朝阳区"), ("上海市", "", "徐汇区"),
          ("四川省", "成都市", "武侯区"), ("湖北省", "武汉市", "洪山区"), ("江苏省", "南京市", "鼓楼区")]
ROADS = ["人民路", "解放路", "中山路", "建设大道", "和平街", "科技园路", "长江路"]
STREETS = ["Main St", "Oak Avenue", "Maple Ave", "Pine Street", "Cedar Rd", "Elm Drive", "Washington Blvd"]
REGIONS = ["110105", "310115", "440304", "510107", "330106", "420111", "320106"]
PLATE_PROV = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_CH = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def resident_id(rng: random.Random) -> str:
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 26000))
    body = rng.choice(REGIONS) + born.strftime("%Y%m%d") + f"{rng.randint(0, 999):03d}"
    return body + resident_id_check_char(body)


def bank_card(rng: random.Random) -> str:
    prefix = rng.choice(["622848", "621700", "622202", "436742", "524094"])
    partial = prefix + "".join(rng.choice(string.digits) for _ in range(rng.choice([9, 12])))
    card = partial + luhn_check_digit(partial)
    return " ".join(card[i : i + 4] for i in range(0, len(card), 4)) if rng.random() < 0.2 else card


def mobile(rng: random.Random) -> str:
    number = rng.choice(["138", "139", "186", "177", "150", "199", "158", "135"]) + f"{rng.randint(0, 10**8 - 1):08d}"
    return f"{number[:3]}-{number[3:7]}-{number[7:]}" if rng.random() < 0.2 else number


def landline(rng: random.Random) -> str:
    area, n = rng.choice([("010", 8), ("021", 8), ("0755", 8), ("0571", 8), ("0731", 7)])
    return f"{area}-{rng.randint(2, 8)}{rng.randint(0, 10 ** (n - 1) - 1):0{n - 1}d}"


def email(rng: random.Random) -> str:
    user = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 9))) + str(rng.randint(1, 999))
    return f"{user}@{rng.choice(['qq.com', '163.com', 'gmail.com', 'example.cn'])}"


def ipv4(rng: random.Random) -> str:
    return ".".join(str(rng.randint(1, 254)) for _ in range(4))


def uscc(rng: random.Random) -> str:
    body = rng.choice("159") + rng.choice("123") + rng.choice(["110000", "440300", "310115"]) + "".join(
        rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc_check_char(body)


def plate(rng: random.Random) -> str:
    return rng.choice(PLATE_PROV) + rng.choice("ABCDEFGHJK") + "".join(rng.choice(PLATE_CH) for _ in range(5))


def cn_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def en_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def cn_address(rng: random.Random) -> str:
    p, c, d = rng.choice(CITIES)
    return f"{p}{c}{d}{rng.choice(ROADS)}{rng.randint(1, 999)}号{rng.randint(1, 30)}栋{rng.randint(1, 3)}单元{rng.randint(101, 2505)}室"


def en_address(rng: random.Random) -> str:
    return f"{rng.randint(10, 9999)} {rng.choice(STREETS)}, Springfield, IL {rng.randint(60000, 62999)}"


def birth_date(rng: random.Random) -> str:
    return (dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 29000))).isoformat()


def ssn(rng: random.Random) -> str:
    return f"{rng.randint(1, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def passport(rng: random.Random) -> str:
    return rng.choice("EG") + f"{rng.randint(10**7, 10**8 - 1)}"


def intl_phone(rng: random.Random) -> str:
    return f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"


def password(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits + "!@#") for _ in range(rng.randint(8, 14)))


# Hard negatives
def order_no(rng: random.Random) -> str:
    return f"2024{rng.randint(10**11, 10**12 - 1)}"


def random16(rng: random.Random) -> str:
    return str(rng.randint(10**15, 10**16 - 1))


def random18(rng: random.Random) -> str:
    return str(rng.randint(10**17, 10**18 - 1))


def qq(rng: random.Random) -> str:
    return str(rng.randint(10**7, 10**10))


def waybill(rng: random.Random) -> str:
    return f"SF{rng.randint(10**11, 10**12 - 1)}"


def version(rng: random.Random) -> str:
    return f"{rng.randint(1, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 99)}"


def sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def category(rng: random.Random) -> str:
    return rng.choice(["黄金会员", "白银会员", "普通会员", "钻石会员"])


def event_date(rng: random.Random) -> str:
    return (dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 2000))).isoformat()


def amount(rng: random.Random) -> str:
    return f"{rng.uniform(1, 99999):.2f}"


def chat(rng: random.Random) -> str:
    return rng.choice([
        lambda: f"我的手机号是{mobile(rng).replace('-', '')}", lambda: f"发到{email(rng)}",
        lambda: f"身份证号{resident_id(rng)}", lambda: "好的谢谢", lambda: "请尽快处理",
        lambda: f"卡号{bank_card(rng)}",
    ])()


# (header, generator, entity) per table; several headers are opaque on purpose.
TABLES: dict[str, list[tuple[str, Gen, str | None]]] = {
    "customers.csv": [
        ("客户编号", order_no, None), ("姓名", cn_name, "PERSON_NAME"), ("c3", resident_id, "CN_RESIDENT_ID"),
        ("sjhm", mobile, "CN_MOBILE_PHONE"), ("col5", bank_card, "BANK_CARD"), ("家庭住址", cn_address, "ADDRESS"),
        ("会员等级", category, None), ("注册日期", event_date, None), ("qq", qq, "IM_ACCOUNT"), ("金额", amount, None),
    ],
    "people.parquet": [
        ("f1", email, "EMAIL_ADDRESS"), ("f2", ipv4, "IP_ADDRESS"), ("full_name", en_name, "PERSON_NAME"),
        ("dob", birth_date, "DATE_OF_BIRTH"), ("ssn", ssn, "US_SSN"), ("home_phone", intl_phone, "PHONE_NUMBER"),
        ("street_address", en_address, "ADDRESS"), ("trace_id", random16, None), ("ref", random18, None),
        ("app_version", version, None), ("checksum", sha, None),
    ],
    "vendors.db#suppliers": [
        ("x1", uscc, "CN_USCC"), ("x2", plate, "CN_LICENSE_PLATE"), ("passport_no", passport, "CN_PASSPORT"),
        ("lxdh", landline, "CN_LANDLINE_PHONE"), ("login_password", password, "CREDENTIAL"), ("waybill", waybill, None),
    ],
    "tickets.jsonl": [("body", chat, None)],
}
FREE_TEXT = {("tickets.jsonl", "body"): ["CN_MOBILE_PHONE", "EMAIL_ADDRESS", "CN_RESIDENT_ID", "BANK_CARD"]}


def generate(target: Path, rows: int = 600, seed: int = 42) -> Path:
    """Write the data set under target/data and its labels to target/labels.json."""
    rng = random.Random(seed)
    data = target / "data"
    data.mkdir(parents=True, exist_ok=True)
    labels: dict = {"as_of": "2026-03-31", "columns": [], "free_text": []}
    for dataset, spec in TABLES.items():
        columns = {header: [gen(rng) if rng.random() > 0.03 else None for _ in range(rows)] for header, gen, _ in spec}
        _write(data, dataset, columns)
        for header, _gen, entity in spec:
            if (dataset, header) in FREE_TEXT:
                labels["free_text"].append({"dataset": dataset, "column": header, "entities": FREE_TEXT[(dataset, header)]})
            else:
                labels["columns"].append({"dataset": dataset, "column": header, "entity": entity})
    (target / "labels.json").write_text(json.dumps(labels, ensure_ascii=False, indent=1), encoding="utf-8")
    return target


def _write(data: Path, dataset: str, columns: dict[str, list[str | None]]) -> None:
    if dataset.endswith(".csv"):
        with open(data / dataset, "w", encoding="gb18030", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            writer.writerows(zip(*columns.values()))
    elif dataset.endswith(".parquet"):
        pq.write_table(pa.table({k: pa.array(v, type=pa.string()) for k, v in columns.items()}), data / dataset)
    elif dataset.endswith(".jsonl"):
        rows = [dict(zip(columns, values)) for values in zip(*columns.values())]
        (data / dataset).write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    else:
        db_file, table = dataset.split("#")
        con = sqlite3.connect(data / db_file)
        con.execute(f'create table "{table}" ({", ".join(f"{chr(34)}{c}{chr(34)} text" for c in columns)})')
        con.executemany(f'insert into "{table}" values ({", ".join("?" for _ in columns)})', zip(*columns.values()))
        con.commit()
        con.close()
