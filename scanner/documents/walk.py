"""Reading a document and everything nested in it, as one lazy stream of records.

``read_document`` is the entry point callers (the format files of the scanner) use. It picks the
reader by name, enters archive members and attachments depth-first as the reader yields them,
and applies the nesting limit. A nested member that is encrypted or corrupt becomes an
``Unreadable`` record and its siblings are still read; a limit or an unsafe member name raises,
because the container itself is hostile.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from scanner.documents.errors import DocumentError, corrupt
from scanner.documents.limits import Budget, Limits, read_all
from scanner.documents.ocr import Ocr
from scanner.documents.parts import Member, NotRead, Record, Unreadable
from scanner.documents.paths import DocPath
from scanner.documents.reader import ReadContext
from scanner.documents.registry import reader_for


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How to read: limits, and OCR (off by default, like ``--ocr``)."""

    limits: Limits = field(default_factory=Limits)
    ocr: Ocr | None = None


def read_document(
    name: str, source: BinaryIO | bytes | Path, options: ReadOptions | None = None
) -> Iterator[Record]:
    """Every part of the document ``name`` (its id, e.g. a path relative to the scan root).

    ``source`` is the document's bytes, an open binary stream or a file path. Raises
    ``DocumentError`` when the top-level document itself cannot be read or breaks a limit.
    """
    options = options or ReadOptions()
    ctx = ReadContext(options.limits, Budget(options.limits), options.ocr)
    path = DocPath(name)
    if isinstance(source, Path):
        with source.open("rb") as stream:
            yield from _read(stream, path, ctx, top=True)
    elif isinstance(source, bytes):
        yield from _read(io.BytesIO(source), path, ctx, top=True)
    else:
        yield from _read(source, path, ctx, top=True)


def _read(stream: BinaryIO, path: DocPath, ctx: ReadContext, *, top: bool) -> Iterator[Record]:
    reader = reader_for(path.name)
    if reader is None:
        yield NotRead(path, "unsupported", reason="unsupported document type")
        return
    try:
        if reader.seekable and not stream.seekable():
            stream = io.BytesIO(read_all(stream, ctx.limits))
        for item in reader.read(stream, path, ctx):
            if isinstance(item, Member):
                yield from _enter(item, ctx)
            else:
                yield item
    except DocumentError as err:
        if top or err.fatal:
            raise
        yield Unreadable(path, err.line)
    except Exception:  # noqa: BLE001 - any library failure on hostile bytes is "corrupt", value-free
        if top:
            raise corrupt(reader.name) from None
        yield Unreadable(path, corrupt(reader.name).line)


def _enter(member: Member, ctx: ReadContext) -> Iterator[Record]:
    if member.path.depth > ctx.limits.max_depth:
        raise DocumentError(f"archive nesting over depth limit {ctx.limits.max_depth}", "limit")
    yield from _read(member.stream, member.path, ctx, top=False)
