"""Word documents: paragraphs, headers, footers and comments as text; each table a dataset (`合同.docx#table1`)."""

from __future__ import annotations

from typing import ClassVar

from scanner.formats._document import DocumentFormat


class DocxFormat(DocumentFormat):
    """Read with python-docx; anonymized run by run so that every run keeps its style."""

    name: ClassVar[str] = "docx"
    suffixes: ClassVar[tuple[str, ...]] = (".docx", ".docm")


FORMAT = DocxFormat()
