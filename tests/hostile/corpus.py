"""A seeded corpus of realistic personal data in every format piiwarden reads.

The hostile suite needs data that the scanner *must* find (valid checksums,
real prefixes) so that "nothing raw anywhere" is a real promise and not the
accident of a detector that found nothing. Every value is generated from a
seed: the same seed gives the same files, so a failure reproduces. ``planted``
returns every raw sensitive value written, for ``harness.assert_no_raw``.

Builders are small and fast (a few dozen rows per file); ``write_large_csv``
makes the one big file that the crash tests need to interrupt a run midway.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from detectors.validators import luhn_check_digit, resident_id_check_char

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红"
REGIONS = ("110101", "310104", "440305", "330106", "510107", "320102", "420106", "610113")
MOBILE_PREFIXES = ("138", "139", "150", "186", "177", "135", "159", "188")
CARD_BINS = ("622202", "621700", "622848", "622588", "621226")
CITIES = ("北京", "上海", "深圳", "杭州", "成都", "南京", "武汉", "西安")
EMAIL_DOMAINS = ("qq.com", "163.com", "example.com.cn", "126.com")
HEADER = ("姓名", "身份证号", "手机号", "银行卡号", "邮箱", "城市", "注册日期")
# Formats ``build_corpus`` can write; each maps to one file (or database) in the corpus.
FORMATS = ("csv", "csv_gbk", "tsv", "json", "jsonl", "parquet", "xlsx", "txt", "log", "sqlite", "duckdb")


@dataclass(frozen=True)
class Person:
    """One data subject: the values a real customer table would hold."""

    name: str
    resident_id: str
    mobile: str
    card: str
    email: str
    city: str
    registered: str

    def row(self) -> tuple[str, ...]:
        return (self.name, self.resident_id, self.mobile, self.card, self.email, self.city, self.registered)

    def raw(self) -> list[str]:
        """The sensitive values (the city and date are not identifying on their own)."""
        return [self.name, self.resident_id, self.mobile, self.card, self.email]


def resident_id(rng: random.Random) -> str:
    """A resident ID that validates: real region code, an adult's birth date, GB 11643 check character."""
    born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 40 * 365))
    first17 = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + resident_id_check_char(first17)


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def bank_card(rng: random.Random) -> str:
    """A 16- or 19-digit card number on a real UnionPay BIN that passes Luhn."""
    length = rng.choice((16, 19))
    partial = rng.choice(CARD_BINS) + "".join(str(rng.randrange(10)) for _ in range(length - 7))
    return partial + luhn_check_digit(partial)


def chinese_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def email(rng: random.Random) -> str:
    user = "".join(rng.choice("abcdefghijkmnpqrstuvwxyz") for _ in range(rng.randrange(6, 10)))
    return f"{user}{rng.randrange(10, 99)}@{rng.choice(EMAIL_DOMAINS)}"


def people(n: int, seed: int = 20260331) -> list[Person]:
    """``n`` distinct people, the same for the same seed."""
    rng = random.Random(seed)
    out: list[Person] = []
    seen: set[str] = set()
    while len(out) < n:
        p = Person(chinese_name(rng), resident_id(rng), mobile(rng), bank_card(rng), email(rng),
                   rng.choice(CITIES), f"{dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(2000)):%Y-%m-%d}")
        if p.resident_id not in seen:
            seen.add(p.resident_id)
            out.append(p)
    return out


@dataclass
class Corpus:
    """A directory of data files and the people planted in them."""

    root: Path
    people: list[Person]
    files: dict[str, Path] = field(default_factory=dict)  # format -> file

    def planted(self) -> list[str]:
        """Every raw sensitive value written anywhere in the corpus."""
        return planted(self.people)


def planted(persons: Iterable[Person]) -> list[str]:
    """Raw values of ``persons``, for ``assert_no_raw`` (which ignores the short ones)."""
    return [v for p in persons for v in p.raw()]


def _records(persons: list[Person]) -> list[dict[str, str]]:
    return [dict(zip(HEADER, p.row())) for p in persons]


def _nested(p: Person) -> dict:
    """A JSON document with nesting and an array, as an app's export has them."""
    return {"user": {"name": p.name, "id_card": p.resident_id, "contact": {"mobile": p.mobile, "email": p.email}},
            "payment": {"cards": [p.card]}, "city": p.city, "registered": p.registered}


def write_csv(path: Path, persons: list[Person], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(HEADER)
        w.writerows(p.row() for p in persons)
    return path


def write_json(path: Path, persons: list[Person]) -> Path:
    path.write_text(json.dumps([_nested(p) for p in persons], ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def write_jsonl(path: Path, persons: list[Person]) -> Path:
    path.write_text("".join(json.dumps(_nested(p), ensure_ascii=False) + "\n" for p in persons), encoding="utf-8")
    return path


def write_parquet(path: Path, persons: list[Person]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = list(zip(*(p.row() for p in persons)))
    pq.write_table(pa.table({h: pa.array(list(c), pa.string()) for h, c in zip(HEADER, cols)}), path)
    return path


def write_xlsx(path: Path, persons: list[Person]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    ws.append(list(HEADER))
    for p in persons:
        ws.append(list(p.row()))
    wb.save(path)
    return path


def write_text(path: Path, persons: list[Person]) -> Path:
    """Free text: a service log where identifiers sit inside sentences."""
    lines = [f"{p.registered} 客户{p.name}来电，手机{p.mobile}，身份证{p.resident_id}，"
             f"退款至银行卡{p.card}，回执发送到{p.email}。" for p in persons]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_sqlite(path: Path, persons: list[Person], table: str = "customers") -> Path:
    conn = sqlite3.connect(path)
    try:
        cols = ", ".join(f'"{h}" TEXT' for h in HEADER)
        conn.execute(f'CREATE TABLE "{table}" ({cols})')
        conn.executemany(f'INSERT INTO "{table}" VALUES ({", ".join("?" * len(HEADER))})',
                         [p.row() for p in persons])
        conn.commit()
    finally:
        conn.close()
    return path


def write_duckdb(path: Path, persons: list[Person], table: str = "customers") -> Path:
    import duckdb

    conn = duckdb.connect(str(path))
    try:
        cols = ", ".join(f'"{h}" VARCHAR' for h in HEADER)
        conn.execute(f'CREATE TABLE "{table}" ({cols})')
        conn.executemany(f'INSERT INTO "{table}" VALUES ({", ".join("?" * len(HEADER))})',
                         [list(p.row()) for p in persons])
    finally:
        conn.close()
    return path


_WRITERS = {
    "csv": ("crm/customers.csv", write_csv),
    "csv_gbk": ("crm/customers_gbk.csv", lambda p, s: write_csv(p, s, encoding="gbk")),
    "tsv": ("crm/customers.tsv", lambda p, s: write_csv(p, s, delimiter="\t")),
    "json": ("app/users.json", write_json),
    "jsonl": ("app/events.jsonl", write_jsonl),
    "parquet": ("lake/customers.parquet", write_parquet),
    "xlsx": ("office/名单.xlsx", write_xlsx),
    "txt": ("notes/callcenter.txt", write_text),
    "log": ("logs/service.log", write_text),
    "sqlite": ("db/crm.db", write_sqlite),
    "duckdb": ("db/warehouse.duckdb", write_duckdb),
}


def build_corpus(root: Path, *, rows: int = 24, seed: int = 20260331,
                 formats: Iterable[str] = FORMATS) -> Corpus:
    """Write one file per format under ``root`` (each with its own slice of people).

    Each format gets different people, so a value leaking from the Parquet
    writer cannot hide behind the CSV's.
    """
    formats = list(formats)
    persons = people(rows * len(formats), seed)
    corpus = Corpus(Path(root), persons)
    for i, fmt in enumerate(formats):
        rel, writer = _WRITERS[fmt]
        path = Path(root, rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        writer(path, persons[i * rows:(i + 1) * rows])
        corpus.files[fmt] = path
    return corpus


def write_large_csv(path: Path, rows: int, seed: int = 7) -> list[Person]:
    """A CSV big enough that anonymizing it takes seconds (for the kill -9 tests).

    Generating ``rows`` distinct people is slow in Python, so a pool of people
    is repeated; the returned pool is what was planted.
    """
    pool = people(min(rows, 2000), seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(rows):
            w.writerow(pool[i % len(pool)].row())
    return pool


POLICY_YAML = """\
version: 1
defaults:
  retention: {max_age_days: 1825}
  plaintext_forbidden_level: 4
  minor_age: 14
datasets:
  - match: "crm/*"
    purpose: customer service
    allowed_entities: [PERSON_NAME, CN_MOBILE_PHONE, EMAIL_ADDRESS]
    retention: {column: 注册日期, max_age_days: 365}
"""


def write_policy(path: Path) -> Path:
    """A policy that makes the corpus produce violations (so reports have content)."""
    path.write_text(POLICY_YAML, encoding="utf-8")
    return path


def write_key(path: Path) -> Path:
    """A key file for encrypt/hash rules (64 hex chars, fixed: tests must reproduce)."""
    path.write_text("5f" * 32 + "\n", encoding="utf-8")
    return path


def readable_bytes(path: Path) -> bytes:
    """A file's content as bytes a grep can search: containers (xlsx, Parquet, SQLite, DuckDB) unpacked.

    A raw value inside a compressed Parquet page or a zipped worksheet would
    escape a plain byte grep; this renders such files as UTF-8 text first.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        import zipfile

        with zipfile.ZipFile(path) as zf:
            return b"\n".join(zf.read(n) for n in zf.namelist())
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return json.dumps(pq.read_table(path).to_pylist(), ensure_ascii=False, default=str).encode("utf-8")
    if suffix in (".db", ".sqlite", ".sqlite3"):
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return "\n".join(conn.iterdump()).encode("utf-8")
        finally:
            conn.close()
    if suffix == ".duckdb":
        import duckdb

        conn = duckdb.connect(str(path), read_only=True)
        try:
            tables = [r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()]
            rows = [conn.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables]
            return json.dumps(rows, ensure_ascii=False, default=str).encode("utf-8")
        finally:
            conn.close()
    return path.read_bytes()


def file_hashes(root: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``root`` (to prove sources were not modified)."""
    import hashlib

    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(root).rglob("*")) if p.is_file()}
