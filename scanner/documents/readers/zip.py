"""Zip archives: members yielded as nested streams in stored order, never extracted.

Every member name passes ``check_member_name`` (path traversal), every decompressed byte the
budget (total size and expansion ratio: zip bombs), every member the member count. Declared
sizes are checked before opening a member (cheap refusal of an obvious bomb), actual bytes while
it is read (headers can lie).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from typing import BinaryIO, cast

from scanner.documents.errors import corrupt, encrypted
from scanner.documents.limits import BoundedReader, check_member_name
from scanner.documents.parts import Member, Unreadable
from scanner.documents.paths import DocPath
from scanner.documents.reader import ReadContext, Reader

_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1


def zip_member_name(info: zipfile.ZipInfo) -> str:
    """The member's real name: zips made on Chinese Windows store GBK names without the UTF-8 flag,
    which ``zipfile`` decodes as CP437 mojibake."""
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def open_zip(stream: BinaryIO) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise corrupt("zip", "not a readable zip archive") from None


def read_zip(stream: BinaryIO, path: DocPath, ctx: ReadContext) -> Iterator[Member | Unreadable]:
    """Members in stored order; an encrypted or unopenable member is reported, the rest read."""
    archive = open_zip(stream)
    with archive:
        for info in archive.infolist():
            name = check_member_name(zip_member_name(info))
            if info.is_dir():
                continue
            ctx.budget.charge_member()
            member_path = path.enter(name)
            ctx.budget.check_ratio(info.file_size, info.compress_size)
            if info.flag_bits & _ENCRYPTED_FLAG:
                yield Unreadable(member_path, encrypted().line)
                continue
            try:
                inner = archive.open(info)
            except (zipfile.BadZipFile, NotImplementedError, OSError):
                yield Unreadable(member_path, corrupt("zip", "member cannot be opened").line)
                continue
            with inner:
                bounded = BoundedReader(cast(BinaryIO, inner), ctx.budget, max(info.compress_size, 1), "zip")
                yield Member(member_path, cast(BinaryIO, bounded))


READER = Reader("zip", (".zip",), read_zip)
