"""What every policy rule is: one class with its name, texts, severity floor and checks.

A rule's identity (name, PIPL reference, remediation in both languages, the
report's title, whether it needs a policy, what its ``count`` means) lives on
its class, so the findings writer, the HTML report and the docs read one
place instead of parallel tables keyed by rule name. Rules never see raw
values: only the graded column findings and, for the counting rules, the
exact full-pass totals that ``counts.py`` attached as ``policy_checks``.
Rules read and return the typed model (``scanner.model``): findings.json is
written and read at the edge only.

A rule that needs such a count is a ``CountingRule``: it also says how one
value is judged, under which key findings.json records its hit count, and how
the report words a finished check, so the counting code and the report need
no switch on rule names.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

import pyarrow as pa

from detectors.taxonomy import severity_for_level
from scanner.model import ColumnFinding, DatasetResult, PolicyCheck, Violation
from scanner.policy.model import Policy


class Rule(ABC):
    """A policy rule: subclass it, fill the class attributes, implement ``evaluate``.

    ``order`` fixes where a rule's violations appear in findings.json (the
    built-ins keep the contract table's historical order; outside rules come
    after them, by name), so the output does not depend on import order.
    """

    name: ClassVar[str]
    title_en: ClassVar[str]
    title_zh: ClassVar[str]
    reference: ClassVar[str]  # PIPL article(s), English and Chinese
    remediation_en: ClassVar[str]
    remediation_zh: ClassVar[str]
    needs_policy: ClassVar[bool] = True  # False: a fact about the data, judged without a policy
    counts: ClassVar[str | None] = None  # what the violation's ``count`` means; None: always null
    severity_floor: ClassVar[int] = 0  # the lowest level the severity is computed from
    order: ClassVar[int] = 1000

    @abstractmethod
    def evaluate(self, policy: Policy | None, datasets: Sequence[DatasetResult]) -> list[Violation]:
        """This rule's violations over all datasets (``policy`` is None only if ``needs_policy`` is False)."""

    def violation(self, level: int, dataset: str, column: str | None, count: int | None,
                  message: str, message_zh: str, remediation: str | None = None,
                  unparseable: int | None = None, grantees: list[str] | None = None) -> Violation:
        """One violation, severity raised to the rule's floor, remediation defaulting to the rule's."""
        return Violation(
            rule=self.name,
            severity=severity_for_level(max(level, self.severity_floor)),
            dataset=dataset,
            column=column,
            count=count,
            message=message,
            message_zh=message_zh,
            remediation=self.remediation_en if remediation is None else remediation,
            remediation_zh=self.remediation_zh,
            reference=self.reference,
            unparseable=unparseable,
            grantees=grantees,
        )


class CountingRule(Rule):
    """A rule judged on an exact full-pass count of one column's dates (``counts.py``, ``database.py``).

    ``hits_key`` names the hit count in findings.json's ``policy_checks``;
    ``check_en`` / ``check_zh`` word a finished check in the report, as
    ``str.format`` templates over that check's findings.json keys (``column``,
    ``rows``, the hits key and the rule's parameters).
    """

    hits_key: ClassVar[str]
    check_en: ClassVar[str]
    check_zh: ClassVar[str]

    @abstractmethod
    def judge(self, dates: pa.Array, cutoff: dt.date, as_of: dt.date) -> tuple[pa.Array, pa.Array]:
        """Per date: (over the line, present but unusable for this rule) as boolean masks without nulls."""

    def check_sentence(self, lang: str, check: Mapping[str, Any]) -> str:
        """A finished check in the report's language; a key the check lacks shows as "?" (hand-edited files)."""
        template = self.check_zh if lang == "zh" else self.check_en
        return template.format_map(_Unknown(check))


class _Unknown(dict[str, Any]):
    """A check's fields where a missing one reads "?" rather than raising."""

    def __missing__(self, key: str) -> str:
        return "?"


def sensitive_columns(ds: DatasetResult) -> Iterable[ColumnFinding]:
    """The dataset's columns that have a primary entity."""
    return (c for c in ds.columns if c.primary_entity)


def completed_checks(ds: DatasetResult, rule: str) -> Iterable[PolicyCheck]:
    """The dataset's completed full-pass counts for one rule (see counts.py)."""
    return (c for c in ds.policy_checks or [] if c.rule == rule and c.status == "ok")


def unparseable_note(check: PolicyCheck, what_en: str, what_zh: str) -> tuple[str, str]:
    """Message tails telling how many values could not be judged (they are not counted)."""
    n = check.unparseable
    if not n:
        return "", ""
    return (f" {n} non-empty values could not be read as {what_en} and are not counted.",
            f"另有 {n} 个非空值无法解析为{what_zh}，未计入。")
