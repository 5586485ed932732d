"""Excel .xlsx met inside archives and attachments: each sheet a table dataset, streamed by rows.

Top-level .xlsx files are the tabular scanner's; this reader exists so that a workbook attached
to an e-mail in a zip is read too (``mail.zip!/a.eml!/附件.xlsx#Sheet1``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from scanner.documents.parts import Part
from scanner.documents.paths import DocPath
from scanner.documents.reader import ReadContext, Reader
from scanner.documents.sniff import check_ooxml

CHUNK_ROWS = 1_000


def cell_text(value: Any) -> str:
    """A cell as text (whole floats without ``.0``); the rewriter reads cells the same way, to see what a scan saw."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read(stream: BinaryIO, path: DocPath, ctx: ReadContext) -> Iterator[Part]:
    """Rows in chunks of ``CHUNK_ROWS`` per sheet, openpyxl in read-only (streaming) mode."""
    import openpyxl

    check_ooxml(stream, "xlsx")
    book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    try:
        for sheet in book.worksheets:
            table = path.with_table(sheet.title)
            chunk: list[tuple[str, ...]] = []
            start = 1
            for row in sheet.iter_rows(values_only=True):
                chunk.append(tuple(cell_text(v) for v in row))
                if len(chunk) == CHUNK_ROWS:
                    yield Part(table, "sheet", start, "\n".join("\t".join(r) for r in chunk),
                               rows=tuple(chunk), label=sheet.title)  # fmt: skip
                    start += len(chunk)
                    chunk = []
            if chunk:
                yield Part(table, "sheet", start, "\n".join("\t".join(r) for r in chunk),
                           rows=tuple(chunk), label=sheet.title)  # fmt: skip
    finally:
        book.close()


READER = Reader("xlsx", (".xlsx", ".xlsm"), read)
