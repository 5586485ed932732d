"""TSV: tab-separated text, the CSV reader and writer with a tab as the default delimiter."""

from __future__ import annotations

from typing import ClassVar

from scanner.formats.csv import CsvFormat


class TsvFormat(CsvFormat):
    """Tab-separated values; everything else is CSV's (the delimiter is still sniffed)."""

    name: ClassVar[str] = "tsv"
    suffixes: ClassVar[tuple[str, ...]] = (".tsv",)
    default_delimiter: ClassVar[str] = "\t"


FORMAT = TsvFormat()
