"""Valid personal data and small valid files of every readable format, for the reader hostile tests.

The identifiers are real-shaped (the resident ID carries its ISO 7064 check
digit) so that the detectors classify them: a hostile file that hides rows is
only caught if the hidden rows hold something that would have been found.
"""

from __future__ import annotations

import io
import json
import random
import re
import zipfile
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def resident_id(rng: random.Random) -> str:
    """An 18-character resident ID with a valid check character (Beijing, 1950-1999)."""
    body = f"110105{rng.randint(1950, 1999)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + _CHECK[sum(int(d) * w for d, w in zip(body, _WEIGHTS)) % 11]


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}"


def people(n: int, seed: int = 7) -> list[tuple[str, str]]:
    """``n`` distinct (resident id, mobile) pairs."""
    rng = random.Random(seed)
    return [(resident_id(rng), mobile(rng)) for _ in range(n)]


def csv_bytes(rows: list[tuple[str, str]]) -> bytes:
    return ("id_card,mobile\n" + "".join(f"{a},{b}\n" for a, b in rows)).encode()


def jsonl_bytes(rows: list[tuple[str, str]]) -> bytes:
    return "".join(json.dumps({"id_card": a, "mobile": b}) + "\n" for a, b in rows).encode()


def json_bytes(rows: list[tuple[str, str]]) -> bytes:
    return json.dumps([{"id_card": a, "mobile": b, "contact": {"tags": ["x", "y"]}} for a, b in rows]).encode()


def text_bytes(rows: list[tuple[str, str]]) -> bytes:
    return "".join(f"2026-01-01 login id={a} phone={b}\n" for a, b in rows).encode()


def parquet_bytes(rows: list[tuple[str, str]]) -> bytes:
    table = pa.table({"id_card": [a for a, _ in rows], "mobile": [b for _, b in rows]})
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=max(1, len(rows) // 3))
    return sink.getvalue()


def xlsx_bytes(rows: list[tuple[str, str]], dimension: str | None = None) -> bytes:
    """A one-sheet workbook; ``dimension`` rewrites the sheet's declared ``<dimension ref>``."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "people"
    ws.append(["id_card", "mobile"])
    for a, b in rows:
        ws.append([a, b])
    sink = io.BytesIO()
    wb.save(sink)
    data = sink.getvalue()
    return data if dimension is None else rewrite_part(data, "xl/worksheets/sheet1.xml",
                                                       lambda xml: re.sub(rb'<dimension ref="[^"]*"',
                                                                          b'<dimension ref="' + dimension.encode()
                                                                          + b'"', xml))


def rewrite_part(xlsx: bytes, name: str, change) -> bytes:  # noqa: ANN001 - bytes -> bytes
    """A copy of a workbook with one zip member rewritten."""
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            out.writestr(info.filename, change(data) if info.filename == name else data)
    return sink.getvalue()


VALID = {
    ".csv": csv_bytes,
    ".tsv": lambda rows: csv_bytes(rows).replace(b",", b"\t"),
    ".json": json_bytes,
    ".jsonl": jsonl_bytes,
    ".ndjson": jsonl_bytes,
    ".txt": text_bytes,
    ".log": text_bytes,
    ".parquet": parquet_bytes,
    ".xlsx": xlsx_bytes,
}


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
