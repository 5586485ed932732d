"""findings.json ``subjects_estimate``: distinct people in the identifier columns, sketched during the scan."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from scanner import api
from scanner.lifecycle.subjects import (
    SKETCH_STATE_KEY,
    SubjectSketches,
    counting_columns,
    sample_estimate,
    sketch_values,
)
from scanner.model import ColumnFinding
from scanner.pipeline import ScanOptions, Unit, unit_states


def _mobiles(n: int, people: int, seed: int = 7) -> list[str]:
    """``n`` valid mobiles drawn from ``people`` distinct numbers (every number used at least once)."""
    rng = np.random.default_rng(seed)
    pool = [f"13{d}{i:08d}" for d, i in zip(rng.integers(5, 10, people), rng.permutation(people))]
    picks = list(pool) + [pool[int(i)] for i in rng.integers(0, people, n - people)]
    return picks


def test_full_scan_estimate_within_two_percent_over_several_units():
    people = 30_000
    frame = pd.DataFrame({"mobile": _mobiles(80_000, people), "note": ["ok"] * 80_000})  # 3 units of 32,768
    result = api.scan_dataframe(frame, options=ScanOptions(full=True))
    assert result.column("mobile").primary_entity == "CN_MOBILE_PHONE"
    assert result.subjects_estimate is not None
    assert abs(result.subjects_estimate - people) / people < 0.02
    assert result.to_json()["subjects_estimate"] == result.subjects_estimate


def test_one_person_written_two_ways_is_one_person():
    sketch = sketch_values("CN_MOBILE_PHONE", pa.array(["138-1234-5678", "13812345678", "+86 138 1234 5678", None]))
    assert sketch.estimate() == 1


def test_units_merge_to_the_whole_column_sketch():
    """Worker processes sketch units; merged, they are the sketch of the whole column (register-wise max)."""
    values = _mobiles(6_000, 4_000)
    whole = sketch_values("CN_MOBILE_PHONE", pa.array(values))
    merged = SubjectSketches()
    for start in range(0, len(values), 2_000):
        unit = Unit(index=start // 2_000, rows=2_000, columns={"mobile": [pa.array(values[start:start + 2_000])]})
        state = unit_states(unit, {})["mobile"]
        merged.add("mobile", state[SKETCH_STATE_KEY])
    assert merged.by_column[("mobile", "CN_MOBILE_PHONE")] == whole


def test_largest_identifier_column_not_a_sum():
    """An ID and a mobile in one row are one person: columns are not added up."""
    n = 3_000
    frame = pd.DataFrame({"mobile": _mobiles(n, n), "backup": _mobiles(n, 1_000, seed=3)})
    result = api.scan_dataframe(frame, options=ScanOptions(full=True))
    assert abs(result.subjects_estimate - n) / n < 0.03


def test_sample_scan_estimates_from_the_rows_read():
    frame = pd.DataFrame({"mobile": _mobiles(20_000, 20_000)})
    result = api.scan_dataframe(frame, options=ScanOptions(sample_rows=1_000))
    assert result.rows_scanned <= 1_100
    assert result.subjects_estimate is not None and result.subjects_estimate <= result.rows_scanned * 1.03


def test_no_identifier_column_no_field():
    frame = pd.DataFrame({"city": ["北京", "上海"] * 50, "amount": list(range(100))})
    result = api.scan_dataframe(frame, options=ScanOptions(full=True))
    assert result.subjects_estimate is None
    assert "subjects_estimate" not in result.to_json()
    assert sample_estimate(None, [ColumnFinding(name="city")]) is None


@pytest.mark.parametrize("workers", [1, 2])
def test_findings_json_carries_it_and_workers_agree(tmp_path, validate_findings, workers):
    path = tmp_path / "people.csv"
    pacsv.write_csv(pa.table({"手机号": _mobiles(70_000, 25_000)}), path)
    result = api.scan([str(path)], options=ScanOptions(full=True, workers=workers))
    doc = json.loads(json.dumps(result.to_json()))
    validate_findings(doc)
    estimate = doc["datasets"][0]["subjects_estimate"]
    single = api.scan([str(path)], options=ScanOptions(full=True)).datasets[0].subjects_estimate
    assert estimate == single and abs(estimate - 25_000) / 25_000 < 0.02


@pytest.mark.parametrize(("lang", "phrase"), [("en", "people affected if this leaked: about 25,000"),
                                              ("zh", "泄露时受影响人数约 25,000 人")])
def test_report_shows_people_affected_per_dataset(tmp_path, lang, phrase):
    from reports.html import write_html

    doc = api.scan_dataframe(pd.DataFrame({"mobile": ["13812345678"] * 4}), options=ScanOptions(full=True))
    findings = {"schema_version": 1, "tool": {"name": "piiwarden", "version": "0"},
                "scan": {"id": "s", "started_at": "2026-12-01T00:00:00+00:00",
                         "finished_at": "2026-12-01T00:00:00+00:00", "as_of": "2026-12-01", "sources": ["x"],
                         "mode": "full"},
                "datasets": [{**doc.to_json(), "subjects_estimate": 25_000},
                             {**doc.to_json(), "id": "other", "subjects_estimate": None}],
                "violations": [], "errors": []}
    findings["datasets"][1].pop("subjects_estimate")
    target = tmp_path / "report.html"
    write_html(target, findings, lang)
    html = target.read_text(encoding="utf-8")
    assert phrase in html and html.count('class="muted small people"') == 1


def test_a_column_whose_type_changes_mid_stream_is_sketched_whole():
    """A connector may change a column's type between batches: each run is sketched and the runs merged."""
    unit = Unit(index=0, rows=600, columns={"mobile": [pa.array([f"1391234{i:04d}" for i in range(300)]),
                                                        pa.array([13912340000 + i for i in range(150, 450)])]})
    state = unit_states(unit, {})["mobile"]
    merged = SubjectSketches()
    merged.add("mobile", state[SKETCH_STATE_KEY])
    assert merged.by_column[("mobile", "CN_MOBILE_PHONE")].estimate() == pytest.approx(450, rel=0.02)


def test_incremental_reuse_keeps_the_estimate(tmp_path, monkeypatch):
    """A dataset reused from the history keeps the estimate of the scan that read it."""
    from typer.testing import CliRunner

    from scanner.cli import app

    monkeypatch.setenv("HOME", str(tmp_path))
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.csv").write_text("email\n" + "\n".join(f"u{i % 30}@example.com" for i in range(90)), encoding="utf-8")
    out = tmp_path / "out"
    args = ["scan", str(data), "-o", str(out), "--full", "--incremental", "-q", "--history", str(tmp_path / "h.db")]
    estimates = []
    for _ in range(2):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        ds = json.loads((out / "findings.json").read_text(encoding="utf-8"))["datasets"][0]
        estimates.append((ds.get("reused_from") is not None, ds["subjects_estimate"]))
    assert estimates == [(False, 30), (True, 30)]


def test_profile_sketcher_batches_merge_like_units():
    """The Spark path: one profile per partition, sketched batch by batch, merged on the driver."""
    from detectors.classify import ColumnProfile
    from scanner.lifecycle.subjects import ProfileSketcher

    values = _mobiles(5_000, 3_000)
    profile, sketcher = ColumnProfile("mobile"), ProfileSketcher()
    for start in range(0, len(values), 1_000):
        sketcher.update({"mobile": profile}, pa.record_batch({"mobile": pa.array(values[start:start + 1_000])}))
    state = sketcher.with_sketches("mobile", profile.state())
    driver = SubjectSketches()
    plain = driver.take("mobile", state)
    assert SKETCH_STATE_KEY not in plain and ColumnProfile.from_state("mobile", None, plain).values == 5_000
    assert driver.by_column[("mobile", "CN_MOBILE_PHONE")] == sketch_values("CN_MOBILE_PHONE", pa.array(values))


@pytest.mark.parametrize("full", [False, True])
def test_nested_cells_beside_identifiers_are_not_counted_and_break_nothing(tmp_path, full):
    """A JSON Lines export with list and record fields (tags, address objects) beside the mobile column.

    A list column found to hold an identifier (``payment.cards``) is no one value per
    person: left out of the estimate, and the scan goes on (it crashed with an Arrow cast error).
    """
    mobiles = [f"139{n:08d}" for n in range(0, 4000, 7)]
    cards = ["6222021234567890128", "4111111111111111", "5500005555555559"]
    lines = [json.dumps({"手机号": m, "payment": {"cards": [cards[i % 3]]}, "addr": {"city": "杭州", "mobile": m}},
                        ensure_ascii=False) for i, m in enumerate(mobiles)]
    (tmp_path / "users.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = api.scan([str(tmp_path / "users.jsonl")], options=ScanOptions(full=full))
    assert not result.errors
    (ds,) = result.datasets
    assert ds.subjects_estimate is not None
    assert abs(ds.subjects_estimate - len(mobiles)) <= 0.02 * len(mobiles)


def _resident_ids(n: int, seed: int = 5) -> list[str]:
    """``n`` distinct resident IDs with valid check digits."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    rng = np.random.default_rng(seed)
    out = []
    for serial in rng.permutation(n):
        body = f"110105{19600101 + int(serial) // 900:08d}{int(serial) % 900:03d}"
        body = body[:6] + "1980" + body[10:]
        check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]
        out.append(body + check)
    return out


@pytest.mark.parametrize("full", [False, True])
def test_people_are_counted_by_their_resident_id_not_their_mobiles(full):
    """Each of 2,000 people has two mobiles, one row per mobile: 2,000 people, not 4,000 numbers."""
    people = 2_000
    ids = _resident_ids(people)
    frame = pd.DataFrame({"mobile": _mobiles(2 * people, 2 * people), "身份证号": ids + ids})
    result = api.scan_dataframe(frame, options=ScanOptions(full=full, sample_rows=10_000))
    assert result.column("身份证号").primary_entity == "CN_RESIDENT_ID"
    assert abs(result.subjects_estimate - people) / people < 0.02


def test_a_mostly_empty_id_column_does_not_hide_the_mobiles():
    """A resident-ID column filled on one row in ten covers too few rows to count people by."""
    n = 3_000
    ids = _resident_ids(n // 10)
    frame = pd.DataFrame({"mobile": _mobiles(n, n), "身份证号": [ids[i // 10] if i % 10 == 0 else None for i in range(n)]})
    result = api.scan_dataframe(frame, options=ScanOptions(full=True))
    assert abs(result.subjects_estimate - n) / n < 0.03


def test_counting_columns_rule():
    ids, mobile, email = "CN_RESIDENT_ID", "CN_MOBILE_PHONE", "EMAIL_ADDRESS"
    assert counting_columns({}) == {}
    assert counting_columns({"note": {mobile: 0}}) == {}
    assert counting_columns({"id": {ids: 95}, "m": {mobile: 100}, "e": {email: 100}}) == {"id": ids}
    assert counting_columns({"id": {ids: 50}, "m": {mobile: 100}, "e": {email: 100}}) == {"m": mobile}
    assert counting_columns({"m1": {mobile: 100}, "m2": {mobile: 92}, "e": {email: 100}}) == {"m1": mobile, "m2": mobile}
    # a column stands for the identifier most of its cells validated as (18-digit IDs that pass a card checksum)
    assert counting_columns({"id": {ids: 100, "BANK_CARD": 9}}) == {"id": ids}
