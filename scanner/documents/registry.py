"""The document readers, one module per format in ``scanner/documents/readers/``.

Each module there defines ``READER = Reader(...)``; adding a format is adding one such file (and
its test), nothing else. Discovery is by package listing, done once.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from scanner.documents import readers
from scanner.documents.reader import Reader


@cache
def all_readers() -> tuple[Reader, ...]:
    """Every reader module's ``READER``, in module-name order."""
    found: list[Reader] = []
    for info in sorted(pkgutil.iter_modules(readers.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{readers.__name__}.{info.name}")
        reader = getattr(module, "READER", None)
        if isinstance(reader, Reader):
            found.append(reader)
    return tuple(found)


def reader_for(name: str) -> Reader | None:
    """The reader whose suffix ends ``name`` (case-insensitive, longest suffix wins: .tar.gz > .gz)."""
    lowered = name.lower()
    best: tuple[int, Reader] | None = None
    for reader in all_readers():
        for suffix in reader.suffixes:
            if lowered.endswith(suffix) and (best is None or len(suffix) > best[0]):
                best = (len(suffix), reader)
    return None if best is None else best[1]


def supported_suffixes() -> frozenset[str]:
    """Every suffix some reader claims (what a file-share walk should pick up)."""
    return frozenset(s for reader in all_readers() for s in reader.suffixes)
