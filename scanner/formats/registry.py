"""The format registry: every file format piiwarden reads, by name and by suffix.

Built-in formats are the modules of this package (each exposes ``FORMAT``),
found by listing the package, so adding one is adding a file. Formats from
other distributions come through the ``piiwarden.formats`` entry point group
(the entry point names a ``Format`` subclass or instance), or from code
calling ``register``. Loading is lazy: nothing is imported until the first
lookup, so commands that never open a file pay nothing.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from importlib.metadata import entry_points
from pathlib import Path

from scanner.formats.base import Format

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "piiwarden.formats"
# Modules of this package that are machinery, not formats.
_NOT_FORMATS = frozenset({"base", "registry"})

_BY_NAME: dict[str, Format] = {}
_BY_SUFFIX: dict[str, Format] = {}
_state = {"loaded": False}


class UnknownFormat(KeyError):
    """A format name nothing registered."""


def register(fmt: Format | type[Format], replace: bool = False) -> Format:
    """Make a format available to scan and anonymize; returns the registered instance.

    A second format under a taken name or suffix is refused unless
    ``replace``: silently shadowing ``.csv`` would change every scan.
    """
    _ensure_loaded()  # built-ins first, so a clash with one is seen now, not at the first lookup
    instance = fmt() if isinstance(fmt, type) else fmt
    if not isinstance(instance, Format):
        raise TypeError(f"{instance!r} is not a scanner.formats.Format")
    if not getattr(instance, "name", ""):
        raise ValueError(f"{type(instance).__name__} has no name")
    if not replace:
        if instance.name in _BY_NAME and _BY_NAME[instance.name] is not instance:
            raise ValueError(f"format {instance.name!r} is already registered")
        taken = [s for s in instance.suffixes if s.lower() in _BY_SUFFIX]
        if taken:
            raise ValueError(f"suffix {taken[0]} already belongs to format {_BY_SUFFIX[taken[0].lower()].name!r}")
    old = _BY_NAME.get(instance.name)
    if old is not None:
        for suffix in old.suffixes:
            _BY_SUFFIX.pop(suffix.lower(), None)
    _BY_NAME[instance.name] = instance
    for suffix in instance.suffixes:
        _BY_SUFFIX[suffix.lower()] = instance
    return instance


def unregister(name: str) -> None:
    """Remove a format (tests that register a throwaway one clean up with this)."""
    fmt = _BY_NAME.pop(name, None)
    if fmt is not None:
        for suffix in fmt.suffixes:
            if _BY_SUFFIX.get(suffix.lower()) is fmt:
                del _BY_SUFFIX[suffix.lower()]


def get(name: str) -> Format:
    """The format registered under ``name`` (``UnknownFormat`` if none)."""
    _ensure_loaded()
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownFormat(name) from None


def find(name: str) -> Format | None:
    """The format registered under ``name``, or None (``table``, the format of database tables, has none)."""
    _ensure_loaded()
    return _BY_NAME.get(name)


def by_suffix(suffix: str) -> Format | None:
    """The format that reads files ending in ``suffix`` (``.csv``, case-insensitive), or None."""
    _ensure_loaded()
    return _BY_SUFFIX.get(suffix.lower())


def for_path(path: str | Path) -> Format | None:
    """The format that reads this file, judged by its suffix."""
    return by_suffix(Path(path).suffix)


def all_formats() -> list[Format]:
    """Every registered format, built-ins first, in registration order."""
    _ensure_loaded()
    return list(_BY_NAME.values())


def load_entry_points() -> list[str]:
    """Register the formats other installed distributions declare; returns their names.

    Called once by the first lookup; call again after installing a
    distribution in a running process. A broken plug-in is logged and
    skipped: one bad package must not stop every scan.
    """
    added = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            fmt = register(ep.load(), replace=True)
        except Exception as exc:  # noqa: BLE001 - a third-party plug-in's failure is that plug-in's
            log.warning("format plug-in %s not loaded (%s)", ep.name, type(exc).__name__)
            continue
        added.append(fmt.name)
    return added


def _ensure_loaded() -> None:
    if _state["loaded"]:
        return
    _state["loaded"] = True
    package = importlib.import_module("scanner.formats")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name in _NOT_FORMATS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"scanner.formats.{info.name}")
        register(module.FORMAT)
    load_entry_points()
