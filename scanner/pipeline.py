"""The scan: datasets in, per-dataset column findings out.

connectors -> (sampled or full) Arrow batches -> column profiles -> findings.
Policy rules and reports read the result; nothing here writes files.

A full pass works in units of UNIT_ROWS consecutive rows. Each unit is
profiled on its own, by fresh column profiles, and the units' profiles are
merged into the dataset's in unit order (``ColumnProfile.merge``). A unit is
the piece of work ``--workers`` hands to another process when one big
dataset is scanned (scanner/parallel.py); profiling by units whatever the
number of workers is what makes the findings the same for one worker and
for many. Person names in free text (jieba, slow) are looked for in at most
NAME_CAP texts of a column in its first NAME_ROWS rows and NAME_CAP // 10
per NAME_ROWS rows after that, shared out over the units covering them
(``unit_name_cap``), so a big file's cost stays bounded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from detectors.classify import SETTLE_ROWS, ColumnProfile
from detectors.freetext import NAME_CAP
from detectors.recognizers import PiiRecognizer
from scanner.connectors.base import Dataset, SourceError
from scanner.defaults import DEFAULT_SAMPLE_ROWS
from scanner.lifecycle.subjects import (
    SKETCH_STATE_KEY,
    SubjectSketches,
    sample_estimate,
    unit_sketches,
    validated_counts,
)
from scanner.model import ColumnFinding, DatasetInfo, DatasetResult
from scanner.sampling import BottomKSampler

log = logging.getLogger(__name__)

# Rows per unit of a full pass (the last unit of a dataset may be shorter): small enough that
# --workers has several units to share even on a 100k-row table, big enough to amortize a unit.
UNIT_ROWS = 32_768
# Rows over which a column's free text gets NAME_CAP texts of name analysis, then a tenth of it.
NAME_ROWS = 65_536

State = dict[str, Any]  # ColumnProfile.state(): plain, picklable
UnitStates = dict[str, State]  # column name -> state, for one unit
# Profiles a dataset's units and yields their states in unit order (here, or in a process pool).
UnitMapper = Callable[[Iterable["Unit"], dict[str, str]], Iterator[UnitStates]]


@dataclass
class ScanOptions:
    """How much of each dataset to read."""

    sample_rows: int = DEFAULT_SAMPLE_ROWS
    full: bool = False
    # processes: one per dataset, or over the units of one big dataset (scanner/parallel.py)
    workers: int = 1


@dataclass
class Unit:
    """UNIT_ROWS consecutive rows of a dataset (fewer in the last unit), column by column.

    Each column is one contiguous array (one per run of batches of the same
    type, should a connector change a column's type mid-stream): slices of
    the connector's batches would pickle with the whole batch's buffers.
    """

    index: int
    rows: int
    columns: dict[str, list[pa.Array]]
    size: int = 0  # rows of a full unit (UnitReader's unit_rows); 0: UNIT_ROWS


def unit_name_cap(index: int, unit_rows: int | None = None) -> int:
    """Free texts a unit's profile may analyze for person names (jieba, the slow part).

    The column's first NAME_ROWS rows share the whole cap (NAME_CAP), every
    later NAME_ROWS rows a tenth of it: names are usually settled early, and
    a big file would otherwise pay NAME_CAP texts of jieba again and again.
    A unit gets the budget of the rows it covers. It depends only on the
    unit's index, never on which process profiles it, so findings do not
    depend on ``--workers``.
    """
    size = unit_rows or UNIT_ROWS
    return _name_budget((index + 1) * size) - _name_budget(index * size)


def _name_budget(rows: int) -> int:
    """Name analyses allowed over a column's first ``rows`` rows."""
    first = NAME_CAP * min(rows, NAME_ROWS) // NAME_ROWS
    return first + (NAME_CAP // 10) * max(0, rows - NAME_ROWS) // NAME_ROWS


class UnitReader:
    """Cuts a dataset's batch stream into units, noting every column seen and the rows read.

    Batches are sliced where a unit boundary falls inside them, so every unit
    but the last has exactly UNIT_ROWS rows. Columns of batches without rows
    (an empty file's header) are noted too: they belong in the findings.
    """

    def __init__(self, batches: Iterable[pa.RecordBatch], unit_rows: int | None = None) -> None:
        self._batches = batches
        self.unit_rows = unit_rows or UNIT_ROWS
        self.names: dict[str, None] = {}  # every column, in order of first appearance
        self.rows = 0

    def __iter__(self) -> Iterator[Unit]:
        pending: list[pa.RecordBatch] = []
        filled = 0
        index = 0
        for batch in self._batches:
            self.names.update(dict.fromkeys(batch.schema.names))
            self.rows += batch.num_rows
            offset = 0
            while offset < batch.num_rows:
                take = min(self.unit_rows - filled, batch.num_rows - offset)
                pending.append(batch.slice(offset, take))
                filled += take
                offset += take
                if filled == self.unit_rows:
                    yield _make_unit(index, pending, self.unit_rows)
                    index, pending, filled = index + 1, [], 0
        if pending:
            yield _make_unit(index, pending, self.unit_rows)


def _make_unit(index: int, slices: list[pa.RecordBatch], size: int = 0) -> Unit:
    chunks: dict[str, list[pa.Array]] = {}
    for batch in slices:
        for name, column in zip(batch.schema.names, batch.columns):
            chunks.setdefault(name, []).append(column)
    return Unit(index, sum(b.num_rows for b in slices), {name: _contiguous(arrays) for name, arrays in chunks.items()},
                size)


def _contiguous(arrays: list[pa.Array]) -> list[pa.Array]:
    """One array per run of same-typed chunks: normally exactly one for the whole unit."""
    runs: list[list[pa.Array]] = []
    for array in arrays:
        if runs and runs[-1][0].type == array.type:
            runs[-1].append(array)
        else:
            runs.append([array])
    return [pa.concat_arrays(run) for run in runs]


def unit_states(unit: Unit, comments: dict[str, str]) -> UnitStates:
    """Profile one unit with fresh column profiles; their states, by column.

    Runs in a worker process or here; either way only plain data comes back,
    and the dataset's profiles are rebuilt from it, so both paths merge the
    very same evidence.
    """
    cap = unit_name_cap(unit.index, unit.size or None)
    states: UnitStates = {}
    validated: dict[str, dict[str, int]] = {}
    for name, arrays in unit.columns.items():
        profile = ColumnProfile(name, comments.get(name), name_cap=cap)
        for array in arrays:
            profile.update(array)
        states[name] = profile.state()
        validated[name] = validated_counts(profile)
    for name, sketches in unit_sketches(unit.columns, validated).items():
        states[name][SKETCH_STATE_KEY] = sketches
    return states


def map_units_here(units: Iterable[Unit], comments: dict[str, str]) -> Iterator[UnitStates]:
    """The in-process UnitMapper: one unit after the other."""
    for unit in units:
        yield unit_states(unit, comments)


class _Merged:
    """A dataset's column profiles: the units' profiles folded together in unit order."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.by_name: dict[str, ColumnProfile] = {}
        self._recognizers: list[PiiRecognizer] | None = None  # stateless: shared by all rebuilt profiles
        self.subjects = SubjectSketches()

    def add(self, states: UnitStates) -> None:
        for name, unit_state in states.items():
            state = self.subjects.take(name, unit_state)
            profile = ColumnProfile.from_state(name, self.dataset.comments.get(name), state, self._recognizers)
            self._recognizers = profile.recognizers
            mine = self.by_name.get(name)
            if mine is None:
                self.by_name[name] = profile
            else:
                mine.merge(profile)

    def results(self, names: Iterable[str]) -> list[ColumnFinding]:
        """Findings of every column seen, in order of first appearance (empty profiles for columns without rows)."""
        out = []
        for name in names:
            profile = self.by_name.get(name) or ColumnProfile(name, self.dataset.comments.get(name))
            out.append(profile.result())
        return out


class _Profiles:
    """Column profiles of one dataset's sample, created as columns appear."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.by_name: dict[str, ColumnProfile] = {}

    def update(self, table: pa.Table, skip: Callable[[ColumnProfile], bool] | None = None) -> None:
        for name, column in zip(table.column_names, table.columns):
            profile = self.by_name.get(name)
            if profile is None:
                profile = ColumnProfile(name, self.dataset.comments.get(name))
                self.by_name[name] = profile
            if skip is not None and skip(profile):
                profile.stopped_early = True
                continue
            profile.update(column)

    def ensure(self, names: list[str]) -> None:
        for name in names:
            if name not in self.by_name:
                self.by_name[name] = ColumnProfile(name, self.dataset.comments.get(name))

    def results(self) -> list[ColumnFinding]:
        return [p.result() for p in self.by_name.values()]


def dataset_info(dataset: Dataset) -> DatasetInfo:
    """The identity a dataset's result carries (the reader closures stay behind)."""
    return DatasetInfo(id=dataset.id, source=dataset.source, format=dataset.format)


def scan_dataset(dataset: Dataset, options: ScanOptions, map_units: UnitMapper = map_units_here) -> DatasetResult:
    """Profile one dataset, sampling unless a full pass is asked for.

    ``map_units`` profiles the units of a full pass; scanner/parallel.py
    passes one backed by a process pool when one big dataset has the
    workers to itself. A SourceError, even after some units, leaves the
    dataset with that one error line and no columns.
    """
    try:
        if options.full:
            seen, scanned, columns, subjects = _scan_full(dataset, map_units)
        else:
            seen, scanned, columns, subjects = _scan_sample(dataset, options.sample_rows)
    except SourceError as exc:
        return DatasetResult(info=dataset_info(dataset), rows=dataset.rows, errors=[str(exc)])
    rows = seen if dataset.rows is None and not dataset.sample else dataset.rows
    extras = _document_extras(dataset, columns)
    # rows a reader skipped are errors too (the rest was scanned)
    return DatasetResult(info=dataset_info(dataset), rows=rows, rows_scanned=scanned, columns=columns,
                         errors=list(dataset.problems), subjects_estimate=subjects, **extras)


def _document_extras(dataset: Dataset, columns: list[ColumnFinding]) -> dict[str, Any]:
    """A document's entity locations and unread content (``Dataset.document``); {} for other datasets."""
    if dataset.document is None:
        return {}
    try:
        return dict(dataset.document.extras(columns))
    except SourceError:  # the batches were read a moment ago; a file changed since loses only its extras
        return {}


def _scan_full(dataset: Dataset, map_units: UnitMapper) -> tuple[int, int, list[ColumnFinding], int | None]:
    """Every row, unit by unit: (rows read, rows scanned, column findings, distinct people)."""
    reader = UnitReader(dataset.batches())
    merged = _Merged(dataset)
    for states in map_units(reader, dict(dataset.comments)):
        merged.add(states)
    columns = merged.results(reader.names)
    return reader.rows, reader.rows, columns, merged.subjects.estimate(columns)


def _scan_sample(dataset: Dataset, sample_rows: int) -> tuple[int, int, list[ColumnFinding], int | None]:
    """A seeded sample of about ``sample_rows`` rows: (rows read, rows scanned, findings, distinct people).

    Early stop: every column first sees SETTLE_ROWS rows of the sample (a
    uniform random part of it); only columns whose finding is not yet settled
    (``ColumnProfile.settled``) read the rest.
    """
    profiles = _Profiles(dataset)
    sampler = BottomKSampler(sample_rows, dataset.id)
    names: dict[str, None] = {}  # every column in order of first appearance; a dict, as a list is quadratic
    # a database samples server-side; files are sampled from the stream
    stream = dataset.sampled_batches(sample_rows) if dataset.sample else dataset.batches()
    for batch in stream:
        names.update(dict.fromkeys(batch.schema.names))
        sampler.add(batch)
    head, rest = sampler.split(SETTLE_ROWS)
    profiles.ensure(list(names))
    scanned = 0
    if head is not None:
        profiles.update(head)
        scanned = head.num_rows
    if rest is not None:
        profiles.update(rest, skip=lambda profile: profile.settled())
        scanned += rest.num_rows
    columns = profiles.results()
    read = [t for t in (head, rest) if t is not None]
    table = pa.concat_tables(read, promote_options="permissive") if len(read) > 1 else (read[0] if read else None)
    return sampler.rows_seen, scanned, columns, sample_estimate(table, columns)
