"""Rewriting .docx span by span, run formatting kept (see ``scanner.documents.runs``)."""

from __future__ import annotations

from typing import BinaryIO

from scanner.documents.officexml import (
    rewrite_attributes,
    rewrite_core_properties,
    rewrite_each,
    rewrite_external_links,
    rewrite_images,
    rewrite_paragraphs,
)
from scanner.documents.paths import DocPath
from scanner.documents.rewriter import RewriteContext, Rewriter
from scanner.documents.sniff import check_ooxml


def rewrite(src: BinaryIO, dst: BinaryIO, path: DocPath, ctx: RewriteContext) -> None:
    """Every WordprocessingML part: paragraphs (body, tables, headers, footers, comments, notes),
    deleted-revision text, field codes, authors, external links; then the core properties."""
    import docx
    from docx.opc.part import XmlPart
    from docx.oxml.ns import qn

    check_ooxml(src, "docx")
    document = docx.Document(src)
    space = "{http://www.w3.org/XML/1998/namespace}space"
    for part in document.part.package.iter_parts():
        rewrite_external_links(part, ctx.rewrite)
        if not isinstance(part, XmlPart):
            continue
        root = part.element
        rewrite_paragraphs(root, qn("w:p"), qn("w:t"), ctx.rewrite, space)
        rewrite_each(root.iter(qn("w:delText"), qn("w:instrText")), ctx.rewrite)
        rewrite_attributes(root, (qn("w:author"), qn("w:initials")), ctx.rewrite)
    rewrite_core_properties(document.core_properties, ctx.rewrite)
    rewrite_images(document.part.package, path, ctx)
    document.save(dst)


REWRITER = Rewriter("docx", (".docx", ".docm"), rewrite)
