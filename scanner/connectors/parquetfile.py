"""Parquet files, read row group by row group.

Parquet already carries types and a row count, so the footer is read up front
(a truncated or foreign file fails at discovery with one line) and the data is
streamed one row group at a time to keep memory bounded. Values keep their
Parquet types here; the pipeline decides how to render them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from scanner.connectors.base import BATCH_ROWS, Dataset, SourceError
from scanner.connectors.filesample import is_big, parquet_sampler
from scanner.errors import first_line, scrub


def open_parquet(path: Path, ds_id: str, source: str) -> list[Dataset]:
    """One dataset for a Parquet file; ``rows`` comes from the footer metadata."""
    try:
        with pq.ParquetFile(path) as pf:
            rows = pf.metadata.num_rows
            groups = pf.num_row_groups
    except (pa.ArrowException, OSError) as exc:
        raise SourceError(_message(exc)) from None

    def batches() -> Iterator[pa.RecordBatch]:
        return _read(path)

    def columns(names: list[str]) -> Iterator[pa.RecordBatch]:
        return _read(path, names)

    return [
        Dataset(
            id=ds_id, source=source, format="parquet", open_batches=batches, rows=rows, location=str(path),
            open_columns=columns,
            sample=parquet_sampler(path) if groups > 1 and is_big(path) else None,
        )
    ]


def _read(path: Path, names: list[str] | None = None) -> Iterator[pa.RecordBatch]:
    """Every row group in order; only the named (top-level) columns when ``names`` is given."""
    try:
        with pq.ParquetFile(path) as pf:
            produced = False
            columns = None  # every column, also when none of the named ones exists
            if names is not None:
                columns = [n for n in pf.schema_arrow.names if n in names] or None
            for group in range(pf.num_row_groups):
                for batch in pf.iter_batches(batch_size=BATCH_ROWS, row_groups=[group], columns=columns):
                    produced = True
                    yield batch
            if not produced:
                yield pa.RecordBatch.from_pylist([], schema=pf.schema_arrow)
    except (pa.ArrowException, OSError) as exc:
        raise SourceError(_message(exc)) from None


def _message(exc: BaseException) -> str:
    """Arrow's first line, scrubbed by the one value-free sanitizer: a reader error may quote a value."""
    return f"invalid Parquet file: {scrub(first_line(str(exc))) or type(exc).__name__}"
