"""Which view each role gets of each table: pure planning from scan results and the policy's roles.

A role gets one view per table that holds sensitive columns, in its own
schema (``<prefix><role>``). Each column is read in clear (not personal data,
or an entity the role ``see``\\s), masked (``masked``), hashed (``hashed``) or left out (``hide``,
and every entity the role does not list). A free-text column can hold several
entities and SQL cannot mask spans inside prose: it is shown only when the role
sees every entity found in it, otherwise left out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

from detectors.finding import ColumnFinding
from scanner.policy.roles import RolePolicy, Treatment

ColumnTreatment = Literal["clear", "see", "mask", "hash", "hide"]


@dataclass(frozen=True)
class SourceTable:
    """A scanned table: where it lives, its columns in order, and what detection found in each."""

    schema: str | None
    name: str
    columns: tuple[str, ...]
    findings: tuple[ColumnFinding, ...]

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def finding(self, column: str) -> ColumnFinding | None:
        return next((f for f in self.findings if f.name == column), None)

    @property
    def sensitive(self) -> bool:
        return any(f.sensitive for f in self.findings)


@dataclass(frozen=True)
class ViewColumn:
    """One column of a source table as a role's view shows it."""

    name: str
    treatment: ColumnTreatment
    entity: str | None = None


@dataclass(frozen=True)
class ViewPlan:
    """The view of one table for one role."""

    role: str
    schema: str  # the role's schema
    name: str  # the view's name in it
    source: SourceTable
    columns: tuple[ViewColumn, ...]

    @property
    def shown(self) -> tuple[ViewColumn, ...]:
        return tuple(c for c in self.columns if c.treatment != "hide")


@dataclass(frozen=True)
class RolePlan:
    """Everything one role gets: its schema and views, and the base tables it must no longer read."""

    role: str
    schema: str
    views: tuple[ViewPlan, ...]
    sensitive_tables: tuple[SourceTable, ...]


def column_treatment(role: RolePolicy, finding: ColumnFinding | None) -> ViewColumn | None:
    """How ``role`` reads the column of ``finding`` (None finding: nothing was found, read in clear)."""
    if finding is None or not finding.sensitive:
        return None
    if finding.free_text:
        entities = {e.entity for e in finding.entities} | {finding.primary_entity}
        seen = all(role.treatment(e) == "see" for e in entities if e)
        return ViewColumn(finding.name, "see" if seen else "hide", finding.primary_entity)
    entity = finding.primary_entity or ""
    how: Treatment = role.treatment(entity)
    return ViewColumn(finding.name, how, entity)


def view_names(tables: list[SourceTable]) -> dict[str, str]:
    """Each table's view name: its own name, or ``schema__table`` where two schemas share a table name."""
    counts = Counter(t.name for t in tables)
    return {t.label: t.name if counts[t.name] == 1 or not t.schema else f"{t.schema}__{t.name}" for t in tables}


def plan_roles(roles: dict[str, RolePolicy], tables: list[SourceTable], prefix: str) -> list[RolePlan]:
    """One plan per role, in the policy's order; tables without sensitive columns get no view."""
    sensitive = [t for t in tables if t.sensitive]
    names = view_names(sensitive)
    plans = []
    for role_name, role in roles.items():
        schema = f"{prefix}{role_name}"
        views = []
        for table in sensitive:
            columns = tuple(column_treatment(role, table.finding(c)) or ViewColumn(c, "clear")
                            for c in table.columns)
            plan = ViewPlan(role_name, schema, names[table.label], table, columns)
            if plan.shown:  # a view of no column is no view (and SQL refuses it)
                views.append(plan)
        plans.append(RolePlan(role_name, schema, tuple(views), tuple(sensitive)))
    return plans
