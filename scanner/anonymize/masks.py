"""Masking in the shapes Chinese users expect, per value and column-wise.

Defaults per entity: a credential is hidden whole (symbols too), mobile ``138******78`` (a ``+86`` prefix stays outside
the count), ID ``110105********002X``, card first 6 + last 4, name ``张**``,
e-mail ``z***@qq.com``, address keeps province/city/district, IP keeps the
network half. Letters, digits and Han characters are hidden, separators kept,
and at least a third of the characters are always hidden (``mask_chars``).

The column-wise path (``mask_array``) does the common case — values made only
of letters, digits and Han characters — with pyarrow compute, grouped by
length so every slice is a scalar operation; the rest (separators, e-mails,
addresses) goes through Python once per distinct value.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.entities.spec import MASK_ADDRESS, MASK_EMAIL, MASK_IP, MASK_NATIONAL, MASK_SECRET
from detectors.masking import default_keep, mask_chars, mask_style, mask_value
from detectors.validators import digits_only, normalize_mobile
from detectors.vectorized import IPV4_RE2, regex_mask
from scanner.anonymize.address import has_han, split_address

# Styles whose default mask is detectors/masking.py's, as the masked samples in findings show.
_SAMPLE_STYLES = frozenset({MASK_EMAIL, MASK_IP, MASK_NATIONAL})
# A secret keeps nothing but its spacing: symbols are part of a password (``a1d&L!Rr(F``), so all go.
_SECRET_RE2 = r"\S"
_SECRET_CHAR = re.compile(r"\S")
_PURE = r"^[\p{L}\p{N}]+$"


def keep_for(entity: str | None, keep_first: int | None, keep_last: int | None) -> tuple[int, int]:
    """The (first, last) counts to keep: the rule's, else the entity's default, else (1, 1)."""
    first, last = default_keep(entity)
    return (first if keep_first is None else keep_first, last if keep_last is None else keep_last)


def mask_address(value: str, char: str = "*") -> str:
    """Keep province/city/district of a Chinese address; the first comma part of others goes."""
    if has_han(value):
        parts = split_address(value)
        if parts.prefix:
            return parts.prefix + mask_chars(parts.rest, 0, 0, char) if parts.rest else parts.prefix
        return mask_chars(value, 2, 0, char)
    head, sep, tail = value.partition(",")
    return mask_chars(head, 0, 0, char) + sep + tail if sep else mask_chars(value, 0, 0, char)


def mask_one(entity: str | None, value: str, keep_first: int | None = None, keep_last: int | None = None,
             char: str | None = None) -> str:
    """One value masked by the rule's parameters, or in the entity's default shape."""
    ch = char or "*"
    style = mask_style(entity)
    if style == MASK_SECRET and keep_first is None and keep_last is None:
        return _SECRET_CHAR.sub(ch, value)
    if keep_first is None and keep_last is None:
        if style == MASK_ADDRESS:
            return mask_address(value, ch)
        if style in _SAMPLE_STYLES:
            return mask_value(entity, value, ch)
    first, last = keep_for(entity, keep_first, keep_last)
    if style == MASK_EMAIL and "@" in value:
        local, _, domain = value.partition("@")
        return mask_chars(local, first, last, ch) + "@" + domain
    if style == MASK_NATIONAL:
        bare = normalize_mobile(value)
        if bare is not None and digits_only(value) != bare:
            cut = _national_start(value, len(bare))
            return value[:cut] + mask_chars(value[cut:], first, last, ch)
    return mask_chars(value, first, last, ch)


def _national_start(value: str, national_digits: int) -> int:
    """Index where the last ``national_digits`` digits begin (after a +86 prefix)."""
    seen = 0
    total = sum(ch.isdigit() for ch in value)
    for i, ch in enumerate(value):
        if ch.isdigit():
            if total - seen == national_digits:
                return i
            seen += 1
    return 0


def mask_array(values: pa.Array, entity: str | None, keep_first: int | None = None,
               keep_last: int | None = None, char: str | None = None) -> pa.Array:
    """Mask a string array without nulls: vectorized for the common shapes, per distinct value otherwise.

    Every fast path gives exactly ``mask_one``'s output on the rows it takes
    (tests compare them); rows of any other shape go through ``mask_one``
    once per distinct value.
    """
    ch = char or "*"
    if len(values) == 0:
        return values

    def slow(part: pa.Array) -> pa.Array:
        return map_distinct(part, lambda v: mask_one(entity, v, keep_first, keep_last, char))

    defaults = keep_first is None and keep_last is None
    style = mask_style(entity)
    if defaults and style == MASK_SECRET:
        return pc.replace_substring_regex(values, _SECRET_RE2, _replacement(ch))
    one_byte = len(ch) == 1 and ch.isascii() and pa.types.is_string(values.type)
    if defaults and style == MASK_ADDRESS:
        return slow(values)
    if defaults and style == MASK_IP:
        ipv4 = regex_mask(values, IPV4_RE2) if one_byte else np.zeros(len(values), dtype=bool)
        return _split(values, ipv4, lambda part: _mask_ipv4(part, ch), slow)
    if defaults and style == MASK_EMAIL:
        # an e-mail shape: something after the first @ (mask_email masks anything else as plain characters)
        shaped = regex_mask(values, r"^[^@]*@(?s:.)") if one_byte else np.zeros(len(values), dtype=bool)
        return _split(values, shaped, lambda part: _mask_email(part, ch), slow)
    first, last = keep_for(entity, keep_first, keep_last)
    ascii_ok = np.asarray(pc.string_is_ascii(values)) if one_byte else np.zeros(len(values), dtype=bool)
    pure = regex_mask(values, _PURE)
    if style == MASK_NATIONAL:  # a +86 prefix is kept outside the count: only bare 11-digit numbers here
        pure = ascii_ok = ascii_ok & regex_mask(values, _ELEVEN_DIGITS)
    elif style == MASK_EMAIL:  # with an @, the local part alone is masked
        no_at = ~np.asarray(pc.match_substring(values, "@"))
        pure, ascii_ok = pure & no_at, ascii_ok & no_at
    return _split(values, ascii_ok, lambda part: _mask_ascii(part, first, last, ch),
                  lambda rest: _split(rest, pure[~ascii_ok], lambda part: _mask_pure(part, first, last, ch), slow))


def _split(values: pa.Array, fast_rows: np.ndarray, fast: Callable[[pa.Array], pa.Array],
           slow: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``fast`` on the rows it can take, ``slow`` on the others, back in row order."""
    if fast_rows.all():
        return fast(values)
    if not fast_rows.any():
        return slow(values)
    mask = pa.array(fast_rows)
    return _scatter(mask, fast(values.filter(mask)), slow(values.filter(pc.invert(mask))))


def _replacement(text: str) -> str:
    """Literal text for an RE2 rewrite string."""
    return text.replace("\\", "\\\\")


def _mask_ipv4(values: pa.Array, char: str) -> pa.Array:
    """``mask_ip`` for IPv4 addresses: the network half stays, ``240.193.*.*``."""
    return pc.replace_substring_regex(values, r"^(\d+\.\d+)\.\d+\.\d+$", "\\1." + _replacement(f"{char}.{char}"))


def _mask_email(values: pa.Array, char: str) -> pa.Array:
    """``mask_email`` for values with an @: the local part's first character, three mask characters, the rest."""
    return pc.replace_substring_regex(values, r"^([^@]?)[^@]*@", "\\1" + _replacement(char * 3) + "@")


# Which bytes mask_chars hides: ASCII letters and digits (what str.isalnum accepts among ASCII).
_ALNUM = np.zeros(256, dtype=bool)
_ALNUM[[ord(c) for c in "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"]] = True
_ELEVEN_DIGITS = r"^[^0-9]*(?:[0-9][^0-9]*){11}$"


def _mask_ascii(values: pa.Array, keep_first: int, keep_last: int, char: str) -> pa.Array:
    """``mask_chars`` for ASCII values and a one-byte mask character, over the string buffer at once.

    Each letter or digit gets its rank among its value's letters and
    digits; the ones ranked between the kept first and last are replaced.
    Byte lengths do not change, so the offsets are reused.
    """
    n_values = len(values)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset : values.offset + n_values + 1]
    base = int(offsets[0])
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)[base : int(offsets[-1])].copy()
    starts, lengths = offsets[:-1] - base, np.diff(offsets)
    alnum = _ALNUM[data]
    before = np.concatenate(([0], np.cumsum(alnum)))
    seen = before[starts]  # letters and digits before each value
    n = before[starts + lengths] - seen
    row = np.repeat(np.arange(n_values), lengths)
    rank = before[1:] - 1 - seen[row]
    budget = n - np.maximum(1, n // 3)
    first = np.minimum(keep_first, budget)
    last = np.minimum(keep_last, budget - first)
    hide = alnum & (rank >= first[row]) & (rank < (n - last)[row])
    data[hide] = ord(char)
    new_offsets = (offsets - base).astype(np.int32)
    return pa.Array.from_buffers(pa.string(), n_values, [None, pa.py_buffer(new_offsets.tobytes()),
                                                           pa.py_buffer(data.tobytes())])


def _mask_pure(values: pa.Array, keep_first: int, keep_last: int, char: str) -> pa.Array:
    """``mask_chars`` for values made only of letters/digits/Han, one scalar slice per length."""
    lengths = pc.utf8_length(values).to_numpy(zero_copy_only=False)
    pieces: list[pa.Array] = []
    order: list[np.ndarray] = []
    for n in np.unique(lengths):
        n = int(n)
        idx = np.flatnonzero(lengths == n)
        group = values.take(pa.array(idx)) if len(idx) != len(values) else values
        budget = n - max(1, n // 3)
        first = min(keep_first, budget)
        last = min(keep_last, budget - first)
        head = pc.utf8_slice_codeunits(group, 0, first)
        tail = pc.utf8_slice_codeunits(group, n - last, n) if last else pa.scalar("", pa.string())
        stars = pa.scalar(char * (n - first - last), pa.string())
        pieces.append(pc.binary_join_element_wise(head, stars, tail, ""))
        order.append(idx)
    if len(pieces) == 1:
        return pieces[0]
    merged = pa.concat_arrays(pieces)
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[np.concatenate(order)] = np.arange(len(values))
    return merged.take(pa.array(inverse))


def _scatter(mask: pa.Array, when_true: pa.Array, when_false: pa.Array) -> pa.Array:
    """Interleave two arrays back into one by a boolean mask (true rows from the first)."""
    m = mask.to_numpy(zero_copy_only=False)
    where_true = np.flatnonzero(m)
    where_false = np.flatnonzero(~m)
    merged = pa.concat_arrays([when_true.cast(pa.string()), when_false.cast(pa.string())])
    inverse = np.empty(len(m), dtype=np.int64)
    inverse[np.concatenate([where_true, where_false])] = np.arange(len(m))
    return merged.take(pa.array(inverse))


def map_distinct(values: pa.Array, fn: Callable[[str], str]) -> pa.Array:
    """Apply a Python function once per distinct value (dictionary encoding), vectorized gather."""
    encoded = pc.dictionary_encode(values)
    mapped = pa.array([fn(v) for v in encoded.dictionary.to_pylist()], type=pa.string())
    return mapped.take(encoded.indices)
