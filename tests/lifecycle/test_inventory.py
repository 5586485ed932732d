"""The PI inventory and PIA summary: rows, policy and grants, stacked scans, .xlsx and .csv, nothing raw."""

from __future__ import annotations

import copy
import csv
import json
import zipfile

import pytest
from openpyxl import load_workbook

from scanner.lifecycle.inventory import (
    ROW_HEADERS,
    InventoryError,
    build_inventory,
    load_inventory,
    sheet_titles,
    write_inventory,
)
from scanner.policy.model import Policy

POLICY = Policy.model_validate({
    "version": 1,
    "defaults": {"retention": {"max_age_days": 1825}},
    "datasets": [
        {"match": "crm/*.csv", "purpose": "marketing", "retention": {"column": "注册日期", "max_age_days": 730},
         "allowed_readers": ["crm_app"]},
        {"match": "shop.members", "purpose": "membership", "retention": {"column": "created_at"},
         "allowed_readers": ["crm_app", "auditor"]},
    ],
})
# Values that must never reach the inventory: masked samples and a raw value planted where no field is copied.
PLANTED = ["138******78", "4403**********123X", "13812345678", "44030419900307123X", "zhang.san@example.com"]


def _col(name: str, entity: str | None, level: int, category: str | None, **extra: object) -> dict:
    col: dict = {"name": name, "primary_entity": entity, "level": level, "category": category, "confidence": 0.99,
                 "entities": [] if entity is None else [{"entity": entity, "hit_ratio": 0.98, "matches": 98}],
                 "samples_masked": [], **extra}
    return col


def _findings(finished_at: str = "2026-12-01T10:00:00+00:00", scan_id: str = "s1") -> dict:
    customers = {
        "id": "crm/customers.csv", "source": "/data", "format": "csv", "rows": 300, "rows_scanned": 300,
        "subjects_estimate": 297, "errors": [],
        "columns": [
            _col("客户编号", None, 0, None),
            _col("身份证号", "CN_RESIDENT_ID", 4, "identity", samples_masked=["4403**********123X"]),
            _col("手机号", "CN_MOBILE_PHONE", 3, "contact", samples_masked=["138******78"],
                 evidence={"values": 300, "raw_planted_for_test": "13812345678"}),
            _col("=HYPERLINK(\"http://x\")", "EMAIL_ADDRESS", 2, "contact", samples_masked=["z***@example.com"]),
        ],
        "policy_checks": [
            {"rule": "retention", "column": "注册日期", "max_age_days": 730, "cutoff": "2024-12-01", "status": "ok",
             "rows": 300, "over_limit": 12},
            {"rule": "minor_data", "column": "身份证号", "entity": "CN_RESIDENT_ID", "minor_age": 14,
             "born_after": "2012-12-01", "status": "ok", "rows": 300, "minors": 4},
        ],
    }
    members = {
        "id": "shop.members", "source": "postgresql://scanner@db/shop", "format": "table", "rows": 5000,
        "rows_scanned": 5000, "subjects_estimate": 4980, "errors": [], "grants": ["PUBLIC", "crm_app"],
        "columns": [
            _col("mobile", "CN_MOBILE_PHONE", 3, "contact"),
            _col("notes", "PERSON_NAME", 2, "identity", free_text=True,
                 entities=[{"entity": "PERSON_NAME", "hit_ratio": 0.4, "matches": 40},
                           {"entity": "BANK_CARD", "hit_ratio": 0.1, "matches": 10}]),
            _col("card", "BANK_CARD", 4, "financial", sensitive=False),  # the scan's own flag wins
        ],
    }
    logs = {"id": "logs/app.log", "source": "/data", "format": "text", "rows": 10, "rows_scanned": 10, "errors": [],
            "columns": [_col("text", None, 0, None)]}
    return {
        "schema_version": 1, "tool": {"name": "piiwarden", "version": "0.1.0"},
        "scan": {"id": scan_id, "started_at": finished_at, "finished_at": finished_at, "as_of": finished_at[:10],
                 "sources": ["/data"], "mode": "full"},
        "datasets": [customers, members, logs], "violations": [], "errors": [],
    }


def test_findings_fixture_is_a_valid_findings_document(validate_findings):
    validate_findings(_findings())


def test_one_row_per_sensitive_column_with_policy_and_grants():
    inventory = build_inventory([_findings()], POLICY)
    rows = {(r.dataset, r.column): r for r in inventory.rows}
    assert list(rows) == [("crm/customers.csv", "身份证号"), ("crm/customers.csv", "手机号"),
                          ("crm/customers.csv", "=HYPERLINK(\"http://x\")"), ("shop.members", "mobile"),
                          ("shop.members", "notes"), ("shop.members", "card")]
    resident = rows[("crm/customers.csv", "身份证号")]
    assert (resident.entity, resident.category, resident.level, resident.sensitive) == ("CN_RESIDENT_ID", "identity", 4,
                                                                                         True)
    assert (resident.rows, resident.subjects_estimate, resident.purpose) == (300, 297, "marketing")
    assert (resident.retention_days, resident.retention_column) == (730, "注册日期")  # as the scan applied it
    assert resident.allowed_readers == ("crm_app",) and resident.readers == ()
    mobile = rows[("shop.members", "mobile")]
    assert mobile.sensitive is False and mobile.readers == ("PUBLIC", "crm_app")
    assert (mobile.retention_days, mobile.retention_column) == (1825, "created_at")  # the defaults' age, from the policy
    notes = rows[("shop.members", "notes")]
    assert notes.sensitive is True and notes.other_entities == ("BANK_CARD",)  # free text holding card numbers (sensitive, PIPL Art. 28)
    assert rows[("shop.members", "card")].sensitive is False
    assert inventory.datasets() == ["crm/customers.csv", "shop.members"]


def test_without_policy_purpose_and_retention_are_empty():
    doc = _findings()
    for ds in doc["datasets"]:
        ds.pop("policy_checks", None)
    rows = build_inventory([doc]).rows
    assert {(r.purpose, r.retention_days, r.allowed_readers) for r in rows} == {(None, None, ())}


def test_stacked_scans_take_each_dataset_from_the_latest():
    old, new = _findings("2026-11-01T10:00:00+00:00", "old"), _findings("2026-12-01T10:00:00+00:00", "new")
    new["datasets"][0]["columns"] = new["datasets"][0]["columns"][:2]  # the mobile and e-mail columns were dropped
    inventory = build_inventory([new, old], POLICY)
    crm = [r for r in inventory.rows if r.dataset == "crm/customers.csv"]
    assert [r.column for r in crm] == ["身份证号"] and {r.scan_id for r in inventory.rows} == {"new"}
    other_source = copy.deepcopy(old)
    other_source["datasets"][0]["source"] = "/elsewhere"
    assert len([r for r in build_inventory([new, other_source]).rows if r.dataset == "crm/customers.csv"]) == 4


def test_pia_summary_counts_categories_minors_and_joins():
    pia = build_inventory([_findings()], POLICY).pia
    assert (pia.datasets_scanned, pia.datasets_with_pi, pia.pi_columns, pia.sensitive_columns) == (3, 2, 6, 2)
    assert pia.largest_subjects_estimate == 4980
    assert [c.category for c in pia.categories] == ["financial", "identity", "contact"]  # highest level first
    contact = next(c for c in pia.categories if c.category == "contact")
    assert (contact.columns, contact.datasets, contact.entities) == (3, 2, ("CN_MOBILE_PHONE", "EMAIL_ADDRESS"))
    assert [(m.dataset, m.column, m.minors, m.minor_age) for m in pia.minors] == [("crm/customers.csv", "身份证号", 4, 14)]
    assert [(j.entity, j.datasets) for j in pia.joins] == [("CN_MOBILE_PHONE", ("crm/customers.csv", "shop.members"))]


def test_xlsx_reopens_with_every_sheet_and_bilingual_headers(tmp_path):
    path = write_inventory(build_inventory([_findings()], POLICY), tmp_path / "inventory.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["清单 Inventory", "PIA 影响评估", "crm_customers.csv", "shop.members"]
    main = list(book["清单 Inventory"].iter_rows(values_only=True))
    assert main[0] == tuple(h for _k, h in ROW_HEADERS)
    assert "数据集 Dataset" in main[0] and "估计涉及人数 Estimated data subjects" in main[0]
    assert main[1][:4] == ("crm/customers.csv", "身份证号", "CN_RESIDENT_ID", "居民身份证号 Resident ID number")
    assert len(main) == 7
    formula_like = book["清单 Inventory"].cell(row=4, column=2)
    assert formula_like.value == "=HYPERLINK(\"http://x\")" and formula_like.data_type == "s"
    per_dataset = list(book["shop.members"].iter_rows(values_only=True))
    assert per_dataset[0][:2] == ("数据集 Dataset", "shop.members")
    assert [r[0] for r in per_dataset[3:]] == ["mobile", "notes", "card"]
    pia = [r[0] for r in book["PIA 影响评估"].iter_rows(values_only=True) if r and r[0]]
    assert {"概况 Overview", "个人信息类别 Categories", "未成年人个人信息 Data of minors",
            "跨数据集关联风险 Cross-dataset joins"} <= set(pia)
    with zipfile.ZipFile(path) as z:
        assert not any("<f>" in z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))


def test_csv_has_a_bom_bilingual_headers_and_no_formulas(tmp_path):
    path = write_inventory(build_inventory([_findings()], POLICY), tmp_path / "inventory.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [h for _k, h in ROW_HEADERS]
    assert rows[3][1] == "'=HYPERLINK(\"http://x\")"
    assert rows[1][7] == "是 yes" and rows[4][13] == "PUBLIC, crm_app"
    assert len(rows) == 7


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_nothing_raw_or_masked_reaches_the_inventory(tmp_path, suffix):
    path = write_inventory(build_inventory([_findings()], POLICY), tmp_path / f"inventory{suffix}")
    texts = [path.read_bytes().decode("utf-8", "replace")]
    if suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            texts = [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
    for planted in PLANTED + ["z***@example.com"]:
        assert not any(planted in t for t in texts), planted


def test_load_inventory_reads_files_and_a_policy(tmp_path):
    findings = tmp_path / "findings.json"
    findings.write_text(json.dumps(_findings(), ensure_ascii=False), encoding="utf-8")
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\ndatasets:\n  - match: 'shop.*'\n    purpose: membership\n", encoding="utf-8")
    inventory = load_inventory([findings], policy)
    assert {r.purpose for r in inventory.rows if r.dataset == "shop.members"} == {"membership"}
    with pytest.raises(InventoryError):
        load_inventory([])
    with pytest.raises(InventoryError):
        write_inventory(inventory, tmp_path / "inventory.ods")


def test_sheet_titles_are_valid_and_unique():
    ids = ["warehouse/crm.db#members", "a" * 40, "a" * 40 + "b", "x[1]:*?", "清单 Inventory"]
    titles = sheet_titles(ids, taken=["清单 Inventory"])
    assert all(len(t) <= 31 and not set(t) & set("[]:*?/\\") for t in titles.values())
    assert len({t.lower() for t in titles.values()} | {"清单 inventory"}) == len(ids) + 1
    assert titles["warehouse/crm.db#members"] == "warehouse_crm.db#members"


def test_measured_overlaps_join_the_pia(tmp_path):
    from scanner.lifecycle.identifiers import Overlap

    shared = [Overlap("CN_MOBILE_PHONE", "crm/customers.csv", "shop.members", 211)]
    inventory = build_inventory([_findings()], POLICY, overlaps=shared)
    assert inventory.pia.shared == tuple(shared)
    book = load_workbook(write_inventory(inventory, tmp_path / "inventory.xlsx"))
    rows = list(book["PIA 影响评估"].iter_rows(values_only=True))
    assert ("CN_MOBILE_PHONE", "crm/customers.csv", "shop.members", 211) in [r[:4] for r in rows]
