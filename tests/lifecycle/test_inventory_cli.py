"""``piiwarden inventory``: a real scan's findings.json to .xlsx / .csv, exit 2 on bad input, nothing raw."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from scanner import api
from scanner.cli import app

runner = CliRunner()
MOBILES = [f"1381234{i:04d}" for i in range(60)]
IDS = ["11010519491231002X", "110105196001010012", "440304199003071234"]
PLANTED = ["13812340007", "11010519491231002X", "zhang.san@example.com", "138*****007"]


@pytest.fixture
def findings(tmp_path: Path) -> Path:
    """A scan of a small CSV, with raw values planted into the samples the inventory must not copy."""
    data = tmp_path / "crm.csv"
    rows = [f"{m},{IDS[i % 3]},user{i}@example.com" for i, m in enumerate(MOBILES)]
    data.write_text("手机号,身份证号,email\n" + "\n".join(rows) + "\n", encoding="utf-8")
    doc = api.scan([str(data)]).to_json()
    for col in doc["datasets"][0]["columns"]:
        col["samples_masked"] = list(PLANTED)
    path = tmp_path / "findings.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _texts(path: Path) -> list[str]:
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
    return [path.read_bytes().decode("utf-8", "replace")]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_inventory_writes_rows_with_people_and_nothing_raw(tmp_path, findings, suffix):
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\ndatasets:\n  - match: 'crm*'\n    purpose: 会员服务\n", encoding="utf-8")
    target = tmp_path / f"inventory{suffix}"
    result = runner.invoke(app, ["inventory", str(findings), "-o", str(target), "--policy", str(policy)])
    assert result.exit_code == 0, result.output
    assert "inventory:" in result.output
    for planted in PLANTED:
        assert not any(planted in t for t in _texts(target)), planted
        assert planted not in result.output
    if suffix == ".xlsx":
        sheet = load_workbook(target)["清单 Inventory"]
        header = [c.value for c in sheet[1]]
        rows = [dict(zip(header, (c.value for c in row))) for row in sheet.iter_rows(min_row=2)]
        assert {r["字段 Column"] for r in rows} >= {"手机号", "身份证号"}
        assert {r["估计涉及人数 Estimated data subjects"] for r in rows} == {60}
        assert {r["处理目的 Purpose"] for r in rows} == {"会员服务"}


@pytest.mark.parametrize("case", ["missing", "suffix", "broken", "policy", "no-policy-file"])
def test_bad_input_is_one_line_and_exit_2(tmp_path, findings, case):
    target = tmp_path / "inventory.xlsx"
    args = {
        "missing": [str(tmp_path / "nope.json"), "-o", str(target)],
        "suffix": [str(findings), "-o", str(tmp_path / "inventory.pdf")],
        "broken": [str(_broken(tmp_path)), "-o", str(target)],
        "policy": [str(findings), "-o", str(target), "--policy", str(_bad_policy(tmp_path))],
        "no-policy-file": [str(findings), "-o", str(target), "--policy", str(tmp_path / "none.yaml")],
    }[case]
    result = runner.invoke(app, ["inventory", *args])
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("piiwarden: error:"), result.output
    assert not target.exists() and not (tmp_path / "inventory.pdf").exists()


def _broken(tmp_path: Path) -> Path:
    path = tmp_path / "broken.json"
    path.write_text('{"schema_version": 1, "datasets": [{"id": "13812340007"', encoding="utf-8")
    return path


def _bad_policy(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\ndatasets: 7\n", encoding="utf-8")
    return path
