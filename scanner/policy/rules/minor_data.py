"""``minor_data``: ID numbers or birth dates of children under ``minor_age`` (PIPL Art. 28, 31)."""

from __future__ import annotations

from typing import ClassVar

from detectors.taxonomy import ENTITIES
from scanner.policy.model import Policy
from scanner.policy.rules.base import DatasetJson, Rule, Violation, completed_checks, unparseable_note


class MinorData(Rule):
    """Columns whose birth dates (direct or inside ID numbers) belong to children at as_of.

    A fact about the data, so it runs without a policy too (default
    minor_age). The count is the exact full-pass count from counts.py.
    """

    name: ClassVar[str] = "minor_data"
    title_en: ClassVar[str] = "Children's data"
    title_zh: ClassVar[str] = "未成年人信息"
    reference: ClassVar[str] = "PIPL Art. 28, 31 / 《个人信息保护法》第二十八条、第三十一条"
    remediation_en: ClassVar[str] = ("Confirm guardian consent and dedicated processing rules for under-{age}s; "
                                     "delete the data if not needed, or generalize/mask the ID numbers and "
                                     "birth dates.")
    remediation_zh: ClassVar[str] = ("确认已取得监护人同意并制定未成年人个人信息处理规则；不需要时删除，"
                                     "或对证件号、出生日期做泛化/脱敏处理。")
    needs_policy: ClassVar[bool] = False
    counts: ClassVar[str | None] = "rows about children"
    severity_floor: ClassVar[int] = 3  # at least high, whatever the column's level (CONTRACT.md)
    order: ClassVar[int] = 50

    def evaluate(self, policy: Policy | None, datasets: list[DatasetJson]) -> list[Violation]:
        """One violation per completed minors count above zero."""
        out: list[Violation] = []
        for ds in datasets:
            levels = {c["name"]: c["level"] for c in ds["columns"]}
            for check in completed_checks(ds, self.name):
                minors = int(check["minors"])
                if not minors:
                    continue
                entity = ENTITIES.get(check.get("entity") or "")
                what_en = entity.label_en if entity else "birth dates"
                what_zh = entity.label_zh if entity else "出生日期"
                age = check["minor_age"]
                tail_en, tail_zh = unparseable_note(check, "valid birth dates", "有效出生日期")
                violation = self.violation(
                    levels.get(check["column"], 0), ds["id"], check["column"], minors,
                    f"{minors} of {check['rows']} rows are about children under {age} (born after "
                    f"{check['born_after']}, read from the column's {what_en.lower()}): sensitive personal "
                    f"information.{tail_en}",
                    f"{check['rows']} 行中有 {minors} 行的{what_zh}属于未满 {age} 周岁的未成年人"
                    f"（出生晚于 {check['born_after']}），属于敏感个人信息。{tail_zh}",
                    self.remediation_en.format(age=age),
                )
                violation["unparseable"] = int(check.get("unparseable") or 0)
                out.append(violation)
        return out
