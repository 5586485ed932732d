"""Database outputs: a SQLite file copied and rewritten, or tables written to ``--target``.

SQLite file met while crawling: the source is copied with SQLite's backup
API over a read-only connection (a consistent snapshot, WAL included), the
copy's sensitive columns are rewritten row by row by rowid, dropped columns
removed, and the copy is VACUUMed with ``secure_delete`` on, so no original
value survives in free pages before it is renamed into place.

Database URL with ``--target``: each table is created in the target with the
same name and column types (a transformed column becomes TEXT when its type
cannot hold the new values) and filled inside one transaction, so an
interrupted run leaves no half table on databases with transactional DDL.
Untouched columns keep their original typed values in both cases.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from scanner.connectors.base import BATCH_ROWS, Dataset
from scanner.connectors.common import to_text
from scanner.errors import describe_error
from scanner.writers.base import FileWriter, Transform, WriterError


def _text_batch(rows: list[tuple], names: list[str]) -> pa.RecordBatch:
    arrays = [pa.array([to_text(r[i]) for r in rows], type=pa.string()) for i in range(len(names))]
    return pa.RecordBatch.from_arrays(arrays, names=names)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SqliteFileWriter(FileWriter):
    """A SQLite database file mirrored at the same relative path."""

    db: sqlite3.Connection | None = None  # the copy being rewritten; None once closed

    def __init__(self, final: Path, source: Path) -> None:
        super().__init__(final, source)
        src = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            self.db = sqlite3.connect(self.tmp)
            src.backup(self.db)
        finally:
            src.close()
        self.db.execute("PRAGMA secure_delete=ON")

    def run_dataset(self, ds: Dataset, transform: Transform) -> int:
        """Rewrite one table of the copy in rowid order (keyset pages, so updates never disturb the scan)."""
        if self.db is None:
            raise WriterError("the output database is already closed")
        db = self.db
        table = ds.meta["table"]
        names = [r[1] for r in db.execute(f"PRAGMA table_info({_q(table)})")]
        cols = ", ".join(_q(n) for n in names)
        last, rows = None, 0
        dropped: set[str] = set()
        while True:
            where = "" if last is None else "WHERE rowid > ?"
            chunk = db.execute(
                f"SELECT rowid, {cols} FROM {_q(table)} {where} ORDER BY rowid LIMIT {BATCH_ROWS}",
                () if last is None else (last,),
            ).fetchall()
            if not chunk:
                break
            out = transform(_text_batch([r[1:] for r in chunk], names))
            dropped |= out.dropped
            changed = [n for n in out.changed if n not in out.dropped]
            if changed:
                values = [out.changed[n].to_pylist() for n in changed]
                sets = ", ".join(f"{_q(n)} = ?" for n in changed)
                db.executemany(
                    f"UPDATE {_q(table)} SET {sets} WHERE rowid = ?",
                    ([*(v[j] for v in values), chunk[j][0]] for j in range(len(chunk))),
                )
            rows += len(chunk)
            last = chunk[-1][0]
        for name in dropped:
            try:
                db.execute(f"ALTER TABLE {_q(table)} DROP COLUMN {_q(name)}")
            except sqlite3.DatabaseError as exc:
                raise WriterError(f"cannot drop column: {describe_error(exc)}") from None
        db.commit()
        return rows

    def close(self) -> None:
        """Commit and VACUUM: rebuilding the file drops every page that held an original value."""
        if self.db is not None:
            self.db.commit()
            self.db.execute("VACUUM")
            self.db.close()
            self.db = None

    def abort(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        super().abort()


class SqlTargetWriter:
    """Tables of a database URL written to a target database, same names, one transaction each."""

    def __init__(self, target_url: str) -> None:
        self.engine: Engine = sa.create_engine(make_url(target_url), poolclass=NullPool)

    def run_dataset(self, ds: Dataset, source_engine: Engine, transform: Transform) -> int:
        """Create the table in the target and fill it, all in one transaction; refuses an existing table."""
        schema = ds.meta.get("schema") or None
        table = ds.meta["table"]
        src = _source_table(ds, table, schema, source_engine)
        if sa.inspect(self.engine).has_table(table):
            raise WriterError(f"target already has a table named {table}")
        names = [c.name for c in src.columns]
        rows = 0
        with source_engine.connect() as sconn, self.engine.begin() as tconn:
            result = sconn.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(sa.select(src))
            target: sa.Table | None = None
            for part in result.partitions():
                raw = [tuple(r) for r in part]
                out = transform(_text_batch(raw, names))
                if target is None:
                    target = self._create(src, out.changed, out.dropped, tconn)
                keep = [n for n in names if n not in out.dropped]
                changed = {n: out.changed[n].to_pylist() for n in keep if n in out.changed}
                position = {n: i for i, n in enumerate(names)}  # names.index() per value is quadratic
                records = []
                for j, r in enumerate(raw):
                    records.append({n: (changed[n][j] if n in changed else r[position[n]]) for n in keep})
                tconn.execute(target.insert(), records)
                rows += len(raw)
            if target is None:
                self._create(src, {}, set(), tconn)
        return rows

    def _create(self, src: sa.Table, changed: dict, dropped: set[str], conn) -> sa.Table:  # noqa: ANN001
        columns = []
        for c in src.columns:
            if c.name in dropped:
                continue
            kind = c.type if c.name not in changed or isinstance(c.type, sa.String) else sa.Text()
            if c.name in changed and isinstance(c.type, sa.String) and getattr(c.type, "length", None):
                kind = sa.Text()  # tokens and hashes are longer than the original values
            columns.append(sa.Column(c.name, kind, nullable=True))
        table = sa.Table(src.name, sa.MetaData(), *columns)
        table.create(conn)
        return table

    def dispose(self) -> None:
        self.engine.dispose()


def _source_table(ds: Dataset, table: str, schema: str | None, engine: Engine) -> sa.Table:
    """The source table as the connector listed it (names as the database knows them, with types).

    Reflecting it again would undo the connector's fixes: MySQL reflection
    hands back a backtick in a column name doubled (``card``no``).
    """
    sql = getattr(ds, "sql", None)
    if sql is not None and sql.columns:
        return sa.Table(table, sa.MetaData(), *[sa.Column(n, sql.types.get(n, sa.String())) for n in sql.columns],
                        schema=schema)
    return sa.Table(table, sa.MetaData(), autoload_with=engine, schema=schema)


def _duck_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class DuckDbFileWriter(FileWriter):
    """A DuckDB database file mirrored at the same relative path.

    The output is built fresh (tables with the source's column types, rows
    inserted in ``rowid`` order) rather than copied and updated, because a
    DuckDB file keeps overwritten blocks and there is no VACUUM that rewrites
    it. Views and macros are not copied.
    """

    con: Any = None  # a duckdb connection (duckdb is imported only when one is written); None once closed

    def __init__(self, final: Path, source: Path) -> None:
        super().__init__(final, source)
        import duckdb

        self.con = duckdb.connect()
        self.con.execute(f"ATTACH {_duck_literal(str(self.tmp))} AS pw_dst")

    def run_dataset(self, ds: Dataset, transform: Transform) -> int:
        """Copy one table into the new file with its sensitive columns transformed."""
        # Attached only while copying: DuckDB refuses a second instance on a file the
        # connector (scanning this dataset) may have open.
        assert self.source is not None
        self.con.execute(f"ATTACH {_duck_literal(str(self.source.resolve()))} AS pw_src (READ_ONLY)")
        try:
            return self._copy(ds, transform)
        finally:
            self.con.execute("DETACH pw_src")

    def _copy(self, ds: Dataset, transform: Transform) -> int:
        schema, table = ds.meta.get("schema") or "main", ds.meta["table"]
        src = f"pw_src.{_q(schema)}.{_q(table)}"
        dst = f"pw_dst.{_q(schema)}.{_q(table)}"
        self.con.execute(f"CREATE SCHEMA IF NOT EXISTS pw_dst.{_q(schema)}")
        types = {row[0]: row[1] for row in self.con.execute(f"DESCRIBE {src}").fetchall()}
        # Read through a cursor of its own: the main connection must stay free for the INSERTs.
        cursor = self.con.cursor()
        relation = cursor.sql(f"SELECT * FROM {src} ORDER BY rowid")
        reader = relation.to_arrow_reader(BATCH_ROWS) if hasattr(relation, "to_arrow_reader") \
            else relation.fetch_arrow_reader(BATCH_ROWS)
        rows, created = 0, False
        for batch in reader:
            names = batch.schema.names
            out = transform(_text_batch(list(zip(*[c.to_pylist() for c in batch.columns])), names))
            keep = [n for n in names if n not in out.dropped]
            if not created:
                columns = ", ".join(
                    f"{_q(n)} {'VARCHAR' if n in out.changed else types[n]}" for n in keep)
                self.con.execute(f"CREATE TABLE {dst} ({columns})")
                created = True
            arrays = [out.changed[n] if n in out.changed else batch.column(n) for n in keep]
            pw_batch = pa.Table.from_arrays(arrays, names=keep)  # noqa: F841 - read by DuckDB's replacement scan
            self.con.execute(f"INSERT INTO {dst} SELECT * FROM pw_batch")
            rows += batch.num_rows
        cursor.close()
        if not created:
            self.con.execute(f"CREATE TABLE {dst} AS SELECT * FROM {src} LIMIT 0")
        return rows

    def close(self) -> None:
        if self.con is not None:
            self.con.execute("DETACH pw_dst")
            self.con.close()
            self.con = None
