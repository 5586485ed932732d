"""The one list of policy rules: built-ins found by file, outside rules by entry point or API.

Adding a built-in rule is adding one module to this package (its ``Rule``
subclass is found by scanning the package), and adding an outside rule is
one ``register(MyRule)`` call or one ``piiwarden.rules`` entry point in a
distribution's metadata, so no table elsewhere needs an edit. Everything is
loaded on first use: ``piiwarden --help`` must not pay for it.

Naming: the built-in names are the contract's (findings.schema.json lists
them in its ``rule`` enum). An outside rule must be namespaced,
``vendor.rule`` (a dot no built-in name has), so it can never collide with a
future contract rule and a reader of findings.json sees at once that it is
an extension; a schema check of such a findings.json extends the enum with
``rule_names()``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from importlib.metadata import entry_points
from types import ModuleType

from scanner.policy.rules.base import Rule

ENTRY_POINT_GROUP = "piiwarden.rules"
_PACKAGE = "scanner.policy.rules"
_NOT_RULES = frozenset({"base", "registry"})
_OUTSIDE_NAME = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$")

_rules: dict[str, Rule] = {}
_loaded = False


class RuleRegistryError(Exception):
    """A rule that cannot be registered (bad name, duplicate, not a Rule)."""


def _is_builtin(rule: Rule) -> bool:
    return type(rule).__module__.startswith(_PACKAGE + ".")


def _check_name(rule: Rule) -> None:
    """Built-ins keep the contract's bare names; outside rules must be ``vendor.rule``."""
    name = getattr(rule, "name", None)
    if not isinstance(name, str) or not name:
        raise RuleRegistryError(f"{type(rule).__qualname__} has no rule name")
    if not _is_builtin(rule) and not _OUTSIDE_NAME.match(name):
        raise RuleRegistryError(
            f"outside rule name {name!r} must be namespaced like 'vendor.rule' (lower case, dotted)")


def _instance(rule: type[Rule] | Rule) -> Rule:
    if isinstance(rule, Rule):
        return rule
    if inspect.isclass(rule) and issubclass(rule, Rule) and not inspect.isabstract(rule):
        return rule()
    raise RuleRegistryError(f"{rule!r} is not a concrete piiwarden Rule subclass")


def _add(rule: type[Rule] | Rule) -> Rule:
    instance = _instance(rule)
    _check_name(instance)
    known = _rules.get(instance.name)
    if known is not None and type(known) is not type(instance):
        raise RuleRegistryError(f"rule {instance.name!r} is already registered by {type(known).__qualname__}")
    _rules[instance.name] = instance
    return instance


def register(rule: type[Rule]) -> type[Rule]:
    """Register an outside rule class (usable as a decorator); it runs in every later scan."""
    _ensure_loaded()
    _add(rule)
    return rule


def unregister(name: str) -> None:
    """Forget a registered rule (a notebook trying rules out, or a test cleaning up)."""
    _ensure_loaded()
    _rules.pop(name, None)


def _module_rules(module: ModuleType) -> list[type[Rule]]:
    """The concrete Rule subclasses a built-in module defines (not the ones it imports)."""
    return [obj for _, obj in inspect.getmembers(module, inspect.isclass)
            if issubclass(obj, Rule) and obj.__module__ == module.__name__ and not inspect.isabstract(obj)]


def _load_builtins() -> None:
    package = importlib.import_module(_PACKAGE)
    for info in pkgutil.iter_modules(package.__path__):
        if info.name in _NOT_RULES or info.name.startswith("_"):
            continue
        for rule in _module_rules(importlib.import_module(f"{_PACKAGE}.{info.name}")):
            _add(rule)


def _load_entry_points() -> None:
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = point.load()
        except Exception as exc:  # a broken plugin must name itself, not fail as a bare traceback
            raise RuleRegistryError(f"{ENTRY_POINT_GROUP} entry point {point.name!r} ({point.value}) "
                                    f"does not load: {type(exc).__name__}") from exc
        _add(loaded)


def _ensure_loaded() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    _load_builtins()
    _load_entry_points()


def all_rules() -> list[Rule]:
    """Every rule in findings order: built-ins by ``order``, then outside rules by name."""
    _ensure_loaded()
    return sorted(_rules.values(), key=lambda r: (r.order, r.name))


def get(name: str) -> Rule | None:
    """The rule called ``name``, or None."""
    _ensure_loaded()
    return _rules.get(name)


def rule_names() -> list[str]:
    """Every registered rule name (the findings ``rule`` vocabulary, contract names first)."""
    return [r.name for r in all_rules()]


def rule_titles(lang: str) -> dict[str, str]:
    """Rule name -> human title in ``lang`` ("zh" or "en"), for reports."""
    return {r.name: r.title_zh if lang == "zh" else r.title_en for r in all_rules()}
