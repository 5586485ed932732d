"""``piiwarden purge`` on CSV, Parquet and SQLite files: dry run, apply, records, kills, nothing raw."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scanner.anonymize.keys import parse_key
from scanner.lifecycle.identifiers import SubjectHasher
from scanner.lifecycle.removal import read_archive
from tests.lifecycle.purgekit import (
    AS_OF,
    CUTOFF,
    KEY_HEX,
    assert_nothing_raw,
    audit_ok,
    date_text,
    killed_purge,
    old,
    people,
    policy,
    purge,
    retention_count,
    unconfirmed,
)


@pytest.fixture
def env(tmp_path, monkeypatch):
    log = tmp_path / "state" / "audit.log"
    monkeypatch.setenv("PIIWARDEN_AUDIT_LOG", str(log))
    monkeypatch.delenv("PIIWARDEN_KEY", raising=False)
    key = tmp_path / "purge.key"
    key.write_text(KEY_HEX + "\n", encoding="utf-8")
    return {"log": log, "key": key, "policy": policy(tmp_path)}


def _csv(path: Path, rows: list[dict[str, Any]]) -> list[bytes]:
    """A UTF-8-with-BOM, CRLF CSV with quoted cells and mixed date shapes; returns its data lines as bytes."""
    lines = [f'"{r["name"]}",{r["mobile"]},{r["id_no"]},{date_text(r["last_login"], i)}\r\n'.encode()
             for i, r in enumerate(rows)]
    path.write_bytes("\ufeffname,mobile,id_no,last_login\r\n".encode() + b"".join(lines))
    return lines


def test_csv_dry_run_then_apply(tmp_path, env):
    rows = people(400)
    data = tmp_path / "data"
    data.mkdir()
    lines = _csv(data / "crm.csv", rows)
    original = (data / "crm.csv").read_bytes()
    expected = retention_count(str(data), env["policy"], tmp_path, "crm.csv")
    assert expected == len(old(rows)) > 50

    dry = purge(str(data), env["policy"])
    assert dry.exit_code == 0, dry.output
    assert f"crm.csv: would delete {expected} rows" in dry.output
    assert (data / "crm.csv").read_bytes() == original  # a dry run changes nothing

    applied = purge(str(data), env["policy"], "--apply", "--key-file", str(env["key"]), "--operator", "张审计",
                    "--archive", str(tmp_path / "hold"))
    assert applied.exit_code == 0, applied.output
    assert f"crm.csv: deleted {expected} rows" in applied.output
    kept = [line for line, r in zip(lines, rows) if r["last_login"] >= CUTOFF]
    assert (data / "crm.csv").read_bytes() == "\ufeffname,mobile,id_no,last_login\r\n".encode() + b"".join(kept)
    again = purge(str(data), env["policy"])
    assert again.exit_code == 0 and "would delete (dry run; --apply deletes) 0 rows in 0 datasets" in again.output

    records = audit_ok(env["log"])
    assert len(records) == 1
    record = records[0]["destruction"]
    assert record["rows"] == expected and record["dataset"] == "crm.csv" and record["rule"] == "retention"
    assert record["as_of"] == AS_OF.isoformat() and record["method"] == "archive+delete"
    assert record["operator"]["name"] == "张审计" and record["operator"]["os_user"]
    hasher = SubjectHasher(parse_key(KEY_HEX.encode(), "t"))
    gone, stayed = old(rows), [r for r in rows if r["last_login"] >= CUTOFF]
    assert set(record["subject_hashes"]) == set(hasher.hex_digests("CN_MOBILE_PHONE", pa.array([r["mobile"] for r in gone]))) \
        | set(hasher.hex_digests("CN_RESIDENT_ID", pa.array([r["id_no"] for r in gone])))
    assert not set(record["subject_hashes"]) & set(hasher.hex_digests("CN_MOBILE_PHONE",
                                                                      pa.array([r["mobile"] for r in stayed])))
    archives = list((tmp_path / "hold").iterdir())
    header, removed = read_archive(archives[0], parse_key(KEY_HEX.encode(), "t"))
    assert header["rows"] == expected and sorted(removed.column("mobile").to_pylist()) == \
        sorted(r["mobile"] for r in old(rows))
    assert_nothing_raw(rows, [dry.output, applied.output, again.output],
                       [*env["log"].parent.iterdir(), *archives])


def test_apply_needs_a_key_and_changes_nothing_without_one(tmp_path, env):
    data = tmp_path / "data"
    data.mkdir()
    _csv(data / "crm.csv", people(50))
    before = (data / "crm.csv").read_bytes()
    result = purge(str(data), env["policy"], "--apply")
    assert result.exit_code == 2 and "needs a key" in result.output
    assert (data / "crm.csv").read_bytes() == before


def test_parquet_rows_past_retention_go_the_rest_stays_identical(tmp_path, env):
    rows = people(300, seed=3)
    data = tmp_path / "data"
    data.mkdir()
    table = pa.table({"name": [r["name"] for r in rows], "mobile": [r["mobile"] for r in rows],
                      "id_no": [r["id_no"] for r in rows], "last_login": pa.array([r["last_login"] for r in rows]),
                      "k": pa.array([r["k"] for r in rows], pa.int32())})
    pq.write_table(table, data / "crm.parquet", compression="gzip", row_group_size=64)
    expected = retention_count(str(data), env["policy"], tmp_path, "crm.parquet")
    assert expected == len(old(rows))
    applied = purge(str(data), env["policy"], "--apply", "--key-file", str(env["key"]))
    assert applied.exit_code == 0, applied.output
    after = pq.read_table(data / "crm.parquet")
    assert after.schema == table.schema
    assert after.to_pylist() == [r for r, src in zip(table.to_pylist(), rows) if src["last_login"] >= CUTOFF]
    assert audit_ok(env["log"])[0]["destruction"]["rows"] == expected
    assert_nothing_raw(rows, [applied.output], list(env["log"].parent.iterdir()))


def _sqlite_customers(path: Path, rows: list[dict[str, Any]]) -> list[tuple]:
    """A SQLite file with the people as table ``customers``; its rows as stored, by key."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE customers (k INTEGER PRIMARY KEY, name TEXT, mobile TEXT, id_no TEXT, last_login TEXT)")
    db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?)",
                   [(r["k"], r["name"], r["mobile"], r["id_no"], r["last_login"].isoformat()) for r in rows])
    db.commit()
    before = db.execute("SELECT * FROM customers ORDER BY k").fetchall()
    db.close()
    return before


def test_sqlite_file_purged_and_removed_values_gone_from_the_bytes(tmp_path, env):
    rows = people(300, seed=5)
    data = tmp_path / "data"
    data.mkdir()
    before = _sqlite_customers(data / "crm.db", rows)
    expected = retention_count(str(data), env["policy"], tmp_path, "crm.db#customers")
    assert expected == len(old(rows))
    applied = purge(str(data), env["policy"], "--apply", "--key-file", str(env["key"]))
    assert applied.exit_code == 0, applied.output
    db = sqlite3.connect(data / "crm.db")
    after = db.execute("SELECT * FROM customers ORDER BY k").fetchall()
    db.close()
    assert after == [b for b in before if b[4] >= CUTOFF.isoformat()]
    raw = (data / "crm.db").read_bytes()
    assert not any(r["mobile"].encode() in raw for r in old(rows))
    assert all(r["mobile"].encode() in raw for r in rows if r["last_login"] >= CUTOFF)
    assert audit_ok(env["log"])[0]["destruction"]["rows"] == expected


@pytest.mark.parametrize("where", ["mid-write", "before-replace", "after-record"])
def test_killed_purge_before_the_rename_leaves_the_file_whole(tmp_path, env, where):
    """Killed before the rename: the old file, whole; at most a record without outcome, listed as unconfirmed."""
    rows = people(200, seed=11)
    data = tmp_path / "data"
    data.mkdir()
    _csv(data / "crm.csv", rows)
    original = (data / "crm.csv").read_bytes()
    proc = killed_purge(tmp_path, env, where, data)
    assert (data / "crm.csv").read_bytes() == original  # the old file, whole
    pending, exported = unconfirmed(env["log"]) if env["log"].exists() else ([], [])
    if where == "after-record":  # the record was written, the rename never happened: unconfirmed, not done
        assert len(pending) == 1 and "crm.csv" in pending[0]
        assert [(r["dataset"], r["outcome"]) for r in exported] == [("crm.csv", "unconfirmed")]
    else:
        assert pending == [] and exported == []
    # The next run clears the leftover temporary and purges normally.
    done = purge(str(data), env["policy"], "--apply", "--key-file", str(env["key"]))
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in data.iterdir()) == ["crm.csv"]
    assert audit_ok(env["log"])[-1]["destruction"]["rows"] == len(old(rows))
    assert unconfirmed(env["log"])[1][-1]["outcome"] == "done"
    assert_nothing_raw(rows, [proc.stdout.decode(), proc.stderr.decode(), done.output], [env["log"]])


def test_killed_purge_after_the_rename_left_its_record(tmp_path, env):
    """Killed right after the rename, before the outcome: the rows are gone and the record says so (unconfirmed)."""
    rows = people(200, seed=12)
    data = tmp_path / "data"
    data.mkdir()
    lines = _csv(data / "crm.csv", rows)
    proc = killed_purge(tmp_path, env, "after-commit", data)
    kept = [ln for ln, r in zip(lines, rows) if r["last_login"] >= CUTOFF]
    assert (data / "crm.csv").read_bytes() == "\ufeffname,mobile,id_no,last_login\r\n".encode() + b"".join(kept)
    pending, exported = unconfirmed(env["log"])
    assert len(pending) == 1
    assert [(r["dataset"], r["rows"], r["outcome"]) for r in exported] == [("crm.csv", str(len(old(rows))),
                                                                             "unconfirmed")]
    assert_nothing_raw(rows, [proc.stdout.decode(), proc.stderr.decode()], [env["log"]])


@pytest.mark.parametrize("where", ["after-record", "after-commit"])
def test_killed_sqlite_purge_is_all_or_nothing_and_recorded(tmp_path, env, where):
    """A database file: killed before the commit, every row stays; after it, exactly the old rows are gone.

    Either way the destruction record was written before the commit and is unconfirmed.
    """
    rows = people(150, seed=13)
    data = tmp_path / "data"
    data.mkdir()
    before = _sqlite_customers(data / "crm.db", rows)
    killed_purge(tmp_path, env, where, data)
    db = sqlite3.connect(data / "crm.db")
    after = db.execute("SELECT * FROM customers ORDER BY k").fetchall()
    db.close()
    if where == "after-record":
        assert after == before
    else:
        assert after == [b for b in before if b[4] >= CUTOFF.isoformat()]
    pending, exported = unconfirmed(env["log"])
    assert len(pending) == 1
    assert [(r["dataset"], r["outcome"]) for r in exported] == [("crm.db#customers", "unconfirmed")]


def test_a_record_the_log_refuses_at_the_commit_rolls_the_deletion_back(tmp_path, env, monkeypatch):
    """The log passed the check before the run but refuses the record itself (disk full): nothing deleted."""
    from scanner.audit import AuditLog

    data = tmp_path / "data"
    data.mkdir()
    _csv(data / "crm.csv", people(80, seed=14))
    before = (data / "crm.csv").read_bytes()

    def full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(AuditLog, "record_destruction", full)
    result = purge(str(data), env["policy"], "--apply", "--key-file", str(env["key"]))
    assert result.exit_code == 3, result.output
    assert "destruction record could not be written" in result.output and "nothing deleted" in result.output
    assert (data / "crm.csv").read_bytes() == before
    assert sorted(p.name for p in data.iterdir()) == ["crm.csv"]


def test_a_rename_that_fails_after_the_record_concludes_it_not_done(tmp_path, env, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    _csv(data / "crm.csv", people(80, seed=15))
    before = (data / "crm.csv").read_bytes()
    real = os.replace

    def refuse_target(src, dst, *args, **kwargs):
        if Path(dst) == data / "crm.csv":
            raise PermissionError(13, "Permission denied")
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", refuse_target)
    result = purge(str(data), env["policy"], "--apply", "--key-file", str(env["key"]))
    monkeypatch.setattr(os, "replace", real)
    assert result.exit_code == 3, result.output
    assert (data / "crm.csv").read_bytes() == before
    pending, exported = unconfirmed(env["log"])
    assert pending == [] and [(r["dataset"], r["outcome"]) for r in exported] == [("crm.csv", "not done")]
    outcome = [e for e in _log_entries(env["log"]) if e.get("phase") == "outcome"]
    assert [(o["outcome"], o["record_seq"]) for o in outcome] == [("not done", int(exported[0]["seq"]))]
    assert "PermissionError" in outcome[0]["reason"]


def _log_entries(log: Path) -> list[dict[str, Any]]:
    import json

    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_apply_refused_when_the_destruction_record_cannot_be_written(tmp_path, env, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    _csv(data / "crm.csv", people(60))
    before = (data / "crm.csv").read_bytes()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("PIIWARDEN_AUDIT_LOG", str(blocker / "audit.log"))
    result = purge(str(data), env["policy"], "--apply", "--key-file", str(env["key"]))
    assert result.exit_code == 2 and "audit log" in result.output
    assert (data / "crm.csv").read_bytes() == before


def test_typed_password_and_unsupported_format(tmp_path, env):
    typed = purge("postgresql+psycopg://u:hunter2@127.0.0.1/db", env["policy"])
    assert typed.exit_code == 2 and "hunter2" not in typed.output
    data = tmp_path / "data"
    data.mkdir()
    rows = people(40)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "customers"
    sheet.append(["mobile", "id_no", "last_login"])
    for r in rows:
        sheet.append([r["mobile"], r["id_no"], r["last_login"].isoformat()])
    book.create_sheet("totals").append(["=COUNTA(customers!A:A)"])  # deleting rows would leave it pointing wrong
    book.save(data / "crm.xlsx")
    before = (data / "crm.xlsx").read_bytes()
    result = purge(str(data), env["policy"], "--apply", "--key-file", str(env["key"]))
    assert result.exit_code == 3 and "crm.xlsx" in result.output and "formula" in result.output
    assert (data / "crm.xlsx").read_bytes() == before
    assert_nothing_raw(rows, [result.output], list(env["log"].parent.iterdir()))


def test_duckdb_file_purged_and_rebuilt(tmp_path, env):
    import duckdb

    rows = people(200, seed=9)
    data = tmp_path / "data"
    data.mkdir()
    con = duckdb.connect(str(data / "wh.duckdb"))
    con.execute("CREATE TABLE customers (k INTEGER, name VARCHAR, mobile VARCHAR, id_no VARCHAR, last_login DATE)")
    con.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?)",
                    [(r["k"], r["name"], r["mobile"], r["id_no"], r["last_login"]) for r in rows])
    con.close()
    dataset = "wh.duckdb#customers"
    expected = retention_count(str(data), env["policy"], tmp_path, dataset)
    assert expected == len(old(rows))
    applied = purge(str(data), env["policy"], "--apply", "--key-file", str(env["key"]))
    assert applied.exit_code == 0, applied.output
    con = duckdb.connect(str(data / "wh.duckdb"), read_only=True)
    left = con.execute("SELECT k FROM customers ORDER BY k").fetchall()
    con.close()
    assert [k for (k,) in left] == [r["k"] for r in rows if r["last_login"] >= CUTOFF]
    raw = (data / "wh.duckdb").read_bytes()
    assert not any(r["mobile"].encode() in raw for r in old(rows))
    assert any(r["mobile"].encode() in raw for r in rows if r["last_login"] >= CUTOFF)  # values are stored plain
    assert audit_ok(env["log"])[0]["destruction"]["dataset"] == dataset


def test_dry_run_with_an_unwritable_audit_log_is_an_error_line(tmp_path, env, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    _csv(data / "crm.csv", people(60))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("PIIWARDEN_AUDIT_LOG", str(blocker / "audit.log"))
    result = purge(str(data), env["policy"])
    assert result.exit_code == 3 and "cannot write the purge entry" in result.output
    assert "Traceback" not in result.output
