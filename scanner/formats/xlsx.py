"""Excel workbooks: one dataset per worksheet (``book.xlsx#Sheet1``), one output workbook."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from scanner.formats.base import Format, need_source, strip_part

if TYPE_CHECKING:
    from scanner.connectors.base import Dataset
    from scanner.connectors.common import ReadOptions
    from scanner.writers.base import FileWriter


class XlsxFormat(Format):
    """Worksheets (``scanner.connectors.xlsxfile``), re-saved with only the sensitive cells changed.

    Never byte-copied: even an unchanged workbook is re-saved by the writer
    so that every sheet of it goes through one code path.
    """

    name: ClassVar[str] = "xlsx"
    suffixes: ClassVar[tuple[str, ...]] = (".xlsx",)

    def open(self, path: Path, ds_id: str, source: str, options: ReadOptions) -> list[Dataset]:
        from scanner.connectors.xlsxfile import open_xlsx

        return open_xlsx(path, ds_id, source, options)

    def writer(self, ds: Dataset, final: Path, source: Path | None) -> FileWriter:
        from scanner.writers.xlsx import XlsxWriter

        return XlsxWriter(final, need_source(self, source))

    def output_name(self, ds: Dataset) -> str:
        return strip_part(ds.id, f"#{ds.meta.get('sheet', '')}")


FORMAT = XlsxFormat()
