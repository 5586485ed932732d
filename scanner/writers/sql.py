"""Database outputs: a SQLite file copied and rewritten, or tables written to ``--target``.

SQLite file met while crawling: the source is copied with SQLite's backup
API over a read-only connection (a consistent snapshot, WAL included), the
copy's sensitive columns are rewritten row by row by rowid, dropped columns
removed, and the copy is VACUUMed with ``secure_delete`` on, so no original
value survives in free pages before it is renamed into place.

Database URL with ``--target``: each table is created in the target under
its schema and name with its column types, NOT NULL, primary key, indexes and
comments (``SqlTargetWriter``; what differs per backend is in the dialect
files' "target DDL" block) and filled inside one transaction, so an
interrupted run leaves no half table on databases with transactional DDL.
Once every table of the run is written, the source's foreign keys between
copied tables are added where the copy's rows still satisfy them
(``SqlTargetWriter.add_foreign_keys``).
Untouched columns keep their original typed values in both cases.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from scanner.connectors.base import BATCH_ROWS, Dataset
from scanner.connectors.common import to_text
from scanner.connectors.sql import dialect_for
from scanner.connectors.sql.base import ForeignKey, TableShape
from scanner.errors import describe_error
from scanner.writers.base import FileWriter, Transform, WriterError

if TYPE_CHECKING:
    from scanner.anonymize.operators.base import AnonymizationOperator


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


IF_EXISTS = ("fail", "replace", "truncate")  # what ``--target`` does with a table already there
MASKED_NOTE = "masked by piiwarden: {op}"  # appended to a transformed column's comment in the copy


@dataclass(frozen=True)
class CopiedTable:
    """A table this run wrote into the target, as its foreign keys are recreated once all are written."""

    where: tuple[str | None, str]  # (schema, table) in the target
    label: str  # the source table as notes name it
    # Each kept column: "" untouched, a label of a transformation that keeps values joinable, None otherwise.
    columns: dict[str, str | None]
    foreign_keys: list[ForeignKey]  # referenced tables as (source schema mapped like ``_mapped_schema``, table)


@dataclass(frozen=True)
class ColumnOut:
    """How one copied column is declared and which value it receives."""

    column: sa.Column
    textual: bool  # the target gets the value's text form (transformed, or a type it cannot hold)


class SqlTargetWriter:
    """Tables of a database URL copied into a target database under their schema and table names.

    The copy keeps column types (mapped to the target backend's when it is
    another one), NOT NULL, the primary key, indexes and column comments; a
    transformed column becomes text and its comment says which operator made
    it. A key over a column whose operator can give two rows one value (a
    mask) is kept as a plain index, so the copy never refuses its own rows.
    Each table is written in one transaction (DDL included where the backend
    and driver have transactional DDL: PostgreSQL, DuckDB), so an interrupted
    run leaves no half table there. Foreign keys between copied tables
    are added after the last table (``add_foreign_keys``): by then both
    sides hold their rows, so the server itself proves the constraint holds.
    """

    def __init__(self, target_url: str, if_exists: str = "fail") -> None:
        if if_exists not in IF_EXISTS:
            raise ValueError(f"if_exists must be one of {', '.join(IF_EXISTS)}")
        self.url = make_url(target_url)
        self.engine: Engine = sa.create_engine(self.url, poolclass=NullPool)
        self.backend = dialect_for(self.engine.dialect.name)
        self.if_exists = if_exists
        # Tables written this run: (source URL, schema as ``_mapped_schema`` gives it, table) -> the copy.
        self.copied: dict[tuple[str, str | None, str], CopiedTable] = {}

    def run_dataset(self, ds: Dataset, source_engine: Engine, transform: Transform,
                    ops: Mapping[str, AnonymizationOperator[Any]] | None = None,
                    joins: Mapping[str, str] | None = None) -> int:
        """Create (or reuse, or replace) the table in the target and fill it, all in one transaction.

        ``joins`` labels the changed columns whose values still join (``DatasetJob.joins``): a foreign
        key is recreated only between columns that are both untouched or share a label.
        """
        ops, joins = ops or {}, joins or {}
        source_backend = dialect_for(source_engine.dialect.name)
        source_url = _source_url(ds, source_engine)
        schema = ds.meta.get("schema") or None
        table = ds.meta["table"]
        target_schema, target_name = self.destination(ds, source_engine)
        if self.backend.place(self.url, target_schema, target_name) == \
                source_backend.place(source_url, schema, table):
            raise WriterError("the target table is the source table itself; choose another --target")
        shape = source_backend.table_shape(source_engine, schema, table)
        fks = source_backend.foreign_keys(source_engine, schema, table)
        names = list(ds.sql.columns) if getattr(ds, "sql", None) is not None and ds.sql.columns \
            else [c["name"] for c in shape.columns]
        same_backend = source_backend is self.backend and source_engine.dialect.name == self.engine.dialect.name
        select: Any = sa.select(*[sa.column(n) for n in names]).select_from(
            sa.table(table, *[sa.column(n) for n in names], schema=schema))
        mapped = _mapped_schema(ds, source_engine)
        with source_engine.connect() as sconn, self.engine.begin() as tconn:
            target, textual = self._prepare(tconn, shape, ops, same_backend, (target_schema, target_name), mapped,
                                            {c for fk in fks for c in fk.columns})
            result = sconn.execution_options(**source_backend.stream_options()).execute(select)
            rows = _fill(tconn, target, textual, names, result, transform)
        home = source_backend.home_schema(source_url)
        self.copied[(ds.source, mapped, table)] = CopiedTable(
            (target_schema, target_name), f"{schema}.{table}" if schema else table,
            {c.name: ("" if c.name not in ops else joins.get(c.name)) for c in target.columns},
            [ForeignKey(fk.name, fk.columns, (None if fk.referred[0] == home else fk.referred[0], fk.referred[1]),
                        fk.referred_columns, fk.ondelete, fk.onupdate) for fk in fks])
        return rows

    def destination(self, ds: Dataset, source_engine: Engine | None = None) -> tuple[str | None, str]:
        """(schema, table) of a source table's copy: its home schema maps to the target's home."""
        return self.backend.target_names(_mapped_schema(ds, source_engine), ds.meta["table"])

    def _prepare(self, conn: Connection, shape: TableShape, ops: Mapping[str, AnonymizationOperator[Any]],
                 same_backend: bool, where: tuple[str | None, str], mapped: str | None,
                 referencing: set[str]) -> tuple[sa.Table, set[str]]:
        """The target table to insert into, per ``if_exists``; and the columns that receive text.

        ``where`` is the target (schema, table); ``mapped`` the source's schema as the target sees it
        (None for the home one), which index names keep where the backend folds schemas away;
        ``referencing`` the columns of the table's foreign keys, typed like key columns.
        """
        schema, name = where
        label = f"{schema}.{name}" if schema else name
        outs = self._columns(conn, shape, ops, same_backend, referencing)
        textual = {n for n, c in outs.items() if c.textual}
        if schema is not None:
            self.backend.create_target_schema(conn, schema)
        table = sa.Table(name, sa.MetaData(), *[c.column for c in outs.values()], schema=schema)
        if sa.inspect(conn).has_table(name, schema=schema):
            if self.if_exists == "fail":
                raise WriterError(f"target table {label} already exists; pass --if-exists replace or truncate "
                                  "to overwrite it")
            referrers = self.backend.target_referrers(conn, table)
            if referrers:
                other_schema, other, constraint = referrers[0]
                raise WriterError(f"target table {label} is referenced by foreign key {constraint} of "
                                  f"{other_schema + '.' if other_schema else ''}{other}, a table this run does "
                                  f"not rewrite; --if-exists {self.if_exists} would change that table's rows: "
                                  "drop that constraint first")
            if self.if_exists == "truncate":
                # The table's own column names, from an empty result (reflection is not portable: duckdb_engine).
                present = set(conn.execute(sa.select(sa.text("*")).select_from(
                    sa.table(name, schema=schema)).limit(0)).keys())
                missing = [n for n in outs if n not in present]
                if missing:
                    raise WriterError(f"target table {label} has no column {missing[0]}; "
                                      "--if-exists replace recreates it")
                self.backend.clear_table(conn, table)
                return table, textual
            table.drop(conn)
        keep = set(outs)
        for index_name, columns, unique in shape.indexes:
            if all(c in keep for c in columns):
                sa.Index(self.backend.target_index_name(mapped, index_name), *[table.c[c] for c in columns],
                         unique=unique and _distinct_kept(columns, ops))
        if shape.primary_key and not table.primary_key.columns and all(c in keep for c in shape.primary_key):
            # A key a mask may repeat: still the table's way in, as a plain index (the name holds the schema).
            sa.Index(f"{name}_pkey", *[table.c[c] for c in shape.primary_key])
        table.create(conn)
        return table, textual

    def _columns(self, conn: Connection, shape: TableShape, ops: Mapping[str, AnonymizationOperator[Any]],
                 same_backend: bool, referencing: set[str]) -> dict[str, ColumnOut]:
        """The copy's columns in source order, dropped ones left out.

        A foreign key's columns count as keyed (a key needs a bounded type on
        MySQL) even without an index of their own, so the constraint can be added.
        """
        keyed = set(shape.primary_key) | {c for _n, cols, _u in shape.indexes for c in cols} | referencing
        pk = shape.primary_key if all(c in [d["name"] for d in shape.columns] for c in shape.primary_key) \
            and not any(c in ops and ops[c].drops_column for c in shape.primary_key) \
            and _distinct_kept(shape.primary_key, ops) else []
        outs: dict[str, ColumnOut] = {}
        for col in shape.columns:
            name = col["name"]
            op = ops.get(name)
            if op is not None and op.drops_column:
                continue
            kind, textual = self._type(conn, col["type"], op is not None, same_backend, name in keyed)
            comment = col.get("comment")
            if op is not None:
                note = MASKED_NOTE.format(op=op.name)
                comment = f"{comment} ({note})" if comment else note
            outs[name] = ColumnOut(sa.Column(name, kind, nullable=bool(col.get("nullable", True)) and name not in pk,
                                             primary_key=name in pk, autoincrement=False, comment=comment), textual)
        return outs

    def _type(self, conn: Connection, source: Any, changed: bool, same_backend: bool, keyed: bool) -> tuple[Any, bool]:
        """A target type for a source column type; True when the column receives text values."""
        textual = changed or isinstance(source, sa.types.NullType)
        kind: Any = sa.Text()
        if not textual:
            try:
                kind = source if same_backend else source.as_generic()
            except NotImplementedError:
                textual = True
        kind = self.backend.target_type(kind if not textual else sa.Text(), keyed)
        try:
            kind.compile(dialect=conn.dialect)
        except Exception:  # noqa: BLE001 - any type the target cannot spell is copied as text
            return self.backend.target_type(sa.Text(), keyed), True
        return kind, textual

    def release_foreign_keys(self, tables: Iterable[tuple[str | None, str]], note: Callable[[str], None]) -> None:
        """Drop the foreign keys of the run's tables already in the target, before any is replaced or truncated.

        ``--if-exists replace``/``truncate`` rewrites a referenced table while
        the copy's own constraint from the last run still points at it: the
        server would refuse the DROP (or TRUNCATE), or cascade a DELETE into
        the other table. The constraints that are still right come back with
        ``add_foreign_keys`` after the last table; a constraint another table
        of the target (not this run's) holds on one of them is left alone.
        """
        if self.if_exists == "fail" or self.backend.target_foreign_keys() is not None:
            return  # fail: an existing table is not touched; no ALTER: the copy never got any
        for schema, name in tables:
            label = f"{schema}.{name}" if schema else name
            with self.engine.connect() as conn:
                if not sa.inspect(conn).has_table(name, schema=schema):
                    continue
            # the dialect's own listing: MySQL's inspector misses a name holding a backtick
            names = [fk.name for fk in self.backend.foreign_keys(self.engine, schema, name) if fk.name]
            for constraint in names:
                try:
                    with self.engine.begin() as conn:
                        self.backend.drop_target_foreign_key(conn, sa.Table(name, sa.MetaData(), schema=schema),
                                                             constraint)
                except sa.exc.SQLAlchemyError as exc:
                    note(f"foreign key {constraint} of {label} could not be dropped before the table is rewritten "
                         f"({_error_kind(exc)})")

    def add_foreign_keys(self, note: Callable[[str], None]) -> int:
        """Add the source's foreign keys between tables this run copied, where the copy's rows satisfy them.

        Each is mapped to the target's names (``target_names``) with its
        column lists and ON DELETE/ON UPDATE actions, and added in its own
        transaction, so one the server refuses leaves the others in place. A
        constraint is left out, with one ``note`` line naming it (never a
        value), when a side was not copied, a key column was dropped, its
        columns were transformed so that equal values no longer meet (a mask,
        or different rules on the two sides: the links planning normally
        gives both sides one rule), the backend cannot add one
        (``target_foreign_keys``), or the server refuses it (rows that break
        it in the copy). Returns how many were added.
        """
        added = 0
        for (source, _schema, _table), copy in self.copied.items():
            for fk in copy.foreign_keys:
                what = f"foreign key {fk.name or '(unnamed)'} of {copy.label}"
                why = self._unfit(source, copy, fk)
                if why is not None:
                    note(f"{what} not added: {why}")
                    continue
                referred = self.copied[(source, *fk.referred)]
                renamed = False
                try:
                    with self.engine.begin() as conn:
                        if fk.name and self.backend.target_foreign_key_name_taken(conn, copy.where[0], fk.name):
                            renamed = True  # another table of that schema holds the name: the server names this one
                        self.backend.add_target_foreign_key(
                            conn, _constraint(copy.where, referred.where, replace(fk, name=None) if renamed else fk))
                except sa.exc.SQLAlchemyError as exc:
                    note(f"{what} not added: the target refused it, rows of the copy may break it ({_error_kind(exc)})")
                    continue
                if renamed:
                    note(f"{what} added under a name the target chose: foreign key names are unique per schema "
                         "there and another table of the copy already has this one")
                added += 1
        return added

    def _unfit(self, source: str, copy: CopiedTable, fk: ForeignKey) -> str | None:
        """Why a source foreign key cannot be recreated in the copy; None when it can be tried."""
        referred = self.copied.get((source, *fk.referred))
        if referred is None:
            table = ".".join(p for p in fk.referred if p)
            return f"the referenced table {table} was not copied in this run"
        pairs = list(zip(fk.columns, fk.referred_columns))
        if any(c not in copy.columns for c, _r in pairs) or any(r not in referred.columns for _c, r in pairs):
            return "a key column is not in the copy"
        for column, target in pairs:
            mine, theirs = copy.columns[column], referred.columns[target]
            if mine is None or theirs is None or mine != theirs:
                return (f"{column} and {referred.label}.{target} are transformed differently or by an operator "
                        "that can give two values one output, so the copy's values no longer match")
        return self.backend.target_foreign_key_unfit(fk)

    def dispose(self) -> None:
        self.engine.dispose()


def _constraint(where: tuple[str | None, str], referred: tuple[str | None, str], fk: ForeignKey) -> sa.ForeignKeyConstraint:
    """The foreign key over the copy's tables (stand-in ``sa.Table`` objects: only the names are needed)."""
    metadata = sa.MetaData()
    tables: dict[tuple[str | None, str], sa.Table] = {}

    def table(place: tuple[str | None, str], columns: list[str]) -> sa.Table:
        found = tables.get(place)
        if found is None:
            found = tables[place] = sa.Table(place[1], metadata, schema=place[0])
        for column in columns:
            if column not in found.c:
                found.append_column(sa.Column(column))
        return found

    parent = table(where, fk.columns)
    target = table(referred, fk.referred_columns)
    constraint = sa.ForeignKeyConstraint(fk.columns, [target.c[c] for c in fk.referred_columns], name=fk.name,
                                         ondelete=fk.ondelete, onupdate=fk.onupdate)
    parent.append_constraint(constraint)
    return constraint


def _error_kind(exc: sa.exc.SQLAlchemyError) -> str:
    """The driver's error class: a server's message can quote the row that broke a key."""
    return type(getattr(exc, "orig", None) or exc).__name__


def _distinct_kept(columns: list[str], ops: Mapping[str, AnonymizationOperator[Any]]) -> bool:
    """Whether distinct key values stay distinct: untouched, or a keyed operator (HMAC, cipher, keyed surrogate)."""
    return all(c not in ops or ops[c].keyed for c in columns)


def _fill(conn: Connection, target: sa.Table, textual: set[str], names: list[str], result: sa.CursorResult[Any],
          transform: Transform) -> int:
    """Stream the source rows through the transform into the target table."""
    rows = 0
    keep = [n for n in names if n in target.c]
    position = {n: i for i, n in enumerate(names)}  # names.index() per value is quadratic
    for part in result.partitions():
        raw = [tuple(r) for r in part]
        text = _text_batch(raw, names)
        out = transform(text)
        columns: dict[str, list[Any]] = {}
        for n in keep:
            if n in out.changed:
                columns[n] = out.changed[n].to_pylist()
            elif n in textual:
                columns[n] = text.column(n).to_pylist()
            else:
                columns[n] = [r[position[n]] for r in raw]
        live = [n for n in keep if n not in out.dropped]
        conn.execute(target.insert(), [dict(zip(live, values)) for values in zip(*(columns[n] for n in live))])
        rows += len(raw)
    return rows


def _mapped_schema(ds: Dataset, source_engine: Engine | None) -> str | None:
    """The source table's schema, None when it is the source's home one (it then goes to the target's home)."""
    schema = ds.meta.get("schema") or None
    url = _source_url(ds, source_engine)
    name = source_engine.dialect.name if source_engine is not None else url.get_backend_name()
    return None if schema == dialect_for(name).home_schema(url) else schema


def _source_url(ds: Dataset, engine: Engine | None) -> URL:
    """The URL the user gave for the source (its engine may wrap a read-only file handle with no path)."""
    try:
        return make_url(os.path.expandvars(ds.source))
    except (sa.exc.ArgumentError, ValueError):
        if engine is None:
            raise WriterError("the source is not a database URL") from None
        return engine.url


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
