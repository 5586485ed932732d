"""MySQL and MariaDB: read-only sessions, their two timeout variables, InnoDB estimates, account grants."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects.mysql.reflection import ReflectedState
from sqlalchemy.engine import URL, Connection, Engine

from scanner.connectors.sql.base import (
    SMALL_TABLE_ROWS,
    Dialect,
    ForeignKey,
    SqlTable,
    TableInfo,
    lock_timeout,
    statement_timeout,
)

# SQLAlchemy's MySQL reflection parses SHOW CREATE TABLE and cannot read a constraint or table name holding
# a backtick: it warns "Unknown schema content", quoting the line. Foreign keys are read from
# information_schema instead (``foreign_keys``), so the warning says nothing a user can act on.
warnings.filterwarnings("ignore", message="Unknown schema content", category=sa.exc.SAWarning)

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
        """Accounts and roles with global, schema-wide, table or column SELECT (``'app'@'%'`` shown as ``app@%``).

        A column grant reads the column's raw values as surely as a table
        grant, so it makes a reader too. MariaDB's ``PUBLIC`` role is shown
        as ``PUBLIC``, as PostgreSQL's is (everyone reads it).
        """
        rows = conn.execute(
            sa.text(
                "SELECT grantee FROM information_schema.user_privileges WHERE privilege_type = 'SELECT' "
                "UNION SELECT grantee FROM information_schema.schema_privileges "
                "WHERE privilege_type = 'SELECT' AND table_schema = :s "
                "UNION SELECT grantee FROM information_schema.table_privileges "
                "WHERE privilege_type = 'SELECT' AND table_schema = :s AND table_name = :t "
                "UNION SELECT grantee FROM information_schema.column_privileges "
                "WHERE privilege_type = 'SELECT' AND table_schema = :s AND table_name = :t"
            ),
            {"s": table.schema, "t": table.name},
        )
        return sorted({_shown(str(r[0])) for r in rows})

    def effective_readers(self, conn: Connection, table: SqlTable, roles: list[str]) -> list[str]:
        """The policy roles with an account (any host) or MariaDB role of that name that can SELECT the table.

        Any path counts: its own grants (global, database, table, column),
        a role granted to it (default or not: ``SET ROLE`` is the account's
        to run), roles of roles, and MariaDB's ``PUBLIC``.
        """
        if not roles or table.schema is None:
            return []
        ref = (table.schema, table.name)
        out = []
        for role in roles:
            accounts = conn.execute(sa.text("SELECT User, Host FROM mysql.user WHERE User = :r"), {"r": role})
            if any(_reaching(conn, _closure(conn, _key(str(u), str(h))), [ref]) for u, h in accounts.fetchall()):
                out.append(role)
        return sorted(out)

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

    def mv_registry(self, own: str) -> list[str]:
        """The table that records which views mask-views made (``<own>.views``): MySQL views take no comment.

        Each row holds the SHA-256 of the definition the server stored for
        the view, so a view a user later replaced under the same name is no
        longer recognized as piiwarden's (and never dropped as stale).
        """
        return [f"CREATE DATABASE IF NOT EXISTS {self.mv_quote(own)} CHARACTER SET utf8mb4",
                f"CREATE TABLE IF NOT EXISTS {self.mv_table(own, _REGISTRY)} (view_schema VARCHAR(64) NOT NULL, "
                "view_name VARCHAR(64) NOT NULL, definition_sha CHAR(64) NOT NULL, "
                "PRIMARY KEY (view_schema, view_name)) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"]

    def mv_view(self, schema: str, name: str, select: str, comment: str, own: str) -> list[str]:
        """SQL SECURITY DEFINER: the view reads the base table with its creator's rights, the role's are not needed.

        Then the registry records it (the definition's hash, read back from
        the server right after the CREATE in the same script).
        """
        return [f"CREATE OR REPLACE SQL SECURITY DEFINER VIEW {self.mv_table(schema, name)} AS {select}",
                f"REPLACE INTO {self.mv_table(own, _REGISTRY)} (view_schema, view_name, definition_sha) "
                "SELECT table_schema, table_name, SHA2(view_definition, 256) FROM information_schema.views "
                f"WHERE table_schema = {self.mv_literal(schema)} AND table_name = {self.mv_literal(name)} "
                "AND view_definition <> ''"]  # hidden from this account: not recorded, so never dropped

    def mv_created_views(self, conn: Connection, schema: str, own: str) -> list[str]:
        """Views of ``schema`` the registry records with the definition they still have (none before a first run)."""
        exists = conn.execute(sa.text("SELECT 1 FROM information_schema.tables WHERE table_schema = :o "
                                      "AND table_name = :t"), {"o": own, "t": _REGISTRY}).first()
        if exists is None:
            return []
        rows = conn.execute(sa.text(
            f"SELECT v.table_name FROM information_schema.views v JOIN {self.mv_table(own, _REGISTRY)} r "
            "ON r.view_schema = v.table_schema AND r.view_name = v.table_name "
            "AND r.definition_sha = SHA2(v.view_definition, 256) WHERE v.table_schema = :s"), {"s": schema})
        return sorted(str(r[0]) for r in rows)

    def mv_drop_view(self, schema: str, name: str, own: str) -> list[str]:
        """DROP the view and forget it (MySQL does not know which views read a view: a user's would break)."""
        return [f"DROP VIEW IF EXISTS {self.mv_table(schema, name)}",
                f"DELETE FROM {self.mv_table(own, _REGISTRY)} WHERE view_schema = {self.mv_literal(schema)} "
                f"AND view_name = {self.mv_literal(name)}"]

    def mv_access(self, conn: Connection, principal: tuple[str, str | None], schema: str, views: list[str],
                  sensitive: list[tuple[str | None, str]], plain: list[tuple[str | None, str]],
                  managed: set[str]) -> tuple[list[str], list[str]]:
        """REVOKE the account's SELECT grants that reach the sensitive tables; GRANT SELECT on the role's database.

        Table and column grants on a sensitive table are revoked (a column
        grant reads that column raw). A database-wide SELECT is replaced by
        table grants on the tables without personal data, so the role keeps
        reading those. A global SELECT (ON *.*) is not revoked (it is the
        account's whole job): it is warned about. So is a role granted to the
        account (or ``PUBLIC``) that reads a sensitive table: revoking from
        the role would take the table from its other members, so that is the
        DBA's call, unless the role is itself one of the policy's roles
        (``managed``), whose own grants this same script revokes.
        """
        grantee = self.mv_grantee(principal)
        key = _key(principal[0], principal[1] or "")
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
        for s, t in sensitive:
            if ("column", s, t) in held:
                columns = ", ".join(self.mv_quote(c) for c in _granted_columns(conn, key, s, t))
                statements.append(f"REVOKE SELECT ({columns}) ON {self.mv_table(s, t)} FROM {grantee}")
        statements.append(f"GRANT SELECT ON {self.mv_quote(schema)}.* TO {grantee}")
        if ("global", None, None) in held:
            warnings.append(f"{principal[0]}: has SELECT ON *.* (global), so it still reads the base tables "
                            "(REVOKE SELECT ON *.* ...)")
        for role in _closure(conn, key)[1:]:
            name = _unkey(role)
            if name in managed:
                continue
            for label in _reaching(conn, [role], sensitive):
                via = "PUBLIC (every account)" if role == _PUBLIC else f"role {name}"
                undo = "REVOKE SELECT ... FROM PUBLIC" if role == _PUBLIC else \
                    f"REVOKE SELECT ... FROM {name}, or REVOKE {name} FROM the account"
                warnings.append(f"{label}: {principal[0]} still reads it through {via}, which may SELECT it "
                                f"({undo})")
        return statements, warnings

    def mv_still_reads(self, conn: Connection, principal: tuple[str, str | None],
                       tables: list[tuple[str | None, str]]) -> list[str]:
        """Base tables the account still reaches: its own global, database, table or column grants,
        a role granted to it (transitively), or MariaDB's PUBLIC."""
        return _reaching(conn, _closure(conn, _key(principal[0], principal[1] or "")), tables)

    # --- target DDL (faithful copies) ---
    # A schema is a database here: ``crm.customers`` of a PostgreSQL source becomes database ``crm``.

    def home_schema(self, url: URL) -> str | None:
        return url.database or None

    def foreign_keys(self, engine: Engine, schema: str | None, table: str) -> list[ForeignKey]:
        """A table's foreign keys from ``information_schema``, not from parsing ``SHOW CREATE TABLE``.

        SQLAlchemy's parser skips, with only a warning, a constraint whose
        name or referenced table holds a backtick: the key would silently
        be neither passed on to the referencing column's rule nor recreated.
        RESTRICT and NO ACTION are the same immediate check here and are
        given as the default (None), as ``SHOW CREATE TABLE`` leaves them out.
        """
        query = sa.text(
            "SELECT k.constraint_name, k.column_name, k.referenced_table_schema, k.referenced_table_name, "
            "k.referenced_column_name, r.delete_rule, r.update_rule, k.table_schema "
            "FROM information_schema.key_column_usage k JOIN information_schema.referential_constraints r "
            "ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name "
            "AND r.table_name = k.table_name "
            "WHERE k.table_schema = COALESCE(:s, DATABASE()) AND k.table_name = :t "
            "AND k.referenced_table_name IS NOT NULL ORDER BY k.constraint_name, k.ordinal_position")
        found: dict[str, list[Any]] = {}
        with engine.connect() as conn:
            for name, column, ref_schema, ref_table, ref_column, ondelete, onupdate, own in \
                    conn.execute(query, {"s": schema, "t": table}):
                entry = found.setdefault(str(name), [[], (schema if ref_schema == own else str(ref_schema),
                                                          str(ref_table)), [], ondelete, onupdate])
                entry[0].append(str(column))
                entry[2].append(str(ref_column))

        def action(rule: str | None) -> str | None:
            return None if rule in (None, "RESTRICT", "NO ACTION") else rule

        return [ForeignKey(name, columns, referred, referred_columns, action(ondelete), action(onupdate))
                for name, (columns, referred, referred_columns, ondelete, onupdate) in found.items()]

    def target_foreign_key_unfit(self, fk: ForeignKey) -> str | None:
        """SET DEFAULT is refused: MySQL's InnoDB rejects it and MariaDB's stores it as RESTRICT."""
        if "SET DEFAULT" in {(fk.ondelete or "").upper(), (fk.onupdate or "").upper()}:
            return "MySQL/MariaDB do not enforce the ON DELETE/UPDATE SET DEFAULT action"
        return super().target_foreign_key_unfit(fk)

    def target_foreign_key_name_taken(self, conn: Connection, schema: str | None, name: str) -> bool:
        """InnoDB names foreign keys per database; a PostgreSQL source names them per table."""
        return conn.execute(sa.text(
            "SELECT 1 FROM information_schema.referential_constraints "
            "WHERE constraint_schema = COALESCE(:s, DATABASE()) AND constraint_name = :n LIMIT 1"),
            {"s": schema, "n": name}).first() is not None

    def target_referrers(self, conn: Connection, table: sa.Table) -> list[tuple[str | None, str, str]]:
        """Other tables' foreign keys onto it: ``--if-exists truncate`` is a DELETE here (TRUNCATE commits at
        once), which would run their ON DELETE CASCADE or SET NULL on rows of tables outside the run."""
        rows = conn.execute(sa.text(
            "SELECT DISTINCT table_schema, table_name, constraint_name FROM information_schema.key_column_usage "
            "WHERE referenced_table_schema = COALESCE(:s, DATABASE()) AND referenced_table_name = :t "
            "AND NOT (table_schema = referenced_table_schema AND table_name = referenced_table_name) "
            "ORDER BY 1, 2, 3"), {"s": table.schema, "t": table.name}).all()
        return [(str(s), str(t), str(c)) for s, t, c in rows]

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


_REGISTRY = "views"  # <prefix>piiwarden.views: the views mask-views made
_PUBLIC = "'PUBLIC'@''"  # MariaDB's PUBLIC role (10.11+): its grants reach every account


def _key(user: str, host: str) -> str:
    """An account or role as ``information_schema`` spells a grantee (``'app'@'%'``, a role ``'r'@''``)."""
    return f"'{user}'@'{host}'"


def _unkey(grantee: str) -> str:
    """The user (or role) name of an ``information_schema`` grantee."""
    return grantee.rsplit("@", 1)[0].strip("'")


def _shown(grantee: str) -> str:
    """A grantee as reports show it: ``app@%``, a role ``r@``, MariaDB's PUBLIC role ``PUBLIC``."""
    return "PUBLIC" if grantee == _PUBLIC else grantee.replace("'", "")


def _role_edges(conn: Connection) -> list[tuple[str, str]]:
    """(grantee, role granted to it) for every role grant: MariaDB ``roles_mapping``, MySQL 8 ``role_edges``."""
    if is_mariadb(conn):
        rows = conn.execute(sa.text("SELECT User, Host, Role, '' FROM mysql.roles_mapping"))
    else:
        rows = conn.execute(sa.text("SELECT TO_USER, TO_HOST, FROM_USER, FROM_HOST FROM mysql.role_edges"))
    return [(_key(str(u), str(h)), _key(str(r), str(rh))) for u, h, r, rh in rows]


def _closure(conn: Connection, account: str) -> list[str]:
    """The account first, then every role it can read through: granted to it, to those roles, and PUBLIC."""
    edges = _role_edges(conn)
    found = [account]
    todo = [account]
    while todo:
        grantee = todo.pop()
        for holder, role in edges:
            if holder == grantee and role not in found:
                found.append(role)
                todo.append(role)
    if is_mariadb(conn) and _PUBLIC not in found:
        found.append(_PUBLIC)
    return found


def _reaching(conn: Connection, grantees: list[str], tables: list[tuple[str | None, str]]) -> list[str]:
    """``db.table`` labels of the tables a SELECT grant of any of the grantees reaches."""
    held: set[tuple[str, str | None, str | None]] = set()
    for grantee in grantees:
        held |= _select_grants(conn, grantee)
    return [f"{s}.{t}" for s, t in tables
            if {("global", None, None), ("schema", s, None), ("table", s, t), ("column", s, t)} & held]


def _select_grants(conn: Connection, grantee: str) -> set[tuple[str, str | None, str | None]]:
    """The grantee's SELECT grants: ("global"|"schema"|"table"|"column", database, table)."""
    rows = conn.execute(sa.text(
        "SELECT 'global', NULL, NULL FROM information_schema.user_privileges "
        "WHERE grantee = :g AND privilege_type = 'SELECT' "
        "UNION ALL SELECT 'schema', table_schema, NULL FROM information_schema.schema_privileges "
        "WHERE grantee = :g AND privilege_type = 'SELECT' "
        "UNION ALL SELECT 'table', table_schema, table_name FROM information_schema.table_privileges "
        "WHERE grantee = :g AND privilege_type = 'SELECT' "
        "UNION ALL SELECT DISTINCT 'column', table_schema, table_name FROM information_schema.column_privileges "
        "WHERE grantee = :g AND privilege_type = 'SELECT'"), {"g": grantee})
    return {(str(kind), db, table) for kind, db, table in rows}


def _granted_columns(conn: Connection, grantee: str, schema: str | None, table: str) -> list[str]:
    """The columns of the table the grantee holds a column-level SELECT on."""
    rows = conn.execute(sa.text(
        "SELECT column_name FROM information_schema.column_privileges WHERE grantee = :g "
        "AND privilege_type = 'SELECT' AND table_schema = :s AND table_name = :t ORDER BY column_name"),
        {"g": grantee, "s": schema, "t": table})
    return [str(r[0]) for r in rows]


DIALECT = MySqlDialect()
