"""What every policy rule is: one class with its name, texts, severity floor and checks.

A rule's identity (name, PIPL reference, remediation in both languages, the
report's title, whether it needs a policy, what its ``count`` means) lives on
its class, so the findings writer, the HTML report and the docs read one
place instead of parallel tables keyed by rule name. Rules never see raw
values: only the graded column findings and, for the counting rules, the
exact full-pass totals that ``counts.py`` attached as ``policy_checks``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, ClassVar

from detectors.taxonomy import severity_for_level
from scanner.policy.model import Policy

Violation = dict[str, Any]
DatasetJson = dict[str, Any]
ColumnJson = dict[str, Any]
CheckJson = dict[str, Any]


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
    def evaluate(self, policy: Policy | None, datasets: list[DatasetJson]) -> list[Violation]:
        """This rule's violations over all datasets (``policy`` is None only if ``needs_policy`` is False)."""

    def violation(self, level: int, dataset: str, column: str | None, count: int | None,
                  message: str, message_zh: str, remediation: str | None = None) -> Violation:
        """One violation in findings.json form, severity raised to the rule's floor."""
        return {
            "rule": self.name,
            "severity": severity_for_level(max(level, self.severity_floor)),
            "dataset": dataset,
            "column": column,
            "count": count,
            "message": message,
            "message_zh": message_zh,
            "remediation": self.remediation_en if remediation is None else remediation,
            "remediation_zh": self.remediation_zh,
            "reference": self.reference,
        }


def sensitive_columns(ds: DatasetJson) -> Iterable[ColumnJson]:
    """The dataset's columns that have a primary entity."""
    return (c for c in ds["columns"] if c.get("primary_entity"))


def completed_checks(ds: DatasetJson, rule: str) -> Iterable[CheckJson]:
    """The dataset's completed full-pass counts for one rule (see counts.py)."""
    return (c for c in ds.get("policy_checks") or [] if c["rule"] == rule and c.get("status") == "ok")


def unparseable_note(check: CheckJson, what_en: str, what_zh: str) -> tuple[str, str]:
    """Message tails telling how many values could not be judged (they are not counted)."""
    n = int(check.get("unparseable") or 0)
    if not n:
        return "", ""
    return (f" {n} non-empty values could not be read as {what_en} and are not counted.",
            f"另有 {n} 个非空值无法解析为{what_zh}，未计入。")
