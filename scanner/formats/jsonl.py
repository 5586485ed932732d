"""JSON Lines: one JSON record per line, flattened like a JSON document's records."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from scanner.formats.base import SPARK_LINES, Format, SparkSpec, need_source

if TYPE_CHECKING:
    from scanner.connectors.base import Dataset
    from scanner.connectors.common import ReadOptions
    from scanner.writers.base import FileWriter


class JsonlFormat(Format):
    """Line-delimited JSON (``scanner.connectors.jsonfile``), mirrored line for line by ``JsonlWriter``."""

    name: ClassVar[str] = "jsonl"
    suffixes: ClassVar[tuple[str, ...]] = (".jsonl", ".ndjson")
    copyable: ClassVar[bool] = True
    line_oriented: ClassVar[bool] = True
    spark_kind: ClassVar[str | None] = SPARK_LINES

    def open(self, path: Path, ds_id: str, source: str, options: ReadOptions) -> list[Dataset]:
        from scanner.connectors.jsonfile import open_jsonl

        return open_jsonl(path, ds_id, source, options)

    def writer(self, ds: Dataset, final: Path, source: Path | None) -> FileWriter:
        from scanner.writers.files import JsonlWriter

        return JsonlWriter(final, need_source(self, source), ds.meta)

    def spark_frame(self, spark: Any, spec: SparkSpec) -> Any:
        """Text lines, blank ones dropped (they are not records); the executors parse and flatten them."""
        from pyspark.sql import functions as F  # noqa: N812 - Spark's own convention

        from scanner.spark_engine import spark_encoding

        frame = spark.read.option("encoding", spark_encoding(spec.encoding)).text(spec.path)
        return frame.filter(F.length(F.trim(F.col("value"))) > 0)


FORMAT = JsonlFormat()
