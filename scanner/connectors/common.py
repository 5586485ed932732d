"""Helpers shared by the file connectors: encoding detection, header names, cell text.

Chinese business data arrives as UTF-8, UTF-8 with a BOM (Excel's "CSV UTF-8")
or GBK/GB18030 (Excel's default on a Chinese Windows), whatever the extension
says, so the encoding is read from the bytes. Every value is handed on as text:
numbers typed by a reader would lose the leading zeros of codes and the
trailing ``X`` of resident ID numbers, which the detectors need verbatim.
"""

from __future__ import annotations

import codecs
import collections
import contextlib
import datetime as dt
import decimal
import functools
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer
import numpy as np
import pyarrow as pa

from scanner.connectors.base import SourceError
from scanner.defaults import DEFAULT_MAX_CELL_BYTES

SAMPLE_BYTES = 1 << 20  # how much of a file the encoding is judged on

# charset-normalizer names the Chinese national encodings in several ways; GB18030
# is a strict superset of GB2312 and GBK, so reading with it never fails where they
# would have succeeded.
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936", "ms936", "euc_cn", "euccn", "hz", "hz_gb_2312"}


def read_head(path: Path, size: int = SAMPLE_BYTES) -> tuple[bytes, bool]:
    """The first ``size`` bytes of a file, and whether that is the whole file."""
    with open(path, "rb") as fh:
        head = fh.read(size)
        whole = not fh.read(1)
    return head, whole


def detect_encoding(path: Path) -> str:
    """Name a Python codec that decodes the file, judged from its first megabyte.

    Order: a BOM is decisive; then UTF-8 (the common case, and ASCII is a subset);
    then charset-normalizer's best guess. Binary content raises SourceError.
    """
    head, whole = read_head(path)
    return detect_encoding_bytes(head, whole, path)


def detect_encoding_bytes(head: bytes, whole: bool, path: Path | None = None) -> str:
    """``detect_encoding`` on bytes already read; ``whole`` says nothing follows them.

    With ``path``, a file that piiwarden itself wrote is read in the encoding
    its run recorded (``recorded_encoding``), as long as the bytes still
    decode in it: sniffing cannot tell short GB18030 text full of rare
    characters (pseudonyms, FPE output) from Korean or Cyrillic codecs.
    """
    declared = recorded_encoding(path) if path is not None else None
    if declared and _decodes(head, declared, whole):
        return declared
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    nul = head.count(b"\x00")
    # No text encoding we accept produces NUL bytes, but one stray NUL must not lose a text
    # file (its line is skipped when read); binary data has them everywhere (1 in 256 bytes).
    if nul > max(8, len(head) // 20_000):
        raise SourceError("cannot detect text encoding (binary content)")
    if nul:
        head = head.replace(b"\x00", b"")
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # final=False lets a multibyte character cut at the sample's end pass.
        decoder.decode(head, final=whole)
        return "utf-8"
    except UnicodeDecodeError:
        if _mostly_utf8(head, whole):
            return "utf-8"  # a few lines in another encoding are skipped as bad rows when read
    if not whole:
        # Judge whole lines only: a cut character would count against GBK.
        cut = head.rfind(b"\n")
        if cut > 0:
            head = head[: cut + 1]
    if _reads_as_chinese(head):
        return "gb18030"
    results = charset_normalizer.from_bytes(head)
    best = results.best()
    if best is None:
        raise SourceError("cannot detect text encoding")
    # Short CJK samples decode equally cleanly as GBK, Korean cp949, Big5 or EUC-JP,
    # and the tie is broken arbitrarily. This tool reads mainland Chinese data, so a
    # GB reading that is as clean as the best one wins.
    if any(_is_gb(r.encoding) and r.chaos <= best.chaos for r in results):
        return "gb18030"
    return codecs.lookup(best.encoding).name


# Run records that piiwarden writes at the root of an OUTDIR; each lists its outputs with their encoding.
RUN_RECORDS = ("anonymization.json", "decryption.json")


def recorded_encoding(path: Path) -> str | None:
    """The encoding a piiwarden run recorded for this output file, from the nearest run record above it."""
    try:
        path = path.resolve()
    except OSError:
        return None
    for folder in path.parents:
        for name in RUN_RECORDS:
            record = folder / name
            try:
                st = record.stat()
            except OSError:
                continue
            found = _record_encodings(str(record), st.st_mtime_ns, st.st_size).get(path.relative_to(folder).as_posix())
            if found:
                return found
    return None


@functools.lru_cache(maxsize=32)
def _record_encodings(record: str, mtime_ns: int, size: int) -> dict[str, str]:
    """output path -> encoding of one run record (cached while the record file is unchanged)."""
    import json

    try:
        data = json.loads(Path(record).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or (data.get("tool") or {}).get("name") != "piiwarden":
        return {}
    out = {}
    for ds in data.get("datasets") or []:
        enc = ds.get("encoding") if isinstance(ds, dict) else None
        if isinstance(enc, str) and isinstance(ds.get("output"), str):
            try:
                out[ds["output"]] = codecs.lookup(enc).name
            except LookupError:
                continue
    return out


def _decodes(head: bytes, encoding: str, whole: bool) -> bool:
    """Whether the bytes decode strictly in ``encoding`` (a character cut at the sample's end allowed)."""
    try:
        codecs.getincrementaldecoder(encoding)().decode(head, final=whole)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _mostly_utf8(head: bytes, whole: bool) -> bool:
    """UTF-8 text with a few lines pasted in from another encoding (at most one in ten).

    Genuine GBK text almost never forms valid UTF-8 sequences, so a file whose
    non-ASCII lines nearly all decode as UTF-8 is UTF-8 with stray lines.
    """
    lines = head.split(b"\n")
    if not whole:
        lines = lines[:-1]
    wide = [line for line in lines if not line.isascii()]
    if len(wide) < 10:
        return False
    bad = 0
    for line in wide:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
    return bad * 10 <= len(wide)


_HAN = re.compile(r"[\u4e00-\u9fff]")
_MIN_COMMON_SHARE = 0.85


@functools.lru_cache(maxsize=1)
def _common_chinese() -> frozenset[str]:
    """The 2,500 most frequent Chinese characters (scripts/make_common_chars.py)."""
    text = (Path(__file__).with_name("data") / "cn_common_chars.txt").read_text(encoding="utf-8")
    return frozenset(ch for line in text.splitlines() if not line.startswith("#") for ch in line)


def _reads_as_chinese(head: bytes) -> bool:
    """Bytes that decode strictly as GB18030 into common Chinese characters.

    Statistical detectors need varied text: a column of the same few Chinese
    words reads as cleanly in Korean cp949 and gets guessed so, garbling every
    value. Korean or Japanese bytes also decode as GB18030, but into arbitrary
    characters; real Chinese text is made of common ones (over 94% in the
    2,500 most frequent, against under 60% for Korean read as GB).
    """
    try:
        text = head.decode("gb18030")
    except UnicodeDecodeError:
        # A few undecodable lines (at most one in ten) are bad rows of a GB file, not a verdict.
        lines = [line for line in head.split(b"\n") if not line.isascii()]
        good = []
        for line in lines:
            with contextlib.suppress(UnicodeDecodeError):
                good.append(line.decode("gb18030"))
        if (len(lines) - len(good)) * 10 > len(lines):
            return False
        text = "\n".join(good)
    han = _HAN.findall(text)
    if len(han) < 4:
        return False
    common = _common_chinese()
    return sum(1 for ch in han if ch in common) >= _MIN_COMMON_SHARE * len(han)


def _is_gb(encoding: str) -> bool:
    return encoding.lower().replace("-", "_") in _GB_FAMILY


def decode_sample(head: bytes, encoding: str, whole: bool) -> str:
    """Decode a head sample, dropping a trailing partial line when the file goes on."""
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=whole)
    if not whole:
        cut = max(text.rfind("\n"), text.rfind("\r"))
        if cut > 0:
            text = text[: cut + 1]
    return text


def unique_names(names: Iterable[object]) -> list[str]:
    """Header names made unique and non-empty: ``col``, ``col_2``; empty → ``column_<n>``.

    Arrow tables tolerate duplicates but every consumer keyed by column name
    (findings, rules ``dataset:column``) does not.
    """
    raw = ["" if n is None else str(n).strip() for n in names]
    taken = {n for n in raw if n}
    seen: set[str] = set()
    out: list[str] = []
    for pos, name in enumerate(raw, start=1):
        if not name:
            candidate = f"column_{pos}"
            suffix = 2
            while candidate in taken or candidate in seen:
                candidate = f"column_{pos}_{suffix}"
                suffix += 1
        elif name in seen:
            suffix = 2
            candidate = f"{name}_{suffix}"
            while candidate in taken or candidate in seen:
                suffix += 1
                candidate = f"{name}_{suffix}"
        else:
            candidate = name
        seen.add(candidate)
        out.append(candidate)
    return out


def to_text(value: object) -> str | None:
    """One cell as text for the detectors; ``None`` stays null.

    Integral floats lose their ``.0`` (spreadsheets and drivers hand integers
    over as floats), bytes become hex, dates ISO 8601.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


# --- Reading hostile files: per-stream options, bad-row accounting, clean line streams ---------

BAD_LINES_LISTED = 5  # line numbers quoted in a bad-rows message; the count says the rest
_READ_CHUNK = 1 << 20
# Encodings in which a newline byte is always a newline (no multibyte character contains 0x0A
# or 0x0D), so that a file can be cut into lines before it is decoded.
_WIDE = ("utf-16", "utf-32", "utf_16", "utf_32")


@dataclass(frozen=True)
class ReadOptions:
    """How file readers treat what they cannot read (``--on-bad-rows``, ``--max-cell-bytes``, ...).

    ``on_bad_rows="skip"`` drops an unreadable row (ragged CSV record, invalid
    JSON line, undecodable bytes, a cell or line over
    ``max_cell_bytes``) and reports them as one error line of the dataset;
    ``"fail"`` makes the first one fail the dataset, as before.
    """

    on_bad_rows: str = "skip"
    max_cell_bytes: int = DEFAULT_MAX_CELL_BYTES
    follow_symlinks: bool = False
    ocr: bool = False  # documents: images and image-only PDF pages through Tesseract (--ocr)
    max_pdf_pages: int = 2_000  # documents: a PDF with more pages is refused (one error line)


DEFAULT_READ_OPTIONS = ReadOptions()


class BadRows:
    """The skipped rows of one pass over a dataset, reported as one value-free line.

    A reader calls ``skip(line, reason)`` per bad row; in ``fail`` mode that
    raises the SourceError at once. ``message()`` is the dataset's error line
    ("3 bad rows skipped (lines 17, 204, 9001)"): only line numbers and
    reasons, never the row's text.
    """

    def __init__(self, options: ReadOptions, unit: str = "line") -> None:
        self.options = options
        self.unit = unit
        self.count = 0
        self.lines: list[int] = []
        self.reasons: dict[str, int] = {}
        self._seen: set[int] = set()

    def skip(self, line: int | None, reason: str, detail: str | None = None) -> None:
        """Record one bad row (a row already recorded, e.g. on a re-read, counts once).

        ``reason`` groups rows in the summary; ``detail`` (value-free too) is the
        more precise text of the ``fail`` mode's error.
        """
        if line is not None:
            if line in self._seen:
                return
            self._seen.add(line)
        if self.options.on_bad_rows == "fail":
            where = f" on {self.unit} {line}" if line is not None else ""
            raise SourceError(f"bad row{where}: {detail or reason} (--on-bad-rows fail)")
        self.count += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1
        if line is not None and len(self.lines) < BAD_LINES_LISTED:
            self.lines.append(line)

    def message(self) -> str | None:
        """The dataset's one error line, or None when every row was read."""
        if not self.count:
            return None
        where = ""
        if self.lines:
            more = ", …" if self.count > len(self.lines) else ""
            unit = self.unit if self.count == 1 else f"{self.unit}s"
            where = f" ({unit} {', '.join(str(n) for n in self.lines)}{more})"
        why = "; ".join(f"{r} ×{n}" if len(self.reasons) > 1 else r for r, n in self.reasons.items())
        noun = "row" if self.count == 1 else "rows"
        return f"{self.count} bad {noun} skipped{where}: {why}"

    def report_to(self, problems: list[str]) -> None:
        """Replace the previous pass's report in a Dataset's ``problems`` with this pass's."""
        problems.clear()
        if (text := self.message()) is not None:
            problems.append(text)


def line_safe(encoding: str) -> bool:
    """Whether the file can be split into lines on raw newline bytes (not UTF-16/32)."""
    return not codecs.lookup(encoding).name.startswith(_WIDE)


_ESCAPED = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of bytes that do not decode


def text_lines(path: Path, encoding: str, bad: BadRows) -> Iterator[tuple[int, str]]:
    """Decoded lines (universal newlines, without their ending) of a text file; bad lines skipped into ``bad``.

    A line is bad when it does not decode in the file's encoding (a file with
    mixed encodings) or is longer than the cell limit (in characters); an
    over-long line is read on in chunks and dropped, never held whole. A
    stray NUL byte is just a character: the line is read.
    """
    limit = bad.options.max_cell_bytes
    with open(path, encoding=encoding, errors="surrogateescape", newline=None) as fh:
        number = 0
        while line := fh.readline(limit + 1):
            number += 1
            if len(line) > limit and not line.endswith("\n"):
                while (rest := fh.readline(_READ_CHUNK)) and not rest.endswith("\n"):
                    pass
                bad.skip(number, "line over --max-cell-bytes")
                continue
            text = line[:-1] if line.endswith("\n") else line
            if _ESCAPED.search(text):
                bad.skip(number, f"not valid {encoding}")
                continue
            yield number, text


def _decode_line(raw: bytes, encoding: str, number: int, bad: BadRows) -> str | None:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        bad.skip(number, f"not valid {encoding}")
        return None


class CleanStream(io.RawIOBase):
    """A file as UTF-8 bytes with its bad lines blanked, for Arrow's CSV reader.

    Arrow fails a whole file on one undecodable byte, and an over-long line
    wrecks it as well; here each such physical line becomes an
    empty line (Arrow skips empty lines, and line numbers stay those of the
    file) and is counted in ``bad``. Whole blocks that are clean, the normal
    case, pass through unchanged after a vectorized UTF-8 check; only a
    failing block is looked at line by line. A missing final newline is added
    (Arrow fails a header-only file without one).
    """

    def __init__(self, path: Path, encoding: str, bad: BadRows) -> None:
        super().__init__()
        self._fh = open(path, "rb")  # noqa: SIM115 - closed in close()
        self._encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        self._utf8 = codecs.lookup(self._encoding).name == "utf-8"
        self._bad = bad
        self._limit = bad.options.max_cell_bytes
        self._carry = b""  # an unfinished line from the previous chunk
        self._carry_dropped = False  # the unfinished line is already over the limit
        self._line = 1  # number of the first line in _carry
        self._pending: collections.deque[bytes] = collections.deque()
        self._cur = memoryview(b"")
        self._eof = False
        self._first = True

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001 - a writable buffer from io/Arrow
        # Arrow takes a short read for a whole block, so fill the buffer unless at the end.
        view = memoryview(buffer).cast("B")
        want, got = len(view), 0
        while got < want:
            if not self._cur:
                if self._pending:
                    self._cur = memoryview(self._pending.popleft())
                    continue
                if self._eof:
                    break
                self._fill()
                continue
            n = min(want - got, len(self._cur))
            view[got:got + n] = self._cur[:n]
            self._cur = self._cur[n:]
            got += n
        return got

    def close(self) -> None:
        self._fh.close()
        super().close()

    def _fill(self) -> None:
        chunk = self._fh.read(_READ_CHUNK)
        if self._first:
            self._first = False
            if chunk.startswith(codecs.BOM_UTF8) and self._utf8:
                chunk = chunk[len(codecs.BOM_UTF8):]
        if not chunk:
            self._eof = True
            if self._carry_dropped:
                self._drop_carry()
            elif self._carry:
                self._emit_block(self._carry + b"\n")
            return
        data = self._carry + chunk if self._carry else chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            self._carry = b"" if self._carry_dropped else data
            if len(self._carry) > self._limit:
                self._carry, self._carry_dropped = b"", True
            return
        whole, self._carry = data[:cut], data[cut:]
        if self._carry_dropped:
            self._drop_carry()  # the first line of `whole` ends the over-long line
            whole = whole[whole.find(b"\n") + 1:]
            self._carry_dropped = False
        if whole:
            self._emit_block(whole)
        if len(self._carry) > self._limit:
            self._carry, self._carry_dropped = b"", True

    def _drop_carry(self) -> None:
        self._bad.skip(self._line, "line over --max-cell-bytes")
        self._pending.append(b"\n")
        self._line += 1

    def _emit_block(self, block: bytes) -> None:
        """Whole lines: fast path for a clean block, else line by line."""
        if len(block) <= self._limit or _longest_line(block) <= self._limit:
            if self._utf8 and _valid_utf8(block):
                self._pending.append(block)
                self._line += _newlines(block)
                return
            if not self._utf8:
                try:
                    self._pending.append(block.decode(self._encoding).encode("utf-8"))
                    self._line += _newlines(block)
                    return
                except UnicodeDecodeError:
                    pass
        out = bytearray()
        for raw in block.split(b"\n")[:-1]:
            raw += b"\n"
            number = self._line
            self._line += 1
            if len(raw) > self._limit:
                self._bad.skip(number, "line over --max-cell-bytes")
                out += b"\n"
                continue
            text = _decode_line(raw, self._encoding, number, self._bad)
            out += b"\n" if text is None else (raw if self._utf8 else text.encode("utf-8"))
        self._pending.append(bytes(out))


def _newlines(block: bytes) -> int:
    return int(np.count_nonzero(np.frombuffer(block, dtype=np.uint8) == 0x0A))


def _valid_utf8(block: bytes) -> bool:
    """UTF-8 validity at Arrow's (SIMD) speed, without building a Python str."""
    offsets = pa.py_buffer(np.array([0, len(block)], dtype=np.int64))
    array = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(block)])
    try:
        array.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _longest_line(block: bytes) -> int:
    return max(len(line) for line in block.split(b"\n"))
