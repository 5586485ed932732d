"""Plain text and log files: one ``text`` column, one row per line.

Logs are where personal data leaks unnoticed (request dumps, SMS gateways), so
they are scanned as free text. The encoding is detected like CSV's, because
Chinese Windows services write GBK logs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from scanner.connectors.base import BATCH_ROWS, Dataset
from scanner.connectors.common import detect_encoding
from scanner.connectors.filesample import is_big, text_sampler

SCHEMA = pa.schema([("text", pa.string())])


def open_text(path: Path, ds_id: str, source: str) -> list[Dataset]:
    """One dataset for a text file; the encoding is settled here, lines are read lazily."""
    encoding = detect_encoding(path)

    def batches() -> Iterator[pa.RecordBatch]:
        return _read(path, encoding)

    return [
        Dataset(
            id=ds_id,
            source=source,
            format="text",
            open_batches=batches,
            location=str(path),
            meta={"encoding": encoding},
            sample=text_sampler(path, encoding, SCHEMA) if is_big(path) else None,
        )
    ]


def _read(path: Path, encoding: str) -> Iterator[pa.RecordBatch]:
    """Lines without their ending (universal newlines), BATCH_ROWS at a time."""
    lines: list[str] = []
    produced = False
    with open(path, encoding=encoding, newline=None) as fh:
        for line in fh:
            lines.append(line[:-1] if line.endswith("\n") else line)
            if len(lines) >= BATCH_ROWS:
                yield pa.RecordBatch.from_pydict({"text": lines}, schema=SCHEMA)
                produced = True
                lines = []
    if lines or not produced:
        yield pa.RecordBatch.from_pydict({"text": lines}, schema=SCHEMA)
