"""What differs between database backends, as one ``Dialect`` class per backend.

Everything here exists so that scanning never hurts the database scanned:
read-only transactions and a statement timeout on every session, row counts
from the catalog's statistics instead of ``COUNT(*)`` on big tables, and a
sample taken by the server (``TABLESAMPLE``, key ranges, reservoir) instead of
shipping the table. Statements are SQLAlchemy Core, so identifiers are quoted
by the dialect; the few raw statements take no identifiers or only quoted
ones.

The base class is the behaviour of a backend nobody taught piiwarden about
(SQL Server, Oracle, ...): no session settings it cannot name, an exact
count, key-range or ``rand()`` sampling, no grants. A backend's file
(``scanner/connectors/sql/<name>.py``, exposing ``DIALECT``) overrides what
it does better; nothing outside this package names a backend.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import pkgutil
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine

from scanner.connectors import scope
from scanner.connectors.base import BATCH_ROWS, SourceError, describe_error

# Seconds one statement may run (PIIWARDEN_STATEMENT_TIMEOUT overrides).
DEFAULT_STATEMENT_TIMEOUT = 300
# Seconds a statement may wait for a lock another session holds (PIIWARDEN_LOCK_TIMEOUT overrides):
# a table locked by a migration is reported as one error line, not waited on for the statement timeout.
DEFAULT_LOCK_TIMEOUT = 10
# Tables up to this many rows are read whole in sample mode (cheaper than sampling).
SMALL_TABLE_ROWS = 50_000
KEY_RANGE_CHUNKS = 20
# Catalog schemas hold the database's own bookkeeping, not anyone's personal data.
SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "pg_toast", "mysql", "performance_schema", "sys"})

EngineFactory = Callable[[], Engine]


def statement_timeout() -> int:
    """The statement timeout in seconds."""
    try:
        return max(1, int(os.environ.get("PIIWARDEN_STATEMENT_TIMEOUT", DEFAULT_STATEMENT_TIMEOUT)))
    except ValueError:
        return DEFAULT_STATEMENT_TIMEOUT


def lock_timeout() -> int:
    """Seconds a statement waits for another session's lock before the table is given up (one error line)."""
    try:
        return max(1, int(os.environ.get("PIIWARDEN_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT)))
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT


def reads_whole(rows: int | None, k: int) -> bool:
    """Whether a sample of k rows of a table of ``rows`` rows is the whole table (cheaper than sampling)."""
    return rows is not None and rows <= max(k, SMALL_TABLE_ROWS)


def error_line(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """The driver's own first line (no SQL, no parameters), value-free and with every secret blanked.

    Drivers quote the offending value (``Duplicate entry '1381234...'``,
    ``invalid input syntax ... "11010519..."``) and sometimes the connection
    string: every database error line of the connector, the policy's
    aggregates and the grant checks goes through this one function.
    """
    return describe_error(exc, secrets)


# How a masking view says piiwarden made it (its comment; MySQL keeps a registry instead): re-runs drop such
# views when the plan no longer has them, and never a view without it.
MV_COMMENT = "piiwarden mask-views: "


@dataclass
class TableInfo:
    """A table as the catalog describes it."""

    schema: str | None
    name: str
    columns: list[dict[str, Any]]  # {"name", "type" (SQLAlchemy type), "comment"}
    integer_key: str | None = None


@dataclass
class SqlTable:
    """A table as the SQL-side rules see it: how to connect and what to select from."""

    factory: EngineFactory
    dialect: str  # SQLAlchemy's dialect name; ``backend`` is the class that knows what it implies
    schema: str | None
    name: str
    columns: list[str]
    types: dict[str, Any] = field(default_factory=dict)  # column -> SQLAlchemy type
    integer_key: str | None = None  # single-column integer primary key, for key-range sampling
    secrets: tuple[str, ...] = field(default=(), repr=False)  # the URL's password(s), blanked from errors

    @property
    def backend(self) -> Dialect:
        """The dialect class for this table's backend."""
        return dialect_for(self.dialect)

    @property
    def clause(self) -> sa.TableClause:
        """The quoted table reference."""
        return sa.table(self.name, *[sa.column(c) for c in self.columns], schema=self.schema)

    @contextlib.contextmanager
    def session(self) -> Iterator[Connection]:
        """A read-only transaction with a statement timeout, ended on exit.

        Inside ``shared_engines()`` the connection goes back to this
        process's pool (the next table's transaction reuses it: no connect
        and no dialect start-up per table); outside, it is closed.
        """
        engine = self.factory()
        try:
            with engine.connect() as conn:
                self.backend.prepare_session(conn)
                yield conn
        finally:
            release(engine)

    def error_line(self, exc: BaseException) -> str:
        """A database error about this table, value-free and with the URL's secrets blanked."""
        return error_line(exc, self.secrets)


class Dialect:
    """A database backend: session safety, statistics, sampling, catalog, grants."""

    # SQLAlchemy dialect names (``engine.dialect.name``) this class serves.
    names: ClassVar[tuple[str, ...]] = ()
    # Tables live in a file the scan can fingerprint (SQLite, DuckDB), not on a server.
    file_backed: ClassVar[bool] = False
    # A key every table has when it has no integer primary key (SQLite's rowid), for key-range sampling.
    implicit_key: ClassVar[str | None] = None

    # ------------------------------------------------------ connecting ----

    def url_factory(self, url: URL) -> EngineFactory:
        """How to connect to a database URL; a backend that would create a missing file refuses here.

        A server's engine is shared by every table of the URL inside
        ``shared_engines()`` (one per process); a file's is not (the file stays closed between tables).
        """
        if self.file_backed:
            return lambda: self.create_engine(url)
        return lambda: shared_engine(url, lambda: self.create_engine(url, pooled=True),
                                     lambda: self.create_engine(url))

    def create_engine(self, url: URL, pooled: bool = False) -> Engine:
        """A pool-less engine (or one keeping a connection, ``pooled``); the driver missing is a one-line SourceError."""
        from sqlalchemy.exc import NoSuchModuleError
        from sqlalchemy.pool import NullPool, QueuePool

        pool: dict[str, Any] = {"poolclass": QueuePool, "pool_size": 1, "max_overflow": SHARED_OVERFLOW} \
            if pooled else {"poolclass": NullPool}
        try:
            return sa.create_engine(url, **pool, **self.engine_options())
        except (NoSuchModuleError, ImportError) as exc:
            raise SourceError(f"database driver not available: {_first_line(exc)}") from None

    def engine_options(self) -> dict[str, Any]:
        """create_engine keyword arguments that make the connection itself read-only where possible."""
        return {}

    def prepare_session(self, conn: Connection) -> None:
        """Read-only transaction and statement timeout for a new session (nothing the base can name)."""

    def stream_options(self) -> dict[str, Any]:
        """Execution options for a full read: a server-side cursor handing over BATCH_ROWS rows at a time."""
        return {"stream_results": True, "yield_per": BATCH_ROWS}

    # --------------------------------------------------------- catalog ----

    def catalog(self, engine: Engine, views: bool) -> list[TableInfo]:
        """Tables (and views) with their columns, through SQLAlchemy's inspector (PostgreSQL, MySQL, SQLite...)."""
        inspector = sa.inspect(engine)
        out: list[TableInfo] = []
        for schema in self.schemas(inspector, engine):
            names = list(inspector.get_table_names(schema=schema))
            if views:
                names += [v for v in inspector.get_view_names(schema=schema) if v not in names]
            out += self.schema_catalog(inspector, engine, schema, names, views)
        return out

    def schemas(self, inspector: sa.Inspector, engine: Engine) -> list[str | None]:
        """Schemas to scan: every user schema."""
        return [s for s in inspector.get_schema_names()
                if s.lower() not in SYSTEM_SCHEMAS and not s.startswith("pg_")]

    def reflected_name(self, name: str) -> str:
        """A column name as the database knows it, from the name SQLAlchemy's reflection returns."""
        return name

    def integer_key(self, inspector: sa.Inspector, table: str, schema: str | None,
                    column_types: dict[str, Any]) -> str | None:
        """The single-column integer primary key of a table, if it has one."""
        try:
            pk = inspector.get_pk_constraint(table, schema=schema).get("constrained_columns") or []
        except sa.exc.SQLAlchemyError:
            return None
        if len(pk) != 1:
            return None
        key = self.reflected_name(pk[0])
        return key if isinstance(column_types.get(key), sa.types.Integer) else None

    # ------------------------------------------------------ statistics ----

    def estimate_rows(self, conn: Connection, table: SqlTable) -> int | None:
        """Row count: from statistics where the backend keeps good ones, else exact; None on failure."""
        try:
            estimate = self.statistics_rows(conn, table)
            if estimate is not None:
                return estimate
            return int(conn.execute(sa.select(sa.func.count()).select_from(table.clause)).scalar_one())
        except sa.exc.SQLAlchemyError:
            return None

    def statistics_rows(self, conn: Connection, table: SqlTable) -> int | None:
        """The catalog's row estimate when it can stand in for COUNT(*), else None (then rows are counted)."""
        return None

    def change_counters(self, conn: Connection, table: SqlTable) -> Any:
        """The server's own modification evidence for a table (None where it keeps none)."""
        return None

    # -------------------------------------------------------- sampling ----

    def sample_statements(self, conn: Connection, table: SqlTable, k: int, rows: int | None,
                          rng: random.Random) -> list[Any]:
        """Statements whose results together are a sample of about k rows spread over the table."""
        whole = sa.select(*table_columns(table)).select_from(table.clause)
        if reads_whole(rows, k):
            return [whole]
        return self.server_sample(conn, table, k, rows, rng)

    def server_sample(self, conn: Connection, table: SqlTable, k: int, rows: int | None,
                      rng: random.Random) -> list[Any]:
        """A big table's sample: index range scans from random keys, else a server-side random filter."""
        key = table.integer_key or self.implicit_key
        if key is not None:
            return key_ranges(conn, table, key, k, rng)
        whole = sa.select(*table_columns(table)).select_from(table.clause)
        if rows:
            # No usable key: let the server filter rows at random (one scan, no sort, only k rows sent).
            return [whole.where(sa.func.rand() < min(1.0, 1.5 * k / rows)).limit(k)]
        return [whole.limit(k)]

    # ---------------------------------------------------------- grants ----

    def select_grantees(self, conn: Connection, table: SqlTable) -> list[str]:
        """Roles or accounts other than the owner that can SELECT the table (none known here)."""
        return []

    # --- masking views ---

    def effective_readers(self, conn: Connection, table: SqlTable, roles: list[str]) -> list[str]:
        """Which of the policy's ``roles:`` can SELECT the table by any path (none known here).

        ``select_grantees`` sees direct grants; a role that reads through
        PUBLIC or a role it belongs to is only found by asking the server.
        """
        return []

    # --- row removal ---
    # What ``scanner/lifecycle/removal.py`` needs to delete rows safely: a writable connection (every
    # other session is read-only), what names a row when a table has no primary key, locking inside the
    # removal's transaction, and what must happen after the commit so no deleted value survives on disk.

    def removal_engine(self, table: SqlTable) -> Engine:
        """A writable, pool-less engine for the table's database (the scan's engines are read-only)."""
        from sqlalchemy.pool import NullPool

        reader = table.factory()
        url = reader.url
        reader.dispose()
        return sa.create_engine(url, poolclass=NullPool)

    def removal_row_id(self) -> tuple[sa.ColumnElement[Any], str] | None:
        """The backend's own row identifier (expression, name) for tables without a primary key; None here."""
        return None

    def begin_removal(self, conn: Connection, table: SqlTable) -> None:
        """Session settings and locks at the start of the removal's transaction (none the base can name)."""

    def lock_rows(self, statement: sa.Select) -> sa.Select:
        """The removal's count and row reads, locking what they read where the backend can."""
        return statement

    def finish_removal(self, engine: Engine, table: SqlTable) -> None:
        """After the commit: make the deleted values unrecoverable from the database's files (servers: nothing)."""

    # --- target DDL (faithful copies) ---
    # ``anonymize --target`` asks the TARGET's dialect where a copied table goes and how to create it,
    # and the SOURCE's dialect which schema is its home (a table there lands in the target's home).

    def home_schema(self, url: URL) -> str | None:
        """The schema unqualified names mean on this backend (None: whatever the connection defaults to)."""
        return None

    def target_names(self, schema: str | None, table: str) -> tuple[str | None, str]:
        """Where a copied table goes: (schema, None for the target's home; table name)."""
        return schema, table

    def target_index_name(self, schema: str | None, name: str) -> str:
        """An index name in the target (index names are per schema on most backends)."""
        return name

    def create_target_schema(self, conn: Connection, schema: str) -> None:
        """Create a schema of the copy unless it exists."""
        conn.execute(sa.schema.CreateSchema(schema, if_not_exists=True))

    def target_type(self, kind: Any, keyed: bool) -> Any:
        """A type this backend can create for a copied column (``keyed``: in a primary key or an index)."""
        return kind

    def clear_table(self, conn: Connection, table: sa.Table) -> None:
        """Empty a target table inside the copy's transaction (``--if-exists truncate``)."""
        conn.execute(table.delete())

    def place(self, url: URL, schema: str | None, table: str) -> tuple[Any, ...]:
        """What identifies a table on its server, to refuse a target that is the source itself."""
        return (url.get_backend_name(), url.host, url.port, url.database, schema or self.home_schema(url), table)

    def foreign_keys(self, engine: Engine, schema: str | None, table: str) -> list[ForeignKey]:
        """A source table's foreign keys from SQLAlchemy's inspector; [] where the catalog has none to give.

        The referenced schema is the table's own when the inspector leaves it
        out (PostgreSQL does for a schema on the search path).
        """
        fix = self.reflected_name
        try:
            found = sa.inspect(engine).get_foreign_keys(table, schema=schema)
        except (sa.exc.SQLAlchemyError, NotImplementedError):
            return []  # a backend without foreign keys in its catalog: nothing to pass on or recreate
        out = []
        for fk in found:
            options = fk.get("options") or {}
            out.append(ForeignKey(fk.get("name") or None, [fix(c) for c in fk["constrained_columns"]],
                                  (fk.get("referred_schema") or schema, fk["referred_table"]),
                                  [fix(c) for c in fk["referred_columns"]],
                                  options.get("ondelete"), options.get("onupdate")))
        return out

    def target_foreign_keys(self) -> str | None:
        """None when foreign keys can be added to a filled copy (``ALTER TABLE ADD CONSTRAINT``); else why not.

        Constraints are added after every table of the run is written, so
        the server checks them against the copy's rows as they are and a
        table's write order does not matter.
        """
        return None

    def target_foreign_key_unfit(self, fk: ForeignKey) -> str | None:
        """Why this backend cannot recreate one source foreign key as it is; None when it can be tried.

        A backend that accepts a constraint but would enforce something else
        (another ON DELETE action) must say so here: the copy then lacks the
        constraint, with a note, rather than claim one the source did not have.
        """
        return self.target_foreign_keys()

    def target_foreign_key_name_taken(self, conn: Connection, schema: str | None, name: str) -> bool:
        """Whether a foreign key name is already used where this backend wants it unique.

        PostgreSQL names a foreign key per table, as the source did; a backend
        that names them per schema (MySQL, MariaDB) overrides this, since two
        source tables of one schema may each have one of the same name.
        """
        return False

    def target_referrers(self, conn: Connection, table: sa.Table) -> list[tuple[str | None, str, str]]:
        """(schema, table, constraint) of other tables' foreign keys that reference a table of the copy.

        ``--if-exists replace``/``truncate`` first drops the run's own
        constraints; one left after that belongs to a table the run does not
        rewrite, and emptying or dropping the referenced table would cascade
        into that table's rows, null them, or leave them orphaned. [] where
        the copy never gets foreign keys (SQLite, DuckDB) and the backend has
        no catalog to ask.
        """
        return []

    def add_target_foreign_key(self, conn: Connection, constraint: sa.ForeignKeyConstraint) -> None:
        """Add a foreign key to a filled table of the copy; the server checks the rows already there."""
        conn.execute(sa.schema.AddConstraint(constraint))

    def drop_target_foreign_key(self, conn: Connection, table: sa.Table, name: str) -> None:
        """Drop a foreign key of a table of the copy (before ``--if-exists replace``/``truncate`` rewrites it)."""
        constraint = sa.ForeignKeyConstraint([], [], name=name)
        table.append_constraint(constraint)
        conn.execute(sa.schema.DropConstraint(constraint))

    def table_shape(self, engine: Engine, schema: str | None, table: str) -> TableShape:
        """A source table's columns, primary key and indexes from SQLAlchemy's inspector."""
        inspector = sa.inspect(engine)
        fix = self.reflected_name
        columns = [{**c, "name": fix(c["name"])} for c in inspector.get_columns(table, schema=schema)]
        pk = [fix(c) for c in (inspector.get_pk_constraint(table, schema=schema).get("constrained_columns") or [])]
        indexes = []
        for ix in inspector.get_indexes(table, schema=schema):
            cols = ix.get("column_names") or []
            if cols and all(c is not None for c in cols) and ix.get("name"):  # expression indexes are left out
                indexes.append((str(ix["name"]), [fix(c) for c in cols if c is not None], bool(ix.get("unique"))))
        return TableShape(columns, pk, indexes)

    # --- catalog and streaming (scale) ---

    def schema_catalog(self, inspector: sa.Inspector, engine: Engine, schema: str | None, names: list[str],
                       views: bool) -> list[TableInfo]:
        """The listed tables of one schema, columns and keys reflected in one batch (``get_multi_*``).

        SQLAlchemy reflects a whole schema in one catalog query per kind of
        fact where the dialect can (PostgreSQL); a table the batch does not
        describe (dropped since it was listed) or a batch that fails falls
        back to reflecting that table alone, whose error is then its own.
        """
        kind = sa.engine.reflection.ObjectKind.TABLE | sa.engine.reflection.ObjectKind.VIEW \
            if views else sa.engine.reflection.ObjectKind.TABLE
        columns: dict[str, list[Any]] = {}
        keys: dict[str, Any] = {}
        try:
            columns = {key[1]: list(cols) for key, cols in inspector.get_multi_columns(schema=schema, kind=kind).items()}
            keys = {key[1]: pk for key, pk in inspector.get_multi_pk_constraint(schema=schema, kind=kind).items()}
        except sa.exc.SQLAlchemyError:
            columns, keys = {}, {}
        out = []
        for table in names:
            if table not in columns:
                out.append(self.table_info(inspector, schema, table))
                continue
            described = [{**c, "name": self.reflected_name(c["name"])} for c in columns[table]]
            types = {c["name"]: c["type"] for c in described}
            pk = [self.reflected_name(c) for c in (keys.get(table) or {}).get("constrained_columns") or []]
            key = pk[0] if len(pk) == 1 and isinstance(types.get(pk[0]), sa.types.Integer) else None
            out.append(TableInfo(schema, table, described, key))
        return out

    def table_info(self, inspector: sa.Inspector, schema: str | None, table: str) -> TableInfo:
        """One table reflected on its own; a table that cannot be described carries its error."""
        try:
            columns: list[dict[str, Any]] = [{**c, "name": self.reflected_name(c["name"])}
                                             for c in inspector.get_columns(table, schema=schema)]
        except sa.exc.SQLAlchemyError as exc:
            return TableInfo(schema, table, columns=[{"error": exc}])
        types = {c["name"]: c["type"] for c in columns}
        return TableInfo(schema, table, columns, self.integer_key(inspector, table, schema, types))

    def estimate_all(self, conn: Connection, tables: list[SqlTable]) -> list[int | None]:
        """Every table's row count (``estimate_rows``) over one session.

        A failed statement aborts a PostgreSQL transaction, so after a
        failure the session is started again for the next table.
        """
        out: list[int | None] = []
        for table in tables:
            try:
                estimate = self.statistics_rows(conn, table)
                if estimate is None:
                    estimate = int(conn.execute(sa.select(sa.func.count()).select_from(table.clause)).scalar_one())
            except sa.exc.SQLAlchemyError:
                estimate = None
                conn.rollback()
                self.prepare_session(conn)
            out.append(estimate)
        return out

    def stream_table(self, conn: Connection, table: SqlTable) -> Iterator[Any] | None:
        """The whole table as Arrow batches of text by the backend's bulk path, or None to use a server-side cursor."""
        return None


# ------------------------------------------------------------ registry ----
# SQLAlchemy dialect name -> the Dialect that knows that backend. Built-in dialects are the modules of
# this package that expose ``DIALECT``, found by listing the package's folder (a new backend is one new
# file); a backend nobody registered gets the base ``Dialect``: exact counts, generic sampling, no
# grants, which is safe everywhere. The registry sits beside the base class because ``SqlTable.backend``
# resolves through it: in a module of its own it would import this one and be imported by it.

_NOT_DIALECTS = frozenset({"base"})
_BY_NAME: dict[str, Dialect] = {}
_GENERIC = Dialect()
_state = {"loaded": False}


def register(dialect: Dialect | type[Dialect]) -> Dialect:
    """Serve the dialect's ``names`` with it (a later registration replaces an earlier one)."""
    _ensure_loaded()
    instance = dialect() if isinstance(dialect, type) else dialect
    if not instance.names:
        raise ValueError(f"{type(instance).__name__} serves no dialect names")
    for name in instance.names:
        _BY_NAME[name] = instance
    return instance


def dialect_for(name: str) -> Dialect:
    """The dialect for a SQLAlchemy dialect name (``engine.dialect.name``); the generic one if unknown."""
    _ensure_loaded()
    return _BY_NAME.get(name, _GENERIC)


def known_dialects() -> list[str]:
    """Every dialect name with a dedicated class."""
    _ensure_loaded()
    return sorted(_BY_NAME)


def _ensure_loaded() -> None:
    """Import every dialect module of this package once (listed by folder: the package imports this module)."""
    if _state["loaded"]:
        return
    _state["loaded"] = True
    package = __name__.rpartition(".")[0]
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if info.name in _NOT_DIALECTS or info.name.startswith("_"):
            continue
        dialect: Dialect = importlib.import_module(f"{package}.{info.name}").DIALECT
        for name in dialect.names:
            _BY_NAME[name] = dialect


def key_ranges(conn: Connection, table: SqlTable, key: str, k: int, rng: random.Random) -> list[sa.Select]:
    """KEY_RANGE_CHUNKS index range scans starting at random keys between MIN and MAX."""
    key_col: sa.ColumnClause[Any] = sa.column(key)
    low, high = conn.execute(sa.select(sa.func.min(key_col), sa.func.max(key_col)).select_from(table.clause)).one()
    if low is None:
        return []
    per_chunk = max(1, k // KEY_RANGE_CHUNKS)
    starts = sorted(rng.randint(int(low), int(high)) for _ in range(KEY_RANGE_CHUNKS))
    columns = table_columns(table)
    return [
        sa.select(*columns).select_from(table.clause).where(key_col >= start).order_by(key_col).limit(per_chunk)
        for start in starts
    ]


def table_columns(table: SqlTable) -> list[sa.ColumnClause[Any]]:
    """The table's columns as quoted column references."""
    return [sa.column(c) for c in table.columns]


def existing_file(url: URL) -> Path | None:
    """The database file a file-backed URL names (None for an in-memory database)."""
    return Path(url.database) if url.database not in (None, "", ":memory:") else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


@dataclass(frozen=True)
class ForeignKey:
    """A source table's foreign key, as ``anonymize`` passes rules along it and recreates it in a copy."""

    name: str | None  # the constraint's name (None: the server named it and did not say)
    columns: list[str]
    referred: tuple[str | None, str]  # (schema, table) of the referenced table, in the source
    referred_columns: list[str]
    ondelete: str | None = None  # the action as the catalog spells it (CASCADE, SET NULL, ...); None: default
    onupdate: str | None = None


@dataclass(frozen=True)
class TableShape:
    """A table's columns, primary key and indexes, as ``anonymize --target`` recreates them."""

    columns: list[dict[str, Any]]  # {"name", "type" (SQLAlchemy type), "nullable", "comment"}
    primary_key: list[str]
    indexes: list[tuple[str, list[str], bool]]  # (name, columns, unique); expression indexes left out

# ------------------------------------------------------ shared engines ----
# Connecting costs more than reading a small table (a TCP/TLS handshake, authentication, and SQLAlchemy's
# dialect start-up queries on every new engine): a crawl of a thousand tables must not pay it per table.
# Inside ``shared_engines()`` (a scan) each process keeps one engine per URL with one pooled connection;
# every table's session is its own read-only transaction on it. Engines are never shared across fork:
# a forked worker drops the inherited ones without closing their sockets (the parent still uses them)
# and opens its own; they are closed when the scope ends or the worker exits.

# Connections a process may open beyond its pooled one (a session opened while another streams).
SHARED_OVERFLOW = 4
_SHARED: dict[tuple[int, str], Engine] = {}


def shared_engine(url: URL, pooled: EngineFactory, plain: EngineFactory) -> Engine:
    """This process's engine for ``url`` inside ``shared_engines()``; a fresh pool-less one outside."""
    if not scope.active():
        return plain()
    key = (os.getpid(), url.render_as_string(hide_password=False))
    engine = _SHARED.get(key)
    if engine is None:
        engine = _SHARED[key] = pooled()
        if os.getpid() != scope.owner_pid():
            _close_at_worker_exit()
    return engine


def release(engine: Engine) -> None:
    """Done with an engine from a factory: a shared one keeps its connection, any other is closed."""
    if engine not in _SHARED.values():
        engine.dispose()


def _dispose_shared() -> None:
    """Close this process's shared engines (and forget any inherited ones without touching their sockets)."""
    pid = os.getpid()
    for key in list(_SHARED):
        engine = _SHARED.pop(key)
        engine.dispose(close=key[0] == pid)


def _forget_inherited() -> None:
    """In a forked child: the parent's engines are the parent's (SQLAlchemy's ``dispose(close=False)`` recipe)."""
    for key in list(_SHARED):
        _SHARED.pop(key).dispose(close=False)


_FINALIZER = {"registered": 0}


def _close_at_worker_exit() -> None:
    """Close a worker's own connections when the worker process ends (pool workers leave by ``os._exit``)."""
    pid = os.getpid()
    if _FINALIZER["registered"] == pid:
        return
    _FINALIZER["registered"] = pid
    import multiprocessing.util

    multiprocessing.util.Finalize(None, _dispose_shared, exitpriority=10)


scope.on_close(_dispose_shared)  # the scan's scope (scanner/connectors/scope.py) ends: close ours
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_inherited)


# ------------------------------------------------------- bulk export ----


class _ChunkReader(io.RawIOBase):
    """A read-only file over an iterator of byte chunks (a COPY stream), for Arrow's CSV reader."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def csv_batches(chunks: Iterator[bytes], columns: list[str]) -> Iterator[pa.RecordBatch]:
    """Arrow batches of text from a headerless CSV export (NULL unquoted and empty, '' quoted).

    Vectorized: Arrow splits and converts whole blocks, where a cursor makes
    a Python object per value.
    """
    import itertools

    import pyarrow.csv as pacsv

    first = next((c for c in chunks if c), None)
    if first is None:
        return  # no rows: Arrow refuses an empty file
    reader = pacsv.open_csv(
        io.BufferedReader(_ChunkReader(itertools.chain([first], chunks)), buffer_size=1 << 20),
        read_options=pacsv.ReadOptions(column_names=columns, use_threads=False, block_size=1 << 22),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in columns}, null_values=[""],
                                             strings_can_be_null=True, quoted_strings_can_be_null=False),
    )
    yield from reader
