"""Sample mode on big files reads a sample from random offsets, not the whole file."""

from __future__ import annotations

import builtins
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scanner.connectors import filesample
from scanner.pipeline import ScanOptions, scan_dataset
from scanner.sources import resolve_sources


class CountingFile:
    """Wraps a binary file and counts the bytes read through it."""

    total = 0

    def __init__(self, fh):
        self._fh = fh

    def readline(self, *args):
        line = self._fh.readline(*args)
        CountingFile.total += len(line)
        return line

    def read(self, *args):
        data = self._fh.read(*args)
        CountingFile.total += len(data)
        return data

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()


@pytest.fixture
def small_threshold(monkeypatch):
    monkeypatch.setattr(filesample, "SAMPLE_MIN_BYTES", 100_000)
    CountingFile.total = 0
    def counting_open(*args, **kwargs):
        return CountingFile(builtins.open(*args, **kwargs))  # noqa: SIM115 - closed by CountingFile.__exit__

    monkeypatch.setattr(filesample, "open", counting_open, raising=False)  # noqa: SIM115


def _only(path):
    datasets, errors = resolve_sources([str(path)])
    assert not errors
    return datasets[0]


def test_big_gbk_csv_is_sampled_from_offsets(tmp_path, small_threshold):
    path = tmp_path / "big.csv"
    rows = [f"{i},客户{i},139{i:08d}" for i in range(60_000)]
    path.write_bytes(("编号,备注,手机号\n" + "\n".join(rows) + "\n").encode("gbk"))
    ds = _only(path)
    assert ds.sample is not None and ds.meta["encoding"] == "gb18030"
    result = scan_dataset(ds, ScanOptions(sample_rows=2_000))
    assert 0 < result.rows_scanned <= 2_000 and result.rows is None
    assert CountingFile.total < path.stat().st_size / 5
    cols = {c.name: c.primary_entity for c in result.columns}
    assert cols == {"编号": None, "备注": None, "手机号": "CN_MOBILE_PHONE"}
    sampled = pa.Table.from_batches(list(ds.sampled_batches(2_000))).column("编号").to_pylist()
    assert min(map(int, sampled)) < 20_000 and max(map(int, sampled)) > 40_000  # spread over the file


def test_small_files_are_streamed_whole(tmp_path):
    path = tmp_path / "small.csv"
    path.write_text("a\n" + "\n".join(str(i) for i in range(100)), encoding="utf-8")
    ds = _only(path)
    assert ds.sample is None
    assert scan_dataset(ds, ScanOptions(sample_rows=50)).rows == 100


def test_big_text_and_jsonl_are_sampled(tmp_path, small_threshold):
    log = tmp_path / "app.log"
    log.write_text("\n".join(f"2026-01-01 login ok user{i}@example.com" for i in range(40_000)), encoding="utf-8")
    result = scan_dataset(_only(log), ScanOptions(sample_rows=1_000))
    assert 0 < result.rows_scanned <= 1_000 and result.columns[0].primary_entity == "EMAIL_ADDRESS"
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(json.dumps({"id": i, "user": {"mail": f"u{i}@example.com"}}) for i in range(40_000))
                      + "\n{broken\n", encoding="utf-8")
    result = scan_dataset(_only(events), ScanOptions(sample_rows=1_000))
    assert 0 < result.rows_scanned <= 1_000 and not result.errors
    assert {c.name: c.primary_entity for c in result.columns}["user.mail"] == "EMAIL_ADDRESS"


def test_parquet_reads_random_row_groups(tmp_path, small_threshold):
    path = tmp_path / "t.parquet"
    table = pa.table({"i": pa.array(range(200_000)), "mobile": pa.array([f"138{i:08d}" for i in range(200_000)])})
    pq.write_table(table, path, row_group_size=10_000)
    ds = _only(path)
    assert ds.sample is not None
    result = scan_dataset(ds, ScanOptions(sample_rows=15_000))
    assert result.rows == 200_000 and result.rows_scanned <= 15_000
