"""Scan history: two scans of changed data, the diff (CLI, JSON, findings.json) and the report section."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detectors.validators import resident_id_check_char
from scanner.cli import app

runner = CliRunner()
rng = random.Random(7)

POLICY = """\
version: 1
datasets:
  - match: "customers.csv"
    allowed_entities: [PERSON_NAME, CN_MOBILE_PHONE]
  - match: "contacts.csv"
    allowed_entities: [EMAIL_ADDRESS, CN_MOBILE_PHONE]
"""


def _mobile() -> str:
    return f"{rng.choice(['139', '138', '186', '150', '177', '131', '158'])}{rng.randint(0, 10**8 - 1):08d}"


def _id() -> str:
    body = f"110105{rng.randint(1970, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + resident_id_check_char(body)


def _write_v1(d: Path) -> None:
    d.mkdir(parents=True, exist_ok=True)
    rows = [f"C{i},{_mobile()},{_id()}" for i in range(60)]
    (d / "customers.csv").write_text("客户编号,手机号,身份证号\n" + "\n".join(rows), encoding="utf-8")
    rows = [f"{i},user{i}@example.com" for i in range(60)]
    (d / "contacts.csv").write_text("id,contact\n" + "\n".join(rows), encoding="utf-8")


def _write_v2(d: Path) -> None:
    """Customers lose the ID-number column and gain e-mails; contacts switch from e-mail to mobile."""
    rows = [f"C{i},{_mobile()},c{i}@example.com" for i in range(60)]
    (d / "customers.csv").write_text("客户编号,手机号,邮箱\n" + "\n".join(rows), encoding="utf-8")
    rows = [f"{i},{_mobile()}" for i in range(60)]
    (d / "contacts.csv").write_text("id,contact\n" + "\n".join(rows), encoding="utf-8")


@pytest.fixture(scope="module")
def two_scans(tmp_path_factory):
    """Scan, change the data, scan again (once for the module: scans are the slow part)."""
    tmp_path = tmp_path_factory.mktemp("history")
    data, out = tmp_path / "data", tmp_path / "out"
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    _write_v1(data)
    args = ["scan", str(data), "-o", str(out), "--policy", str(policy), "--as-of", "2026-03-31", "-q"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    first_findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    _write_v2(data)
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return tmp_path, first_findings, findings


def _names(items: list[dict]) -> set[tuple]:
    return {(i["dataset"], i["column"]) for i in items}


def test_history_is_recorded_next_to_the_outdir(two_scans):
    tmp_path, first, second = two_scans
    db = tmp_path / ".piiwarden" / "history.db"
    assert db.is_file()
    with sqlite3.connect(db) as conn:
        assert [r[0] for r in conn.execute("SELECT id FROM scans ORDER BY seq")] == [first["scan"]["id"],
                                                                                    second["scan"]["id"]]
        cols = conn.execute("SELECT entity, level, confidence FROM columns WHERE scan_id = ? AND column_name = ?",
                            (first["scan"]["id"], "身份证号")).fetchall()
        assert cols and cols[0][0] == "CN_RESIDENT_ID" and cols[0][1] == 4 and cols[0][2] > 0.5
        assert conn.execute("SELECT COUNT(*) FROM violations WHERE scan_id = ?",
                            (first["scan"]["id"],)).fetchone()[0] == len(first["violations"])
    assert first["history"]["previous_scan"] is None and first["history"]["since_last"] is None


def test_since_last_scan_in_findings(two_scans, validate_findings):
    _, first, second = two_scans
    validate_findings(second)
    diff = second["history"]["since_last"]
    assert second["history"]["previous_scan"]["id"] == first["scan"]["id"]
    assert _names(diff["new_sensitive_columns"]) == {("customers.csv", "邮箱")}
    assert _names(diff["removed_sensitive_columns"]) == {("customers.csv", "身份证号")}
    [change] = diff["level_changes"]
    assert (change["dataset"], change["column"], change["entity_before"], change["entity"]) == \
        ("contacts.csv", "contact", "EMAIL_ADDRESS", "CN_MOBILE_PHONE")
    assert change["level_before"] < change["level"]
    new = {(v["rule"], v["dataset"], v["column"]) for v in diff["new_violations"]}
    resolved = {(v["rule"], v["dataset"], v["column"]) for v in diff["resolved_violations"]}
    assert ("minimization", "customers.csv", "邮箱") in new
    assert ("minimization", "customers.csv", "身份证号") in resolved
    assert [p["id"] for p in second["history"]["trend"]] == [first["scan"]["id"], second["scan"]["id"]]


def test_history_cli_lists_and_diffs(two_scans):
    tmp_path, first, second = two_scans
    db = tmp_path / ".piiwarden" / "history.db"
    listing = runner.invoke(app, ["history", "--db", str(db)])
    assert listing.exit_code == 0, listing.output
    assert first["scan"]["id"][:12] in listing.output and second["scan"]["id"][:12] in listing.output
    result = runner.invoke(app, ["history", "--db", str(db), "--diff"])
    assert result.exit_code == 0, result.output
    assert "+ column customers.csv: 邮箱 EMAIL_ADDRESS" in result.output
    assert "- column customers.csv: 身份证号 CN_RESIDENT_ID" in result.output
    assert "~ column contacts.csv: contact EMAIL_ADDRESS" in result.output
    written = json.loads((db.parent / "diff-1-2.json").read_text(encoding="utf-8"))
    assert written["from"]["id"] == first["scan"]["id"] and written["to"]["id"] == second["scan"]["id"]
    assert written["new_sensitive_columns"] == second["history"]["since_last"]["new_sensitive_columns"]
    # explicit scans, by id prefix and number, reversed, to a chosen file
    target = tmp_path / "d.json"
    back = runner.invoke(app, ["history", "--db", str(db), "--diff", second["scan"]["id"][:10], "1", "-o", str(target)])
    assert back.exit_code == 0, back.output
    assert _names(json.loads(target.read_text(encoding="utf-8"))["new_sensitive_columns"]) == {
        ("customers.csv", "身份证号")}
    # no scan number 99999999 (eight digits: a random hex id starts with them once in 2**32; "99" did once in 128)
    assert runner.invoke(app, ["history", "--db", str(db), "--diff", "99999999", "1"]).exit_code == 2
    assert runner.invoke(app, ["history", "--db", str(tmp_path / "none.db")]).exit_code == 2


def test_report_renders_since_last_scan_from_findings_alone(two_scans, tmp_path):
    root, _, second = two_scans
    db = root / ".piiwarden" / "history.db"
    db.rename(db.with_suffix(".away"))  # the report must not need the database
    try:
        path = tmp_path / "f.json"
        path.write_text(json.dumps(second, ensure_ascii=False), encoding="utf-8")
        html_path = tmp_path / "r.html"
        result = runner.invoke(app, ["report", str(path), "-o", str(html_path), "--lang", "en"])
    finally:
        db.with_suffix(".away").rename(db)
    assert result.exit_code == 0, result.output
    html = html_path.read_text(encoding="utf-8")
    assert 'id="history"' in html and "Since last scan" in html
    assert html.count('data-change="new_sensitive"') == 1 and 'data-change="level_change"' in html
    assert "Trend over recent scans" in html and "<polyline" in html


def test_no_history_records_nothing(tmp_path):
    data = tmp_path / "data"
    _write_v1(data)
    result = runner.invoke(app, ["scan", str(data), "-o", str(tmp_path / "out"), "--no-history", "-q"])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / ".piiwarden" / "history.db").exists()
    assert "history" not in json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
