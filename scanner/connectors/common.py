"""Helpers shared by the file connectors: encoding detection, header names, cell text.

Chinese business data arrives as UTF-8, UTF-8 with a BOM (Excel's "CSV UTF-8")
or GBK/GB18030 (Excel's default on a Chinese Windows), whatever the extension
says, so the encoding is read from the bytes. Every value is handed on as text:
numbers typed by a reader would lose the leading zeros of codes and the
trailing ``X`` of resident ID numbers, which the detectors need verbatim.
"""

from __future__ import annotations

import codecs
import datetime as dt
import decimal
import functools
import re
from collections.abc import Iterable
from pathlib import Path

import charset_normalizer

from scanner.connectors.base import SourceError

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
    if b"\x00" in head:  # no text encoding we accept produces NUL bytes
        raise SourceError("cannot detect text encoding (binary content)")
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # final=False lets a multibyte character cut at the sample's end pass.
        decoder.decode(head, final=whole)
        return "utf-8"
    except UnicodeDecodeError:
        pass
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
        return False
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
