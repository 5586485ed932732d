"""Rewriting the XML parts of an Office package (shared by the .docx and .pptx rewriters).

Every XML part is visited (body, headers, footers, comments, footnotes, slides, notes, masters),
so no text is missed because a library has no API for its part. Per paragraph the visible text
pieces are rewritten together (``runs.rewrite_pieces``); text that is not part of a visible
paragraph but still holds values (deleted revisions, field codes, author attributes, external
link targets) is rewritten piece by piece.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any

from scanner.documents.parts import Member
from scanner.documents.paths import DocPath
from scanner.documents.reader import ReadContext
from scanner.documents.rewriter import RewriteContext
from scanner.documents.runs import Rewrite, rewrite_pieces


def _own_pieces(paragraph: Any, p_tag: str, t_tag: str) -> list[Any]:
    """The paragraph's text elements, without those of paragraphs nested in it (text boxes)."""
    pieces = []
    for t in paragraph.iter(t_tag):
        parent = t.getparent()
        while parent is not None and parent.tag != p_tag:
            parent = parent.getparent()
        if parent is paragraph:
            pieces.append(t)
    return pieces


def rewrite_paragraphs(root: Any, p_tag: str, t_tag: str, rewrite: Rewrite, preserve: str | None) -> int:
    """Rewrite every paragraph under ``root`` in place; the number of paragraphs changed.

    ``preserve`` is the ``xml:space`` attribute name to set where leading/trailing spaces would
    otherwise be dropped by Word (WordprocessingML only).
    """
    changed = 0
    for paragraph in list(root.iter(p_tag)):
        pieces = _own_pieces(paragraph, p_tag, t_tag)
        new = rewrite_pieces([t.text or "" for t in pieces], rewrite)
        if new is None:
            continue
        changed += 1
        for t, text in zip(pieces, new):
            t.text = text
            if preserve and text != text.strip():
                t.set(preserve, "preserve")
    return changed


def rewrite_each(elements: Iterable[Any], rewrite: Rewrite) -> None:
    """Rewrite the text of each element on its own."""
    for element in elements:
        if element.text:
            element.text = rewrite(element.text)


def rewrite_attributes(root: Any, names: Iterable[str], rewrite: Rewrite) -> None:
    """Rewrite attribute values such as comment and revision authors."""
    wanted = tuple(names)
    for element in root.iter():
        for name in wanted:
            value = element.get(name)
            if value:
                element.set(name, rewrite(value))


def rewrite_external_links(part: Any, rewrite: Rewrite) -> None:
    """Rewrite external relationship targets (``mailto:张三@example.com`` hyperlinks)."""
    for rel in part.rels.values():
        if rel.is_external and isinstance(getattr(rel, "_target", None), str):
            rel._target = rewrite(rel._target)


def rewrite_core_properties(props: Any, rewrite: Rewrite) -> None:
    """Author, title and the other free-text document properties."""
    for name in ("author", "title", "subject", "keywords", "comments", "last_modified_by", "category"):
        value = getattr(props, name, None)
        if value:
            setattr(props, name, rewrite(value))


THUMBNAIL_REL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail"


def _is_thumbnail(partname: str) -> bool:
    """The package's preview picture: a rendering of the first page, whose text is read anyway."""
    return partname.lstrip("/").startswith("docProps/thumbnail")


def _image_parts(package: Any) -> Iterator[tuple[str, Any]]:
    """(name inside the package, part) for every embedded picture (``word/media/image1.png``),
    the preview thumbnail left out (``drop_thumbnail``)."""
    for part in package.iter_parts():
        if str(part.content_type).startswith("image/") and not _is_thumbnail(str(part.partname)):
            yield str(part.partname).lstrip("/"), part


def drop_thumbnail(package: Any) -> None:
    """Remove the preview picture from a package being anonymized: it shows the original first
    page, values included, and cannot be rewritten (Office renders a new one when it saves)."""
    rels = getattr(package, "_rels", None) or package.rels
    for rid in [rid for rid, rel in rels.items() if rel.reltype == THUMBNAIL_REL]:
        rels.pop(rid)


def image_members(package: Any, path: DocPath, ctx: ReadContext) -> Iterator[Member]:
    """Embedded pictures as nested members: a scanned ID card pasted into a contract is OCR'd
    like an image file, or counted as not read, instead of being invisible."""
    for name, part in _image_parts(package):
        ctx.budget.charge_member()
        ctx.budget.charge(len(part.blob))
        yield Member(path.enter(name), io.BytesIO(part.blob))


def rewrite_images(package: Any, path: DocPath, ctx: RewriteContext) -> None:
    """With OCR, embedded pictures are redacted like image files; without, they are kept and
    listed in ``ctx.copied`` so the caller reports them (the scan counted them as not read)."""
    drop_thumbnail(package)
    for name, part in _image_parts(package):
        member_path = path.enter(name)
        if ctx.ocr is None:
            ctx.copied.append(member_path)
            continue
        part._blob = ctx.member(member_path, part.blob, ctx)
