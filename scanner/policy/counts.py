"""Exact row counts for the `retention` and `minor_data` rules.

Classification may look at a sample, but an auditor asks "how many rows are
past retention" and "how many children are in this table", and a sample can
only estimate that. So after classification, the datasets that need it are
streamed once more (``Dataset.batches()``) and only the relevant columns are
parsed, batch by batch, with pyarrow compute (see ``dates.py``): memory stays
at one batch whatever the dataset size.

What a check is and how a value is judged live in ``checks.py`` (shared
with the in-database path, ``database.py``). The result is a typed
``PolicyCheck`` per check, set on the dataset's result
(``policy_checks``, written to findings.json): what was checked, against
which cutoff, and how many rows were over the line, missing or unparseable.
The rules in ``rules/`` read those numbers, so ``piiwarden report`` can
re-render them from findings.json alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace

import pyarrow as pa
import pyarrow.compute as pc

from scanner.connectors.base import Dataset, SourceError
from scanner.model import DatasetResult
from scanner.model import SourceError as ErrorEntry
from scanner.policy.checks import AGE_ENTITIES, Check, judge, parse, years_before
from scanner.policy.model import Policy
from scanner.policy.rules.minor_data import MinorData
from scanner.policy.rules.retention import Retention

# Rows counted per step (small reader batches are gathered to this size).
COUNT_ROWS = 65_536


def _find_column(ds: DatasetResult, wanted: str) -> str | None:
    """The dataset's column named ``wanted``: exact, else the one case-insensitive match."""
    names = [c.name for c in ds.columns]
    if wanted in names:
        return wanted
    folded = [n for n in names if n.casefold() == wanted.casefold()]
    return folded[0] if len(folded) == 1 else None


def retention_check(policy: Policy, ds: DatasetResult, as_of: dt.date) -> Check | None:
    """The retention check a declared dataset needs, if its entry (or the defaults) names a column.

    ``defaults.retention.max_age_days`` applies when the entry names a column
    but no age (CONTRACT.md policy example).
    """
    entry = policy.entry_for(ds.id)
    if entry is None:
        return None
    default = policy.defaults.retention
    own = entry.retention
    column = (own.column if own is not None else None) or default.column
    if not column:
        return None
    explicit_age = own is not None and "max_age_days" in own.model_fields_set
    max_age = own.max_age_days if explicit_age and own is not None else default.max_age_days
    cutoff = as_of - dt.timedelta(days=max_age)
    found = _find_column(ds, column)
    check = Check(Retention.name, found or column, {"max_age_days": max_age, "cutoff": cutoff.isoformat()},
                  cutoff, as_of)
    if found is None:
        check.status = "column_missing"
    return check


def minor_checks(policy: Policy | None, ds: DatasetResult, as_of: dt.date) -> list[Check]:
    """One check per column whose primary entity carries a birth date (ID number or date of birth)."""
    minor_age = (policy or Policy()).defaults.minor_age
    born_after = years_before(as_of, minor_age)
    return [
        Check(MinorData.name, col.name, {"minor_age": minor_age, "born_after": born_after.isoformat()},
              born_after, as_of, entity=col.primary_entity, free_text=col.free_text)
        for col in ds.columns
        if col.primary_entity in AGE_ENTITIES
    ]


def plan_checks(policy: Policy | None, ds: DatasetResult, as_of: dt.date) -> list[Check]:
    """Every count one dataset needs: retention only under a policy, minors always."""
    checks: list[Check] = []
    if policy is not None:
        retention = retention_check(policy, ds, as_of)
        if retention is not None:
            checks.append(retention)
    checks.extend(minor_checks(policy, ds, as_of))
    return checks


def _count(mask: pa.Array) -> int:
    return int(pc.sum(pc.cast(pc.fill_null(mask, False), pa.int64())).as_py() or 0)


def update_check(check: Check, batch: pa.RecordBatch) -> None:
    """Add one batch to a check's totals; a batch without the column counts as missing values."""
    n = batch.num_rows
    check.rows += n
    if check.column not in batch.schema.names:
        check.missing += n
        return
    parsed = parse(check, batch.column(check.column))
    check.missing += parsed.missing
    hits, unusable = judge(check, parsed.dates)
    check.unparseable += parsed.unparseable + _count(unusable)
    check.hits += _count(hits)


def _rebatched(batches: Iterator[pa.RecordBatch], rows: int = COUNT_ROWS) -> Iterator[pa.RecordBatch]:
    """Batches gathered to about ``rows`` rows: a counting step costs a dozen kernel calls whatever its size.

    The CSV reader yields small batches (256 KiB blocks) to keep its memory
    low; counting them one by one would spend more time in per-call overhead
    than in the counting.
    """
    pending: list[pa.RecordBatch] = []
    size = 0
    for batch in batches:
        if pending and batch.schema != pending[0].schema:
            yield from _combined(pending)
            pending, size = [], 0
        pending.append(batch)
        size += batch.num_rows
        if size >= rows:
            yield from _combined(pending)
            pending, size = [], 0
    if pending:
        yield from _combined(pending)


def _combined(batches: list[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    if len(batches) == 1:
        yield batches[0]
        return
    yield pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


def run_checks(dataset: Dataset, checks: list[Check]) -> str | None:
    """Count in the database where possible (one GROUP BY per check), else stream once for the rest.

    Returns the error line if the source fails midway.
    """
    active = [c for c in checks if c.status == "ok"]
    if dataset.sql is not None:
        # SQLAlchemy: database sources only
        from scanner.policy.database import run_check_in_database, supports_sql

        for check in [c for c in active if supports_sql(c)]:
            error = run_check_in_database(dataset, check)
            if error is not None:
                for c in active:
                    c.status = "error"
                return error
        active = [c for c in active if not supports_sql(c)]
    if not active:
        return None
    try:
        for batch in _rebatched(dataset.column_batches(sorted({c.column for c in active}))):
            for check in active:
                update_check(check, batch)
    except SourceError as exc:
        for check in active:
            check.status = "error"
        return str(exc)
    return None


def attach_policy_checks(policy: Policy | None, scanned: list[tuple[Dataset, DatasetResult]],
                         as_of: dt.date) -> tuple[list[DatasetResult], list[ErrorEntry]]:
    """Count what retention and minor_data need: each result with its ``policy_checks``, and source errors.

    Results are returned, not mutated: a dataset needing no check comes back
    as it was. Datasets that already failed during the scan are skipped
    (their error is recorded once, by the scan).
    """
    results: list[DatasetResult] = []
    errors: list[ErrorEntry] = []
    for dataset, ds in scanned:
        checks = [] if ds.failed else plan_checks(policy, ds, as_of)
        if not checks:
            results.append(ds)
            continue
        error = run_checks(dataset, checks)
        if error is not None:
            errors.append(ErrorEntry(dataset.where, error))
        results.append(replace(ds, policy_checks=[c.record() for c in checks]))
    return results, errors
