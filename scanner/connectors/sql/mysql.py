"""MySQL and MariaDB: read-only sessions, their two timeout variables, InnoDB estimates, account grants."""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects.mysql.reflection import ReflectedState
from sqlalchemy.engine import Connection, Engine

from scanner.connectors.sql.base import (
    SMALL_TABLE_ROWS,
    Dialect,
    SqlTable,
    TableInfo,
    lock_timeout,
    statement_timeout,
)

# Small tables counted by one UNION ALL query (a crawl of a thousand tables: ten queries, not a thousand).
COUNT_BATCH = 100


class MySqlDialect(Dialect):
    """MySQL and MariaDB (PyMySQL, mysqlclient): one class, the timeout variable differs."""

    names: ClassVar[tuple[str, ...]] = ("mysql", "mariadb")

    def prepare_session(self, conn: Connection) -> None:
        seconds = int(statement_timeout())
        conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
        lock = int(lock_timeout())
        if is_mariadb(conn):
            conn.exec_driver_sql(f"SET SESSION max_statement_time = {seconds}, lock_wait_timeout = {lock}, "
                                 f"innodb_lock_wait_timeout = {lock}")
        else:
            conn.exec_driver_sql(f"SET SESSION MAX_EXECUTION_TIME = {seconds * 1000}, lock_wait_timeout = {lock}, "
                                 f"innodb_lock_wait_timeout = {lock}")

    def schemas(self, inspector: sa.Inspector, engine: Engine) -> list[str | None]:
        """The URL's database (a server holds many applications' schemas); all of them without one."""
        if engine.url.database:
            return [engine.url.database]
        return super().schemas(inspector, engine)

    def reflected_name(self, name: str) -> str:
        """Reflection parses ``SHOW CREATE TABLE``, where a backtick in a name is doubled (``card``no``)."""
        return name.replace("``", "`")

    def statistics_rows(self, conn: Connection, table: SqlTable) -> int | None:
        """InnoDB's estimate for big tables only: it can be far off, and counting a small table is cheap."""
        n = conn.execute(
            sa.text("SELECT table_rows FROM information_schema.tables WHERE table_schema = :s AND table_name = :t"),
            {"s": table.schema, "t": table.name},
        ).scalar()
        return int(n) if n is not None and n > SMALL_TABLE_ROWS else None

    def change_counters(self, conn: Connection, table: SqlTable) -> Any:
        value = conn.execute(
            sa.text("SELECT update_time FROM information_schema.tables WHERE table_schema = :s AND table_name = :t"),
            {"s": table.schema, "t": table.name},
        ).scalar()
        return str(value) if value is not None else None

    def select_grantees(self, conn: Connection, table: SqlTable) -> list[str]:
        """Accounts with global, schema-wide or table SELECT (``'app'@'%'`` shown as ``app@%``)."""
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
        return sorted({str(r[0]).replace("'", "") for r in rows})

    # --- catalog and streaming (scale) ---

    def schema_catalog(self, inspector: sa.Inspector, engine: Engine, schema: str | None, names: list[str],
                       views: bool) -> list[TableInfo]:
        """Every listed table's columns from one ``information_schema.columns`` query.

        SQLAlchemy reflects a MySQL table by parsing its ``SHOW CREATE
        TABLE``, one round trip per table; here each column's type text
        (``varchar(20)``, ``decimal(10,2) unsigned``, ``enum('a','b')``) goes
        through that same parser, so the types are the ones reflection would
        give. A table missing from the answer (dropped since listed) or a
        type the parser cannot read is reflected alone.
        """
        if schema is None:
            return super().schema_catalog(inspector, engine, schema, names, views)
        # A column whose collation is not its table's shows CHARACTER SET and COLLATE in SHOW CREATE TABLE.
        query = sa.text(
            "SELECT c.table_name, c.column_name, CASE WHEN c.collation_name <> t.table_collation "
            "THEN concat(c.column_type, ' CHARACTER SET ', c.character_set_name, ' COLLATE ', c.collation_name) "
            "ELSE c.column_type END, c.is_nullable, c.column_comment, c.column_key "
            "FROM information_schema.columns c JOIN information_schema.tables t "
            "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
            "WHERE c.table_schema = :s ORDER BY c.table_name, c.ordinal_position"
        )
        found: dict[str, list[dict[str, Any]]] = {}
        keys: dict[str, list[str]] = {}
        with engine.connect() as conn:
            parser = conn.dialect._tabledef_parser  # type: ignore[attr-defined]  # the dialect's own SHOW CREATE TABLE parser
            for table, column, column_type, nullable, comment, key in conn.execute(query, {"s": schema}):
                described = _column(parser, str(column), str(column_type))
                if described is None:
                    found[str(table)] = [{"unreadable": True}]
                    continue
                described.update(nullable=nullable == "YES", comment=comment or None)
                found.setdefault(str(table), []).append(described)
                if key == "PRI":
                    keys.setdefault(str(table), []).append(str(column))
        out = []
        for table in names:
            columns = found.get(table)
            if not columns or any("unreadable" in c for c in columns):
                out.append(self.table_info(inspector, schema, table))
                continue
            pk = keys.get(table, [])
            types = {c["name"]: c["type"] for c in columns}
            key = pk[0] if len(pk) == 1 and isinstance(types.get(pk[0]), sa.types.Integer) else None
            out.append(TableInfo(schema, table, columns, key))
        return out

    def estimate_all(self, conn: Connection, tables: list[SqlTable]) -> list[int | None]:
        """InnoDB's estimates of all tables in one query; small tables (and the rest) counted as before."""
        schemas = sorted({t.schema for t in tables if t.schema})
        stats: dict[tuple[str, str], int] = {}
        for schema in schemas:
            rows = conn.execute(sa.text("SELECT table_name, table_rows FROM information_schema.tables "
                                        "WHERE table_schema = :s"), {"s": schema})
            stats.update({(schema, str(t)): int(n) for t, n in rows if n is not None})
        known = {id(t): stats.get((t.schema or "", t.name)) for t in tables}
        rest = [t for t in tables if (known[id(t)] or 0) <= SMALL_TABLE_ROWS]
        counted: dict[int, int | None] = {}
        for start in range(0, len(rest), COUNT_BATCH):
            chunk = rest[start:start + COUNT_BATCH]
            counted.update(zip(map(id, chunk), self._count_together(conn, chunk)))
        return [counted[id(t)] if id(t) in counted else known[id(t)] for t in tables]

    def _count_together(self, conn: Connection, tables: list[SqlTable]) -> list[int | None]:
        """Exact counts of small tables in one ``UNION ALL``; one failing table sends them back one by one."""
        query = sa.union_all(*[sa.select(sa.literal(i).label("i"), sa.func.count().label("n")).select_from(t.clause)
                               for i, t in enumerate(tables)])
        try:
            by_index = {int(i): int(n) for i, n in conn.execute(query)}
        except sa.exc.SQLAlchemyError:
            conn.rollback()
            self.prepare_session(conn)
            return super().estimate_all(conn, tables)
        return [by_index.get(i) for i in range(len(tables))]


def _column(parser: Any, name: str, column_type: str) -> dict[str, Any] | None:
    """A column as SHOW CREATE TABLE reflection describes it, from its ``information_schema`` type text."""
    import warnings

    state = ReflectedState()
    quoted = "`" + name.replace("`", "``") + "`"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an unknown type (geometry) is NullType, as reflection makes it
        parser._parse_column(f"  {quoted} {column_type},", state)
    if not state.columns:
        return None
    column = dict(state.columns[-1])
    column["name"] = name
    return column


def is_mariadb(conn: Connection) -> bool:
    """MariaDB behind a ``mysql://`` URL is only told apart by the server's version string."""
    return bool(getattr(conn.dialect, "is_mariadb", False)) or conn.dialect.name == "mariadb"


DIALECT = MySqlDialect()
