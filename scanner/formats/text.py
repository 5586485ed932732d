"""Plain text and logs: one ``text`` column, one row per line (free-text detection)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from scanner.formats.base import Format, need_source

if TYPE_CHECKING:
    from scanner.connectors.base import Dataset
    from scanner.connectors.common import ReadOptions
    from scanner.writers.base import FileWriter


class TextFormat(Format):
    """Lines of text (``scanner.connectors.textfile``), mirrored line for line by ``TextWriter``.

    Spark does not read it: a log's value is in free text, which the local
    engine's Presidio pass handles, and logs are rarely big enough to need a cluster.
    """

    name: ClassVar[str] = "text"
    suffixes: ClassVar[tuple[str, ...]] = (".txt", ".text", ".log")
    copyable: ClassVar[bool] = True
    line_oriented: ClassVar[bool] = True

    def open(self, path: Path, ds_id: str, source: str, options: ReadOptions) -> list[Dataset]:
        from scanner.connectors.textfile import open_text

        return open_text(path, ds_id, source, options)

    def writer(self, ds: Dataset, final: Path, source: Path | None) -> FileWriter:
        from scanner.writers.files import TextWriter

        return TextWriter(final, need_source(self, source), ds.meta)


FORMAT = TextFormat()
