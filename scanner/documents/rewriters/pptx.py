"""Rewriting .pptx span by span, run formatting kept (see ``scanner.documents.runs``)."""

from __future__ import annotations

from typing import BinaryIO

from scanner.documents.officexml import (
    rewrite_attributes,
    rewrite_core_properties,
    rewrite_external_links,
    rewrite_images,
    rewrite_paragraphs,
)
from scanner.documents.paths import DocPath
from scanner.documents.rewriter import RewriteContext, Rewriter
from scanner.documents.sniff import check_ooxml

_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"


def rewrite(src: BinaryIO, dst: BinaryIO, path: DocPath, ctx: RewriteContext) -> None:
    """Every XML part (slides with their tables, notes, layouts, masters): DrawingML paragraphs;
    comment authors and texts; external links; then the core properties."""
    from pptx import Presentation
    from pptx.opc.package import XmlPart

    check_ooxml(src, "pptx")
    deck = Presentation(src)
    for part in deck.part.package.iter_parts():
        rewrite_external_links(part, ctx.rewrite)
        if not isinstance(part, XmlPart):
            continue
        root = part._element
        rewrite_paragraphs(root, f"{_A}p", f"{_A}t", ctx.rewrite, None)
        rewrite_paragraphs(root, f"{_P}cm", f"{_P}text", ctx.rewrite, None)
        if str(part.partname).endswith("commentAuthors.xml"):
            rewrite_attributes(root, ("name", "initials"), ctx.rewrite)
    rewrite_core_properties(deck.core_properties, ctx.rewrite)
    rewrite_images(deck.part.package, path, ctx)
    deck.save(dst)


REWRITER = Rewriter("pptx", (".pptx", ".pptm"), rewrite)
