"""What an RE2 cell pattern can match, read from Python's regex parser.

The column scan runs every recognizer's cell pattern over every column; most
patterns cannot match most columns, and two facts known before running them
say so: the length range of the values a pattern matches (an 18-character ID
is no plate) and a set of characters of which every match holds at least one
(no ``@`` in the column: no e-mail). Both are necessary conditions, so
skipping on them never changes a count. ``\\p{Han}`` (RE2 only) is read as
one Han character; RE2 and Python agree on everything else these patterns use.
"""

from __future__ import annotations

import functools
import re
import re._constants as sre  # the parser's node names
import re._parser as sre_parser

import numpy as np
import pyarrow as pa

_HAN = "\u4e00"
_SPACE = frozenset(" \t\n\r\f\v")
_DIGITS = frozenset("0123456789")
# Larger sets than this are not worth keeping as a requirement.
_MAX_SET = 128


def _parse(pattern: str) -> sre_parser.SubPattern | None:
    try:
        return sre_parser.parse(pattern.replace(r"\p{Han}", _HAN))
    except (re.error, ValueError, OverflowError):
        return None


@functools.cache
def pattern_lengths(pattern: str) -> tuple[int, int | None]:
    """Shortest and longest value (in characters) the pattern can match; None: no upper bound.

    The upper bound holds only when every alternative is anchored at both
    ends. A pattern Python cannot parse gets (0, None).
    """
    tree = _parse(pattern)
    if tree is None:
        return 0, None
    try:
        low, high = tree.getwidth()
    except (re.error, OverflowError):
        return 0, None
    items = list(tree.data)
    anchored = _anchored(items, 0, sre.AT_BEGINNING) and _anchored(items, -1, sre.AT_END)
    return low, (high if anchored and high < sre.MAXREPEAT - 1 else None)


def _anchored(items: list, end: int, anchor: object) -> bool:
    """Whether a parsed sequence starts (end=0) or ends (end=-1) with the anchor on every branch."""
    if not items:
        return False
    op, arg = items[end]
    if (op, arg) == (sre.AT, anchor):
        return True
    return op == sre.BRANCH and all(_anchored(list(b.data), end, anchor) for b in arg[1])


@functools.cache
def pattern_needs(pattern: str) -> frozenset[str] | None:
    """Characters of which every match holds at least one; None when no useful set is known.

    A sequence needs what its most selective mandatory element needs; an
    alternation needs the union of its branches' sets.
    """
    tree = _parse(pattern)
    if tree is None:
        return None
    return _needs(list(tree.data), bool(tree.state.flags & re.IGNORECASE))


def _needs(items: list, ignore_case: bool) -> frozenset[str] | None:
    best: frozenset[str] | None = None
    for op, arg in items:
        got = _element(op, arg, ignore_case)
        if got is not None and (best is None or len(got) < len(best)):
            best = got
    return best


def _element(op: object, arg: object, ignore_case: bool) -> frozenset[str] | None:
    """Characters one mandatory element consumes at least one of (None: unknown, optional or any)."""
    if op == sre.LITERAL:
        return _cased(frozenset(chr(arg)), ignore_case)
    if op == sre.IN:
        return _class(arg, ignore_case)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, _high, sub = arg
        return _needs(list(sub.data), ignore_case) if low >= 1 else None
    if op == sre.SUBPATTERN:
        _group, add, _remove, sub = arg
        return _needs(list(sub.data), ignore_case or bool(add & re.IGNORECASE))
    if op == sre.BRANCH:
        sets = [_needs(list(b.data), ignore_case) for b in arg[1]]
        if any(s is None for s in sets):
            return None
        union = frozenset().union(*sets)
        return union if len(union) <= _MAX_SET else None
    return None


def _class(entries: list, ignore_case: bool) -> frozenset[str] | None:
    chars: set[str] = set()
    for op, arg in entries:
        if op == sre.LITERAL:
            chars.add(chr(arg))
        elif op == sre.RANGE and arg[1] - arg[0] < _MAX_SET:
            chars.update(chr(c) for c in range(arg[0], arg[1] + 1))
        elif op == sre.CATEGORY and arg == sre.CATEGORY_DIGIT:
            chars |= _DIGITS
        elif op == sre.CATEGORY and arg == sre.CATEGORY_SPACE:
            chars |= _SPACE
        else:  # negation, word class, wide ranges: no useful set
            return None
    return _cased(frozenset(chars), ignore_case) if len(chars) <= _MAX_SET else None


def _cased(chars: frozenset[str], ignore_case: bool) -> frozenset[str]:
    return frozenset(chars | {c.swapcase() for c in chars}) if ignore_case else chars


def present_bytes(values: pa.Array) -> np.ndarray:
    """Which byte values occur in a string array's UTF-8 data (256 booleans), read off its buffer."""
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)) or len(values) == 0:
        return np.ones(256, dtype=bool)
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    _validity, offsets, data = values.buffers()
    if data is None:
        return np.zeros(256, dtype=bool)
    bounds = np.frombuffer(offsets, dtype=width)[values.offset : values.offset + len(values) + 1]
    used = np.frombuffer(data, dtype=np.uint8)[int(bounds[0]) : int(bounds[-1])]
    return np.bincount(used, minlength=256) > 0


def may_match(needs: frozenset[str] | None, present: np.ndarray) -> bool:
    """Whether a column with these bytes can hold a match (any non-ASCII needed char: any byte >= 0x80)."""
    if needs is None:
        return True
    if any(ord(c) < 128 and present[ord(c)] for c in needs):
        return True
    return any(ord(c) >= 128 for c in needs) and bool(present[128:].any())
