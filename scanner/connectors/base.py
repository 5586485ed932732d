"""What every connector hands to the pipeline: datasets that stream Arrow batches.

A connector only knows how to open its format. It never decides what is
sensitive and never writes: the pipeline samples or streams the batches, the
detectors classify them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from scanner.errors import ValueFreeError, describe_error

BATCH_ROWS = 10_000


class SourceError(ValueFreeError):
    """A source (file, table, URL) that cannot be read; the message is one readable line.

    The message must name the problem, never quote a data value (it may be
    sensitive). The caller records it under ``errors`` and carries on.
    """


@dataclass
class Dataset:
    """One logical table: a file, a worksheet, or a database table.

    ``open_batches`` is called lazily (possibly more than once, e.g. once to
    sample and once for a full pass) and must yield ``pa.RecordBatch`` objects
    that all share one schema. ``rows`` is the row count when it is cheap to
    know up front (Parquet metadata, SQL COUNT), otherwise ``None``.
    ``comments`` maps column names to database column comments (header hints).
    """

    id: str
    source: str
    format: str
    open_batches: Callable[[], Iterator[pa.RecordBatch]]
    rows: int | None = None
    comments: dict[str, str] = field(default_factory=dict)
    location: str = ""  # path or URL (password masked) for error messages
    # Format details a writer needs to mirror the input (e.g. CSV "encoding", "delimiter").
    meta: dict[str, str] = field(default_factory=dict)

    # Native sampling (a database samples server-side): k -> batches of about k rows
    # spread over the table. None means the pipeline samples the stream itself.
    sample: Callable[[int], Iterator[pa.RecordBatch]] | None = None
    # For database tables: what SQL aggregates and grant checks need (a SqlTable).
    sql: Any = None
    # Column projection (Parquet, CSV): names -> batches holding only those columns. The policy's
    # exact counts read one or two columns of a table; without it they stream every column.
    open_columns: Callable[[list[str]], Iterator[pa.RecordBatch]] | None = None
    # Non-fatal problems of the last full pass (e.g. "3 bad rows skipped (lines 17, 204, 9001)"):
    # the rows that could be read were, and the scan reports these as the dataset's errors.
    problems: list[str] = field(default_factory=list)
    # Documents (scanner/connectors/documentfile.py): ``extras(columns)`` gives the result's entity
    # ``locations`` and ``not_read`` content once detection is done. None for every other dataset.
    document: Any = None

    @property
    def where(self) -> str:
        """The dataset as an error line names it: its location, plus its id when the location alone is ambiguous.

        A database URL holds many tables (and a workbook many sheets): with
        only the URL, eight failing tables give eight identical lines.
        """
        if not self.location or self.location.endswith(self.id):
            return self.location or self.id
        return f"{self.id} ({self.location})"

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Stream the dataset; any failure surfaces as a one-line SourceError."""
        return _one_line_errors(self.open_batches)

    def column_batches(self, names: list[str]) -> Iterator[pa.RecordBatch]:
        """Stream only the named columns where the format can (else every column), same error contract."""
        open_columns = self.open_columns
        if open_columns is None:
            return self.batches()
        return _one_line_errors(lambda: open_columns(names))

    def sampled_batches(self, k: int) -> Iterator[pa.RecordBatch]:
        """The native sample, with the same one-line error contract as batches()."""
        if self.sample is None:
            raise ValueError("dataset has no native sampling")
        sample = self.sample
        return _one_line_errors(lambda: sample(k))


def _one_line_errors(open_stream: Callable[[], Iterator[pa.RecordBatch]]) -> Iterator[pa.RecordBatch]:
    """The stream's batches; any reader failure becomes one value-free SourceError."""
    try:
        yield from open_stream()
    except SourceError:
        raise
    except Exception as exc:  # noqa: BLE001 - every reader error becomes one line
        raise SourceError(describe_error(exc)) from exc
