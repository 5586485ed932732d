"""Issue 18, scale and bad input: many tables cheaply, full reads by COPY, one error line per bad table.

On the real servers (databases named ``dbscale_*``): the crawl's catalog is
read in a number of statements that does not grow with the tables, one
connection serves a whole scan, PostgreSQL's COPY path renders every value
as the cursor path does, and a dropped table, an undecodable value, a view
that fails, or a table locked by another session cost that table one error
line (naming it and the masked URL) while the rest is scanned.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pyarrow as pa
import pytest
import sqlalchemy as sa

from scanner.api import scan
from scanner.connectors.sql.postgresql import PostgresDialect
from scanner.connectors.sqldb import open_database_url
from scanner.pipeline import ScanOptions
from tests.dbservers import PG_ADMIN, throwaway_database

MOBILES = [f"139{n:08d}" for n in range(12345678, 12345678 + 60)]


def _fill_tables(url: str, tables: int) -> None:
    """``tables`` tables t000, t001 ... of the same 60 mobiles, with a column comment."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for i in range(tables):
            conn.exec_driver_sql(f"CREATE TABLE t{i:03d} (id int primary key, mobile text, note text)")
            conn.exec_driver_sql(f"COMMENT ON COLUMN t{i:03d}.mobile IS '手机号'")
            conn.execute(sa.text(f"INSERT INTO t{i:03d} VALUES (:i, :m, 'x')"),
                         [{"i": k, "m": m} for k, m in enumerate(MOBILES)])
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()


@pytest.fixture
def pg_many() -> Iterator[str]:
    with throwaway_database("PostgreSQL", "dbscale") as url:
        _fill_tables(url, 24)
        yield url


@pytest.fixture
def pg_bad() -> Iterator[tuple[str, sa.Engine]]:
    with throwaway_database("PostgreSQL", "dbscale") as url:
        yield from _bad_pg_tables(url)


def _bad_pg_tables(url: str) -> Iterator[tuple[str, sa.Engine]]:
    """Tables a scan cannot read in the usual way: locked, BC dates, odd column types, a view that fails."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for table in ("good", "doomed", "locked"):
            conn.exec_driver_sql(f"CREATE TABLE {table} (id int primary key, mobile text)")
            conn.execute(sa.text(f"INSERT INTO {table} VALUES (:i, :m)"), [{"i": k, "m": m} for k, m in enumerate(MOBILES)])
        # psycopg cannot make a Python date of a BC date: the driver fails decoding the row (the cursor
        # path, which a jsonb column imposes); without one, COPY hands the date over as text
        conn.exec_driver_sql("CREATE TABLE old_dates (id int primary key, mobile text, born date, doc jsonb)")
        conn.exec_driver_sql("INSERT INTO old_dates VALUES (1, '13912345678', '0044-03-15 BC', '{}')")
        conn.exec_driver_sql("CREATE TABLE bc_dates (id int primary key, born date)")
        conn.exec_driver_sql("INSERT INTO bc_dates VALUES (1, '0044-03-15 BC'), (2, 'infinity')")
        conn.exec_driver_sql("CREATE TABLE odd_types (id int primary key, doc jsonb, tags text[], bits bit varying(8))")
        conn.exec_driver_sql("""INSERT INTO odd_types VALUES (1, '{"mobile": "13912345678"}', '{13912345678,x}', B'101')""")
        conn.exec_driver_sql("CREATE VIEW boom AS SELECT 1 / (id - id) AS v FROM good")
        conn.exec_driver_sql("ANALYZE")
    yield url, engine
    engine.dispose()


def _statements(engine_url: str, action) -> int:
    """Statements sent to the server while ``action`` runs (every engine's)."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001 - SQLAlchemy's signature
        if engine_url.rsplit("/", 1)[1] in str(conn.engine.url):
            seen.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)
    return len(seen)


def test_catalog_statements_do_not_grow_with_the_tables(pg_many: str):
    datasets: list = []
    statements = _statements(pg_many, lambda: datasets.extend(open_database_url(pg_many, pg_many)))
    assert len(datasets) == 24 and all(d.rows == 60 for d in datasets)
    assert datasets[0].comments == {"mobile": "手机号"} and datasets[0].sql.integer_key == "id"
    # listing, one batch per kind of fact and one session of estimates: not a few per table (was ~100 here)
    assert statements < 24 + 20


def test_one_connection_serves_a_whole_scan_and_is_closed_after_it(pg_many: str):
    connects: list[int] = []

    def on_connect(dbapi_conn, record):  # noqa: ANN001 - SQLAlchemy's signature
        connects.append(1)

    sa.event.listen(sa.pool.Pool, "connect", on_connect)
    try:
        result = scan([pg_many], options=ScanOptions(workers=1))
    finally:
        sa.event.remove(sa.pool.Pool, "connect", on_connect)
    assert len(result.datasets) == 24 and not result.errors
    assert all(c.primary_entity == "CN_MOBILE_PHONE" for d in result.datasets for c in d.columns if c.name == "mobile")
    assert len(connects) <= 2  # was several per table
    assert _sessions_left(pg_many) == 0


def _sessions_left(url: str) -> int:
    """Sessions still open on the URL's database (a fraction of a second for the server to see a closed one)."""
    probe = sa.create_engine(PG_ADMIN, poolclass=sa.pool.NullPool)
    left = -1
    for _ in range(20):
        with probe.connect() as conn:
            left = conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d"),
                                {"d": url.rsplit("/", 1)[1]}).scalar()
        if left == 0:
            break
        time.sleep(0.1)
    probe.dispose()
    return int(left)


def test_two_workers_find_the_same_as_one(pg_many: str):
    one = scan([pg_many], options=ScanOptions(workers=1))
    two = scan([pg_many], options=ScanOptions(workers=2))
    assert not two.errors
    assert _sessions_left(pg_many) == 0  # the workers closed their own connections
    assert [(d.info.id, [(c.name, c.primary_entity) for c in d.columns]) for d in one.datasets] == \
        [(d.info.id, [(c.name, c.primary_entity) for c in d.columns]) for d in two.datasets]


def test_copy_path_renders_values_as_the_cursor_does(monkeypatch: pytest.MonkeyPatch):
    with throwaway_database("PostgreSQL", "dbscale") as url:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE mixed (id int primary key, t text, v varchar(20), n numeric(10,2), f double precision, "
                "b boolean, raw bytea, ts timestamp, d date, u uuid, big bigint)")
            conn.exec_driver_sql(
                "INSERT INTO mixed VALUES "
                "(1, 'a,b \"q\"' || chr(10) || 'line', '', 1.50, 2.0, true, '\\x00ff', '2024-01-02 03:04:05.5', "
                "'2024-01-02', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 13912345678), "
                "(2, NULL, NULL, NULL, 0.1, false, NULL, '2024-01-02 03:04:05', NULL, NULL, NULL)")
            conn.exec_driver_sql("CREATE TABLE jsony (id int primary key, doc jsonb)")
            conn.exec_driver_sql("""INSERT INTO jsony VALUES (1, '{"a": 1}')""")
        engine.dispose()
        datasets = {d.id: d for d in open_database_url(url, url)}
        mixed = datasets["public.mixed"]
        with mixed.sql.session() as conn:
            assert mixed.sql.backend.stream_table(conn, mixed.sql) is not None
        with datasets["public.jsony"].sql.session() as conn:
            assert PostgresDialect().stream_table(conn, datasets["public.jsony"].sql) is None  # cursor path
        by_copy = pa.Table.from_batches(list(mixed.batches())).to_pylist()
        monkeypatch.setattr(PostgresDialect, "stream_table", lambda self, conn, table: None)
        by_cursor = pa.Table.from_batches(list(mixed.batches())).to_pylist()
        assert by_copy == by_cursor
        assert by_copy[1]["t"] is None and by_copy[0]["v"] == "" and by_copy[0]["b"] == "true"
        assert [r["doc"] for r in pa.Table.from_batches(list(datasets["public.jsony"].batches())).to_pylist()] \
            == ["{'a': 1}"]


def _errors_by_table(result) -> dict[str, str]:
    return {e.source.split(" ", 1)[0]: e.error for e in result.errors}


def test_bad_postgresql_tables_cost_one_line_each_and_the_rest_is_scanned(pg_bad, monkeypatch: pytest.MonkeyPatch):
    url, engine = pg_bad
    monkeypatch.setenv("PIIWARDEN_LOCK_TIMEOUT", "1")
    holder = engine.connect()
    holder.exec_driver_sql("BEGIN")
    holder.exec_driver_sql("LOCK TABLE locked IN ACCESS EXCLUSIVE MODE")  # a migration in progress

    def drop_after_listing(event) -> None:  # noqa: ANN001 - a ScanEvent
        if event.kind == "start":
            with engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE doomed")

    try:
        started = time.perf_counter()
        for full in (False, True):
            result = scan([url], options=ScanOptions(full=full), views=True, progress=drop_after_listing)
            errors = _errors_by_table(result)
            assert set(errors) == {"public.doomed", "public.locked", "public.boom", "public.old_dates"}, errors
            assert all(e.source.endswith(f"({url})") for e in result.errors)
            assert "lock" in errors["public.locked"]
            assert "13912345678" not in str(errors) and "0044" not in str(errors)
            assert all(len(e.splitlines()) == 1 for e in errors.values())
            scanned = {d.info.id: d for d in result.datasets if not d.errors}
            assert {"public.good", "public.odd_types", "public.bc_dates"} <= set(scanned)
            assert scanned["public.bc_dates"].rows_scanned == 2
            assert [c.primary_entity for c in scanned["public.good"].columns if c.name == "mobile"] == ["CN_MOBILE_PHONE"]
            with engine.begin() as conn:
                conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS doomed (id int primary key)")
        assert time.perf_counter() - started < 60  # the lock costs the lock timeout, not a hang
    finally:
        holder.exec_driver_sql("ROLLBACK")
        holder.close()


@pytest.fixture
def maria_bad() -> Iterator[tuple[str, sa.Engine]]:
    with throwaway_database("MariaDB", "dbscale") as url:
        yield from _bad_tables(url)


def _bad_tables(url: str) -> Iterator[tuple[str, sa.Engine]]:
    """Tables a scan cannot read in the usual way: locked, a view over a dropped table, odd column types."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for table in ("good", "doomed", "locked", "gone"):
            conn.exec_driver_sql(f"CREATE TABLE {table} (id INT PRIMARY KEY, mobile VARCHAR(20))")
            conn.execute(sa.text(f"INSERT INTO {table} VALUES (:i, :m)"), [{"i": k, "m": m} for k, m in enumerate(MOBILES)])
        conn.exec_driver_sql("CREATE TABLE odd_types (id INT PRIMARY KEY, flags BIT(8), doc JSON, shape GEOMETRY)")
        conn.exec_driver_sql("""INSERT INTO odd_types VALUES (1, b'101', '{"mobile": "13912345678"}', POINT(1, 2))""")
        conn.exec_driver_sql("CREATE VIEW broken AS SELECT mobile FROM gone")
        conn.exec_driver_sql("DROP TABLE gone")  # the view now fails when read
    yield url, engine
    engine.dispose()


def test_bad_mariadb_tables_cost_one_line_each_and_the_rest_is_scanned(maria_bad, monkeypatch: pytest.MonkeyPatch):
    url, engine = maria_bad
    monkeypatch.setenv("PIIWARDEN_LOCK_TIMEOUT", "1")
    holder = engine.connect()
    holder.exec_driver_sql("LOCK TABLES locked WRITE")
    release = threading.Timer(30, holder.invalidate)  # never leave the lock behind, whatever fails
    release.start()

    def drop_after_listing(event) -> None:  # noqa: ANN001 - a ScanEvent
        if event.kind == "start":
            with engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE doomed")

    try:
        started = time.perf_counter()
        result = scan([url], options=ScanOptions(), views=True, progress=drop_after_listing)
        elapsed = time.perf_counter() - started
        errors = _errors_by_table(result)
        masked = url.split("?", 1)[0]
        assert {f"{masked.rsplit('/', 1)[1]}.{t}" for t in ("doomed", "locked", "broken")} == set(errors), errors
        assert all(masked in e.source for e in result.errors)
        assert "13912345678" not in str(errors)
        scanned = {d.info.id.rsplit(".", 1)[1]: d for d in result.datasets if not d.errors}
        assert {"good", "odd_types"} <= set(scanned)
        assert {c.name for c in scanned["odd_types"].columns} == {"id", "flags", "doc", "shape"}
        assert elapsed < 30
    finally:
        release.cancel()
        holder.exec_driver_sql("UNLOCK TABLES")
        holder.close()


def _described(info) -> list[tuple[str, str, bool, str | None]]:  # noqa: ANN001 - a TableInfo
    return [(c["name"], repr(c["type"]), bool(c.get("nullable", True)), c.get("comment") or None) for c in info.columns]


def test_batched_mariadb_catalog_describes_tables_as_reflection_does():
    from scanner.connectors.sql import dialect_for

    with throwaway_database("MariaDB", "dbscale") as url:
        name = sa.make_url(url).database
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(
                    "CREATE TABLE `odd``name` (id INT UNSIGNED PRIMARY KEY COMMENT '编号', `card``no` VARCHAR(19) NOT NULL, "
                    "amount DECIMAL(10,2), ratio DOUBLE, flags BIT(8), kind ENUM('a','b''c'), born DATE, seen DATETIME(3), "
                    "doc JSON, note TEXT COMMENT 'it''s free text')")
                for i in range(12):
                    conn.exec_driver_sql(f"CREATE TABLE t{i:02d} (id BIGINT PRIMARY KEY, mobile VARCHAR(20) COMMENT '手机号')")
            backend = dialect_for("mysql")
            inspector = sa.inspect(engine)
            names = inspector.get_table_names(schema=name)
            batched = {i.name: i for i in backend.schema_catalog(inspector, engine, name, names, False)}
            single = {t: backend.table_info(sa.inspect(engine), name, t) for t in names}
            assert set(batched) == set(single) == {"odd`name", *[f"t{i:02d}" for i in range(12)]}
            for table in names:
                assert _described(batched[table]) == _described(single[table]), table
                assert batched[table].integer_key == single[table].integer_key
            assert batched["t03"].integer_key == "id" and batched["odd`name"].integer_key == "id"
            statements = _statements(url.split("?", 1)[0], lambda: open_database_url(url, url))
            assert statements < 20  # was a SHOW CREATE TABLE (and more) per table
        finally:
            engine.dispose()


def test_batched_postgresql_catalog_describes_tables_as_reflection_does(pg_bad):
    from scanner.connectors.sql import dialect_for

    url, engine = pg_bad
    backend = dialect_for("postgresql")
    inspector = sa.inspect(engine)
    names = inspector.get_table_names(schema="public") + inspector.get_view_names(schema="public")
    batched = {i.name: i for i in backend.schema_catalog(inspector, engine, "public", names, True)}
    for table in names:
        single = backend.table_info(sa.inspect(engine), "public", table)
        assert _described(batched[table]) == _described(single), table
        assert batched[table].integer_key == single.integer_key
    assert "boom" in batched and batched["good"].integer_key == "id"


def test_a_reused_connection_is_read_only_with_timeouts_in_every_session(pg_many: str, monkeypatch: pytest.MonkeyPatch):
    from scanner.connectors.sql import shared_engines

    monkeypatch.setenv("PIIWARDEN_LOCK_TIMEOUT", "7")
    with shared_engines():
        ds = open_database_url(pg_many, pg_many)[0]
        backends = set()
        for _ in range(2):  # the second session runs on the pooled connection the first gave back
            with ds.sql.session() as conn:
                backends.add(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar())
                assert conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"
                assert conn.exec_driver_sql("SHOW lock_timeout").scalar() == "7s"
                with pytest.raises(sa.exc.InternalError, match="read-only"):
                    conn.exec_driver_sql("CREATE TABLE written (a int)")
        assert len(backends) == 1
