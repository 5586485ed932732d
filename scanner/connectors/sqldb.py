"""Database tables through SQLAlchemy: SQLite and DuckDB files, and ``dialect+driver://`` URLs.

The scanner must never change what it scans: SQLite is opened through a
``mode=ro`` URI (a missing file is refused, since SQLite would create one),
DuckDB with ``read_only``, and server databases in read-only transactions with
a statement timeout (``scanner.connectors.sql``, one class per backend).
Tables, column types and comments come from the backend's catalog; queries are SQLAlchemy Core, so identifiers are quoted by
the dialect: a table called ``a"; DROP TABLE x; --`` is read, never executed.
In sample mode the server samples (``Dataset.sample``); ``Dataset.sql`` lets
the rules run aggregates and grant checks in the database.
"""

from __future__ import annotations

import dataclasses
import os
import random
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from scanner.connectors.base import Dataset, SourceError
from scanner.connectors.common import to_text
from scanner.connectors.sql import SqlTable, dialect_for, error_line
from scanner.connectors.sql.base import Dialect, EngineFactory, TableInfo, reads_whole, release
from scanner.connectors.urls import mask_source, mask_url, url_secrets


def open_database_file(backend: str, path: Path, ds_id: str, source: str) -> list[Dataset]:
    """Tables of a database file met while crawling (SQLite, DuckDB), ids ``<ds_id>#<table>``.

    A table outside the file's default schema is ``<ds_id>#<schema>.<table>``.
    The backend's dialect opens the file read-only and refuses a missing one
    (the drivers would create it) or one of another kind.
    """
    if not path.is_file():
        raise SourceError("database file not found")
    url = URL.create(backend, database=str(path.resolve()))
    return _discover(dialect_for(backend).url_factory(url), prefix=f"{ds_id}#", source=source, location=str(path))


def open_database_url(url: str, source: str, views: bool = False) -> list[Dataset]:
    """Tables (and views, if asked) of a database URL, with ids ``schema.table`` (``table`` for SQLite).

    ``$VAR``/``${VAR}`` in the URL are expanded from the environment, which is
    how a password reaches us without being typed on a command line.
    ``source`` is recorded with any password masked.
    """
    try:
        parsed = make_url(os.path.expandvars(url))
    except (ArgumentError, ValueError):
        raise SourceError("invalid database URL") from None  # the message would echo the URL
    location = mask_url(parsed)
    source = mask_source(source)
    factory = dialect_for(parsed.get_backend_name()).url_factory(parsed)
    return _discover(factory, prefix="", source=source, location=location, secrets=url_secrets(parsed), views=views)


def _discover(factory: EngineFactory, prefix: str, source: str, location: str,
              secrets: tuple[str, ...] = (), views: bool = False) -> list[Dataset]:
    """One dataset per table (and view); a table whose columns cannot be listed fails on its own.

    The catalog is read in batches (``Dialect.catalog``) and every table's
    row estimate over one session (``Dialect.estimate_all``): a thousand
    tables cost a few queries, not a thousand connections.
    """
    engine = factory()
    try:
        dialect = engine.dialect.name
        backend = dialect_for(dialect)
        catalog = backend.catalog(engine, views)
        tables = [_sql_table(factory, dialect, info, secrets) for info in catalog]
        rows = _estimates(backend, [t for t in tables if t is not None])
        datasets = []
        for info, sql in zip(catalog, tables):
            schema, table = info.schema, info.name
            name = table if schema is None or (prefix and schema == "main") else f"{schema}.{table}"
            ds = _table_dataset(sql, info, rows, prefix + name, source, location, secrets)
            ds.meta.update({"dialect": dialect, "schema": schema or "", "table": table})
            datasets.append(ds)
        return datasets
    except SourceError:
        raise
    except Exception as exc:  # noqa: BLE001 - a driver's own error (bad option, refused login) is one line too
        raise SourceError(_sql_message(exc, secrets)) from None
    finally:
        release(engine)


def _sql_table(factory: EngineFactory, dialect: str, info: TableInfo, secrets: tuple[str, ...]) -> SqlTable | None:
    """The table as the readers and rules see it; None for a table whose columns could not be listed."""
    if info.columns and "error" in info.columns[0]:
        return None
    return SqlTable(factory=factory, dialect=dialect, schema=info.schema, name=info.name,
                    columns=[c["name"] for c in info.columns], types={c["name"]: c["type"] for c in info.columns},
                    integer_key=info.integer_key, secrets=secrets)


def _estimates(backend: Dialect, tables: list[SqlTable]) -> dict[int, int | None]:
    """Row estimates by ``id(SqlTable)``; none at all if the session cannot start (reading will say why)."""
    if not tables:
        return {}
    try:
        with tables[0].session() as conn:
            return dict(zip(map(id, tables), backend.estimate_all(conn, tables)))
    except (SQLAlchemyError, SourceError):
        return {}


def _failing(error: SourceError) -> Callable[[], Iterator[pa.RecordBatch]]:
    def fail() -> Iterator[pa.RecordBatch]:
        raise error
        yield  # pragma: no cover - makes this a generator

    return fail


def _table_dataset(sql: SqlTable | None, info: TableInfo, estimates: dict[int, int | None], ds_id: str,
                   source: str, location: str, secrets: tuple[str, ...]) -> Dataset:
    if sql is None:
        fail = _failing(SourceError(_sql_message(info.columns[0]["error"], secrets)))
        return Dataset(id=ds_id, source=source, format="table", open_batches=fail, location=location)
    table = sql
    rows = estimates.get(id(table))

    def batches() -> Iterator[pa.RecordBatch]:
        return _full(table, secrets)

    def sample(k: int) -> Iterator[pa.RecordBatch]:
        return _sample(table, k, rows, secrets, seed=zlib.crc32(ds_id.encode("utf-8")))

    def columns(wanted: list[str]) -> Iterator[pa.RecordBatch]:
        """Only the named columns (a subject search reads the identifier columns of a wide table)."""
        known = [n for n in wanted if n in table.columns]
        return _full(dataclasses.replace(table, columns=known), secrets)

    return Dataset(
        id=ds_id,
        source=source,
        format="table",
        open_batches=batches,
        rows=rows,
        comments={c["name"]: c["comment"] for c in info.columns if c.get("comment")},
        location=location,
        sample=sample,
        sql=sql,
        open_columns=columns,
    )


def _sample(sql: SqlTable, k: int, rows: int | None, secrets: tuple[str, ...], seed: int) -> Iterator[pa.RecordBatch]:
    """The server-side sample (``Dialect.sample_statements``), planned and streamed in one session."""
    schema = pa.schema([(n, pa.string()) for n in sql.columns])
    try:
        with sql.session() as conn:
            # a small table is read whole: by the bulk path where there is one (a crawl's many small tables)
            fast = sql.backend.stream_table(conn, sql) if reads_whole(rows, k) else None
            if fast is not None:
                yield from _non_empty(fast, schema)
                return
            statements = sql.backend.sample_statements(conn, sql, k, rows, random.Random(seed))
            yield from _rows(conn, sql, statements, schema)
    except SourceError:
        raise
    except Exception as exc:  # noqa: BLE001 - the driver's and Arrow's errors alike become one line
        raise SourceError(_sql_message(exc, secrets)) from None


def _full(sql: SqlTable, secrets: tuple[str, ...]) -> Iterator[pa.RecordBatch]:
    """Every row, by the backend's fastest stream (``Dialect.stream_table``: COPY on PostgreSQL)."""
    schema = pa.schema([(n, pa.string()) for n in sql.columns])
    try:
        with sql.session() as conn:
            fast = sql.backend.stream_table(conn, sql)
            if fast is not None:
                yield from _non_empty(fast, schema)
                return
            whole: Any = sa.select(*[sa.column(n) for n in sql.columns]).select_from(sql.clause)
            yield from _rows(conn, sql, [whole], schema)
    except SourceError:
        raise
    except Exception as exc:  # noqa: BLE001 - the driver's and Arrow's errors alike become one line
        raise SourceError(_sql_message(exc, secrets)) from None


def _non_empty(batches: Iterator[pa.RecordBatch], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """The batches, or one empty batch with the columns when there are none (an empty table still has columns)."""
    produced = False
    for batch in batches:
        produced = True
        yield batch
    if not produced:
        yield pa.RecordBatch.from_pylist([], schema=schema)


def _rows(conn: Connection, sql: SqlTable, statements: list[Any], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """Statements' rows through a server-side cursor, every value as text."""
    def produce() -> Iterator[pa.RecordBatch]:
        for statement in statements:
            result = conn.execution_options(**sql.backend.stream_options()).execute(statement)
            for part in result.partitions():
                yield _to_batch(part, schema)

    return _non_empty(produce(), schema)


def _to_batch(rows: Sequence[sa.Row[Any]], schema: pa.Schema) -> pa.RecordBatch:
    arrays = [pa.array([to_text(row[i]) for row in rows], type=pa.string()) for i in range(len(schema))]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _sql_message(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """The one-line, value-free, secret-free description of a database error (``sql.error_line``)."""
    return error_line(exc, secrets)
