"""PostgreSQL: read-only transactions, statement_timeout, pg_class statistics, TABLESAMPLE, ACL grants."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any, ClassVar

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from scanner.connectors.sql.base import Dialect, SqlTable, csv_batches, lock_timeout, statement_timeout


class PostgresDialect(Dialect):
    """PostgreSQL (any driver: psycopg, psycopg2, asyncpg's sync wrapper)."""

    names: ClassVar[tuple[str, ...]] = ("postgresql",)

    def prepare_session(self, conn: Connection) -> None:
        """Read-only, statement and lock timeouts for this transaction only, in one round trip (a crawl pays it per table)."""
        conn.execute(sa.text("SELECT set_config('transaction_read_only', 'on', true), "
                             "set_config('statement_timeout', :st, true), set_config('lock_timeout', :lt, true)"),
                     {"st": str(int(statement_timeout()) * 1000), "lt": str(int(lock_timeout()) * 1000)})

    def statistics_rows(self, conn: Connection, table: SqlTable) -> int | None:
        """``pg_class.reltuples``, unless the table was never analyzed (0 or -1 then lies)."""
        n = conn.execute(
            sa.text(
                "SELECT c.reltuples::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :s AND c.relname = :t"
            ),
            {"s": table.schema or "public", "t": table.name},
        ).scalar()
        if n is not None and n >= 0 and not (n == 0 and _has_rows(conn, table)):
            return int(n)
        return None

    def change_counters(self, conn: Connection, table: SqlTable) -> Any:
        row = conn.execute(
            sa.text("SELECT n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables "
                    "WHERE schemaname = :s AND relname = :t"),
            {"s": table.schema or "public", "t": table.name},
        ).first()
        return list(row) if row else None

    def server_sample(self, conn: Connection, table: SqlTable, k: int, rows: int | None,
                      rng: random.Random) -> list[Any]:
        """``TABLESAMPLE SYSTEM``: whole pages at random, 1.5 times the share needed, capped at k rows."""
        if not rows:
            return super().server_sample(conn, table, k, rows, rng)
        percent = min(100.0, 100.0 * k * 1.5 / rows)
        sampled = sa.tablesample(table.clause, sa.func.system(percent))
        return [sa.select(*[sampled.c[c] for c in table.columns]).limit(k)]

    def select_grantees(self, conn: Connection, table: SqlTable) -> list[str]:
        """The table's ACL (pg_class.relacl, readable by any role); 'PUBLIC' for everyone."""
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

    # --- catalog and streaming (scale) ---

    def estimate_all(self, conn: Connection, tables: list[SqlTable]) -> list[int | None]:
        """Every table's ``reltuples`` in one query; only tables statistics cannot vouch for are counted alone."""
        schemas = sorted({t.schema or "public" for t in tables})
        stats = {
            (schema, name): int(n)
            for schema, name, n in conn.execute(
                sa.text("SELECT n.nspname, c.relname, c.reltuples::bigint FROM pg_class c "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY(:s)"),
                {"s": schemas},
            )
            if n is not None
        }
        known = {id(t): stats.get((t.schema or "public", t.name)) for t in tables}
        # never analyzed (-1) or an empty-looking table (0, perhaps never analyzed): the per-table rule decides
        rest = [t for t in tables if (known[id(t)] or 0) <= 0]
        counted = dict(zip(map(id, rest), super().estimate_all(conn, rest)))
        return [counted[id(t)] if id(t) in counted else known[id(t)] for t in tables]

    def stream_table(self, conn: Connection, table: SqlTable) -> Iterator[pa.RecordBatch] | None:
        """The table through ``COPY ... TO STDOUT (FORMAT csv)``, parsed by Arrow's CSV reader.

        A full scan is then bound by the server's COPY, not by building a
        Python object per value: measured at several times the rate of a
        server-side cursor (bench/db_scale_bench.py). Every column is
        rendered server-side as the cursor path's ``to_text`` would render
        it (booleans ``true``/``false``, bytea as hex, ``T`` in
        timestamps), so findings do not depend on the path; a table with a
        type rendered otherwise (arrays, JSON, time zones, user types)
        takes the cursor path. Only with psycopg 3, whose ``copy`` streams.
        """
        raw = conn.connection.driver_connection
        if not hasattr(raw, "cursor") or type(raw).__module__.split(".")[0] != "psycopg" or not table.columns:
            return None
        prep = conn.dialect.identifier_preparer
        exprs = [_copy_expression(prep.quote(c), table.types.get(c)) for c in table.columns]
        if any(e is None for e in exprs):
            return None
        ref = prep.quote(table.name) if table.schema is None \
            else f"{prep.quote_schema(table.schema)}.{prep.quote(table.name)}"
        conn.exec_driver_sql("SET LOCAL DateStyle = 'ISO, YMD'")
        query = f"COPY (SELECT {', '.join(str(e) for e in exprs)} FROM {ref}) TO STDOUT (FORMAT csv)"
        return csv_batches(_copy_chunks(raw, query), table.columns)


def _copy_expression(column: str, kind: Any) -> str | None:
    """The SELECT expression that renders a column as ``to_text`` renders the driver's value; None if none does."""
    if isinstance(kind, sa.Boolean):
        return f"CASE WHEN {column} THEN 'true' WHEN NOT {column} THEN 'false' END"
    if isinstance(kind, sa.LargeBinary):
        return f"encode({column}, 'hex')"
    if isinstance(kind, sa.DateTime) and not getattr(kind, "timezone", False):
        # isoformat: microseconds in six digits, or none at all when they are zero
        return (f"CASE WHEN mod(date_part('microseconds', {column})::int, 1000000) = 0 "
                f"THEN to_char({column}, 'YYYY-MM-DD\"T\"HH24:MI:SS') "
                f"ELSE to_char({column}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US') END")
    if isinstance(kind, (sa.ARRAY, sa.JSON, sa.Enum, sa.Interval, sa.Time)) or kind is None:
        return None
    if isinstance(kind, (sa.String, sa.Integer, sa.Numeric, sa.Float, sa.Date, sa.Uuid)) and not isinstance(kind, sa.DateTime):
        return f"{column}::text"
    return None


def _copy_chunks(raw: Any, query: str) -> Iterator[bytes]:
    """COPY's output as the server sends it, chunk by chunk (no row is held beyond the reader's block)."""
    with raw.cursor() as cursor, cursor.copy(query) as copy:
        for chunk in copy:
            yield bytes(chunk)


def _has_rows(conn: Connection, table: SqlTable) -> bool:
    """Whether a table PostgreSQL has never analyzed holds anything."""
    return conn.execute(sa.select(sa.literal(1)).select_from(table.clause).limit(1)).first() is not None


DIALECT = PostgresDialect()
