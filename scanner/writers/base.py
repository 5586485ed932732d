"""What every writer shares: the transformed batch, atomic output files, source protection.

A writer mirrors one input (file, workbook, database) into OUTDIR. It writes
to a hidden temporary name beside the final one and renames on ``commit``,
so an interrupted run never leaves a half file under a final name; ``abort``
removes the temporary. Sources are only ever opened for reading, and a writer
refuses an output path that resolves to its source.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from scanner.connectors.base import Dataset
from scanner.errors import ValueFreeError

TEMP_MARK = ".piiwarden-tmp-"


@dataclass
class BatchOut:
    """One batch as read and what anonymization made of it."""

    batch: pa.RecordBatch
    changed: dict[str, pa.Array] = field(default_factory=dict)
    dropped: set[str] = field(default_factory=set)

    def column(self, name: str) -> pa.Array:
        """The output values of a column (changed or original)."""
        got = self.changed.get(name)
        return got if got is not None else self.batch.column(name)

    def output(self) -> pa.RecordBatch:
        """The whole output batch: original order, changed columns replaced, dropped ones gone."""
        names = [n for n in self.batch.schema.names if n not in self.dropped]
        arrays = [self.column(n) for n in names]
        return pa.RecordBatch.from_arrays(arrays, names=names)


Transform = Callable[[pa.RecordBatch], BatchOut]


class WriterError(ValueFreeError):
    """An output that cannot be written; one line, never a data value."""


def temp_path(final: Path) -> Path:
    """A hidden temporary name in the final file's directory (same filesystem: atomic rename)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    return final.parent / f".{final.name}{TEMP_MARK}{secrets.token_hex(4)}"


def check_not_source(final: Path, source: Path | None) -> None:
    """Refuse to write over a source file (OUTDIR pointing into the inputs)."""
    if source is not None and final.resolve() == source.resolve():
        raise WriterError("output path is the source file itself; choose another OUTDIR")


def remove_stale_temps(outdir: Path) -> int:
    """Delete temporaries left by an interrupted run (they are never valid outputs)."""
    removed = 0
    if outdir.is_dir():
        for path in outdir.rglob(f"*{TEMP_MARK}*"):
            if path.is_file():
                path.unlink(missing_ok=True)
                removed += 1
    return removed


class FileWriter:
    """Base for writers that produce one output file from one or more datasets."""

    def __init__(self, final: Path, source: Path | None) -> None:
        check_not_source(final, source)
        self.final = final
        self.source = source
        self.tmp = temp_path(final)

    def run_dataset(self, ds: Dataset, transform: Transform) -> int:  # pragma: no cover - abstract
        """Read the dataset, transform every batch, write it; returns rows written."""
        raise NotImplementedError

    def close(self) -> None:
        """Flush and close the temporary file (before the rename)."""

    def commit(self) -> None:
        """Make the output appear under its final name, atomically."""
        self.close()
        os.replace(self.tmp, self.final)

    def abort(self) -> None:
        """Drop the temporary output."""
        with contextlib.suppress(Exception):  # the temporary is deleted anyway
            self.close()
        Path(self.tmp).unlink(missing_ok=True)
        for extra in Path(self.tmp).parent.glob(Path(self.tmp).name + "-*"):  # SQLite journals
            extra.unlink(missing_ok=True)
