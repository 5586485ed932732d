"""MySQL and MariaDB: read-only sessions, their two timeout variables, InnoDB estimates, account grants."""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from scanner.connectors.sql.base import SMALL_TABLE_ROWS, Dialect, SqlTable, lock_timeout, statement_timeout


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


def is_mariadb(conn: Connection) -> bool:
    """MariaDB behind a ``mysql://`` URL is only told apart by the server's version string."""
    return bool(getattr(conn.dialect, "is_mariadb", False)) or conn.dialect.name == "mariadb"


DIALECT = MySqlDialect()
