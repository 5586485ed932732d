"""Vectorized date parsing for the retention and minor_data rules.

Counts for these rules come from a full pass over a column (possibly millions
of rows), so every step is a pyarrow.compute kernel over the whole batch;
Python never loops over values. Real exports mix formats in one column
(`2021/4/14`, `2019-05-18`, `2024年3月5日`, epoch numbers), so each value is
tried against every supported shape and the first that yields a real calendar
date wins. A value that is present but fits none of them is *unparseable*:
counted and reported, never guessed and never raised on.

Every function returns a :class:`DateColumn`: a ``date32`` array (null where
there is no usable date) and how many values were missing or unparseable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.vectorized import byte_matrix

# Year, month, day with -, /, ., or 年/月/日 between them, an optional 日 and an
# optional time part ("2024-03-05 10:00:00", "2024-03-05T10:00:00+08:00").
_YMD = (
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*[T\s]\s*\d{1,2}[:时].*)?$"
)
_COMPACT = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"
# Epoch numbers written as text: 9-19 digits, optional fraction.
_EPOCH_TEXT = r"^-?\d{9,19}(?:\.\d+)?$"
# A timestamp beyond ~±8000 years is not a date; arrow's date32 would overflow anyway.
_MAX_ABS_DAYS = 3_000_000
_SECONDS_PER_DAY = 86_400.0

# 18-character resident ID (also the 2023 foreign permanent resident card): birth date at chars 7-14.
_ID18 = r"^\d{17}[\dX]$"
# Legacy 15-digit resident ID: birth date YYMMDD (19YY) at chars 7-12.
_ID15 = r"^\d{15}$"
# An 18-character ID inside free text, not glued to other digits.
_ID18_IN_TEXT = r"(?:^|[^0-9])(?P<id>\d{17}[\dXx])(?:[^0-9Xx]|$)"


@dataclass
class DateColumn:
    """Dates parsed from one column (batch): values, and what could not be used."""

    dates: pa.Array  # date32, null where missing or unparseable
    missing: int  # null or blank values
    unparseable: int  # present but not a date

    @property
    def parsed(self) -> int:
        """Values that yielded a date."""
        return len(self.dates) - self.dates.null_count


def _plain(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous, non-dictionary array."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array


def _count_true(mask: pa.Array) -> int:
    return int(pc.sum(pc.cast(pc.fill_null(mask, False), pa.int64())).as_py() or 0)


def _null_dates(n: int) -> pa.Array:
    return pa.nulls(n, type=pa.date32())


def ymd_to_dates(year: pa.Array, month: pa.Array, day: pa.Array) -> pa.Array:
    """date32 from year/month/day digit strings; impossible dates (Feb 30, month 13) become null.

    Years run 0001-9999, as strptime's %Y does.
    """
    digits = pc.and_(pc.and_(_digits(year), _digits(month)), _digits(day))
    y, m, d = (np.asarray(pc.cast(pc.if_else(digits, part, "0"), pa.int64()), dtype=np.int64)
               for part in (year, month, day))
    return calendar_dates(y, m, d, np.asarray(digits))


def calendar_dates(y: np.ndarray, m: np.ndarray, d: np.ndarray, valid: np.ndarray) -> pa.Array:
    """date32 from integer year/month/day where ``valid``; impossible dates become null.

    Calendar arithmetic in numpy (month starts as datetime64): a day is valid
    when it is within its month's length, leap years included.
    """
    valid = valid & (y >= 1) & (y <= 9999) & (m >= 1) & (m <= 12) & (d >= 1)
    months = np.where(valid, (y - 1970) * 12 + (m - 1), 0)
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    length = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - first
    valid &= d <= length
    days = np.where(valid, first + d - 1, 0).astype(np.int32)
    return pa.array(days, type=pa.int32(), mask=~valid).cast(pa.date32())


def _digits(part: pa.Array) -> pa.Array:
    """Where a date part is present and all digits (at most 4)."""
    return pc.fill_null(pc.match_substring_regex(part, r"^\d{1,4}$"), False)


def _regex_dates(text: pa.Array, pattern: str) -> pa.Array:
    """Dates from strings matching a pattern with y/m/d groups; null elsewhere."""
    parts = pc.extract_regex(text, pattern)
    return ymd_to_dates(pc.struct_field(parts, "y"), pc.struct_field(parts, "m"), pc.struct_field(parts, "d"))


def epoch_to_dates(numbers: pa.Array) -> pa.Array:
    """date32 from epoch numbers, unit chosen by magnitude (s, ms, µs, ns).

    10-digit values are seconds (until year 5138) and 13-digit values are
    milliseconds: the two overlap nowhere a real record lives.
    """
    values = pc.cast(numbers, pa.float64(), safe=False)
    magnitude = pc.abs(values)
    divisor = pc.case_when(
        pc.make_struct(pc.less(magnitude, 1e11), pc.less(magnitude, 1e14), pc.less(magnitude, 1e17)),
        pa.scalar(_SECONDS_PER_DAY), pa.scalar(_SECONDS_PER_DAY * 1e3), pa.scalar(_SECONDS_PER_DAY * 1e6),
        pa.scalar(_SECONDS_PER_DAY * 1e9),
    )
    days = pc.floor(pc.divide(values, divisor))
    in_range = pc.and_(pc.is_finite(days), pc.less_equal(pc.abs(days), float(_MAX_ABS_DAYS)))
    safe_days = pc.if_else(in_range, days, pa.scalar(None, pa.float64()))
    return pc.cast(pc.cast(safe_days, pa.int32()), pa.date32())


def _string_dates(text: pa.Array) -> pa.Array:
    """Dates from strings: Y-M-D family (incl. Chinese), compact YYYYMMDD, epoch digits."""
    ymd = _regex_dates(text, _YMD)
    compact = _regex_dates(text, _COMPACT)
    epoch_like = pc.fill_null(pc.match_substring_regex(text, _EPOCH_TEXT), False)
    epoch_numbers = pc.cast(pc.if_else(epoch_like, text, pa.scalar(None, pa.string())), pa.float64())
    return pc.coalesce(ymd, compact, epoch_to_dates(epoch_numbers))


def _numeric_dates(numbers: pa.Array) -> pa.Array:
    """Dates from numbers: integral YYYYMMDD (e.g. 20240305) first, else epoch."""
    values = pc.cast(numbers, pa.float64(), safe=False)
    integral = pc.and_(pc.equal(pc.floor(values), values),
                       pc.and_(pc.greater_equal(values, 1e7), pc.less(values, 1e8)))
    as_text = pc.cast(pc.cast(pc.if_else(pc.fill_null(integral, False), values, pa.scalar(None, pa.float64())),
                              pa.int64()), pa.string())
    return pc.coalesce(_regex_dates(as_text, _COMPACT), epoch_to_dates(values))


def _as_text(array: pa.Array) -> pa.Array:
    """Trimmed UTF-8 text (binary decoded leniently by arrow's cast)."""
    if pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type):
        array = pc.cast(array, pa.large_string(), safe=False)
    if pa.types.is_large_string(array.type):
        array = pc.cast(array, pa.string())
    return pc.utf8_trim_whitespace(array)


def _finish(dates: pa.Array, present: pa.Array) -> DateColumn:
    """Count missing values (not present) and unparseable ones (present, no date)."""
    present = pc.fill_null(present, False)
    missing = len(present) - _count_true(present)
    unparseable = _count_true(pc.and_(present, pc.is_null(dates)))
    return DateColumn(dates=pc.if_else(present, dates, _null_dates(len(dates))), missing=missing,
                      unparseable=unparseable)


def parse_dates(array: pa.Array | pa.ChunkedArray) -> DateColumn:
    """Dates from a column of any Arrow type; never raises on bad values."""
    array = _plain(array)
    n = len(array)
    kind = array.type
    if pa.types.is_null(kind):
        return DateColumn(_null_dates(n), missing=n, unparseable=0)
    present = pc.is_valid(array)
    if pa.types.is_date(kind):
        return _finish(pc.cast(array, pa.date32()), present)
    if pa.types.is_timestamp(kind):
        return _finish(pc.cast(pc.cast(array, pa.timestamp("s", tz=kind.tz), safe=False), pa.date32()), present)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return _finish(_numeric_dates(array), present)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind) \
            or pa.types.is_large_binary(kind):
        text = _as_text(array)
        present = pc.and_(present, pc.not_equal(text, ""))
        return _finish(_string_dates(text), present)
    # Lists, structs, booleans, …: present but not a date.
    return _finish(_null_dates(n), present)


def _id_text(array: pa.Array) -> pa.Array:
    """ID numbers as trimmed upper-case text (integers are cast: 15-digit IDs often are)."""
    if pa.types.is_integer(array.type) or pa.types.is_decimal(array.type):
        array = pc.cast(array, pa.string())
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
            or pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type)):
        return pa.nulls(len(array), type=pa.string())
    return pc.utf8_upper(_as_text(array))


def birth_dates_from_ids(array: pa.Array | pa.ChunkedArray, free_text: bool = False) -> DateColumn:
    """Birth dates encoded in resident ID numbers (GB 11643-1999).

    18 characters: ``YYYYMMDD`` at characters 7-14; 15 digits: ``YYMMDD`` of
    the 1900s at 7-12. In free text the first 18-character ID of each value
    is used. Masked IDs (``110105********002X``) hide the date: unparseable.
    """
    array = _plain(array)
    n = len(array)
    if pa.types.is_null(array.type):
        return DateColumn(_null_dates(n), missing=n, unparseable=0)
    text = _id_text(array)
    present = pc.and_(pc.is_valid(array), pc.not_equal(pc.fill_null(text, ""), ""))
    if free_text:  # a value without an ID in it holds nothing to judge: missing, not unparseable
        ids = pc.struct_field(pc.extract_regex(text, _ID18_IN_TEXT), "id")
        present = pc.is_valid(ids)
    else:
        ids = text
    return _finish(_id_dates(ids), present)


def _id_dates(ids: pa.Array) -> pa.Array:
    """date32 birth dates of 18- and 15-character IDs, read off their digit bytes; null elsewhere.

    An ID column has millions of values: the date digits are taken from the
    string buffer as a fixed-width byte matrix, not sliced and cast as strings.
    """
    n = len(ids)
    y, m, d = (np.zeros(n, dtype=np.int64) for _ in range(3))
    found = np.zeros(n, dtype=bool)
    for pattern, width, year_digits, century in ((_ID18, 18, 4, 0), (_ID15, 15, 2, 1900)):
        mask = np.asarray(pc.fill_null(pc.match_substring_regex(ids, pattern), False))
        if not mask.any():
            continue
        end = 6 + year_digits + 4
        digits = byte_matrix(ids.filter(pa.array(mask)), width)[:, 6:end].astype(np.int64) - ord("0")
        y[mask] = century + _number(digits[:, :year_digits])
        m[mask] = _number(digits[:, year_digits : year_digits + 2])
        d[mask] = _number(digits[:, year_digits + 2 :])
        found |= mask
    return calendar_dates(y, m, d, found)


def _number(digits: np.ndarray) -> np.ndarray:
    """Each row of a digit matrix read as one decimal number."""
    return digits @ (10 ** np.arange(digits.shape[1] - 1, -1, -1, dtype=np.int64))
