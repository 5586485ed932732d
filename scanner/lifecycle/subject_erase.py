"""``subject erase``: delete or anonymize one person's rows (PIPL Art. 47), with destruction records.

The rows are the ones ``subject_find`` locates (the same ``RowMatcher``).
Nothing changes without ``apply``: the dry run says, per dataset, how many
rows would go or be overwritten, and which columns.

- ``delete`` goes through the one row-removal layer (``removal``): a
  database table loses the rows named by their primary key (or row id) in
  one transaction with the count re-checked inside it; a file is rewritten
  without them, verified, then renamed over the original.
- ``anonymize`` rewrites the person's rows in place with the anonymize
  operators (the rules' defaults: masks), every other row left as it was:
  a CSV/TSV is rewritten record by record, the other rows' bytes copied
  as read; Parquet, XLSX and JSON(L) through the anonymize writers (XLSX
  cell by cell), with the other rows' values given back unchanged. The new
  file is written under a hidden name beside the original, re-read and
  verified (same row count, the person no longer found), then renamed
  over it. A database table is updated in one transaction: the rows are
  selected by key and counted again under the removal layer's locks, each
  updated by its key, the number of rows updated checked, and a SQLite file
  vacuumed with ``secure_delete`` so the old values leave the free pages.

Every dataset changed gets a destruction record in the audit log (method
``delete``/``archive+delete`` or ``overwrite``, rows, the request id, the
keyed hashes of the identifiers the rows held). Messages never quote a value.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from scanner.anonymize.engine import make_transform, plan_columns
from scanner.anonymize.keys import Key
from scanner.anonymize.operators.context import OpContext
from scanner.anonymize.rules import Rules
from scanner.audit import AuditLog
from scanner.connectors.base import Dataset, SourceError
from scanner.connectors.common import DEFAULT_READ_OPTIONS, to_text
from scanner.errors import ValueFreeError, describe_error
from scanner.lifecycle.destruction import DestructionRecord, new_record
from scanner.lifecycle.identifiers import SubjectHasher
from scanner.lifecycle.journal import DestructionJournal
from scanner.lifecycle.kinds import identifier_entities
from scanner.lifecycle.removal import (
    CountChanged,
    Removal,
    RemovalOptions,
    RemovalProblem,
    SqlSelection,
    remove_file_rows,
    remove_stale_temps,
    remove_table_rows,
    row_key,
)
from scanner.lifecycle.subject_find import IdColumn, Located, RowMatcher, SubjectRequest, identifier_columns
from scanner.writers.base import BatchOut, Transform, WriterError, temp_path

MODES = ("delete", "anonymize")
METHOD_OVERWRITE = "overwrite"
KEY_LABEL = "pw_row_key"
# An overwrite's last step before its commit or rename: (rows, identifier hashes) -> the destruction record.
BeforeCommit = Callable[[int, tuple[str, ...]], None]
# Files rewritten in place by ``anonymize`` (the anonymize writers mirror them; CSV/TSV record by record).
OVERWRITE_FORMATS = ("csv", "tsv", "parquet", "xlsx", "json", "jsonl")


class EraseProblem(ValueFreeError):
    """A dataset the person's rows could not be erased from; it was left as it was (one line)."""


@dataclass(frozen=True)
class ErasedDataset:
    """One dataset's share of the erasure: rows, method, columns overwritten, done or only planned."""

    dataset: str
    source: str
    format: str
    rows: int
    method: str
    columns: tuple[str, ...] = ()
    applied: bool = False
    subjects: int = 0  # distinct identifier hashes recorded
    problem: str | None = None  # done, but something after the change failed (e.g. compacting the file)

    def to_json(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "source": self.source, "format": self.format, "rows": self.rows,
                "method": self.method, "columns": list(self.columns), "applied": self.applied,
                "subjects": self.subjects, "problem": self.problem}


@dataclass(frozen=True)
class EraseResult:
    """The request's erasure: per dataset what was (or would be) done, the records written, the failures."""

    request_id: str
    identifiers: tuple[str, ...]
    mode: str
    applied: bool
    datasets: tuple[ErasedDataset, ...]
    records: tuple[DestructionRecord, ...] = ()
    errors: tuple[tuple[str, str], ...] = ()

    @property
    def rows(self) -> int:
        return sum(d.rows for d in self.datasets)

    def to_json(self) -> dict[str, Any]:
        return {"request_id": self.request_id, "identifiers": list(self.identifiers), "mode": self.mode,
                "applied": self.applied, "rows": self.rows, "datasets": [d.to_json() for d in self.datasets],
                "records": [r.to_json() for r in self.records],
                "errors": [{"source": s, "error": e} for s, e in self.errors]}


def new_request_id(now: dt.datetime | None = None) -> str:
    """A request id for the records (``dsr-20260331-1a2b3c4d``): dated, random, never derived from the person."""
    day = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%d")
    return f"dsr-{day}-{secrets.token_hex(4)}"


@dataclass
class Eraser:
    """One request's erasure over the located datasets."""

    request: SubjectRequest
    mode: str
    key: Key | None = None
    operator: str | None = None
    rules: Rules = field(default_factory=Rules)
    request_id: str = field(default_factory=new_request_id)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        self.hasher = SubjectHasher(self.key) if self.key is not None else None

    def plan(self, item: Located) -> ErasedDataset:
        """What would be done to one dataset (the dry run's line)."""
        if self.mode == "delete":
            return ErasedDataset(item.hit.dataset, item.hit.source, item.hit.format, item.hit.rows, "delete")
        columns = tuple(p.name for p in self._plans(item))
        return ErasedDataset(item.hit.dataset, item.hit.source, item.hit.format, item.hit.rows, METHOD_OVERWRITE,
                             columns)

    def _plans(self, item: Located) -> list[Any]:
        return plan_columns(item.dataset, item.findings, self.rules, OpContext(self.key))

    def journal(self, item: Located, audit: AuditLog | None) -> DestructionJournal:
        """The two-phase destruction record of one dataset's erasure (written just before its commit)."""
        return DestructionJournal(audit, lambda done: new_record(
            method=done.method, dataset=item.hit.dataset, rows=done.rows, operator_name=self.operator,
            subject_hashes=list(done.subject_hashes), request_id=self.request_id, source=item.hit.source,
            key_fingerprint=done.key_fingerprint))

    def apply(self, item: Located, journal: DestructionJournal | None = None) -> ErasedDataset:
        """Erase the person's rows of one dataset; its line (EraseProblem: untouched).

        ``journal`` writes the destruction record before the commit (a
        journal without a log only keeps the record: ``journal.record``).
        """
        journal = journal or self.journal(item, None)
        columns: tuple[str, ...] = ()
        if self.mode == "delete":
            done = self._delete(item, journal)
            method, rows, problem = done.method, done.rows, done.problem
        else:
            rows, columns, problem = self._overwrite(item, journal)
            method = METHOD_OVERWRITE
        subjects = len(journal.record.subject_hashes) if journal.record is not None else 0
        return ErasedDataset(item.hit.dataset, item.hit.source, item.hit.format, rows, method, columns, True,
                             subjects, problem)

    # ---------------------------------------------------------------- delete ----

    def _removal_options(self, item: Located, journal: DestructionJournal) -> RemovalOptions:
        return RemovalOptions(identifiers={c.name: c.entity for c in held_identifiers(item)}, hasher=self.hasher,
                              before_commit=journal.before_commit)

    def _delete(self, item: Located, journal: DestructionJournal) -> Removal:
        ds, matcher = item.dataset, item.matcher
        try:
            if ds.sql is not None:
                key_expr, _name = table_row_key(ds.sql)
                keys = row_keys(ds, key_expr, matcher)
                return remove_table_rows(ds, SqlSelection.values_in(key_expr, keys), len(keys),
                                         self._removal_options(item, journal))
            return remove_file_rows(ds, lambda batch: pa.array(matcher.mask(batch)), item.hit.rows,
                                    self._removal_options(item, journal))
        except (RemovalProblem, SourceError, OSError) as exc:  # OSError: the rename, after the record was written
            raise EraseProblem(_one_line(exc)) from None

    # ------------------------------------------------------------- anonymize ----

    def _overwrite(self, item: Located, journal: DestructionJournal) -> tuple[int, tuple[str, ...], str | None]:
        """(rows overwritten, columns changed, problem after the commit) for one dataset."""
        plans = self._plans(item)
        if not plans:
            raise EraseProblem("no column of these rows has an anonymize rule: nothing to overwrite")
        inner = make_transform(plans, None)
        columns = tuple(p.name for p in plans)
        problem = None
        fingerprint = self.key.fingerprint if self.key is not None else None

        def before_commit(rows: int, hashes: tuple[str, ...]) -> None:
            journal.before_commit(Removal(item.hit.dataset, rows, METHOD_OVERWRITE, hashes,
                                          fingerprint if hashes else None))

        try:
            if item.dataset.sql is not None:
                rows, problem = overwrite_table(item, inner, self.hasher, before_commit)
            else:
                rows = overwrite_file(item, inner, self.hasher, before_commit)
        except (RemovalProblem, SourceError, WriterError, sa.exc.SQLAlchemyError, OSError) as exc:
            raise EraseProblem(_one_line(exc, item.dataset.sql.secrets if item.dataset.sql else ())) from None
        return rows, columns, problem


def _one_line(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """A value-free line for an erasure that failed; ``secrets`` (the URL's password) blanked."""
    if isinstance(exc, ValueFreeError):
        return str(exc)
    if isinstance(exc, sa.exc.SQLAlchemyError):
        return f"rolled back, nothing changed: {describe_error(exc, secrets)}"
    return describe_error(exc, secrets)


def erase(located: Sequence[Located], eraser: Eraser, *, apply: bool, audit: AuditLog | None = None,
          errors: Sequence[tuple[str, str]] = ()) -> EraseResult:
    """Plan or carry out the erasure; applied changes are recorded in ``audit`` as they happen."""
    lines: list[ErasedDataset] = []
    records: list[DestructionRecord] = []
    failures = list(errors)
    for item in located:
        if not apply:
            lines.append(eraser.plan(item))
            continue
        journal = eraser.journal(item, audit)
        try:
            line = eraser.apply(item, journal)
        except EraseProblem as exc:
            unconcluded = journal.finish(str(exc))  # a record written before a failed commit: not done
            failures.append((item.dataset.where, f"{exc}; {unconcluded}" if unconcluded else str(exc)))
            continue
        lines.append(line)
        if journal.record is not None:
            records.append(journal.record)
        if line.problem:
            failures.append((item.dataset.where, line.problem))
        unconcluded = journal.finish()
        if unconcluded and audit is not None:  # the rows are gone and recorded: say the outcome is missing
            failures.append((str(audit.path), unconcluded))
    return EraseResult(eraser.request_id, eraser.request.labels, eraser.mode, apply, tuple(lines), tuple(records),
                       tuple(failures))


# --------------------------------------------------------------- helpers ----


def table_row_key(table: Any) -> tuple[sa.ColumnElement[Any], str]:
    """``removal.row_key``, or the backend's row id when the driver cannot read the primary key at all
    (duckdb_engine's reflection fails on DuckDB's catalog): a row id names the row just as well, and the
    count re-checked inside the transaction guards it."""
    try:
        return row_key(table)
    except RemovalProblem:
        fallback = table.backend.removal_row_id()
        if fallback is None:
            raise
        return fallback


def row_keys(ds: Dataset, key_expr: sa.ColumnElement[Any], matcher: RowMatcher) -> list[Any]:
    """The row keys (primary key or row id) of a table's rows holding the person, identifier columns streamed alone."""
    table = ds.sql
    names = matcher.names
    statement = sa.select(key_expr.label(KEY_LABEL), *[sa.column(n) for n in names]).select_from(table.clause)
    keys: list[Any] = []
    try:
        with table.session() as conn:
            result = conn.execution_options(**table.backend.stream_options()).execute(statement)
            for part in result.partitions():
                mask = matcher.mask(_text_batch(part, names, offset=1))
                keys.extend(part[i][0] for i in np.flatnonzero(mask))
    except sa.exc.SQLAlchemyError as exc:
        raise SourceError(table.error_line(exc)) from None
    return keys


def _text_batch(rows: Sequence[Any], names: list[str], offset: int = 0) -> pa.RecordBatch:
    """Rows as the connector streams them: every value as text (so normalization sees what ``find`` saw)."""
    arrays = [pa.array([to_text(row[i + offset]) for row in rows], pa.string()) for i in range(len(names))]
    return pa.RecordBatch.from_arrays(arrays, names=names)


def erase_transform(inner: Transform, matcher: RowMatcher) -> Transform:
    """The anonymize transform applied to the person's rows only; every other row's values given back as read.

    A changed column whose type the operators change (a masked integer
    becomes text) is given back as that type for the other rows too, and
    the batch the writer compares against is cast alike, so a cell-level
    writer (XLSX) sees those rows unchanged.
    """

    def transform(batch: pa.RecordBatch) -> BatchOut:
        mask = matcher.mask(batch)
        if not mask.any():
            return BatchOut(batch)
        done = inner(batch.filter(pa.array(mask)))
        flags = pa.array(mask)
        arrays = dict(zip(batch.schema.names, batch.columns))
        changed: dict[str, pa.Array] = {}
        for name in batch.schema.names:
            if name in done.changed:
                new = done.changed[name]
            elif name in done.dropped:
                new = pa.nulls(int(mask.sum()), arrays[name].type)
            else:
                continue
            if arrays[name].type != new.type:
                arrays[name] = pc.cast(arrays[name], new.type)
            changed[name] = pc.replace_with_mask(arrays[name], flags, new)
        base = pa.RecordBatch.from_arrays(list(arrays.values()), names=list(arrays))
        return BatchOut(base, changed)

    return transform


def held_identifiers(item: Located) -> list[IdColumn]:
    """Every identifier column of the dataset (not only the kinds asked for): a record then answers
    "was this e-mail erased?" for a request made by mobile number, from the same rows."""
    return [c for c in identifier_columns(item.findings, identifier_entities()) if not c.free_text]


def _identifier_hashes(hasher: SubjectHasher | None, item: Located, rows: pa.RecordBatch | pa.Table) -> set[str]:
    """Keyed hashes of the identifiers the person's rows hold (before they are overwritten)."""
    if hasher is None:
        return set()
    found: set[str] = set()
    for column in held_identifiers(item):
        if column.name in rows.schema.names:
            found.update(hasher.hex_digests(column.entity, rows.column(column.name)))
    return found


# ----------------------------------------------------------------- files ----


def overwrite_file(item: Located, inner: Transform, hasher: SubjectHasher | None,
                   before_commit: BeforeCommit | None = None) -> int:
    """Rewrite a file with the person's rows anonymized; the rows overwritten.

    Written beside the original under a hidden name, verified, then renamed
    over it: a kill at any point leaves the old file or the new one.
    ``before_commit`` gets (rows, identifier hashes) just before the rename
    (the destruction record); raising there leaves the original.
    """
    ds, matcher = item.dataset, item.matcher
    if ds.format not in OVERWRITE_FORMATS:
        raise EraseProblem(f"{ds.format} files cannot be rewritten in place (supported: {', '.join(OVERWRITE_FORMATS)})")
    path = Path(ds.location)
    remove_stale_temps(path)
    rows, hashes, total = 0, set(), 0
    for batch in ds.batches():
        mask = matcher.mask(batch)
        total += batch.num_rows
        if mask.any():
            rows += int(mask.sum())
            hashes |= _identifier_hashes(hasher, item, batch.filter(pa.array(mask)))
    if ds.problems:
        raise EraseProblem(f"the file has unreadable rows ({ds.problems[0]}): rows cannot be matched to records, "
                           "nothing changed")
    if rows != item.hit.rows:
        raise CountChanged(f"{rows} rows match now, {item.hit.rows} were found: file left as it was")
    transform = erase_transform(inner, matcher)
    staged = path.with_name(f".{path.stem}.piiwarden-erase{path.suffix}")  # readers and writers go by the suffix
    remove_stale_temps(staged)  # what a killed erase left: never a valid file
    staged.unlink(missing_ok=True)
    try:
        if ds.format in ("csv", "tsv"):
            _rewrite_csv(ds, path, staged, transform, matcher)
        else:
            _rewrite_with_writer(ds, staged, transform)
        _verify(ds, staged, matcher, total)
        os.chmod(staged, path.stat().st_mode & 0o7777)
        if before_commit is not None:
            before_commit(rows, tuple(sorted(hashes)))
        os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)
    return rows


def _rewrite_with_writer(ds: Dataset, staged: Path, transform: Transform) -> None:
    """Parquet, XLSX, JSON(L): the anonymize writer mirrors the file into ``staged``."""
    from scanner.formats import writer_for

    writer = writer_for(ds, staged)
    try:
        writer.run_dataset(ds, transform)
        writer.commit()
    except BaseException:
        writer.abort()
        raise


def _rewrite_csv(ds: Dataset, path: Path, staged: Path, transform: Transform, matcher: RowMatcher) -> None:
    """Record by record: the person's records re-serialized with the file's delimiter, encoding and line end,
    every other record (and the header, blank lines) copied byte for byte."""
    encoding = ds.meta.get("encoding", "utf-8")
    delimiter = ds.meta.get("delimiter", "," if ds.format == "csv" else "\t")
    replaced: dict[int, list[str]] = {}
    offset = 0
    for batch in ds.batches():
        mask = matcher.mask(batch)
        if mask.any():
            output = transform(batch).output()
            for i in np.flatnonzero(mask):
                record = output.slice(int(i), 1).to_pylist()[0]
                replaced[offset + int(i)] = ["" if v is None else str(v) for v in record.values()]
        offset += batch.num_rows
    tmp = temp_path(staged)
    row = 0
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with open(path, "rb") as src, os.fdopen(fd, "wb") as out_fh:
            for record, is_row in _csv_records(src):
                if is_row and row in replaced:
                    ending = record[len(record.rstrip(b"\r\n")):]
                    out_fh.write(_csv_line(replaced[row], delimiter).encode(encoding) + ending)
                else:
                    out_fh.write(record)
                row += is_row
            out_fh.flush()
            os.fsync(out_fh.fileno())
        if row != offset:
            raise EraseProblem(f"the file has {row} records but {offset} rows were read: nothing changed")
        os.replace(tmp, staged)
    finally:
        tmp.unlink(missing_ok=True)


def _csv_line(values: list[str], delimiter: str) -> str:
    """One record without its line end, quoted where needed.

    The writer quotes a value holding a line break only when the break is
    in its ``lineterminator``: written with ``\r\n`` and cut off, so an
    embedded newline is quoted whatever the file's own line end.
    """
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()[:-2]


def _csv_records(src: Any) -> Iterator[tuple[bytes, bool]]:
    """Raw CSV records and whether each is a data row (not the header, not a blank line).

    A record runs over several lines while a quoted value is open (an odd
    number of quote bytes so far); ``"`` and line breaks are single bytes in
    every encoding the readers accept (UTF-8, GBK, GB18030).
    """
    pending: list[bytes] = []
    quotes = 0
    header_seen = False
    for line in src:
        pending.append(line)
        quotes += line.count(b'"')
        if quotes % 2:
            continue
        record, pending, quotes = b"".join(pending), [], 0
        if not record.strip(b"\r\n"):
            yield record, False
        elif not header_seen:
            header_seen = True
            yield record, False
        else:
            yield record, True
    if pending:
        yield b"".join(pending), header_seen


def _verify(ds: Dataset, staged: Path, matcher: RowMatcher, total: int) -> None:
    """Re-read the rewritten file with the dataset's own reader: the same rows, and the person no longer in them."""
    from scanner.formats import registry

    fmt = registry.find(ds.format)
    if fmt is None:
        raise EraseProblem(f"no reader for {ds.format}: nothing changed")
    reopened = fmt.open(staged, ds.id, ds.source, DEFAULT_READ_OPTIONS)
    if "sheet" in ds.meta:
        reopened = [d for d in reopened if d.meta.get("sheet") == ds.meta["sheet"]]
    if len(reopened) != 1:
        raise EraseProblem("the rewritten file does not read back as one dataset: nothing changed")
    rows = left = 0
    for batch in reopened[0].batches():
        rows += batch.num_rows
        left += int(matcher.mask(batch).sum())
    if reopened[0].problems or rows != total or left:
        raise EraseProblem(f"the rewritten file does not verify ({rows} rows, {total} expected, {left} still "
                           "holding the person): nothing changed")


# ---------------------------------------------------------------- tables ----


def overwrite_table(item: Located, inner: Transform, hasher: SubjectHasher | None,
                    before_commit: BeforeCommit | None = None) -> tuple[int, str | None]:
    """Update the person's rows of a table in one transaction; (rows overwritten, problem after the commit).

    The rows are selected by key and counted again under the removal
    layer's locks; a count that differs from the one found, or an update
    that touches another number of rows, rolls everything back. The
    problem is one after the commit (compacting the file failed): the rows
    are overwritten all the same. ``before_commit`` gets (rows, identifier
    hashes) as the transaction's last step; raising there rolls it back.
    """
    ds, matcher = item.dataset, item.matcher
    table = ds.sql
    backend = table.backend
    key_expr, _name = table_row_key(table)
    keys = row_keys(ds, key_expr, matcher)
    expected = len(keys)
    selection = SqlSelection.values_in(key_expr, keys)
    engine = backend.removal_engine(table)
    try:
        with engine.begin() as conn:
            backend.begin_removal(conn, table)
            fetched = []
            for chunk in selection.chunks:
                statement = backend.lock_rows(sa.select(key_expr.label(KEY_LABEL), *[sa.column(n) for n in table.columns])
                                              .select_from(table.clause).where(chunk))
                fetched.extend(conn.execute(statement).all())
            batch = _text_batch(fetched, list(table.columns), offset=1)
            if len(fetched) != expected or int(matcher.mask(batch).sum()) != expected:
                raise CountChanged(f"{len(fetched)} rows match now, {expected} were found: rolled back, nothing changed")
            hashes = _identifier_hashes(hasher, item, batch)
            out = erase_transform(inner, matcher)(batch)
            updated = _update_rows(conn, table, key_expr, [r[0] for r in fetched], out)
            if updated != expected:
                raise CountChanged(f"{updated} rows updated, {expected} were found: rolled back, nothing changed")
            if before_commit is not None:
                before_commit(expected, tuple(sorted(hashes)))
        problem = None
        try:
            backend.finish_removal(engine, table)
        except Exception as exc:  # noqa: BLE001 - committed: a failed VACUUM/rebuild is reported, not undone
            problem = (f"{expected} rows overwritten, but the file could not be compacted ({table.error_line(exc)}): "
                       "old values may remain in free pages until the next VACUUM")
    finally:
        engine.dispose()
    return expected, problem


def _update_rows(conn: sa.Connection, table: Any, key_expr: sa.ColumnElement[Any], keys: list[Any],
                 out: BatchOut) -> int:
    """One UPDATE per row, by its key, of the changed columns; the number of rows updated."""
    names = list(out.changed)
    if not names:
        return len(keys)
    params = {name: f"pw_v{i}" for i, name in enumerate(names)}
    statement = sa.update(table.clause).where(key_expr == sa.bindparam("pw_k")) \
        .values({name: sa.bindparam(param) for name, param in params.items()})
    values = {name: out.changed[name].to_pylist() for name in names}
    updated = 0
    for i, key in enumerate(keys):
        result = conn.execute(statement, {"pw_k": key, **{params[n]: values[n][i] for n in names}})
        if result.rowcount is None or result.rowcount < 0:
            raise RemovalProblem("the database does not report how many rows it updated: rolled back")
        updated += int(result.rowcount)
    return updated
