"""--workers N: the same findings as one worker, whatever order datasets finish in."""

from __future__ import annotations

import json
import random

import pytest
from typer.testing import CliRunner

from bench import labelled as g
from scanner.cli import app
from tests.conftest import ROOT, SHARED

DATA = SHARED / "devset" / "data" if (SHARED / "devset" / "data").is_dir() else ROOT / "sample_data"


def _scan(out, *extra):
    result = CliRunner().invoke(app, ["scan", str(DATA), "-o", str(out), "--as-of", "2026-03-31", "--no-history",
                                      *extra])
    assert result.exit_code in (0, 1), result.output
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    doc.pop("scan")
    return doc


@pytest.mark.parametrize("workers", ["2", "3"])
def test_workers_give_identical_findings(tmp_path, workers):
    one = _scan(tmp_path / "one")
    many = _scan(tmp_path / "many", "--workers", workers)
    assert [d["id"] for d in many["datasets"]] == [d["id"] for d in one["datasets"]]  # input order kept
    assert many == one


def test_workers_split_one_big_file_into_units_with_identical_findings(tmp_path, monkeypatch):
    """A full pass over one file and two workers: units in a pool, the findings of one worker."""
    import scanner.pipeline as pipeline

    monkeypatch.setattr(pipeline, "UNIT_ROWS", 1000)
    rng = random.Random(5)
    big = tmp_path / "data" / "big.csv"
    big.parent.mkdir()
    lines = ["证件号码,mobile,备注"] + [
        f"{g.resident_id(rng)},{g.mobile(rng)},{g.cn_name(rng)}说手机号是{g.mobile(rng)}" for _ in range(2_500)]
    big.write_text("\n".join(lines) + "\n", encoding="utf-8")
    runs = {}
    for workers in ("1", "2"):
        result = CliRunner().invoke(app, ["scan", str(big.parent), "--full", "-o", str(tmp_path / workers),
                                          "--no-history", "--workers", workers])
        assert result.exit_code in (0, 1), result.output
        runs[workers] = json.loads((tmp_path / workers / "findings.json").read_text(encoding="utf-8"))["datasets"]
    assert runs["2"] == runs["1"]
    (ds,) = runs["1"]
    assert ds["rows_scanned"] == ds["rows"] == 2_500 and ds["errors"] == []
    assert [c["primary_entity"] for c in ds["columns"]] == ["CN_RESIDENT_ID", "CN_MOBILE_PHONE", "CN_MOBILE_PHONE"]
