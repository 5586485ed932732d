"""PDF: the text layer page by page (location `page`); image-only pages through OCR with --ocr, else listed as not read."""

from __future__ import annotations

from typing import ClassVar

from scanner.formats._document import DocumentFormat


class PdfFormat(DocumentFormat):
    """Read and redacted with PDFium: text is removed from the content stream, never hidden under a box."""

    name: ClassVar[str] = "pdf"
    suffixes: ClassVar[tuple[str, ...]] = (".pdf",)


FORMAT = PdfFormat()
