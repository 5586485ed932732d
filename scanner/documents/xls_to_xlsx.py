"""Anonymized legacy .xls written as .xlsx: no maintained library writes .xls.

The anonymize format for .xls calls ``rewrite_xls_as_xlsx`` and writes the result under
``xlsx_name(name)`` (``old.xls`` -> ``old.xls.xlsx``: never colliding with a real ``old.xlsx``
beside it, and the origin stays visible) with a note in anonymization.json. Cell values are
taken as the reader shows them (a phone number stored as a float is its digits), every cell is
rewritten, and the sheets are streamed out in openpyxl's write-only mode.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from scanner.documents.limits import Budget, Limits
from scanner.documents.parts import Part
from scanner.documents.paths import DocPath
from scanner.documents.reader import ReadContext
from scanner.documents.readers.xls import read
from scanner.documents.runs import Rewrite


def xlsx_name(name: str) -> str:
    """Where the converted workbook goes."""
    return f"{name}.xlsx"


def rewrite_xls_as_xlsx(src: BinaryIO, dst: BinaryIO, rewrite: Rewrite, limits: Limits | None = None) -> None:
    """Every sheet of the .xls at ``src``, cells rewritten, as an .xlsx at ``dst`` (same sheet names
    and order; formatting is not carried over, the note says so)."""
    import openpyxl

    limits = limits or Limits()
    book = openpyxl.Workbook(write_only=True)
    sheets: dict[str, Any] = {}
    for part in read(src, DocPath("book.xls"), ReadContext(limits, Budget(limits))):
        if not isinstance(part, Part) or part.rows is None or part.label is None:
            continue
        if part.label not in sheets:
            sheets[part.label] = book.create_sheet(part.label)
        for row in part.rows:
            sheets[part.label].append([rewrite(cell) if cell else None for cell in row])
    if not sheets:
        book.create_sheet("Sheet1")
    book.save(dst)
