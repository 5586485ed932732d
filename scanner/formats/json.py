"""JSON documents: an array of records (or one record), nested objects flattened to dotted columns."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from scanner.formats.base import SPARK_DOCUMENT, Format, SparkSpec, need_source

if TYPE_CHECKING:
    from scanner.connectors.base import Dataset
    from scanner.connectors.common import ReadOptions
    from scanner.writers.base import FileWriter


class JsonFormat(Format):
    """A whole document (``scanner.connectors.jsonfile``), mirrored leaf by leaf by ``JsonWriter``.

    Spark reads each file whole (one text value) and the executors parse it,
    since a document cannot be split at line boundaries.
    """

    name: ClassVar[str] = "json"
    suffixes: ClassVar[tuple[str, ...]] = (".json",)
    copyable: ClassVar[bool] = True
    spark_kind: ClassVar[str | None] = SPARK_DOCUMENT

    def open(self, path: Path, ds_id: str, source: str, options: ReadOptions) -> list[Dataset]:
        from scanner.connectors.jsonfile import open_json

        return open_json(path, ds_id, source, options)

    def writer(self, ds: Dataset, final: Path, source: Path | None) -> FileWriter:
        from scanner.writers.files import JsonWriter

        return JsonWriter(final, need_source(self, source), ds.meta)

    def spark_frame(self, spark: Any, spec: SparkSpec) -> Any:
        return spark.read.text(spec.path, wholetext=True)


FORMAT = JsonFormat()
