"""Gzip (.gz): the single compressed member, streamed, named by dropping the suffix."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import BinaryIO, cast

from scanner.documents.limits import BoundedReader, CountingReader
from scanner.documents.parts import Member
from scanner.documents.paths import DocPath
from scanner.documents.reader import ReadContext, Reader


def read_gzip(stream: BinaryIO, path: DocPath, ctx: ReadContext) -> Iterator[Member]:
    """The single member of a .gz, named by dropping the suffix (``a.csv.gz`` holds ``a.csv``)."""
    raw = CountingReader(stream)
    inner_name = path.name[:-3] if path.name.lower().endswith(".gz") else path.name
    ctx.budget.charge_member()
    with gzip.GzipFile(fileobj=cast(BinaryIO, raw), mode="rb") as inner:
        bounded = BoundedReader(cast(BinaryIO, inner), ctx.budget, raw, "gz")
        yield Member(path.enter(inner_name.rsplit("/", 1)[-1]), cast(BinaryIO, bounded))


READER = Reader("gzip", (".gz",), read_gzip, seekable=False)
