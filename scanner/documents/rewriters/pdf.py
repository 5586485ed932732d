"""Redacting PDFs with PDFium (pypdfium2: Apache-2.0 / BSD-3-Clause, compatible with the project).

True redaction, not a box drawn over text that stays extractable: every text object holding a
character that ``rewrite`` changes is *removed from the page's content stream* and a black box is
drawn where it was; the page content is regenerated and the file saved without incremental
update, so the old content stream is not carried over. A text object is usually a line or a
word, so the redaction can be wider than the value (a whole line blacked out): safe side.

Images on a page are redacted like image files when OCR is on (boxes burned into the pixels of
the image object). Without OCR, an image-only page (a scan) is refused; a picture beside a text
layer is kept and listed in ``RewriteResult.copied``, as for pictures in Office files.

Afterwards the document-information entries and bookmark titles are rewritten, XMP metadata
dropped, and the result is read again: if ``rewrite`` still changes any page's text, or text
sits where PDFium cannot remove it (inside a form XObject), the PDF is refused. pikepdf
(MPL-2.0) and pypdf (BSD) edit objects but offer no glyph-level redaction; PyMuPDF's
``apply_redactions`` is AGPL-3.0; so PDFium is the engine.
"""

from __future__ import annotations

import ctypes
import io
from difflib import SequenceMatcher
from typing import Any, BinaryIO

from scanner.documents.errors import DocumentError
from scanner.documents.limits import read_all
from scanner.documents.paths import DocPath
from scanner.documents.readers.pdf import open_pdf
from scanner.documents.rewriter import RewriteContext, Rewriter
from scanner.documents.rewriters.image import redact as redact_image
from scanner.documents.runs import Rewrite


def _refuse(reason: str) -> DocumentError:
    return DocumentError(f"cannot redact PDF safely: {reason}", "unsupported")


def _changed_objects(textpage: Any, rewrite: Rewrite) -> tuple[str, list[Any]]:
    """The page's text and the text objects owning a character that ``rewrite`` changes."""
    import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped]

    text = textpage.get_text_range()
    new = rewrite(text)
    found: dict[int, Any] = {}
    if new == text:
        return text, []
    for tag, i1, i2, _, _ in SequenceMatcher(None, text, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        for index in range(max(0, i1 - 1) if i1 == i2 else i1, max(i2, i1 + 1)):
            obj = pdfium_c.FPDFText_GetTextObject(textpage.raw, index)
            if obj:
                found.setdefault(ctypes.addressof(obj.contents), obj)
    return text, list(found.values())


def _black_box(page: Any, obj: Any) -> None:
    """Remove text object ``obj`` from ``page`` and fill its bounds with black."""
    import pypdfium2.raw as pdfium_c

    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top)
    if not pdfium_c.FPDFPage_RemoveObject(page.raw, obj):
        raise _refuse("text inside a form object")
    pdfium_c.FPDFPageObj_Destroy(obj)
    box = pdfium_c.FPDFPageObj_CreateNewRect(
        left.value, bottom.value, right.value - left.value, top.value - bottom.value
    )
    pdfium_c.FPDFPageObj_SetFillColor(box, 0, 0, 0, 255)
    pdfium_c.FPDFPath_SetDrawMode(box, pdfium_c.FPDF_FILLMODE_ALTERNATE, 0)
    pdfium_c.FPDFPage_InsertObject(page.raw, box)


def _images(page: Any, has_text: bool, path: DocPath, number: int, ctx: RewriteContext) -> None:
    """Image objects: OCR-redacted, or refused (scanned page) / listed (picture beside text)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    for index, image in enumerate(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]), start=1):
        if ctx.ocr is None:
            if not has_text:
                raise _refuse("image-only page needs OCR")
            ctx.copied.append(path.enter(f"page{number}/image{index}"))
            continue
        png = io.BytesIO()
        image.get_bitmap(render=False).to_pil().save(png, format="PNG")
        redacted = redact_image(png.getvalue(), "PNG", ctx.ocr, ctx.rewrite)
        from PIL import Image

        with Image.open(io.BytesIO(redacted)) as pixels:
            image.set_bitmap(pdfium.PdfBitmap.from_pil(pixels.convert("RGB")), pages=[page])


def _redact_pages(data: bytes, path: DocPath, ctx: RewriteContext) -> bytes:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    document = pdfium.PdfDocument(data)
    try:
        for number in range(1, len(document) + 1):
            page = document[number - 1]
            if pdfium_c.FPDFPage_GetAnnotCount(page.raw):
                pdfium_c.FPDFPage_Flatten(page.raw, pdfium_c.FLAT_NORMALDISPLAY)
            textpage = page.get_textpage()
            text, objects = _changed_objects(textpage, ctx.rewrite)
            textpage.close()
            for obj in objects:
                _black_box(page, obj)
            _images(page, bool(text.strip()), path, number, ctx)
            page.gen_content()
            page.close()
        out = io.BytesIO()
        document.save(out, flags=pdfium_c.FPDF_NO_INCREMENTAL)
        return out.getvalue()
    finally:
        document.close()


def _rewrite_outline(node: Any, rewrite: Rewrite) -> None:
    from pypdf.generic import TextStringObject

    seen: set[int] = set()
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        item = node.get_object()
        if "/Title" in item:
            item[pypdf_name("/Title")] = TextStringObject(rewrite(str(item["/Title"])))
        if "/First" in item:
            _rewrite_outline(item["/First"], rewrite)
        node = item.get("/Next")


def pypdf_name(name: str) -> Any:
    from pypdf.generic import NameObject

    return NameObject(name)


def _clean_metadata(data: bytes, rewrite: Rewrite) -> bytes:
    """Info entries and bookmark titles rewritten, XMP dropped, embedded files refused; pypdf
    writes only the objects reachable from the catalog (no orphaned original streams)."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    if reader.attachments:
        raise _refuse("embedded files")
    writer = pypdf.PdfWriter(clone_from=reader)
    root = writer._root_object
    root.pop("/Metadata", None)
    outlines: Any = root.get("/Outlines")
    outlines = outlines.get_object() if outlines is not None else None
    if outlines is not None and "/First" in outlines:
        _rewrite_outline(outlines["/First"], rewrite)
    info: dict[str, Any] = dict(reader.metadata or {})
    writer.metadata = {str(k): rewrite(str(v)) for k, v in info.items() if isinstance(v, str)}
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _verify(data: bytes, rewrite: Rewrite) -> None:
    """Read the result again: no page text that ``rewrite`` would still change."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        for page in document:
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            textpage.close()
            if rewrite(text) != text:
                raise _refuse("text still readable after redaction")
    finally:
        document.close()


def rewrite(src: BinaryIO, dst: BinaryIO, path: DocPath, ctx: RewriteContext) -> None:
    data = read_all(src, ctx.limits)
    open_pdf(data, ctx.limits.max_pdf_pages).close()  # encrypted, corrupt, page limit: as the reader says
    redacted = _clean_metadata(_redact_pages(data, path, ctx), ctx.rewrite)
    _verify(redacted, ctx.rewrite)
    dst.write(redacted)


REWRITER = Rewriter("pdf", (".pdf",), rewrite)
