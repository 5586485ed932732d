"""Readers and rewriters, one module per format in ``readers/`` and ``rewriters/``.

Each module there defines ``READER = Reader(...)`` or ``REWRITER = Rewriter(...)``; adding a
format is adding such a file (and its test), nothing else. Discovery is by package listing, done
once; a name picks its format by the longest matching suffix (``.tar.gz`` before ``.gz``).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from functools import cache
from types import ModuleType
from typing import Protocol, TypeVar

from scanner.documents import readers, rewriters
from scanner.documents.reader import Reader
from scanner.documents.rewriter import Rewriter


class _Suffixed(Protocol):
    @property
    def suffixes(self) -> tuple[str, ...]: ...


T = TypeVar("T", bound=_Suffixed)


def _discover(package: ModuleType, attribute: str, kind: type[T]) -> tuple[T, ...]:
    found: list[T] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        member = getattr(importlib.import_module(f"{package.__name__}.{info.name}"), attribute, None)
        if isinstance(member, kind):
            found.append(member)
    return tuple(found)


def _by_suffix(name: str, candidates: Sequence[T]) -> T | None:
    lowered = name.lower()
    best: tuple[int, T] | None = None
    for candidate in candidates:
        for suffix in candidate.suffixes:
            if lowered.endswith(suffix) and (best is None or len(suffix) > best[0]):
                best = (len(suffix), candidate)
    return None if best is None else best[1]


@cache
def all_readers() -> tuple[Reader, ...]:
    """Every ``readers/*.py`` module's ``READER``, in module-name order."""
    return _discover(readers, "READER", Reader)


@cache
def all_rewriters() -> tuple[Rewriter, ...]:
    """Every ``rewriters/*.py`` module's ``REWRITER``, in module-name order."""
    return _discover(rewriters, "REWRITER", Rewriter)


def reader_for(name: str) -> Reader | None:
    """The reader for document ``name``, or None (reported as not read)."""
    return _by_suffix(name, all_readers())


def rewriter_for(name: str) -> Rewriter | None:
    """The rewriter for document ``name``, or None (copied unchanged inside containers)."""
    return _by_suffix(name, all_rewriters())


def supported_suffixes() -> frozenset[str]:
    """Every suffix some reader claims (what a file-share walk should pick up)."""
    return frozenset(s for reader in all_readers() for s in reader.suffixes)
