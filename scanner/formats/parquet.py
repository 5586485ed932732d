"""Parquet: typed columns with row counts in the footer; also the output of database URL tables."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from scanner.formats.base import SPARK_COLUMNS, Format, SparkSpec

if TYPE_CHECKING:
    from scanner.connectors.base import Dataset
    from scanner.connectors.common import ReadOptions
    from scanner.writers.base import FileWriter


class ParquetFormat(Format):
    """Columnar files (``scanner.connectors.parquetfile``), mirrored with their schema by ``ParquetWriter``."""

    name: ClassVar[str] = "parquet"
    suffixes: ClassVar[tuple[str, ...]] = (".parquet",)
    copyable: ClassVar[bool] = True
    spark_kind: ClassVar[str | None] = SPARK_COLUMNS

    def open(self, path: Path, ds_id: str, source: str, options: ReadOptions) -> list[Dataset]:
        from scanner.connectors.parquetfile import open_parquet

        return open_parquet(path, ds_id, source)  # typed columns: no bad rows or oversized cells to police

    def writer(self, ds: Dataset, final: Path, source: Path | None) -> FileWriter:
        """The source's schema and compression; without a source (a database table), the batches' own."""
        from scanner.writers.files import ParquetWriter

        return ParquetWriter(final, source, ds.meta)

    def spark_spec(self, ds: Dataset, path: Path) -> dict[str, Any]:
        """The file's Arrow schema, so executors cast Spark's types back to what pyarrow reads locally."""
        import pyarrow.parquet as pq

        return {"arrow_schema": pq.read_schema(path).serialize().to_pybytes()}

    def spark_remote_meta(self, head: bytes, whole: bool) -> dict[str, str]:
        return {}  # binary: no encoding to judge

    def spark_frame(self, spark: Any, spec: SparkSpec) -> Any:
        return spark.read.parquet(spec.path)


FORMAT = ParquetFormat()
