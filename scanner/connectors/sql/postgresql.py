"""PostgreSQL: read-only transactions, statement_timeout, pg_class statistics, TABLESAMPLE, ACL grants."""

from __future__ import annotations

import random
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from scanner.connectors.sql.base import Dialect, SqlTable, lock_timeout, statement_timeout


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


def _has_rows(conn: Connection, table: SqlTable) -> bool:
    """Whether a table PostgreSQL has never analyzed holds anything."""
    return conn.execute(sa.select(sa.literal(1)).select_from(table.clause).limit(1)).first() is not None


DIALECT = PostgresDialect()
