"""``minimization``: a declared dataset holds an entity its purpose does not list (PIPL Art. 6)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from detectors.taxonomy import ENTITIES
from scanner.model import DatasetResult, Violation
from scanner.policy.model import Policy
from scanner.policy.rules.base import Rule, sensitive_columns


class Minimization(Rule):
    """Only entities the declared purpose needs may be held."""

    name: ClassVar[str] = "minimization"
    title_en: ClassVar[str] = "Data minimization"
    title_zh: ClassVar[str] = "最小必要"
    reference: ClassVar[str] = "PIPL Art. 6 / 《个人信息保护法》第六条"
    remediation_en: ClassVar[str] = ("Stop collecting this field or delete/anonymize it; if the purpose needs it, "
                                     "add it to allowed_entities with a justification.")
    remediation_zh: ClassVar[str] = ("停止收集该字段，或将其删除/匿名化；如处理目的确需该字段，"
                                     "请在 allowed_entities 中列明并说明理由。")
    order: ClassVar[int] = 10

    def evaluate(self, policy: Policy | None, datasets: Sequence[DatasetResult]) -> list[Violation]:
        """One violation per sensitive column whose entity the matching entry does not allow."""
        if policy is None:
            return []
        out: list[Violation] = []
        for ds in datasets:
            entry = policy.entry_for(ds.id)
            if entry is None:
                continue
            for col in sensitive_columns(ds):
                entity = col.primary_entity
                if entity is None or entity in entry.allowed_entities:
                    continue
                label = ENTITIES[entity]
                purpose = entry.purpose or "its declared purpose"
                out.append(self.violation(
                    col.level, ds.id, col.name, None,
                    f"Column holds {label.label_en} ({entity}), which the purpose '{purpose}' does not need.",
                    f"该列含有{label.label_zh}（{entity}），超出处理目的“{entry.purpose or '已声明目的'}”所需范围。",
                ))
        return out
