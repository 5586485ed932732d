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
_added: dict[str, type[Any]] = {}  # Presidio name -> the class the engine holds under it
_lock = threading.Lock()


def anonymizer_engine() -> AnonymizerEngine:
    """The shared engine, holding every operator registered now.

    One registered since the last call is added now, and one that replaced
    another under the same name replaces it in the engine too.
    """
    global _engine
    with _lock:
        if _engine is None:
            _engine = AnonymizerEngine()
        for op in registry.operators():
            if _added.get(op.operator_name()) is not type(op):
                _engine.add_anonymizer(type(op))
                _added[op.operator_name()] = type(op)
        return _engine


def operator_config(rule: Rule, ctx: OpContext) -> OperatorConfig:
    """The Presidio OperatorConfig that applies a rule to a span."""
    return OperatorConfig(rule.operator.operator_name(), {PARAMS_KEY: rule.params, CONTEXT_KEY: ctx})
