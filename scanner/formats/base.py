"""What a file format is to piiwarden: how to read it, how to mirror it, how Spark reads it.

One class per format, one file per class (``scanner/formats/<name>.py``
exposing ``FORMAT``), so that supporting a new kind of file is one new file
and its test: the crawler finds the reader by suffix, anonymize finds the
writer through the same object, the Spark engine asks it whether (and how)
Spark can read it. Nothing else in the code base names a format.

The base class holds no format knowledge; its defaults describe "a local
format Spark cannot read, mirrored at the same relative path".
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from scanner.connectors.base import Dataset
    from scanner.connectors.common import ReadOptions
    from scanner.writers.base import FileWriter

# How Spark hands a format's rows to the executors: its own columns, one text line per record
# (parsed on the executors), or whole documents (one text value per file).
SPARK_COLUMNS = "columns"
SPARK_LINES = "lines"
SPARK_DOCUMENT = "document"


@dataclass
class SparkSpec:
    """What an executor needs to turn Spark's batches into the dataset's batches (picklable).

    Defined beside ``Format`` because ``Format.spark_frame`` reads it and the
    Spark engine builds it: both sides import it from here, so neither
    imports the other.
    """

    path: str
    format: str
    kind: str = SPARK_COLUMNS  # the format's spark_kind: columns, lines or document
    encoding: str = "utf-8"
    delimiter: str = ","
    names: list[str] | None = None  # CSV header as the local connector made it unique
    multiline: bool = False  # CSV with line breaks inside quoted values (not splittable)
    arrow_schema: bytes | None = None  # Parquet: the file's Arrow schema, to cast Spark's types back
    json_columns: dict[str, bool] | None = None  # JSON(L): column -> holds lists, when known for the file
    fill_empty: bool = False  # text columns (CSV): Spark's null cell is the empty string pyarrow reads


class Format(ABC):
    """A file format: its suffixes, its reader, its writer and its Spark reading.

    ``name`` is the registry key and, for single-table formats, the
    ``format`` findings.json reports (a reader may report a sibling: a
    ``.csv`` whose sniffed delimiter is a tab reports ``tsv``; database files
    report ``table``).
    """

    name: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]] = ()
    # Nothing to change: a byte copy of the source is a faithful output (not for containers
    # such as workbooks and databases, which are rebuilt to drop old values).
    copyable: ClassVar[bool] = False
    # Records are lines: a big file is sampled by line chunks, and Spark may split it.
    line_oriented: ClassVar[bool] = False
    # None: Spark cannot read it (the local engine scans it); else SPARK_COLUMNS/LINES/DOCUMENT.
    spark_kind: ClassVar[str | None] = None
    # Every column is text and an empty cell is "" (CSV): Spark's null cell must read as "" too.
    text_columns: ClassVar[bool] = False

    @abstractmethod
    def open(self, path: Path, ds_id: str, source: str, options: ReadOptions) -> list[Dataset]:
        """The datasets of one file (several for a workbook or a database file)."""

    @abstractmethod
    def writer(self, ds: Dataset, final: Path, source: Path | None) -> FileWriter:
        """A writer that mirrors ``source`` (the file ``ds`` came from) into ``final``."""

    def output_name(self, ds: Dataset) -> str:
        """The output's path relative to OUTDIR: the dataset id, minus a ``#part`` for multi-dataset files."""
        return ds.id

    # ------------------------------------------------------------- Spark ----

    def spark_spec(self, ds: Dataset, path: Path) -> dict[str, Any]:
        """SparkSpec fields beyond path, format and kind, judged from the local file."""
        return {"encoding": ds.meta.get("encoding", "utf-8")}

    def spark_remote_meta(self, head: bytes, whole: bool) -> dict[str, str]:
        """Dataset meta of a file only Spark can reach, judged from its head (encoding for text formats)."""
        from scanner.connectors.common import detect_encoding_bytes

        return {"encoding": detect_encoding_bytes(head, whole) if head else "utf-8"}

    def spark_frame(self, spark: Any, spec: SparkSpec) -> Any:
        """The dataset as a Spark DataFrame (columns, or one text column for line/document formats)."""
        from scanner.connectors.base import SourceError

        raise SourceError(f"Spark cannot read format {self.name}")


def need_source(fmt: Format, source: Path | None) -> Path:
    """The source file a mirroring writer re-reads (header text, nesting, workbook styles).

    Only a database URL table has no source file, and it is written as
    Parquet: any other format asked to write one is a caller's mistake.
    """
    if source is None:
        from scanner.writers.base import WriterError

        raise WriterError(f"a {fmt.name} output mirrors a source file, and there is none")
    return source


def strip_part(ds_id: str, part: str) -> str:
    """``book.xlsx#Sheet1`` -> ``book.xlsx``: every part of a multi-dataset file maps to one output."""
    return ds_id[: -len(part)] if part and ds_id.endswith(part) else ds_id
