"""``anonymize --engine spark``: column transforms on Spark, outputs mirrored by the project's writers.

Why this split: the costly part of anonymizing is the per-column work
(pyarrow masks, keyed hashes, FPE, Presidio on free text), which Spark runs
per partition with the *same* ``ColumnTransformer`` as the local engine
(``mapInArrow``). The output has to mirror the input byte for byte where
nothing changed (a GB18030 CSV stays GB18030 with its header text, delimiter
and line endings; Parquet keeps its schema and compression; JSON Lines keep
their nesting and key order), which Spark's CSV/JSON writers cannot do. So
the driver streams the source once more with the local connector, takes the
changed columns from Spark in partition order, and writes through
``scanner.writers`` exactly as the local engine does. Untouched columns never
leave the driver's reader; the two streams are checked to hold the same
number of rows.

Datasets Spark does not read (XLSX, SQLite, text logs, database URLs) are
anonymized by the local engine, with a one-line note.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from scanner.anonymize import run as local_run
from scanner.anonymize.columns import ColumnStats, ColumnTransformer, cell_patterns
from scanner.anonymize.engine import (
    ColumnPlan,
    DatasetJob,
    Log,
    Outcome,
    anonymize_job,
    make_transform,
    mirror,
    plan_columns,
)
from scanner.anonymize.kanon import KAnonymity
from scanner.anonymize.keys import Key
from scanner.anonymize.operators.context import OpContext
from scanner.anonymize.rules import Rule, Rules
from scanner.connectors.base import Dataset, SourceError
from scanner.connectors.urls import mask_source
from scanner.findings import now_iso
from scanner.formats import SPARK_LINES
from scanner.pipeline import ScanOptions
from scanner.policy.model import Policy
from scanner.sampling import DEFAULT_SAMPLE_ROWS
from scanner.spark_engine import (
    DEFAULT_MASTER,
    SparkScanner,
    SparkSpec,
    WorkerEntities,
    dataset_batches,
    is_spark_path,
    one_line,
    partition_id,
    read_frame,
    spec_of,
)
from scanner.writers.base import remove_stale_temps

TRANSFORM_SCHEMA = "part int, seq int, rows long, data binary, stats binary"


@dataclass
class ColumnJob:
    """What an executor needs to rebuild one column's transformer (picklable with cloudpickle)."""

    name: str
    entity: str | None
    rule: Rule
    free_text: bool
    span_rule: Callable[[str], Rule] | None
    cell_pattern: str | None

    def rule_for_spans(self) -> Callable[[str], Rule]:
        """The rule for spans of each entity in this column (the column's own rule unless planned otherwise)."""
        if self.span_rule is not None:
            return self.span_rule
        rule = self.rule
        return lambda _entity: rule


def transform_partition(spec: SparkSpec, columns: list[ColumnJob], key: Key | None, entities: WorkerEntities
                        ) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function: transformed columns of each batch (Arrow IPC), then the partition's counts.

    Transformers are built once per partition; the key travels inside the
    task closure (use Spark's RPC encryption on a shared cluster). The
    driver's custom entities are registered first: masks, pseudonyms, FPE
    and the recognizers of free text read them from the worker's registry.
    """

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        entities.install()
        ctx = OpContext(key)
        transformers = {c.name: ColumnTransformer(c.entity, c.rule, c.free_text, ctx,
                                                  c.rule_for_spans(), c.cell_pattern)
                        for c in columns}
        part = partition_id()
        schema = pa.schema([("part", pa.int32()), ("seq", pa.int32()), ("rows", pa.int64()),
                            ("data", pa.binary()), ("stats", pa.binary())])
        for seq, batch in enumerate(dataset_batches(batches, spec)):
            names = [n for n in transformers if n in batch.schema.names]
            arrays = [transformers[n].transform(batch.column(n)) for n in names]
            sink = pa.BufferOutputStream()
            changed = pa.RecordBatch.from_arrays(arrays, names=names) if names else \
                pa.RecordBatch.from_pydict({"__rows__": pa.nulls(batch.num_rows)})
            with pa.ipc.new_stream(sink, changed.schema) as writer:
                writer.write_batch(changed)
            yield pa.RecordBatch.from_pydict({"part": [part], "seq": [seq], "rows": [batch.num_rows],
                                              "data": [sink.getvalue().to_pybytes()], "stats": [None]},
                                             schema=schema)
        stats = {n: t.stats for n, t in transformers.items()}
        yield pa.RecordBatch.from_pydict({"part": [part], "seq": [1 << 30], "rows": [0], "data": [None],
                                          "stats": [pickle.dumps(stats)]}, schema=schema)

    return run


def _add_stats(total: ColumnStats, part: ColumnStats) -> None:
    """Sum one partition's counts into the column's record."""
    total.values_changed += part.values_changed
    total.values_unchanged += part.values_unchanged
    total.empty += part.empty
    total.spans += part.spans
    for entity, n in part.spans_by_entity.items():
        total.spans_by_entity[entity] = total.spans_by_entity.get(entity, 0) + n
    total.type_changed = total.type_changed or part.type_changed
    total.other_shapes += part.other_shapes
    for reason, n in part.unchanged_reasons.items():
        total.unchanged_reasons[reason] = total.unchanged_reasons.get(reason, 0) + n


class SparkColumns:
    """Changed columns computed by Spark, handed out in row order to the driver's writer.

    All partitions are computed in parallel and kept (memory, then disk)
    before the driver reads them back one partition at a time, so the
    cluster is not serialized behind the writer.
    """

    def __init__(self, spark: Any, spec: SparkSpec, columns: list[ColumnJob], key: Key | None,
                 stats: dict[str, ColumnStats]) -> None:
        self.spark, self.spec, self.columns, self.key, self.stats = spark, spec, columns, key, stats
        self._rows: Iterator[Any] | None = None
        self._frame: Any = None
        self._pending: list[pa.RecordBatch] = []
        self._last = (-1, -1)
        self.produced = 0
        self.taken = 0

    def _start(self) -> None:
        from pyspark import StorageLevel

        frame = read_frame(self.spark, self.spec).mapInArrow(
            transform_partition(self.spec, self.columns, self.key, WorkerEntities.of_driver()), TRANSFORM_SCHEMA)
        self._frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
        self._frame.count()  # every partition at once, on the whole cluster
        self._rows = self._frame.toLocalIterator()

    def _next_batch(self) -> pa.RecordBatch | None:
        assert self._rows is not None
        for row in self._rows:
            order = (row["part"], row["seq"])
            if order <= self._last:
                raise SourceError("Spark returned partitions out of order")
            self._last = order
            if row["stats"] is not None:
                for name, part in pickle.loads(row["stats"]).items():
                    _add_stats(self.stats[name], part)
                continue
            with pa.ipc.open_stream(pa.py_buffer(row["data"])) as reader:
                batch = reader.read_next_batch()
            self.produced += batch.num_rows
            return batch
        return None

    def take(self, n: int) -> dict[str, pa.Array]:
        """The next ``n`` rows of every changed column."""
        try:
            if self._rows is None:
                self._start()
            have = sum(b.num_rows for b in self._pending)
            while have < n:
                batch = self._next_batch()
                if batch is None:
                    raise SourceError("Spark read fewer rows than the local reader; nothing written")
                self._pending.append(batch)
                have += batch.num_rows
        except SourceError:
            raise
        except Exception as exc:  # noqa: BLE001 - a Spark failure is one value-free line
            raise SourceError(one_line(exc)) from None
        # Slice batch by batch (not a Table): a column's type may differ between batches.
        names = [name for name in self._pending[0].schema.names if name != "__rows__"] if self._pending else []
        chunks: dict[str, list[pa.Array]] = {name: [] for name in names}
        rest: list[pa.RecordBatch] = []
        need = n
        for batch in self._pending:
            if need <= 0:
                rest.append(batch)
                continue
            cut = min(need, batch.num_rows)
            for name in names:
                chunks[name].append(batch.column(name).slice(0, cut))
            if cut < batch.num_rows:
                rest.append(batch.slice(cut))
            need -= cut
        self._pending = rest
        self.taken += n
        return {name: _concat(parts) for name, parts in chunks.items()}

    def finish(self) -> None:
        """Drain the counts of the last partitions and check that both readers saw the same rows."""
        try:
            if self._rows is None and self.columns:
                self._start()
            while self._rows is not None and self._next_batch() is not None:
                pass
        except SourceError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise SourceError(one_line(exc)) from None
        finally:
            if self._frame is not None:
                self._frame.unpersist()
                self._frame = None
        if self._rows is not None and self.produced != self.taken:
            raise SourceError(f"Spark read {self.produced} rows but the local reader {self.taken}; nothing written")


def _concat(chunks: list[pa.Array]) -> pa.Array:
    if not chunks:
        return pa.array([], type=pa.string())
    if len(chunks) == 1:
        return chunks[0]
    first = chunks[0].type
    try:
        return pa.concat_arrays([c.cast(first) for c in chunks])
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.concat_arrays([c.cast(pa.string()) for c in chunks])


def spark_job(scanner: SparkScanner, ds: Dataset, spec: SparkSpec, rules: Rules, policy: Policy | None,
              ctx: OpContext, sample_rows: int) -> DatasetJob:
    """Plan from a Spark scan, transform on Spark, write on the driver (see the module docstring)."""
    scanned = scanner.scan(ds, ScanOptions(sample_rows=sample_rows))
    if scanned.errors:
        raise SourceError(scanned.errors[0])
    plans: list[ColumnPlan] = plan_columns(ds, scanned.columns, rules, ctx)
    entry = policy.entry_for(ds.id) if policy else None
    kanon = KAnonymity(entry.quasi_identifiers, entry.k_threshold) if entry and entry.quasi_identifiers else None
    patterns = cell_patterns()
    active = [p for p in plans if p.transformer is not None]
    if spec.kind == SPARK_LINES and active:
        spec.json_columns = _json_columns(ds)  # every partition builds the file's columns (lists stay lists)
    jobs = [ColumnJob(p.name, p.entity, p.chosen.rule, p.free_text, p.span_rule, patterns.get(p.entity or ""))
            for p in active]
    stats = {p.name: p.transformer.stats for p in active if p.transformer is not None}
    columns = SparkColumns(scanner.spark, spec, jobs, ctx.key, stats) if active else None
    rows = {"n": 0}

    def spark_changes(batch: pa.RecordBatch) -> dict[str, pa.Array]:
        rows["n"] += batch.num_rows
        return columns.take(batch.num_rows) if columns is not None else {}

    transform = make_transform(plans, kanon, changed_for=spark_changes)

    def record() -> dict[str, Any]:
        if columns is not None:
            columns.finish()
        out: dict[str, Any] = {"rows": rows["n"], "columns": [p.to_json() for p in plans]}
        out["k_anonymity"] = kanon.result() if kanon else None
        return out

    changes = any(not p.chosen.rule.operator.identity for p in plans)
    return DatasetJob(transform, record, changes)


def _json_columns(ds: Dataset) -> dict[str, bool]:
    """The file's columns and which hold lists, as the local JSON Lines connector computes them."""
    from scanner.connectors.jsonfile import flat_columns, jsonl_rows

    return flat_columns(jsonl_rows(Path(ds.location), ds.meta.get("encoding", "utf-8")))


def run_anonymize_spark(sources: list[str], outdir: Path, rules: Rules, policy: Policy | None, key: Key | None,
                        target: str | None, log: Log, rules_path: Path | None = None,
                        policy_path: Path | None = None, sample_rows: int = DEFAULT_SAMPLE_ROWS,
                        master: str = DEFAULT_MASTER, if_exists: str = "fail") -> local_run.RunResult:
    """``run_anonymize`` with the column work on Spark; same outputs and the same anonymization.json."""
    started = now_iso()
    outdir.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(outdir)
    scanner = SparkScanner(master, note=log)
    local_sources = [s for s in sources if not is_spark_path(s)]
    datasets, errors = local_run.source_datasets(local_sources) if local_sources else ([], [])
    for source in sources:
        if is_spark_path(source):
            errors.append({"source": source, "error": "anonymize reads local files only (the driver mirrors "
                                                        "the source's format); copy it locally or scan it"})
    ctx = OpContext(key)
    noted: set[str] = set()

    def job_for(ds: Dataset) -> DatasetJob:
        spec = spec_of(ds)
        if spec is None:
            if ds.format not in noted:
                noted.add(ds.format)
                log(f"note: {ds.format} datasets are anonymized by the local engine (Spark cannot read them)")
            return anonymize_job(ds, rules, policy, ctx, sample_rows)
        return spark_job(scanner, ds, spec, rules, policy, ctx, sample_rows)

    outcome: Outcome = mirror(datasets, outdir, target, job_for, log, if_exists=if_exists)
    record = local_run.record_header("anonymize", sources, started, key,
                                     rules=str(rules_path) if rules_path else None,
                                     policy=str(policy_path) if policy_path else None,
                                     target=mask_source(target) if target else None)
    local_run.with_custom_entities(record)
    record["run"]["engine"] = "spark"
    record["run"]["finished_at"] = now_iso()
    record["datasets"] = outcome.datasets
    record["errors"] = errors + outcome.errors
    path = outdir / local_run.RECORD_NAME
    local_run.write_record(path, record, key)
    return local_run.RunResult(record, path)
