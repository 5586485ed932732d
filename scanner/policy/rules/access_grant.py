"""``access_grant``: level >= 3 tables readable by PUBLIC or undeclared roles (PIPL Art. 51)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from scanner.model import DatasetResult, Grant, Violation
from scanner.policy.model import Policy
from scanner.policy.rules.base import Rule


def _reader_allowed(grantee: str, allowed: list[str]) -> bool:
    """A PostgreSQL role or a MySQL account (``app@%``, also matched by its user name ``app``)."""
    return grantee in allowed or grantee.split("@", 1)[0] in allowed


class AccessGrant(Rule):
    """A table with level >= 3 columns readable by PUBLIC or by a role its entry does not allow.

    ``grants`` is attached by ``database.attach_grants`` (PostgreSQL ACLs;
    MySQL global, schema-wide, table and column SELECT), plus the policy's
    ``roles:`` that can read by any path (PostgreSQL: PUBLIC, memberships;
    MySQL/MariaDB: roles granted to the account, PUBLIC). Without a policy
    only PUBLIC fires: no role was declared, so no other reader can be judged.
    """

    name: ClassVar[str] = "access_grant"
    title_en: ClassVar[str] = "Access grant"
    title_zh: ClassVar[str] = "访问授权"
    reference: ClassVar[str] = "PIPL Art. 51 / 《个人信息保护法》第五十一条"
    remediation_en: ClassVar[str] = ("Revoke SELECT from these grantees, or list them under allowed_readers after "
                                     "an access review.")
    remediation_zh: ClassVar[str] = "撤销这些角色/账号的 SELECT 权限（REVOKE），或经审批后将其列入策略的 allowed_readers。"
    needs_policy: ClassVar[bool] = False
    counts: ClassVar[str | None] = "grantees"
    order: ClassVar[int] = 60

    def evaluate(self, policy: Policy | None, datasets: Sequence[DatasetResult]) -> list[Violation]:
        """One violation per table with offending grantees (listed under ``grantees``)."""
        out: list[Violation] = []
        for ds in datasets:
            if not ds.grants:
                continue
            level = ds.max_level
            if level < 3:
                continue
            offenders = self._offenders(policy, ds.id, ds.grants)
            if not offenders:
                continue
            who = ", ".join(offenders)
            out.append(self.violation(
                level, ds.id, None, len(offenders),
                f"Table with level-{level} personal data can be read (SELECT) by: {who}, "
                "not listed in allowed_readers.",
                f"含 {level} 级个人信息的表可被以下角色/账号读取（SELECT）：{who}，这些角色不在 allowed_readers 中。",
                grantees=offenders,
            ))
        return out

    @staticmethod
    def _offenders(policy: Policy | None, dataset_id: str, grants: Sequence[Grant]) -> list[str]:
        grantees = [g.grantee for g in grants]
        if policy is None:
            return [g for g in grantees if g == "PUBLIC"]
        entry = policy.entry_for(dataset_id)
        allowed = entry.allowed_readers if entry is not None else []
        return [g for g in grantees if not _reader_allowed(g, allowed)]
