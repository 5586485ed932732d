"""PIPL Art. 28 sensitive columns: ``sensitive: true`` in findings.json, the report's tag, the inventory's column.

The flag follows ENTITIES.md's ``sensitive`` column (resident ID, bank card,
passport, ... and the second round's HK/MO/TW cards, coordinates, religion,
health, financial status), for a column's primary entity and for every
entity a free-text column lists.
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd

from detectors.finding import ColumnFinding
from detectors.validators import luhn_check_digit, resident_id_check_char
from reports.html import render_html
from scanner import api
from scanner.lifecycle.inventory import build_inventory

RNG = random.Random(28)
N = 200


def _resident_id() -> str:
    body = f"110105{RNG.randint(1950, 2000)}{RNG.randint(1, 12):02d}{RNG.randint(1, 28):02d}{RNG.randint(0, 999):03d}"
    return body + resident_id_check_char(body)


def _card() -> str:
    body = "622848" + "".join(RNG.choice("0123456789") for _ in range(12))
    return body + luhn_check_digit(body)


def _mobile() -> str:
    return RNG.choice(["138", "139", "186", "150", "177"]) + "".join(RNG.choice("0123456789") for _ in range(8))


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "身份证号": [_resident_id() for _ in range(N)],
        "手机号": [_mobile() for _ in range(N)],
        "宗教信仰": [RNG.choice(["佛教", "无宗教信仰", "基督教", "伊斯兰教"]) for _ in range(N)],
        "民族": [RNG.choice(["汉族", "回族", "满族", "壮族"]) for _ in range(N)],
        "备注": [f"客户{RNG.choice(['张伟', '李娜', '王芳'])}的卡号{_card()}已登记" for _ in range(N)],
        "sku": [f"SKU-{RNG.randint(1000, 9999)}" for _ in range(N)],
    })


EXPECTED = {"身份证号": True, "手机号": False, "宗教信仰": True, "民族": False, "备注": True, "sku": False}


def _scan(tmp_path: Path) -> dict:
    source = tmp_path / "data"
    source.mkdir()
    _frame().to_csv(source / "people.csv", index=False)
    return api.scan([str(source)]).to_json()


def test_findings_mark_pipl_sensitive_columns_and_stay_valid(tmp_path: Path, validate_findings) -> None:
    doc = _scan(tmp_path)
    validate_findings(doc)
    columns = {c["name"]: c for c in doc["datasets"][0]["columns"]}
    assert {name: columns[name].get("sensitive", False) for name in EXPECTED} == EXPECTED
    assert all("sensitive" not in c for c in columns.values() if not EXPECTED[c["name"]])  # only ever written true
    assert columns["备注"]["free_text"] and "BANK_CARD" in {e["entity"] for e in columns["备注"]["entities"]}


def test_report_tags_sensitive_columns_in_both_languages(tmp_path: Path) -> None:
    doc = _scan(tmp_path)
    flagged = sum(EXPECTED.values())
    zh, en = render_html(doc, "zh"), render_html(doc, "en")
    assert zh.count('data-pipl-sensitive="1"') == flagged == en.count('data-pipl-sensitive="1"')
    assert ">敏感个人信息</span>" in zh and "第二十八条" in zh
    assert ">sensitive PI</span>" in en and "PIPL Art. 28" in en


def test_inventory_agrees_with_the_flag(tmp_path: Path) -> None:
    doc = _scan(tmp_path)
    rows = {row.column: row.sensitive for row in build_inventory([doc]).rows}
    assert rows == {name: flag for name, flag in EXPECTED.items() if name != "sku"}


def test_model_field_round_trips_and_old_findings_get_it_from_their_entities() -> None:
    column = ColumnFinding(name="notes", primary_entity="PERSON_NAME", level=4, pipl_sensitive=True)
    assert column.to_json()["sensitive"] is True and ColumnFinding.from_json(column.to_json()) == column
    assert "sensitive" not in ColumnFinding(name="m", primary_entity="CN_MOBILE_PHONE").to_json()
    old = {"name": "notes", "primary_entity": "PERSON_NAME", "level": 4,
           "entities": [{"entity": "PERSON_NAME", "matches": 3}, {"entity": "BANK_CARD", "matches": 2}]}
    assert ColumnFinding.from_json(old).pipl_sensitive is True  # written before the flag: read from its entities
    assert ColumnFinding.from_json({**old, "entities": old["entities"][:1]}).pipl_sensitive is False
    assert ColumnFinding.from_json({**old, "sensitive": False}).pipl_sensitive is False
    assert column.sensitive and not ColumnFinding(name="x").sensitive  # the older property keeps its meaning
