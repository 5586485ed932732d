"""Images (scanned ID cards, photographed contracts): OCR when on, else counted as not read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from scanner.documents.limits import read_all
from scanner.documents.parts import NotRead, Part
from scanner.documents.paths import DocPath
from scanner.documents.reader import ReadContext, Reader

SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp")


def read(stream: BinaryIO, path: DocPath, ctx: ReadContext) -> Iterator[Part | NotRead]:
    """One ``image`` part from OCR (index 1), or one ``NotRead`` image without OCR."""
    if ctx.ocr is None:
        yield NotRead(path, "image", 1, "OCR off")
        return
    text = ctx.ocr.text(read_all(stream, ctx.limits))
    if text.strip():
        yield Part(path, "image", 1, text, ocr=True)


READER = Reader("image", SUFFIXES, read, seekable=False)
