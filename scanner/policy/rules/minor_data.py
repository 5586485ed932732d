"""``minor_data``: ID numbers or birth dates of children under ``minor_age`` (PIPL Art. 28, 31)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from detectors.taxonomy import ENTITIES
from scanner.model import DatasetResult, Violation
from scanner.policy.model import Policy
from scanner.policy.rules.base import CountingRule, completed_checks, unparseable_note


class MinorData(CountingRule):
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
    hits_key: ClassVar[str] = "minors"
    check_en: ClassVar[str] = "Under-{minor_age}s in {column}: {minors} of {rows} rows (born after {born_after})"
    check_zh: ClassVar[str] = "未满 {minor_age} 周岁（{column}）：{rows} 行中 {minors} 行（出生晚于 {born_after}）"

    def judge(self, dates: pa.Array, cutoff: dt.date, as_of: dt.date) -> tuple[pa.Array, pa.Array]:
        """A child: born after the cutoff and not after as_of.

        A birth date after as_of is not a person's age, so it counts as
        unusable rather than as a child.
        """
        day = pa.scalar(as_of, pa.date32())
        hits = pc.and_(pc.greater(dates, pa.scalar(cutoff, pa.date32())), pc.less_equal(dates, day))
        return pc.fill_null(hits, False), pc.fill_null(pc.greater(dates, day), False)

    def evaluate(self, policy: Policy | None, datasets: Sequence[DatasetResult]) -> list[Violation]:
        """One violation per completed minors count above zero."""
        out: list[Violation] = []
        for ds in datasets:
            levels = {c.name: c.level for c in ds.columns}
            for check in completed_checks(ds, self.name):
                minors = check.hits
                if not minors:
                    continue
                entity = ENTITIES.get(check.entity or "")
                what_en = entity.label_en if entity else "birth dates"
                what_zh = entity.label_zh if entity else "出生日期"
                age, born_after = check.params["minor_age"], check.params["born_after"]
                tail_en, tail_zh = unparseable_note(check, "valid birth dates", "有效出生日期")
                out.append(self.violation(
                    levels.get(check.column, 0), ds.id, check.column, minors,
                    f"{minors} of {check.rows} rows are about children under {age} (born after "
                    f"{born_after}, read from the column's {what_en.lower()}): sensitive personal "
                    f"information.{tail_en}",
                    f"{check.rows} 行中有 {minors} 行的{what_zh}属于未满 {age} 周岁的未成年人"
                    f"（出生晚于 {born_after}），属于敏感个人信息。{tail_zh}",
                    self.remediation_en.format(age=age),
                    unparseable=check.unparseable,
                ))
        return out
