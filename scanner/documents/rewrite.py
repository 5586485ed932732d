"""Rewriting a document and everything nested in it for ``anonymize``.

``rewrite_document`` is what the scanner's anonymize format files call. Members of archives and
attachments go through the rewriter their name picks; a member of a type no rewriter knows is
copied unchanged and listed in the result (it was reported as not read by the scan); a member
that cannot be rewritten safely (PDF, image) makes the whole file fail, so no unredacted copy is
ever written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from scanner.documents.errors import DocumentError
from scanner.documents.limits import Budget, Limits
from scanner.documents.ocr import Ocr
from scanner.documents.paths import DocPath
from scanner.documents.registry import rewriter_for
from scanner.documents.rewriter import RewriteContext, rewrite_bytes
from scanner.documents.runs import Rewrite


@dataclass(frozen=True, slots=True)
class RewriteResult:
    """What the rewrite left as it was: members of unknown type, and pictures embedded in Office
    files when OCR is off (the scan counted both as not read; the caller reports them)."""

    copied: tuple[DocPath, ...]


def _member(path: DocPath, data: bytes, ctx: RewriteContext) -> bytes:
    if path.depth > ctx.limits.max_depth:
        raise DocumentError(f"archive nesting over depth limit {ctx.limits.max_depth}", "limit")
    rewriter = rewriter_for(path.name)
    if rewriter is None:
        ctx.copied.append(path)
        return data
    return rewrite_bytes(rewriter.rewrite, data, path, ctx)


def rewrite_document(
    name: str,
    src: BinaryIO,
    dst: BinaryIO,
    rewrite: Rewrite,
    limits: Limits | None = None,
    ocr: Ocr | None = None,
) -> RewriteResult:
    """Copy document ``name`` from ``src`` to ``dst`` with every text passed through ``rewrite``.

    With ``ocr``, images are redacted (black boxes burned over the OCR words whose text
    ``rewrite`` changes); without it they are refused.

    Raises ``DocumentError`` (one value-free line) when the document or any member cannot be
    rewritten safely; ``dst`` then holds a partial write the caller must discard.
    """
    limits = limits or Limits()
    rewriter = rewriter_for(name)
    if rewriter is None:
        raise DocumentError("unsupported document type", "unsupported")
    ctx = RewriteContext(rewrite, limits, Budget(limits), _member, ocr)
    try:
        rewriter.rewrite(src, dst, DocPath(name), ctx)
    except DocumentError:
        raise
    except Exception:  # noqa: BLE001 - library failures on hostile bytes: one value-free line
        raise DocumentError(f"corrupt {rewriter.name}", "corrupt") from None
    return RewriteResult(tuple(ctx.copied))
