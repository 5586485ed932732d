"""``undeclared_dataset``: sensitive columns in a dataset no policy entry declares (PIPL Art. 7, 17)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from scanner.model import DatasetResult, Violation
from scanner.policy.model import Policy
from scanner.policy.rules.base import Rule, sensitive_columns


class UndeclaredDataset(Rule):
    """Personal data needs a declared purpose; only judged when a policy is given."""

    name: ClassVar[str] = "undeclared_dataset"
    title_en: ClassVar[str] = "Undeclared dataset"
    title_zh: ClassVar[str] = "未声明数据集"
    reference: ClassVar[str] = "PIPL Art. 7, 17 / 《个人信息保护法》第七条、第十七条"
    remediation_en: ClassVar[str] = ("Declare the dataset in the policy with its purpose and allowed entities, "
                                     "or delete it.")
    remediation_zh: ClassVar[str] = "在策略中声明该数据集的处理目的和允许的个人信息类型，或删除该数据集。"
    order: ClassVar[int] = 20

    def evaluate(self, policy: Policy | None, datasets: Sequence[DatasetResult]) -> list[Violation]:
        """One violation per dataset with sensitive columns and no matching entry."""
        if policy is None:
            return []
        out: list[Violation] = []
        for ds in datasets:
            cols = list(sensitive_columns(ds))
            if not cols or policy.entry_for(ds.id) is not None:
                continue
            level = max(c.level for c in cols)
            names = ", ".join(sorted({c.primary_entity for c in cols if c.primary_entity}))
            out.append(self.violation(
                level, ds.id, None, None,
                f"Dataset holds personal data ({names}) but no policy entry declares its purpose.",
                f"该数据集含有个人信息（{names}），但策略中没有声明其处理目的。",
            ))
        return out
