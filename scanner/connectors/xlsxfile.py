"""Excel workbooks: every worksheet is a dataset ``book.xlsx#Sheet``.

openpyxl's read-only mode streams rows instead of building the whole sheet in
memory, and ``data_only`` gives cached formula results (what a reader of the
file sees) rather than formulas. Cells become text: Excel stores every number
as a float, so integral values lose their ``.0`` (a phone number typed as a
number must still look like one), and dates become ISO 8601.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from scanner.connectors.base import BATCH_ROWS, Dataset, SourceError
from scanner.connectors.common import to_text, unique_names

# A sheet's stored dimension can claim every column up to XFD when whole columns
# were formatted; past this width it is not trusted and the header decides.
_MAX_TRUSTED_WIDTH = 1024


def open_xlsx(path: Path, ds_id: str, source: str) -> list[Dataset]:
    """One dataset per worksheet; the workbook is only opened long enough to list them."""
    wb = _load(path)
    try:
        sheets = []
        for ws in wb.worksheets:
            header_at = _header_index(ws)
            rows = None
            if ws.max_row is not None:
                rows = 0 if header_at is None else max(ws.max_row - header_at, 0)
            sheets.append((ws.title, rows))
    finally:
        wb.close()

    datasets = []
    for title, rows in sheets:

        def batches(title: str = title) -> Iterator[pa.RecordBatch]:
            return _read(path, title)

        datasets.append(
            Dataset(
                id=f"{ds_id}#{title}",
                source=source,
                format="xlsx",
                open_batches=batches,
                rows=rows,
                location=str(path),
                meta={"sheet": title},
            )
        )
    return datasets


def _load(path: Path):  # noqa: ANN202 - openpyxl's Workbook type
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise SourceError(f"cannot open workbook: {type(exc).__name__}") from None


def _header_index(ws) -> int | None:  # noqa: ANN001 - openpyxl worksheet
    """1-based number of the first row holding any value, or None for an empty sheet."""
    for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if any(v is not None and v != "" for v in row):
            return number
    return None


def _read(path: Path, title: str) -> Iterator[pa.RecordBatch]:
    """Rows under the header as all-string batches; trailing empty rows are dropped."""
    wb = _load(path)
    try:
        ws = wb[title]
        rows = ws.iter_rows(values_only=True)
        header: list[object] | None = None
        for row in rows:
            if any(v is not None and v != "" for v in row):
                header = list(row)
                break
        if header is None:
            return  # an empty sheet has no columns
        while header and header[-1] in (None, ""):
            header.pop()
        width = len(header)
        if ws.max_column is not None and width < ws.max_column <= _MAX_TRUSTED_WIDTH:
            width = ws.max_column
        names = unique_names(header + [None] * (width - len(header)))
        schema = pa.schema([(n, pa.string()) for n in names])

        chunk: list[list[str | None]] = []
        pending_empty = 0  # empty rows are emitted only if a non-empty row follows
        produced = False
        for row in rows:
            values = [_cell(v) for v in row[:width]]
            values += [None] * (width - len(values))
            if all(v is None for v in values):
                pending_empty += 1
                continue
            chunk.extend([[None] * width for _ in range(pending_empty)])
            pending_empty = 0
            chunk.append(values)
            if len(chunk) >= BATCH_ROWS:
                yield _to_batch(chunk, schema)
                produced = True
                chunk = []
        if chunk or not produced:
            yield _to_batch(chunk, schema)
    finally:
        wb.close()


def _cell(value: object) -> str | None:
    """A cell as text; a midnight datetime is how Excel stores a plain date."""
    if value == "":
        return None
    if isinstance(value, dt.datetime) and value.time() == dt.time(0) and value.tzinfo is None:
        return value.date().isoformat()
    return to_text(value)


def _to_batch(chunk: list[list[str | None]], schema: pa.Schema) -> pa.RecordBatch:
    columns = [pa.array([row[i] for row in chunk], type=pa.string()) for i in range(len(schema))]
    return pa.RecordBatch.from_arrays(columns, schema=schema)
