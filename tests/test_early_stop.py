"""Sample mode stops reading a column once its finding is settled, and the finding does not change."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.csv as pacsv

import detectors.classify as classify
from bench import labelled as g
from scanner.pipeline import ScanOptions, scan_dataset
from scanner.sources import resolve_sources


def _table(rows: int) -> pa.Table:
    rng = random.Random(12)
    return pa.table({
        "证件号码": [g.resident_id(rng) for _ in range(rows)],
        "mixed": [g.resident_id(rng) if i % 2 else g.random18(rng) for i in range(rows)],
        "borderline": [g.resident_id(rng) if i % 50 < 31 else g.random18(rng) for i in range(rows)],
        "comment": [g.chat(rng) for _ in range(rows)],
        "amount": [g.amount(rng) for _ in range(rows)],
        "email": [g.email(rng) for _ in range(rows)],
    })


def _scan(path, sample_rows: int = 10_000) -> dict:
    datasets, errors = resolve_sources([str(path)])
    assert not errors
    result = scan_dataset(datasets[0], ScanOptions(sample_rows=sample_rows))
    return {c["name"]: c for c in result.to_json()["columns"]}


def test_settled_columns_stop_early_and_keep_their_finding(tmp_path, monkeypatch):
    path = tmp_path / "t.csv"
    pacsv.write_csv(_table(6000), path)
    early = _scan(path)
    stopped = {name for name, col in early.items() if col["evidence"].get("early_stop")}
    # clear-cut either way (half the 18-digit values failing the checksum is a clear "no");
    # 62% valid IDs sits near the pass-rate bar, and prose always reads on
    assert stopped == {"证件号码", "amount", "email", "mixed"}
    assert early["证件号码"]["evidence"]["values"] == classify.SETTLE_ROWS
    assert early["borderline"]["evidence"]["values"] == 6000 and early["comment"]["evidence"]["values"] == 6000
    monkeypatch.setattr(classify, "SETTLE_ROWS", 10**9)
    monkeypatch.setattr("scanner.pipeline.SETTLE_ROWS", 10**9)
    whole = _scan(path)
    assert not any(col["evidence"].get("early_stop") for col in whole.values())
    for name in whole:
        assert (early[name]["primary_entity"], early[name]["level"], early[name]["free_text"]) == (
            whole[name]["primary_entity"], whole[name]["level"], whole[name]["free_text"]), name
    assert early["证件号码"]["primary_entity"] == "CN_RESIDENT_ID" and early["amount"]["primary_entity"] is None


def test_small_samples_read_everything(tmp_path):
    path = tmp_path / "small.csv"
    pacsv.write_csv(_table(800), path)
    assert not any(col["evidence"].get("early_stop") for col in _scan(path).values())


def test_a_code_list_is_not_settled_by_its_first_rows():
    """Values that validate but repeat a few codes are not varied enough yet: keep reading."""
    profile = classify.ColumnProfile("code")
    codes = [g.resident_id(random.Random(i)) for i in range(3)]
    profile.update(pa.array(codes * 400))
    assert profile.evidence["CN_RESIDENT_ID"].validated == 1200
    assert not profile.settled()
