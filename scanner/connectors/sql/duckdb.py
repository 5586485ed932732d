"""DuckDB: opened ``read_only``, its own catalog functions, ``USING SAMPLE`` reservoirs."""

from __future__ import annotations

import os
import random
import re
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine

from scanner.connectors.base import SourceError
from scanner.connectors.sql.base import Dialect, EngineFactory, SqlTable, TableInfo, TableShape, existing_file

_TYPES = {"DATE": sa.Date(), "TIMESTAMP": sa.DateTime(), "TIMESTAMP WITH TIME ZONE": sa.DateTime(),
          "INTEGER": sa.Integer(), "BIGINT": sa.BigInteger(), "SMALLINT": sa.SmallInteger()}


class DuckDbDialect(Dialect):
    """DuckDB files (duckdb_engine)."""

    names: ClassVar[tuple[str, ...]] = ("duckdb",)
    file_backed: ClassVar[bool] = True

    def url_factory(self, url: URL) -> EngineFactory:
        path = existing_file(url)
        if path is not None and not path.is_file():
            raise SourceError("database file not found")  # duckdb would create an empty one
        return super().url_factory(url)

    def engine_options(self) -> dict[str, Any]:
        return {"connect_args": {"read_only": True}}

    def catalog(self, engine: Engine, views: bool) -> list[TableInfo]:
        """Tables from DuckDB's own catalog functions (duckdb_engine's inspector lags DuckDB releases)."""
        query = sa.text(
            "SELECT c.schema_name, c.table_name, c.column_name, c.data_type, c.comment "
            "FROM duckdb_columns() c WHERE c.database_name = current_database() AND NOT c.internal "
            + ("" if views else "AND c.table_name NOT IN (SELECT view_name FROM duckdb_views() "
                                "WHERE database_name = current_database() AND schema_name = c.schema_name) ")
            + "ORDER BY c.schema_name, c.table_name, c.column_index"
        )
        tables: dict[tuple[str, str], TableInfo] = {}
        with engine.connect() as conn:
            for schema, table, column, data_type, comment in conn.execute(query):
                info = tables.setdefault((schema, table), TableInfo(schema, table, []))
                info.columns.append({"name": column, "type": _TYPES.get(data_type, sa.String()), "comment": comment})
        return list(tables.values())

    def server_sample(self, conn: Connection, table: SqlTable, k: int, rows: int | None,
                      rng: random.Random) -> list[Any]:
        """A reservoir of exactly k rows, drawn by DuckDB in one scan."""
        prep = conn.dialect.identifier_preparer
        cols = ", ".join(prep.quote(c) for c in table.columns)
        ref = prep.quote(table.name) if table.schema is None \
            else f"{prep.quote_schema(table.schema)}.{prep.quote(table.name)}"
        return [sa.text(f"SELECT {cols} FROM {ref} USING SAMPLE {int(k)} ROWS")]

    # --- row removal ---

    def removal_engine(self, table: SqlTable) -> Engine:
        """The same file without ``read_only``."""
        from sqlalchemy.pool import NullPool

        reader = table.factory()
        url = reader.url
        reader.dispose()
        return sa.create_engine(url, poolclass=NullPool)

    def removal_row_id(self) -> tuple[sa.ColumnElement[Any], str] | None:
        return sa.literal_column("rowid"), "rowid"

    def finish_removal(self, engine: Engine, table: SqlTable) -> None:
        """Rebuild the file (``COPY FROM DATABASE`` into a fresh one, renamed over it): DuckDB frees blocks
        without zeroing them, so deleted values would otherwise stay readable in the file."""
        import duckdb

        path = existing_file(engine.url)
        engine.dispose()
        if path is None:
            return
        tmp = path.with_name(f".{path.name}.piiwarden-tmp-rebuild")
        tmp.unlink(missing_ok=True)
        con = duckdb.connect(str(path))
        try:
            name = con.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
            quoted_tmp = str(tmp).replace("'", "''")
            con.execute(f"ATTACH '{quoted_tmp}' AS piiwarden_rebuilt")
            con.execute(f'COPY FROM DATABASE "{str(name).replace(chr(34), chr(34) * 2)}" TO piiwarden_rebuilt')
            con.execute("DETACH piiwarden_rebuilt")
        except BaseException:
            con.close()
            tmp.unlink(missing_ok=True)
            raise
        con.close()
        os.replace(tmp, path)

    # --- target DDL (faithful copies) ---

    def home_schema(self, url: URL) -> str | None:
        return "main"

    def place(self, url: URL, schema: str | None, table: str) -> tuple[Any, ...]:
        path = existing_file(url)
        return ("duckdb", str(path.resolve()) if path else None, schema or "main", table)

    def target_foreign_keys(self) -> str | None:
        """Why a DuckDB copy gets no foreign keys: left out with a note rather than declared in CREATE TABLE.

        DuckDB has no ALTER TABLE ADD/DROP CONSTRAINT, supports no ON
        DELETE/UPDATE action but the default, and refuses to drop a table
        another table's foreign key references: a constraint declared at
        CREATE TABLE could never be taken off again, so ``--if-exists
        replace`` of the referenced table would fail on every later run.
        """
        return "DuckDB cannot add a foreign key to a filled table"

    def table_shape(self, engine: Engine, schema: str | None, table: str) -> TableShape:
        """From DuckDB's catalog functions: duckdb_engine's inspector cannot reflect a table of another schema."""
        where = {"s": schema or "main", "t": table}
        scope = "database_name = current_database() AND schema_name = :s AND table_name = :t"
        with engine.connect() as conn:
            columns = [{"name": n, "type": _target_type(t), "nullable": bool(null), "comment": comment}
                       for n, t, null, comment in conn.execute(sa.text(
                           f"SELECT column_name, data_type, is_nullable, comment FROM duckdb_columns() WHERE {scope} "
                           "ORDER BY column_index"), where)]
            pk = conn.execute(sa.text(f"SELECT constraint_column_names FROM duckdb_constraints() WHERE {scope} "
                                      "AND constraint_type = 'PRIMARY KEY'"), where).scalar()
            found = conn.execute(sa.text(f"SELECT index_name, expressions, is_unique FROM duckdb_indexes() "
                                         f"WHERE {scope}"), where).all()
        names = {c["name"] for c in columns}
        indexes = []
        for name, expressions, unique in found:
            cols = [e.strip().strip('"') for e in str(expressions).strip("[]").split(", ")]
            if all(c in names for c in cols):  # expression indexes (and names it cannot spell back) are left out
                indexes.append((name, cols, bool(unique)))
        return TableShape(columns, list(pk or []), indexes)


_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")
_GENERIC = {"VARCHAR": sa.String(), "BOOLEAN": sa.Boolean(), "DOUBLE": sa.Double(), "FLOAT": sa.Float(),
            "REAL": sa.Float(), "TINYINT": sa.SmallInteger(), "HUGEINT": sa.Numeric(38, 0), "TIME": sa.Time(),
            "BLOB": sa.LargeBinary(), "UUID": sa.Uuid(), "TIMESTAMP WITH TIME ZONE": sa.DateTime(timezone=True)}


def _target_type(data_type: str) -> Any:
    """A SQLAlchemy type for a DuckDB type name; NullType (copied as text) for lists, structs, maps, ..."""
    match = _DECIMAL.fullmatch(data_type)
    if match:
        return sa.Numeric(int(match.group(1)), int(match.group(2)))
    return _GENERIC.get(data_type) or _TYPES.get(data_type) or sa.types.NullType()


DIALECT = DuckDbDialect()
