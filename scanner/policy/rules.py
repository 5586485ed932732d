"""Policy rules over column findings (CONTRACT.md rule table).

Each rule is a function of the policy and the scanned datasets returning
violations in findings.json form, with messages and remediations in English
and Chinese and the PIPL reference. Rules never see raw values: only the
graded findings and, for `retention` and `minor_data`, the exact counts that
``counts.py`` attached to each dataset as ``policy_checks``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from detectors.taxonomy import ENTITIES, severity_for_level
from scanner.policy.model import Policy

Violation = dict[str, Any]
DatasetJson = dict[str, Any]

PIPL = {
    "minimization": "PIPL Art. 6 / 《个人信息保护法》第六条",
    "undeclared_dataset": "PIPL Art. 7, 17 / 《个人信息保护法》第七条、第十七条",
    "plaintext_sensitive": "PIPL Art. 28, 51 / 《个人信息保护法》第二十八条、第五十一条",
    "retention": "PIPL Art. 19, 47 / 《个人信息保护法》第十九条、第四十七条",
    "minor_data": "PIPL Art. 28, 31 / 《个人信息保护法》第二十八条、第三十一条",
    "access_grant": "PIPL Art. 51 / 《个人信息保护法》第五十一条",
}

# Chinese remediation text, keyed by the English one (one place to keep them in step).
REMEDIATION_ZH = {
    "minimization": "停止收集该字段，或将其删除/匿名化；如处理目的确需该字段，请在 allowed_entities 中列明并说明理由。",
    "undeclared_dataset": "在策略中声明该数据集的处理目的和允许的个人信息类型，或删除该数据集。",
    "plaintext_sensitive": "对该列加密（AES-256-GCM）或令牌化；不需要完整值的场景请脱敏（piiwarden anonymize）。",
    "retention": "删除或匿名化超过保存期限的记录，并设置定期清理任务；如确需延长保存，请在策略中调整 max_age_days 并记录依据。",
    "minor_data": "确认已取得监护人同意并制定未成年人个人信息处理规则；不需要时删除，或对证件号、出生日期做泛化/脱敏处理。",
    "access_grant": "撤销这些角色/账号的 SELECT 权限（REVOKE），或经审批后将其列入策略的 allowed_readers。",
}

# Retention and minors are at least high, whatever the level of the columns involved (CONTRACT.md).
MIN_LEVEL = {"retention": 3, "minor_data": 3}


def _violation(rule: str, level: int, dataset: str, column: str | None, count: int | None,
               message: str, message_zh: str, remediation: str) -> Violation:
    return {
        "rule": rule,
        "severity": severity_for_level(max(level, MIN_LEVEL.get(rule, 0))),
        "dataset": dataset,
        "column": column,
        "count": count,
        "message": message,
        "message_zh": message_zh,
        "remediation": remediation,
        "remediation_zh": REMEDIATION_ZH[rule],
        "reference": PIPL[rule],
    }


def _sensitive(ds: DatasetJson) -> Iterable[dict[str, Any]]:
    return (c for c in ds["columns"] if c.get("primary_entity"))


def minimization(policy: Policy, datasets: list[DatasetJson]) -> list[Violation]:
    """A declared dataset holds an entity its purpose does not list."""
    out: list[Violation] = []
    for ds in datasets:
        entry = policy.entry_for(ds["id"])
        if entry is None:
            continue
        for col in _sensitive(ds):
            entity = col["primary_entity"]
            if entity in entry.allowed_entities:
                continue
            label = ENTITIES[entity]
            purpose = entry.purpose or "its declared purpose"
            out.append(_violation(
                "minimization", col["level"], ds["id"], col["name"], None,
                f"Column holds {label.label_en} ({entity}), which the purpose '{purpose}' does not need.",
                f"该列含有{label.label_zh}（{entity}），超出处理目的“{entry.purpose or '已声明目的'}”所需范围。",
                "Stop collecting this field or delete/anonymize it; if the purpose needs it, "
                "add it to allowed_entities with a justification.",
            ))
    return out


def undeclared_dataset(policy: Policy, datasets: list[DatasetJson]) -> list[Violation]:
    """A dataset with sensitive columns that no policy entry declares."""
    out: list[Violation] = []
    for ds in datasets:
        cols = list(_sensitive(ds))
        if not cols or policy.entry_for(ds["id"]) is not None:
            continue
        level = max(c["level"] for c in cols)
        names = ", ".join(sorted({c["primary_entity"] for c in cols}))
        out.append(_violation(
            "undeclared_dataset", level, ds["id"], None, None,
            f"Dataset holds personal data ({names}) but no policy entry declares its purpose.",
            f"该数据集含有个人信息（{names}），但策略中没有声明其处理目的。",
            "Declare the dataset in the policy with its purpose and allowed entities, or delete it.",
        ))
    return out


def plaintext_sensitive(policy: Policy, datasets: list[DatasetJson]) -> list[Violation]:
    """Columns at or above the forbidden level whose values validate as clear identifiers."""
    threshold = policy.defaults.plaintext_forbidden_level
    out: list[Violation] = []
    for ds in datasets:
        for col in ds["columns"]:
            clear = [e for e in col["entities"] if ENTITIES[e["entity"]].level >= threshold and e["matches"] > 0]
            if not clear:
                continue
            top = max(clear, key=lambda e: e["matches"])
            label = ENTITIES[top["entity"]]
            out.append(_violation(
                "plaintext_sensitive", label.level, ds["id"], col["name"], int(top["matches"]),
                f"{label.label_en} ({top['entity']}) stored in clear: values pass the format checks.",
                f"{label.label_zh}（{top['entity']}）以明文存储：取值通过了格式校验。",
                "Encrypt (AES-256-GCM) or tokenize this column, or mask it where the full value is not needed "
                "(piiwarden anonymize).",
            ))
    return out


def _checks(ds: DatasetJson, rule: str) -> Iterable[dict[str, Any]]:
    """The dataset's completed full-pass counts for one rule (see counts.py)."""
    return (c for c in ds.get("policy_checks") or [] if c["rule"] == rule and c.get("status") == "ok")


def _unparseable_note(check: dict[str, Any], what_en: str, what_zh: str) -> tuple[str, str]:
    """Message tails telling how many values could not be judged (they are not counted)."""
    n = int(check.get("unparseable") or 0)
    if not n:
        return "", ""
    return (f" {n} non-empty values could not be read as {what_en} and are not counted.",
            f"另有 {n} 个非空值无法解析为{what_zh}，未计入。")


def retention(policy: Policy, datasets: list[DatasetJson]) -> list[Violation]:
    """Rows whose retention date is more than max_age_days before as_of (exact full-pass count)."""
    out: list[Violation] = []
    for ds in datasets:
        level = max((c["level"] for c in _sensitive(ds)), default=0)
        for check in _checks(ds, "retention"):
            over = int(check["over_limit"])
            if not over:
                continue
            tail_en, tail_zh = _unparseable_note(check, "dates", "日期")
            days, cutoff = check["max_age_days"], check["cutoff"]
            violation = _violation(
                "retention", level, ds["id"], check["column"], over,
                f"{over} of {check['rows']} rows are older than the {days}-day retention limit "
                f"(dated before {cutoff}).{tail_en}",
                f"{check['rows']} 行中有 {over} 行超过 {days} 天的保存期限（日期早于 {cutoff}）。{tail_zh}",
                "Delete or anonymize rows past the retention period and schedule a purge job; if longer "
                "retention is required, change max_age_days in the policy and record why.",
            )
            violation["unparseable"] = int(check.get("unparseable") or 0)
            out.append(violation)
    return out


def minor_data(policy: Policy, datasets: list[DatasetJson]) -> list[Violation]:
    """Columns of ID numbers or birth dates holding people under minor_age at as_of (exact count)."""
    out: list[Violation] = []
    for ds in datasets:
        levels = {c["name"]: c["level"] for c in ds["columns"]}
        for check in _checks(ds, "minor_data"):
            minors = int(check["minors"])
            if not minors:
                continue
            entity = ENTITIES.get(check.get("entity") or "")
            what_en = entity.label_en if entity else "birth dates"
            what_zh = entity.label_zh if entity else "出生日期"
            age = check["minor_age"]
            tail_en, tail_zh = _unparseable_note(check, "valid birth dates", "有效出生日期")
            violation = _violation(
                "minor_data", levels.get(check["column"], 0), ds["id"], check["column"], minors,
                f"{minors} of {check['rows']} rows are about children under {age} (born after "
                f"{check['born_after']}, read from the column's {what_en.lower()}): sensitive personal "
                f"information.{tail_en}",
                f"{check['rows']} 行中有 {minors} 行的{what_zh}属于未满 {age} 周岁的未成年人"
                f"（出生晚于 {check['born_after']}），属于敏感个人信息。{tail_zh}",
                f"Confirm guardian consent and dedicated processing rules for under-{age}s; delete the data "
                "if not needed, or generalize/mask the ID numbers and birth dates.",
            )
            violation["unparseable"] = int(check.get("unparseable") or 0)
            out.append(violation)
    return out


def _reader_allowed(grantee: str, allowed: list[str]) -> bool:
    """A PostgreSQL role or a MySQL account (``app@%``, also matched by its user name ``app``)."""
    return grantee in allowed or grantee.split("@", 1)[0] in allowed


def access_grant(policy: Policy | None, datasets: list[DatasetJson]) -> list[Violation]:
    """A table with level >= 3 columns readable by PUBLIC or by a role its entry does not allow.

    ``grants`` is attached by ``database.attach_grants`` (PostgreSQL ACLs; MySQL
    global, schema-wide and table SELECT). Without a policy only PUBLIC fires:
    no role was declared, so no other reader can be judged.
    """
    out: list[Violation] = []
    for ds in datasets:
        grants = ds.get("grants")
        if not grants:
            continue
        level = max((c.get("level", 0) for c in ds["columns"]), default=0)
        if level < 3:
            continue
        if policy is None:
            offenders = [g for g in grants if g == "PUBLIC"]
        else:
            entry = policy.entry_for(ds["id"])
            allowed = entry.allowed_readers if entry is not None else []
            offenders = [g for g in grants if not _reader_allowed(g, allowed)]
        if not offenders:
            continue
        who = ", ".join(offenders)
        out.append(_violation(
            "access_grant", level, ds["id"], None, len(offenders),
            f"Table with level-{level} personal data can be read (SELECT) by: {who}, not listed in allowed_readers.",
            f"含 {level} 级个人信息的表可被以下角色/账号读取（SELECT）：{who}，这些角色不在 allowed_readers 中。",
            "Revoke SELECT from these grantees, or list them under allowed_readers after an access review.",
        ) | {"grantees": offenders})
    return out


RULES: list[Callable[[Policy, list[DatasetJson]], list[Violation]]] = [
    minimization,
    undeclared_dataset,
    plaintext_sensitive,
    retention,
    minor_data,
    access_grant,
]


def evaluate(policy: Policy | None, datasets: list[DatasetJson]) -> list[Violation]:
    """All violations; without a policy, only the rules that need none.

    Clear identifiers and children's data are facts about the data, not about
    a declared purpose, so ``plaintext_sensitive`` and ``minor_data`` (with
    the default minor_age) run even without a policy.
    """
    if policy is None:
        defaults = Policy()
        return plaintext_sensitive(defaults, datasets) + minor_data(defaults, datasets) + access_grant(None, datasets)
    out: list[Violation] = []
    for rule in RULES:
        out.extend(rule(policy, datasets))
    return out
