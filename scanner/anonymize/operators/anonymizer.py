"""Presidio's ``AnonymizerEngine`` with every registered operator in it, and the config that picks one.

Free text with several spans goes through Presidio's engine (it settles
adjacent and overlapping spans); each span is rewritten by the very operator
class the column path uses, looked up under ``pw_<name>``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig

from scanner.anonymize.operators import registry
from scanner.anonymize.operators.base import CONTEXT_KEY, PARAMS_KEY
from scanner.anonymize.operators.context import OpContext

if TYPE_CHECKING:
    from scanner.anonymize.rules import Rule

_engine: AnonymizerEngine | None = None
_added: set[type[Any]] = set()
_lock = threading.Lock()


def anonymizer_engine() -> AnonymizerEngine:
    """The shared engine, holding every operator registered so far (one added since is added now)."""
    global _engine
    with _lock:
        if _engine is None:
            _engine = AnonymizerEngine()
        for op in registry.operators():
            if type(op) not in _added:
                _engine.add_anonymizer(type(op))
                _added.add(type(op))
        return _engine


def operator_config(rule: Rule, ctx: OpContext) -> OperatorConfig:
    """The Presidio OperatorConfig that applies a rule to a span."""
    return OperatorConfig(rule.operator.operator_name(), {PARAMS_KEY: rule.params, CONTEXT_KEY: ctx})
