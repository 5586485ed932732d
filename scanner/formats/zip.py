"""Zip archives: members read recursively in memory, never extracted (`a.zip!/inbox/123.eml`)."""

from __future__ import annotations

from typing import ClassVar

from scanner.formats._document import DocumentFormat


class ZipFormat(DocumentFormat):
    """Rebuilt member by member with the same names, order and dates; hostile archives are refused."""

    name: ClassVar[str] = "zip"
    suffixes: ClassVar[tuple[str, ...]] = (".zip",)


FORMAT = ZipFormat()
