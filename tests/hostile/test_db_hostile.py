"""Hostile names and failures on the real PostgreSQL and MariaDB servers of this machine.

Tables, columns and schemas named with quotes, backticks, semicolons, ``../``,
unicode, spaces and the longest names the server allows are scanned and
anonymized (to Parquet under OUTDIR and into another database); a table that
fails (a view that raises, a table dropped after listing, a connection killed
from another session) is one error line naming that table, and the rest is
scanned. Each test creates and drops its own uniquely named databases.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from detectors.validators import is_valid_bank_card, luhn_check_digit, resident_id_check_char
from scanner.connectors.sqldb import open_database_url
from scanner.pipeline import ScanOptions, scan_dataset
from tests.dbservers import throwaway_database
from tests.hostile.harness import (
    Run,
    assert_error_line,
    assert_no_raw,
    assert_no_traceback,
    assert_only_inside,
    invoke,
    snapshot,
)

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MY_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/"
KEY = {"PIIWARDEN_KEY": "9" * 64}
ROWS = 120




def _cards(n: int) -> list[str]:
    """Luhn-valid 19-digit UnionPay-style card numbers."""
    bodies = (f"622202{i * 7919 + 1000003:012d}" for i in range(n))
    return [b + luhn_check_digit(b) for b in bodies]


def _ids(n: int) -> list[str]:
    out = []
    for i in range(n):
        body = f"110105{1960 + i % 40}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
        out.append(body + resident_id_check_char(body))
    return out


def _mobiles(n: int) -> list[str]:
    return [f"13{8 - i % 3}{(i * 7919) % 10**8:08d}" for i in range(n)]


CARDS, IDS, MOBILES = _cards(ROWS), _ids(ROWS), _mobiles(ROWS)
assert all(is_valid_bank_card(c) for c in CARDS)
RAW = CARDS[:20] + IDS[:20] + MOBILES[:20]

# Column names every server must take: (name, values)
HOSTILE_COLUMNS = {
    "mysql": ["card`no", 'id"card', "mob;ile", "../../up", "手机 号码", "c" * 64],
    "postgresql": ['card"no', "id`card", "mob;ile", "../../up", "手机 号码", "c" * 63],
}
HOSTILE_TABLES = {
    "mysql": ["t`bt", 'q"t; DROP TABLE x; --', "../../evil", "客户 表", "t" * 64],
    "postgresql": ['q"t; DROP TABLE x; --', "t`bt", "../../evil", "客户 表", "t" * 63],
}
EXPECTED = ["BANK_CARD", "CN_RESIDENT_ID", "CN_MOBILE_PHONE", None, None, None]


def _fill(engine: sa.Engine, schema: str | None, table: str, columns: list[str]) -> None:
    """A table with the hostile columns: cards, IDs, mobiles, then plain text."""
    meta = sa.MetaData()
    t = sa.Table(table, meta, sa.Column("k", sa.Integer, primary_key=True),
                 *[sa.Column(c, sa.String(40)) for c in columns], schema=schema)
    meta.create_all(engine)
    rows = [{"k": i + 1, columns[0]: CARDS[i], columns[1]: IDS[i], columns[2]: MOBILES[i],
             columns[3]: f"v{i % 5}", columns[4]: "普通", columns[5]: str(i % 3)} for i in range(ROWS)]
    with engine.begin() as conn:
        conn.execute(t.insert(), rows)


def _databases(server: str) -> Iterator[Callable[[], str]]:
    """A factory of throw-away databases on ``server``, all dropped when the test ends."""
    with contextlib.ExitStack() as stack:
        yield lambda: stack.enter_context(throwaway_database(server, "pw_dbh"))


@pytest.fixture
def pg_db() -> Iterator[Callable[[], str]]:
    yield from _databases("PostgreSQL")


@pytest.fixture
def maria_db() -> Iterator[Callable[[], str]]:
    yield from _databases("MariaDB")


def _hostile_database(url: str, dialect: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    placed = _placed(dialect)
    for schema in {s for s, _ in placed if s is not None}:
        with engine.begin() as conn:
            conn.execute(sa.schema.CreateSchema(schema))
    for schema, table in placed:
        _fill(engine, schema, table, HOSTILE_COLUMNS[dialect])
    engine.dispose()


def _placed(dialect: str) -> list[tuple[str | None, str]]:
    """(schema, table) of each hostile table: on PostgreSQL the first one lives in a hostile schema too."""
    schema = 'crm"; ../模式 x' if dialect == "postgresql" else None
    return [(schema if i == 0 else None, table) for i, table in enumerate(HOSTILE_TABLES[dialect])]


def _scan_and_check(url: str, dialect: str, tmp_path: Path) -> dict:
    out = tmp_path / "out"
    run = invoke(["scan", url, "-o", out, "--no-history", "--audit-log", tmp_path / "audit.log", "--full"])
    assert_no_traceback(run)
    assert run.code == 0, run.console[-3000:]
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert not findings["errors"]
    assert len(findings["datasets"]) == len(HOSTILE_TABLES[dialect])
    for ds in findings["datasets"]:
        assert not ds["errors"], (ds["id"], ds["errors"])
        cols = {c["name"]: c["primary_entity"] for c in ds["columns"]}
        assert list(cols) == ["k", *HOSTILE_COLUMNS[dialect]]  # names exactly as in the database
        assert [cols[c] for c in HOSTILE_COLUMNS[dialect]] == EXPECTED, ds["id"]
    assert_no_raw(RAW, run=run, roots=[out])
    return findings


def _anonymize_and_check(url: str, dialect: str, target: str, tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    out = tmp_path / "anon"
    run = invoke(["anonymize", url, "-o", out], env=KEY)
    assert_no_traceback(run)
    assert run.code == 0, run.console[-3000:]
    assert_only_inside(before, snapshot(tmp_path), ["anon", ".piiwarden"])
    files = list(out.rglob("*.parquet"))
    assert len(files) == len(HOSTILE_TABLES[dialect])
    for f in files:
        assert out.resolve() in f.resolve().parents
        table = pq.read_table(f)
        assert table.column_names == ["k", *HOSTILE_COLUMNS[dialect]]
        assert table.num_rows == ROWS
    assert_no_raw(RAW, roots=[out])

    run = invoke(["anonymize", url, "-o", tmp_path / "anon2", "--target", target], env=KEY)
    assert_no_traceback(run)
    assert run.code == 0, run.console[-3000:]
    engine = sa.create_engine(target, poolclass=sa.pool.NullPool)
    try:
        inspector = sa.inspect(engine)
        placed = _placed(dialect)  # the copy keeps each table's schema and name (issue 18)
        names = {(s, n) for s in {s for s, _ in placed} for n in inspector.get_table_names(schema=s)}
        assert set(placed) <= names, names
        quote = engine.dialect.identifier_preparer.quote
        for schema, table in placed:
            qualified = f"{quote(schema)}.{quote(table)}" if schema else quote(table)
            with engine.connect() as conn:  # not reflected: MySQL reflection doubles backticks in names
                result = conn.exec_driver_sql(f"SELECT * FROM {qualified} ORDER BY k")
                assert list(result.keys()) == ["k", *HOSTILE_COLUMNS[dialect]]
                rows = result.all()
            assert len(rows) == ROWS
            values = {v for row in rows for v in row[1:4]}
            assert not values & set(CARDS + IDS + MOBILES), table
            assert [row[4] for row in sorted(rows)] == [f"v{i % 5}" for i in range(ROWS)]  # untouched
    finally:
        engine.dispose()


def test_mariadb_hostile_names_scanned_and_anonymized(maria_db, tmp_path):
    url, target = maria_db(), maria_db()
    _hostile_database(url, "mysql")
    _scan_and_check(url, "mysql", tmp_path)
    _anonymize_and_check(url, "mysql", target, tmp_path)


def test_postgresql_hostile_names_scanned_and_anonymized(pg_db, tmp_path):
    url, target = pg_db(), pg_db()
    _hostile_database(url, "postgresql")
    findings = _scan_and_check(url, "postgresql", tmp_path)
    assert 'crm"; ../模式 x.q"t; DROP TABLE x; --' in {d["id"] for d in findings["datasets"]}
    _anonymize_and_check(url, "postgresql", target, tmp_path)


def _failing_views(engine: sa.Engine, n: int) -> list[str]:
    """Views whose reading fails with a message that quotes a raw value (``invalid input syntax ... "1381..."``)."""
    names = []
    with engine.begin() as conn:
        for i in range(n):
            name = f"v_fail_{i}"
            conn.exec_driver_sql(f"CREATE VIEW public.{name} AS SELECT CAST(concat('{MOBILES[i]}', 'x') AS int) AS v")
            names.append(f"public.{name}")
    return names


def test_pg_each_failing_table_is_its_own_line_naming_it(pg_db, tmp_path):
    url = pg_db()
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    _fill(engine, None, "good", HOSTILE_COLUMNS["postgresql"])
    failing = _failing_views(engine, 4)
    engine.dispose()
    out = tmp_path / "out"
    run = invoke(["scan", url, "-o", out, "--views", "--no-history", "--audit-log", tmp_path / "audit.log"])
    assert_no_traceback(run)
    assert run.code == 3, run.console[-3000:]
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    sources = [e["source"] for e in findings["errors"]]
    assert len(sources) == len(set(sources)) == len(failing)  # one distinct line per table
    for table in failing:
        assert_error_line(run, table, "postgresql+psycopg://postgres@127.0.0.1:5432/")
        assert any(table in s for s in sources)
    good = next(d for d in findings["datasets"] if d["id"] == "public.good")
    assert good["columns"] and not good["errors"]
    assert_no_raw(MOBILES[:4], run=run, roots=[out])


def test_table_dropped_between_listing_and_reading(maria_db):
    url = maria_db()
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    _fill(engine, None, "gone soon", HOSTILE_COLUMNS["mysql"])
    _fill(engine, None, "stays", HOSTILE_COLUMNS["mysql"])
    datasets = {d.id.split(".", 1)[1]: d for d in open_database_url(url, url)}
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE `gone soon`")
    engine.dispose()
    gone = scan_dataset(datasets["gone soon"], ScanOptions(sample_rows=50))
    assert len(gone.errors) == 1 and "\n" not in gone.errors[0] and not gone.columns
    assert "gone soon" in datasets["gone soon"].where and "mysql+pymysql://root@127.0.0.1:3306/" in datasets["gone soon"].where
    kept = scan_dataset(datasets["stays"], ScanOptions(sample_rows=50))
    assert kept.columns and not kept.errors


def _scan_while_killing(url: str, tmp_path: Path, admin_url: str, find: str, params: dict[str, str],
                        kill: str) -> Run:
    """Scan ``url`` (views included) while another connection kills every session that reads the slow view.

    Every one, until the scan ends: the scanner may touch a table more than once
    (an estimate, then the read), and the test is about the read failing.
    """
    stop = threading.Event()
    killed: list[int] = []

    def killer() -> None:
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        try:
            while not stop.is_set():
                with admin.connect() as conn:
                    for (pid,) in conn.execute(sa.text(find), params):
                        conn.exec_driver_sql(kill.format(pid=int(pid)))
                        killed.append(pid)
                time.sleep(0.1)
        finally:
            admin.dispose()

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        run = invoke(["scan", url, "-o", tmp_path / "out", "--views", "--no-history",
                      "--audit-log", tmp_path / "audit.log"])
    finally:
        stop.set()
        thread.join(10)
    assert killed, "the reading session was never seen in the process list"
    return run


def _assert_only_the_killed_view_failed(run: Run, out: Path, url_prefix: str) -> None:
    assert_no_traceback(run)
    assert run.code == 3, run.console[-3000:]
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert len(findings["errors"]) == 1
    assert_error_line(run, "slow view", url_prefix)
    good = next(d for d in findings["datasets"] if d["id"].endswith(".good"))
    assert good["columns"] and not good["errors"]
    assert_no_raw(RAW, run=run, roots=[out])


def test_mariadb_connection_killed_mid_scan(maria_db, tmp_path):
    """A session KILLed from another connection while it reads: that table fails alone."""
    url = maria_db()
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    _fill(engine, None, "good", HOSTILE_COLUMNS["mysql"])
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE VIEW `slow view` AS SELECT SLEEP(20) AS s, 'x' AS v")
    database = engine.url.database
    engine.dispose()
    run = _scan_while_killing(
        url, tmp_path, MY_ADMIN,
        "SELECT id FROM information_schema.processlist WHERE db = :d AND info LIKE :q",
        {"d": database, "q": "SELECT s, v%`slow view`%"},  # the read itself, not the catalog
        "KILL {pid}")
    _assert_only_the_killed_view_failed(run, tmp_path / "out", "mysql+pymysql://root@127.0.0.1:3306/")


def test_postgresql_backend_terminated_mid_scan(pg_db, tmp_path):
    """The server ends the backend reading a table (pg_terminate_backend, as on a restart): it fails alone."""
    url = pg_db()
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    _fill(engine, None, "good", HOSTILE_COLUMNS["postgresql"])
    with engine.begin() as conn:
        conn.exec_driver_sql("""CREATE VIEW "slow view" AS SELECT pg_sleep(20)::text AS s, 'x'::text AS v""")
    database = engine.url.database
    engine.dispose()
    run = _scan_while_killing(
        url, tmp_path, PG_ADMIN,
        # The read runs through a server-side cursor: its active statement is a FETCH, slow only on the view.
        "SELECT pid FROM pg_stat_activity WHERE datname = :d AND state = 'active' AND pid <> pg_backend_pid() "
        "AND (query LIKE :q OR (query LIKE 'FETCH%' AND now() - query_start > interval '1 second'))",
        {"d": database, "q": '%"slow view"%'},
        "SELECT pg_terminate_backend({pid})")
    _assert_only_the_killed_view_failed(run, tmp_path / "out", "postgresql+psycopg://postgres@127.0.0.1:5432/")
