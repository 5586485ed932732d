"""CSV: comma-separated text (a sniffed delimiter wins over the suffix; a tab makes it report ``tsv``)."""

from __future__ import annotations

import csv as stdcsv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from scanner.formats.base import SPARK_COLUMNS, Format, SparkSpec, need_source

if TYPE_CHECKING:
    from scanner.connectors.base import Dataset
    from scanner.connectors.common import ReadOptions
    from scanner.writers.base import FileWriter


class CsvFormat(Format):
    """Delimited text read as text columns (``scanner.connectors.csvfile``), mirrored by ``CsvWriter``."""

    name: ClassVar[str] = "csv"
    suffixes: ClassVar[tuple[str, ...]] = (".csv",)
    copyable: ClassVar[bool] = True
    line_oriented: ClassVar[bool] = True
    spark_kind: ClassVar[str | None] = SPARK_COLUMNS
    text_columns: ClassVar[bool] = True
    # The delimiter when sniffing is unsure (a one-column file).
    default_delimiter: ClassVar[str] = ","

    def open(self, path: Path, ds_id: str, source: str, options: ReadOptions) -> list[Dataset]:
        from scanner.connectors.csvfile import open_csv

        return open_csv(path, ds_id, source, options)

    def writer(self, ds: Dataset, final: Path, source: Path | None) -> FileWriter:
        from scanner.writers.files import CsvWriter

        return CsvWriter(final, need_source(self, source), ds.meta)

    def spark_spec(self, ds: Dataset, path: Path) -> dict[str, Any]:
        from scanner.connectors.common import read_head

        encoding, delimiter = ds.meta.get("encoding", "utf-8"), ds.meta.get("delimiter", ",")
        head, whole = read_head(path)
        return {"encoding": encoding, "delimiter": delimiter, "names": header_names(head, whole, encoding, delimiter),
                "multiline": is_multiline(head, whole, encoding, delimiter)}

    def spark_remote_meta(self, head: bytes, whole: bool) -> dict[str, str]:
        import json

        from scanner.connectors.common import decode_sample, detect_encoding_bytes
        from scanner.connectors.csvfile import sniff_delimiter

        encoding = detect_encoding_bytes(head, whole) if head else "utf-8"
        text = decode_sample(head, encoding, whole)
        delimiter = sniff_delimiter(text[: 64 * 1024], default=self.default_delimiter)
        return {"encoding": encoding, "delimiter": delimiter,
                "names": json.dumps(header_names(head, whole, encoding, delimiter), ensure_ascii=False),
                "multiline": str(is_multiline(head, whole, encoding, delimiter)).lower()}

    def spark_frame(self, spark: Any, spec: SparkSpec) -> Any:
        from pyspark.sql.types import StringType, StructField, StructType

        from scanner.spark_engine import spark_encoding

        reader = spark.read.options(header="true", sep=spec.delimiter, encoding=spark_encoding(spec.encoding),
                                    escape='"', mode="FAILFAST", multiLine=str(spec.multiline).lower(),
                                    inferSchema="false")
        if spec.names is not None:
            if not spec.names:
                return spark.createDataFrame([], StructType([]))
            reader = reader.schema(StructType([StructField(n, StringType()) for n in spec.names]))
        return reader.csv(spec.path)


def header_names(head: bytes, whole: bool, encoding: str, delimiter: str) -> list[str]:
    """The header exactly as the local CSV connector names the columns (unique, non-empty).

    Spark must see the same column names as the local engine, or the two
    engines' findings would differ.
    """
    from scanner.connectors.common import decode_sample, unique_names

    text = decode_sample(head, encoding, whole)
    for row in stdcsv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        if row:
            return unique_names(row)
    return []


def is_multiline(head: bytes, whole: bool, encoding: str, delimiter: str) -> bool:
    """Whether the head has a quoted value spanning lines (then Spark must not split the file)."""
    from scanner.connectors.common import decode_sample

    text = decode_sample(head, encoding, whole)
    records = sum(1 for row in stdcsv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if row)
    lines = sum(1 for line in text.splitlines() if line.strip())
    return records != lines


FORMAT = CsvFormat()
