"""Paths built from data stay inside the output folder: the one place that turns names into paths.

Dataset ids, table names, sheet names and archive members come from the
data being scanned, and a table may well be called ``../esc1`` or
``/etc/cron.d/x``. Every output path derived from such a name goes through
``inside``: names that are already harmless keep their exact spelling (the
contract mirrors relative paths), anything else is escaped and tagged with a
short hash of the whole original name, so distinct names stay distinct, and
the final path is proven to resolve under OUTDIR (a symlink planted in OUTDIR
does not lead out either).

A component is harmless when it is not empty, ``.`` or ``..``; holds no NUL,
control character, backslash or colon (Windows separators, drive letters and
stream names); fits in ``MAX_COMPONENT_BYTES`` bytes of UTF-8; and does not
already end like an escaped name (``~`` and ten hex digits).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path, PurePosixPath

from scanner.errors import ValueFreeError

MAX_COMPONENT_BYTES = 200  # most file systems allow 255; room for suffixes such as ".parquet" and temp marks
_UNSAFE_CHAR = re.compile(r"[\x00-\x1f\x7f\\:%/]")
_BAD_CHAR = re.compile(r"[\x00-\x1f\x7f\\:]")
_TAGGED = re.compile(r"~[0-9a-f]{10}$")


class UnsafePath(ValueError, ValueFreeError):
    """A path built from data would land outside OUTDIR (e.g. through a symlink inside it)."""


def _tag(original: str) -> str:
    return hashlib.sha256(original.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def _harmless(part: str) -> bool:
    # A name already ending like an escaped one (``~`` and ten hex digits) is escaped too, so an
    # escaped name can never equal a name kept as it is: distinct names stay distinct.
    return (part not in ("", ".", "..") and not _BAD_CHAR.search(part) and not _TAGGED.search(part)
            and len(part.encode("utf-8", "surrogatepass")) <= MAX_COMPONENT_BYTES
            and not any(0xD800 <= ord(c) <= 0xDFFF for c in part))


def _escape(part: str, tag: str) -> str:
    """A harmless spelling of a component: bad characters as %XX, dots of ./.. escaped, cut, tagged."""
    text = "".join(f"%{ord(c):02X}" if _UNSAFE_CHAR.match(c) or 0xD800 <= ord(c) <= 0xDFFF else c for c in part)
    if text.strip(".") == "":
        text = text.replace(".", "%2E")
    suffix = f"~{tag}"
    budget = MAX_COMPONENT_BYTES - len(suffix)
    raw = text.encode("utf-8")[:budget].decode("utf-8", "ignore")
    return raw + suffix


def safe_name(name: str) -> str:
    """One file name from one data name (a table, a sheet): a ``/`` in it is a character, not a folder."""
    if _harmless(name) and "/" not in name:
        return name
    return _escape(name, _tag(name))


def safe_relpath(rel: str) -> PurePosixPath:
    """A relative path from a data-derived ``a/b/c`` (dataset ids mirror folders): each part made harmless.

    A leading ``/`` (absolute path) becomes an escaped empty first part,
    so it stays distinct from the relative spelling.
    """
    parts = rel.split("/")
    if all(_harmless(p) for p in parts):
        return PurePosixPath(*parts)
    tag = _tag(rel)
    return PurePosixPath(*(p if _harmless(p) else _escape(p, tag) for p in parts))


def inside(outdir: Path, rel: str | PurePosixPath, *, suffix: str = "") -> Path:
    """``outdir / rel`` (made harmless, plus ``suffix``), checked to resolve under OUTDIR."""
    clean = rel if isinstance(rel, PurePosixPath) else safe_relpath(rel)
    if suffix:
        clean = clean.with_name(clean.name + suffix)
    path = outdir.joinpath(*clean.parts)
    ensure_inside(outdir, path)
    return path


def ensure_inside(outdir: Path, path: Path) -> None:
    """Raise ``UnsafePath`` unless ``path`` resolves under OUTDIR (symlinks followed as far as they exist)."""
    root = Path(os.path.realpath(outdir))
    real = Path(os.path.realpath(path))
    if real != root and root not in real.parents:
        raise UnsafePath(f"output path would leave the output folder: {_shown(path, outdir)}")


def _shown(path: Path, outdir: Path) -> str:
    """The offending path relative to OUTDIR when possible, printable on one line."""
    try:
        text = path.relative_to(outdir).as_posix()
    except ValueError:
        text = path.name
    return text.encode("unicode_escape").decode("ascii")[:120]
