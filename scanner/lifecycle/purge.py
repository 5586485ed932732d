"""``purge``: delete the rows the ``retention`` rule counts, and record every destruction.

"Accounts not active for 5 years are cleaned up automatically" and "every
destruction records its time, operator and method": the retention rule
already counts the rows past their limit; purge removes exactly those.

1. ``plan_purge`` takes a scan of the sources with the policy (the same
   scan as ``piiwarden scan``, made by ``api.purge_plan``, so the
   classification and the ``retention`` violations are the report's), and
   lists per dataset the rows over the limit: the violation's count.
2. ``run_purge`` deletes them (``apply=True``) through the row-removal
   layer (``removal.py``): a table with the count's own ``GROUP BY`` key
   ``IN`` the keys it judged over the limit, in one transaction that is
   rolled back unless it deletes exactly the violation's count; a file by
   rewriting it without the rows the same date parsing marks. Each deletion
   appends a destruction record (``destruction.py``) to the hash-chained
   audit log, with the keyed hashes of the removed rows' identifiers: just
   before its commit, concluded by an outcome entry after it
   (``journal.py``), so a kill at any moment leaves no deletion unrecorded.
   Without ``apply`` nothing is touched: what would go is returned (and
   recorded) per dataset.

A dataset that cannot be purged (its rows changed since they were counted,
an unsupported format, a database error) is one error line; the others go
on. Nothing here prints: the CLI renders the ``PurgeResult``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from scanner.anonymize.keys import Key
from scanner.audit import AuditLog
from scanner.connectors.base import Dataset, SourceError
from scanner.connectors.common import DEFAULT_READ_OPTIONS, ReadOptions
from scanner.connectors.urls import mask_source
from scanner.errors import ValueFreeError, describe_error
from scanner.lifecycle.destruction import new_record
from scanner.lifecycle.identifiers import SubjectHasher
from scanner.lifecycle.journal import DestructionJournal
from scanner.lifecycle.kinds import identifier_entities
from scanner.lifecycle.removal import (
    Archive,
    RemovalOptions,
    RemovalProblem,
    SqlSelection,
    remove_file_rows,
    remove_table_rows,
)
from scanner.model import DatasetResult, ScanResult
from scanner.model import SourceError as ErrorEntry
from scanner.policy.checks import Check, judge, parse
from scanner.policy.counts import retention_check
from scanner.policy.database import hit_keys
from scanner.policy.model import Policy
from scanner.policy.rules.retention import Retention
from scanner.sources import resolve_sources

RULE = Retention.name
AUDIT_COMMAND = "purge"


class PurgeProblem(ValueFreeError):
    """A purge that cannot start (no key for an applied purge or an archive); one line."""


@dataclass(frozen=True)
class PurgeItem:
    """One dataset's rows past retention: what would go, and (applied) what went."""

    dataset: str
    column: str
    rows: int  # the retention violation's count
    cutoff: str
    max_age_days: int
    unparseable: int = 0
    status: str = "planned"  # planned (dry run), deleted, failed
    method: str | None = None
    archive: str | None = None
    subjects: int = 0  # distinct identifier hashes in the destruction record
    record_seq: int | None = None  # the destruction record's seq in the audit log
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class PurgePlan:
    """What a purge would delete: the scan it was judged on, the datasets and the items over the limit."""

    as_of: dt.date
    sources: tuple[str, ...]  # masked
    policy: Policy
    scan: ScanResult
    datasets: dict[str, Dataset] = field(repr=False)
    items: tuple[PurgeItem, ...]
    errors: tuple[ErrorEntry, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PurgeResult:
    """The outcome per dataset (dry run or applied) and the errors; ``exit_code`` per CONTRACT.md."""

    as_of: dt.date
    applied: bool
    items: tuple[PurgeItem, ...]
    errors: tuple[ErrorEntry, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        """Rows deleted (applied) or that would be deleted (dry run)."""
        return sum(i.rows for i in self.items if i.status in ("planned", "deleted"))

    @property
    def exit_code(self) -> int:
        return 3 if self.errors else 0

    def to_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "applied": self.applied, "rows": self.rows,
                "datasets": [i.to_json() for i in self.items],
                "errors": [e.to_json() for e in self.errors], "notes": list(self.notes)}


def plan_purge(result: ScanResult, sources: Sequence[str] | str, *, policy: Policy,
               read: ReadOptions | None = None) -> PurgePlan:
    """Per dataset, the rows past retention in a scan made with ``policy`` (``api.purge_plan`` scans first).

    Nothing is changed. The scan's ``as_of`` is the day the rows are judged on.
    """
    source_list = [sources] if isinstance(sources, str) else list(sources)
    as_of = dt.date.fromisoformat(result.scan.as_of)
    opened, _failed = resolve_sources(source_list, options=read or DEFAULT_READ_OPTIONS)  # failures: in the scan
    by_id = {d.id: d for d in opened}
    results = {d.id: d for d in result.datasets}
    items: list[PurgeItem] = []
    notes: list[str] = []
    errors = list(result.errors)
    counted = {(v.dataset, v.column): int(v.count or 0) for v in result.violations if v.rule == RULE}
    for ds in result.datasets:
        for check in ds.policy_checks or []:
            if check.rule != RULE:
                continue
            if check.status == "column_missing":
                notes.append(f"{ds.id}: retention column {check.column} not found, nothing to purge")
            elif check.status == "ok" and counted.get((ds.id, check.column)):
                items.append(PurgeItem(ds.id, check.column, counted[(ds.id, check.column)],
                                       str(check.params.get("cutoff")), int(check.params.get("max_age_days", 0)),
                                       check.unparseable))
    return PurgePlan(as_of, tuple(mask_source(s) for s in source_list), policy, result,
                     {i.dataset: by_id[i.dataset] for i in items if i.dataset in by_id and i.dataset in results},
                     tuple(items), tuple(errors), tuple(notes))


def run_purge(plan: PurgePlan, *, apply: bool = False, key: Key | None = None, archive: Path | None = None,
              operator: str | None = None, audit: AuditLog | None = None) -> PurgeResult:
    """Delete what the plan lists (``apply``), one destruction record per dataset; a dry run changes nothing.

    ``key`` (required to apply) makes the keyed hashes of the removed
    subjects and seals the ``archive``. ``audit`` receives the destruction
    records and one ``purge`` entry for the run (dry runs too).
    """
    if apply and key is None:
        raise PurgeProblem("purge --apply needs a key (--key-file or PIIWARDEN_KEY): destruction records keep "
                           "keyed hashes of the removed subjects")
    if archive is not None and key is None:
        raise PurgeProblem("--archive needs a key (--key-file or PIIWARDEN_KEY) to encrypt the removed rows")
    if apply:
        _check_writable(audit)
    items: list[PurgeItem] = []
    errors = list(plan.errors)
    results = {d.id: d for d in plan.scan.datasets}
    for item in plan.items:
        dataset = plan.datasets.get(item.dataset)
        if not apply or dataset is None:
            if apply:
                errors.append(ErrorEntry(item.dataset, "dataset no longer found: nothing deleted"))
                item = replace(item, status="failed", error="dataset no longer found")
            items.append(item)
            continue
        done = _purge_one(plan, item, dataset, results[item.dataset], key, archive, operator, audit)
        if done.error:
            errors.append(ErrorEntry(dataset.where, done.error))
        items.append(done)
    result = PurgeResult(plan.as_of, apply, tuple(items), tuple(errors), plan.notes)
    if audit is None:
        return result
    try:
        audit.record(AUDIT_COMMAND, sources=list(plan.sources), outputs=[str(archive)] if archive and apply else [],
                     counts=_counts(result), key_fingerprint=key.fingerprint if key else None,
                     exit_code=result.exit_code, dry_run=not apply, rule=RULE, as_of=plan.as_of.isoformat())
    except OSError as exc:  # the run itself is done (each deletion has its own record): say the summary is missing
        return replace(result, errors=(*result.errors, ErrorEntry(str(audit.path), "cannot write the purge entry "
                                                                  f"to the audit log ({type(exc).__name__})")))
    return result


def _check_writable(audit: AuditLog | None) -> None:
    """Refuse to delete anything whose destruction could not be recorded (no log, or a log that cannot be written)."""
    if audit is None:
        raise PurgeProblem("purge --apply needs an audit log for its destruction records")
    try:
        audit.path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PurgeProblem(f"cannot create the audit log folder {audit.path.parent} ({type(exc).__name__})") from None
    target = audit.path if audit.path.exists() else audit.path.parent
    if not os.access(target, os.W_OK):
        raise PurgeProblem(f"the audit log {audit.path} is not writable: nothing deleted")


def _counts(result: PurgeResult) -> dict[str, Any]:
    """What the run entry keeps: totals and per-dataset row counts (dataset ids are names, never values)."""
    return {"datasets": len(result.items), "rows": result.rows, "errors": len(result.errors),
            "per_dataset": {i.dataset: {"rows": i.rows, "status": i.status} for i in result.items}}


def _purge_one(plan: PurgePlan, item: PurgeItem, dataset: Dataset, scanned: DatasetResult, key: Key | None,
               archive: Path | None, operator: str | None, audit: AuditLog | None) -> PurgeItem:
    """Remove one dataset's rows past retention and write its destruction record; failures come back as the item."""
    check = retention_check(plan.policy, scanned, plan.as_of)
    if check is None or check.status != "ok":
        return replace(item, status="failed", error="the retention check is no longer configured: nothing deleted")
    journal = DestructionJournal(audit, lambda removal: new_record(
        method=removal.method, dataset=dataset.id, rows=removal.rows, operator_name=operator,
        subject_hashes=removal.subject_hashes, rule=RULE, as_of=plan.as_of, source=mask_source(dataset.source),
        key_fingerprint=removal.key_fingerprint))
    options = RemovalOptions(identifiers=identifier_columns(scanned), hasher=SubjectHasher(key) if key else None,
                             archive=Archive(archive, key) if archive is not None and key is not None else None,
                             before_commit=journal.before_commit)
    try:
        if dataset.sql is not None:
            expression, keys, _rows = hit_keys(dataset.sql, check)
            removal = remove_table_rows(dataset, SqlSelection.values_in(expression, keys), item.rows, options)
        else:
            removal = remove_file_rows(dataset, retention_marker(check), item.rows, options)
    except (RemovalProblem, SourceError) as exc:
        return _failed(item, journal, str(exc))
    except Exception as exc:  # noqa: BLE001 - a driver's or a writer's own error: one value-free line
        return _failed(item, journal, describe_error(exc, dataset.sql.secrets if dataset.sql else ()))
    unconcluded = journal.finish()
    problems = [p for p in (removal.problem, unconcluded) if p]
    return replace(item, status="deleted", method=removal.method, subjects=len(removal.subject_hashes),
                   archive=str(removal.archive) if removal.archive else None, record_seq=journal.seq,
                   error="; ".join(problems) or None)


def _failed(item: PurgeItem, journal: DestructionJournal, error: str) -> PurgeItem:
    """A dataset whose deletion did not happen; a record already written for it is concluded "not done"."""
    unconcluded = journal.finish(error)
    return replace(item, status="failed", error=f"{error}; {unconcluded}" if unconcluded else error)


def identifier_columns(scanned: DatasetResult) -> dict[str, str]:
    """The dataset's structured identifier columns (column -> entity): whose values identify the removed subjects."""
    wanted = identifier_entities()
    return {c.name: c.primary_entity for c in scanned.columns
            if c.primary_entity in wanted and not c.free_text}


def retention_marker(check: Check) -> Any:
    """The rows of a batch the retention count judged over the limit (same parsing and judging as counts.py)."""

    def marker(batch: pa.RecordBatch) -> pa.Array:
        if check.column not in batch.schema.names:
            return pa.array([False] * batch.num_rows, pa.bool_())
        hits, _unusable = judge(check, parse(check, batch.column(check.column)).dates)
        return pc.fill_null(hits, False)

    return marker
