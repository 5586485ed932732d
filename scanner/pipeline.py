"""The scan: datasets in, per-dataset column findings out.

connectors -> (sampled or full) Arrow batches -> column profiles -> findings.
Policy rules and reports read the result; nothing here writes files.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from detectors.classify import ColumnProfile
from scanner.connectors.base import Dataset, SourceError
from scanner.sampling import DEFAULT_SAMPLE_ROWS, BottomKSampler

log = logging.getLogger(__name__)


@dataclass
class ScanOptions:
    """How much of each dataset to read."""

    sample_rows: int = DEFAULT_SAMPLE_ROWS
    full: bool = False
    workers: int = 1  # processes scanning datasets in parallel (scanner/parallel.py)


@dataclass
class DatasetResult:
    """One dataset's findings, or the error that stopped it."""

    dataset: Dataset
    rows: int | None = None
    rows_scanned: int = 0
    columns: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The dataset's entry in findings.json."""
        return {
            "id": self.dataset.id,
            "source": self.dataset.source,
            "format": self.dataset.format,
            "rows": self.rows,
            "rows_scanned": self.rows_scanned,
            "columns": self.columns,
            "errors": self.errors,
        }


class _Profiles:
    """Column profiles of one dataset, created as columns appear."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.by_name: dict[str, ColumnProfile] = {}

    def update(self, table) -> None:
        for name, column in zip(table.column_names, table.columns):
            profile = self.by_name.get(name)
            if profile is None:
                profile = ColumnProfile(name, self.dataset.comments.get(name))
                self.by_name[name] = profile
            profile.update(column)

    def ensure(self, names: list[str]) -> None:
        for name in names:
            if name not in self.by_name:
                self.by_name[name] = ColumnProfile(name, self.dataset.comments.get(name))

    def results(self) -> list[dict[str, Any]]:
        return [p.result() for p in self.by_name.values()]


def scan_dataset(dataset: Dataset, options: ScanOptions) -> DatasetResult:
    """Profile one dataset, sampling unless a full pass is asked for."""
    result = DatasetResult(dataset=dataset, rows=dataset.rows)
    profiles = _Profiles(dataset)
    try:
        if options.full:
            seen = 0
            for batch in dataset.batches():
                profiles.ensure(batch.schema.names)
                seen += batch.num_rows
                if batch.num_rows:
                    profiles.update(batch)
            result.rows_scanned = seen
        else:
            sampler = BottomKSampler(options.sample_rows, dataset.id)
            names: list[str] = []
            # a database samples server-side; files are sampled from the stream
            stream = dataset.sampled_batches(options.sample_rows) if dataset.sample else dataset.batches()
            for batch in stream:
                names.extend(n for n in batch.schema.names if n not in names)
                sampler.add(batch)
            seen = sampler.rows_seen
            sample = sampler.table()
            profiles.ensure(names)
            if sample is not None:
                profiles.update(sample)
                result.rows_scanned = sample.num_rows
        if result.rows is None and not dataset.sample:
            result.rows = seen
    except SourceError as exc:
        result.errors.append(str(exc))
        return result
    result.columns = profiles.results()
    return result
