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
from scanner.connectors.common import DEFAULT_READ_OPTIONS, BadRows, ReadOptions, detect_encoding, text_lines
from scanner.connectors.filesample import is_big, text_sampler

SCHEMA = pa.schema([("text", pa.string())])


def open_text(path: Path, ds_id: str, source: str, options: ReadOptions = DEFAULT_READ_OPTIONS) -> list[Dataset]:
    """One dataset for a text file; the encoding is settled here, lines are read lazily."""
    encoding = detect_encoding(path)

    def batches() -> Iterator[pa.RecordBatch]:
        return _read(path, encoding, options, dataset.problems)

    dataset = Dataset(
        id=ds_id,
        source=source,
        format="text",
        open_batches=batches,
        location=str(path),
        meta={"encoding": encoding},
        sample=text_sampler(path, encoding, SCHEMA) if is_big(path) else None,
    )
    return [dataset]


def _read(path: Path, encoding: str, options: ReadOptions, problems: list[str]) -> Iterator[pa.RecordBatch]:
    """Lines without their ending (universal newlines), BATCH_ROWS at a time; bad lines skipped and counted."""
    bad = BadRows(options)
    lines: list[str] = []
    produced = False
    for _number, line in text_lines(path, encoding, bad):
        lines.append(line)
        if len(lines) >= BATCH_ROWS:
            yield pa.RecordBatch.from_pydict({"text": lines}, schema=SCHEMA)
            produced = True
            lines = []
    bad.report_to(problems)
    if lines or not produced:
        yield pa.RecordBatch.from_pydict({"text": lines}, schema=SCHEMA)
