"""Full scans by units of UNIT_ROWS rows: cut inside batches, merged in order, the same for any --workers."""

from __future__ import annotations

import csv
import os
import random
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import scanner.parallel as parallel
import scanner.pipeline as pipeline
from bench import labelled as g
from scanner.connectors.base import Dataset, SourceError
from scanner.pipeline import ScanOptions, UnitReader, scan_dataset, unit_name_cap
from scanner.sources import resolve_sources

UNIT = 1000
ROWS = 3_500  # four units: 1000, 1000, 1000, 500 (all inside the CSV connector's one 10k-row batch)

fork_only = pytest.mark.skipif(not parallel.forkable(), reason="process pool needs fork")


@pytest.fixture(autouse=True)
def small_units(monkeypatch):
    monkeypatch.setattr(pipeline, "UNIT_ROWS", UNIT)


def _note(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{g.cn_name(rng)}来电咨询订单，回电{g.mobile(rng)}"
    return rng.choice(["请尽快处理", "已发货", "客户要求开发票"])


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory) -> Path:
    """IDs, mobiles, prose with names and phones, and a clean column; ROWS rows."""
    rng = random.Random(11)
    path = tmp_path_factory.mktemp("units") / "customers.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["id_card", "phone", "note", "amount"])
        for _ in range(ROWS):
            out.writerow([g.resident_id(rng), g.mobile(rng), _note(rng), g.amount(rng)])
    return path


def _dataset(path: Path) -> Dataset:
    (ds,) = resolve_sources([str(path)])[0]
    return ds


def _scan(datasets: list[Dataset], workers: int) -> list[dict]:
    outcomes = parallel.scan_many(datasets, list(range(len(datasets))), ScanOptions(full=True), workers)
    return [o.result.to_json() for o in sorted(outcomes, key=lambda o: o.index)]


def _batches(sizes: list[int], start: int = 0) -> list[pa.RecordBatch]:
    out = []
    for size in sizes:
        ids = list(range(start, start + size))
        out.append(pa.record_batch({"n": pa.array(ids, type=pa.int64()), "s": pa.array([str(i) for i in ids])}))
        start += size
    return out


def test_units_are_cut_inside_batches_and_keep_every_row_in_order():
    batches = _batches([700, 700, 0, 1500, 300])  # 3200 rows; boundaries at 1000, 2000, 3000 fall mid-batch
    batches.insert(2, pa.RecordBatch.from_pylist([], schema=pa.schema([("n", pa.int64()), ("late", pa.string())])))
    reader = UnitReader(batches)
    units = list(reader)
    assert [u.index for u in units] == [0, 1, 2, 3]
    assert [u.rows for u in units] == [1000, 1000, 1000, 200]
    assert reader.rows == 3200
    assert list(reader.names) == ["n", "s", "late"]  # a column seen only in a batch without rows still counts
    # one contiguous array per column, holding exactly the unit's rows
    for unit in units:
        assert set(unit.columns) == {"n", "s"}
        (n,) = unit.columns["n"]
        assert n.to_pylist() == list(range(unit.index * UNIT, unit.index * UNIT + unit.rows))
        assert n.offset == 0  # not a view of the connector's batch: pickles only the unit's rows


def test_name_budget_is_full_for_the_first_rows_then_a_tenth():
    assert pipeline.NAME_CAP == 1000 and pipeline.NAME_ROWS == 65_536
    assert unit_name_cap(0, 65_536) == 1000
    assert unit_name_cap(1, 65_536) == unit_name_cap(7, 65_536) == 100
    quarter = [unit_name_cap(i, 16_384) for i in range(8)]
    assert quarter == [250, 250, 250, 250, 25, 25, 25, 25]  # the same totals, shared out
    assert sum(unit_name_cap(i, 1000) for i in range(66)) == 1000  # 66,000 rows: the first 65,536 get 1000


def test_rows_scanned_and_findings_of_a_multi_unit_file(big_csv):
    result = scan_dataset(_dataset(big_csv), ScanOptions(full=True))
    assert result.errors == []
    assert result.rows == result.rows_scanned == ROWS
    by_name = {c.name: c.to_json() for c in result.columns}
    assert list(by_name) == ["id_card", "phone", "note", "amount"]
    assert by_name["id_card"]["primary_entity"] == "CN_RESIDENT_ID"
    assert by_name["phone"]["primary_entity"] == "CN_MOBILE_PHONE"
    assert by_name["amount"]["primary_entity"] is None
    assert by_name["id_card"]["evidence"]["values"] == ROWS  # every unit's counts made it into the merge
    assert "CN_MOBILE_PHONE" in {e["entity"] for e in by_name["note"]["entities"]}


@fork_only
def test_one_and_two_workers_give_identical_findings(big_csv, tmp_path, monkeypatch):
    calls = tmp_path / "calls"
    calls.mkdir()
    monkeypatch.setenv("UNIT_CALLS", str(calls))
    monkeypatch.setattr(parallel, "unit_states", recording_unit_states)
    ds = _dataset(big_csv)
    one = _scan([ds], 1)
    two = _scan([ds], 2)
    assert two == one
    # the two-worker scan really went through the pool, one task per unit
    pids = [p.name.split("-")[0] for p in calls.iterdir()]
    assert len(pids) == 4 and str(os.getpid()) not in pids


def recording_unit_states(unit: pipeline.Unit, comments: dict[str, str]) -> pipeline.UnitStates:
    """unit_states, leaving a file per call named after the process that ran it."""
    (Path(os.environ["UNIT_CALLS"]) / f"{os.getpid()}-{unit.index}").touch()
    return pipeline.unit_states(unit, comments)


def _failing(rows_before: int, error: Exception) -> Dataset:
    """A dataset whose reader dies after ``rows_before`` rows (e.g. a truncated file)."""

    def batches() -> Iterator[pa.RecordBatch]:
        yield from _batches([700] * (rows_before // 700))
        raise error

    return Dataset(id="broken.parquet", source="broken.parquet", format="parquet", open_batches=batches)


@pytest.mark.parametrize("workers", [1, pytest.param(3, marks=fork_only)])
@pytest.mark.parametrize("error", [SourceError("row group 3 is truncated"), OSError("disk gone")])
def test_an_error_mid_stream_is_that_dataset_s_only_finding(big_csv, workers, error):
    broken = _failing(2800, error)  # two units done (or in flight) when the reader fails
    found = _scan([broken, _dataset(big_csv)], workers)
    expected = "row group 3 is truncated" if isinstance(error, SourceError) else "OSError: disk gone"
    assert found[0]["errors"] == [expected]
    assert found[0]["columns"] == [] and found[0]["rows_scanned"] == 0 and found[0]["rows"] is None
    assert found[1]["errors"] == [] and found[1]["rows_scanned"] == ROWS  # the next dataset goes on


@fork_only
def test_the_pool_keeps_at_most_workers_plus_one_units_in_flight():
    rows = pa.array(range(8 * UNIT))
    filled = pc.less(pc.remainder(rows, UNIT), pc.multiply(pc.add(
        pc.divide(rows, UNIT), 1), 100))  # unit k has (k + 1) * 100 non-empty values
    # values from "1": "0" is a placeholder (an empty value) and would not be counted
    strings = pc.if_else(filled, pc.cast(pc.add(rows, 1), pa.string()), None)
    reader = UnitReader([pa.record_batch({"s": strings}).slice(i, 700) for i in range(0, 8 * UNIT, 700)])
    read = 0

    def counted() -> Iterator[pipeline.Unit]:
        nonlocal read
        for unit in reader:
            read += 1
            yield unit

    ahead, values = [], []
    with parallel.unit_pool(2) as pool:
        for merged, states in enumerate(pool.map(counted(), {}), start=1):
            ahead.append(read - merged + 1)  # units read but not yet merged, this one included
            values.append(states["s"]["values"])
    assert values == [100 * (k + 1) for k in range(8)]  # every unit back, in order
    assert max(ahead) <= 3 and max(ahead) > 1
