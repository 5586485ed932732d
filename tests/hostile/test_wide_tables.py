"""Wide tables: the work per column must not grow with the number of columns.

A 40,000-column table is twenty times a 2,000-column one, so everything
between the connector and the report must take about twenty times as long,
not four hundred. The classification of one column costs the same whatever the
table's width and is replaced here by a constant-time stand-in, so what is
timed is exactly the plumbing around it: column bookkeeping in the pipeline
(sample and full pass), the policy rules, findings.json and report.html.
Both widths are timed in the same test, garbage collection off, best of
two, and only their ratio is asserted (linear ~20, quadratic ~400), so a
slow or busy machine does not make it flaky.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import scanner.pipeline as pipeline
from reports.html import write_html
from scanner.connectors.base import Dataset
from scanner.findings import finish_scan
from scanner.model import ColumnFinding
from scanner.pipeline import ScanOptions, scan_dataset
from scanner.policy.model import load_policy
from scanner.policy.rules import evaluate

NARROW, WIDE = 2_000, 40_000
# Twenty times wider: linear is ~20 (up to ~50 with cache effects), quadratic ~400. At 2,000 columns a
# quadratic step is still a small part of the time, so the wide side must be wide enough to show it.
MAX_RATIO = 80


class ConstantProfile:
    """A column profile whose every call is O(1): the classification itself is not what is measured."""

    def __init__(self, name: str, comment: str | None = None, **_: Any) -> None:
        self.name, self.stopped_early, self.recognizers = name, False, None
        self.evidence: dict[str, Any] = {}  # no validated cells: nothing for the subjects sketch to read

    @classmethod
    def from_state(cls, name: str, comment: str | None, state: dict, recognizers: Any = None) -> ConstantProfile:
        return cls(name, comment)

    def update(self, column: Any) -> None:
        pass

    def merge(self, other: ConstantProfile) -> None:
        pass

    def settled(self) -> bool:
        return True

    def state(self) -> dict:
        return {}

    def result(self) -> ColumnFinding:
        sensitive = self.name.endswith("7")
        return ColumnFinding.from_json({"name": self.name, "primary_entity": "CN_MOBILE_PHONE" if sensitive else None,
                "level": 3 if sensitive else 0, "category": "contact" if sensitive else None,
                "confidence": 0.9 if sensitive else 0.0, "entities": [], "samples_masked": [],
                "sensitive": False})


def _dataset(width: int) -> Dataset:
    names = [f"列{i}" for i in range(width)]
    column = pa.array([f"v{j}" for j in range(100)])
    batch = pa.RecordBatch.from_arrays([column] * width, names=names)
    return Dataset(id="wide.parquet", source="wide.parquet", format="parquet", open_batches=lambda: iter([batch]))


def _best_of(runs: int, fn: Callable[[], object], repeat: int = 1) -> float:
    """Seconds per call: the best of ``runs`` timings of ``repeat`` calls each (GC off while timing)."""
    best = float("inf")
    for _ in range(runs):
        gc.collect()
        gc.disable()
        try:
            started = time.perf_counter()
            for _ in range(repeat):
                fn()
            best = min(best, (time.perf_counter() - started) / repeat)
        finally:
            gc.enable()
    return best


def _stages(width: int, policy_path: Path, out: Path) -> dict[str, Callable[[], object]]:
    ds = _dataset(width)
    policy = load_policy(policy_path)
    scanned = scan_dataset(ds, ScanOptions(sample_rows=1000))
    violations = evaluate(policy, [scanned])
    findings = finish_scan(started_at="2026-03-31T00:00:00Z", as_of=dt.date(2026, 3, 31), sources=["wide"],
                           mode="sample", datasets=[scanned], violations=violations, errors=[]).to_json()
    return {
        "sample scan": lambda: scan_dataset(ds, ScanOptions(sample_rows=1000)),
        "full scan": lambda: scan_dataset(ds, ScanOptions(full=True)),
        "policy": lambda: evaluate(policy, [scanned]),
        "findings": lambda: finish_scan(started_at="2026-03-31T00:00:00Z", as_of=dt.date(2026, 3, 31),
                                        sources=["wide"], mode="sample", datasets=[scanned],
                                        violations=violations, errors=[]).to_json(),
        "report": lambda: write_html(out / f"report-{width}.html", findings, "zh"),
    }


def test_plumbing_is_linear_in_the_number_of_columns(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "ColumnProfile", ConstantProfile)
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\ndatasets:\n  - match: 'wide*'\n    purpose: test\n"
                      "    allowed_entities: [EMAIL_ADDRESS]\n", encoding="utf-8")
    narrow, wide = _stages(NARROW, policy, tmp_path), _stages(WIDE, policy, tmp_path)
    narrow["report"]()  # templates compiled once, outside the timings
    ratios = {}
    for stage in narrow:
        # The narrow table is timed over as many calls as the wide one has columns' worth of work,
        # so that both timings are long enough not to be noise.
        small = _best_of(2, narrow[stage], repeat=10)
        big = _best_of(2, wide[stage])
        ratios[stage] = big / small
    slow = {stage: round(r, 1) for stage, r in ratios.items() if r > MAX_RATIO}
    assert not slow, f"{WIDE} columns cost more than {MAX_RATIO}x {NARROW}: {slow} (all: {ratios})"


@pytest.mark.parametrize("width", [50_000])
def test_column_order_and_names_survive_a_very_wide_table(width, monkeypatch):
    monkeypatch.setattr(pipeline, "ColumnProfile", ConstantProfile)
    result = scan_dataset(_dataset(width), ScanOptions(sample_rows=10))
    assert [c.name for c in result.columns] == [f"列{i}" for i in range(width)]
