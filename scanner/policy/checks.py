"""What a full-pass count is, shared by the streaming path and the database path.

``counts.py`` streams batches and ``database.py`` groups inside the server;
both must parse and judge a column the same way, or the two paths would
disagree by a row. So the pieces they share live here, public, and neither
imports the other's internals: the ``Check`` being counted, ``parse`` (which
dates a column's values carry) and ``judge`` (which of them are over the
line, decided by the check's rule class, the one place a rule is described).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from detectors.entities.registry import RoleSet
from scanner.model import PolicyCheck
from scanner.policy.dates import DateColumn, birth_dates_from_ids, parse_dates
from scanner.policy.rules import CountingRule, get

# Primary entities whose values tell a person's age, and those that tell it inside an ID number.
AGE_ENTITIES = RoleSet(lambda spec: spec.tells_age)
AGE_IN_ID = RoleSet(lambda spec: spec.birth_date_in_value)


@dataclass
class Check:
    """One column to count over the full dataset, and the running totals."""

    rule: str  # the name of a CountingRule ("retention", "minor_data")
    column: str
    params: dict[str, Any]  # what the rule was judged against (written to findings.json)
    cutoff: dt.date  # retention: rows dated before this are over the limit; minors: born after this
    as_of: dt.date
    entity: str | None = None
    free_text: bool = False
    rows: int = 0
    hits: int = 0
    missing: int = 0
    unparseable: int = 0
    status: str = "ok"  # "ok", "column_missing" or "error"

    @property
    def dates_in_ids(self) -> bool:
        """Whether the column's dates are the birth-date digits inside ID numbers, not dates of their own."""
        return self.entity in AGE_IN_ID

    def record(self) -> PolicyCheck:
        """The finished check as the dataset's result records it (counts only, never values)."""
        return PolicyCheck(rule=self.rule, column=self.column, params=dict(self.params), status=self.status,
                           rows=self.rows, hits=self.hits, missing=self.missing, unparseable=self.unparseable,
                           entity=self.entity, hits_key=counting_rule(self.rule).hits_key)


def counting_rule(name: str) -> CountingRule:
    """The registered rule a check counts for; a check for any other rule is a programming error."""
    rule = get(name)
    if not isinstance(rule, CountingRule):
        raise ValueError(f"{name!r} is not a registered counting rule")
    return rule


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 Feb falls back to 28 Feb)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def parse(check: Check, column: pa.Array) -> DateColumn:
    """The dates a column's values carry for this check (birth dates read out of ID numbers, or plain dates)."""
    if check.dates_in_ids:
        return birth_dates_from_ids(column, free_text=check.free_text)
    return parse_dates(column)


def judge(check: Check, dates: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Per value: (over the line, present but unusable as this rule's date) as boolean masks (the rule decides)."""
    return counting_rule(check.rule).judge(dates, check.cutoff, check.as_of)
