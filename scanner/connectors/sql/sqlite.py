"""SQLite: read-only by the ``mode=ro`` URI, one schema, key ranges over ``rowid``."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import NullPool

from scanner.connectors.base import SourceError
from scanner.connectors.sql.base import Dialect, EngineFactory, SqlTable, existing_file

_MAGIC = b"SQLite format 3\x00"


class SqliteDialect(Dialect):
    """SQLite files: no server, so no session settings; the connection itself cannot write."""

    names: ClassVar[tuple[str, ...]] = ("sqlite",)
    file_backed: ClassVar[bool] = True
    implicit_key: ClassVar[str | None] = "rowid"

    def url_factory(self, url: URL) -> EngineFactory:
        path = existing_file(url)
        if path is None:
            return super().url_factory(url)
        check_file(path)
        return lambda: read_only_engine(path)

    def schemas(self, inspector: sa.Inspector, engine: Engine) -> list[str | None]:
        return [None]

    # --- row removal ---

    def removal_engine(self, table: SqlTable) -> Engine:
        """The same file opened read-write (never created), in autocommit so ``begin_removal`` picks the lock."""
        reader = table.factory()
        try:
            with reader.connect() as conn:
                path = next((r[2] for r in conn.exec_driver_sql("PRAGMA database_list") if r[1] == "main"), "")
        finally:
            reader.dispose()
        if not path:
            raise SourceError("an in-memory database has no rows to remove")
        uri = Path(path).resolve().as_uri() + "?mode=rw"
        return sa.create_engine(
            "sqlite://",
            creator=lambda: sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False),
            poolclass=NullPool,
        )

    def removal_row_id(self) -> tuple[sa.ColumnElement[Any], str] | None:
        return sa.literal_column("rowid"), "rowid"

    def begin_removal(self, conn: Connection, table: SqlTable) -> None:
        """Zero deleted content in place, and take the write lock before counting (no writer can slip in)."""
        conn.exec_driver_sql("PRAGMA secure_delete = ON")
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    def finish_removal(self, engine: Engine, table: SqlTable) -> None:
        """VACUUM rebuilds the file; the WAL, if any, is checkpointed and truncated."""
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA secure_delete = ON")
            conn.exec_driver_sql("VACUUM")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    # --- target DDL (faithful copies) ---
    # One schema per file: a table of another schema keeps it as a prefix of its name ("crm.customers"),
    # so two schemas' tables of one name stay apart.

    def home_schema(self, url: URL) -> str | None:
        return "main"

    def target_names(self, schema: str | None, table: str) -> tuple[str | None, str]:
        return None, f"{schema}.{table}" if schema else table

    def target_index_name(self, schema: str | None, name: str) -> str:
        return f"{schema}.{name}" if schema else name

    def create_target_schema(self, conn: Connection, schema: str) -> None:
        """Nothing to create: ``target_names`` folds the schema into the table name."""

    def place(self, url: URL, schema: str | None, table: str) -> tuple[Any, ...]:
        path = existing_file(url)
        return ("sqlite", str(path.resolve()) if path else None, table)

    def target_foreign_keys(self) -> str | None:
        """Why a SQLite copy gets no foreign keys: left out with a note rather than declared in CREATE TABLE.

        SQLite cannot add a constraint to an existing table, so the only way
        in is CREATE TABLE, before any row is there. SQLite does not check
        foreign keys unless each connection turns ``PRAGMA foreign_keys`` on,
        so a constraint declared that way would be written without the rows
        ever being checked: a copy whose rows break it (a mask on one side,
        rows the referenced table lost) would still claim it. Proving the
        rows afterwards means rebuilding the table when they fail, and the
        constraint would also tie the copy to the order tables are written
        in. Leaving it out, with a note per constraint, never states a key
        the rows do not hold; the join itself survives (keyed operators give
        one value one output).
        """
        return "SQLite cannot add a foreign key to a filled table"


def check_file(path: Path) -> None:
    """Refuse a missing file (SQLite would create one) and a file that is not a SQLite database."""
    if not path.is_file():
        raise SourceError("database file not found")
    with open(path, "rb") as fh:
        head = fh.read(len(_MAGIC))
    if head and head != _MAGIC:  # an empty file is a valid, empty database
        raise SourceError("not a SQLite database")


def read_only_engine(path: Path) -> Engine:
    """An engine whose every connection is read-only at the SQLite level."""
    uri = path.resolve().as_uri() + "?mode=ro"
    return sa.create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False),
        poolclass=NullPool,
    )


DIALECT = SqliteDialect()
