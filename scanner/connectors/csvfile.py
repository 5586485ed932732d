"""CSV and TSV files, streamed with pyarrow's CSV reader.

Encoding and delimiter come from the bytes (Chinese exports are often GBK with
a ``.csv`` name, or semicolon-separated from European tools). Every column is
read as text so that ``0123`` and ``11010519491231002X`` arrive exactly as
written. The header is read with the ``csv`` module first so that duplicate or
empty names can be made unique before Arrow sees them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from scanner.connectors.base import Dataset, SourceError
from scanner.connectors.common import decode_sample, detect_encoding_bytes, read_head, unique_names
from scanner.connectors.filesample import csv_sampler, is_big

# Arrow's streaming CSV reader holds memory outside its pool that grows with the block size
# (300 MB file: 30 MB above the baseline at 256 KiB blocks, 70 MB at 1 MiB, 210 MB at 4 MiB);
# parsing speed is the same (about 600 MB/s here), so blocks are small.
BLOCK_SIZE = 256 << 10
_CANDIDATES = ",\t;|"
_SNIFF_CHARS = 64 * 1024
_COUNT_ERROR = re.compile(r"(?:Row #\d+: )?Expected \d+ columns?, got \d+")


def open_csv(path: Path, ds_id: str, source: str) -> list[Dataset]:
    """One dataset for a CSV/TSV file; encoding, delimiter and header are settled here."""
    head, whole = read_head(path)
    encoding = detect_encoding_bytes(head, whole, path)
    text = decode_sample(head, encoding, whole)
    delimiter = sniff_delimiter(text[:_SNIFF_CHARS], default="\t" if path.suffix.lower() == ".tsv" else ",")
    header = _header(text, delimiter)
    names = unique_names(header)

    def batches() -> Iterator[pa.RecordBatch]:
        return _read(path, names, encoding, delimiter)

    def columns(wanted: list[str]) -> Iterator[pa.RecordBatch]:
        return _read(path, names, encoding, delimiter, [n for n in names if n in wanted] or None)

    return [
        Dataset(
            id=ds_id,
            source=source,
            format="tsv" if delimiter == "\t" else "csv",
            open_batches=batches,
            location=str(path),
            meta={"encoding": encoding, "delimiter": delimiter},
            open_columns=columns,
            sample=csv_sampler(path, names, encoding, delimiter) if names and is_big(path) else None,
        )
    ]


def sniff_delimiter(sample: str, default: str) -> str:
    """The delimiter of a decoded sample, one of ``, TAB ; |``; ``default`` when unsure.

    The sniffer's answer is only trusted when it splits the header line into
    more than one field: a single-column file must keep the extension's default.
    """
    try:
        found = csv.Sniffer().sniff(sample, delimiters=_CANDIDATES).delimiter
    except csv.Error:
        return default
    first = next((line for line in sample.splitlines() if line.strip()), "")
    return found if found in _CANDIDATES and found in first else default


def _header(text: str, delimiter: str) -> list[str]:
    """The first non-empty record of the sample (pyarrow skips empty lines too)."""
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        if row:
            return row
    return []


def _read(path: Path, names: list[str], encoding: str, delimiter: str,
          include: list[str] | None = None) -> Iterator[pa.RecordBatch]:
    """Stream the file as all-string batches (only the ``include`` columns if given); errors are value-free."""
    if not names:
        return  # an empty file has neither header nor rows
    kept = names if include is None else include
    schema = pa.schema([(n, pa.string()) for n in kept])
    # pyarrow decodes UTF-8 natively (and skips a BOM); other codecs go through Python.
    arrow_encoding = "utf8" if encoding in ("utf-8", "utf-8-sig") else encoding
    read_options = pacsv.ReadOptions(
        column_names=names, skip_rows_after_names=1, encoding=arrow_encoding, block_size=BLOCK_SIZE
    )
    parse_options = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
    convert_options = pacsv.ConvertOptions(column_types={n: pa.string() for n in kept},
                                           include_columns=kept if include is not None else None)
    produced = False
    with open(path, "rb") as fh:
        try:
            reader = pacsv.open_csv(
                fh, read_options=read_options, parse_options=parse_options, convert_options=convert_options
            )
            for batch in reader:
                produced = True
                yield batch
        except pa.ArrowInvalid as exc:
            if "Empty CSV file" in str(exc):
                # Header only: Arrow has no data row to start from.
                yield pa.RecordBatch.from_pylist([], schema=schema)
                return
            raise SourceError(csv_error_message(exc, encoding)) from None
    if not produced:
        yield pa.RecordBatch.from_pylist([], schema=schema)


def csv_error_message(exc: BaseException, encoding: str) -> str:
    """pyarrow's message without the row text it quotes (rows hold personal data)."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    count = _COUNT_ERROR.search(message)
    if count:
        return f"CSV parse error: {count.group(0)}"
    if "invalid UTF8" in message:
        return f"text is not valid {encoding}"
    if message.startswith("CSV parse error"):
        return "CSV parse error"
    # Unknown shape: keep the leading words, drop anything quoted or after a colon list.
    return re.split(r"['\"]", message, maxsplit=1)[0].strip()[:160] or type(exc).__name__
