"""HTML pages: their visible text (scripts and styles left out)."""

from __future__ import annotations

from typing import ClassVar

from scanner.formats._document import DocumentFormat


class HtmlFormat(DocumentFormat):
    """Anonymized as text: only the sensitive spans change."""

    name: ClassVar[str] = "html"
    suffixes: ClassVar[tuple[str, ...]] = (".html", ".htm")


FORMAT = HtmlFormat()
