"""The anonymize / verify / decrypt commands end to end, and the devset acceptance check."""

from __future__ import annotations

import json
import random
import re
import shutil
import sqlite3
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from detectors.validators import (
    digits_only,
    is_valid_bank_card,
    is_valid_cn_mobile,
    is_valid_resident_id,
    luhn_check_digit,
    resident_id_check_char,
)
from scanner.cli import app
from scanner.sources import resolve_sources
from tests.conftest import SHARED

runner = CliRunner()
DEVSET = SHARED / "devset"
KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"


def _id(rng: random.Random) -> str:
    body = f"110105{rng.randint(1960, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + resident_id_check_char(body)


@pytest.fixture
def small(tmp_path: Path) -> Path:
    rng = random.Random(9)
    src = tmp_path / "src"
    src.mkdir()
    lines = ["编号,身份证号,银行卡号,金额"]
    for i in range(60):
        partial = "622848" + "".join(str(rng.randint(0, 9)) for _ in range(12))
        lines.append(f"N{i},{_id(rng)},{partial + luhn_check_digit(partial)},{i}")
    (src / "accounts.csv").write_text("\n".join(lines), encoding="utf-8")
    return src


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "piiwarden.key"
    path.write_text(KEY_HEX + "\n", encoding="ascii")
    return path


def _rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_keyed_rules_without_key_exit_2_and_write_nothing(small, tmp_path, monkeypatch):
    monkeypatch.delenv("PIIWARDEN_KEY", raising=False)
    rules = _rules(tmp_path, "version: 1\nentities:\n  CN_RESIDENT_ID: {op: encrypt}\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["anonymize", str(small), "-o", str(out), "--rules", str(rules)])
    assert result.exit_code == 2
    assert "need a key: pass --key-file FILE or set PIIWARDEN_KEY" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_bad_rules_exit_2_naming_file_and_line(small, tmp_path):
    rules = _rules(tmp_path, "version: 1\nentities:\n  CN_RESIDENT_ID: {op: shred}\n")
    result = runner.invoke(app, ["anonymize", str(small), "-o", str(tmp_path / "out"), "--rules", str(rules)])
    assert result.exit_code == 2
    assert f"{rules}:3: entities.CN_RESIDENT_ID.op: unknown op" in result.output


def test_outdir_inside_source_is_refused(small):
    result = runner.invoke(app, ["anonymize", str(small), "-o", str(small / "out")])
    assert result.exit_code == 2 and "inside the source directory" in result.output


def test_encrypt_with_env_key_then_decrypt_with_key_file(small, tmp_path, key_file, monkeypatch):
    rules = _rules(tmp_path, "version: 1\ncolumns:\n  \"acc*.csv:身份证号\": {op: encrypt}\n")
    monkeypatch.setenv("PIIWARDEN_KEY", KEY_HEX)
    out = tmp_path / "out"
    result = runner.invoke(app, ["anonymize", str(small), "-o", str(out), "--rules", str(rules)])
    assert result.exit_code == 0, result.output
    assert KEY_HEX not in result.output
    record = json.loads((out / "anonymization.json").read_text(encoding="utf-8"))
    assert KEY_HEX not in json.dumps(record)
    assert record["run"]["key_fingerprint"].startswith("hmac-sha256:")
    cols = {c["name"]: c for c in record["datasets"][0]["columns"]}
    assert cols["身份证号"]["rule"] == {"op": "encrypt"} and cols["身份证号"]["values_changed"] == 60
    assert cols["银行卡号"]["rule_source"] == "default"
    monkeypatch.delenv("PIIWARDEN_KEY")
    plain = tmp_path / "plain"
    result = runner.invoke(app, ["decrypt", str(out), "-o", str(plain), "--key-file", str(key_file)])
    assert result.exit_code == 0, result.output
    original = (small / "accounts.csv").read_text(encoding="utf-8").splitlines()
    restored = (plain / "accounts.csv").read_text(encoding="utf-8").splitlines()
    assert [r.split(",")[1] for r in restored] == [o.split(",")[1] for o in original]
    wrong = tmp_path / "wrong.key"
    wrong.write_text("ff" * 32, encoding="ascii")
    result = runner.invoke(app, ["decrypt", str(out), "-o", str(tmp_path / "x"), "--key-file", str(wrong)])
    assert result.exit_code == 2 and "is not the one that wrote" in result.output


def test_verify_fails_on_clear_identifiers_and_passes_after_anonymize(small, tmp_path):
    clear = tmp_path / "clear"
    shutil.copytree(small, clear)
    result = runner.invoke(app, ["verify", str(clear)])
    assert result.exit_code == 1
    assert "FAIL accounts.csv: 身份证号" in result.output and "FAIL accounts.csv: 银行卡号" in result.output
    out = tmp_path / "out"
    assert runner.invoke(app, ["anonymize", str(small), "-o", str(out)]).exit_code == 0
    result = runner.invoke(app, ["verify", str(out)])
    assert result.exit_code == 0, result.output
    assert "verify passed" in result.output


def test_policy_k_anonymity_is_printed_with_a_warning(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    rows = ["编号,性别,城市"] + [f"P{i},{'男' if i % 2 else '女'},{'北京' if i else '拉萨'}" for i in range(40)]
    (src / "people.csv").write_text("\n".join(rows), encoding="utf-8")
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\ndatasets:\n  - match: people.csv\n    quasi_identifiers: [性别, 城市]\n"
                      "    k_threshold: 5\n", encoding="utf-8")
    result = runner.invoke(app, ["anonymize", str(src), "-o", str(tmp_path / "out"), "--policy", str(policy)])
    assert result.exit_code == 0, result.output
    assert "WARNING k-anonymity people.csv on [性别, 城市]: k=1" in result.output
    assert "1 of 40 records in classes under k=5" in result.output


# ------------------------------------------------------------------ devset ----

_CANDIDATES = re.compile(r"[0-9Xx]{11,19}")
_SEPARATORS = re.compile(r"[ \-()+]")


def _tokens(text: str) -> set[str]:
    """Digit runs of a text with phone/card separators removed (``+86 188 7698 9161`` → one run)."""
    return {m.group(0).upper() for m in _CANDIDATES.finditer(_SEPARATORS.sub("", text))}


def _cells(root: Path) -> dict[tuple[str, str], list]:
    datasets, errors = resolve_sources([str(root)])
    assert errors == []
    out = {}
    for ds in datasets:
        if ds.id.endswith(".json") and ds.id.startswith(("anonymization", "decryption")):
            continue
        for batch in ds.batches():
            for name, column in zip(batch.schema.names, batch.columns):
                out.setdefault((ds.id, name), []).extend(column.to_pylist())
    return out


def _real_identifiers(cells: dict[tuple[str, str], list]) -> set[str]:
    """Every resident ID, bank card and mobile number in the sources, canonical form."""
    found = set()
    for values in cells.values():
        for value in values:
            for item in value if isinstance(value, list) else [value]:
                if not isinstance(item, str):
                    continue
                for token in _tokens(item):
                    if is_valid_resident_id(token) or is_valid_bank_card(token) or is_valid_cn_mobile(token):
                        found.add(digits_only(token) if not token.endswith("X") else token)
    return found


@pytest.mark.skipif(not (DEVSET / "data").is_dir(), reason="../shared/devset is not present")
def test_devset_anonymize_then_verify(tmp_path, key_file):
    out = tmp_path / "OUT"
    result = runner.invoke(app, ["anonymize", str(DEVSET / "data"), "-o", str(out), "--key-file", str(key_file)])
    assert result.exit_code == 0, result.output
    verified = runner.invoke(app, ["verify", str(out)])
    assert verified.exit_code == 0, verified.output

    source_cells, output_cells = _cells(DEVSET / "data"), _cells(out)
    assert set(source_cells) == set(output_cells)
    labels = json.loads((DEVSET / "labels.json").read_text(encoding="utf-8"))
    clean = [(c["dataset"], c["column"]) for c in labels["columns"] if c["entity"] is None]
    # Identifiers come from the labelled personal columns (a waybill number may pass Luhn by chance).
    raw = _real_identifiers({k: v for k, v in source_cells.items() if k not in clean})
    assert len(raw) > 1000  # the devset is full of them: the check has teeth
    seen: set[str] = set()
    for values in output_cells.values():
        for value in values:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str):
                    seen |= {t if t.endswith("X") else digits_only(t) for t in _tokens(item)}
    for path in out.rglob("*"):  # the bytes too: SQLite free pages, Parquet pages, GB18030 text
        if path.is_file():
            seen |= _tokens(path.read_bytes().decode("latin-1"))
            seen |= _tokens(path.read_bytes().decode("gb18030", errors="ignore"))
    assert not raw & seen, f"{len(raw & seen)} original identifiers remain in OUT"

    for key in clean:
        assert output_cells[key] == source_cells[key], f"non-sensitive column changed: {key}"

    # The outputs open in their native readers.
    assert pq.read_table(out / "warehouse" / "shipments.parquet").num_rows == len(
        source_cells[("warehouse/shipments.parquet", "waybill")])
    with sqlite3.connect(out / "warehouse" / "crm.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    json.loads((out / "chat.json").read_text(encoding="utf-8"))
    (out / "students.csv").read_bytes().decode("gb18030")
