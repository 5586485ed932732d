"""Whole-array validators: checksums and formats over a column at once.

Column classification and anonymization see millions of candidate cells; a
Python call per cell would cost more than everything else together. The
common validators are written here as numpy/pyarrow operations over fixed-width
digit matrices (resident ID checksum, Luhn, dates) and RE2 patterns (e-mail,
IPv4). Each returns a boolean array aligned with its input and agrees with the
per-value validator in ``validators.py`` (the tests check both on the same
values).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors import validators as v

_ID_WEIGHTS = np.array(v.ID_WEIGHTS, dtype=np.int64)
_ID_CHECK = np.frombuffer(v.ID_CHECK_CHARS.encode("ascii"), dtype=np.uint8)
_PROVINCES = np.zeros(100, dtype=bool)
_PROVINCES[list(v.PROVINCE_CODES)] = True
_MOBILE_PREFIXES = pa.array(sorted(v.MOBILE_PREFIXES))

EMAIL_RE2 = (
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]{1,64}(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,24}|xn--[A-Za-z0-9\-]{1,59})$"
)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4_RE2 = rf"^{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}$"


def plain_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous array: the vectorized validators read buffers and offsets, which chunks would split."""
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def byte_matrix(values: pa.Array, width: int) -> np.ndarray:
    """Rows of a string array whose values all have ``width`` bytes, as an (n, width) uint8 matrix."""
    fixed = values.cast(pa.binary(width))
    data = fixed.buffers()[1]
    start = fixed.offset * width
    return np.frombuffer(data, dtype=np.uint8, count=len(fixed) * width, offset=start).reshape(len(fixed), width)


def _scatter(n: int, positions: np.ndarray, ok: np.ndarray) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[positions] = ok
    return out


def _real_dates(year: np.ndarray, month: np.ndarray, day: np.ndarray, today: dt.date) -> np.ndarray:
    """Whether (year, month, day) is a real date between 1880-01-01 and today."""
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    month_ok = (month >= 1) & (month <= 12)
    limit = days[np.clip(month, 0, 12)] + ((month == 2) & leap)
    ymd = year * 10000 + month * 100 + day
    return month_ok & (day >= 1) & (day <= limit) & (ymd >= 18800101) & (ymd <= today.year * 10000 + today.month * 100 + today.day)


def resident_id_mask(values: pa.Array, today: dt.date | None = None) -> np.ndarray:
    """is_valid_resident_id over a whole array (18-character ids vectorized, 15-digit ones per value)."""
    values = plain_array(values)
    today = today or dt.date.today()
    text = pc.utf8_upper(pc.utf8_trim_whitespace(values))
    n = len(text)
    is18 = np.asarray(pc.fill_null(pc.match_substring_regex(text, r"^[0-9]{17}[0-9X]$"), False))
    out = np.zeros(n, dtype=bool)
    pos = np.flatnonzero(is18)
    if len(pos):
        mat = byte_matrix(text.take(pa.array(pos)), 18).astype(np.int64)
        digits = mat[:, :17] - 48
        check_ok = _ID_CHECK[(digits @ _ID_WEIGHTS) % 11] == mat[:, 17]
        first2 = digits[:, 0] * 10 + digits[:, 1]
        foreign = digits[:, 0] == 9
        prov = np.where(foreign, _PROVINCES[digits[:, 1] * 10 + digits[:, 2]], _PROVINCES[first2])
        year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
        month = digits[:, 10] * 10 + digits[:, 11]
        day = digits[:, 12] * 10 + digits[:, 13]
        out[pos] = check_ok & prov & _real_dates(year, month, day, today)
    legacy = np.flatnonzero(np.asarray(pc.fill_null(pc.match_substring_regex(text, r"^[0-9]{15}$"), False)))
    for i in legacy:  # rare: the 15-digit form is decades old
        out[i] = v.is_valid_resident_id(text[int(i)].as_py(), today)
    return out


def luhn_mask(values: pa.Array) -> np.ndarray:
    """is_valid_bank_card over a whole array: 13-19 digits (separators removed), not one repeated digit,
    not an epoch timestamp, Luhn."""
    values = plain_array(values)
    if pc.all(pc.fill_null(pc.ascii_is_decimal(values), False)).as_py():
        digits = values  # the usual column: nothing to strip (one cheap pass instead of a regex rewrite)
    else:
        digits = pc.replace_substring_regex(values, r"[^0-9]", "")
    lengths = np.asarray(pc.fill_null(pc.utf8_length(digits), 0))
    out = np.zeros(len(values), dtype=bool)
    for width in range(13, 20):
        pos = np.flatnonzero(lengths == width)
        if not len(pos):
            continue
        mat = byte_matrix(digits.take(pa.array(pos)), width).astype(np.int64) - 48
        rev = mat[:, ::-1]
        doubled = rev[:, 1::2] * 2
        doubled -= 9 * (doubled > 9)
        total = rev[:, 0::2].sum(axis=1) + doubled.sum(axis=1)
        varied = mat.min(axis=1) != mat.max(axis=1)
        if width in v.TIMESTAMP_LENGTHS:  # epoch ms/us/ns: 1..., 20..., 21...
            varied &= ~((mat[:, 0] == 1) | ((mat[:, 0] == 2) & (mat[:, 1] <= 1)))
        out[pos] = (total % 10 == 0) & varied
    return out


def mobile_mask(values: pa.Array) -> np.ndarray:
    """is_valid_cn_mobile over a whole array: +86/0086/86 and separators removed, allocated prefix."""
    bare = normalized_mobiles(values)
    ok = pc.and_(pc.match_substring_regex(bare, r"^1[0-9]{10}$"), pc.is_in(pc.utf8_slice_codeunits(bare, 0, 3),
                                                                           value_set=_MOBILE_PREFIXES))
    return np.asarray(pc.fill_null(ok, False))


def normalized_mobiles(values: pa.Array) -> pa.Array:
    """The 11-digit national number of each value (or a string that fails the mobile shape)."""
    values = plain_array(values)
    text = pc.replace_substring_regex(pc.utf8_trim_whitespace(values), r"[\s\-()（）]", "")
    for prefix in ("+86", "0086", "86"):
        strip = pc.and_(pc.starts_with(text, prefix), pc.equal(pc.utf8_length(text), 11 + len(prefix)))
        text = pc.if_else(strip, pc.utf8_slice_codeunits(text, len(prefix)), text)
    return text


def regex_mask(values: pa.Array, pattern: str) -> np.ndarray:
    """A full-match RE2 pattern over a whole array."""
    return np.asarray(pc.fill_null(pc.match_substring_regex(plain_array(values), pattern), False))


def email_mask(values: pa.Array) -> np.ndarray:
    """is_valid_email over a whole array."""
    values = plain_array(values)
    short = np.asarray(pc.fill_null(pc.less_equal(pc.utf8_length(values), 254), False))
    return regex_mask(pc.utf8_trim_whitespace(values), EMAIL_RE2) & short


def ipv4_mask(values: pa.Array) -> np.ndarray:
    """Dotted-quad IPv4 without leading zeros (IPv6 is left to the per-value validator)."""
    return regex_mask(pc.utf8_trim_whitespace(plain_array(values)), IPV4_RE2)


_USCC_LOOKUP = np.full(256, -1, dtype=np.int64)
for _i, _ch in enumerate(v.USCC_ALPHABET):
    _USCC_LOOKUP[ord(_ch)] = _i
_USCC_WEIGHTS = np.array(v.USCC_WEIGHTS, dtype=np.int64)


def uscc_mask(values: pa.Array) -> np.ndarray:
    """is_valid_uscc over a whole array: alphabet, numeric division code, check character."""
    text = pc.utf8_upper(pc.utf8_trim_whitespace(plain_array(values)))
    shaped = np.asarray(pc.fill_null(pc.match_substring_regex(
        text, r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"), False))
    out = np.zeros(len(text), dtype=bool)
    pos = np.flatnonzero(shaped)
    if not len(pos):
        return out
    mat = _USCC_LOOKUP[byte_matrix(text.take(pa.array(pos)), 18)]
    expected = (31 - (mat[:, :17] @ _USCC_WEIGHTS) % 31) % 31
    division = mat[:, 2] * 10 + mat[:, 3]  # digits map to themselves in the alphabet
    division_ok = _PROVINCES[np.clip(division, 0, 99)] | (division == 10)
    out[pos] = (expected == mat[:, 17]) & division_ok
    return out


def chinese_name_mask(values: pa.Array) -> np.ndarray:
    """is_chinese_name over a whole array: surname sets, lengths and suffixes in Arrow.

    The dictionary-word check is a Python set lookup on the survivors only:
    Arrow's is_in would rebuild a 74k-entry hash table on every call.
    """
    text = pc.utf8_trim_whitespace(plain_array(values))
    compound, single = v.cn_surnames()
    length = pc.utf8_length(text)
    han = pc.match_substring_regex(text, r"^[\x{3400}-\x{9fff}]+$")
    first2 = pc.utf8_slice_codeunits(text, 0, 2)
    first1 = pc.utf8_slice_codeunits(text, 0, 1)
    by_compound = pc.and_(pc.is_in(first2, value_set=pa.array(sorted(compound))),
                          pc.is_in(length, value_set=pa.array([3, 4], pa.int32())))
    by_single = pc.and_(pc.is_in(first1, value_set=pa.array(sorted(single))),
                        pc.is_in(length, value_set=pa.array([2, 3], pa.int32())))
    suffix = "".join(v.NOT_NAME_SUFFIX)
    bad_end = pc.match_substring_regex(text, f"[{suffix}]$")
    doubled = pc.and_(pc.equal(length, 2), pc.equal(first1, pc.utf8_slice_codeunits(text, 1, 2)))
    ok = pc.and_(pc.and_(han, pc.or_(by_compound, by_single)), pc.invert(pc.or_(bad_end, doubled)))
    out = np.asarray(pc.fill_null(ok, False))
    survivors = np.flatnonzero(out)
    if len(survivors):
        words = v.name_shaped_words()
        out[survivors] = [w not in words for w in text.take(pa.array(survivors)).to_pylist()]
    dotted = np.flatnonzero(np.asarray(pc.fill_null(pc.match_substring(text, "·"), False)))
    for i in dotted:  # transliterated minority/foreign names: rare
        out[i] = v.is_chinese_name(text[int(i)].as_py())
    return out
