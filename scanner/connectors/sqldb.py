"""Database tables through SQLAlchemy: SQLite files and any ``dialect+driver://`` URL.

The scanner must never change what it scans, so SQLite is opened through a
``mode=ro`` URI (and a missing file is refused, since SQLite would otherwise
create an empty one). Tables and column comments come from the inspector, and
queries are built with SQLAlchemy Core so that identifiers are quoted by the
dialect: a table called ``a"; DROP TABLE x; --`` is read, never executed.
Nothing below the connection step is specific to SQLite, so other dialects
only need their driver installed.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from scanner.connectors.base import BATCH_ROWS, Dataset, SourceError
from scanner.connectors.common import to_text

SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
_SQLITE_MAGIC = b"SQLite format 3\x00"
# Catalog schemas hold the database's own bookkeeping, not anyone's personal data.
_SYSTEM_SCHEMAS = {"information_schema", "pg_catalog", "pg_toast", "mysql", "performance_schema", "sys"}

EngineFactory = Callable[[], Engine]


def open_sqlite_file(path: Path, ds_id: str, source: str) -> list[Dataset]:
    """Tables of a SQLite file, with ids ``<ds_id>#<table>`` (``crm.db#customers``)."""
    _check_sqlite_file(path)
    return _discover(lambda: _sqlite_engine(path), prefix=f"{ds_id}#", source=source, location=str(path))


def open_database_url(url: str, source: str) -> list[Dataset]:
    """Tables of a database URL, with ids ``schema.table`` (``table`` for SQLite).

    ``$VAR``/``${VAR}`` in the URL are expanded from the environment, which is how
    a password reaches us without being typed on a command line. ``source`` is
    recorded with any password masked.
    """
    try:
        parsed = make_url(os.path.expandvars(url))
    except (ArgumentError, ValueError):
        raise SourceError("invalid database URL") from None  # the message would echo the URL
    location = mask_url(parsed)
    source = mask_source(source)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        _check_sqlite_file(path)
        factory: EngineFactory = lambda: _sqlite_engine(path)  # noqa: E731
    else:

        def factory() -> Engine:
            try:
                return sa.create_engine(parsed, poolclass=NullPool)
            except (NoSuchModuleError, ImportError) as exc:
                raise SourceError(f"database driver not available: {_first_line(exc)}") from None

    return _discover(factory, prefix="", source=source, location=location, password=parsed.password)


def mask_url(url: str | URL) -> str:
    """The URL as it may be shown: password replaced by ``***``."""
    return (make_url(url) if isinstance(url, str) else url).render_as_string(hide_password=True)


def mask_source(source: str) -> str:
    """A URL SOURCE argument safe to record; unparsable ones keep only their scheme."""
    if "://" not in source:
        return source
    try:
        return mask_url(source)
    except (ArgumentError, ValueError):
        return source.split("://", 1)[0] + "://***"


def _check_sqlite_file(path: Path) -> None:
    if not path.is_file():
        raise SourceError("database file not found")
    with open(path, "rb") as fh:
        head = fh.read(len(_SQLITE_MAGIC))
    if head and head != _SQLITE_MAGIC:  # an empty file is a valid, empty database
        raise SourceError("not a SQLite database")


def _sqlite_engine(path: Path) -> Engine:
    """An engine whose every connection is read-only at the SQLite level."""
    uri = path.resolve().as_uri() + "?mode=ro"
    return sa.create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False),
        poolclass=NullPool,
    )


def _discover(
    factory: EngineFactory, prefix: str, source: str, location: str, password: str | None = None
) -> list[Dataset]:
    """One dataset per table; a table whose columns cannot be listed fails on its own."""
    engine = factory()
    try:
        inspector = sa.inspect(engine)
        dialect = engine.dialect.name
        datasets = []
        for schema in _schemas(inspector, engine):
            for table in inspector.get_table_names(schema=schema):
                name = table if schema is None else f"{schema}.{table}"
                datasets.append(
                    _table_dataset(
                        engine, factory, inspector, schema, table, prefix + name, source, location, password
                    )
                )
                datasets[-1].meta.update({"dialect": dialect, "schema": schema or "", "table": table})
        return datasets
    except SQLAlchemyError as exc:
        raise SourceError(_sql_message(exc, password)) from None
    finally:
        engine.dispose()


def _schemas(inspector: sa.Inspector, engine: Engine) -> list[str | None]:
    """Schemas to scan: none for SQLite; the URL's database for MySQL; else every user schema."""
    name = engine.dialect.name
    if name == "sqlite":
        return [None]
    if name in ("mysql", "mariadb") and engine.url.database:
        return [engine.url.database]
    return [
        s
        for s in inspector.get_schema_names()
        if s.lower() not in _SYSTEM_SCHEMAS and not s.startswith("pg_")
    ]


def _table_dataset(
    engine: Engine,
    factory: EngineFactory,
    inspector: sa.Inspector,
    schema: str | None,
    table: str,
    ds_id: str,
    source: str,
    location: str,
    password: str | None,
) -> Dataset:
    try:
        columns = inspector.get_columns(table, schema=schema)
    except SQLAlchemyError as exc:
        error = SourceError(_sql_message(exc, password))

        def failing() -> Iterator[pa.RecordBatch]:
            raise error

        return Dataset(id=ds_id, source=source, format="table", open_batches=failing, location=location)

    names = [c["name"] for c in columns]
    comments = {c["name"]: c["comment"] for c in columns if c.get("comment")}
    from_clause = sa.table(table, schema=schema)
    rows: int | None
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(sa.func.count()).select_from(from_clause)).scalar_one()
    except SQLAlchemyError:
        rows = None  # reading the table will report the problem

    def batches() -> Iterator[pa.RecordBatch]:
        return _read(factory, from_clause, names, password)

    return Dataset(
        id=ds_id,
        source=source,
        format="table",
        open_batches=batches,
        rows=rows,
        comments=comments,
        location=location,
    )


def _read(
    factory: EngineFactory, from_clause: sa.TableClause, names: list[str], password: str | None
) -> Iterator[pa.RecordBatch]:
    """``SELECT <columns> FROM <table>`` streamed in BATCH_ROWS chunks, every value as text."""
    schema = pa.schema([(n, pa.string()) for n in names])
    statement = sa.select(*[sa.column(n) for n in names]).select_from(from_clause)
    engine = factory()
    try:
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(statement)
            produced = False
            for part in result.partitions():
                produced = True
                yield _to_batch(part, schema)
            if not produced:
                yield pa.RecordBatch.from_pylist([], schema=schema)
    except SQLAlchemyError as exc:
        raise SourceError(_sql_message(exc, password)) from None
    finally:
        engine.dispose()


def _to_batch(rows: list[sa.Row], schema: pa.Schema) -> pa.RecordBatch:
    arrays = [pa.array([to_text(row[i]) for row in rows], type=pa.string()) for i in range(len(schema))]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _sql_message(exc: SQLAlchemyError, password: str | None) -> str:
    """The driver's own first line (no SQL, no parameters), with any password blanked."""
    orig = getattr(exc, "orig", None)
    base = orig if isinstance(orig, BaseException) else exc
    text = f"{type(base).__name__}: {_first_line(base)}"[:200]
    return text.replace(password, "***") if password else text


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""
