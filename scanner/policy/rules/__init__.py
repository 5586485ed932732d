"""Policy rules over column findings (CONTRACT.md rule table), one module per rule.

``evaluate(policy, datasets)`` runs every registered rule (``registry.py``)
over the typed dataset results and returns typed ``Violation`` objects
(``scanner.model``). To add a rule, add a
module here with a ``Rule`` subclass (see ``base.py``), or, from outside the
package, ``register(MyRule)`` or a ``piiwarden.rules`` entry point.
"""

from __future__ import annotations

from collections.abc import Sequence

from scanner.model import DatasetResult, Violation
from scanner.policy.model import Policy
from scanner.policy.rules.base import CountingRule, Rule
from scanner.policy.rules.registry import (
    ENTRY_POINT_GROUP,
    RuleRegistryError,
    all_rules,
    get,
    register,
    rule_names,
    rule_titles,
    unregister,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "CountingRule",
    "Rule",
    "RuleRegistryError",
    "Violation",
    "all_rules",
    "evaluate",
    "get",
    "register",
    "rule_names",
    "rule_titles",
    "unregister",
]


def evaluate(policy: Policy | None, datasets: Sequence[DatasetResult]) -> list[Violation]:
    """All violations; without a policy, only the rules that need none.

    Clear identifiers, children's data and public grants are facts about the
    data, not about a declared purpose, so those rules (``needs_policy`` is
    False) run even without a policy.
    """
    out: list[Violation] = []
    for rule in all_rules():
        if policy is None and rule.needs_policy:
            continue
        out.extend(rule.evaluate(policy, datasets))
    return out
