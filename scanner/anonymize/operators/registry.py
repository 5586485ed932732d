"""The operator registry: every operator the rules file may name, by name.

Three ways in, one table:

- the built-ins: each module of this package registers its class with
  ``@register`` when imported; the package is walked on first use, so a new
  operator is one new file here;
- other distributions: the ``piiwarden.operators`` entry-point group (the
  entry point loads the operator class), read on first use and again on
  ``reload_entry_points()``;
- code: ``register(MyOperator)`` from a notebook or a test.

Loading is lazy because it imports Presidio and every operator's helpers,
which commands that never anonymize should not pay for.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from importlib.metadata import entry_points
from typing import Any, TypeVar

from scanner.anonymize.operators.base import AnonymizationOperator

ENTRY_POINT_GROUP = "piiwarden.operators"

C = TypeVar("C", bound=type[AnonymizationOperator[Any]])

_operators: dict[str, AnonymizationOperator[Any]] = {}
_loaded = False
_lock = threading.RLock()


class RegistryError(Exception):
    """An operator that cannot be registered (a clash of names, a class that is not an operator)."""


class UnknownOperator(KeyError):
    """No operator of that name is registered."""


def register(cls: C, *, replace: bool = False) -> C:
    """Add an operator class under its ``name`` (usable as a class decorator); returns the class.

    Registering the same class twice is harmless (modules can be re-imported,
    entry points re-read); another class under a taken name is an error
    unless ``replace`` says it is meant.
    """
    if not (isinstance(cls, type) and issubclass(cls, AnonymizationOperator)):
        raise RegistryError(f"{cls!r} is not an AnonymizationOperator subclass")
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name.isidentifier():
        raise RegistryError(f"{cls.__qualname__}: name must be an identifier, got {name!r}")
    with _lock:
        current = _operators.get(name)
        if current is not None and type(current) is not cls and not replace:
            raise RegistryError(f"operator '{name}' is already registered by {type(current).__qualname__}")
        if current is None or type(current) is not cls:
            _operators[name] = cls()
    return cls


def unregister(name: str) -> None:
    """Remove an operator (a test's throwaway one); unknown names are ignored."""
    with _lock:
        _operators.pop(name, None)


def get(name: str) -> AnonymizationOperator[Any]:
    """The operator registered under ``name``; ``UnknownOperator`` if there is none."""
    found = find(name)
    if found is None:
        raise UnknownOperator(name)
    return found


def find(name: object) -> AnonymizationOperator[Any] | None:
    """The operator under ``name``, or None (also for names that are no string, as a record may hold)."""
    _ensure_loaded()
    return _operators.get(name) if isinstance(name, str) else None


def names() -> list[str]:
    """Every registered operator name, sorted."""
    _ensure_loaded()
    return sorted(_operators)


def operators() -> list[AnonymizationOperator[Any]]:
    """Every registered operator, in name order."""
    _ensure_loaded()
    return [_operators[n] for n in sorted(_operators)]


def reload_entry_points() -> None:
    """Read the ``piiwarden.operators`` entry points again (a distribution installed since the first read)."""
    _ensure_loaded()
    _load_entry_points()


def _ensure_loaded() -> None:
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        _load_builtins()
        _load_entry_points()
        _loaded = True


def _load_builtins() -> None:
    """Import every module of this package: each operator module registers its class."""
    package = importlib.import_module(__package__ or "scanner.anonymize.operators")
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{info.name}")


def _load_entry_points() -> None:
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = ep.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin is named, not a traceback
            raise RegistryError(f"entry point {ENTRY_POINT_GROUP}:{ep.name} ({ep.value}) cannot be loaded "
                                f"({type(exc).__name__})") from exc
        if getattr(cls, "name", None) != ep.name:
            raise RegistryError(f"entry point {ENTRY_POINT_GROUP}:{ep.name} loads an operator named "
                                f"{getattr(cls, 'name', None)!r}; the two names must be the same")
        register(cls)
