"""Rebuilding a zip with the same member names, order, dates and compression, members rewritten."""

from __future__ import annotations

import zipfile
from typing import BinaryIO

from scanner.documents.errors import encrypted
from scanner.documents.limits import check_member_name, read_all
from scanner.documents.paths import DocPath
from scanner.documents.readers.zip import open_zip, zip_member_name
from scanner.documents.rewriter import RewriteContext, Rewriter


def rewrite(src: BinaryIO, dst: BinaryIO, path: DocPath, ctx: RewriteContext) -> None:
    """Each member through its own rewriter (directories as they are); the stored ``ZipInfo``
    is reused so names (even non-UTF-8 ones), dates and permissions are unchanged."""
    source = open_zip(src)
    with source, zipfile.ZipFile(dst, "w") as target:
        for info in source.infolist():
            name = check_member_name(zip_member_name(info))
            if info.is_dir():
                target.writestr(info, b"")
                continue
            if info.flag_bits & 0x1:
                raise encrypted()
            ctx.budget.charge_member()
            ctx.budget.check_ratio(info.file_size, info.compress_size)
            with source.open(info) as member:
                data = read_all(member, ctx.limits)  # type: ignore[arg-type]
            ctx.budget.charge(len(data))
            ctx.budget.check_ratio(len(data), info.compress_size)
            target.writestr(info, ctx.member(path.enter(name), data, ctx))


REWRITER = Rewriter("zip", (".zip",), rewrite)
