"""Anonymization operators: one class per operator, one file per class, one registry.

``mask.py``, ``hash.py``, … each define an ``AnonymizationOperator`` (see
``base.py``) and register it; ``registry`` finds them, and those of other
distributions through the ``piiwarden.operators`` entry points. The same
classes transform whole Arrow columns and, as Presidio operators, spans of
free text.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Light names load with the package; the rest (Presidio, every operator's helpers, several seconds of
# imports) on first use, so a command that only names MissingKey does not pay for them.
from scanner.anonymize.operators.context import MissingKey, OpContext

if TYPE_CHECKING:
    from scanner.anonymize.operators.anonymizer import anonymizer_engine, operator_config
    from scanner.anonymize.operators.base import (
        AnonymizationOperator,
        NoParams,
        OperatorParams,
        RevealError,
        ReversibleOperator,
    )
    from scanner.anonymize.operators.registry import (
        ENTRY_POINT_GROUP,
        RegistryError,
        UnknownOperator,
        find,
        get,
        names,
        operators,
        register,
        reload_entry_points,
        unregister,
    )
    from scanner.anonymize.rules import Rule

_LAZY = {
    "anonymizer": ("anonymizer_engine", "operator_config"),
    "base": ("AnonymizationOperator", "NoParams", "OperatorParams", "RevealError", "ReversibleOperator"),
    "registry": ("ENTRY_POINT_GROUP", "RegistryError", "UnknownOperator", "find", "get", "names", "operators",
                 "register", "reload_entry_points", "unregister"),
}
_HOME = {name: module for module, names_ in _LAZY.items() for name in names_}


def __getattr__(name: str) -> Any:
    """A re-exported name, imported from its module on first use (PEP 562)."""
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def apply_value(rule: Rule, entity: str | None, value: str, ctx: OpContext) -> str:
    """One value through one rule (its operator with its parameters)."""
    return rule.operator.apply_value(entity, value, rule.params, ctx)


__all__ = [
    "ENTRY_POINT_GROUP", "AnonymizationOperator", "MissingKey", "NoParams", "OpContext", "OperatorParams",
    "RegistryError", "RevealError", "ReversibleOperator", "UnknownOperator", "anonymizer_engine", "apply_value",
    "find", "get", "names", "operator_config", "operators", "register", "reload_entry_points", "unregister",
]
