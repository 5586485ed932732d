"""Foreign keys between the tables of one run: a referencing column takes the referenced column's rule.

A hash or a pseudonym gives one value one output, so a foreign key still
joins its table after anonymization only if both sides get the same rule for
the same entity. Detection decides each column on its own sample (a column
of an orders table may be too sparse, or a rules override may name the key
of one table only), so a referencing column the rules do not name inherits
the plan of the column it references; the referenced table is planned first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scanner.anonymize.engine import ColumnPlan, DatasetJob, LinkedRule
from scanner.anonymize.rules import ChosenRule
from scanner.connectors.base import Dataset
from scanner.connectors.sql.base import ForeignKey
from scanner.sources import is_url

TableKey = tuple[str | None, str]


@dataclass
class LinkedJobs:
    """``job_for`` for a run: jobs of referenced tables built first, their plans passed on through foreign keys."""

    datasets: list[Dataset]
    make: Callable[[Dataset, dict[str, LinkedRule]], DatasetJob]
    _ready: dict[str, DatasetJob] = field(default_factory=dict)
    _plans: dict[TableKey, dict[str, ColumnPlan]] = field(default_factory=dict)
    _busy: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._tables = {_table_key(d): d for d in self.datasets if _table_key(d) is not None}

    def __call__(self, ds: Dataset) -> DatasetJob:
        """The dataset's job (built now, or earlier as the target of another table's foreign key)."""
        job = self._ready.pop(ds.id, None)
        return job if job is not None else self._build(ds)

    def _build(self, ds: Dataset) -> DatasetJob:
        self._busy.add(ds.id)
        linked: dict[str, LinkedRule] = {}
        for fk in foreign_keys(ds):
            plans = self._plans_of(fk.referred)
            for column, target in zip(fk.columns, fk.referred_columns):
                plan = plans.get(target)
                if plan is not None and not plan.free_text:
                    via = ".".join(p for p in (*fk.referred, target) if p)
                    linked[column] = LinkedRule(plan.entity, plan.level,
                                                ChosenRule(plan.chosen.rule, f"foreign key to {via}"))
        job = self.make(ds, linked)
        self._busy.discard(ds.id)
        key = _table_key(ds)
        if key is not None:
            self._plans[key] = {p.name: p for p in job.plans}
        return job

    def _plans_of(self, table: TableKey) -> dict[str, ColumnPlan]:
        """The plans of a referenced table of this run, building its job now if needed (cycles: none)."""
        if table not in self._plans:
            ds = self._tables.get(table)
            if ds is None or ds.id in self._busy:
                return {}
            self._ready[ds.id] = self._build(ds)
        return self._plans.get(table, {})


def _table_key(ds: Dataset) -> TableKey | None:
    if not is_url(ds.source) or getattr(ds, "sql", None) is None or not ds.meta.get("table"):
        return None
    return ds.meta.get("schema") or None, ds.meta["table"]


def foreign_keys(ds: Dataset) -> list[ForeignKey]:
    """The foreign keys of a database table (its dialect's ``foreign_keys``); [] when unknown."""
    sql: Any = getattr(ds, "sql", None)
    key = _table_key(ds)
    if key is None or sql is None:
        return []
    schema, table = key
    engine = sql.factory()
    try:
        return list(sql.backend.foreign_keys(engine, schema, table))
    finally:
        engine.dispose()
