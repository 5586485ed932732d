"""Nested document ids: ``mail/2025-03.zip!/inbox/123.eml!/附件.xlsx#Sheet1``.

``!/`` enters an archive member or an e-mail attachment, ``#`` names a table or sheet inside the
innermost document. ``format_id`` is the only function that builds these strings and
``parse_id`` the only one that reads them, so the notation lives in one place. A name that itself
contains ``%``, ``#`` or ``!/`` is percent-escaped (``%25``, ``%23``, ``%21/``) so every id parses
back to exactly the path that produced it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ENTER = "!/"
TABLE = "#"
_ESCAPES = {"%": "%25", "#": "%23"}
_UNESCAPE = re.compile(r"%(25|23|21)")


def _escape(name: str) -> str:
    out = "".join(_ESCAPES.get(ch, ch) for ch in name)
    return out.replace(ENTER, "%21/")


def _unescape(text: str) -> str:
    return _UNESCAPE.sub(lambda m: {"25": "%", "23": "#", "21": "!"}[m.group(1)], text)


@dataclass(frozen=True, slots=True)
class DocPath:
    """Where a part lives: the file, the members entered from it, and an optional table name."""

    file: str
    members: tuple[str, ...] = ()
    table: str | None = None

    def enter(self, member: str) -> DocPath:
        """The path of ``member`` inside this document (an archive member or attachment)."""
        return DocPath(self.file, (*self.members, member))

    def with_table(self, name: str) -> DocPath:
        """The path of a table or sheet inside this document."""
        return DocPath(self.file, self.members, name)

    @property
    def document(self) -> DocPath:
        """The document this path points into, without a table."""
        return DocPath(self.file, self.members)

    @property
    def name(self) -> str:
        """The innermost document's own name (its suffix picks the reader)."""
        return self.members[-1] if self.members else self.file

    @property
    def depth(self) -> int:
        """How many archives or attachments were entered to reach this document."""
        return len(self.members)

    def __str__(self) -> str:
        return format_id(self)


def format_id(path: DocPath) -> str:
    """The id string for ``path``; ``parse_id(format_id(p)) == p`` for every path."""
    text = ENTER.join(_escape(part) for part in (path.file, *path.members))
    return text if path.table is None else f"{text}{TABLE}{_escape(path.table)}"


def parse_id(text: str) -> DocPath:
    """The path an id string names; the inverse of ``format_id``."""
    head, sep, table = text.partition(TABLE)
    parts = [_unescape(part) for part in head.split(ENTER)]
    return DocPath(parts[0], tuple(parts[1:]), _unescape(table) if sep else None)
