"""The library API (scanner/api.py), used the way a notebook would use it.

Why these tests: the CLI is now a renderer over ``scanner.api``, so the API
must give the same findings as the files the CLI writes, must not print,
and ``to_json()`` of its results must be exactly findings.json /
anonymization.json.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from detectors.validators import resident_id_check_char
from scanner import api
from scanner.anonymize.run import RECORD_NAME
from scanner.findings import check_findings, load_scan_result, write_findings
from scanner.model import ColumnFinding, DatasetResult, ScanResult, Violation
from scanner.pipeline import ScanOptions

KEY = b"0123456789abcdef0123456789abcdef"
AS_OF = dt.date(2026, 3, 31)
POLICY = """version: 1
datasets:
  - match: "people*"
    purpose: "shipping"
    allowed_entities: [CN_MOBILE_PHONE]
"""


def _resident_id(rng: random.Random) -> str:
    born = f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = rng.choice(["110105", "310115", "440304"]) + born + f"{rng.randint(0, 999):03d}"
    return body + resident_id_check_char(body)


def _people(rows: int = 300, seed: int = 7) -> pd.DataFrame:
    rng = random.Random(seed)
    return pd.DataFrame({
        "sfzh": [_resident_id(rng) for _ in range(rows)],
        "mobile": [rng.choice(["138", "186", "150"]) + f"{rng.randint(0, 10**8 - 1):08d}" for _ in range(rows)],
        "email": [f"user{i}@example.com" for i in range(rows)],
        "amount": [rng.randint(1, 10_000) for _ in range(rows)],
    })


@pytest.fixture
def people_csv(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "people.csv"
    _people().to_csv(path, index=False)
    return path


def test_scan_dataframe_matches_the_same_data_scanned_as_parquet(tmp_path: Path) -> None:
    df = _people()
    path = tmp_path / "people.parquet"
    df.to_parquet(path)
    from_file = api.scan([str(path)], as_of=AS_OF)
    (on_disk,) = from_file.datasets
    in_memory = api.scan_dataframe(df, name=on_disk.id)
    assert isinstance(in_memory, DatasetResult)
    assert in_memory.columns == on_disk.columns
    assert {c.name: c.primary_entity for c in in_memory.columns} == {
        "sfzh": "CN_RESIDENT_ID", "mobile": "CN_MOBILE_PHONE", "email": "EMAIL_ADDRESS", "amount": None}
    assert in_memory.rows == on_disk.rows == len(df)


def test_scan_dataframe_takes_an_arrow_table_too() -> None:
    df = _people(rows=200)
    from_pandas = api.scan_dataframe(df, name="t")
    from_arrow = api.scan_dataframe(pa.Table.from_pandas(df, preserve_index=False), name="t")
    assert from_arrow.columns == from_pandas.columns
    assert all(isinstance(c, ColumnFinding) for c in from_arrow.columns)


def test_scan_is_silent_reports_progress_and_returns_the_findings_document(people_csv: Path, tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture[str],
                                                                            validate_findings) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    events: list[api.ScanEvent] = []
    result = api.scan([str(people_csv.parent)], policy=policy, as_of=AS_OF, progress=events.append)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert [e.kind for e in events] == ["start", "dataset_started", "dataset_done", "scanned"]
    assert events[0].total == 1 and events[2].dataset == "people.csv" and events[2].rows == 300

    doc = result.to_json()
    check_findings(doc)
    validate_findings(doc)
    assert doc["scan"]["parameters"]["policy"] == str(policy)
    assert doc["scan"]["incremental"] == {"enabled": False, "reused": 0, "rescanned": 1, "reused_datasets": []}
    (ds,) = result.datasets
    assert {c.name for c in ds.sensitive_columns()} == {"sfzh", "mobile", "email"}
    rules = {(v.rule, v.column) for v in result.violations}
    assert ("minimization", "sfzh") in rules and ("minimization", "email") in rules
    assert ("minimization", "mobile") not in rules
    assert all(isinstance(v, Violation) for v in result.violations)


def test_scan_result_round_trips_through_findings_json(people_csv: Path, tmp_path: Path) -> None:
    result = api.scan(str(people_csv), as_of=AS_OF)
    path = tmp_path / "out" / "findings.json"
    write_findings(path, result)
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == result.to_json()
    loaded = load_scan_result(path)
    assert loaded == result
    assert ScanResult.from_json(json.loads(text)).to_json() == json.loads(text)


def test_scan_with_an_unreadable_source_records_the_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet at all")
    result = api.scan([str(broken)], as_of=AS_OF)
    assert result.datasets == () and len(result.errors) == 1
    assert result.errors[0].source.endswith("broken.parquet")


def test_scan_options_choose_a_full_pass(people_csv: Path) -> None:
    result = api.scan([str(people_csv)], options=ScanOptions(full=True), as_of=AS_OF)
    assert result.scan.mode == "full"
    assert result.datasets[0].rows_scanned == 300
    assert result.to_json()["scan"]["parameters"]["sample_rows"] is None


def test_anonymize_writes_the_record_it_returns_and_verify_accepts_the_copy(people_csv: Path,
                                                                             tmp_path: Path) -> None:
    outdir = tmp_path / "masked"
    logged: list[str] = []
    result = api.anonymize([str(people_csv.parent)], outdir, key=KEY, progress=logged.append)
    on_disk = json.loads((outdir / RECORD_NAME).read_text(encoding="utf-8"))
    assert result.to_json() == on_disk
    assert result.path == str(outdir / RECORD_NAME) and result.kind == "anonymize"
    ops = {c.name: c.op for c in result.columns()}
    assert set(ops) == {"sfzh", "mobile", "email"}
    assert logged and all("people.csv" in line for line in logged)
    copy = pd.read_csv(outdir / "people.csv", dtype=str)
    original = pd.read_csv(people_csv, dtype=str)
    assert not (copy["sfzh"] == original["sfzh"]).any()
    assert (copy["amount"] == original["amount"]).all()

    verdict = api.verify(outdir, key=KEY)
    assert verdict.failures == [] and verdict.datasets == 1


def test_verify_fails_a_folder_holding_clear_identifiers(people_csv: Path) -> None:
    verdict = api.verify(people_csv.parent)
    assert {f["column"] for f in verdict.failures} >= {"sfzh"}


def test_anonymize_dataframe_returns_a_masked_copy_of_the_same_type() -> None:
    df = _people(rows=200)
    masked, record = api.anonymize_dataframe(df, name="people")
    assert isinstance(masked, pd.DataFrame) and list(masked.columns) == list(df.columns)
    assert not (masked["sfzh"] == df["sfzh"]).any()
    assert (masked["amount"] == df["amount"]).all()
    (ds,) = record.datasets
    assert ds.id == "people" and {c.name for c in ds.columns} == {"sfzh", "mobile", "email"}
    assert all(c.stats["values_changed"] == 200 for c in ds.columns)

    table, _ = api.anonymize_dataframe(pa.Table.from_pandas(df, preserve_index=False), name="people")
    assert isinstance(table, pa.Table)
    assert table.column("sfzh").to_pylist() == masked["sfzh"].tolist()


def test_keyed_rules_need_a_key(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\nentities:\n  CN_MOBILE_PHONE: {op: hash}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="need a key"):
        api.anonymize_dataframe(_people(rows=50), rules=rules)
    _masked, record = api.anonymize_dataframe(_people(rows=50), rules=rules, key=KEY)
    assert record.run["key_fingerprint"]


def test_sample_data_findings_round_trip_through_the_model() -> None:
    """Policy checks, grants-free tables, retention and minor violations: every field survives from_json/to_json."""
    root = Path(__file__).resolve().parent.parent / "sample_data"
    result = api.scan([str(root)], policy=root / "policy.yaml", as_of=AS_OF)
    doc = result.to_json()
    assert any(d.get("policy_checks") for d in doc["datasets"])
    assert any("unparseable" in v for v in doc["violations"])
    again = ScanResult.from_json(json.loads(json.dumps(doc)))
    assert again == result
    assert json.dumps(again.to_json(), ensure_ascii=False) == json.dumps(doc, ensure_ascii=False)


def test_incremental_scan_reuses_the_typed_result(people_csv: Path, tmp_path: Path) -> None:
    from scanner.history import opened

    with opened(tmp_path / "history.db") as history:
        first = api.scan([str(people_csv)], as_of=AS_OF, history=history)
        events: list[api.ScanEvent] = []
        second = api.scan([str(people_csv)], as_of=AS_OF, history=history, incremental=True,
                          progress=events.append)
    (before,), (after,) = first.datasets, second.datasets
    assert after.reused_from == first.scan.id and after.columns == before.columns
    assert {k: v for k, v in after.to_json().items() if k != "reused_from"} == before.to_json()
    assert [e.kind for e in events] == ["start", "dataset_done", "scanned"] and events[1].reused_from
    assert second.scan.incremental is not None and second.scan.incremental.reused_datasets == ("people.csv",)
    assert second.history is not None and second.history["previous_scan"]["id"] == first.scan.id


def test_decrypt_restores_what_anonymize_encrypted(people_csv: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\nentities:\n  CN_MOBILE_PHONE: {op: encrypt}\n", encoding="utf-8")
    api.anonymize([str(people_csv.parent)], tmp_path / "enc", rules=rules, key=KEY)
    restored = api.decrypt([str(tmp_path / "enc")], tmp_path / "dec", key=KEY)
    assert restored.kind == "decrypt" and restored.path == str(tmp_path / "dec" / "decryption.json")
    assert json.loads(Path(restored.path).read_text(encoding="utf-8")) == restored.to_json()
    assert sum(c.stats["values_restored"] for c in restored.columns()) == 300
    back = pd.read_csv(tmp_path / "dec" / "people.csv", dtype=str)
    assert back["mobile"].tolist() == pd.read_csv(people_csv, dtype=str)["mobile"].tolist()
