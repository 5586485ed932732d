"""--incremental: unchanged datasets are reused (marked), changed or touched ones are rescanned."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner import parallel
from scanner.cli import app
from scanner.connectors.sqldb import open_database_url
from scanner.incremental import file_fingerprint, marker_column, table_fingerprint

runner = CliRunner()

POLICY = "version: 1\ndatasets:\n  - match: '*'\n    allowed_entities: [PERSON_NAME]\n"


@pytest.fixture
def counted(monkeypatch) -> list[str]:
    """Ids of the datasets that scan_dataset really profiled (timing-independent)."""
    calls: list[str] = []
    real = parallel.scan_dataset

    def counting(ds, options):
        calls.append(ds.id)
        return real(ds, options)

    monkeypatch.setattr(parallel, "scan_dataset", counting)  # where the CLI's datasets are scanned
    return calls


def _data(d: Path) -> None:
    d.mkdir(parents=True, exist_ok=True)
    (d / "a.csv").write_text("name,email\n" + "\n".join(f"u{i},u{i}@example.com" for i in range(40)), encoding="utf-8")
    (d / "b.csv").write_text("sku,qty\n" + "\n".join(f"S{i},{i}" for i in range(40)), encoding="utf-8")
    (d / "c.jsonl").write_text("\n".join(json.dumps({"ip": f"10.0.0.{i}", "n": i}) for i in range(40)),
                               encoding="utf-8")


def _scan(tmp_path: Path, *extra: str) -> dict:
    args = ["scan", str(tmp_path / "data"), "-o", str(tmp_path / "out"), "--as-of", "2026-03-31", "-q", *extra]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))


def _reused(findings: dict) -> dict[str, str | None]:
    return {d["id"]: d.get("reused_from") for d in findings["datasets"]}


def test_touched_file_is_rescanned_untouched_reused(tmp_path, counted, validate_findings):
    _data(tmp_path / "data")
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    first = _scan(tmp_path, "--incremental", "--policy", str(policy))
    assert sorted(counted) == ["a.csv", "b.csv", "c.jsonl"]  # nothing to reuse yet
    first_id = first["scan"]["id"]

    counted.clear()
    a = tmp_path / "data" / "a.csv"
    st = a.stat()
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # touch: same bytes, new mtime
    second = _scan(tmp_path, "--incremental", "--policy", str(policy))
    validate_findings(second)
    assert counted == ["a.csv"]
    assert _reused(second) == {"a.csv": None, "b.csv": first_id, "c.jsonl": first_id}
    assert second["scan"]["incremental"] == {"enabled": True, "reused": 2, "rescanned": 1,
                                             "reused_datasets": ["b.csv", "c.jsonl"]}
    # policy rules ran over the merged results: the reused c.jsonl still violates minimization
    assert {v["dataset"] for v in second["violations"] if v["rule"] == "minimization"} >= {"a.csv", "c.jsonl"}
    assert "reused" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")

    counted.clear()
    third = _scan(tmp_path, "--incremental", "--policy", str(policy))
    assert counted == []
    assert _reused(third) == {"a.csv": second["scan"]["id"], "b.csv": first_id, "c.jsonl": first_id}


def test_same_size_and_mtime_but_new_content_is_rescanned(tmp_path, counted):
    _data(tmp_path / "data")
    _scan(tmp_path)
    b = tmp_path / "data" / "b.csv"
    st = b.stat()
    b.write_bytes(b.read_bytes().replace(b"S1,", b"T1,"))
    os.utime(b, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert b.stat().st_size == st.st_size and b.stat().st_mtime_ns == st.st_mtime_ns
    counted.clear()
    findings = _scan(tmp_path, "--incremental")
    assert counted == ["b.csv"]
    assert _reused(findings)["b.csv"] is None


def test_without_flag_or_with_other_options_everything_is_rescanned(tmp_path, counted):
    _data(tmp_path / "data")
    _scan(tmp_path)
    counted.clear()
    findings = _scan(tmp_path)  # history on, --incremental off
    assert sorted(counted) == ["a.csv", "b.csv", "c.jsonl"]
    assert all(v is None for v in _reused(findings).values())
    counted.clear()
    _scan(tmp_path, "--incremental", "--sample-rows", "17")  # a different sample size is not comparable
    assert sorted(counted) == ["a.csv", "b.csv", "c.jsonl"]


def test_file_fingerprint_uses_edges_for_big_files(tmp_path, monkeypatch):
    import scanner.incremental as inc

    monkeypatch.setattr(inc, "SMALL_FILE", 64)
    monkeypatch.setattr(inc, "EDGE", 16)
    path = tmp_path / "big.bin"
    path.write_bytes(b"a" * 200)
    before = file_fingerprint(path)
    path.write_bytes(b"b" + b"a" * 199)  # first bytes differ
    assert file_fingerprint(path)["content"] != before["content"]
    path.write_bytes(b"a" * 199 + b"z")  # last bytes differ
    assert file_fingerprint(path)["content"] != before["content"]


def test_marker_column_names():
    assert marker_column(["id", "name", "updated_at"]) == "updated_at"
    assert marker_column(["id", "gmt_modified"]) == "gmt_modified"
    assert marker_column(["id", "LastModified"]) == "LastModified"
    assert marker_column(["id", "更新时间"]) == "更新时间"
    assert marker_column(["id", "created_at", "update_counter"]) is None


def test_table_fingerprint_follows_the_update_timestamp(tmp_path):
    db = tmp_path / "crm.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, updated_at TEXT)")
        conn.execute("CREATE TABLE plain (id INTEGER PRIMARY KEY, name TEXT)")
        conn.executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, f"n{i}", f"2026-01-{i + 1:02d}") for i in range(5)])
    tables = {d.id: d for d in open_database_url(f"sqlite:///{db}", f"sqlite:///{db}")}
    before = table_fingerprint(tables["t"])
    assert before == {"kind": "table", "rows": 5, "marker_column": "updated_at", "marker": "2026-01-05",
                      "counters": None}
    assert table_fingerprint(tables["plain"]) is None  # no change marker: always rescanned
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE t SET name = 'x', updated_at = '2026-02-01' WHERE id = 2")
    after = table_fingerprint({d.id: d for d in open_database_url(f"sqlite:///{db}", f"sqlite:///{db}")}["t"])
    assert after["marker"] == "2026-02-01" and after["rows"] == 5


def test_sqlite_tables_reuse_by_file_fingerprint(tmp_path, counted):
    data = tmp_path / "data"
    data.mkdir()
    db = data / "crm.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE people (name TEXT, email TEXT)")
        conn.executemany("INSERT INTO people VALUES (?, ?)", [(f"u{i}", f"u{i}@example.com") for i in range(30)])
    _scan(tmp_path)
    counted.clear()
    assert _reused(_scan(tmp_path, "--incremental"))["crm.db#people"] is not None
    assert counted == []
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE people SET email = 'v0@example.com' WHERE name = 'u0'")
    counted.clear()
    _scan(tmp_path, "--incremental")
    assert counted == ["crm.db#people"]


def test_reader_options_are_part_of_the_reuse_key():
    """A --on-bad-rows fail scan must not reuse what a skip scan read (it would hide a failing file)."""
    from scanner.connectors.common import ReadOptions
    from scanner.incremental import options_key

    default = options_key(False, 10_000)
    assert options_key(False, 10_000, ReadOptions()) == default
    assert options_key(False, 10_000, ReadOptions(on_bad_rows="fail")) != default
    assert options_key(False, 10_000, ReadOptions(max_cell_bytes=1024)) != default
