"""One normalizer for identifiers written in other shapes, shared by scan, anonymize and verify.

People write the same resident ID as ``110105 19600101 0012``,
``110105-19600101-0012``, ``身份证：１１０１０５…``, with a lower-case ``x``
or with a stray NUL byte after it; a mobile as ``+86 138-1234-0001``. The
recognizers' whole-cell patterns describe the canonical shape only. This
module maps a cell to that canonical shape, column-wise in Arrow, so that
classification can give cells that failed as written a second chance, and
``scanner/anonymize/shapes.py`` (anonymize, verify) accepts exactly the same
shapes. A normalized cell still has to pass the entity's cell pattern and
validator (checksum, date, province): the normalizer never makes evidence,
it only removes the noise around it.

Steps (``normalize_array``): NFKC (full-width → ASCII), C0/C1 control and
zero-width characters removed, outer whitespace trimmed, a leading label
(``身份证:``, ``Tel =``) cut off; then, per entity, either every separator
removed (``compact``: IDs, cards, mobiles, USCC, passports, as anonymize
always did; the ``+86``/``0086``/``86`` of an 11-digit mobile cut off) or
separator runs unified to one dash (``dashed``: SSN, whose canonical shape
keeps them), and upper-cased (``x`` → ``X``).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Iterator, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import regex

from detectors.entities import registry
from detectors.entities.spec import SHAPE_COMPACT, SHAPE_DASHED
from detectors.patternfacts import Chars, ValueFacts

# Signature bits of everything but ASCII letters and digits: a cell holding none of them cannot change.
_NOT_ALNUM = ~Chars(frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")).bits()

# C0/C1 control characters, zero-width and bidi formatting characters, the soft hyphen, the BOM.
INVISIBLE_RE2 = r"[\x00-\x1F\x7F-\x9F\x{00AD}\x{200B}-\x{200F}\x{202A}-\x{202E}\x{2060}-\x{2064}\x{FEFF}]"
_INVISIBLE = regex.compile("[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
# A leading label: letters (no digits) then a colon or equals sign (身份证:, 手机号：, Tel =, ID No.:).
LABEL_RE2 = r"^\s*\pL[\pL. ]{0,19}?\s*[:=]\s*"
LABEL = regex.compile(r"^\s*(\p{L}[\p{L}. ]{0,19}?)\s*[:：=]\s*")
# Separators people put inside identifiers (after NFKC).
SEPARATOR_CHARS = r"\s\-‐‑‒–—_.·•/\\()（）\[\]"
SEPARATORS = regex.compile(f"[{SEPARATOR_CHARS}]")
# What the compact shape deletes in one pass: separators and invisible characters.
_NOISE_RE2 = f"[{SEPARATOR_CHARS}{INVISIBLE_RE2[1:-1]}]+"
# Mobiles written with their country code (after separators are gone): +86, 0086, 86.
_COUNTRY_CODES = ("+86", "0086", "86")

# The shape each entity's canonical value has (EntitySpec.shape); entities without one get no second chance.
COMPACT = SHAPE_COMPACT
DASHED = SHAPE_DASHED


class _EntityShapes(Mapping[str, str]):
    """entity -> canonical shape, read live from the entity registry."""

    def __getitem__(self, entity: str) -> str:
        spec = registry.find(entity)
        if spec is None or spec.shape is None:
            raise KeyError(entity)
        return spec.shape

    def __iter__(self) -> Iterator[str]:
        return iter(registry.with_role(lambda s: s.shape is not None))

    def __len__(self) -> int:
        return len(registry.with_role(lambda s: s.shape is not None))


ENTITY_SHAPES: Mapping[str, str] = _EntityShapes()
# Second-chance cells: at most this many characters (a label and a spaced identifier; prose is longer),
# at least this many letters, digits or non-ASCII characters (the shortest identifier above, a
# passport, has eight), and something besides ASCII letters and digits (else nothing would change).
MAX_SHAPED_LENGTH = 64
MIN_SHAPED_CHARS = 8
_ALNUM_OR_LEAD = np.zeros(256, dtype=np.int64)  # bytes that stand for one letter, digit or non-ASCII character
_ALNUM_OR_LEAD[[ord(c) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"]] = 1
_ALNUM_OR_LEAD[0xC0:] = 1  # UTF-8 lead bytes (a full-width digit is one)


def _replace_where(text: pa.Array, where: pa.Array, change: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``change`` applied only to the values ``where`` says (a regex rewrite costs a copy of every value)."""
    where = pc.fill_null(where, False)
    if not pc.any(where).as_py():
        return text
    return pc.replace_with_mask(text, where, change(text.filter(where)))


def clean_array(values: pa.Array) -> pa.Array:
    """NFKC, invisible characters removed, trimmed, a leading label cut off: what a reader sees as the value.

    Each rewrite runs only on the values that can change: ASCII has nothing
    to fold, a value without ``:`` or ``=`` has no label.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    wide = pc.invert(pc.string_is_ascii(values))
    text = _replace_where(values, wide, lambda t: pc.utf8_normalize(t, "NFKC"))
    text = _replace_where(text, pc.match_substring_regex(text, INVISIBLE_RE2),
                          lambda t: pc.replace_substring_regex(t, INVISIBLE_RE2, ""))
    text = pc.utf8_trim_whitespace(text)
    labelled = pc.or_(pc.match_substring(text, ":"), pc.match_substring(text, "="))
    return _replace_where(text, labelled, lambda t: pc.replace_substring_regex(t, LABEL_RE2, ""))


def _compact(text: pa.Array) -> pa.Array:
    text = pc.utf8_upper(pc.replace_substring_regex(text, _NOISE_RE2, ""))
    for prefix in _COUNTRY_CODES:  # an 11-digit mobile behind its country code
        strip = pc.and_(pc.starts_with(text, prefix), pc.equal(pc.utf8_length(text), 11 + len(prefix)))
        text = _replace_where(text, strip, functools.partial(pc.utf8_slice_codeunits, start=len(prefix)))
    return text


def _dashed(text: pa.Array) -> pa.Array:
    return pc.utf8_upper(pc.replace_substring_regex(text, f"[{SEPARATOR_CHARS}]+", "-"))


def normalize_array(values: pa.Array, shape: str) -> pa.Array:
    """Each value in the canonical ``shape`` (COMPACT or DASHED); values of no identifier shape come out cleaned only."""
    text = clean_array(values)
    return _dashed(text) if shape == DASHED else _compact(text)


def shaped_forms(values: pa.Array) -> dict[str, pa.Array]:
    """Both canonical shapes of an array, computed once for all entities (the cleaning is shared)."""
    text = clean_array(values)
    return {COMPACT: _compact(text), DASHED: _dashed(text)}


def shaped_cells(values: pa.Array, facts: ValueFacts, settled: np.ndarray) -> np.ndarray | None:
    """Which cells are worth normalizing (None: none).

    Not already validated as some entity, of identifier length, with enough
    letters, digits or non-ASCII characters to be an identifier and
    something else besides (a separator, a label, a control character).
    Read off the facts the cell path computed and one numpy pass over the
    bytes, so a clean column whose cells validated or cannot be identifiers
    pays no rewrite.
    """
    if settled.all():
        return None
    keep = ~settled & (facts.lengths >= MIN_SHAPED_CHARS) & (facts.lengths <= MAX_SHAPED_LENGTH)
    keep &= (facts.signature & _NOT_ALNUM) != 0
    wide = (facts.signature & np.uint64(1)) != 0
    keep &= wide | (facts.lengths > MIN_SHAPED_CHARS)  # ASCII: one character at least is not a letter or digit
    if not keep.any():
        return None
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    _validity, offsets, data = values.buffers()
    bounds = np.frombuffer(offsets, dtype=width)[values.offset: values.offset + len(values) + 1].astype(np.int64)
    raw = np.frombuffer(data, dtype=np.uint8)
    lo, hi = int(bounds[0]), int(bounds[-1])
    counts = np.add.reduceat(np.append(_ALNUM_OR_LEAD[raw[lo:hi]], 0), np.minimum(bounds[:-1] - lo, hi - lo))
    keep &= (counts >= MIN_SHAPED_CHARS) & (bounds[1:] > bounds[:-1])
    return keep if keep.any() else None


def clean_text(value: str) -> str:
    """One value NFKC-folded with invisible characters removed (the scalar twin of ``clean_array``, label kept)."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", value))


def normalize_value(value: str, entity: str) -> str | None:
    """One value in its entity's canonical shape, None when the entity has no shape to normalize to."""
    shape = ENTITY_SHAPES.get(entity)
    if shape is None:
        return None
    return normalize_array(pa.array([value], pa.string()), shape)[0].as_py()
