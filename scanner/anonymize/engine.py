"""The anonymize run: scan, plan a rule per column, transform the full stream, mirror, record.

Which columns are sensitive comes from the same detectors as ``scan``
(``scan_dataset`` over a sample); then every row streams through the column
transformers into a writer that mirrors the input (``scanner.writers``).
``mirror`` is shared with ``decrypt``, which only swaps the per-dataset
transformation.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from scanner.anonymize.columns import ColumnTransformer, cell_patterns
from scanner.anonymize.kanon import KAnonymity
from scanner.anonymize.operators.base import AnonymizationOperator
from scanner.anonymize.operators.context import MissingKey, OpContext
from scanner.anonymize.rules import ChosenRule, Rule, Rules
from scanner.anonymize.shapes import holds_entity_cells
from scanner.connectors.base import Dataset, SourceError
from scanner.errors import error_message
from scanner.formats import copyable, output_name, writer_for
from scanner.model import ColumnFinding
from scanner.pipeline import ScanOptions, scan_dataset
from scanner.policy.model import Policy
from scanner.safepath import UnsafePath, inside, safe_name
from scanner.sources import is_url
from scanner.writers.base import BatchOut, FileWriter, Transform, WriterError
from scanner.writers.files import CopyWriter
from scanner.writers.sql import SqlTargetWriter

Log = Callable[[str], None]


@dataclass
class ColumnPlan:
    """One column's decision: what the detectors found and which rule applies."""

    name: str
    entity: str | None
    level: int
    free_text: bool
    chosen: ChosenRule
    transformer: ColumnTransformer | None = None
    span_rule: Callable[[str], Rule] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name, "entity": self.entity, "level": self.level, "free_text": self.free_text,
            "rule": self.chosen.rule.describe(), "rule_source": self.chosen.source,
        }
        ops = {self.entity: self.chosen.rule.op} if self.entity and not self.free_text else {}
        if self.transformer is not None:
            out.update(self.transformer.stats.to_json())
            if self.span_rule is not None:
                for entity in self.transformer.stats.spans_by_entity:
                    ops.setdefault(entity, self.span_rule(entity).op)
        # Which operator each entity found in this column got (verify accepts pseudonyms per entity).
        out["ops_by_entity"] = dict(sorted(ops.items()))
        return out


@dataclass
class DatasetJob:
    """How one dataset is transformed, and what to record about it afterwards."""

    transform: Transform
    record: Callable[[], dict[str, Any]]
    changes: bool = True  # False: no column is touched, the file may be copied byte for byte
    # Operator of each column it changes or drops (a ``--target`` copy declares and comments them).
    ops: dict[str, AnonymizationOperator[Any]] = field(default_factory=dict)
    plans: list[ColumnPlan] = field(default_factory=list)  # what foreign keys into this dataset inherit

    @property
    def joins(self) -> dict[str, str]:
        """Changed columns whose values still join, each with a label of what made them.

        A keyed operator that is not randomized (``hash``, ``pseudonym``,
        ``fpe``) gives one value one output and keeps distinct values apart,
        so two columns with one label hold equal values where the source
        did: a foreign key between them still holds in a ``--target`` copy.
        The label is the operator with its parameters and the column's
        entity (a pseudonym or FPE output depends on the entity).
        """
        out = {}
        for plan in self.plans:
            operator = plan.chosen.rule.operator
            if operator.keyed and not operator.randomized and not operator.drops_column and not plan.free_text:
                out[plan.name] = json.dumps([plan.chosen.rule.describe(), plan.entity], sort_keys=True, default=str)
        return out


@dataclass
class Outcome:
    """What a mirror run produced, for the audit record and the exit code."""

    datasets: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class LinkedRule:
    """The plan a column inherits from the column its foreign key references: same value in, same value out."""

    entity: str | None
    level: int
    chosen: ChosenRule


def plan_columns(ds: Dataset, columns: Sequence[ColumnFinding], rules: Rules, ctx: OpContext,
                 linked: Mapping[str, LinkedRule] | None = None) -> list[ColumnPlan]:
    """Rules for the columns the detectors flagged, columns a rules override names, and ``linked`` ones.

    A column whose foreign key references a planned column (``scanner.anonymize.links``) takes that
    column's entity and rule unless the rules name it, so keys still join after a hash or pseudonym.
    """
    patterns = cell_patterns()
    plans = []
    linked = linked or {}
    for col in columns:
        name, entity = col.name, col.primary_entity
        override = rules.column_override(ds.id, name)
        link = linked.get(name) if override is None else None
        if link is not None:
            plan = ColumnPlan(name, link.entity, link.level, False, link.chosen)
            if not link.chosen.rule.operator.drops_column and not link.chosen.rule.operator.identity:
                plan.transformer = ColumnTransformer(link.entity, link.chosen.rule, False, ctx,
                                                     _fixed_rule(link.chosen.rule), patterns.get(link.entity or ""))
            plans.append(plan)
            continue
        if entity is None and override is None:
            continue
        chosen = override or rules.for_entity(entity)

        def span_rule(span_entity: str, override: ChosenRule | None = override) -> Rule:
            return override.rule if override else rules.for_entity(span_entity).rule

        free_text = col.free_text and not holds_entity_cells(name, entity, True)
        plan = ColumnPlan(name, entity, col.level, free_text, chosen, span_rule=span_rule)
        operator = chosen.rule.operator
        if not operator.drops_column and not operator.identity:
            plan.transformer = ColumnTransformer(entity, chosen.rule, plan.free_text, ctx, span_rule,
                                                 patterns.get(entity or ""))
        plans.append(plan)
    return plans


def _fixed_rule(rule: Rule) -> Callable[[str], Rule]:
    """A span rule that is always ``rule`` (a linked column is a key, never free text)."""
    return lambda _entity: rule


def make_transform(plans: list[ColumnPlan], kanon: KAnonymity | None,
                   changed_for: Callable[[pa.RecordBatch], dict[str, pa.Array]] | None = None) -> Transform:
    """The per-batch function: changed columns, dropped columns, k-anonymity counts.

    ``changed_for`` supplies a batch's transformed columns when they were
    computed elsewhere (the Spark engine); by default each plan's transformer runs here.
    """
    by_name = {p.name: p for p in plans}

    def local_changes(batch: pa.RecordBatch) -> dict[str, pa.Array]:
        changed = {}
        for name in batch.schema.names:
            plan = by_name.get(name)
            if plan is not None and plan.transformer is not None and not plan.chosen.rule.operator.drops_column:
                changed[name] = plan.transformer.transform(batch.column(name))
        return changed

    def transform(batch: pa.RecordBatch) -> BatchOut:
        out = BatchOut(batch)
        changed = (changed_for or local_changes)(batch)
        for name in batch.schema.names:
            plan = by_name.get(name)
            if plan is None:
                continue
            if plan.chosen.rule.operator.drops_column:
                out.dropped.add(name)
            elif name in changed:
                out.changed[name] = changed[name]
        if kanon is not None:
            kanon.update(out.output())
        return out

    return transform


def anonymize_job(ds: Dataset, rules: Rules, policy: Policy | None, ctx: OpContext,
                  sample_rows: int, linked: Mapping[str, LinkedRule] | None = None) -> DatasetJob:
    """Scan the dataset, plan its columns (``linked``: rules inherited through foreign keys), build its transformation."""
    if ds.document is not None:  # documents: every text span by span (scanner/anonymize/document_job.py)
        from scanner.anonymize.document_job import document_job

        return DatasetJob(*document_job(ds, rules, ctx, sample_rows), changes=True)
    scanned = scan_dataset(ds, ScanOptions(sample_rows=sample_rows))
    fatal = [e for e in scanned.errors if e not in ds.problems]  # skipped bad rows are reported after writing
    if fatal:
        raise SourceError(fatal[0])
    plans = plan_columns(ds, scanned.columns, rules, ctx, linked)
    entry = policy.entry_for(ds.id) if policy else None
    kanon = KAnonymity(entry.quasi_identifiers, entry.k_threshold) if entry and entry.quasi_identifiers else None
    rows = {"n": 0}
    inner = make_transform(plans, kanon)

    def transform(batch: pa.RecordBatch) -> BatchOut:
        rows["n"] += batch.num_rows
        return inner(batch)

    def record() -> dict[str, Any]:
        out: dict[str, Any] = {"rows": rows["n"], "columns": [p.to_json() for p in plans]}
        out["k_anonymity"] = kanon.result() if kanon else None
        return out

    ops = {p.name: p.chosen.rule.operator for p in plans if not p.chosen.rule.operator.identity}
    return DatasetJob(transform, record, bool(ops), ops, plans)


# ------------------------------------------------------------- mirroring ----


def output_of(ds: Dataset, outdir: Path, target: str | None) -> tuple[str, Path | None]:
    """Where a dataset goes: (output id, file path), path None for a ``--target`` table.

    Every path comes from ``scanner.safepath``: a table named ``../esc1`` is
    a file name inside OUTDIR, never a way out of it (``UnsafePath`` otherwise).
    """
    if is_url(ds.source):
        if target:
            return ds.meta.get("table", ds.id), None
        rel = safe_name(ds.id) + ".parquet"
        return rel, inside(outdir, PurePosixPath(rel))
    return ds.id, inside(outdir, output_name(ds))


def source_engine(url: str) -> Engine:
    """An engine on a database URL SOURCE (SQLite read-only, as the connector opens it)."""
    import sqlite3

    parsed = make_url(os.path.expandvars(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        uri = Path(parsed.database).resolve().as_uri() + "?mode=ro"
        return sa.create_engine("sqlite://", poolclass=NullPool,
                                creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False))
    return sa.create_engine(parsed, poolclass=NullPool)


def mirror(datasets: list[Dataset], outdir: Path, target: str | None,
           job_for: Callable[[Dataset], DatasetJob], log: Log, verb: str = "anonymizing",
           if_exists: str = "fail") -> Outcome:
    """Write a transformed mirror of every dataset; a failing file is aborted and recorded.

    ``if_exists`` (fail, replace, truncate) is what a ``--target`` table already there gets.
    """
    outcome = Outcome()
    groups: dict[tuple[str, str], list[Dataset]] = {}
    for ds in datasets:
        try:
            out_id, final = output_of(ds, outdir, target)
        except UnsafePath as exc:
            _fail(outcome, [ds], error_message(exc))
            continue
        key = ("target", ds.id) if final is None else ("file", str(final))
        groups.setdefault(key, []).append(ds)
    sources_of: dict[str, str] = {}
    target_writer: SqlTargetWriter | None = None
    if target and any(is_url(d.source) for d in datasets):
        try:
            target_writer = SqlTargetWriter(os.path.expandvars(target), if_exists)
        except (sa.exc.SQLAlchemyError, ImportError) as exc:
            _fail(outcome, [d for d in datasets if is_url(d.source)], f"cannot open --target ({type(exc).__name__})")
            groups = {k: v for k, v in groups.items() if k[0] == "file"}
    try:
        if target_writer is not None:  # --if-exists replace/truncate: the copy's old constraints go first
            _release_foreign_keys(target_writer, [ds for (kind, _w), members in groups.items() if kind == "target"
                                                  for ds in members], log)
        for (kind, where), members in groups.items():
            if kind == "file":
                owner = members[0].location
                if sources_of.setdefault(where, owner) != owner:
                    _fail(outcome, members, "output path collides with another source's output")
                    continue
                _mirror_file(members, Path(where), outdir, job_for, outcome, lambda m: log(f"{verb} {m}"))
            else:
                for ds in members:  # one target table per run: a second source table landing there is an error
                    if target_writer is not None and sources_of.setdefault(
                            repr(target_writer.destination(ds)), ds.where) != ds.where:
                        _fail(outcome, [ds], "target table collides with the same table of another source")
                        continue
                    _mirror_table(ds, target_writer, outdir, job_for, outcome, lambda m: log(f"{verb} {m}"))
        if target_writer is not None:  # both sides of a foreign key are written now: the server can check it
            target_writer.add_foreign_keys(lambda m: log(f"note: {m}"))
    finally:
        if target_writer is not None:
            target_writer.dispose()
    return outcome


def _release_foreign_keys(writer: SqlTargetWriter, datasets: list[Dataset], log: Log) -> None:
    """Drop the foreign keys of the run's target tables that already exist (``release_foreign_keys``).

    A target that cannot be read here is reported by each table's own write.
    """
    try:
        writer.release_foreign_keys([writer.destination(ds) for ds in datasets], lambda m: log(f"note: {m}"))
    except (sa.exc.SQLAlchemyError, WriterError) as exc:
        log(f"note: the target's foreign keys could not be listed before rewriting its tables ({_one_line(exc)})")


def _fail(outcome: Outcome, members: list[Dataset], message: str) -> None:
    for ds in members:
        outcome.errors.append({"source": ds.where, "dataset": ds.id, "error": message})


def _mirror_file(members: list[Dataset], final: Path, outdir: Path, job_for: Callable[[Dataset], DatasetJob],
                 outcome: Outcome, log: Log) -> None:
    writer: FileWriter | None = None
    records = []
    try:
        first = members[0]
        log(first.id)
        jobs = {first.id: job_for(first)}
        if len(members) == 1 and not jobs[first.id].changes and copyable(first) and not is_url(first.source) \
                and not first.problems:  # a byte copy would carry the skipped, unscanned rows
            writer = CopyWriter(final, Path(first.location))
        else:
            writer = writer_for(first, final)
        for ds in members:
            if ds.id not in jobs:
                log(ds.id)
                jobs[ds.id] = job_for(ds)
            job = jobs[ds.id]
            _refuse_unmirrorable(ds)  # known from the sampling pass of a small file
            writer.run_dataset(ds, job.transform)
            _refuse_unmirrorable(ds)
            out_id, _ = output_of(ds, outdir, None)
            records.append(_dataset_record(ds, out_id, final.relative_to(outdir).as_posix(), job.record()))
        writer.commit()
        outcome.datasets.extend(records)
        for ds in members:  # rows a reader skipped are not in the output: say so (exit 3)
            for problem in ds.problems:
                outcome.errors.append({"source": ds.location or ds.id, "dataset": ds.id, "error": problem})
    except (SourceError, WriterError, OSError, UnicodeError, sa.exc.SQLAlchemyError) as exc:
        if writer is not None:
            writer.abort()
        _fail(outcome, members, _one_line(exc))
    except MissingKey:
        if writer is not None:
            writer.abort()
        raise
    except Exception as exc:  # noqa: BLE001 - one broken file must not stop the run
        if writer is not None:
            writer.abort()
        # Unknown errors may quote data: record the type only.
        _fail(outcome, members, f"internal error ({type(exc).__name__}) while writing this output")
    except BaseException:  # KeyboardInterrupt, SystemExit: no half file, then stop
        if writer is not None:
            writer.abort()
        raise


def _refuse_unmirrorable(ds: Dataset) -> None:
    """JSON writers re-parse the source and patch it record by record: they can neither leave
    out the rows the reader skipped nor write two values back under one repeated key, so such a
    file fails (nothing written) rather than pass values on untransformed or misaligned."""
    if ds.format not in ("json", "jsonl"):
        return
    if ds.problems:
        raise SourceError(f"{ds.problems[0]}; a JSON copy cannot leave them out, nothing written")
    if ds.meta.get("duplicate_keys"):
        raise SourceError("an object repeats a key; a JSON copy cannot keep both values, nothing written")


def _mirror_table(ds: Dataset, writer: SqlTargetWriter | None, outdir: Path,
                  job_for: Callable[[Dataset], DatasetJob], outcome: Outcome, log: Log) -> None:
    assert writer is not None
    log(ds.id)
    sql = getattr(ds, "sql", None)  # the connector's read-only engine factory, when it exposes one
    engine = sql.factory() if sql is not None and getattr(sql, "factory", None) else source_engine(ds.source)
    try:
        job = job_for(ds)
        writer.run_dataset(ds, engine, job.transform, job.ops, job.joins)
        schema, name = writer.destination(ds, engine)
        out_id = f"{schema}.{name}" if schema else name
        outcome.datasets.append(_dataset_record(ds, out_id, "(target)", job.record()))
    except (SourceError, WriterError, sa.exc.SQLAlchemyError) as exc:
        _fail(outcome, [ds], _one_line(exc))
    except MissingKey:
        raise
    except Exception as exc:  # noqa: BLE001 - one broken table must not stop the run
        _fail(outcome, [ds], f"internal error ({type(exc).__name__}) while writing this table")
    finally:
        engine.dispose()


def _dataset_record(ds: Dataset, out_id: str, output: str, detail: dict[str, Any]) -> dict[str, Any]:
    """One output's entry in the run record; a text output's encoding is recorded so it reads back as written."""
    out = {"id": ds.id, "source": ds.source if not is_url(ds.source) else _masked(ds.source),
           "format": ds.format, "output_id": out_id, "output": output}
    if copyable(ds) and ds.meta.get("encoding"):  # text formats: the copy reads back in this encoding
        out["encoding"] = ds.meta["encoding"]
    return {**out, **detail}


def _masked(url: str) -> str:
    from scanner.connectors.urls import mask_source

    return mask_source(url)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, (SourceError, WriterError)):
        return error_message(exc)
    if isinstance(exc, UnicodeEncodeError):
        return f"a new value cannot be encoded as {exc.encoding}"
    orig = getattr(exc, "orig", None) or exc
    first = str(orig).strip().splitlines()[0][:160] if str(orig).strip() else ""
    # Drivers quote offending values ("Duplicate entry '...'"): keep the words, not the quotes.
    first = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", first)
    return f"{type(orig).__name__}: {first}" if first else type(orig).__name__
