"""Legacy Excel .xls through xlrd: each sheet a table dataset (``book.xls#Sheet1``), sheet by sheet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, BinaryIO

from scanner.documents.errors import corrupt, encrypted
from scanner.documents.parts import Part
from scanner.documents.paths import DocPath
from scanner.documents.reader import ReadContext, Reader
from scanner.documents.sniff import OLE_MAGIC

CHUNK_ROWS = 1_000


def cell_text(value: Any, ctype: int, datemode: int) -> str:
    """A cell as the text a user sees: 13812345678.0 is a phone number, not a float."""
    import xlrd  # type: ignore[import-untyped]

    if ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if ctype == xlrd.XL_CELL_NUMBER:
        return str(int(value)) if float(value).is_integer() else repr(value)
    if ctype == xlrd.XL_CELL_DATE:
        try:
            moment: dt.datetime = xlrd.xldate_as_datetime(value, datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return repr(value)
        return moment.date().isoformat() if moment.time() == dt.time() else moment.isoformat(sep=" ")
    if ctype == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if value else "FALSE"
    if ctype == xlrd.XL_CELL_ERROR:
        return ""
    return str(value)


def read(stream: BinaryIO, path: DocPath, ctx: ReadContext) -> Iterator[Part]:
    """Sheets one at a time (``on_demand``: the other sheets are not parsed meanwhile)."""
    import xlrd

    data = stream.read()
    if not data.startswith(OLE_MAGIC):
        raise corrupt("xls", "not an OLE compound file")
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except xlrd.biffh.XLRDError as err:
        if "encrypted" in str(err).lower():
            raise encrypted() from None
        raise corrupt("xls") from None
    for index, name in enumerate(book.sheet_names()):
        sheet = book.sheet_by_index(index)
        table = path.with_table(name)
        for start in range(0, sheet.nrows, CHUNK_ROWS):
            rows = tuple(
                tuple(cell_text(c.value, c.ctype, book.datemode) for c in sheet.row(r))
                for r in range(start, min(start + CHUNK_ROWS, sheet.nrows))
            )
            text = "\n".join("\t".join(row) for row in rows)
            yield Part(table, "sheet", start + 1, text, rows=rows, label=name)
        book.unload_sheet(index)


READER = Reader("xls", (".xls",), read)
