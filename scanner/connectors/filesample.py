"""Samples of big line-oriented files read from random byte offsets, not from start to end.

A sample scan of a 10 GB directory must cost about what its samples cost. For
CSV/TSV, text logs and JSON Lines above SAMPLE_MIN_BYTES, the sampler seeks to
SEGMENTS random offsets, skips to the next line start and reads enough whole
lines there; Parquet reads randomly chosen row groups. Smaller files are
streamed whole (exact row counts, cheap). Line resync is safe in UTF-8 and
GBK/GB18030 (no multi-byte character contains a newline byte); a CSV record
with a quoted newline cut in two is skipped, never mis-parsed.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import random
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from scanner.connectors.common import DEFAULT_MAX_CELL_BYTES

SAMPLE_MIN_BYTES = 64 << 20
SEGMENTS = 32


def is_big(path: Path) -> bool:
    """Whether a file is worth sampling by offsets rather than streaming."""
    return path.stat().st_size >= SAMPLE_MIN_BYTES


def line_chunks(path: Path, k: int, seed_text: str, body_start: int = 0) -> Iterator[bytes]:
    """Byte chunks of whole lines from SEGMENTS random offsets, about k lines in all.

    ``body_start`` skips a header. Segments never overlap: a start inside the
    previous segment's lines moves past them.
    """
    size = path.stat().st_size
    if size <= body_start:
        return
    rng = random.Random(zlib.crc32(seed_text.encode("utf-8")))
    per_segment = max(1, math.ceil(k / SEGMENTS))
    starts = sorted(rng.randrange(body_start, size) for _ in range(SEGMENTS))
    covered = body_start
    with open(path, "rb") as fh:
        for start in starts:
            fh.seek(max(start, covered))
            if fh.tell() > body_start:
                _bounded_line(fh)  # resync: drop the partial line we landed in
            lines = []
            for _ in range(per_segment):
                line = _bounded_line(fh)
                if line is None:
                    continue  # over the cell limit: not sampled, never held in memory
                if not line:
                    break
                lines.append(line)
            covered = fh.tell()
            if lines:
                yield b"".join(lines)


def _bounded_line(fh: BinaryIO) -> bytes | None:
    """The next line, or None (the line consumed) when it is over DEFAULT_MAX_CELL_BYTES."""
    line = fh.readline(DEFAULT_MAX_CELL_BYTES + 1)
    if len(line) <= DEFAULT_MAX_CELL_BYTES or line.endswith(b"\n"):
        return line
    while (rest := fh.readline(1 << 20)) and not rest.endswith(b"\n"):
        pass
    return None


def decodable_lines(chunk: bytes, encoding: str) -> bytes:
    """A chunk of whole lines as UTF-8, without the lines that do not decode (mixed encodings)."""
    try:
        return chunk.decode(encoding).encode("utf-8")
    except UnicodeDecodeError:
        kept = []
        for line in chunk.split(b"\n"):
            with contextlib.suppress(UnicodeDecodeError):
                kept.append(line.decode(encoding))
        return "\n".join(kept).encode("utf-8")


def header_end(path: Path) -> int:
    """Byte offset just after the first line (a CSV header)."""
    with open(path, "rb") as fh:
        fh.readline()
        return fh.tell()


def csv_sampler(path: Path, names: list[str], encoding: str, delimiter: str) -> Callable[[int], Iterator[pa.RecordBatch]]:
    """The Dataset.sample hook of a big CSV/TSV file."""
    schema = pa.schema([(n, pa.string()) for n in names])
    codec = "utf-8" if encoding == "utf-8-sig" else encoding

    def sample(k: int) -> Iterator[pa.RecordBatch]:
        for chunk in line_chunks(path, k, str(path), header_end(path)):
            table = pacsv.read_csv(
                io.BytesIO(decodable_lines(chunk, codec)),
                read_options=pacsv.ReadOptions(column_names=names, encoding="utf8"),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=lambda _row: "skip"),
                convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}),
            )
            yield from table.cast(schema).to_batches()

    return sample


def text_sampler(path: Path, encoding: str, schema: pa.Schema) -> Callable[[int], Iterator[pa.RecordBatch]]:
    """The Dataset.sample hook of a big text/log file."""

    def sample(k: int) -> Iterator[pa.RecordBatch]:
        for chunk in line_chunks(path, k, str(path)):
            lines = chunk.decode(encoding, errors="replace").splitlines()
            yield pa.RecordBatch.from_pydict({"text": lines}, schema=schema)

    return sample


def jsonl_sampler(path: Path, encoding: str, flatten: Callable[[object], dict],
                  to_batches: Callable[[list[dict]], Iterator[pa.RecordBatch]]) -> Callable[[int], Iterator[pa.RecordBatch]]:
    """The Dataset.sample hook of a big JSON Lines file (bad lines in the sample are skipped)."""

    def sample(k: int) -> Iterator[pa.RecordBatch]:
        rows: list[dict] = []
        for chunk in line_chunks(path, k, str(path)):
            for line in chunk.decode(encoding, errors="replace").splitlines():
                if not line.strip():
                    continue
                try:
                    rows.append(flatten(json.loads(line, parse_int=str, parse_float=str, parse_constant=str)))
                except json.JSONDecodeError:
                    continue
        yield from to_batches(rows)

    return sample


def parquet_sampler(path: Path) -> Callable[[int], Iterator[pa.RecordBatch]]:
    """The Dataset.sample hook of a Parquet file: random whole row groups until about k rows."""

    def sample(k: int) -> Iterator[pa.RecordBatch]:
        with pq.ParquetFile(path) as pf:
            groups = list(range(pf.num_row_groups))
            random.Random(zlib.crc32(str(path).encode("utf-8"))).shuffle(groups)
            taken = 0
            for group in groups:
                if taken >= k:
                    break
                for batch in pf.iter_batches(batch_size=min(k, 10_000), row_groups=[group]):
                    yield batch
                    taken += batch.num_rows
                    if taken >= k:
                        break

    return sample
