"""``retention``: rows kept longer than ``max_age_days`` (PIPL Art. 19, 47)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from scanner.model import DatasetResult, Violation
from scanner.policy.model import Policy
from scanner.policy.rules.base import CountingRule, completed_checks, sensitive_columns, unparseable_note


class Retention(CountingRule):
    """Rows whose retention date is more than max_age_days before as_of.

    The count is exact: it comes from the full pass in counts.py
    (``policy_checks``), never from the classification sample.
    """

    name: ClassVar[str] = "retention"
    title_en: ClassVar[str] = "Retention period"
    title_zh: ClassVar[str] = "保存期限"
    reference: ClassVar[str] = "PIPL Art. 19, 47 / 《个人信息保护法》第十九条、第四十七条"
    remediation_en: ClassVar[str] = ("Delete or anonymize rows past the retention period and schedule a purge "
                                     "job; if longer retention is required, change max_age_days in the policy "
                                     "and record why.")
    remediation_zh: ClassVar[str] = ("删除或匿名化超过保存期限的记录，并设置定期清理任务；如确需延长保存，"
                                     "请在策略中调整 max_age_days 并记录依据。")
    counts: ClassVar[str | None] = "rows over the limit"
    severity_floor: ClassVar[int] = 3  # at least high, whatever the columns' level (CONTRACT.md)
    order: ClassVar[int] = 40
    hits_key: ClassVar[str] = "over_limit"
    check_en: ClassVar[str] = ("Retention on {column}: {over_limit} of {rows} rows older than {max_age_days} days "
                               "(before {cutoff})")
    check_zh: ClassVar[str] = "保存期限（{column}）：{rows} 行中 {over_limit} 行超过 {max_age_days} 天（早于 {cutoff}）"

    def judge(self, dates: pa.Array, cutoff: dt.date, as_of: dt.date) -> tuple[pa.Array, pa.Array]:
        """Over the limit: dated before the cutoff. Every readable date is usable."""
        over = pc.fill_null(pc.less(dates, pa.scalar(cutoff, pa.date32())), False)
        return over, pa.array([False] * len(dates))

    def evaluate(self, policy: Policy | None, datasets: Sequence[DatasetResult]) -> list[Violation]:
        """One violation per completed retention count with rows over the limit."""
        out: list[Violation] = []
        for ds in datasets:
            level = max((c.level for c in sensitive_columns(ds)), default=0)
            for check in completed_checks(ds, self.name):
                over = check.hits
                if not over:
                    continue
                tail_en, tail_zh = unparseable_note(check, "dates", "日期")
                days, cutoff = check.params["max_age_days"], check.params["cutoff"]
                out.append(self.violation(
                    level, ds.id, check.column, over,
                    f"{over} of {check.rows} rows are older than the {days}-day retention limit "
                    f"(dated before {cutoff}).{tail_en}",
                    f"{check.rows} 行中有 {over} 行超过 {days} 天的保存期限（日期早于 {cutoff}）。{tail_zh}",
                    unparseable=check.unparseable,
                ))
        return out
