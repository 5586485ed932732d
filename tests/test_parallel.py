"""--workers N: the same findings as one worker, whatever order datasets finish in."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

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
