"""PowerPoint decks: slides and speaker notes as text (location `slide`), each table a dataset."""

from __future__ import annotations

from typing import ClassVar

from scanner.formats._document import DocumentFormat


class PptxFormat(DocumentFormat):
    """Read with python-pptx; anonymized run by run so that every run keeps its style."""

    name: ClassVar[str] = "pptx"
    suffixes: ClassVar[tuple[str, ...]] = (".pptx", ".pptm")


FORMAT = PptxFormat()
