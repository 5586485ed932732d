"""The dialect registry: SQLAlchemy dialect name -> the ``Dialect`` that knows that backend.

Built-in dialects are the modules of this package that expose ``DIALECT``,
found by listing the package (a new backend is one new file). A backend
nobody registered gets the base ``Dialect``: exact counts, generic sampling,
no grants, which is safe everywhere.
"""

from __future__ import annotations

import importlib
import pkgutil

from scanner.connectors.sql.base import Dialect

_NOT_DIALECTS = frozenset({"base", "registry"})
_BY_NAME: dict[str, Dialect] = {}
_GENERIC = Dialect()
_state = {"loaded": False}


def register(dialect: Dialect | type[Dialect]) -> Dialect:
    """Serve the dialect's ``names`` with it (a later registration replaces an earlier one)."""
    _ensure_loaded()
    instance = dialect() if isinstance(dialect, type) else dialect
    if not instance.names:
        raise ValueError(f"{type(instance).__name__} serves no dialect names")
    for name in instance.names:
        _BY_NAME[name] = instance
    return instance


def dialect_for(name: str) -> Dialect:
    """The dialect for a SQLAlchemy dialect name (``engine.dialect.name``); the generic one if unknown."""
    _ensure_loaded()
    return _BY_NAME.get(name, _GENERIC)


def known_dialects() -> list[str]:
    """Every dialect name with a dedicated class."""
    _ensure_loaded()
    return sorted(_BY_NAME)


def _ensure_loaded() -> None:
    if _state["loaded"]:
        return
    _state["loaded"] = True
    package = importlib.import_module("scanner.connectors.sql")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name in _NOT_DIALECTS or info.name.startswith("_"):
            continue
        dialect = importlib.import_module(f"scanner.connectors.sql.{info.name}").DIALECT
        for name in dialect.names:
            _BY_NAME[name] = dialect
