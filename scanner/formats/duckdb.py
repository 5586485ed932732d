"""DuckDB database files met while crawling: one ``table`` dataset per table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from scanner.formats.base import Format, need_source, strip_part

if TYPE_CHECKING:
    from scanner.connectors.base import Dataset
    from scanner.connectors.common import ReadOptions
    from scanner.writers.base import FileWriter


class DuckDbFormat(Format):
    """A DuckDB file opened read-only (``scanner.connectors.sqldb``), rebuilt by ``DuckDbFileWriter``."""

    name: ClassVar[str] = "duckdb"
    suffixes: ClassVar[tuple[str, ...]] = (".duckdb",)

    def open(self, path: Path, ds_id: str, source: str, options: ReadOptions) -> list[Dataset]:
        from scanner.connectors.sqldb import open_database_file

        return open_database_file("duckdb", path, ds_id, source)  # typed rows: ReadOptions do not apply

    def writer(self, ds: Dataset, final: Path, source: Path | None) -> FileWriter:
        from scanner.writers.sql import DuckDbFileWriter

        return DuckDbFileWriter(final, need_source(self, source))

    def output_name(self, ds: Dataset) -> str:
        return strip_part(ds.id, f"#{ds.meta.get('table', '')}")


FORMAT = DuckDbFormat()
