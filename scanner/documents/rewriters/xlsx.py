"""Rewriting an .xlsx met inside an archive or attachment: every text or number cell."""

from __future__ import annotations

from typing import BinaryIO

from scanner.documents.paths import DocPath
from scanner.documents.readers.xlsx import cell_text
from scanner.documents.rewriter import RewriteContext, Rewriter
from scanner.documents.sniff import check_ooxml


def rewrite(src: BinaryIO, dst: BinaryIO, path: DocPath, ctx: RewriteContext) -> None:
    """Cells whose text changes become text cells (a masked phone number is no number);
    formulas are left alone. Styles are kept by openpyxl's load/save."""
    import openpyxl

    check_ooxml(src, "xlsx")
    book = openpyxl.load_workbook(src)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None or cell.data_type == "f" or isinstance(cell.value, bool):
                    continue
                if not isinstance(cell.value, str | int | float):
                    continue
                text = cell_text(cell.value)
                new = ctx.rewrite(text)
                if new != text:
                    cell.value = new
    book.save(dst)


REWRITER = Rewriter("xlsx", (".xlsx", ".xlsm"), rewrite)
