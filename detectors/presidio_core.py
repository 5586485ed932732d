"""Presidio's recognizer classes without loading the whole analyzer package up front.

Why: every detector is a Presidio recognizer, so the first detection import
needs ``PatternRecognizer``. But ``presidio_analyzer/__init__`` also imports
the analyzer engine, spaCy (through its NLP engine) and about 240 country
recognizers that compile their regexes at import: about 1 s of CPU before a
two-row CSV is read, for a structured scan that never runs an NLP pipeline.

What: ``install()`` (run once by ``detectors/__init__``, before any detector
module body) registers the package module without executing its
``__init__`` and imports only the modules the recognizer classes live in,
in ``__init__``'s own order, setting the names on the package exactly as
``__init__`` would. The first access to any other name
(``from presidio_analyzer import AnalyzerEngine``, the free-text path)
executes the real ``__init__`` in the same module object (PEP 562 module
``__getattr__``): the modules already loaded are reused, so every class is
the same object before and after, and the package ends up exactly as a plain
``import presidio_analyzer`` leaves it. If the package is already imported,
or its layout differs (another Presidio release), nothing is changed and the
normal import happens.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

PACKAGE = "presidio_analyzer"
# (module, name) in presidio_analyzer/__init__'s order: each module imports only names set before it.
CORE = (
    ("analysis_explanation", "AnalysisExplanation"),
    ("recognizer_result", "RecognizerResult"),
    ("entity_recognizer", "EntityRecognizer"),
    ("local_recognizer", "LocalRecognizer"),
    ("pattern", "Pattern"),
    ("pattern_recognizer", "PatternRecognizer"),
)

_lock = threading.RLock()


def install() -> None:
    """Make ``presidio_analyzer``'s recognizer classes importable without the rest of the package."""
    with _lock:
        if PACKAGE in sys.modules:
            return
        spec = importlib.util.find_spec(PACKAGE)
        if spec is None or spec.loader is None or spec.submodule_search_locations is None:
            return  # not installed as a package: let the normal import report it
        package = importlib.util.module_from_spec(spec)
        sys.modules[PACKAGE] = package
        try:
            for module, name in CORE:
                setattr(package, name, getattr(importlib.import_module(f"{PACKAGE}.{module}"), name))
        except (ImportError, AttributeError):  # another layout: fall back to the whole package
            _forget_partial()
            return
        package.__getattr__ = _completer(package)  # type: ignore[method-assign]


def complete() -> types.ModuleType:
    """The whole ``presidio_analyzer`` package (its ``__init__`` executed), whatever ``install`` did."""
    with _lock:
        package = sys.modules.get(PACKAGE)
        if package is None or not is_partial():
            return importlib.import_module(PACKAGE)
        del package.__dict__["__getattr__"]
        spec = package.__spec__
        assert spec is not None and spec.loader is not None
        try:
            spec.loader.exec_module(package)
        except BaseException:
            _forget_partial()  # a later import starts from scratch rather than from a half-run __init__
            raise
        return package


def is_partial() -> bool:
    """Whether the package is registered by ``install`` and its ``__init__`` has not run yet."""
    package = sys.modules.get(PACKAGE)
    return package is not None and "__getattr__" in package.__dict__


def _completer(package: types.ModuleType) -> Any:
    """The package's ``__getattr__``: any name ``install`` did not set completes the package first."""

    def __getattr__(name: str) -> Any:
        if name.startswith("__") and name != "__all__":  # probes (__wrapped__, ...) complete nothing; import * does
            raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}")
        return getattr(complete(), name)

    return __getattr__


def _forget_partial() -> None:
    """Drop the partial package and the core modules so that the next import is an ordinary one."""
    for module, _ in CORE:
        sys.modules.pop(f"{PACKAGE}.{module}", None)
    sys.modules.pop(PACKAGE, None)
