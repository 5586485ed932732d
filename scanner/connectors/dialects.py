"""What differs between database backends: session safety, statistics, sampling, grants.

Everything here exists so that scanning never hurts the database scanned:
read-only transactions and a statement timeout on every session, row counts
from the catalog's statistics instead of ``COUNT(*)`` on big tables, and a
sample taken by the server (``TABLESAMPLE``, key ranges, reservoir) instead of
shipping the table. Statements are SQLAlchemy Core, so identifiers are quoted
by the dialect; the few raw statements take no identifiers or only quoted
ones.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from scanner.connectors.base import describe_error

log = logging.getLogger(__name__)

# Seconds one statement may run (PIIWARDEN_STATEMENT_TIMEOUT overrides).
DEFAULT_STATEMENT_TIMEOUT = 300
# Tables up to this many rows are read whole in sample mode (cheaper than sampling).
SMALL_TABLE_ROWS = 50_000
KEY_RANGE_CHUNKS = 20


def statement_timeout() -> int:
    """The statement timeout in seconds."""
    try:
        return max(1, int(os.environ.get("PIIWARDEN_STATEMENT_TIMEOUT", DEFAULT_STATEMENT_TIMEOUT)))
    except ValueError:
        return DEFAULT_STATEMENT_TIMEOUT


@dataclass
class SqlTable:
    """A table as the SQL-side rules see it: how to connect and what to select from."""

    factory: object  # () -> Engine
    dialect: str
    schema: str | None
    name: str
    columns: list[str]
    types: dict[str, object] = field(default_factory=dict)  # column -> SQLAlchemy type
    integer_key: str | None = None  # single-column integer primary key, for key-range sampling
    secrets: tuple[str, ...] = field(default=(), repr=False)  # the URL's password(s), blanked from errors

    @property
    def clause(self) -> sa.TableClause:
        """The quoted table reference."""
        return sa.table(self.name, *[sa.column(c) for c in self.columns], schema=self.schema)

    @contextlib.contextmanager
    def session(self) -> Iterator[Connection]:
        """A read-only session with a statement timeout, closed on exit."""
        engine: Engine = self.factory()  # type: ignore[operator]
        try:
            with engine.connect() as conn:
                prepare_session(conn, self.dialect)
                yield conn
        finally:
            engine.dispose()


def error_line(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """The driver's own first line (no SQL, no parameters), value-free and with every secret blanked.

    Drivers quote the offending value (``Duplicate entry '1381234...'``,
    ``invalid input syntax ... "11010519..."``) and sometimes the connection
    string: the line goes through the same sanitizer as every reader error.
    """
    return describe_error(exc, secrets)


def is_mariadb(conn: Connection) -> bool:
    return bool(getattr(conn.dialect, "is_mariadb", False)) or conn.dialect.name == "mariadb"


def prepare_session(conn: Connection, dialect: str) -> None:
    """Read-only transaction and statement timeout for this session, per backend."""
    seconds = statement_timeout()
    if dialect == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(seconds) * 1000}")
    elif dialect in ("mysql", "mariadb"):
        conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
        if is_mariadb(conn):
            conn.exec_driver_sql(f"SET SESSION max_statement_time = {int(seconds)}")
        else:
            conn.exec_driver_sql(f"SET SESSION MAX_EXECUTION_TIME = {int(seconds) * 1000}")
    # sqlite: opened with mode=ro; duckdb: opened with read_only=True


def engine_options(dialect: str) -> dict:
    """create_engine keyword arguments that make the connection itself read-only where possible."""
    if dialect == "duckdb":
        return {"connect_args": {"read_only": True}}
    return {}


def estimate_rows(conn: Connection, table: SqlTable) -> int | None:
    """Row count from statistics where counting is expensive; exact COUNT(*) for small backends."""
    try:
        if table.dialect == "postgresql":
            n = conn.execute(
                sa.text(
                    "SELECT c.reltuples::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = :s AND c.relname = :t"
                ),
                {"s": table.schema or "public", "t": table.name},
            ).scalar()
            if n is not None and n >= 0 and not (n == 0 and _has_rows(conn, table)):
                return int(n)
        elif table.dialect in ("mysql", "mariadb"):
            n = conn.execute(
                sa.text("SELECT table_rows FROM information_schema.tables WHERE table_schema = :s AND table_name = :t"),
                {"s": table.schema, "t": table.name},
            ).scalar()
            if n is not None and n > SMALL_TABLE_ROWS:
                return int(n)  # InnoDB's estimate; exact below, where counting is cheap
        return int(conn.execute(sa.select(sa.func.count()).select_from(table.clause)).scalar_one())
    except sa.exc.SQLAlchemyError:
        return None


def _has_rows(conn: Connection, table: SqlTable) -> bool:
    """Whether a table PostgreSQL has never analyzed holds anything (reltuples 0 or -1 lies then)."""
    return conn.execute(sa.select(sa.literal(1)).select_from(table.clause).limit(1)).first() is not None


def sample_statements(conn: Connection, table: SqlTable, k: int, rows: int | None,
                      rng: random.Random) -> list[sa.Select | sa.TextClause]:
    """Statements whose results together are a sample of about k rows spread over the table."""
    columns = [sa.column(c) for c in table.columns]
    whole = sa.select(*columns).select_from(table.clause)
    if rows is not None and rows <= max(k, SMALL_TABLE_ROWS):
        return [whole]
    if table.dialect == "postgresql" and rows:
        percent = min(100.0, 100.0 * k * 1.5 / rows)
        sampled = sa.tablesample(table.clause, sa.func.system(percent))
        return [sa.select(*[sampled.c[c] for c in table.columns]).limit(k)]
    if table.dialect == "duckdb":
        prep = conn.dialect.identifier_preparer
        cols = ", ".join(prep.quote(c) for c in table.columns)
        ref = prep.quote(table.name) if table.schema is None else f"{prep.quote_schema(table.schema)}.{prep.quote(table.name)}"
        return [sa.text(f"SELECT {cols} FROM {ref} USING SAMPLE {int(k)} ROWS")]
    key = table.integer_key or ("rowid" if table.dialect == "sqlite" else None)
    if key is not None:
        return _key_ranges(conn, table, key, k, rng)
    if rows:
        # No usable key: let the server filter rows at random (one scan, no sort, only k rows sent).
        return [whole.where(sa.func.rand() < min(1.0, 1.5 * k / rows)).limit(k)]
    return [whole.limit(k)]


def _key_ranges(conn: Connection, table: SqlTable, key: str, k: int, rng: random.Random) -> list[sa.Select]:
    """KEY_RANGE_CHUNKS index range scans starting at random keys between MIN and MAX."""
    key_col = sa.column(key)
    low, high = conn.execute(sa.select(sa.func.min(key_col), sa.func.max(key_col)).select_from(table.clause)).one()
    if low is None:
        return []
    per_chunk = max(1, k // KEY_RANGE_CHUNKS)
    starts = sorted(rng.randint(int(low), int(high)) for _ in range(KEY_RANGE_CHUNKS))
    columns = [sa.column(c) for c in table.columns]
    return [
        sa.select(*columns).select_from(table.clause).where(key_col >= start).order_by(key_col).limit(per_chunk)
        for start in starts
    ]


def reflected_name(dialect: str, name: str) -> str:
    """A column name as the database knows it, from the name SQLAlchemy's reflection returns.

    MySQL/MariaDB reflection parses ``SHOW CREATE TABLE``, where a backtick in
    a name is written twice (``card``no``), and hands the name back still
    escaped; quoting that again names a column that does not exist.
    """
    return name.replace("``", "`") if dialect in ("mysql", "mariadb") else name


def integer_key(inspector: sa.Inspector, table: str, schema: str | None, column_types: dict[str, object]) -> str | None:
    """The single-column integer primary key of a table, if it has one."""
    try:
        pk = inspector.get_pk_constraint(table, schema=schema).get("constrained_columns") or []
    except sa.exc.SQLAlchemyError:
        return None
    if len(pk) != 1:
        return None
    key = reflected_name(inspector.dialect.name, pk[0])
    col_type = column_types.get(key)
    return key if isinstance(col_type, sa.types.Integer) else None


def select_grantees(conn: Connection, table: SqlTable) -> list[str]:
    """Roles or accounts other than the owner that can SELECT the table ('PUBLIC' for everyone).

    PostgreSQL: the table's ACL (pg_class.relacl, readable by any role).
    MySQL/MariaDB: accounts with global, schema-wide or table SELECT.
    """
    if table.dialect == "postgresql":
        rows = conn.execute(
            sa.text(
                "SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, "
                "LATERAL aclexplode(COALESCE(c.relacl, acldefault('r', c.relowner))) a "
                "WHERE n.nspname = :s AND c.relname = :t AND a.privilege_type = 'SELECT' AND a.grantee <> c.relowner"
            ),
            {"s": table.schema or "public", "t": table.name},
        )
        return sorted(r[0] for r in rows)
    if table.dialect in ("mysql", "mariadb"):
        rows = conn.execute(
            sa.text(
                "SELECT grantee FROM information_schema.user_privileges WHERE privilege_type = 'SELECT' "
                "UNION SELECT grantee FROM information_schema.schema_privileges "
                "WHERE privilege_type = 'SELECT' AND table_schema = :s "
                "UNION SELECT grantee FROM information_schema.table_privileges "
                "WHERE privilege_type = 'SELECT' AND table_schema = :s AND table_name = :t"
            ),
            {"s": table.schema, "t": table.name},
        )
        return sorted({_mysql_account(r[0]) for r in rows})
    return []


def _mysql_account(grantee: str) -> str:
    """``'app'@'%'`` -> ``app@%``."""
    return grantee.replace("'", "")
