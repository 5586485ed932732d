"""The rewriter protocol: how one document format is rewritten for ``anonymize``.

A rewriter copies a document from ``src`` to ``dst`` with every text passed through the caller's
``rewrite(text) -> text`` (span-level replacement is the caller's business), keeping structure and
formatting. Containers (archives, e-mails) hand their members back through
``RewriteContext.member``, which picks the member's rewriter, so no rewriter knows the others.
A format that cannot be rewritten safely raises ``DocumentError``: nothing is ever copied
unredacted.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from scanner.documents.errors import DocumentError
from scanner.documents.limits import Budget, Limits
from scanner.documents.ocr import Ocr
from scanner.documents.paths import DocPath
from scanner.documents.runs import Rewrite


@dataclass(slots=True)
class RewriteContext:
    """Per top-level file: the caller's rewrite, limits, and what was copied unchanged."""

    rewrite: Rewrite
    limits: Limits
    budget: Budget
    member: Callable[[DocPath, bytes, RewriteContext], bytes]
    ocr: Ocr | None = None  # images are redacted only with OCR boxes; without, they are refused
    copied: list[DocPath] = field(default_factory=list)  # members of unknown type, kept as they were


RewriteFn = Callable[[BinaryIO, BinaryIO, DocPath, RewriteContext], None]


@dataclass(frozen=True, slots=True)
class Rewriter:
    """A format's rewriter: the suffixes it claims and the copy-with-rewrite function."""

    name: str
    suffixes: tuple[str, ...]
    rewrite: RewriteFn


def refuse(line: str) -> RewriteFn:
    """A rewriter that always refuses (PDFs, images): never a silent unredacted copy."""

    def rewrite(src: BinaryIO, dst: BinaryIO, path: DocPath, ctx: RewriteContext) -> None:
        raise DocumentError(line, "unsupported")

    return rewrite


def rewrite_bytes(fn: RewriteFn, data: bytes, path: DocPath, ctx: RewriteContext) -> bytes:
    """``fn`` applied in memory (for members and attachments)."""
    out = io.BytesIO()
    fn(io.BytesIO(data), out, path, ctx)
    return out.getvalue()
