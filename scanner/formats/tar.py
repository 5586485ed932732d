"""Tar archives (plain or compressed): members read recursively as a stream, never extracted."""

from __future__ import annotations

from typing import ClassVar

from scanner.formats._document import DocumentFormat


class TarFormat(DocumentFormat):
    """Rebuilt member by member with the same names; hostile archives are refused."""

    name: ClassVar[str] = "tar"
    suffixes: ClassVar[tuple[str, ...]] = (".tar", ".tgz")


FORMAT = TarFormat()
