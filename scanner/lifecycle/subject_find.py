"""Where is everything about this person? Locating a data subject's rows across files and databases.

A data-subject request (PIPL Arts. 44-47) names a person by one or more
identifiers typed by a clerk. This module turns them into a
``SubjectRequest`` (each value normalized like the ``hash`` operator, per
entity it may be held as) and finds, per dataset, the rows holding any of
them:

1. scan detection (the seeded sample a ``scan`` uses) picks the dataset's
   identifier columns of the requested entities;
2. only those columns are streamed (``Dataset.column_batches``), each batch
   normalized in bulk (``identifiers.normalize_identifiers``) and compared
   with the request's normalized forms by ``pc.is_in`` over the whole column.

The comparison is on normalized forms rather than keyed hashes: both sides
are normalized the same way, so the result is the same as comparing HMACs,
without an HMAC per distinct cell (a million-row column would pay a million
of them). The forms live only in the request object for the run and are
never printed, logged or stored; what leaves this module is dataset and
column names, counts and the identifiers' labels (``mobile#1``).

With a subject index (``scan --index``) the same question is a lookup of
keyed hashes (``SubjectIndex.lookup``): ``find_in_index``.

``RowMatcher`` is the per-batch test the export and the erasure reuse, so
the three commands can never disagree on which rows belong to the person.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scanner.anonymize.keys import Key
from scanner.connectors.base import Dataset, SourceError
from scanner.lifecycle.identifiers import (
    INDEX_FILENAME,
    IdentifierProblem,
    IndexProblem,
    SubjectHasher,
    SubjectIndex,
    SubjectQuery,
    normalize_identifier,
)
from scanner.lifecycle.kinds import identifier_kinds
from scanner.model import ColumnFinding
from scanner.pipeline import ScanOptions, scan_dataset

Say = Callable[[str], None]


@dataclass(frozen=True, repr=False)
class SubjectRequest:
    """The identifiers of one request, normalized per entity they may be held as (never shown).

    ``forms`` maps entity -> normalized form -> label (``mobile#1``): the
    labels are what results and messages name, the forms stay in memory.
    """

    forms: dict[str, dict[str, str]] = field(repr=False)
    labels: tuple[str, ...]
    # Labels of values that no entity of their kind accepts (pattern and checksum): searched as given, but a
    # typo in an ID would answer "we hold nothing about you", so the caller says so.
    unrecognized: tuple[str, ...] = ()

    @classmethod
    def build(cls, identifiers: Iterable[tuple[str, str]]) -> SubjectRequest:
        """From (kind, value) pairs as given on the command line; IdentifierProblem names the option, not the value."""
        from scanner.anonymize.shapes import matches_entity

        kinds = identifier_kinds()
        forms: dict[str, dict[str, str]] = {}
        labels: list[str] = []
        unrecognized: list[str] = []
        seen: dict[str, int] = {}
        for kind, value in identifiers:
            if kind not in kinds:
                raise IdentifierProblem(f"unknown identifier kind {kind!r} (use one of: {', '.join(kinds)})")
            seen[kind] = seen.get(kind, 0) + 1
            label = f"{kind}#{seen[kind]}"
            found = valid = False
            for entity in kinds[kind]:
                form = normalize_identifier(entity, value)
                if form:
                    forms.setdefault(entity, {})[form] = label
                    found = True
                    valid = valid or matches_entity(entity, form)
            if not found:
                raise IdentifierProblem(f"--{kind} value number {seen[kind]} is empty or a placeholder")
            labels.append(label)
            if not valid:
                unrecognized.append(label)
        if not labels:
            raise IdentifierProblem("no identifier given (use --id, --mobile, --email or --card)")
        return cls(forms, tuple(labels), tuple(unrecognized))

    def warnings(self) -> list[str]:
        """One line per value no known format of its kind accepts (never the value itself)."""
        return [f"--{label.split('#')[0]} value number {label.split('#')[1]} matches no known "
                f"{label.split('#')[0]} format or checksum: searched as given, so a typo would find nothing"
                for label in self.unrecognized]

    @property
    def entities(self) -> frozenset[str]:
        return frozenset(self.forms)

    def value_set(self, entity: str) -> pa.Array:
        """The normalized forms looked for in a column of this entity."""
        return pa.array(sorted(self.forms.get(entity, {})), pa.string())

    def query(self, hasher: SubjectHasher) -> SubjectQuery:
        """The keyed hashes an index lookup needs (same terms as ``SubjectQuery.build``)."""
        terms = {(entity, hasher.digests([form])[0], label)
                 for entity, by_form in self.forms.items() for form, label in by_form.items()}
        return SubjectQuery(frozenset(terms))

    def digests(self, hasher: SubjectHasher) -> list[str]:
        """Hex HMACs of every normalized form: what a destruction record keeps about the person."""
        forms = sorted({form for by_form in self.forms.values() for form in by_form})
        return sorted({d.hex() for d in hasher.digests(forms)})

    def __repr__(self) -> str:
        return f"SubjectRequest(identifiers={list(self.labels)})"


@dataclass(frozen=True)
class IdColumn:
    """A column holding identifiers of one of the requested entities.

    ``free_text``: the identifiers are spans inside longer texts (a remarks
    column, a document's ``text``), found by the entity's recognizer.
    """

    name: str
    entity: str
    free_text: bool = False


@dataclass(frozen=True)
class ColumnHit:
    """How many rows of one column hold the person, and by which identifiers (labels, never values)."""

    column: str
    entity: str
    rows: int
    identifiers: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"column": self.column, "entity": self.entity, "rows": self.rows,
                "identifiers": list(self.identifiers)}


@dataclass(frozen=True)
class DatasetHit:
    """One dataset holding the person: its rows holding any identifier, and per column.

    ``rows`` is exact when the data was read; from an index it is the
    largest column count (a row may hold the person in two columns, which
    an index of values cannot tell), so ``rows_exact`` says which.
    """

    dataset: str
    source: str
    format: str
    rows: int
    columns: tuple[ColumnHit, ...]
    rows_exact: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "source": self.source, "format": self.format, "rows": self.rows,
                "rows_exact": self.rows_exact, "columns": [c.to_json() for c in self.columns]}


@dataclass(frozen=True)
class FindResult:
    """Every dataset holding the person, the datasets looked at, and the sources that failed."""

    identifiers: tuple[str, ...]
    datasets: tuple[DatasetHit, ...]
    searched: int
    errors: tuple[tuple[str, str], ...] = ()  # (where, one line)
    via_index: bool = False
    unindexed: tuple[str, ...] = ()  # datasets of the sources the index never read (a lookup cannot see them)

    @property
    def rows(self) -> int:
        return sum(d.rows for d in self.datasets)

    def to_json(self) -> dict[str, Any]:
        return {"identifiers": list(self.identifiers), "via_index": self.via_index, "searched": self.searched,
                "unindexed": list(self.unindexed),
                "datasets": [d.to_json() for d in self.datasets],
                "errors": [{"source": s, "error": e} for s, e in self.errors]}


class RowMatcher:
    """Which rows of a batch hold the person: any identifier column whose normalized cell is requested."""

    def __init__(self, request: SubjectRequest, columns: Sequence[IdColumn]) -> None:
        self.request = request
        self.columns = tuple(columns)
        self._sets = {c.entity: request.value_set(c.entity) for c in self.columns}

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(c.name for c in self.columns))

    def column_hits(self, batch: pa.RecordBatch | pa.Table, column: IdColumn) -> tuple[np.ndarray, pa.Array]:
        """(rows of the batch whose cell is one of the person's identifiers, the matched normalized forms)."""
        from scanner.lifecycle.identifiers import normalize_identifiers

        if column.name not in batch.schema.names:
            return np.zeros(batch.num_rows, dtype=bool), pa.array([], pa.string())
        if column.free_text:
            rows, forms = span_forms(column.entity, batch.column(column.name))
            hit = pc.fill_null(pc.is_in(forms, value_set=self._sets[column.entity]), False)
            mask = np.zeros(batch.num_rows, dtype=bool)
            mask[rows[hit.to_numpy(zero_copy_only=False).astype(bool)]] = True
            return mask, pc.unique(forms.filter(hit))
        normalized = normalize_identifiers(column.entity, batch.column(column.name))
        hit = pc.fill_null(pc.is_in(normalized, value_set=self._sets[column.entity]), False)
        mask = hit.to_numpy(zero_copy_only=False).astype(bool, copy=False)
        return mask, pc.unique(normalized.filter(hit))

    def mask(self, batch: pa.RecordBatch | pa.Table) -> np.ndarray:
        """Rows of the batch holding the person in any identifier column."""
        out = np.zeros(batch.num_rows, dtype=bool)
        for column in self.columns:
            out |= self.column_hits(batch, column)[0]
        return out

    def labels(self, entity: str, forms: pa.Array) -> set[str]:
        by_form = self.request.forms.get(entity, {})
        return {by_form[f] for f in forms.to_pylist() if f in by_form}


def identifier_columns(findings: Sequence[ColumnFinding], entities: Iterable[str]) -> list[IdColumn]:
    """The columns scan detection classified as one of ``entities``, and free-text columns holding them.

    A free-text column (remarks, a document's text) is searched once per
    requested entity detection saw in it.
    """
    wanted = frozenset(entities)
    out: list[IdColumn] = []
    for c in findings:
        if c.free_text:
            out.extend(IdColumn(c.name, e, True) for e in sorted({ev.entity for ev in c.entities} & wanted))
        elif c.primary_entity in wanted:
            out.append(IdColumn(c.name, c.primary_entity))
    return out


def _span_recognizers(entity: str) -> tuple[Any, ...]:
    """The entity's recognizer (fresh: a custom entity may have been registered since the last batch)."""
    from detectors.entities.registry import recognizer_classes

    return tuple(cls() for cls in recognizer_classes() if cls.ENTITY == entity)


def span_forms(entity: str, values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Every span of ``entity`` in a column of texts, normalized: (row of each span, its canonical form).

    Each distinct text is analyzed once, and only texts the recognizer's
    prefilter admits (``detectors.freetext.find_spans``); the spans are
    normalized together, like cells of an identifier column.
    """
    from detectors.freetext import find_spans
    from scanner.lifecycle.identifiers import normalize_identifiers

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    recognizers = list(_span_recognizers(entity))
    if not recognizers or not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return np.zeros(0, dtype=np.int64), pa.array([], pa.string())
    encoded = pc.dictionary_encode(values)
    texts = encoded.dictionary.to_pylist()
    found = find_spans(recognizers, encoded.dictionary, texts)
    owner: list[int] = []
    pieces: list[str] = []
    for i, (text, spans) in enumerate(zip(texts, found)):
        for kind, start, end, _score in spans:
            if kind == entity:
                owner.append(i)
                pieces.append(text[start:end])
    if not pieces:
        return np.zeros(0, dtype=np.int64), pa.array([], pa.string())
    forms = normalize_identifiers(entity, pa.array(pieces, pa.string()))
    # Rows whose text holds a span (candidates only), each repeated once per span of its text.
    text_of_row = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    owners = np.asarray(owner, dtype=np.int64)
    rows = np.flatnonzero(np.isin(text_of_row, owners))
    if not len(rows):
        return np.zeros(0, dtype=np.int64), pa.array([], pa.string())
    order = np.argsort(owners, kind="stable")
    first = np.searchsorted(owners[order], text_of_row[rows], side="left")
    last = np.searchsorted(owners[order], text_of_row[rows], side="right")
    span_rows = np.repeat(rows, last - first)
    picks = order[np.concatenate([np.arange(a, b) for a, b in zip(first.tolist(), last.tolist())])]
    return span_rows, forms.take(pa.array(picks, pa.int64()))


def detect_columns(ds: Dataset, request: SubjectRequest,
                   options: ScanOptions | None = None) -> tuple[list[IdColumn], list[ColumnFinding]]:
    """Scan detection on the dataset's sample: (the requested entities' columns, every column's finding).

    SourceError when the dataset cannot be read.
    """
    result = scan_dataset(ds, options or ScanOptions())
    fatal = [e for e in result.errors if e not in ds.problems]
    if fatal:
        raise SourceError(fatal[0])
    return identifier_columns(result.columns, request.entities), list(result.columns)


def locate(ds: Dataset, matcher: RowMatcher) -> DatasetHit | None:
    """Stream only the identifier columns of one dataset; its hit, or None when the person is not in it."""
    if not matcher.columns:
        return None
    rows = 0
    per_column: dict[IdColumn, int] = {}
    labels: dict[IdColumn, set[str]] = {}
    for batch in ds.column_batches(matcher.names):
        any_hit = np.zeros(batch.num_rows, dtype=bool)
        for column in matcher.columns:
            mask, forms = matcher.column_hits(batch, column)
            count = int(mask.sum())
            if count:
                per_column[column] = per_column.get(column, 0) + count
                labels.setdefault(column, set()).update(matcher.labels(column.entity, forms))
                any_hit |= mask
        rows += int(any_hit.sum())
    if not rows:
        return None
    hits = tuple(ColumnHit(c.name, c.entity, n, tuple(sorted(labels[c]))) for c, n in per_column.items())
    return DatasetHit(ds.id, masked_source(ds.source), ds.format, rows, tuple(sorted(hits, key=lambda h: h.column)))


def masked_source(source: str) -> str:
    """A SOURCE as records show it (a URL's password masked)."""
    from scanner.connectors.sqldb import mask_source

    return mask_source(source)


@dataclass
class Located:
    """A dataset that holds the person, with the columns that say so (what export and erase work on)."""

    dataset: Dataset
    matcher: RowMatcher
    hit: DatasetHit
    findings: list[ColumnFinding] = field(default_factory=list)  # scan detection of every column (erase plans)


def search(datasets: Sequence[Dataset], request: SubjectRequest, *, options: ScanOptions | None = None,
           say: Say | None = None) -> tuple[list[Located], int, list[tuple[str, str]]]:
    """Every dataset holding the person: (found, datasets searched, (where, error) per dataset that failed)."""
    found: list[Located] = []
    errors: list[tuple[str, str]] = []
    for ds in datasets:
        if say is not None:
            say(ds.id)
        try:
            columns, findings = detect_columns(ds, request, options)
            matcher = RowMatcher(request, columns)
            hit = locate(ds, matcher)
        except SourceError as exc:
            errors.append((ds.where, str(exc)))
            continue
        if hit is not None:
            found.append(Located(ds, matcher, hit, findings))
    return found, len(datasets), errors


def find(datasets: Sequence[Dataset], request: SubjectRequest, *, options: ScanOptions | None = None,
         failed: Sequence[tuple[str, str]] = (), say: Say | None = None) -> FindResult:
    """``subject find`` without an index: the datasets, columns and row counts holding the person."""
    found, searched, errors = search(datasets, request, options=options, say=say)
    return FindResult(request.labels, tuple(f.hit for f in found), searched, tuple(list(failed) + errors))


def find_in_index(index: SubjectIndex, request: SubjectRequest, datasets: Sequence[Dataset],
                  failed: Sequence[tuple[str, str]] = ()) -> FindResult:
    """``subject find --index``: a keyed-hash lookup, restricted to the datasets of the given sources.

    The sources are only listed (files found, tables named), never read.
    """
    by_id = {ds.id: ds for ds in datasets}
    grouped: dict[str, dict[tuple[str, str], tuple[int, set[str]]]] = {}
    for posting in index.lookup(request.query(index.hasher)):
        if posting.dataset not in by_id:
            continue
        in_dataset = grouped.setdefault(posting.dataset, {})
        rows, labels = in_dataset.get((posting.column, posting.entity), (0, set()))
        # one posting per identifier: a column holding two of the person's identifiers has both counted
        in_dataset[(posting.column, posting.entity)] = (rows + posting.rows, labels | {posting.identifier})
    hits = []
    for dataset in sorted(grouped):
        ds = by_id[dataset]
        columns = tuple(ColumnHit(col, entity, rows, tuple(sorted(labels)))
                        for (col, entity), (rows, labels) in sorted(grouped[dataset].items()))
        exact = len(columns) == 1 and len(columns[0].identifiers) == 1
        hits.append(DatasetHit(dataset, masked_source(ds.source), ds.format, max(c.rows for c in columns), columns,
                               rows_exact=exact))
    known = index.indexed()
    unindexed = tuple(sorted(ds_id for ds_id in by_id if ds_id not in known))
    return FindResult(request.labels, tuple(hits), len(datasets), tuple(failed), via_index=True, unindexed=unindexed)


def index_dataset(index: SubjectIndex, ds: Dataset, findings: Sequence[ColumnFinding],
                  entities: Iterable[str]) -> int:
    """Re-index one dataset's identifier columns (streamed alone); distinct identifiers added.

    One transaction per dataset: a failing read leaves the dataset's
    previous postings, never half of them (SourceError goes to the caller).
    The writer buffers each column's batches and writes them as sorted runs
    (``identifiers.DatasetWriter``); its cost is one HMAC per distinct value
    per batch and one B-tree insert per posting.
    """
    columns = identifier_columns(findings, entities)
    added = 0
    with index.dataset(ds.id) as writer:
        if not columns:
            return 0
        names = list(dict.fromkeys(c.name for c in columns))
        for batch in ds.column_batches(names):
            for column in columns:
                if column.name not in batch.schema.names:
                    continue
                values = batch.column(column.name)
                if column.free_text:  # one value per (row, identifier) it holds, so counts are rows
                    rows, forms = span_forms(column.entity, values)
                    pairs = sorted({(r, f) for r, f in zip(rows.tolist(), forms.to_pylist()) if f})
                    values = pa.array([f for _r, f in pairs], pa.string())
                added += writer.add(column.name, column.entity, values)
    return added


def batches_with_mask(ds: Dataset, matcher: RowMatcher) -> Iterator[tuple[pa.RecordBatch, np.ndarray]]:
    """Every batch of the dataset (all columns) with the rows holding the person."""
    for batch in ds.batches():
        yield batch, matcher.mask(batch)


@contextlib.contextmanager
def building_index(directory: Path, key: Key) -> Iterator[SubjectIndex]:
    """A fresh subject index that replaces ``directory``'s only once the scan that builds it has finished.

    Built beside it under a temporary name and renamed into place, so an
    interrupted scan leaves the previous index whole, a dataset that
    disappeared from the sources leaves no postings behind, and an index of
    an older format (which lookups refuse, saying to rebuild it) is simply
    replaced: the previous file is never opened.
    """
    directory = Path(directory)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".index-build-", dir=directory))
    try:
        with SubjectIndex.open(work, key) as index:
            index.bulk()
            yield index
        os.replace(work / INDEX_FILENAME, directory / INDEX_FILENAME)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def open_index(directory: Path, key: Key) -> SubjectIndex:
    """An existing subject index for lookups; IndexProblem (one line) when there is none or it is another key's."""
    if not (Path(directory) / INDEX_FILENAME).is_file():
        raise IndexProblem(f"no subject index in {directory} (build one with: piiwarden scan ... --index)")
    return SubjectIndex.open(Path(directory), key)
