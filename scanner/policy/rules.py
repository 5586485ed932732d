"""Policy rules over column findings (CONTRACT.md rule table).

Each rule is a function of the policy and the scanned datasets returning
violations in findings.json form, with messages in English and Chinese and a
remediation. Rules never see raw values: only the graded findings.
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
}


def _violation(rule: str, level: int, dataset: str, column: str | None, count: int | None,
               message: str, message_zh: str, remediation: str) -> Violation:
    return {
        "rule": rule,
        "severity": severity_for_level(level),
        "dataset": dataset,
        "column": column,
        "count": count,
        "message": message,
        "message_zh": message_zh,
        "remediation": remediation,
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


RULES: list[Callable[[Policy, list[DatasetJson]], list[Violation]]] = [
    minimization,
    undeclared_dataset,
    plaintext_sensitive,
]


def evaluate(policy: Policy | None, datasets: list[DatasetJson]) -> list[Violation]:
    """All violations; without a policy, only the rules that need none (clear identifiers)."""
    if policy is None:
        return plaintext_sensitive(Policy(), datasets)
    out: list[Violation] = []
    for rule in RULES:
        out.extend(rule(policy, datasets))
    return out
