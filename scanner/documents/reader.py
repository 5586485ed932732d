"""The reader protocol: what one document format provides to the walker.

A reader is a generator function ``read(stream, path, ctx)`` yielding records (``Part``,
``NotRead``, ``Unreadable``) and ``Member``s for nested documents; the walker (``walk.py``)
enters the members, so a reader never recurses and never needs to know which formats exist.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from scanner.documents.limits import Budget, Limits
from scanner.documents.ocr import Ocr
from scanner.documents.parts import Member, Record
from scanner.documents.paths import DocPath


@dataclass(slots=True)
class ReadContext:
    """Per top-level file: its limits, the shared budget, and OCR when ``--ocr`` is on."""

    limits: Limits
    budget: Budget
    ocr: Ocr | None = None


ReadFn = Callable[[BinaryIO, DocPath, ReadContext], Iterator["Record | Member"]]


@dataclass(frozen=True, slots=True)
class Reader:
    """A document format: the name suffixes it claims and how to read it.

    ``seekable`` readers (zip-based Office files, PDFs) get an in-memory copy of a nested member
    (bounded by ``Limits.max_member_bytes``); the others read the member's stream forward.
    """

    name: str
    suffixes: tuple[str, ...]
    read: ReadFn
    seekable: bool = True
