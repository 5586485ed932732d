"""Issue 14: every file reader, fed mutated bytes of a valid file, gives rows or one error line.

Mutations flip, insert, delete and truncate bytes of a small valid file. For
each example the reader (through ``resolve_sources``, as the scan opens
files) must finish within a time box, never raise anything but a one-line
``SourceError``, and never quote a data value in an error or a bad-rows note.
Bounded by the "hostile" profile (PIIWARDEN_FUZZ_EXAMPLES for more).
"""

from __future__ import annotations

import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.connectors.base import SourceError
from scanner.connectors.common import ReadOptions
from scanner.sources import resolve_sources
from tests.hostile.readers_corpus import VALID, people

ROWS = people(12, seed=3)
VALUES = [v for row in ROWS for v in row]
SECONDS_PER_EXAMPLE = 10
BASE = {suffix: make(ROWS) for suffix, make in VALID.items()}
# Small limits so that mutations also reach the over-limit paths.
OPTIONS = ReadOptions(max_cell_bytes=4096)


class Hang(Exception):
    """An example outlived its time box."""


@contextmanager
def time_box(seconds: int) -> Iterator[None]:
    def expire(_signum, _frame):  # noqa: ANN001 - signal handler signature
        raise Hang(f"reader still running after {seconds}s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


Mutation = tuple[str, float, int, int]
mutations = st.lists(
    st.tuples(st.sampled_from(["flip", "insert", "delete", "truncate", "dup"]), st.floats(0, 1),
              st.integers(0, 255), st.integers(1, 64)),
    min_size=1, max_size=6,
)


def mutate(data: bytes, ops: list[Mutation]) -> bytes:
    buf = bytearray(data)
    for op, where, byte, length in ops:
        at = min(int(where * len(buf)), max(len(buf) - 1, 0))
        if op == "flip" and buf:
            buf[at] ^= byte or 1
        elif op == "insert":
            buf[at:at] = bytes([byte]) * length
        elif op == "delete":
            del buf[at:at + length]
        elif op == "truncate":
            del buf[at:]
        elif op == "dup":
            buf[at:at] = buf[at:at + length * 16]
    return bytes(buf)


def read_all(path: Path) -> tuple[int, int, list[str]]:
    """Rows read, datasets streamed to their end, and every error line, as the scan opens a file."""
    datasets, errors = resolve_sources([str(path)], options=OPTIONS)
    lines = [e for _src, e in errors]
    rows = complete = 0
    for ds in datasets:
        try:
            for batch in ds.batches():
                rows += batch.num_rows
            complete += 1
        except SourceError as exc:
            lines.append(str(exc))
        lines.extend(ds.problems)
    return rows, complete, lines


def check_lines(lines: list[str]) -> None:
    for line in lines:
        assert line and "\n" not in line, repr(line)
        assert "Traceback" not in line
        for value in VALUES:
            assert value not in line, "an error line quotes a data value"


@pytest.mark.parametrize("suffix", sorted(BASE))
def test_valid_base_files_read_cleanly(suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"base{suffix}"
        path.write_bytes(BASE[suffix])
        rows, complete, lines = read_all(path)
    assert rows >= len(ROWS) and complete and not lines, lines


@pytest.mark.parametrize("suffix", sorted(BASE))
@settings(parent=settings.get_profile("hostile"))
@given(ops=mutations)
def test_mutated_file_gives_rows_or_one_error_line(suffix, ops):
    data = mutate(BASE[suffix], ops)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"fuzz{suffix}"
        path.write_bytes(data)
        with time_box(SECONDS_PER_EXAMPLE):
            rows, complete, lines = read_all(path)
    check_lines(lines)
    # a mutated file is read to its end (maybe header only), or one line says why not
    assert complete or lines, (rows, lines)


def test_mutate_really_mutates():
    assert mutate(b"abcdef", [("truncate", 0.5, 0, 1)]) == b"abc"
    assert mutate(b"abc", [("insert", 0.0, 0, 2)]) == b"\x00\x00abc"
    assert mutate(b"abc", [("flip", 0.0, 1, 1)]) == b"`bc"
