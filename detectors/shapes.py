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
between two digit/letter groups removed (``compact``: IDs, cards, mobiles,
USCC; the ``+86``/``0086`` country code of an 11-digit mobile cut off) or
separator runs unified to one dash (``dashed``: SSN, whose canonical shape
keeps them), and upper-cased (``x`` → ``X``).
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import regex

from detectors.patternfacts import Chars, ValueFacts

# C0/C1 control characters, zero-width and bidi formatting characters, the soft hyphen, the BOM.
INVISIBLE_RE2 = r"[\x00-\x1F\x7F-\x9F\x{00AD}\x{200B}-\x{200F}\x{202A}-\x{202E}\x{2060}-\x{2064}\x{FEFF}]"
_INVISIBLE = regex.compile("[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
# A leading label: letters (no digits) then a colon or equals sign (身份证:, 手机号：, Tel =, ID No.:).
LABEL_RE2 = r"^\s*\pL[\pL. ]{0,19}?\s*[:=]\s*"
LABEL = regex.compile(r"^\s*(\p{L}[\p{L}. ]{0,19}?)\s*[:：=]\s*")
# Separators people put inside identifiers (after NFKC).
SEPARATOR_CHARS = r"\s\-‐‑‒–—_.·•/\\()（）\[\]"
SEPARATORS = regex.compile(f"[{SEPARATOR_CHARS}]")
# One separator run between two groups; two global passes remove them all (RE2 matches do not overlap:
# after the first pass every group next to a remaining separator is at least two characters long).
_BETWEEN = rf"([0-9A-Za-z])[{SEPARATOR_CHARS}]+([0-9A-Za-z])"
_COUNTRY_CODE = r"^(?:\+|00)?86(1[0-9]{10})$"

# The shape each entity's canonical value has; entities not listed get no second chance.
COMPACT = "compact"
DASHED = "dashed"
ENTITY_SHAPES = {
    "CN_RESIDENT_ID": COMPACT,
    "BANK_CARD": COMPACT,
    "CN_MOBILE_PHONE": COMPACT,
    "CN_USCC": COMPACT,
    "CN_PASSPORT": COMPACT,
    "CN_TRAVEL_PERMIT": COMPACT,
    "US_SSN": DASHED,
}
# Second-chance cells: at most this many characters (a label and a spaced identifier; prose is longer)
# and at least this many (the shortest identifier above, a passport, has eight).
MAX_SHAPED_LENGTH = 64
MIN_SHAPED_LENGTH = 8
_DIGIT_OR_WIDE = Chars(frozenset("0123456789"), other=True).bits()


def clean_array(values: pa.Array) -> pa.Array:
    """NFKC, invisible characters removed, trimmed, a leading label cut off: what a reader sees as the value."""
    text = pc.utf8_normalize(values, "NFKC")
    text = pc.replace_substring_regex(text, INVISIBLE_RE2, "")
    text = pc.utf8_trim_whitespace(text)
    return pc.replace_substring_regex(text, LABEL_RE2, "")


def _compact(text: pa.Array) -> pa.Array:
    for _ in range(2):
        text = pc.replace_substring_regex(text, _BETWEEN, r"\1\2")
    return pc.utf8_upper(pc.replace_substring_regex(text, _COUNTRY_CODE, r"\1"))


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


def shaped_cells(facts: ValueFacts, settled: np.ndarray) -> np.ndarray | None:
    """Which cells are worth normalizing (None: none): of identifier length, with a digit or a non-ASCII
    character (full-width digits), not already validated as some entity.

    Read off the facts the cell path computed already (lengths, byte
    signatures: detectors/patternfacts.py), so a clean column whose cells
    all validated as written pays nothing more.
    """
    if settled.all():
        return None
    keep = ~settled & (facts.lengths >= MIN_SHAPED_LENGTH) & (facts.lengths <= MAX_SHAPED_LENGTH)
    keep &= (facts.signature & _DIGIT_OR_WIDE) != 0
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
