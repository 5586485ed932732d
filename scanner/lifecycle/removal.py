"""Removing rows from a dataset: the one layer under ``purge`` and ``subject erase --mode delete``.

Deleting personal data is the one thing piiwarden does to a source, so it
is done in one place, with the same guarantees for every caller:

- **Databases**: one transaction per table. The caller says which rows go
  as a ``SqlSelection``: disjoint predicate chunks with bound parameters
  (purge: the retention count's own ``GROUP BY`` key, ``IN`` the keys it
  judged over the limit; erase: primary-key values, or the backend's row id
  where a table has no primary key: PostgreSQL ``ctid``, SQLite and DuckDB
  ``rowid``; MySQL/MariaDB have none, so a table without a primary key is
  refused for erase) and how many rows that is expected to be. Inside the
  transaction the rows are counted again and deleted; when either number
  differs from the expected count (rows changed since they were counted)
  the transaction is rolled back and ``CountChanged`` raised: nothing goes.
  A process killed mid-way leaves an uncommitted transaction, which the
  server rolls back.
- **Files** (CSV, TSV, JSON Lines, JSON arrays, Parquet): the caller gives a function
  that marks the rows to remove in an Arrow batch (vectorized). The kept
  rows are written beside the original under a hidden temporary name, the
  new file is verified (re-read with the same connector: row count, and the
  marker finds nothing), and only then renamed over the original
  (``os.replace``, atomic): a kill at any point leaves the old file or the
  new one, never half of either. CSV/TSV and JSON Lines are filtered as raw
  records, so every kept row stays byte for byte what it was (encoding,
  quoting, line endings); a JSON array is re-dumped in its own style (the
  kept elements keep their values, nesting and key order); Parquet keeps
  schema, metadata and compression. An XLSX sheet loses the marked rows
  and nothing else (styles, other sheets, column widths); a workbook where
  deleting rows would break references (formulas, merged cells, tables,
  defined names, conditional formats, data validation: openpyxl does not
  move them) is refused with nothing changed.
- **Archive** (``--archive DIR``): before anything is deleted, the removed
  rows are written to DIR as Parquet sealed with AES-256-GCM under the
  ``archive`` sub-key of the anonymize key (``read_archive`` opens it).
- **SQLite/DuckDB**: deleted values must not survive in free pages:
  SQLite deletes with ``secure_delete`` and is VACUUMed; a DuckDB file is
  rebuilt (``COPY FROM DATABASE``) and replaced, since DuckDB frees blocks
  without zeroing them.

The result (``Removal``) says how many rows went, how, and the keyed
hashes (``SubjectHasher``) of the removed rows' identifiers. The caller's
destruction record is written *before* the commit (``before_commit``: the
transaction's last step, the rename's last precondition), so a process
killed between the commit and the record cannot destroy without a trace;
a record that cannot be written rolls the deletion back
(``journal.DestructionJournal``). Messages never quote a value.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from scanner.anonymize.keys import Key
from scanner.connectors.base import Dataset, SourceError
from scanner.connectors.common import DEFAULT_READ_OPTIONS, ReadOptions, to_text
from scanner.connectors.sql import SqlTable
from scanner.errors import ValueFreeError
from scanner.lifecycle.identifiers import SubjectHasher
from scanner.safepath import inside, safe_name
from scanner.writers.base import TEMP_MARK, temp_path

# Values bound per statement: SQLite before 3.32 allows 999 parameters, the others far more.
CHUNK = 500
READ_BYTES = 8 << 20  # a line-format file is filtered in blocks of this size (a longer record spans blocks)
ARCHIVE_PURPOSE = "archive"
ARCHIVE_MAGIC = b"PWARCH1\n"
ARCHIVE_SUFFIX = ".pwarchive"
METHOD_DELETE = "delete"
METHOD_ARCHIVE_DELETE = "archive+delete"
# Formats whose rows this layer can remove.
FILE_FORMATS = ("csv", "tsv", "jsonl", "json", "parquet", "xlsx")

RowMarker = Callable[[pa.RecordBatch], pa.Array]  # a batch -> boolean array, true for the rows to remove


class RemovalProblem(ValueFreeError):
    """Rows that could not be removed; nothing was (one line, never a value)."""


class CountChanged(RemovalProblem):
    """The rows to remove are not the ones counted: the transaction was rolled back, the file left as it was."""


@dataclass(frozen=True)
class SqlSelection:
    """Which rows of a table go: disjoint predicates with bound parameters, together ``expected`` rows."""

    chunks: tuple[sa.ColumnElement[bool], ...]

    @classmethod
    def where(cls, predicate: sa.ColumnElement[bool]) -> SqlSelection:
        """One predicate (``sa.column("last_login") < sa.bindparam(...)``)."""
        return cls((predicate,))

    @classmethod
    def values_in(cls, expression: sa.ColumnElement[Any], values: Sequence[Any]) -> SqlSelection:
        """Rows whose ``expression`` is one of ``values`` (distinct), ``CHUNK`` values per statement."""
        distinct = list(dict.fromkeys(values))
        return cls(tuple(expression.in_(distinct[i: i + CHUNK]) for i in range(0, len(distinct), CHUNK)))


def row_key(table: SqlTable) -> tuple[sa.ColumnElement[Any], str]:
    """How ``erase`` names a row: the table's single-column primary key, else the backend's row id.

    Returns the expression and its name (``id``, ``ctid``, ``rowid``).
    A primary key is preferred because it is stable; a row id is only
    stable while the row is not updated (PostgreSQL moves a row on UPDATE),
    which the expected-count check inside the transaction guards.
    """
    engine = table.factory()
    try:
        pk = sa.inspect(engine).get_pk_constraint(table.name, schema=table.schema).get("constrained_columns") or []
    except sa.exc.SQLAlchemyError as exc:
        raise RemovalProblem(f"cannot read the primary key: {table.error_line(exc)}") from None
    finally:
        engine.dispose()
    if len(pk) == 1:
        return sa.column(table.backend.reflected_name(pk[0])), table.backend.reflected_name(pk[0])
    row_id = table.backend.removal_row_id()
    if row_id is None:
        raise RemovalProblem("the table has no single-column primary key and the database no row id: "
                             "rows cannot be named one by one")
    return row_id


@dataclass(frozen=True)
class Archive:
    """Where removed rows are kept before deletion (legal hold), sealed with the key's ``archive`` sub-key."""

    directory: Path
    key: Key = field(repr=False)

    def write(self, dataset: str, rows: pa.Table) -> Path:
        """The removed rows of one dataset as one sealed file (written atomically); its path."""
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        final = inside(self.directory, safe_name(dataset), suffix=f".{stamp}{ARCHIVE_SUFFIX}")
        header = {"format": 1, "dataset": dataset, "rows": rows.num_rows, "time": stamp,
                  "key_fingerprint": self.key.fingerprint}
        header_bytes = json.dumps(header, ensure_ascii=False, sort_keys=True).encode("utf-8")
        sink = pa.BufferOutputStream()
        pq.write_table(rows, sink)
        nonce = os.urandom(12)
        sealed = AESGCM(self.key.derive(ARCHIVE_PURPOSE)).encrypt(nonce, sink.getvalue().to_pybytes(), header_bytes)
        tmp = temp_path(final)
        try:
            fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(ARCHIVE_MAGIC + len(header_bytes).to_bytes(4, "big") + header_bytes + nonce + sealed)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return final


def read_archive(path: Path, key: Key) -> tuple[dict[str, Any], pa.Table]:
    """An archive's header and rows; RemovalProblem when it is not one or the key is not the one that sealed it."""
    data = Path(path).read_bytes()
    if not data.startswith(ARCHIVE_MAGIC):
        raise RemovalProblem(f"{path} is not a piiwarden archive")
    start = len(ARCHIVE_MAGIC)
    size = int.from_bytes(data[start: start + 4], "big")
    header_bytes = data[start + 4: start + 4 + size]
    body = data[start + 4 + size:]
    try:
        plain = AESGCM(key.derive(ARCHIVE_PURPOSE)).decrypt(body[:12], body[12:], header_bytes)
    except InvalidTag:
        raise RemovalProblem(f"{path} does not open with this key (or was altered)") from None
    return json.loads(header_bytes), pq.read_table(pa.BufferReader(plain))


@dataclass(frozen=True)
class RemovalOptions:
    """What to do beside deleting: archive the rows, hash the removed subjects' identifiers.

    ``identifiers`` maps the dataset's identifier columns to their entity
    (the scan's classification); their values in the removed rows are
    keyed-hashed with ``hasher`` for the destruction record.
    """

    identifiers: Mapping[str, str] = field(default_factory=dict)
    hasher: SubjectHasher | None = None
    archive: Archive | None = None
    read: ReadOptions = DEFAULT_READ_OPTIONS
    # Called with what is about to go, after every check and before the commit or the rename; raising
    # (a RemovalProblem) leaves everything as it was. Where the destruction record is written.
    before_commit: Callable[[Removal], None] | None = None


@dataclass(frozen=True)
class Removal:
    """What one dataset lost: rows, method, where the archive went, and the removed subjects' keyed hashes."""

    dataset: str
    rows: int
    method: str
    subject_hashes: tuple[str, ...] = ()
    key_fingerprint: str | None = None
    archive: Path | None = None
    problem: str | None = None  # the rows are gone, but something after the deletion failed (one line)


def _finish(dataset: str, removed: pa.Table | None, rows: int, options: RemovalOptions,
            archived: Path | None) -> Removal:
    hashes = subject_hashes(removed, options) if removed is not None else ()
    return Removal(dataset=dataset, rows=rows, method=METHOD_ARCHIVE_DELETE if archived else METHOD_DELETE,
                   subject_hashes=hashes,
                   key_fingerprint=options.hasher.fingerprint if options.hasher and hashes else None,
                   archive=archived)


def subject_hashes(removed: pa.Table, options: RemovalOptions) -> tuple[str, ...]:
    """Sorted distinct keyed hashes of the identifiers in the removed rows (never the identifiers)."""
    if options.hasher is None or removed.num_rows == 0:
        return ()
    found: set[str] = set()
    for column, entity in options.identifiers.items():
        if column in removed.column_names:
            found.update(options.hasher.hex_digests(entity, removed.column(column)))
    return tuple(sorted(found))


def _needs_rows(options: RemovalOptions) -> bool:
    return options.archive is not None or (options.hasher is not None and bool(options.identifiers))


# ------------------------------------------------------------------------ databases ----


def remove_table_rows(dataset: Dataset, selection: SqlSelection, expected: int,
                      options: RemovalOptions | None = None) -> Removal:
    """Delete the selected rows of a database table in one transaction, if and only if they are ``expected`` rows.

    Archive and hashes read the rows inside the same transaction, after the
    backend has locked what it can (``Dialect.begin_removal``), so they
    describe exactly the rows deleted.
    """
    options = options or RemovalOptions()
    table: SqlTable | None = dataset.sql
    if table is None:
        raise RemovalProblem("not a database table")
    try:
        engine = table.backend.removal_engine(table)
    except (sa.exc.SQLAlchemyError, OSError, SourceError) as exc:
        raise RemovalProblem(f"cannot open for writing: {table.error_line(exc)}") from None
    try:
        removal = _delete_in_transaction(engine, dataset, selection, expected, options)
        problem = _finish_removal(engine, table, expected)
    finally:
        engine.dispose()
    return replace(removal, problem=problem)


def _delete_in_transaction(engine: sa.Engine, dataset: Dataset, selection: SqlSelection, expected: int,
                           options: RemovalOptions) -> Removal:
    """Count, read (archive, hashes), delete and call ``before_commit`` in one transaction.

    CountChanged, RemovalProblem or anything ``before_commit`` raises roll
    it back.
    """
    table: SqlTable = dataset.sql
    backend = table.backend
    archived: Path | None = None
    removed: pa.Table | None = None
    try:
        with engine.begin() as conn:
            backend.begin_removal(conn, table)
            counted = sum(_count(conn, table, c) for c in selection.chunks)
            if counted != expected:
                raise CountChanged(f"{counted} rows match now, {expected} were counted: rolled back, nothing deleted")
            if _needs_rows(options):
                removed = _selected_rows(conn, table, selection, options)
                if options.archive is not None:
                    archived = options.archive.write(dataset.id, removed)
            deleted = sum(_rowcount(conn.execute(sa.delete(table.clause).where(c))) for c in selection.chunks)
            if deleted != expected:
                raise CountChanged(f"{deleted} rows deleted, {expected} were counted: rolled back, nothing deleted")
            removal = _finish(dataset.id, removed, expected, options, archived)
            if options.before_commit is not None:
                options.before_commit(removal)
    except BaseException as exc:
        if archived is not None:  # the rows were not deleted: their archive would be a false record
            archived.unlink(missing_ok=True)
        if isinstance(exc, sa.exc.SQLAlchemyError):
            raise RemovalProblem(f"rolled back, nothing deleted: {table.error_line(exc)}") from None
        raise
    return removal


def _finish_removal(engine: sa.Engine, table: SqlTable, rows: int) -> str | None:
    """After the commit (the rows are gone, whatever happens here): compact the file; the problem, if any."""
    try:
        table.backend.finish_removal(engine, table)
    except Exception as exc:  # noqa: BLE001 - a failed VACUUM/rebuild is reported, the deletion stands
        return (f"{rows} rows deleted, but the table could not be compacted ({table.error_line(exc)}): "
                "deleted values may remain in free pages until the next VACUUM")
    return None


def _count(conn: sa.Connection, table: SqlTable, chunk: sa.ColumnElement[bool]) -> int:
    """Rows matching one chunk, counted with the backend's row locks (MySQL ``FOR UPDATE``)."""
    statement = table.backend.lock_rows(sa.select(sa.func.count()).select_from(table.clause).where(chunk))
    return int(conn.execute(statement).scalar_one())


def _rowcount(result: Any) -> int:
    count = result.rowcount
    if count is None or count < 0:
        raise RemovalProblem("the database does not report how many rows it deleted: rolled back")
    return int(count)


def _selected_rows(conn: sa.Connection, table: SqlTable, selection: SqlSelection,
                   options: RemovalOptions) -> pa.Table:
    """The rows about to go: every column for an archive, only identifier columns for hashes."""
    names = table.columns if options.archive is not None else [c for c in table.columns if c in options.identifiers]
    columns: dict[str, list[Any]] = {n: [] for n in names}
    for chunk in selection.chunks:
        statement = table.backend.lock_rows(sa.select(*[sa.column(n) for n in names]).select_from(table.clause)
                                            .where(chunk))
        for row in conn.execute(statement):
            for name, value in zip(names, row):
                columns[name].append(value)
    return pa.table({n: _arrow_column(v) for n, v in columns.items()}) if names else pa.table({})


def _arrow_column(values: list[Any]) -> pa.Array:
    """A column's values typed as Arrow infers them; as text when it cannot (mixed or exotic driver types)."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return pa.array([to_text(v) for v in values], pa.string())


# ---------------------------------------------------------------------------- files ----


def remove_file_rows(dataset: Dataset, marker: RowMarker, expected: int,
                     options: RemovalOptions | None = None) -> Removal:
    """Rewrite a file without the rows ``marker`` selects, if and only if it selects ``expected`` rows.

    The new file replaces the original only after it verifies; any failure
    leaves the original untouched and no temporary behind.
    """
    options = options or RemovalOptions()
    if dataset.format not in FILE_FORMATS:
        raise RemovalProblem(f"rows cannot be removed from {dataset.format} files yet "
                             f"(supported: {', '.join(FILE_FORMATS)})")
    path = Path(dataset.location)
    remove_stale_temps(path)
    marks, removed, total = _marks(dataset, marker, _needs_rows(options))
    count = int(marks.sum())
    if count != expected:
        raise CountChanged(f"{count} rows match now, {expected} were counted: file left as it was")
    if count == 0:  # nothing to destroy, nothing to record
        return _finish(dataset.id, removed, 0, options, None)
    archived = options.archive.write(dataset.id, removed) if options.archive is not None and removed is not None \
        else None
    tmp = temp_path(path)
    if dataset.format == "xlsx":  # openpyxl opens a workbook only by its suffix: the re-read needs it
        tmp = tmp.with_name(tmp.name + path.suffix)
    try:
        _write_kept(dataset, path, tmp, marks, total)
        _verify(dataset, tmp, marker, total - count, options.read)
        _same_mode(path, tmp)
        removal = _finish(dataset.id, removed, count, options, archived)
        if options.before_commit is not None:
            options.before_commit(removal)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        if archived is not None:
            archived.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return removal


def remove_stale_temps(path: Path) -> int:
    """Delete temporaries an interrupted removal left beside ``path`` (they are never valid files)."""
    gone = 0
    for stale in path.parent.glob(f".{path.name}{TEMP_MARK}*"):
        if stale.is_file():
            stale.unlink(missing_ok=True)
            gone += 1
    return gone


def _marks(dataset: Dataset, marker: RowMarker, keep_rows: bool) -> tuple[np.ndarray, pa.Table | None, int]:
    """One pass: the remove-mask of every row, the removed rows (when needed) and the row count."""
    parts: list[np.ndarray] = []
    removed: list[pa.RecordBatch] = []
    for batch in dataset.batches():
        mask = pc.fill_null(marker(batch), False)
        if len(mask) != batch.num_rows:
            raise RemovalProblem("the row marker did not return one flag per row")
        parts.append(np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool))
        if keep_rows and pc.any(mask).as_py():
            removed.append(batch.filter(mask))
    if dataset.problems:
        raise RemovalProblem(f"the file has unreadable rows ({dataset.problems[0]}): rows cannot be matched to "
                             "records, nothing removed")
    marks = np.concatenate(parts) if parts else np.zeros(0, dtype=bool)
    table = pa.Table.from_batches(removed).combine_chunks() if removed else None
    if keep_rows and table is None:
        table = pa.table({})
    return marks, table, len(marks)


def _write_kept(dataset: Dataset, path: Path, tmp: Path, marks: np.ndarray, total: int) -> None:
    if dataset.format == "parquet":
        _write_parquet(path, tmp, marks, total)
        return
    if dataset.format == "json":
        _write_json(dataset, path, tmp, marks, total)
        return
    if dataset.format == "xlsx":
        _write_xlsx(dataset, path, tmp, marks, total)
        return
    quoted = dataset.format in ("csv", "tsv")
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with open(path, "rb") as src, os.fdopen(fd, "wb") as out:
        splitter = RecordSplitter(quoted)
        rows = 0
        for block in iter(lambda: src.read(READ_BYTES), b""):
            rows = _copy_kept(splitter.feed(block), marks, rows, out)
        rows = _copy_kept(splitter.finish(), marks, rows, out)
        if rows != total:
            raise RemovalProblem(f"the file has {rows} records but {total} rows were read: nothing removed")
        out.flush()
        os.fsync(out.fileno())


@dataclass(frozen=True)
class Records:
    """Whole records of a block of a line-format file: their byte spans and which are data rows."""

    data: bytes
    starts: np.ndarray
    ends: np.ndarray
    is_row: np.ndarray


class RecordSplitter:
    """Splits a CSV/TSV or JSON Lines file into records, block by block, with numpy (no Python per line).

    A line break ends a CSV record only where the quotes so far are
    balanced (a quoted value may hold line breaks; ``""`` is two quotes);
    ``"`` and line feeds are single bytes in every encoding the readers
    accept (UTF-8, GBK, GB18030), so bytes can be split without decoding.
    Blank lines are not rows (both readers skip them), nor is a CSV's header
    (its first non-blank record); both are copied as they are.
    """

    def __init__(self, quoted: bool) -> None:
        self.quoted = quoted
        self.pending = b""
        self.header_seen = not quoted

    def feed(self, block: bytes) -> Records:
        """The complete records of what was read so far; an unfinished one waits for the next block."""
        return self._split(self.pending + block, final=False)

    def finish(self) -> Records:
        """The last record, when the file does not end with a line break."""
        return self._split(self.pending, final=True)

    def _split(self, buf: bytes, final: bool) -> Records:
        arr = np.frombuffer(buf, dtype=np.uint8)
        newlines = np.flatnonzero(arr == 10)
        if self.quoted and len(newlines):
            line_starts = np.concatenate(([0], newlines[:-1] + 1))
            quotes = np.add.reduceat(arr[: newlines[-1] + 1] == 34, line_starts, dtype=np.int64)
            newlines = newlines[np.cumsum(quotes) % 2 == 0]
        ends = newlines + 1
        if final and len(buf) and (not len(ends) or ends[-1] < len(buf)):
            ends = np.append(ends, len(buf))
        done = int(ends[-1]) if len(ends) else 0
        self.pending = buf[done:]
        starts = np.concatenate(([0], ends[:-1])).astype(np.int64)
        blank = self._blank(arr, starts, ends)
        is_row = ~blank
        if not self.header_seen and is_row.any():
            is_row[int(np.argmax(is_row))] = False
            self.header_seen = True
        return Records(buf[:done], starts, ends, is_row)

    def _blank(self, arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Records with no content: empty lines for CSV, whitespace-only lines for JSON Lines."""
        if not len(ends):
            return np.zeros(0, dtype=bool)
        if self.quoted:
            last = arr[ends - 1]
            content = ends - starts - (last == 10) - ((last == 10) & (ends - starts >= 2) & (arr[np.maximum(ends - 2, 0)] == 13))
            return content == 0
        visible = ~np.isin(arr[: ends[-1]], np.frombuffer(b" \t\r\n", dtype=np.uint8))
        return np.add.reduceat(visible, starts, dtype=np.int64) == 0


def _copy_kept(records: Records, marks: np.ndarray, row: int, out: Any) -> int:
    """Write the records not marked (blank lines and the header always), as runs of whole spans; the next row."""
    rows = int(records.is_row.sum())
    if row + rows > len(marks):
        raise RemovalProblem("the file has more records than rows read: nothing removed")
    keep = np.ones(len(records.ends), dtype=bool)
    keep[records.is_row] = ~marks[row: row + rows]
    edges = np.diff(np.concatenate(([False], keep, [False])).astype(np.int8))
    view = memoryview(records.data)
    for first, last in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1):
        out.write(view[int(records.starts[first]): int(records.ends[last])])
    return row + rows


def _write_json(dataset: Dataset, path: Path, tmp: Path, marks: np.ndarray, total: int) -> None:
    """A JSON array without the removed elements, dumped in the document's own style (the anonymize writer's).

    Kept elements keep their values, nesting and key order; a document
    that is one object (one row) or repeats keys in an object (the reader
    keeps both values, a re-dump could not) is refused.
    """
    from scanner.connectors.jsonfile import DUPLICATE_KEYS
    from scanner.writers.files import json_dump_style

    if dataset.meta.get(DUPLICATE_KEYS):
        raise RemovalProblem("the JSON document repeats keys inside an object: it cannot be rewritten, nothing removed")
    encoding = dataset.meta.get("encoding", "utf-8")
    text = path.read_text(encoding=encoding)
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise RemovalProblem("the JSON document does not read back: nothing removed") from None
    if not isinstance(data, list):
        raise RemovalProblem("the JSON document is one object, not an array of rows: nothing removed")
    if len(data) != total:
        raise RemovalProblem(f"the document has {len(data)} elements but {total} rows were read: nothing removed")
    kept = [element for element, gone in zip(data, marks) if not gone]
    body = json.dumps(kept, **json_dump_style(text)) + ("\n" if text.endswith("\n") else "")
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", encoding=encoding, newline="") as out:
        out.write(body)
        out.flush()
        os.fsync(out.fileno())


def _write_parquet(path: Path, tmp: Path, marks: np.ndarray, total: int) -> None:
    """Row group by row group, filtered, with the source's schema (metadata included) and compression."""
    with pq.ParquetFile(path) as pf:
        if pf.metadata.num_rows != total:
            raise RemovalProblem(f"the file has {pf.metadata.num_rows} rows but {total} were read: nothing removed")
        md = pf.metadata
        codec = md.row_group(0).column(0).compression.lower() if md.num_row_groups and md.num_columns else "snappy"
        schema = pf.schema_arrow
        with pq.ParquetWriter(tmp, schema, compression="none" if codec == "uncompressed" else codec) as writer:
            start = 0
            for i in range(md.num_row_groups):
                group = pf.read_row_group(i)
                keep = ~marks[start: start + group.num_rows]
                start += group.num_rows
                if keep.any():
                    writer.write_table(group.filter(pa.array(keep)).cast(schema))
    os.chmod(tmp, 0o600)


def _write_xlsx(dataset: Dataset, path: Path, tmp: Path, marks: np.ndarray, total: int) -> None:
    """The workbook without the marked rows of the dataset's sheet, every other cell and sheet as it was.

    The connector reads a sheet's rows from the first non-empty row (the
    header) on, empty rows between data rows included and trailing ones
    dropped, so data row ``k`` is sheet row ``header + 1 + k``; the re-read
    in ``_verify`` checks the result either way. openpyxl deletes rows
    without rewriting what refers to them, so a workbook holding any such
    reference is refused rather than silently corrupted.
    """
    import openpyxl

    lost = _xlsx_parts_openpyxl_drops(path)
    if lost is not None:
        raise RemovalProblem(f"rows cannot be removed from this workbook: it holds {lost}, which rewriting it would "
                             "lose (nothing removed)")
    book = openpyxl.load_workbook(path, rich_text=True)
    try:
        sheet = book[str(dataset.meta.get("sheet"))]
        problem = _xlsx_reference_problem(book, sheet)
        if problem is not None:
            raise RemovalProblem(f"rows cannot be removed from this workbook: {problem} would point at the "
                                 "wrong rows afterwards (nothing removed)")
        header = next((row[0].row for row in sheet.iter_rows() if any(c.value not in (None, "") for c in row)), None)
        last = max((row[0].row for row in sheet.iter_rows() if any(c.value not in (None, "") for c in row)),
                   default=0)
        if header is None or last - header != total:
            raise RemovalProblem(f"the sheet has {max(last - (header or last), 0)} data rows but {total} were read: "
                                 "nothing removed")
        for first, count in reversed(_runs(np.flatnonzero(marks) + header + 1)):
            sheet.delete_rows(first, count)
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as out:
            book.save(out)
            out.flush()
            os.fsync(out.fileno())
    finally:
        book.close()


# Parts of a workbook openpyxl does not carry over when it saves a workbook it loaded.
_XLSX_DROPPED = (("xl/drawings/", "drawings or pictures"), ("xl/charts/", "charts"), ("xl/media/", "pictures"),
                 ("xl/pivotTables/", "pivot tables"), ("xl/vbaProject.bin", "macros"),
                 ("xl/externalLinks/", "external links"))


def _xlsx_parts_openpyxl_drops(path: Path) -> str | None:
    """What of the workbook a load-and-save by openpyxl would silently drop, or None."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    for prefix, what in _XLSX_DROPPED:
        if any(name.startswith(prefix) for name in names):
            return what
    return None


def _xlsx_reference_problem(book: Any, sheet: Any) -> str | None:
    """What in the workbook refers to cells by position (and so would shift wrongly), or None."""
    if book.defined_names:
        return "a defined name"
    for ws in book.worksheets:
        for row in ws.iter_rows():
            if any(cell.data_type == "f" for cell in row):
                return f"a formula (sheet {ws.title!r})"
    if sheet.merged_cells.ranges:
        return "a merged cell range"
    if sheet.tables:
        return "an Excel table"
    if len(sheet.conditional_formatting):
        return "a conditional format"
    if sheet.data_validations.dataValidation:
        return "a data validation"
    return None


def _runs(rows: np.ndarray) -> list[tuple[int, int]]:
    """Sorted row numbers as (first, count) runs of consecutive rows."""
    runs: list[tuple[int, int]] = []
    for row in rows.tolist():
        if runs and runs[-1][0] + runs[-1][1] == row:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((row, 1))
    return runs


def _verify(dataset: Dataset, tmp: Path, marker: RowMarker, expected_rows: int, read: ReadOptions) -> None:
    """Re-read the new file with the dataset's own connector: the kept row count, and nothing left to remove."""
    from scanner.formats import registry

    fmt = registry.find(dataset.format)
    if fmt is None:
        raise RemovalProblem(f"no reader for {dataset.format}: nothing removed")
    try:
        reopened = fmt.open(tmp, dataset.id, dataset.source, read)[0]
        rows = left = 0
        for batch in reopened.batches():
            rows += batch.num_rows
            left += int(pc.sum(pc.cast(pc.fill_null(marker(batch), False), pa.int64())).as_py() or 0)
    except SourceError as exc:
        raise RemovalProblem(f"the rewritten file does not read back ({exc}): nothing removed") from None
    if reopened.problems:
        raise RemovalProblem("the rewritten file has unreadable rows: nothing removed")
    if rows != expected_rows or left:
        raise RemovalProblem(f"the rewritten file does not verify ({rows} rows, {expected_rows} expected, "
                             f"{left} still selected): nothing removed")


def _same_mode(path: Path, tmp: Path) -> None:
    """The rewritten file keeps the original's permissions and, where allowed, its owner and group."""
    info = path.stat()
    with contextlib.suppress(OSError):
        os.chown(tmp, info.st_uid, info.st_gid)
    with contextlib.suppress(OSError):
        os.chmod(tmp, info.st_mode & 0o7777)


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable (a crash right after must not bring the old file back)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

