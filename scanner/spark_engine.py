"""``--engine spark``: profile large Parquet/CSV/JSON(L) datasets on a Spark cluster.

Why this shape: classification needs every value of a column to pass through
the same RE2 prefilters, validators and (for free text) Presidio as the local
engine, and only the *evidence* (counts, distinct values, samples) has to
come back. So Spark reads the files, each partition runs the project's own
``ColumnProfile`` over its Arrow batches (``mapInArrow``), ships one pickled
profile state per column to the driver, and the driver merges them in
partition order (``ColumnProfile.merge``) and decides with ``.result()``:
the same code, hence the same findings.json as the local engine.

``mapInArrow`` rather than ``mapInPandas``: both run on Spark's Arrow
exchange (``spark.sql.execution.arrow.pyspark.enabled``), but the pandas leg
turns nullable integers into floats and timestamps into pandas types, which
would make the Spark engine see other values than the local one.

Values are read as the local connectors read them: CSV as text (header from
the local connector, encoding from ``detect_encoding``, empty cells as empty
strings), Parquet with its own types (cast back to the file's Arrow schema,
so timestamps and doubles render as locally), JSON Lines as text lines parsed
and flattened by ``scanner.connectors.jsonfile`` on the executors. Anything
else (SQLite, XLSX, text logs, database URLs) is scanned by the local engine.
Paths with a Hadoop filesystem scheme (``hdfs://``, ``s3a://``, ...) are
handed to Spark as they are.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pickle
import posixpath
import sys
import warnings
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from detectors.classify import ColumnProfile
from scanner import formats
from scanner.connectors.base import BATCH_ROWS, Dataset, SourceError
from scanner.defaults import DEFAULT_MASTER, Engine  # noqa: F401 - re-exported for callers of the engine
from scanner.formats.base import SparkSpec
from scanner.lifecycle.subjects import ProfileSketcher, SubjectSketches
from scanner.model import ColumnFinding, DatasetResult
from scanner.parallel import Outcome
from scanner.pipeline import ScanOptions, dataset_info, scan_dataset

if TYPE_CHECKING:
    from detectors.recognizers import PiiRecognizer

log = logging.getLogger(__name__)

# Filesystems Spark (Hadoop) reads; such SOURCE arguments are not database URLs.
SPARK_SCHEMES = ("hdfs", "s3a", "s3", "s3n", "gs", "abfs", "abfss", "wasb", "wasbs", "viewfs", "file", "dbfs")
# Executor errors we raise carry this marker; only the text after it is shown (it never quotes values).
MARK = "PIIWARDEN-SPARK:"

Note = Callable[[str], None]


class SparkUnavailable(Exception):
    """pyspark or Java is missing; the message says which, in one line."""


def is_spark_path(source: str) -> bool:
    """A SOURCE with a Hadoop filesystem scheme (``hdfs://``, ``s3a://``): read by Spark, not opened locally."""
    scheme, sep, _ = source.partition("://")
    return bool(sep) and scheme.lower() in SPARK_SCHEMES


def spark_problem() -> str | None:
    """Why Spark cannot start here (pyspark not installed, no Java), or None when it can."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'piiwarden[spark]')"
    java_home = os.environ.get("JAVA_HOME")
    java = Path(java_home, "bin", "java") if java_home else None
    if (java is None or not java.exists()) and not _on_path("java"):
        return "Java is not installed (Spark needs a JRE 17+; set JAVA_HOME or put java on PATH)"
    return None


def _on_path(name: str) -> bool:
    import shutil

    return shutil.which(name) is not None


_SESSIONS: dict[str, Any] = {}


def get_spark(master: str = DEFAULT_MASTER) -> Any:
    """One SparkSession per master for the process, configured for Arrow batches and quiet logs."""
    if master in _SESSIONS:
        return _SESSIONS[master]
    problem = spark_problem()
    if problem:
        raise SparkUnavailable(problem)
    # mapInArrow never converts to pandas, so pyspark's pandas-version warning does not apply here.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    # Under spark-submit the master comes from --master; only an explicit --spark-master overrides it.
    submitted = master == DEFAULT_MASTER and "PYSPARK_GATEWAY_PORT" in os.environ
    local = master.startswith("local") and not submitted
    if local:
        # Local executors are child processes: they must run this interpreter, which has piiwarden installed.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder if submitted else SparkSession.builder.master(master)
    builder = (
        builder.appName("piiwarden")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        # Parquet timestamps without a zone stay zone-less (as pyarrow reads them locally).
        .config("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
        # GBK/GB18030 CSVs: Spark 4 only accepts Unicode charsets unless told otherwise.
        .config("spark.sql.legacy.javaCharsets", "true")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if local:
        builder = builder.config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    _SESSIONS[master] = spark
    return spark


def stop_spark() -> None:
    """Stop the sessions this process started (tests, end of a CLI run)."""
    for spark in _SESSIONS.values():
        spark.stop()
    _SESSIONS.clear()


# ----------------------------------------------------------- what to read ----


def spark_formats() -> list[str]:
    """Names of the registered formats Spark reads (the rest are scanned by the local engine)."""
    return [f.name for f in formats.all_formats() if f.spark_kind is not None]


def _spark_format(name: str) -> formats.Format | None:
    fmt = formats.find(name)
    return fmt if fmt is not None and fmt.spark_kind is not None else None


def spark_encoding(encoding: str) -> str:
    """Java's name for the codec ``detect_encoding`` chose (a BOM line is the header Spark skips)."""
    lowered = encoding.lower().replace("_", "-")
    if lowered in ("utf-8", "utf-8-sig", "utf8"):
        return "UTF-8"
    if lowered in ("gb18030", "gbk", "gb2312", "cp936"):
        return "GB18030"
    return encoding.upper()


def spec_of(ds: Dataset) -> SparkSpec | None:
    """How Spark reads this dataset, or None when it cannot (SQLite, XLSX, text logs, databases)."""
    fmt = _spark_format(ds.format)
    remote = ds.meta.get("spark_path")
    if remote and fmt is not None:
        names = ds.meta.get("names")
        return SparkSpec(path=remote, format=ds.format, kind=fmt.spark_kind or formats.SPARK_COLUMNS,
                         encoding=ds.meta.get("encoding", "utf-8"), delimiter=ds.meta.get("delimiter", ","),
                         names=json.loads(names) if names else None, multiline=ds.meta.get("multiline") == "true",
                         fill_empty=fmt.text_columns)
    if fmt is None or "://" in ds.source or not ds.location:
        return None
    path = Path(ds.location)
    return SparkSpec(path=str(path.resolve()), format=ds.format, kind=fmt.spark_kind or formats.SPARK_COLUMNS,
                     fill_empty=fmt.text_columns, **fmt.spark_spec(ds, path))


def read_frame(spark: Any, spec: SparkSpec) -> Any:
    """The dataset as a Spark DataFrame: typed columns, or one text column for JSON to parse."""
    fmt = _spark_format(spec.format)
    if fmt is None:
        raise SourceError(f"Spark cannot read format {spec.format}")
    return fmt.spark_frame(spark, spec)


# ------------------------------------------------------ executor side ----


def dataset_batches(batches: Iterator[pa.RecordBatch], spec: SparkSpec) -> Iterator[pa.RecordBatch]:
    """Spark's Arrow batches of a partition as the local connector would hand them to the pipeline."""
    if spec.kind == formats.SPARK_COLUMNS:
        target = pa.ipc.read_schema(pa.py_buffer(spec.arrow_schema)) if spec.arrow_schema else None
        for batch in batches:
            yield _as_local(batch, spec, target)
        return
    from scanner.connectors.jsonfile import flat_batches, flat_columns

    rows = list(_json_rows(batches, spec))
    if rows:
        yield from flat_batches(rows, spec.json_columns if spec.json_columns is not None else flat_columns(rows))


def _as_local(batch: pa.RecordBatch, spec: SparkSpec, target: pa.Schema | None) -> pa.RecordBatch:
    """CSV: empty cells are empty strings (pyarrow's CSV reader never yields null text); Parquet: file types."""
    arrays = []
    for name, column in zip(batch.schema.names, batch.columns):
        if spec.fill_empty:
            column = pc.fill_null(column, "")
        elif target is not None and name in target.names and column.type != target.field(name).type:
            # else keep Spark's type; the profile renders it as text either way
            with contextlib.suppress(pa.ArrowInvalid, pa.ArrowNotImplementedError):
                column = column.cast(target.field(name).type)
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def _json_rows(batches: Iterator[pa.RecordBatch], spec: SparkSpec) -> Iterator[dict[str, Any]]:
    """Flattened records from JSON Lines text (one per non-blank line) or whole JSON documents."""
    from scanner.connectors.jsonfile import PARSE_HOOKS, flatten_record

    for batch in batches:
        for text in batch.column(0).to_pylist():
            if text is None or not text.strip():
                continue
            try:
                data = json.loads(text, **PARSE_HOOKS)
            except json.JSONDecodeError as exc:
                raise RuntimeError(f"{MARK} invalid JSON (column {exc.colno}): {exc.msg}") from None
            if spec.kind == formats.SPARK_DOCUMENT:
                for record in data if isinstance(data, list) else [data]:
                    yield flatten_record(record)
            else:
                yield flatten_record(data)


@dataclass(frozen=True)
class WorkerEntities:
    """The driver's entities as plain data, captured in the ``mapInArrow`` closure.

    An executor's Python worker has a registry of its own: the built-ins and
    the entry points installed on the cluster, but never the ``--entities``
    file the driver read. Without these the executors would profile without
    the custom recognizers while the driver merges and grades with them, and
    a Spark scan would miss what the local engine finds. The YAML entities
    travel as their validated definitions (their generated recognizer classes
    cannot be imported elsewhere); entities from code must be installed on
    the cluster, which ``install`` checks by name.
    """

    custom: tuple[tuple[str, str], ...]  # (name, definition) of each YAML entity, in registration order
    names: tuple[str, ...]  # every entity the driver knows, in rank order

    @classmethod
    def of_driver(cls) -> WorkerEntities:
        """What the driver's registry holds now (the scan's custom entities are registered by then)."""
        from detectors.entities import registry

        custom = tuple((s.name, s.definition) for s in registry.added_specs() if s.definition)
        return cls(custom, registry.names())

    def install(self) -> None:
        """Register the driver's YAML entities in this worker and check it now knows exactly the driver's."""
        from detectors.entities import registry
        from detectors.entities.custom import EntitiesFileError, sync

        try:
            sync(dict(self.custom))
        except EntitiesFileError as exc:
            raise RuntimeError(f"{MARK} the executors cannot rebuild a custom entity: {exc}") from None
        here = registry.names()
        if here == self.names:
            return
        missing = [n for n in self.names if n not in here]
        extra = [n for n in here if n not in self.names]
        what = "; ".join(part for part in (f"missing {', '.join(missing)}" if missing else "",
                                           f"only there {', '.join(extra)}" if extra else "") if part)
        raise RuntimeError(f"{MARK} the executors know other entities than the driver ({what or 'another order'}): "
                           "install the same piiwarden and entity packages on the cluster")


_WORKER: dict[int, list[PiiRecognizer]] = {}


def worker_recognizers(entities: WorkerEntities) -> list[PiiRecognizer]:
    """The recognizers of the driver's entities, built once per worker and set of entities.

    Spark reuses Python workers across tasks and jobs, so the recognizers
    are kept while the registry stays the same (``registry.generation``).
    """
    from detectors.entities.registry import generation, recognizer_classes

    entities.install()
    current = generation()
    if current not in _WORKER:
        _WORKER.clear()
        _WORKER[current] = [cls() for cls in recognizer_classes()]
    return _WORKER[current]


def partition_id() -> int:
    """The running task's partition index (order of the file's splits)."""
    from pyspark import TaskContext

    ctx = TaskContext.get()
    return ctx.partitionId() if ctx is not None else 0


PROFILE_SCHEMA = "part int, seq int, name string, rows long, payload binary"


def profile_partition(spec: SparkSpec, comments: dict[str, str], entities: WorkerEntities
                      ) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: profile a partition, emit one pickled state per column plus a row count."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        recognizers = worker_recognizers(entities)
        profiles: dict[str, ColumnProfile] = {}
        sketcher = ProfileSketcher()  # distinct people, beside each column's state
        rows = 0
        for batch in dataset_batches(batches, spec):
            rows += batch.num_rows
            for name in batch.schema.names:
                if name not in profiles:
                    profiles[name] = ColumnProfile(name, comments.get(name), recognizers=recognizers)
            if batch.num_rows:
                sketcher.update(profiles, batch)
        part = partition_id()
        out: dict[str, list[int | str | bytes | None]] = {
            "part": [part], "seq": [-1], "name": [None], "rows": [rows], "payload": [None]}
        for seq, (name, profile) in enumerate(profiles.items()):
            out["part"].append(part)
            out["seq"].append(seq)
            out["name"].append(name)
            out["rows"].append(0)
            out["payload"].append(pickle.dumps(sketcher.with_sketches(name, profile.state())))
        yield pa.RecordBatch.from_pydict(out, schema=pa.schema([
            ("part", pa.int32()), ("seq", pa.int32()), ("name", pa.string()), ("rows", pa.int64()),
            ("payload", pa.binary())]))

    return run


# --------------------------------------------------------- driver side ----


def _no_batches() -> Iterator[pa.RecordBatch]:
    """The batches of a dataset described only to build its SparkSpec (``spec_of`` reads no rows)."""
    return iter(())


def one_line(exc: BaseException) -> str:
    """A Spark failure as one value-free line: our own marked message, else the exception type."""
    text = str(exc)
    if MARK in text:
        return text.split(MARK, 1)[1].strip().splitlines()[0][:200]
    for known in ("PATH_NOT_FOUND", "UNABLE_TO_INFER_SCHEMA", "MALFORMED_RECORD", "FAILFAST", "CHARSET"):
        if known in text:
            return f"Spark cannot read this dataset ({known.lower()})"
    return f"Spark job failed ({type(exc).__name__})"


def sample_fraction(rows: int, k: int) -> float:
    """Bernoulli fraction that draws about ``k`` of ``rows`` rows (1.0 = everything)."""
    return 1.0 if rows <= k else k / rows


@dataclass
class SparkScanner:
    """Scans datasets with Spark where it can read them and locally where it cannot."""

    master: str = DEFAULT_MASTER
    note: Note = field(default=lambda message: log.info("%s", message))
    _noted: set[str] = field(default_factory=set)

    @property
    def spark(self) -> Any:
        return get_spark(self.master)

    def resolve(self, sources: list[str], views: bool = False) -> tuple[list[Dataset], list[tuple[str, str]]]:
        """``resolve_sources`` for local sources; ``hdfs://``/``s3a://`` paths become Spark-read datasets."""
        from scanner.sources import resolve_sources

        local = [s for s in sources if not is_spark_path(s)]
        datasets, errors = resolve_sources(local, views=views) if local else ([], [])
        for source in sources:
            if is_spark_path(source):
                try:
                    datasets.append(self.remote_dataset(source))
                except SourceError as exc:
                    errors.append((source, str(exc)))
        order = {s: i for i, s in enumerate(sources)}
        datasets.sort(key=lambda d: order.get(d.source, len(order)))  # argument order, as resolve_sources
        return datasets, errors

    def remote_dataset(self, source: str) -> Dataset:
        """A dataset for a path only Spark can read; the format comes from the extension (Parquet by default)."""
        base = posixpath.basename(source.rstrip("/")) or source
        head, whole, first = self.remote_head(source)
        # a directory (part files) takes its format from its first data file
        reader = _remote_format(base) or _remote_format(first) or formats.get("parquet")
        fmt = reader.name
        meta = {"spark_path": source, "delimiter": ",", **reader.spark_remote_meta(head, whole)}
        spec = spec_of(Dataset(id=base, source=source, format=fmt, open_batches=_no_batches, meta=meta))
        assert spec is not None

        def batches() -> Iterator[pa.RecordBatch]:
            # Only policy counts stream a remote dataset on the driver; it comes through Spark.
            frame = read_frame(self.spark, spec)
            yield from dataset_batches(_local_batches(frame), spec)

        return Dataset(id=base, source=source, format=fmt, open_batches=batches, location=source, meta=meta)

    def remote_head(self, source: str) -> tuple[bytes, bool, str]:
        """The head of a remote file (a directory: its first data file) via Hadoop, and that file's name.

        So that a remote CSV gets the same encoding, delimiter and header
        treatment as a local one; a missing path fails here, in one line.
        """
        from scanner.connectors.common import SAMPLE_BYTES

        sc = self.spark.sparkContext
        jvm = sc._jvm
        try:
            path = jvm.org.apache.hadoop.fs.Path(source)
            fs = path.getFileSystem(sc._jsc.hadoopConfiguration())
            if fs.getFileStatus(path).isDirectory():
                files = sorted(st.getPath().toString() for st in fs.listStatus(path)
                               if st.isFile() and not st.getPath().getName().startswith(("_", ".")))
                if not files:
                    return b"", True, ""
                path = jvm.org.apache.hadoop.fs.Path(files[0])
            stream = fs.open(path)
            try:
                head = bytes(stream.readNBytes(SAMPLE_BYTES + 1))
            finally:
                stream.close()
        except Exception as exc:  # noqa: BLE001 - Py4J errors quote Java stack traces, not data
            text = str(exc)
            if "FileNotFoundException" in text:
                raise SourceError("no such file or directory") from None
            raise SourceError(f"cannot open with Spark's filesystem ({type(exc).__name__})") from None
        return head[:SAMPLE_BYTES], len(head) <= SAMPLE_BYTES, path.getName()


    def scan(self, ds: Dataset, options: ScanOptions) -> DatasetResult:
        """Profile one dataset on Spark (the local engine for formats Spark does not read)."""
        spec = spec_of(ds)
        if spec is None:
            if ds.format not in self._noted:
                self._noted.add(ds.format)
                self.note(f"note: {ds.format} datasets are scanned by the local engine (Spark cannot read them)")
            return scan_dataset(ds, options)
        try:
            columns, scanned, total, subjects = self._profile(ds, spec, options)
        except SourceError as exc:
            return DatasetResult(info=dataset_info(ds), rows=ds.rows, errors=[str(exc)])
        except Exception as exc:  # noqa: BLE001 - a Spark failure is one error line for this dataset
            return DatasetResult(info=dataset_info(ds), rows=ds.rows, errors=[one_line(exc)])
        return DatasetResult(info=dataset_info(ds), rows=total if ds.rows is None else ds.rows, rows_scanned=scanned,
                             columns=columns, subjects_estimate=subjects)

    def scan_many(self, datasets: list[Dataset], indices: list[int], options: ScanOptions,
                  started: Callable[[int], None] | None = None) -> Iterator[Outcome]:
        """``scanner.parallel.scan_many`` on Spark: the cluster parallelizes inside each dataset."""
        for i in indices:
            if started:
                started(i)
            yield Outcome(i, self.scan(datasets[i], options))

    def _profile(self, ds: Dataset, spec: SparkSpec,
                 options: ScanOptions) -> tuple[list[ColumnFinding], int, int | None, int | None]:
        frame = read_frame(self.spark, spec)
        total: int | None = ds.rows
        if not options.full and spec.kind != formats.SPARK_DOCUMENT:
            if total is None:
                total = frame.count()
            fraction = sample_fraction(total, options.sample_rows)
            if fraction < 1.0:
                frame = frame.sample(withReplacement=False, fraction=fraction,
                                     seed=zlib.crc32(ds.id.encode("utf-8")))
        rows = frame.mapInArrow(profile_partition(spec, dict(ds.comments), WorkerEntities.of_driver()),
                               PROFILE_SCHEMA).collect()
        rows.sort(key=lambda r: (r["part"], r["seq"]))
        merged: dict[str, Any] = {}
        subjects = SubjectSketches()
        scanned = 0
        recognizers = None
        for row in rows:
            if row["seq"] < 0:
                scanned += row["rows"]
                continue
            state = subjects.take(row["name"], pickle.loads(row["payload"]))
            profile = ColumnProfile.from_state(row["name"], ds.comments.get(row["name"]), state, recognizers)
            recognizers = profile.recognizers
            if row["name"] in merged:
                merged[row["name"]].merge(profile)
            else:
                merged[row["name"]] = profile
        if spec.kind == formats.SPARK_COLUMNS:  # columns of a file with no rows still belong in the findings

            for name in frame.columns:
                merged.setdefault(name, ColumnProfile(name, ds.comments.get(name)))
        if options.full and total is None:
            total = scanned
        if spec.kind == formats.SPARK_DOCUMENT and total is None:
            total = scanned
        columns = [p.result() for p in merged.values()]
        return columns, scanned, total, subjects.estimate(columns)


def _remote_format(name: str) -> formats.Format | None:
    """The Spark-readable format a remote file name's suffix names, if any."""
    fmt = formats.by_suffix(posixpath.splitext(name)[1])
    return fmt if fmt is not None and fmt.spark_kind is not None else None


def _local_batches(frame: Any) -> Iterator[pa.RecordBatch]:
    """A DataFrame's rows on the driver as Arrow batches, one partition at a time."""
    chunk: list[dict[str, Any]] = []
    for row in frame.toLocalIterator():
        chunk.append(row.asDict())
        if len(chunk) >= BATCH_ROWS:
            yield pa.RecordBatch.from_pylist(chunk)
            chunk = []
    if chunk:
        yield pa.RecordBatch.from_pylist(chunk)
