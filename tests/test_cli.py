"""End-to-end: the CLI as a user runs it, against the contract's outputs and exit codes."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detectors.validators import luhn_check_digit, resident_id_check_char
from scanner.cli import app
from tests.conftest import ROOT, SHARED

runner = CliRunner()
rng = random.Random(11)


def _id() -> str:
    body = rng.choice(["110105", "440304", "320106"]) + f"{rng.randint(1960, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + resident_id_check_char(body)


def _card() -> str:
    partial = "622848" + "".join(str(rng.randint(0, 9)) for _ in range(12))
    return partial + luhn_check_digit(partial)


@pytest.fixture
def data_dir(tmp_path: Path) -> tuple[Path, list[str]]:
    """A small directory with a GBK CSV, nested JSONL and a clean CSV; returns it and its raw values."""
    d = tmp_path / "data"
    (d / "crm").mkdir(parents=True)
    raw: list[str] = []
    lines = ["客户编号,姓名,身份证号,手机号,银行卡号,备注"]
    for i in range(120):
        ident, card, mobile = _id(), _card(), f"139{rng.randint(0, 10**8 - 1):08d}"
        raw += [ident, card, mobile]
        lines.append(f"C{i:05d},张{i},{ident},{mobile},{card},客户要求回电")
    (d / "crm" / "customers.csv").write_bytes("\n".join(lines).encode("gbk"))
    events = []
    for i in range(80):
        mail = f"user{i}@example.com"
        raw.append(mail)
        events.append(json.dumps({"id": i, "user": {"contact": {"email": mail}}, "ip": f"10.0.{i}.7"}))
    (d / "events.jsonl").write_text("\n".join(events), encoding="utf-8")
    (d / "sku.csv").write_text("sku,qty\n" + "\n".join(f"A{i},{i}" for i in range(50)), encoding="utf-8")
    return d, raw


def _scan(*args: str):
    return runner.invoke(app, ["scan", *args])


def test_scan_writes_valid_findings_and_report(data_dir, tmp_path, validate_findings):
    d, raw = data_dir
    out = tmp_path / "out"
    result = _scan(str(d), "-o", str(out), "--as-of", "2026-03-31")
    assert result.exit_code == 0, result.output
    assert f"report:   {out / 'report.html'}" in result.output
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    validate_findings(findings)
    ids = {ds["id"] for ds in findings["datasets"]}
    assert ids == {"crm/customers.csv", "events.jsonl", "sku.csv"}
    cols = {(ds["id"], c["name"]): c for ds in findings["datasets"] for c in ds["columns"]}
    assert cols[("crm/customers.csv", "身份证号")]["primary_entity"] == "CN_RESIDENT_ID"
    assert cols[("crm/customers.csv", "手机号")]["primary_entity"] == "CN_MOBILE_PHONE"
    assert cols[("crm/customers.csv", "银行卡号")]["primary_entity"] == "BANK_CARD"
    assert cols[("crm/customers.csv", "客户编号")]["primary_entity"] is None
    assert cols[("events.jsonl", "user.contact.email")]["primary_entity"] == "EMAIL_ADDRESS"
    assert cols[("events.jsonl", "ip")]["primary_entity"] == "IP_ADDRESS"
    assert all(c["primary_entity"] is None for (ds, _), c in cols.items() if ds == "sku.csv")
    assert findings["scan"]["as_of"] == "2026-03-31" and findings["scan"]["mode"] == "sample"
    # no policy: clear ID and card columns are still reported as plaintext_sensitive
    assert {(v["rule"], v["column"]) for v in findings["violations"]} == {
        ("plaintext_sensitive", "身份证号"), ("plaintext_sensitive", "银行卡号")}
    # never a raw value anywhere in the outputs or the console
    blob = (out / "findings.json").read_text(encoding="utf-8") + (out / "report.html").read_text(encoding="utf-8")
    blob += result.output
    leaked = [v for v in raw if v in blob]
    assert not leaked, f"{len(leaked)} raw values leaked"


def test_corrupt_source_is_one_error_and_exit_3(data_dir, tmp_path, validate_findings):
    d, _ = data_dir
    (d / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    (d / "bad.jsonl").write_text('{"a": 1}\n{"a": \n', encoding="utf-8")
    out = tmp_path / "out"
    result = _scan(str(d), "-o", str(out))
    assert result.exit_code == 3, result.output
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    validate_findings(findings)
    failed = {e["source"] for e in findings["errors"]}
    assert any("broken.parquet" in s for s in failed) and any("bad.jsonl" in s for s in failed)
    assert all("\n" not in e["error"] for e in findings["errors"])
    # the rest was still scanned
    good = {ds["id"]: ds for ds in findings["datasets"]}
    assert good["crm/customers.csv"]["columns"] and good["sku.csv"]["columns"]


def test_missing_source_is_exit_2_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    result = _scan(str(tmp_path / "nope"), "-o", str(out))
    assert result.exit_code == 2
    assert "nope" in result.output
    assert not out.exists()


def test_bad_policy_is_exit_2_naming_line_and_field(data_dir, tmp_path):
    d, _ = data_dir
    policy = tmp_path / "p.yaml"
    policy.write_text("version: 1\ndatasets:\n  - match: '*.csv'\n    allowed_entities: [MOBILE]\n", encoding="utf-8")
    out = tmp_path / "out"
    result = _scan(str(d), "-o", str(out), "--policy", str(policy))
    assert result.exit_code == 2
    assert "p.yaml:4" in result.output and "allowed_entities" in result.output and "MOBILE" in result.output
    assert not out.exists()


@pytest.mark.parametrize("args", [["--sample-rows", "0"], ["--as-of", "31/03/2026"], ["--fail-on", "severe"]])
def test_bad_options_are_exit_2(data_dir, tmp_path, args):
    d, _ = data_dir
    out = tmp_path / "out"
    assert _scan(str(d), "-o", str(out), *args).exit_code == 2
    assert not out.exists()


def test_fail_on_gates_on_severity(data_dir, tmp_path):
    d, _ = data_dir
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "version: 1\ndatasets:\n  - match: 'crm/*.csv'\n    purpose: crm\n"
        "    allowed_entities: [CN_RESIDENT_ID, CN_MOBILE_PHONE, BANK_CARD]\n"
        "  - match: '*.jsonl'\n    purpose: analytics\n    allowed_entities: [EMAIL_ADDRESS, IP_ADDRESS]\n"
        "defaults:\n  plaintext_forbidden_level: 4\n",
        encoding="utf-8",
    )
    base = [str(d), "--policy", str(policy)]
    assert _scan(*base, "-o", str(tmp_path / "a"), "--fail-on", "critical").exit_code == 1
    assert _scan(*base, "-o", str(tmp_path / "b")).exit_code == 0
    # every entity is allowed, so the only violations are the clear level-4 columns
    findings = json.loads((tmp_path / "a" / "findings.json").read_text(encoding="utf-8"))
    assert {v["severity"] for v in findings["violations"]} == {"critical"}


def test_sample_rows_and_full(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("mobile\n" + "\n".join(f"138{i:08d}" for i in range(5000)), encoding="utf-8")
    sampled = _scan(str(path), "-o", str(tmp_path / "s"), "--sample-rows", "300")
    assert sampled.exit_code == 0, sampled.output
    ds = json.loads((tmp_path / "s" / "findings.json").read_text(encoding="utf-8"))["datasets"][0]
    assert ds["id"] == "big.csv" and ds["rows"] == 5000 and ds["rows_scanned"] == 300
    full = _scan(str(path), "-o", str(tmp_path / "f"), "--full")
    doc = json.loads((tmp_path / "f" / "findings.json").read_text(encoding="utf-8"))
    assert full.exit_code == 0 and doc["scan"]["mode"] == "full" and doc["datasets"][0]["rows_scanned"] == 5000


def test_report_command_rerenders(data_dir, tmp_path):
    d, _ = data_dir
    out = tmp_path / "out"
    _scan(str(d), "-o", str(out), "--lang", "en")
    target = tmp_path / "again.html"
    result = runner.invoke(app, ["report", str(out / "findings.json"), "-o", str(target), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    html = target.read_text(encoding="utf-8")
    assert "扫描报告" in html and "crm/customers.csv" in html and "居民身份证号" in html
    assert "scan report" in (out / "report.html").read_text(encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    assert runner.invoke(app, ["report", str(bad)]).exit_code == 2


def test_python_dash_m_and_console_script(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "scanner", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0 and "scan" in proc.stdout
    exe = Path(sys.executable).parent / "piiwarden"
    proc = subprocess.run([str(exe), "scan", str(tmp_path / "missing")], capture_output=True, text=True)
    assert proc.returncode == 2 and "missing" in proc.stderr


def test_sample_data_scan_with_its_policy(tmp_path, validate_findings):
    out = tmp_path / "out"
    result = _scan(str(ROOT / "sample_data"), "--policy", str(ROOT / "sample_data" / "policy.yaml"), "-o", str(out))
    assert result.exit_code == 0, result.output
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    validate_findings(findings)
    formats = {ds["format"] for ds in findings["datasets"]}
    assert formats >= {"csv", "parquet", "jsonl", "xlsx", "table", "text"}
    assert not findings["errors"]
    rules = {v["rule"] for v in findings["violations"]}
    assert {"minimization", "undeclared_dataset", "plaintext_sensitive"} <= rules


@pytest.mark.skipif(not (SHARED / "devset" / "score.py").is_file(), reason="../shared/devset not present")
def test_devset_precision(tmp_path):
    out = tmp_path / "out"
    devset = SHARED / "devset"
    result = _scan(str(devset / "data"), "--policy", str(devset / "policy.yaml"), "--as-of", "2026-03-31", "-o", str(out))
    assert result.exit_code in (0, 1), result.output
    proc = subprocess.run([sys.executable, str(devset / "score.py"), str(devset), str(out / "findings.json")],
                          capture_output=True, text=True, check=True)
    line = proc.stdout.strip().splitlines()[-1]
    fields = dict(part.split("=", 1) for part in line.split())
    assert float(fields["precision"]) >= 0.95, line
    found, total = fields["datasets"].split("/")
    assert found == total, line
