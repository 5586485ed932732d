"""PostgreSQL: read-only transactions, statement_timeout, pg_class statistics, TABLESAMPLE, ACL grants."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any, ClassVar

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine

from scanner.connectors.sql.base import (
    MV_COMMENT,
    Dialect,
    SqlTable,
    csv_batches,
    lock_timeout,
    statement_timeout,
)


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

    # --- masking views ---
    # mask-views (scanner/maskviews/): the SQL primitives of the masks (sqlmask.MaskSql) and the statements that
    # give a role its schema, views and grants. Literals are E'' strings: right whatever standard_conforming_strings
    # says. Views are dropped and created (CREATE OR REPLACE cannot drop a column or change its type), in one
    # transaction with the grants, so a role never sees a half-built schema.

    mask_views: ClassVar[bool] = True

    def mv_quote(self, name: str) -> str:
        """A quoted identifier."""
        return '"' + name.replace('"', '""') + '"'

    def mv_literal(self, text: str) -> str:
        return "E'" + text.replace("\\", "\\\\").replace("'", "''") + "'"

    def mv_regex_char(self, codepoint: int) -> str:
        return f"\\u{codepoint:04X}" if codepoint <= 0xFFFF else f"\\U{codepoint:08X}"

    def mv_regex_replace(self, expr: str, pattern: str, replacement: str) -> str:
        return f"regexp_replace({expr}, {pattern}, {self.mv_literal(replacement)}, 'g')"

    def mv_regex_substr(self, expr: str, pattern: str) -> str:
        return f"COALESCE(substring({expr} from {pattern}), '')"

    def mv_regex_like(self, expr: str, pattern: str) -> str:
        return f"({expr} ~ {pattern})"

    def mv_strpos(self, needle: str, expr: str) -> str:
        return f"strpos({expr}, {self.mv_literal(needle)})"

    def mv_text(self, column: str) -> str:
        return f"CAST({column} AS text)"

    def mv_table(self, schema: str | None, name: str) -> str:
        """A schema-qualified table or view reference."""
        return f"{self.mv_quote(schema or 'public')}.{self.mv_quote(name)}"

    def mv_prologue(self) -> list[str]:
        """Session settings the statements need (none)."""
        return []

    def mv_principals(self, conn: Connection, role: str) -> list[tuple[str, str | None]]:
        """The database role of that name, if it exists."""
        found = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        return [(role, None)] if found else []

    def mv_grantee(self, principal: tuple[str, str | None]) -> str:
        return self.mv_quote(principal[0])

    def mv_create_role(self, role: str) -> str:
        """A missing role is created without login: grant it to people's roles (GRANT role TO alice)."""
        return f"CREATE ROLE {self.mv_quote(role)} NOLOGIN"

    def mv_create_schema(self, schema: str) -> str:
        return f"CREATE SCHEMA IF NOT EXISTS {self.mv_quote(schema)}"

    def mv_registry(self, own: str) -> list[str]:
        """Nothing to set up: a view's comment (``mv_view``) is what marks it as piiwarden's."""
        return []

    def mv_view(self, schema: str, name: str, select: str, comment: str, own: str) -> list[str]:
        """security_barrier: a role's function in a WHERE clause cannot see rows or values before the mask."""
        view = self.mv_table(schema, name)
        return [f"DROP VIEW IF EXISTS {view}", f"CREATE VIEW {view} WITH (security_barrier) AS {select}",
                f"COMMENT ON VIEW {view} IS {self.mv_literal(comment)}"]

    def mv_created_views(self, conn: Connection, schema: str, own: str) -> list[str]:
        """Views of ``schema`` whose comment is the one ``mv_view`` writes (a user's own view has none or another)."""
        rows = conn.execute(sa.text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :s AND c.relkind = 'v' AND starts_with(obj_description(c.oid, 'pg_class'), :m)"),
            {"s": schema, "m": MV_COMMENT})
        return sorted(str(r[0]) for r in rows)

    def mv_drop_view(self, schema: str, name: str, own: str) -> list[str]:
        """No CASCADE: a user's view built on it makes the run fail (and roll back) rather than vanish."""
        return [f"DROP VIEW IF EXISTS {self.mv_table(schema, name)}"]

    def mv_access(self, conn: Connection, principal: tuple[str, str | None], schema: str, views: list[str],
                  sensitive: list[tuple[str | None, str]], plain: list[tuple[str | None, str]],
                  managed: set[str]) -> tuple[list[str], list[str]]:
        """REVOKE SELECT on the base tables (column grants go with it), USAGE and SELECT on the views.

        Writes stay as they were. A table PUBLIC may read stays readable by
        everyone, the role included: that is warned about, not revoked.
        (Memberships are checked with ``has_table_privilege`` after ``--apply``.)
        """
        grantee = self.mv_grantee(principal)
        statements = [f"REVOKE SELECT ON TABLE {self.mv_table(s, t)} FROM {grantee}" for s, t in sensitive]
        statements.append(f"GRANT USAGE ON SCHEMA {self.mv_quote(schema)} TO {grantee}")
        statements += [f"GRANT SELECT ON {self.mv_table(schema, v)} TO {grantee}" for v in views]
        warnings = [f"{s or 'public'}.{t}: PUBLIC may SELECT it, so {principal[0]} still can "
                    "(REVOKE SELECT ... FROM PUBLIC)" for s, t in sensitive if _public_reads(conn, s, t)]
        return statements, warnings

    def effective_readers(self, conn: Connection, table: SqlTable, roles: list[str]) -> list[str]:
        """``has_table_privilege`` (or a column's) for each existing role: PUBLIC and memberships count."""
        if not roles:
            return []
        ref = self.mv_table(table.schema, table.name)
        rows = conn.execute(sa.text(
            "SELECT rolname FROM pg_roles WHERE rolname = ANY(:roles) "
            "AND (has_table_privilege(oid, :t, 'SELECT') OR has_any_column_privilege(oid, :t, 'SELECT'))"),
            {"roles": list(roles), "t": ref})
        return sorted(str(r[0]) for r in rows)

    def mv_hmac_schema(self, conn: Connection) -> str | None:
        """The schema pgcrypto (``hmac``) is installed in, None without it (mask-views installs no extension)."""
        found = conn.execute(sa.text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                                     "ON n.oid = e.extnamespace WHERE e.extname = 'pgcrypto'")).scalar()
        return str(found) if found is not None else None

    def mv_hmac_hex(self, message: str, key: str, schema: str) -> str:
        return f"encode({self.mv_quote(schema)}.hmac(convert_to({message}, 'UTF8'), {key}, 'sha256'), 'hex')"

    def mv_key_statements(self, schema: str) -> tuple[list[str], str, str]:
        """(statements, the INSERT that takes the sub-key as its one parameter, the key as an SQL expression).

        The key lives in a table of a schema no role may use: a view reads it
        with its owner's rights, and the view's definition shows the subquery,
        never the key. The dry run prints the INSERT with its placeholder.
        """
        table = self.mv_table(schema, "hash_key")
        setup = [f"CREATE SCHEMA IF NOT EXISTS {self.mv_quote(schema)}",
                 f"REVOKE ALL ON SCHEMA {self.mv_quote(schema)} FROM PUBLIC",
                 f"CREATE TABLE IF NOT EXISTS {table} (k bytea NOT NULL)", f"DELETE FROM {table}"]
        return setup, f"INSERT INTO {table} (k) VALUES (%s)", f"(SELECT k FROM {table})"

    def mv_still_reads(self, conn: Connection, principal: tuple[str, str | None],
                       tables: list[tuple[str | None, str]]) -> list[str]:
        """Base tables the role can still SELECT (through PUBLIC, a role it belongs to, or a column grant)."""
        out = []
        for schema, table in tables:
            ref = self.mv_table(schema, table)
            readable = conn.execute(sa.text("SELECT has_table_privilege(:r, :t, 'SELECT') "
                                            "OR has_any_column_privilege(:r, :t, 'SELECT')"),
                                    {"r": principal[0], "t": ref}).scalar()
            if readable:
                out.append(f"{schema or 'public'}.{table}")
        return out

    # --- row removal ---

    def removal_row_id(self) -> tuple[sa.ColumnElement[Any], str] | None:
        """``ctid`` (as text: drivers bind strings, not ``tid``): stable while the row is not updated."""
        return sa.cast(sa.literal_column("ctid"), sa.Text), "ctid"

    def begin_removal(self, conn: Connection, table: SqlTable) -> None:
        """Statement timeout, and a lock that lets readers on but keeps writers out until the commit."""
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(statement_timeout()) * 1000}")
        conn.exec_driver_sql(f"LOCK TABLE {conn.dialect.identifier_preparer.format_table(table.clause)} "
                             "IN SHARE ROW EXCLUSIVE MODE")

    def finish_removal(self, engine: Engine, table: SqlTable) -> None:
        """VACUUM the table: a deleted or updated row's old version, values and all, stays in the table's
        pages until vacuumed, readable by anyone with file access; VACUUM prunes it (WAL and backups
        keep it until they expire: README, "Purge"). A role that does not own the table gets a
        server warning and the next autovacuum does it."""
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"SET statement_timeout = {int(statement_timeout()) * 1000}")
            conn.exec_driver_sql(f"VACUUM {conn.dialect.identifier_preparer.format_table(table.clause)}")

    # --- target DDL (faithful copies) ---

    def home_schema(self, url: URL) -> str | None:
        return "public"

    def target_referrers(self, conn: Connection, table: sa.Table) -> list[tuple[str | None, str, str]]:
        """Other tables' foreign keys onto it, from ``pg_constraint``: the server would refuse the TRUNCATE or
        DROP with an error naming neither the constraint nor what to do."""
        rows = conn.execute(sa.text(
            "SELECT n.nspname, r.relname, c.conname FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid "
            "JOIN pg_namespace n ON n.oid = r.relnamespace "
            "WHERE c.contype = 'f' AND c.confrelid = CAST(:t AS regclass) AND c.conrelid <> c.confrelid "
            "ORDER BY 1, 2, 3"), {"t": conn.dialect.identifier_preparer.format_table(table)}).all()
        return [(str(s), str(t), str(c)) for s, t, c in rows]

    def clear_table(self, conn: Connection, table: sa.Table) -> None:
        """TRUNCATE: transactional in PostgreSQL, and it gives the pages back at once."""
        conn.execute(sa.text(f"TRUNCATE TABLE {conn.dialect.identifier_preparer.format_table(table)}"))

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


def _public_reads(conn: Connection, schema: str | None, table: str) -> bool:
    """Whether the table's ACL grants SELECT to PUBLIC."""
    return conn.execute(sa.text(
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, LATERAL aclexplode(c.relacl) a "
        "WHERE n.nspname = :s AND c.relname = :t AND a.grantee = 0 AND a.privilege_type = 'SELECT'"),
        {"s": schema or "public", "t": table}).first() is not None


DIALECT = PostgresDialect()
