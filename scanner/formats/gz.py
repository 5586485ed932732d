"""Gzip files: `a.csv.gz` holds `a.csv`; `.tar.gz` is a tar (the document reader picks it by its longest suffix)."""

from __future__ import annotations

from typing import ClassVar

from scanner.formats._document import DocumentFormat


class GzFormat(DocumentFormat):
    """Rebuilt with the member rewritten; hostile (bomb) streams are refused."""

    name: ClassVar[str] = "gz"
    suffixes: ClassVar[tuple[str, ...]] = (".gz",)


FORMAT = GzFormat()
