"""Excel workbooks: every worksheet is a dataset ``book.xlsx#Sheet``.

openpyxl's read-only mode streams rows instead of building the whole sheet in
memory, and ``data_only`` gives cached formula results (what a reader of the
file sees) rather than formulas. Cells become text: Excel stores every number
as a float, so integral values lose their ``.0`` (a phone number typed as a
number must still look like one), and dates become ISO 8601.
"""

from __future__ import annotations

import datetime as dt
import itertools
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from scanner.connectors.base import BATCH_ROWS, Dataset, SourceError
from scanner.connectors.common import DEFAULT_READ_OPTIONS, BadRows, ReadOptions, to_text, unique_names

# A sheet's stored dimension can claim every column up to XFD when whole columns
# were formatted; past this width it is not trusted and the header decides.
_MAX_TRUSTED_WIDTH = 1024


def open_xlsx(path: Path, ds_id: str, source: str, options: ReadOptions = DEFAULT_READ_OPTIONS) -> list[Dataset]:
    """One dataset per worksheet; the workbook is only opened long enough to list them.

    The row count is left to the first complete read (``rows=None`` until then):
    the ``<dimension>`` a sheet declares is written by whatever tool made the
    file and can be understated (rows past it would look absent) or overstated.
    """
    wb = _load(path)
    try:
        titles = [ws.title for ws in wb.worksheets]
    finally:
        wb.close()

    return [_sheet(path, title, ds_id, source, options) for title in titles]


def _sheet(path: Path, title: str, ds_id: str, source: str, options: ReadOptions) -> Dataset:
    def batches() -> Iterator[pa.RecordBatch]:
        return _read(path, title, options, dataset)

    dataset = Dataset(
        id=f"{ds_id}#{title}",
        source=source,
        format="xlsx",
        open_batches=batches,
        rows=None,
        location=str(path),
        meta={"sheet": title},
    )
    return dataset


# An XML part inflating more than this many times, to more than _BOMB_BYTES, is a zip bomb
# (a sheet of real data compresses 10-30 times; a part full of spaces a thousand times).
_BOMB_RATIO = 200
_BOMB_BYTES = 64 << 20


def _load(path: Path):  # noqa: ANN202 - openpyxl's Workbook type
    try:
        _check_parts(path)
        return load_workbook(path, read_only=True, data_only=True)
    except SourceError:
        raise
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError,
            SyntaxError, EOFError, zlib.error) as exc:
        # SyntaxError: expat's ParseError (malformed XML, entities); values are never quoted.
        raise SourceError(f"cannot open workbook: {type(exc).__name__}") from None


def _check_parts(path: Path) -> None:
    """Refuse a workbook whose XML parts inflate like a zip bomb, before any is parsed."""
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.file_size > _BOMB_BYTES and info.file_size > _BOMB_RATIO * max(info.compress_size, 1):
                raise SourceError(f"cannot open workbook: part {info.filename} inflates "
                                  f"{info.file_size // max(info.compress_size, 1)} times (zip bomb?)")


def _read(path: Path, title: str, options: ReadOptions = DEFAULT_READ_OPTIONS,
          dataset: Dataset | None = None) -> Iterator[pa.RecordBatch]:
    """Rows under the header as all-string batches; trailing empty rows are dropped.

    The sheet's declared dimension is ignored for rows (``reset_dimensions``);
    its width is only a hint next to the header and the widest of the first
    BATCH_ROWS rows. A row with a cell over the cell limit is skipped and
    counted, by its sheet row number. A complete pass sets the dataset's
    ``rows`` to the rows actually there.
    """
    wb = _load(path)
    bad = BadRows(options, unit="row")
    try:
        ws = wb[title]
        declared = ws.max_column if hasattr(ws, "reset_dimensions") else None
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()
        rows = enumerate(ws.iter_rows(values_only=True), start=1)
        header: list[object] | None = None
        for _number, row in rows:
            if any(v is not None and v != "" for v in row):
                header = list(row)
                break
        if header is None:
            return  # an empty sheet has no columns
        while header and header[-1] in (None, ""):
            header.pop()
        first = list(itertools.islice(rows, BATCH_ROWS))
        width = max([len(header)] + [_used_width(row) for _n, row in first])
        if declared is not None and width < declared <= _MAX_TRUSTED_WIDTH:
            width = declared
        names = unique_names(header + [None] * (width - len(header)))
        schema = pa.schema([(n, pa.string()) for n in names])

        chunk: list[list[str | None]] = []
        pending_empty = 0  # empty rows are emitted only if a non-empty row follows
        produced = False
        emitted = 0
        for number, row in itertools.chain(first, rows):
            values = _row_values(row, width, number, bad)
            if values is None:
                continue
            if all(v is None for v in values):
                pending_empty += 1
                continue
            chunk.extend([[None] * width for _ in range(pending_empty)])
            pending_empty = 0
            chunk.append(values)
            if len(chunk) >= BATCH_ROWS:
                emitted += len(chunk)
                yield _to_batch(chunk, schema)
                produced = True
                chunk = []
        if dataset is not None:
            dataset.rows = emitted + len(chunk)
            bad.report_to(dataset.problems)
        if chunk or not produced:
            yield _to_batch(chunk, schema)
    finally:
        wb.close()


def _used_width(row: tuple) -> int:
    """Columns up to the last non-empty cell of a row."""
    for index in range(len(row), 0, -1):
        if row[index - 1] not in (None, ""):
            return index
    return 0


def _row_values(row: tuple, width: int, number: int, bad: BadRows) -> list[str | None] | None:
    """A row as ``width`` texts, or None (counted) when a cell is over the limit or past the width."""
    values = [_cell(v) for v in row[:width]]
    values += [None] * (width - len(values))
    limit = bad.options.max_cell_bytes
    if any(v is not None and len(v) > limit for v in values):
        bad.skip(number, "cell over --max-cell-bytes")
        return None
    if _used_width(row) > width:
        # A cell right of every column the first rows use: no column to put it in.
        bad.skip(number, f"cell right of column {width}")
        return None
    return values


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
