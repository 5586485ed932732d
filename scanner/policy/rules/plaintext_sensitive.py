"""``plaintext_sensitive``: high-level identifiers stored in clear (PIPL Art. 28, 51)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from detectors.taxonomy import ENTITIES
from scanner.model import DatasetResult, Violation
from scanner.policy.model import Policy
from scanner.policy.rules.base import Rule


class PlaintextSensitive(Rule):
    """Columns at or above the forbidden level whose values validate as clear identifiers.

    A fact about the data, so it runs without a policy too (with the default
    ``plaintext_forbidden_level``).
    """

    name: ClassVar[str] = "plaintext_sensitive"
    title_en: ClassVar[str] = "Sensitive data in clear"
    title_zh: ClassVar[str] = "敏感信息明文存储"
    reference: ClassVar[str] = "PIPL Art. 28, 51 / 《个人信息保护法》第二十八条、第五十一条"
    remediation_en: ClassVar[str] = ("Encrypt (AES-256-GCM) or tokenize this column, or mask it where the full "
                                     "value is not needed (piiwarden anonymize).")
    remediation_zh: ClassVar[str] = "对该列加密（AES-256-GCM）或令牌化；不需要完整值的场景请脱敏（piiwarden anonymize）。"
    needs_policy: ClassVar[bool] = False
    counts: ClassVar[str | None] = "values seen in clear"
    order: ClassVar[int] = 30

    def evaluate(self, policy: Policy | None, datasets: Sequence[DatasetResult]) -> list[Violation]:
        """One violation per column, naming its most frequent clear entity."""
        threshold = (policy or Policy()).defaults.plaintext_forbidden_level
        out: list[Violation] = []
        for ds in datasets:
            for col in ds.columns:
                clear = [e for e in col.entities if ENTITIES[e.entity].level >= threshold and e.matches > 0]
                if not clear:
                    continue
                top = max(clear, key=lambda e: e.matches)
                label = ENTITIES[top.entity]
                out.append(self.violation(
                    label.level, ds.id, col.name, int(top.matches),
                    f"{label.label_en} ({top.entity}) stored in clear: values pass the format checks.",
                    f"{label.label_zh}（{top.entity}）以明文存储：取值通过了格式校验。",
                ))
        return out
