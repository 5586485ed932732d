"""Files the user names on the command line that are read whole: keys, policies, rules, configs.

``read_bytes()`` on ``/dev/zero``, a FIFO or a 2 GB file named by mistake
reads until memory runs out (or blocks forever). These files are small by
nature, so only a regular file is read, and at most ``limit`` bytes of it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from scanner.errors import ValueFreeError

KEY_FILE_LIMIT = 8 * 1024  # a key is 32 bytes; hex, base64 or a passphrase fit many times over
YAML_FILE_LIMIT = 16 * 1024 * 1024  # policies, rules and configs are written by people


class SmallFileError(OSError, ValueFreeError):
    """A file that is not a regular file or is larger than its limit; the message says which (one line)."""


def read_small(path: str | Path, limit: int) -> bytes:
    """The whole content of a regular file of at most ``limit`` bytes.

    The file is opened non-blocking and checked with ``fstat`` on the open
    descriptor, so a FIFO neither blocks nor slips in between check and read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SmallFileError("not a regular file")
        if info.st_size > limit:
            raise SmallFileError(f"larger than {_size(limit)}")
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(65536, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:  # grew while being read
            raise SmallFileError(f"larger than {_size(limit)}")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"
