"""Rebuilding a tar (plain or compressed alike) with the same member names and order."""

from __future__ import annotations

import io
import tarfile
from typing import BinaryIO, Literal, cast

from scanner.documents.errors import corrupt
from scanner.documents.limits import CountingReader, check_member_name, read_all
from scanner.documents.paths import DocPath
from scanner.documents.rewriter import RewriteContext, Rewriter

WriteMode = Literal["w|", "w|gz", "w|bz2", "w|xz"]
_WRITE_MODES: dict[str, WriteMode] = {
    ".tar.gz": "w|gz",
    ".tgz": "w|gz",
    ".tar.bz2": "w|bz2",
    ".tar.xz": "w|xz",
}


def rewrite(src: BinaryIO, dst: BinaryIO, path: DocPath, ctx: RewriteContext) -> None:
    """Streams member by member; regular files rewritten, other entries copied as headers."""
    lowered = path.name.lower()
    mode: WriteMode = next((m for suffix, m in _WRITE_MODES.items() if lowered.endswith(suffix)), "w|")
    raw = CountingReader(src)
    try:
        source = tarfile.open(fileobj=cast(BinaryIO, raw), mode="r|*")  # noqa: SIM115 - entered below
    except (tarfile.TarError, OSError, EOFError):
        raise corrupt("tar", "not a readable tar archive") from None
    with source, tarfile.open(fileobj=dst, mode=mode) as target:
        for info in source:
            name = check_member_name(info.name)
            if not info.isfile():
                target.addfile(info)
                continue
            ctx.budget.charge_member()
            inner = source.extractfile(info)
            data = read_all(cast(BinaryIO, inner), ctx.limits) if inner is not None else b""
            ctx.budget.charge(len(data))
            ctx.budget.check_ratio(ctx.budget.bytes_out, raw.count)
            new = ctx.member(path.enter(name), data, ctx)
            info.size = len(new)
            target.addfile(info, io.BytesIO(new))


REWRITER = Rewriter("tar", (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz"), rewrite)
