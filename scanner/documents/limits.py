"""Limits that keep hostile documents from exhausting memory, disk or time.

A share holds zip bombs (42.zip: kilobytes that expand to petabytes), archives nested a hundred
deep, members named ``../../etc/cron.d/x`` and 100,000-page PDFs. Every byte a reader takes out
of a compressed container passes through ``Budget.charge`` and every member name through
``check_member_name``, so each limit is enforced in exactly one place whatever the format.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import BinaryIO

from scanner.documents.errors import DocumentError, corrupt

MiB = 1 << 20


@dataclass(frozen=True, slots=True)
class Limits:
    """Configurable ceilings; the defaults suit a file share of office documents."""

    max_depth: int = 5  # archives/attachments entered, e.g. zip -> eml -> zip is depth 3
    max_total_bytes: int = 1024 * MiB  # uncompressed bytes read out of one top-level file
    max_member_bytes: int = 256 * MiB  # one member held in memory (formats that need to seek)
    max_ratio: int = 100  # uncompressed : compressed, checked once ratio_floor_bytes are out
    ratio_floor_bytes: int = 1 * MiB  # small members compress well legitimately (zeros, XML)
    max_members: int = 10_000  # members and attachments in one top-level file, all levels
    max_pdf_pages: int = 2_000


@dataclass(slots=True)
class Budget:
    """What one top-level file has consumed so far, shared by every nesting level."""

    limits: Limits
    members: int = 0
    bytes_out: int = 0

    def charge_member(self) -> None:
        """Count one more member or attachment, refusing past ``max_members``."""
        self.members += 1
        if self.members > self.limits.max_members:
            raise DocumentError(
                f"archive over member limit: more than {self.limits.max_members} members", "limit"
            )

    def charge(self, count: int) -> None:
        """Count ``count`` more uncompressed bytes, refusing past ``max_total_bytes``."""
        self.bytes_out += count
        if self.bytes_out > self.limits.max_total_bytes:
            raise DocumentError(
                f"archive over size limit: more than {self.limits.max_total_bytes // MiB} MiB uncompressed",
                "limit",
            )

    def check_ratio(self, uncompressed: int, compressed: int) -> None:
        """Refuse a stream whose expansion ratio marks it as a bomb."""
        if uncompressed < self.limits.ratio_floor_bytes:
            return
        ratio = uncompressed // max(compressed, 1)
        if ratio > self.limits.max_ratio:
            raise DocumentError(f"zip bomb: ratio {ratio}:1 over limit {self.limits.max_ratio}:1", "limit")


class CountingReader(io.RawIOBase):
    """Counts the compressed bytes a decompressor pulls from ``raw`` (for ratio checks)."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


class BoundedReader(io.RawIOBase):
    """A member's decompressed stream that charges the budget as it is read.

    ``compressed`` is the member's stored size when the container declares one (zip), or a
    ``CountingReader`` over the container's raw stream (gzip, tar.gz), so the ratio is measured on
    bytes actually produced, not on sizes an attacker wrote in a header.
    """

    def __init__(
        self, inner: BinaryIO, budget: Budget, compressed: int | CountingReader, container: str
    ) -> None:
        super().__init__()
        self._container = container
        self._inner = inner
        self._budget = budget
        self._compressed = compressed
        self.produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            data = self._inner.read(len(buffer))
        except DocumentError:
            raise
        except Exception:  # noqa: BLE001 - zlib/bz2/lzma/zipfile errors, CRC mismatches: all "damaged"
            raise corrupt(self._container, "damaged compressed data") from None
        buffer[: len(data)] = data
        self.produced += len(data)
        self._budget.charge(len(data))
        compressed = self._compressed if isinstance(self._compressed, int) else self._compressed.count
        self._budget.check_ratio(self.produced, compressed)
        return len(data)


def read_all(stream: BinaryIO, limits: Limits) -> bytes:
    """The whole stream in memory, refusing past ``max_member_bytes`` (for formats that seek)."""
    chunks: list[bytes] = []
    total = 0
    while chunk := stream.read(MiB):
        total += len(chunk)
        if total > limits.max_member_bytes:
            raise DocumentError(
                f"member over size limit: more than {limits.max_member_bytes // MiB} MiB", "limit"
            )
        chunks.append(chunk)
    return b"".join(chunks)


_DRIVE = re.compile(r"^[A-Za-z]:")


def check_member_name(name: str) -> str:
    """``name`` as a relative POSIX member path, or refuse it as path traversal.

    Readers never write members to disk, but rewriters rebuild archives under these names and a
    later ``unzip`` of our output must not escape its folder either, so the rule is strict: no
    ``..`` component, no absolute path, no drive letter, no NUL or backslash separator tricks.
    """
    unified = name.replace("\\", "/")
    parts = unified.split("/")
    if (
        not name
        or "\x00" in name
        or unified.startswith("/")
        or _DRIVE.match(unified)
        or any(part == ".." for part in parts)
    ):
        raise DocumentError("unsafe member name in archive (path traversal)", "unsafe")
    return name
