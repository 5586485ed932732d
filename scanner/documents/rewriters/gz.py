"""Rewriting a .gz: its single member rewritten and compressed again."""

from __future__ import annotations

import gzip
from typing import BinaryIO, cast

from scanner.documents.limits import BoundedReader, CountingReader, read_all
from scanner.documents.paths import DocPath
from scanner.documents.rewriter import RewriteContext, Rewriter


def rewrite(src: BinaryIO, dst: BinaryIO, path: DocPath, ctx: RewriteContext) -> None:
    inner_name = path.name[:-3] if path.name.lower().endswith(".gz") else path.name
    raw = CountingReader(src)
    ctx.budget.charge_member()
    with gzip.GzipFile(fileobj=cast(BinaryIO, raw), mode="rb") as inner:
        data = read_all(
            cast(BinaryIO, BoundedReader(cast(BinaryIO, inner), ctx.budget, raw, "gz")), ctx.limits
        )
    new = ctx.member(path.enter(inner_name.rsplit("/", 1)[-1]), data, ctx)
    with gzip.GzipFile(fileobj=dst, mode="wb", mtime=0) as out:
        out.write(new)


REWRITER = Rewriter("gzip", (".gz",), rewrite)
