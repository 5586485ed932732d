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

import os
import random
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from scanner.connectors.base import Dataset, SourceError
from scanner.connectors.common import to_text
from scanner.connectors.sql import SqlTable, dialect_for, error_line
from scanner.connectors.sql.base import Dialect, EngineFactory, TableInfo, reads_whole, release

_ENV_REF = re.compile(r"^\$(?:\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$")
_ENV_ANY = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
# Query parameters that carry a secret (matched against the lower-cased name, "-" read as "_").
_CREDENTIAL_KEY = re.compile(
    r"pass(word|wd|phrase)?$|pwd|secret|token|api_?key|access_?key|private_?key|credential|auth_?key|sig(nature)?$"
)
_MASK = "***"


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


def is_credential_key(name: str) -> bool:
    """Whether a URL query parameter carries a secret (``password``, ``sslpassword``, ``api_key``, ``token``...).

    Drivers accept credentials in the query string as well as in the userinfo
    part, so both must be refused when typed and masked wherever shown.
    """
    return bool(_CREDENTIAL_KEY.search(name.lower().replace("-", "_")))


def literal_credentials(source: str) -> list[str]:
    """The credential fields of a URL SOURCE typed in clear rather than as ``${VAR}``.

    Passwords must not come from the command line (shell history, ``ps``):
    ``postgresql+psycopg://app:${PGPASSWORD}@db/crm`` (or ``?password=${PGPASSWORD}``)
    is the accepted form. Returns field names only, never their values.
    """
    if "://" not in source:
        return []
    try:
        parsed = make_url(source)
    except (ArgumentError, ValueError):
        return []
    found = ["password"] if parsed.password and not _ENV_REF.match(str(parsed.password)) else []
    for key, value in parsed.query.items():
        values = value if isinstance(value, tuple) else (value,)
        if is_credential_key(key) and any(v and not _ENV_REF.match(v) for v in values):
            found.append(f"?{key}")
    return found


def has_literal_password(source: str) -> bool:
    """Whether a URL SOURCE carries a typed password or credential parameter instead of ``${VAR}``."""
    return bool(literal_credentials(source))


def unset_variables(source: str) -> list[str]:
    """``$VAR``/``${VAR}`` references in a URL SOURCE whose variable is not set (names only).

    ``os.path.expandvars`` leaves an unset reference as written, which would
    then be sent to the server as the password itself.
    """
    if "://" not in source:
        return []
    names = (m.group(1) or m.group(2) for m in _ENV_ANY.finditer(source))
    return list(dict.fromkeys(n for n in names if n not in os.environ))


def credential_problem(source: str, what: str = "", typed: bool = True) -> str | None:
    """Why a URL cannot be used as given (one line, names only, never a value), or None.

    ``typed``: the URL came from the command line, where no credential may be
    written in clear. Any URL: every ``${VAR}`` it references must be set.
    """
    label = what or mask_source(source)
    literal = literal_credentials(source) if typed else []
    if literal:
        return (f"a password on the command line is refused ({label}: {', '.join(literal)}); "
                "write it as ${ENV_VAR} in the URL and export the variable")
    unset = unset_variables(source)
    if unset:
        names = ", ".join(unset)
        return f"environment variable {names} used in {label} is not set; export it or fix the URL"
    return None


def url_secrets(url: URL) -> tuple[str, ...]:
    """Every secret an (expanded) URL carries: its password and credential query values."""
    found = [str(url.password)] if url.password else []
    for key, value in url.query.items():
        if is_credential_key(key):
            found += [v for v in (value if isinstance(value, tuple) else (value,)) if v]
    return tuple(found)


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


def mask_url(url: str | URL) -> str:
    """The URL as it may be shown or stored: password and credential query values replaced by ``***``.

    The one masking function for every place a URL appears (console, findings,
    report, history, audit, error lines).
    """
    parsed = make_url(url) if isinstance(url, str) else url
    hidden = {k: _MASK for k in parsed.query if is_credential_key(k)}
    if hidden:
        parsed = parsed.update_query_dict(hidden)
    return parsed.render_as_string(hide_password=True).replace(quote_plus(_MASK), _MASK)


def mask_source(source: str) -> str:
    """A URL SOURCE argument safe to record; unparsable ones keep only their scheme."""
    if "://" not in source:
        return source
    try:
        return mask_url(source)
    except (ArgumentError, ValueError):
        return source.split("://", 1)[0] + "://***"


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
