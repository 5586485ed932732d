"""Tar archives (.tar, .tar.gz/.tgz, .tar.bz2, .tar.xz), read in streaming mode member by member.

``r|*`` never seeks, so a tar.gz inside a zip is read as it decompresses; the expansion ratio is
measured against the compressed bytes actually pulled from the container.
"""

from __future__ import annotations

import tarfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO, cast

from scanner.documents.errors import DocumentError, corrupt
from scanner.documents.limits import BoundedReader, CountingReader, check_member_name
from scanner.documents.parts import Member
from scanner.documents.paths import DocPath
from scanner.documents.reader import ReadContext, Reader


def read_tar(stream: BinaryIO, path: DocPath, ctx: ReadContext) -> Iterator[Member]:
    """Regular-file members in order; links and devices are skipped (nothing is extracted, so they
    point nowhere), their names are still checked."""
    raw = CountingReader(stream)
    try:
        archive = tarfile.open(fileobj=cast(BinaryIO, raw), mode="r|*")  # noqa: SIM115 - entered below
    except (tarfile.TarError, OSError, EOFError):
        raise corrupt("tar", "not a readable tar archive") from None
    with archive:
        try:
            for info in archive:
                name = check_member_name(info.name)
                if not info.isfile():
                    continue
                ctx.budget.charge_member()
                inner = archive.extractfile(info)
                if inner is None:
                    continue
                yield Member(
                    path.enter(name),
                    cast(BinaryIO, BoundedReader(cast(BinaryIO, inner), ctx.budget, raw, "tar")),
                )
        except DocumentError:
            raise
        except (tarfile.TarError, OSError, EOFError, zlib.error):
            raise corrupt("tar", "damaged archive") from None


READER = Reader("tar", (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz"), read_tar, seekable=False)
