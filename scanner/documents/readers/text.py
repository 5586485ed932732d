"""Plain text and CSV met inside archives and attachments (top-level ones are the tabular scanner's)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import BinaryIO

from scanner.documents.limits import read_all
from scanner.documents.parts import Part
from scanner.documents.paths import DocPath
from scanner.documents.reader import ReadContext, Reader
from scanner.documents.textcodec import decode

CHUNK_ROWS = 1_000


def read(stream: BinaryIO, path: DocPath, ctx: ReadContext) -> Iterator[Part]:
    """A .csv is a table (``a.csv#csv``) in row chunks; any other text is one ``body`` part."""
    text = decode(read_all(stream, ctx.limits))
    if not path.name.lower().endswith(".csv"):
        if text.strip():
            yield Part(path, "body", 1, text)
        return
    table = path.with_table("csv")
    chunk: list[tuple[str, ...]] = []
    start = 1
    for row in csv.reader(io.StringIO(text, newline="")):
        chunk.append(tuple(row))
        if len(chunk) == CHUNK_ROWS:
            yield Part(table, "sheet", start, "\n".join("\t".join(r) for r in chunk), rows=tuple(chunk))
            start += len(chunk)
            chunk = []
    if chunk:
        yield Part(table, "sheet", start, "\n".join("\t".join(r) for r in chunk), rows=tuple(chunk))


READER = Reader("text", (".txt", ".csv", ".md", ".log"), read, seekable=False)
