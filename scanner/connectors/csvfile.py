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
from scanner.connectors.common import (
    DEFAULT_READ_OPTIONS,
    BadRows,
    CleanStream,
    ReadOptions,
    decode_sample,
    detect_encoding_bytes,
    line_safe,
    read_head,
    unique_names,
)
from scanner.connectors.filesample import csv_sampler, is_big
from scanner.errors import scrub

# Arrow's streaming CSV reader holds memory outside its pool that grows with the block size
# (300 MB file: 30 MB above the baseline at 256 KiB blocks, 70 MB at 1 MiB, 210 MB at 4 MiB);
# parsing speed is the same (about 600 MB/s here), so blocks are small.
BLOCK_SIZE = 256 << 10
_CANDIDATES = ",\t;|"
_SNIFF_CHARS = 64 * 1024
_COUNT_ERROR = re.compile(r"(?:Row #\d+: )?Expected \d+ columns?, got \d+")


def open_csv(path: Path, ds_id: str, source: str, options: ReadOptions = DEFAULT_READ_OPTIONS) -> list[Dataset]:
    """One dataset for a CSV/TSV file; encoding, delimiter and header are settled here."""
    head, whole = read_head(path)
    encoding = detect_encoding_bytes(head, whole, path)
    text = decode_sample(head, encoding, whole)
    delimiter = sniff_delimiter(text[:_SNIFF_CHARS], default="\t" if path.suffix.lower() == ".tsv" else ",")
    header = _header(text, delimiter)
    names = unique_names(header)

    def batches() -> Iterator[pa.RecordBatch]:
        return _read(path, names, encoding, delimiter, options=options, problems=dataset.problems)

    def columns(wanted: list[str]) -> Iterator[pa.RecordBatch]:
        return _read(path, names, encoding, delimiter, [n for n in names if n in wanted] or None, options=options)

    dataset = Dataset(
        id=ds_id,
        source=source,
        format="tsv" if delimiter == "\t" else "csv",
        open_batches=batches,
        location=str(path),
        meta={"encoding": encoding, "delimiter": delimiter},
        open_columns=columns,
        sample=csv_sampler(path, names, encoding, delimiter) if names and is_big(path) else None,
    )
    return [dataset]


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
          include: list[str] | None = None, options: ReadOptions = DEFAULT_READ_OPTIONS,
          problems: list[str] | None = None) -> Iterator[pa.RecordBatch]:
    """Stream the file as all-string batches (only the ``include`` columns if given); errors are value-free.

    Bad rows (ragged records, undecodable lines, lines over the
    cell limit) are skipped and counted into ``problems`` (or fail the file with
    ``--on-bad-rows fail``). A record longer than Arrow's block is re-read with
    a bigger block, up to a bound set by the cell limit.
    """
    if not names:
        return  # an empty file has neither header nor rows
    kept = names if include is None else include
    schema = pa.schema([(n, pa.string()) for n in kept])
    bad = BadRows(options)
    block = BLOCK_SIZE
    ceiling = max(BLOCK_SIZE, 4 * options.max_cell_bytes)
    clean = False  # Arrow reads the file itself until it meets bytes it cannot decode or a huge record
    produced = 0  # rows already yielded: a re-read skips them
    while True:
        skip = produced
        try:
            for batch in _read_blocks(path, names, encoding, delimiter, include, block, bad, clean):
                if skip:
                    if batch.num_rows <= skip:
                        skip -= batch.num_rows
                        continue
                    batch, skip = batch.slice(skip), 0
                produced += batch.num_rows
                yield batch
            break
        except _Straddling:
            if block >= ceiling:
                raise SourceError(f"a CSV record is over {ceiling} bytes (unbalanced quotes?)") from None
            block, clean = min(block * 4, ceiling), line_safe(encoding)
        except _Undecodable:
            if clean or not line_safe(encoding):
                raise SourceError(f"text is not valid {encoding}") from None
            clean = True
    if problems is not None:
        bad.report_to(problems)
    if not produced:
        yield pa.RecordBatch.from_pylist([], schema=schema)


class _Straddling(Exception):
    """Arrow found a record longer than its block size."""


class _Undecodable(Exception):
    """Arrow met bytes that are not valid in the file's encoding."""


def _read_blocks(path: Path, names: list[str], encoding: str, delimiter: str, include: list[str] | None,
                 block: int, bad: BadRows, clean: bool) -> Iterator[pa.RecordBatch]:
    """One pass of Arrow's streaming reader, over the file or (``clean``) over its CleanStream.

    The raw file is Arrow's full speed; the CleanStream (bad lines blanked,
    over-long lines dropped, transcoded to UTF-8) is for a file that needs it.
    Rows before the failure are the same in both, so a re-read can skip them.
    """
    kept = names if include is None else include
    failed: list[SourceError] = []

    def invalid_row(row: pacsv.InvalidRow) -> str:
        try:
            bad.skip(row.number, "wrong number of fields",
                     f"Expected {row.expected_columns} columns, got {row.actual_columns}")
        except SourceError as exc:
            failed.append(exc)
            return "error"
        return "skip"

    if clean:
        stream: io.RawIOBase | io.BufferedReader = CleanStream(path, encoding, bad)
        arrow_encoding = "utf8"
    else:
        stream = open(path, "rb")  # noqa: SIM115 - closed below
        # pyarrow decodes UTF-8 natively (and skips a BOM); other codecs go through Python.
        arrow_encoding = "utf8" if encoding in ("utf-8", "utf-8-sig") else encoding
    # use_threads=False: the invalid-row handler then knows each row's line number.
    read_options = pacsv.ReadOptions(column_names=names, skip_rows_after_names=1, encoding=arrow_encoding,
                                     block_size=block, use_threads=False)
    parse_options = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=invalid_row)
    convert_options = pacsv.ConvertOptions(column_types={n: pa.string() for n in kept}, include_columns=kept
                                           if include is not None else None)
    with stream:
        try:
            reader = pacsv.open_csv(
                stream, read_options=read_options, parse_options=parse_options, convert_options=convert_options
            )
            yield from reader
        except UnicodeDecodeError:
            raise _Undecodable from None
        except pa.ArrowInvalid as exc:
            if failed:
                raise failed[0] from None
            message = str(exc)
            if "Empty CSV file" in message:
                return  # header only: Arrow has no data row to start from
            if "straddling" in message or "block size" in message:
                raise _Straddling from None
            if "invalid UTF8" in message or "decode" in message.lower():
                raise _Undecodable from None
            raise SourceError(csv_error_message(exc, encoding)) from None


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
    return scrub(re.split(r"['\"]", message, maxsplit=1)[0]) or type(exc).__name__
