"""A mixed estate for data-subject request tests: CSV, Parquet, XLSX, a SQLite file and a PostgreSQL table.

One person (``PERSON``) is planted in every dataset in the shapes people
write identifiers in (``+86 138-1234-5678``, a spreadsheet's number, an
e-mail in another case); everyone else is random, including near misses
that differ by one digit. ``Estate.expected`` says which rows (by position)
hold the person, computed when planting, so the tests compare against the
truth and not against the code under test.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from detectors.validators import resident_id_check_char
from tests.dbservers import throwaway_database

KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

_ID_BODY = "11010519850307123"
PERSON_ID = _ID_BODY + resident_id_check_char(_ID_BODY)
PERSON_MOBILE = "13812345678"
PERSON_EMAIL = "zhang.san@example.com"
# What the clerk types, and every planted raw shape: none of these may appear in any output but the export's data.
PLANTED = ("13812345678", "138-1234-5678", "138 1234 5678", "1234-5678", "1234 5678", PERSON_ID,
           "zhang.san@example.com", "Zhang.San@Example.com", "zhang.san")
NAMES = "王李张刘陈杨黄赵吴周"


def resident_id(rng: random.Random) -> str:
    body = rng.choice(["110105", "440304", "310115"]) + f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}" \
        f"{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + resident_id_check_char(body)


def mobile(rng: random.Random) -> str:
    while True:
        value = rng.choice(["139", "186", "159", "177"]) + f"{rng.randint(0, 10**8 - 1):08d}"
        if value != PERSON_MOBILE:
            return value


def name(rng: random.Random) -> str:
    return rng.choice(NAMES) + rng.choice("伟芳娜敏静丽强磊军洋")


@dataclass
class Estate:
    """The files of the estate (a directory SOURCE), the optional PostgreSQL URL, and the truth."""

    root: Path
    pg_url: str | None = None
    expected: dict[str, set[int]] = field(default_factory=dict)  # dataset id -> row positions of the person
    columns: dict[str, dict[str, int]] = field(default_factory=dict)  # dataset id -> column -> person's rows

    @property
    def sources(self) -> list[str]:
        return [str(self.root)] + ([self.pg_url] if self.pg_url else [])


def _plant(estate: Estate, dataset: str, rows: dict[int, dict[str, bool]]) -> None:
    estate.expected[dataset] = set(rows)
    per_column: dict[str, int] = {}
    for hits in rows.values():
        for column, hit in hits.items():
            if hit:
                per_column[column] = per_column.get(column, 0) + 1
    estate.columns[dataset] = per_column


def build_files(root: Path, seed: int = 19) -> Estate:
    """customers.csv, orders.parquet, staff.xlsx and crm.db under ``root``."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    estate = Estate(root)

    # CSV: mobiles as people type them; the person twice, a near miss once.
    person_rows = {7: "+86 138-1234-5678", 41: "138 1234 5678"}
    lines = ["姓名,手机号,城市"]
    for i in range(80):
        phone = person_rows.get(i) or ("13812345679" if i == 20 else mobile(rng))
        lines.append(f"{name(rng)},{phone},\"{rng.choice(['北京', '上海', '深圳'])}\"")  # quoted: a rewrite would drop them
    (root / "customers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _plant(estate, "customers.csv", {i: {"手机号": True} for i in person_rows})

    # Parquet: resident IDs and mobiles; the person by ID in two rows, by mobile in another.
    ids, phones = [], []
    for i in range(70):
        ids.append(PERSON_ID if i in (3, 55) else resident_id(rng))
        phones.append("8613812345678" if i == 30 else mobile(rng))
    pq.write_table(pa.table({"order_id": list(range(1000, 1070)), "身份证号": ids, "手机号": phones,
                             "amount": [round(rng.random() * 500, 2) for _ in range(70)]}),
                   root / "orders.parquet")
    _plant(estate, "orders.parquet", {3: {"身份证号": True}, 55: {"身份证号": True}, 30: {"手机号": True}})

    # XLSX: a mobile column of numbers (the spreadsheet's float), e-mails in any case.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(["姓名", "手机号", "邮箱"])
    for i in range(60):
        phone = int(PERSON_MOBILE) if i == 12 else int(mobile(rng))
        email = "Zhang.San@Example.com" if i == 33 else f"user{i}@example.com"
        sheet.append([name(rng), phone, email])
    book.save(root / "staff.xlsx")
    _plant(estate, "staff.xlsx#Sheet1", {12: {"手机号": True}, 33: {"邮箱": True}})

    # SQLite: a member table with its own key; the person in two rows (one by both identifiers).
    with sqlite3.connect(root / "crm.db") as db:
        db.execute("CREATE TABLE members (member_id INTEGER PRIMARY KEY, email TEXT, mobile TEXT, level TEXT)")
        for i in range(60):
            email = PERSON_EMAIL if i in (9, 50) else f"m{i}@example.org"
            phone = "138-1234-5678" if i == 50 else mobile(rng)
            db.execute("INSERT INTO members VALUES (?, ?, ?, ?)", (i + 1, email, phone, rng.choice("ABC")))
    db.close()
    _plant(estate, "crm.db#members", {9: {"email": True}, 50: {"email": True, "mobile": True}})
    return estate


@pytest.fixture
def pg_accounts() -> Iterator[tuple[str, dict[int, dict[str, bool]]]]:
    """A PostgreSQL database ``subject_<hex>`` with crm.accounts (the person in two rows), dropped after."""
    rng = random.Random(45)
    person = {4: {"id_no": True, "phone": False}, 47: {"id_no": False, "phone": True}}
    with throwaway_database("PostgreSQL", "subject") as url:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE SCHEMA crm")
            conn.exec_driver_sql("CREATE TABLE crm.accounts (k int primary key, id_no text, phone text, tier text)")
            for col, comment in [("id_no", "身份证号"), ("phone", "手机号")]:
                conn.exec_driver_sql(f"COMMENT ON COLUMN crm.accounts.{col} IS '{comment}'")
            rows = []
            for i in range(60):
                rows.append({"k": i + 1, "id_no": PERSON_ID if i == 4 else resident_id(rng),
                             "phone": "+86 13812345678" if i == 47 else mobile(rng), "tier": rng.choice("xyz")})
            conn.execute(sa.text("INSERT INTO crm.accounts VALUES (:k, :id_no, :phone, :tier)"), rows)
        engine.dispose()
        yield url, person


def with_pg(estate: Estate, pg: tuple[str, dict[int, dict[str, bool]]]) -> Estate:
    url, person = pg
    estate.pg_url = url
    _plant(estate, "crm.accounts", person)
    return estate


def person_identifiers() -> list[tuple[str, str]]:
    """The request as a clerk types it."""
    return [("id", PERSON_ID), ("mobile", "+86 138-1234-5678"), ("email", "Zhang.San@example.com")]
