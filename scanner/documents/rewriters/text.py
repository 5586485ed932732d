"""Rewriting plain text, HTML and CSV (CSV cell by cell, so quoting stays valid)."""

from __future__ import annotations

import csv
import io
from typing import BinaryIO

from scanner.documents.limits import read_all
from scanner.documents.paths import DocPath
from scanner.documents.rewriter import RewriteContext, Rewriter
from scanner.documents.textcodec import decode


def rewrite(src: BinaryIO, dst: BinaryIO, path: DocPath, ctx: RewriteContext) -> None:
    """Written back as UTF-8; HTML is rewritten as markup text (values in attributes such as
    ``mailto:`` links are replaced too)."""
    text = decode(read_all(src, ctx.limits))
    if not path.name.lower().endswith(".csv"):
        dst.write(ctx.rewrite(text).encode("utf-8"))
        return
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    for row in csv.reader(io.StringIO(text, newline="")):
        writer.writerow([ctx.rewrite(cell) for cell in row])
    dst.write(out.getvalue().encode("utf-8"))


REWRITER = Rewriter("text", (".txt", ".csv", ".md", ".log", ".html", ".htm"), rewrite)
