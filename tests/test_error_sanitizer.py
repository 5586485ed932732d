"""One value-free error sanitizer (scanner/errors.py), checked end to end from every connector.

Raw values (an ID number, a mobile number, a password, an e-mail address)
are planted in the exceptions the libraries under each connector raise while
reading; a scan must record an error for the source and show none of the
values on stdout/stderr, in findings.json, in the report or in the audit log.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from openpyxl import Workbook
from typer.testing import CliRunner

from scanner.cli import app
from scanner.connectors.base import SourceError
from scanner.connectors.sql import dialect_for, known_dialects
from scanner.errors import ValueFreeError, describe_error, error_message, value_free
from scanner.smallfile import SmallFileError
from tests.dbservers import throwaway_database

ID = "110105199003071234"
PHONE = "13812345678"
PASSWORD = "hunter2Secret"
EMAIL = "zhang.san@example.com"
RAW = (ID, PHONE, PASSWORD, EMAIL)
PLANTED = f"bad value '{ID}' near {PHONE}; password={PASSWORD} mail {EMAIL}"



# ---------------------------------------------------------------- the sanitizer itself


def test_foreign_exception_text_loses_every_value():
    line = describe_error(ValueError(PLANTED))
    assert line.startswith("ValueError: ")
    assert not any(raw in line for raw in RAW), line


def test_driver_wrappers_and_secrets():
    class Orig(Exception):
        pass

    wrapped = sa.exc.DataError("SELECT * FROM t WHERE v = %(v)s", {"v": ID}, Orig(f"(1366) {PLANTED}"))
    line = describe_error(wrapped, secrets=("s3cr3t-not-in-pattern",))
    assert line.startswith("Orig: ") and not any(raw in line for raw in RAW) and "SELECT" not in line
    assert "***" in describe_error(RuntimeError("login failed for s3cr3t-not-in-pattern"), ("s3cr3t-not-in-pattern",))
    assert describe_error(UnicodeDecodeError("gbk", b"\x81\x00", 0, 1, "illegal")) == "cannot decode as gbk at byte 0"
    assert describe_error(OSError(1045, f"Access denied for user {PASSWORD}@'h'")).startswith("OSError: (1045)")


def test_own_messages_pass_unchanged_foreign_ones_are_cut():
    own = SourceError("cannot decode as gbk at byte 123456")  # a byte offset is not a value
    assert isinstance(own, ValueFreeError) and isinstance(SmallFileError("x"), ValueFreeError)
    assert error_message(own) == "cannot decode as gbk at byte 123456"
    assert error_message(RuntimeError("at byte 123456")) == "RuntimeError: at byte #"
    assert error_message(SourceError("first\nsecond")) == "first"
    assert len(value_free("E", "x" * 1000)) == len("E: ") + 160
    assert value_free("E", "") == "E"


# ---------------------------------------------------------------- every connector, end to end


def _raiser(exc: BaseException) -> Callable[..., Any]:
    def fail(*_args: Any, **_kwargs: Any) -> Any:
        raise exc

    return fail


def _csv(d: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (d / "a.csv").write_text("k,v\n1,x\n2,y\n", encoding="utf-8")
    mp.setattr("pyarrow.csv.open_csv", _raiser(pa.ArrowInvalid(PLANTED.replace("'", ""))))
    return [str(d)]


def _json(d: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (d / "a.json").write_text('[{"k": 1}]', encoding="utf-8")
    mp.setattr("json.load", _raiser(ValueError(PLANTED)))
    return [str(d)]


def _parquet(d: Path, mp: pytest.MonkeyPatch) -> list[str]:
    pq.write_table(pa.table({"k": ["1", "2"]}), d / "a.parquet")
    mp.setattr(pq.ParquetFile, "iter_batches", _raiser(pa.ArrowInvalid(PLANTED)))
    return [str(d)]


def _xlsx(d: Path, mp: pytest.MonkeyPatch) -> list[str]:
    book = Workbook()
    book.active.append(["k"])
    book.save(d / "a.xlsx")
    mp.setattr("scanner.connectors.xlsxfile.load_workbook", _raiser(KeyError(PLANTED)))
    return [str(d)]


def _text(d: Path, mp: pytest.MonkeyPatch) -> list[str]:
    (d / "a.txt").write_text("hello\n", encoding="utf-8")
    mp.setattr("scanner.connectors.textfile.text_lines", _raiser(OSError(5, PLANTED)))
    return [str(d)]


def _fail_sql_reads(mp: pytest.MonkeyPatch) -> None:
    """The driver fails while rows stream, quoting the value and the statement's parameters."""
    orig = Exception(f"(1366) {PLANTED}")
    planted = sa.exc.DataError(f"SELECT v FROM t WHERE v = '{ID}'", {"p": PASSWORD}, orig)
    mp.setattr(sa.engine.Result, "partitions", _raiser(planted))
    # the bulk path (PostgreSQL's COPY) streams without a Result: it fails the same way
    for name in known_dialects():
        mp.setattr(type(dialect_for(name)), "stream_table", _raiser(planted))


def _sqlite(d: Path, mp: pytest.MonkeyPatch) -> list[str]:
    with sqlite3.connect(d / "a.db") as conn:
        conn.execute("CREATE TABLE t (v TEXT)")
        conn.execute("INSERT INTO t VALUES ('x')")
    conn.close()
    _fail_sql_reads(mp)
    return [str(d / "a.db")]


@pytest.fixture
def pg_url() -> Iterator[str]:
    with throwaway_database("PostgreSQL", "pw_err") as url:
        _one_row_table(url, "text")
        yield url


@pytest.fixture
def maria_url() -> Iterator[str]:
    with throwaway_database("MariaDB", "pw_err") as url:
        _one_row_table(url, "VARCHAR(10)")
        yield url


def _one_row_table(url: str, kind: str) -> None:
    """Table ``t`` holding one harmless value: the failure the test plants is in reading it."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE t (v {kind})")
        conn.exec_driver_sql("INSERT INTO t VALUES ('x')")
    engine.dispose()


def _scan_and_check(sources: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    audit = tmp_path / "audit" / "audit.log"
    monkeypatch.setenv("PIIWARDEN_AUDIT_LOG", str(audit))
    result = CliRunner().invoke(app, ["scan", *sources, "-o", str(out), "--no-history", "--full",
                                      "--workers", "1"])
    findings_text = (out / "findings.json").read_text(encoding="utf-8")
    findings = json.loads(findings_text)
    recorded = [e["error"] for e in findings["errors"]] + [
        str(e) for ds in findings["datasets"] for e in ds["errors"]]
    assert recorded, f"the planted failure was not reached: {result.output}"
    shown = {
        "output": result.output,
        "findings.json": findings_text,
        "report.html": (out / "report.html").read_text(encoding="utf-8"),
        "audit": audit.read_text(encoding="utf-8") if audit.exists() else "",
    }
    for where, text in shown.items():
        for raw in RAW:
            assert raw not in text, f"{raw} leaked into {where}: {recorded}"


@pytest.mark.parametrize("setup", [_csv, _json, _parquet, _xlsx, _text, _sqlite],
                         ids=["csv", "json", "parquet", "xlsx", "text", "sqlite"])
def test_file_connector_errors_are_value_free(setup, tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    sources = setup(data, monkeypatch)
    _scan_and_check(sources, tmp_path, monkeypatch)


def test_postgresql_errors_are_value_free(pg_url, tmp_path, monkeypatch):
    _fail_sql_reads(monkeypatch)
    _scan_and_check([pg_url], tmp_path, monkeypatch)


def test_mariadb_errors_are_value_free(maria_url, tmp_path, monkeypatch):
    _fail_sql_reads(monkeypatch)
    _scan_and_check([maria_url], tmp_path, monkeypatch)
