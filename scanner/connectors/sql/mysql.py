"""MySQL and MariaDB: read-only sessions, their two timeout variables, InnoDB estimates, account grants."""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects.mysql.reflection import ReflectedState
from sqlalchemy.engine import URL, Connection, Engine

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

    # --- row removal ---
    # No row id: a table without a primary key cannot be erased row by row (purge's predicate still works).

    def begin_removal(self, conn: Connection, table: SqlTable) -> None:
        """The statement timeout of the backend (LOCK TABLES would commit the transaction: rows are locked instead)."""
        seconds = int(statement_timeout())
        if is_mariadb(conn):
            conn.exec_driver_sql(f"SET SESSION max_statement_time = {seconds}")
        else:
            conn.exec_driver_sql(f"SET SESSION MAX_EXECUTION_TIME = {seconds * 1000}")

    def lock_rows(self, statement: sa.Select) -> sa.Select:
        """``FOR UPDATE``: the rows counted and archived stay those deleted."""
        return statement.with_for_update()


    # --- masking views ---
    # mask-views (scanner/maskviews/): the SQL primitives of the masks (sqlmask.MaskSql) and the statements that
    # give a role its schema (a database here), views and grants. MySQL commits each DDL statement on its own:
    # views are CREATE OR REPLACE, so a re-run replaces each one in a single step.

    mask_views: ClassVar[bool] = True

    def mv_quote(self, name: str) -> str:
        """A quoted identifier."""
        return "`" + name.replace("`", "``") + "`"

    def mv_literal(self, text: str) -> str:
        """Backslashes doubled: ``mv_prologue`` turns NO_BACKSLASH_ESCAPES off for the session."""
        return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"

    def mv_regex_char(self, codepoint: int) -> str:
        return f"\\x{{{codepoint:X}}}"  # PCRE (MariaDB) and ICU (MySQL 8) both read \x{hhhh}

    def mv_regex_replace(self, expr: str, pattern: str, replacement: str) -> str:
        return f"REGEXP_REPLACE({expr}, {pattern}, {self.mv_literal(replacement)})"

    def mv_regex_substr(self, expr: str, pattern: str) -> str:
        return f"COALESCE(REGEXP_SUBSTR({expr}, {pattern}), '')"

    def mv_regex_like(self, expr: str, pattern: str) -> str:
        return f"({expr} REGEXP {pattern})"

    def mv_strpos(self, needle: str, expr: str) -> str:
        return f"LOCATE({self.mv_literal(needle)}, {expr})"

    def mv_text(self, column: str) -> str:
        return f"CAST({column} AS CHAR CHARACTER SET utf8mb4)"

    def mv_table(self, schema: str | None, name: str) -> str:
        """A database-qualified table or view reference."""
        return f"{self.mv_quote(schema)}.{self.mv_quote(name)}" if schema else self.mv_quote(name)

    def mv_prologue(self) -> list[str]:
        """The literals double their backslashes: make sure the session reads them that way."""
        return ["SET SESSION sql_mode = REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', '')"]

    def mv_principals(self, conn: Connection, role: str) -> list[tuple[str, str | None]]:
        """Every account with that user name (``'cs'@'%'``, ``'cs'@'10.%'``) and a role of that name."""
        rows = conn.execute(sa.text("SELECT User, Host FROM mysql.user WHERE User = :r ORDER BY Host"), {"r": role})
        return [(str(u), str(h)) for u, h in rows]

    def mv_grantee(self, principal: tuple[str, str | None]) -> str:
        user, host = principal
        return self.mv_literal(user) if not host else f"{self.mv_literal(user)}@{self.mv_literal(host)}"

    def mv_create_role(self, role: str) -> str:
        """A missing role is created (no login): grant it to people's accounts (GRANT role TO alice)."""
        return f"CREATE ROLE IF NOT EXISTS {self.mv_quote(role)}"

    def mv_create_schema(self, schema: str) -> str:
        return f"CREATE DATABASE IF NOT EXISTS {self.mv_quote(schema)} CHARACTER SET utf8mb4"

    def mv_view(self, schema: str, name: str, select: str, comment: str) -> list[str]:
        """SQL SECURITY DEFINER: the view reads the base table with its creator's rights, the role's are not needed."""
        return [f"CREATE OR REPLACE SQL SECURITY DEFINER VIEW {self.mv_table(schema, name)} AS {select}"]

    def mv_access(self, conn: Connection, principal: tuple[str, str | None], schema: str, views: list[str],
                  sensitive: list[tuple[str | None, str]],
                  plain: list[tuple[str | None, str]]) -> tuple[list[str], list[str]]:
        """REVOKE the SELECT grants that reach the sensitive tables; GRANT SELECT on the role's database.

        A database-wide SELECT is replaced by table grants on the tables
        without personal data, so the role keeps reading those. A global
        SELECT (ON *.*) is not revoked (it is the account's whole job): it is warned about.
        """
        grantee = self.mv_grantee(principal)
        key = f"'{principal[0]}'@'{principal[1] or ''}'"
        held = _select_grants(conn, key)
        statements: list[str] = []
        warnings: list[str] = []
        schemas = sorted({s for s, _ in sensitive if s})
        for db in schemas:
            if ("schema", db, None) in held:
                statements.append(f"REVOKE SELECT ON {self.mv_quote(db)}.* FROM {grantee}")
                statements += [f"GRANT SELECT ON {self.mv_table(s, t)} TO {grantee}" for s, t in plain if s == db]
        statements += [f"REVOKE SELECT ON {self.mv_table(s, t)} FROM {grantee}"
                       for s, t in sensitive if ("table", s, t) in held]
        statements.append(f"GRANT SELECT ON {self.mv_quote(schema)}.* TO {grantee}")
        if ("global", None, None) in held:
            warnings.append(f"{principal[0]}: has SELECT ON *.* (global), so it still reads the base tables "
                            "(REVOKE SELECT ON *.* ...)")
        return statements, warnings

    def mv_still_reads(self, conn: Connection, principal: tuple[str, str | None],
                       tables: list[tuple[str | None, str]]) -> list[str]:
        """Base tables a SELECT grant of the account still reaches (global, database or table)."""
        held = _select_grants(conn, f"'{principal[0]}'@'{principal[1] or ''}'")
        return [f"{s}.{t}" for s, t in tables
                if {("global", None, None), ("schema", s, None), ("table", s, t)} & held]

    # --- target DDL (faithful copies) ---
    # A schema is a database here: ``crm.customers`` of a PostgreSQL source becomes database ``crm``.

    def home_schema(self, url: URL) -> str | None:
        return url.database or None

    # Characters of a copied text column that is part of a key (utf8mb4: 1020 bytes, under InnoDB's 3072).
    key_chars: ClassVar[int] = 255

    def target_type(self, kind: Any, keyed: bool) -> Any:
        """MySQL needs a length on VARCHAR, and TEXT cannot be a key without one: VARCHAR(key_chars) for keys."""
        if not isinstance(kind, sa.String):
            return kind
        if keyed and (isinstance(kind, sa.Text) or not kind.length):
            return sa.String(self.key_chars)
        if not isinstance(kind, sa.Text) and not kind.length:
            return sa.Text()
        return kind

    def place(self, url: URL, schema: str | None, table: str) -> tuple[Any, ...]:
        """Databases of one server are its schemas: the URL's database is only the home one."""
        return (url.get_backend_name(), url.host, url.port or 3306, schema or self.home_schema(url), table)

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


def _select_grants(conn: Connection, grantee: str) -> set[tuple[str, str | None, str | None]]:
    """The account's SELECT grants: ("global"|"schema"|"table", database, table)."""
    rows = conn.execute(sa.text(
        "SELECT 'global', NULL, NULL FROM information_schema.user_privileges "
        "WHERE grantee = :g AND privilege_type = 'SELECT' "
        "UNION ALL SELECT 'schema', table_schema, NULL FROM information_schema.schema_privileges "
        "WHERE grantee = :g AND privilege_type = 'SELECT' "
        "UNION ALL SELECT 'table', table_schema, table_name FROM information_schema.table_privileges "
        "WHERE grantee = :g AND privilege_type = 'SELECT'"), {"g": grantee})
    return {(str(kind), db, table) for kind, db, table in rows}


DIALECT = MySqlDialect()
