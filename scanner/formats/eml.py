"""E-mail messages: address headers, subject and bodies as text; attachments are documents of their own (`123.eml!/附件.xlsx#Sheet1`)."""

from __future__ import annotations

from typing import ClassVar

from scanner.formats._document import DocumentFormat


class EmlFormat(DocumentFormat):
    """Anonymized headers, bodies and attachments alike; the MIME structure is kept."""

    name: ClassVar[str] = "eml"
    suffixes: ClassVar[tuple[str, ...]] = (".eml",)


FORMAT = EmlFormat()
