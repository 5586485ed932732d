"""What readers yield: parts of text with their location, and records of what was not read.

A reader turns one document into a lazy stream of records, page by page or member by member, so
that a 2,000-page PDF or a mailbox archive never sits in memory whole. Detection consumes
``Part.text`` (a free-text column) or ``Part.rows`` (a table dataset of its own, named by
``Part.path.table``); the report counts ``NotRead`` (the auditor's blind spots: images without
OCR, unsupported members) and ``Unreadable`` (encrypted or corrupt members).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Literal

from scanner.documents.paths import DocPath

LocationKind = Literal[
    "page", "paragraph", "slide", "sheet", "cell", "table", "header", "footer",
    "comment", "notes", "body", "subject", "image",
]  # fmt: skip
NotReadKind = Literal["image", "image_page", "unsupported"]


@dataclass(frozen=True, slots=True)
class Part:
    """One located piece of text, or one chunk of a table's rows.

    ``index`` is 1-based within ``kind`` (page 3, paragraph 12, slide 2); for table chunks it is
    the 1-based number of the chunk's first row, so a large sheet streams as several parts that
    share ``path`` (``book.xls#Sheet1``) and continue each other.
    """

    path: DocPath
    kind: LocationKind
    index: int
    text: str = ""
    rows: tuple[tuple[str, ...], ...] | None = None
    label: str | None = None  # header name ("From"), sheet name, slide of a table
    ocr: bool = False  # text came from OCR, not from a text layer

    @property
    def is_table(self) -> bool:
        return self.rows is not None


@dataclass(frozen=True, slots=True)
class NotRead:
    """Content that exists but was not read: an auditor must see it counted."""

    path: DocPath
    kind: NotReadKind
    index: int = 1  # the page of an image-only PDF page, else 1
    reason: str = ""  # fixed wording, e.g. "OCR off"


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A nested member that could not be read (encrypted, corrupt); its siblings still are."""

    path: DocPath
    error: str  # DocumentError.line: value-free


@dataclass(slots=True)
class Member:
    """A document nested in another (archive member, e-mail attachment) for the walker to enter.

    ``stream`` is read once, forward; it is only valid until the reader yields its next record.
    """

    path: DocPath
    stream: BinaryIO


Record = Part | NotRead | Unreadable
