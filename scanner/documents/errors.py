"""The one error documents raise: a single value-free line, never a traceback.

Documents are hostile input (encrypted contracts, truncated PDFs, zip bombs, ``../../x``
members). Callers print ``DocumentError.line`` as the whole explanation and exit 3, so the
line is built here from fixed words and counts only: library exception texts may quote file
names, cell values or passwords and are never carried over.
"""

from __future__ import annotations

from typing import Literal

ErrorKind = Literal["encrypted", "corrupt", "limit", "unsafe", "unsupported"]


class DocumentError(Exception):
    """A document (or a member inside it) that cannot be read or rewritten safely.

    ``kind`` lets a walker decide whether to go on: an encrypted or corrupt *member* is reported
    and its siblings are still read, while a limit or unsafe-name violation means the container
    itself is hostile and reading it stops (``fatal``).
    """

    def __init__(self, line: str, kind: ErrorKind) -> None:
        super().__init__(line)
        self.line = line
        self.kind: ErrorKind = kind

    @property
    def fatal(self) -> bool:
        """True when the container as a whole must not be read any further."""
        return self.kind in ("limit", "unsafe")


def encrypted() -> DocumentError:
    """Password-protected Office file, PDF or zip member."""
    return DocumentError("encrypted document", "encrypted")


def corrupt(what: str, detail: str = "") -> DocumentError:
    """A file of a known type that its library cannot parse; ``detail`` must be fixed wording."""
    return DocumentError(f"corrupt {what}: {detail}" if detail else f"corrupt {what}", "corrupt")
