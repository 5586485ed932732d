"""Images (scanned ID cards, photographed contracts): OCR with --ocr, else listed as not read."""

from __future__ import annotations

from typing import ClassVar

from scanner.formats._document import DocumentFormat


class ImageFormat(DocumentFormat):
    """Anonymized only with --ocr, by black boxes burned over the words that hold values; else refused."""

    name: ClassVar[str] = "image"
    suffixes: ClassVar[tuple[str, ...]] = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp")


FORMAT = ImageFormat()
