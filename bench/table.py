"""A realistic mixed Chinese/English benchmark table with known labels.

12 columns: eight sensitive (ID, mobile, Chinese name, address, e-mail, bank
card, IP, English name), three clean hard negatives (order number, amount,
date) and one free-text comment column that sometimes holds a phone, e-mail or
ID. Values come from bench.labelled's generators; uniqueness per row makes the
table hard to compress away, like real data.
"""

from __future__ import annotations

import random

import pyarrow as pa

from bench import labelled as g

COLUMNS: list[tuple[str, object, str | None]] = [
    ("证件号码", g.resident_id, "CN_RESIDENT_ID"),
    ("mobile", g.mobile, "CN_MOBILE_PHONE"),
    ("客户姓名", g.cn_name, "PERSON_NAME"),
    ("收货地址", g.cn_address, "ADDRESS"),
    ("email", g.email, "EMAIL_ADDRESS"),
    ("card_no", g.bank_card, "BANK_CARD"),
    ("client_ip", g.ipv4, "IP_ADDRESS"),
    ("contact_name", g.en_name, "PERSON_NAME"),
    ("order_no", g.order_no, None),
    ("amount", g.amount, None),
    ("created_at", g.event_date, None),
    ("comment", g.chat, None),  # free text: listed entities are checked separately
]
FREE_TEXT = {"comment"}
# Columns whose cells are one token each: what "anonymize structured columns" measures.
STRUCTURED = ["证件号码", "mobile", "email", "card_no", "client_ip"]


def generate(rows: int = 200_000, seed: int = 1) -> pa.Table:
    """The benchmark table as Arrow strings."""
    rng = random.Random(seed)
    data = {name: [gen(rng) for _ in range(rows)] for name, gen, _ in COLUMNS}  # type: ignore[operator]
    return pa.table({k: pa.array(v, type=pa.string()) for k, v in data.items()})


def labels() -> dict[str, str | None]:
    """Expected primary entity per structured column."""
    return {name: entity for name, _gen, entity in COLUMNS if name not in FREE_TEXT}
