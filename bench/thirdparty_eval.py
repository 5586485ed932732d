"""Column-classification accuracy on data this project did not generate (issue 16, part 3).

usage: python -m bench.thirdparty_eval [--rows N] [--seed S] [--out DIR] [--json FILE] [--keep]

Builds a labelled set from two independent third-party generators, Faker
(zh_CN, en_US) and mimesis (zh, en), fixed seeds, so every run builds the
same files: person tables with natural headers (Chinese, English, pinyin
initials) and with opaque ones (``c1``, ``f_07``, ``col_3``), nested JSON,
placeholders (``无``, ``N/A``, ``-``, empty) at realistic rates, messy
formats (spaces and dashes in IDs and phones, full-width digits, ``+86``,
grouped card numbers), and hard-negative columns (company and county names,
versions, prices, order ids, timestamps, product status). It writes them as
CSV, JSONL and Parquet with a ``labels.json`` in the devset's format (plus
``header_style`` and ``accept`` keys that the devset's score.py ignores),
runs the real CLI (``python -m scanner scan``) on the folder and scores
column precision / recall / F1 overall, per entity and per header style,
listing every mistake.

A label is what the generator says a column holds, in piiwarden's
vocabulary (ENTITIES.md); ``accept`` lists the other answers a careful
reviewer would also take (a mimesis ``+86 432-48367628`` is an
international-format number with a mainland area code).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import random
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AS_OF = "2026-03-31"
PLACEHOLDERS = ("无", "N/A", "-", "", "暂无", "不详", None)
PLACEHOLDER_RATE = 0.08
MESS_RATE = 0.25
NATURAL = ("zh", "en", "pinyin")
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass
class Col:
    """One labelled column: header, header style, entity (None: not personal), value maker, messy variants."""

    header: str
    style: str  # "zh" | "en" | "pinyin" | "opaque"
    entity: str | None
    make: Callable[[], Any]
    mess: tuple[Callable[[str, random.Random], str], ...] = ()
    accept: tuple[str, ...] = ()
    placeholders: bool = True
    placeholder_rate: float = PLACEHOLDER_RATE  # an optional field (a second mobile) is mostly empty
    free_text: tuple[str, ...] = ()  # a prose column: the entities its texts hold (labels.json "free_text")


@dataclass
class Table:
    """One dataset file: its path under the output folder, format and columns (dotted headers nest in JSON)."""

    path: str
    fmt: str  # "csv" | "jsonl" | "parquet"
    source: str  # which generator (for the mistake list)
    cols: list[Col] = field(default_factory=list)


# --- messy variants (each keeps the value's meaning: what real exports do to it) ---

def fullwidth(v: str, _r: random.Random) -> str:
    """Digits typed with a Chinese input method."""
    return v.translate(_FULLWIDTH)


def spaced_id(v: str, _r: random.Random) -> str:
    """A resident ID printed 6-8-4."""
    return f"{v[:6]} {v[6:14]} {v[14:]}" if len(v) == 18 else v


def lower_x(v: str, _r: random.Random) -> str:
    return v.lower()


def mobile_shapes(v: str, r: random.Random) -> str:
    """A mainland mobile in one of the shapes people type: 3-4-4, +86, 0086, spaces."""
    d = "".join(ch for ch in v if ch.isdigit())[-11:]
    return r.choice([f"{d[:3]}-{d[3:7]}-{d[7:]}", f"+86 {d}", f"+86 {d[:3]} {d[3:7]} {d[7:]}", f"0086{d}",
                     f"{d[:3]} {d[3:7]} {d[7:]}", f"86-{d}"])


def grouped(v: str, r: random.Random) -> str:
    """A card number in groups of four, spaces or dashes."""
    d = "".join(ch for ch in v if ch.isdigit())
    sep = r.choice([" ", "-"])
    return sep.join(d[i:i + 4] for i in range(0, len(d), 4))


def dashed_ssn(v: str, r: random.Random) -> str:
    d = v.replace("-", "")
    return r.choice([d, f"{d[:3]} {d[3:5]} {d[5:]}"])


def plate_shapes(v: str, r: random.Random) -> str:
    """Faker prints ``京Z-32892``; exports also carry ``京Z32892`` and ``京Z·32892``."""
    core = v.replace("-", "")
    return r.choice([core, core[:2] + "·" + core[2:], core[:2] + " " + core[2:]])


def date_shapes(v: str, r: random.Random) -> str:
    y, m, d = v.split("-")
    return r.choice([f"{y}/{int(m)}/{int(d)}", f"{y}年{m}月{d}日", f"{y}{m}{d}"])


# --- generators ---

class Generators:
    """Seeded Faker and mimesis instances, and the random source for messiness."""

    def __init__(self, seed: int) -> None:
        from faker import Faker
        from mimesis import Address, Datetime, Development, Finance, Internet, Locale, Payment, Person

        self.r = random.Random(seed)
        self.zh, self.en = Faker("zh_CN"), Faker("en_US")
        self.zh.seed_instance(seed)
        self.en.seed_instance(seed + 1)
        self.m_person = {"zh": Person(Locale.ZH, seed=seed + 2), "en": Person(Locale.EN, seed=seed + 3)}
        self.m_address = {"zh": Address(Locale.ZH, seed=seed + 4), "en": Address(Locale.EN, seed=seed + 5)}
        self.m_finance = {"zh": Finance(Locale.ZH, seed=seed + 6), "en": Finance(Locale.EN, seed=seed + 7)}
        self.m_payment = Payment(seed=seed + 8)
        self.m_internet = Internet(seed=seed + 9)
        self.m_datetime = Datetime(Locale.EN, seed=seed + 10)
        self.m_dev = Development(seed=seed + 11)

    def digits(self, n: int, first: str = "123456789") -> str:
        return self.r.choice(first) + "".join(self.r.choice("0123456789") for _ in range(n - 1))

    def epoch_ms(self) -> str:
        return str(self.r.randrange(1_600_000_000_000, 1_780_000_000_000))

    def iso_time(self) -> str:
        t = _dt.datetime(2025, 1, 1) + _dt.timedelta(seconds=self.r.randrange(0, 40_000_000))
        return t.isoformat(sep=" ")


def _iso(d: Any) -> str:
    return d.isoformat() if hasattr(d, "isoformat") else str(d)


def build_tables(g: Generators) -> list[Table]:
    """The labelled tables (see the module docstring)."""
    zh, en, mp, ma, mf = g.zh, g.en, g.m_person, g.m_address, g.m_finance
    status = ["已发货", "待付款", "已取消", "已签收", "退款中"]
    en_status = ["shipped", "pending", "cancelled", "delivered", "refunded"]

    def zh_person(style: str, headers: list[str]) -> list[Col]:
        kinds = [
            ("PERSON_NAME", zh.name, ()),
            ("CN_RESIDENT_ID", zh.ssn, (spaced_id, lower_x, fullwidth)),
            ("CN_MOBILE_PHONE", zh.phone_number, (mobile_shapes, fullwidth)),
            ("BANK_CARD", zh.credit_card_number, (grouped,)),
            ("ADDRESS", zh.address, ()),
            ("EMAIL_ADDRESS", zh.email, ()),
            ("CN_LICENSE_PLATE", zh.license_plate, (plate_shapes,)),
            (None, zh.company, ()),
            (None, zh.job, ()),
            ("DATE_OF_BIRTH", lambda: _iso(zh.date_of_birth()), (date_shapes,)),
            ("CREDENTIAL", zh.password, ()),
            ("IP_ADDRESS", zh.ipv4, ()),
        ]
        return [Col(h, style, e, f, m) for h, (e, f, m) in zip(headers, kinds)]

    def en_person(style: str, headers: list[str]) -> list[Col]:
        kinds = [
            ("PERSON_NAME", en.name, ()),
            ("US_SSN", en.ssn, (dashed_ssn,)),
            ("PHONE_NUMBER", en.phone_number, ()),
            ("EMAIL_ADDRESS", en.email, ()),
            ("ADDRESS", en.address, ()),
            ("BANK_CARD", en.credit_card_number, (grouped,)),
            ("IP_ADDRESS", en.ipv4, ()),
            ("IP_ADDRESS", en.ipv6, ()),
            ("DATE_OF_BIRTH", lambda: _iso(en.date_of_birth()), ()),
            (None, en.company, ()),
            (None, en.job, ()),
            ("CREDENTIAL", en.password, ()),
        ]
        return [Col(h, style, e, f, m) for h, (e, f, m) in zip(headers, kinds)]

    tables = [
        Table("faker_zh/customers.csv", "csv", "faker zh_CN", zh_person(
            "zh", ["姓名", "身份证号", "手机号", "银行卡号", "家庭住址", "电子邮箱", "车牌号", "公司名称", "职位",
                   "出生日期", "登录密码", "登录IP"])),
        Table("faker_zh/export_c.parquet", "parquet", "faker zh_CN", zh_person(
            "opaque", ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10", "c11", "c12"])),
        Table("faker_zh/pinyin.csv", "csv", "faker zh_CN", zh_person(
            "pinyin", ["xm", "sfzh", "sjhm", "yhkh", "jtzz", "yx", "cph", "gsmc", "zw", "csrq", "mm", "ipdz"])),
        Table("faker_en/customers.jsonl", "jsonl", "faker en_US", en_person(
            "en", ["customer.name", "customer.ssn", "customer.contact.phone", "customer.contact.email",
                   "customer.address", "payment.card_number", "session.ip", "session.ipv6", "customer.dob",
                   "customer.employer", "customer.job_title", "account.password"])),
        Table("faker_en/export_f.csv", "csv", "faker en_US", en_person(
            "opaque", ["f_01", "f_02", "f_03", "f_04", "f_05", "f_06", "f_07", "f_08", "f_09", "f_10", "f_11",
                       "f_12"])),
        Table("faker_zh/orders.jsonl", "jsonl", "faker zh_CN", [
            Col("receiver.name", "en", "PERSON_NAME", zh.name),
            Col("receiver.idCard", "en", "CN_RESIDENT_ID", zh.ssn, (spaced_id, lower_x)),
            Col("receiver.phones", "en", "CN_MOBILE_PHONE",
                lambda: [zh.phone_number() for _ in range(g.r.choice([1, 1, 2]))], (mobile_shapes, fullwidth)),
            Col("receiver.addr", "en", "ADDRESS", zh.address),
            Col("receiver.backupMobile", "en", "CN_MOBILE_PHONE", zh.phone_number, (mobile_shapes,),
                placeholder_rate=0.6),
            Col("bankAccount", "en", "BANK_CARD", zh.credit_card_number, (grouped,)),
            Col("order.no", "en", None, lambda: g.digits(18)),
            Col("order.amount", "en", None, lambda: f"{mf['zh'].price(5, 5000):.2f}"),
            Col("order.status", "en", None, lambda: g.r.choice(status), placeholders=False),
            Col("order.createdAt", "en", None, g.iso_time, placeholders=False),
            Col("device.ip", "en", "IP_ADDRESS", zh.ipv4),
            Col("device.ua", "en", None, en.user_agent),
        ]),
        Table("faker_zh/tickets.jsonl", "jsonl", "faker zh_CN + en_US in prose", [
            Col("ticket", "en", None, lambda: g.digits(10)),
            Col("message", "en", None, lambda: _message_zh(g), free_text=(
                "CN_MOBILE_PHONE", "CN_RESIDENT_ID", "BANK_CARD", "EMAIL_ADDRESS", "CN_LICENSE_PLATE", "ADDRESS")),
            Col("message_en", "en", None, lambda: _message_en(g), free_text=(
                "PHONE_NUMBER", "US_SSN", "BANK_CARD", "EMAIL_ADDRESS", "IP_ADDRESS", "ADDRESS")),
        ]),
        Table("mimesis_zh/members.csv", "csv", "mimesis zh", [
            Col("会员姓名", "zh", "PERSON_NAME", mp["zh"].full_name),
            Col("联系电话", "zh", "PHONE_NUMBER", mp["zh"].phone_number, accept=("CN_LANDLINE_PHONE",)),
            Col("邮箱", "zh", "EMAIL_ADDRESS", mp["zh"].email),
            Col("通讯地址", "zh", "ADDRESS", lambda: ma["zh"].province() + ma["zh"].city() + ma["zh"].address()),
            Col("卡号", "zh", "BANK_CARD", g.m_payment.credit_card_number),
            Col("IP地址", "zh", "IP_ADDRESS", g.m_internet.ip_v4),
            Col("生日", "zh", "DATE_OF_BIRTH", lambda: _iso(mp["zh"].birthdate(min_year=1950, max_year=2010))),
            Col("职业", "zh", None, mp["zh"].occupation),
            Col("开户银行", "zh", None, mf["zh"].bank),
            Col("用户名", "zh", None, mp["zh"].username),
        ]),
        Table("mimesis_en/export_m.parquet", "parquet", "mimesis en", [
            Col("col_1", "opaque", "PERSON_NAME", mp["en"].full_name),
            Col("col_2", "opaque", "PHONE_NUMBER", mp["en"].phone_number),
            Col("col_3", "opaque", "EMAIL_ADDRESS", mp["en"].email),
            Col("col_4", "opaque", "ADDRESS",
                lambda: f"{ma['en'].address()}, {ma['en'].city()}, {ma['en'].state(abbr=True)} "
                        f"{ma['en'].postal_code()}"),
            Col("col_5", "opaque", "BANK_CARD", g.m_payment.credit_card_number),
            Col("col_6", "opaque", "IP_ADDRESS", g.m_internet.ip_v6),
            Col("col_7", "opaque", "DATE_OF_BIRTH", lambda: _iso(mp["en"].birthdate(min_year=1950, max_year=2010))),
            Col("col_8", "opaque", None, mp["en"].occupation),
            Col("col_9", "opaque", None, mf["en"].company),
            Col("col_10", "opaque", None, lambda: f"{mf['en'].price(10, 2000):.2f}"),
            Col("col_11", "opaque", None, g.m_dev.version),
        ]),
        Table("negatives/orders_zh.csv", "csv", "hard negatives (Faker, mimesis, random)", [
            Col("订单号", "zh", None, lambda: g.digits(18)),
            Col("商品状态", "zh", None, lambda: g.r.choice(status), placeholders=False),
            Col("价格", "zh", None, lambda: f"{mf['zh'].price(5, 5000):.2f}"),
            Col("下单时间", "zh", None, g.epoch_ms, placeholders=False),
            Col("供应商", "zh", None, zh.company),
            Col("区县", "zh", None, lambda: zh.district() + g.r.choice(["区", "县"])),
            Col("版本号", "zh", None, g.m_dev.version),
            Col("物流单号", "zh", None, lambda: "SF" + g.digits(12)),
            Col("更新时间", "zh", None, g.iso_time, placeholders=False),
        ]),
        Table("negatives/catalog_en.csv", "csv", "hard negatives (Faker, mimesis, random)", [
            Col("sku", "en", None, en.ean13),
            Col("product_id", "en", None, en.uuid4),
            Col("product_url", "en", None, en.url),
            Col("user_agent", "en", None, en.user_agent),
            Col("unit_price", "en", None, lambda: f"{mf['en'].price(1, 900):.2f}"),
            Col("firmware_version", "en", None, g.m_dev.version),
            Col("county", "en", None, lambda: en.city() + " County"),
            Col("status", "en", None, lambda: g.r.choice(en_status), placeholders=False),
            Col("created_at", "en", None, g.epoch_ms, placeholders=False),
            Col("supplier", "en", None, en.company),
            Col("rating", "en", None, lambda: str(g.r.randint(1, 5)), placeholders=False),
        ]),
        Table("negatives/export_n.jsonl", "jsonl", "hard negatives (Faker, mimesis, random)", [
            Col("c1", "opaque", None, lambda: g.digits(16)),
            Col("c2", "opaque", None, lambda: g.r.choice(en_status), placeholders=False),
            Col("c3", "opaque", None, lambda: f"{mf['en'].price(5, 5000):.2f}"),
            Col("c4", "opaque", None, g.epoch_ms, placeholders=False),
            Col("c5", "opaque", None, en.company),
            Col("c6", "opaque", None, lambda: en.city() + " County"),
            Col("c7", "opaque", None, g.m_dev.version),
            Col("c8", "opaque", None, lambda: g.digits(18)),
            Col("c9", "opaque", None, zh.city),
            Col("meta.build", "opaque", None, lambda: f"{g.digits(2)}.{g.r.randrange(10)}.{g.r.randrange(100)}"),
        ]),
    ]
    return tables


def _message_zh(g: Generators) -> str:
    """A customer-service message (the wording is ours, every value is Faker zh_CN's)."""
    zh = g.zh
    return g.r.choice([
        lambda: f"我的手机号是{zh.phone_number()}，请回电",
        lambda: f"身份证{zh.ssn()}已上传",
        lambda: f"退款请打到卡号{zh.credit_card_number()}",
        lambda: f"发到{zh.email()}",
        lambda: f"车牌{zh.license_plate()}的车主请挪车",
        lambda: f"寄到{zh.address()}",
        lambda: "好的，谢谢",
        lambda: "请尽快处理",
    ])()


def _message_en(g: Generators) -> str:
    """A support message in English (the wording is ours, every value is Faker en_US's)."""
    en = g.en
    return g.r.choice([
        lambda: f"Call me at {en.phone_number()}",
        lambda: f"My SSN is {en.ssn()}",
        lambda: f"Card {en.credit_card_number()} was declined",
        lambda: f"Please email {en.email()}",
        lambda: f"Login from {en.ipv4()} failed",
        lambda: f"Ship to {en.address().replace(chr(10), ', ')}",
        lambda: "Thanks!",
    ])()


def _cell(col: Col, g: Generators) -> Any:
    """One value: a placeholder at the column's rate, else the generator's value, messed up at MESS_RATE.

    A list (a JSON array) is messed up element by element.
    """
    if col.placeholders and g.r.random() < col.placeholder_rate:
        return g.r.choice(PLACEHOLDERS)
    value = col.make()
    if isinstance(value, list):
        return [_messy(col, str(v), g) for v in value]
    return _messy(col, str(value), g)


def _messy(col: Col, value: str, g: Generators) -> str:
    if col.mess and g.r.random() < MESS_RATE:
        return g.r.choice(col.mess)(value, g.r)
    return value


def _nest(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        *parents, leaf = key.split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return out


def write_table(table: Table, rows: list[dict[str, Any]], root: Path) -> None:
    """Write one table in its format (all values as strings; None stays null, empty in CSV)."""
    path = root / table.path
    path.parent.mkdir(parents=True, exist_ok=True)
    headers = [c.header for c in table.cols]
    if table.fmt == "csv":
        import csv

        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(headers)
            for row in rows:
                writer.writerow(["" if row[h] is None else row[h] for h in headers])
    elif table.fmt == "jsonl":
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(_nest(row), ensure_ascii=False) + "\n")
    elif table.fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({h: pa.array([r[h] for r in rows], type=pa.string()) for h in headers}), path)
    else:
        raise ValueError(f"unknown format {table.fmt}")


def build(root: Path, rows: int, seed: int = 16) -> dict:
    """Write every table and labels.json under root; return the labels."""
    g = Generators(seed)
    labels: dict[str, Any] = {"as_of": AS_OF, "seed": seed, "rows": rows, "columns": [], "free_text": []}
    for table in build_tables(g):
        data = [{c.header: _cell(c, g) for c in table.cols} for _ in range(rows)]
        write_table(table, data, root / "data")
        for c in table.cols:
            if c.free_text:
                labels["free_text"].append({"dataset": table.path, "column": c.header, "entities": list(c.free_text),
                                            "source": table.source})
                continue
            labels["columns"].append({"dataset": table.path, "column": c.header, "entity": c.entity,
                                      "header_style": c.style, "accept": list(c.accept), "source": table.source})
    (root / "labels.json").write_text(json.dumps(labels, ensure_ascii=False, indent=1), encoding="utf-8")
    # the devset's score.py also reads expected violations; this set measures classification only
    (root / "expected_violations.json").write_text("[]", encoding="utf-8")
    return labels


def scan(root: Path, extra: tuple[str, ...] = ()) -> dict:
    """Run the real CLI on root/data; return findings.json."""
    out = root / "out"
    env = dict(os.environ)
    here = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = here + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    cmd = [sys.executable, "-m", "scanner", "scan", str(root / "data"), "-o", str(out), "--as-of", AS_OF,
           "--no-history", *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=here, timeout=900)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"scan exited {proc.returncode}: {proc.stderr[-2000:]}")
    return json.loads((out / "findings.json").read_text(encoding="utf-8"))


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def f1(self) -> float:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return 2 * p * r / (p + r) if p + r else 0.0

    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def _predictions(findings: dict) -> tuple[dict[tuple[str, str], str | None], dict[tuple[str, str], str],
                                         dict[tuple[str, str], set[str]]]:
    """Each column's primary entity, its candidates with hit ratios (for the mistake list), and their set."""
    primary: dict[tuple[str, str], str | None] = {}
    evidence: dict[tuple[str, str], str] = {}
    listed: dict[tuple[str, str], set[str]] = {}
    for ds in findings.get("datasets", []):
        for col in ds.get("columns", []):
            key = (ds["id"].replace("\\", "/"), col["name"])
            primary[key] = col.get("primary_entity")
            evidence[key] = " ".join(f"{e['entity']}:{e.get('hit_ratio', 0):.2f}" for e in col.get("entities", []))
            listed[key] = {e["entity"] for e in col.get("entities", [])}
    return primary, evidence, listed


def score(labels: dict, findings: dict) -> dict:
    """Column precision/recall/F1 as the devset's score.py counts them, overall, per entity, per header style."""
    pred, evidence, listed = _predictions(findings)
    overall, by_style, by_entity, by_source = Counts(), defaultdict(Counts), defaultdict(Counts), defaultdict(Counts)
    mistakes = []
    for lab in labels["columns"]:
        key = (lab["dataset"], lab["column"])
        got = pred.get(key, "<missing>")
        want = lab["entity"]
        ok_answers = {want, *lab.get("accept", ())} if want else {None}
        buckets = [overall, by_source[lab["source"]]]
        if lab["header_style"] == "opaque":
            buckets.append(by_style["opaque"])
        else:  # natural headers, and which kind
            buckets += [by_style["natural"], by_style[f"natural/{lab['header_style']}"]]
        if got in ok_answers:
            if want is not None:
                for b in (*buckets, by_entity[want]):
                    b.tp += 1
            continue
        mistakes.append({"dataset": lab["dataset"], "column": lab["column"], "want": want, "got": got,
                         "header_style": lab["header_style"], "source": lab["source"],
                         "evidence": evidence.get(key, "")})
        if want is not None:
            for b in (*buckets, by_entity[want]):
                b.fn += 1
        if got not in (None, "<missing>"):
            for b in (*buckets, by_entity[got]):
                b.fp += 1

    def row(c: Counts) -> dict:
        return {"f1": round(c.f1(), 4), "precision": round(c.precision(), 4), "recall": round(c.recall(), 4),
                "tp": c.tp, "fp": c.fp, "fn": c.fn}

    errors = [e.get("error", "") for e in findings.get("errors", [])]
    free_text = []
    for lab in labels.get("free_text", []):
        got = listed.get((lab["dataset"], lab["column"]), set())
        free_text.append({"dataset": lab["dataset"], "column": lab["column"],
                          "missing": sorted(set(lab["entities"]) - got), "extra": sorted(got - set(lab["entities"]))})
    return {"overall": row(overall), "errors": errors, "by_style": {k: row(v) for k, v in sorted(by_style.items())},
            "by_entity": {k: row(v) for k, v in sorted(by_entity.items())},
            "by_source": {k: row(v) for k, v in sorted(by_source.items())},
            "columns": len(labels["columns"]), "mistakes": mistakes, "free_text": free_text,
            "free_text_ok": sum(not f["missing"] for f in free_text),
            "free_text_found": sum(len(lab["entities"]) for lab in labels.get("free_text", []))
            - sum(len(f["missing"]) for f in free_text),
            "free_text_entities": sum(len(lab["entities"]) for lab in labels.get("free_text", []))}


def render(result: dict) -> str:
    """The tables and the mistake list as text."""
    def line(name: str, r: dict) -> str:
        return (f"{name:<42} {r['f1']:>6.3f} {r['precision']:>6.3f} {r['recall']:>6.3f} "
                f"{r['tp']:>4} {r['fp']:>4} {r['fn']:>4}")

    head = f"{'':<42} {'F1':>6} {'prec':>6} {'recall':>6} {'tp':>4} {'fp':>4} {'fn':>4}"
    lines = [f"third-party column classification, {result['columns']} labelled columns", head,
             line("OVERALL", result["overall"]), ""]
    lines += ["header style", *(line(k, v) for k, v in result["by_style"].items()), ""]
    lines += ["entity", *(line(k, v) for k, v in result["by_entity"].items()), ""]
    lines += ["source", *(line(k, v) for k, v in result["by_source"].items()), ""]
    lines.append(f"free-text columns holding every labelled entity: {result['free_text_ok']}/"
                 f"{len(result['free_text'])}; labelled entities found: {result['free_text_found']}/"
                 f"{result['free_text_entities']}")
    for f in result["free_text"]:
        lines.append(f"  {f['dataset']}:{f['column']} missing {f['missing']} extra {f['extra']}")
    for error in result["errors"]:
        lines.append(f"scan error: {error}")
    lines.append(f"mistakes ({len(result['mistakes'])}):")
    for m in result["mistakes"]:
        seen = f"  (candidates {m['evidence']})" if m["evidence"] else ""
        lines.append(f"  {m['dataset']}:{m['column']} [{m['header_style']}] want {m['want']} got {m['got']}{seen}")
    return "\n".join(lines)


def evaluate(rows: int, seed: int = 16, out: Path | None = None, extra: tuple[str, ...] = ()) -> dict:
    """Build, scan and score; in a temporary folder unless ``out`` is given."""
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        labels = build(out, rows, seed)
        return score(labels, scan(out, extra))
    with tempfile.TemporaryDirectory(prefix="piiwarden-3p-") as tmp:
        labels = build(Path(tmp), rows, seed)
        return score(labels, scan(Path(tmp), extra))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000, help="rows per table (default 2000)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--out", type=Path, help="build and scan here and keep the files (default: a temp folder)")
    parser.add_argument("--json", type=Path, help="also write the figures and mistakes to this file")
    args = parser.parse_args(argv)
    result = evaluate(args.rows, args.seed, args.out)
    print(render(result))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
