"""What an RE2 cell pattern can match, read from Python's regex parser.

The column scan runs every recognizer's cell pattern over every column; most
patterns cannot match most columns, and facts known before running them say
so: the length range of the values a pattern matches (an 18-character ID is
no plate), a set of characters of which every match holds at least one (no
``@``: no e-mail), and, per alternative of an anchored pattern, the
characters a match can start and end with and the ones it is made of. A
batch is summarized once (``value_facts``: each value's length, first and
last byte and a bit per byte class it holds); testing a pattern against it
is then a few numpy operations instead of an RE2 pass. All are necessary
conditions, so skipping on them never changes a count. ``\\p{Han}`` (RE2
only) is read as one Han character; RE2 and Python agree on everything else
these patterns use.
"""

from __future__ import annotations

import functools
import re
import re._constants as sre  # the parser's node names
import re._parser as sre_parser
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from detectors.parsetree import Node, NodeArg

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
def pattern_needs(pattern: str) -> frozenset[str] | None:
    """Characters of which every match holds at least one; None when no useful set is known.

    A sequence needs what its most selective mandatory element needs; an
    alternation needs the union of its branches' sets.
    """
    tree = _parse(pattern)
    if tree is None:
        return None
    return _needs(list(tree.data), bool(tree.state.flags & re.IGNORECASE))


def _needs(items: list[Node], ignore_case: bool) -> frozenset[str] | None:
    best: frozenset[str] | None = None
    for op, arg in items:
        got = _element(op, arg, ignore_case)
        if got is not None and (best is None or len(got) < len(best)):
            best = got
    return best


def _element(op: object, arg: NodeArg, ignore_case: bool) -> frozenset[str] | None:
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
        known = [s for s in sets if s is not None]
        if len(known) < len(sets):
            return None
        union = frozenset[str]().union(*known)
        return union if len(union) <= _MAX_SET else None
    return None


def _class(entries: list[Node], ignore_case: bool) -> frozenset[str] | None:
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


def may_match(needs: frozenset[str] | None, present: np.ndarray) -> bool:
    """Whether a column with these bytes can hold a match (any non-ASCII needed char: any byte >= 0x80)."""
    if needs is None:
        return True
    if any(ord(c) < 128 and present[ord(c)] for c in needs):
        return True
    return any(ord(c) >= 128 for c in needs) and bool(present[128:].any())


# Byte classes of the signature: bit 0 every non-ASCII byte (UTF-8 lead and continuation
# bytes alike), then one bit per digit, per printable punctuation character and the space,
# six letter groups, whitespace controls and other controls.
_LETTER_GROUPS = ("ABCDEF", "GHIJKLMNOPQRSTUVWYZ", "X", "abcdef", "ghijklmnopqrstuvwyz", "x")
_PUNCTUATION = " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def _class_table() -> np.ndarray:
    table = np.zeros(256, dtype=np.int64)
    groups = [c for c in "0123456789"] + list(_PUNCTUATION) + list(_LETTER_GROUPS) + ["\t\n\v\f\r"]
    for bit, chars in enumerate(groups, start=1):
        for c in chars:
            table[ord(c)] = bit
    other = len(groups) + 1  # the remaining controls (NUL ... US, DEL)
    for b in range(128):
        if table[b] == 0:
            table[b] = other
    return table


_CLASS = _class_table()  # byte -> class bit number (0: non-ASCII)
_BIT = np.left_shift(np.uint64(1), _CLASS.astype(np.uint64))  # byte -> its class bit
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class Chars:
    """A set of characters as the gate sees it: ASCII exactly, everything else as one class."""

    ascii: frozenset[str] = frozenset()
    other: bool = False  # some non-ASCII character

    def __or__(self, more: Chars) -> Chars:
        return Chars(self.ascii | more.ascii, self.other or more.other)

    def bits(self) -> np.uint64:
        """The signature bits of the classes holding one of these characters."""
        out = np.uint64(1) if self.other else np.uint64(0)
        for c in self.ascii:
            out |= _BIT[ord(c)]
        return out

    def bytes(self) -> np.ndarray:
        """Which bytes can be this set's first or last byte of a character (256 booleans)."""
        table = np.zeros(256, dtype=bool)
        table[[ord(c) for c in self.ascii]] = True
        table[128:] = self.other
        return table


_ANY = Chars(frozenset(map(chr, range(128))), True)
_NONE = Chars()


def _chars(chars: set[str] | frozenset[str], ignore_case: bool) -> Chars:
    """Characters as a Chars; case-insensitive letters may also match non-ASCII folds (K: Kelvin sign)."""
    ascii_part = frozenset(c for c in chars if ord(c) < 128)
    other = any(ord(c) >= 128 for c in chars)
    if ignore_case:
        ascii_part |= frozenset(c.swapcase() for c in ascii_part if c in _ASCII_LETTERS)
        other = other or bool(ascii_part & _ASCII_LETTERS)
    return Chars(ascii_part, other)


@dataclass(frozen=True)
class _Facts:
    first: Chars
    last: Chars
    alphabet: Chars
    nullable: bool  # can match the empty string


_EMPTY = _Facts(_NONE, _NONE, _NONE, True)
_UNKNOWN = _Facts(_ANY, _ANY, _ANY, True)


def _in_class(entries: list[Node], ignore_case: bool) -> Chars:
    """The characters a parsed class accepts (a superset where it is negated or wide)."""
    chars: set[str] = set()
    other = False
    for op, arg in entries:
        if op == sre.LITERAL:
            chars.add(chr(arg))
        elif op == sre.RANGE:
            low, high = arg
            chars.update(chr(c) for c in range(low, min(high, 127) + 1))
            other = other or high >= 128
        elif op == sre.CATEGORY and arg == sre.CATEGORY_DIGIT:
            chars |= _DIGITS  # RE2's \d is ASCII
        elif op == sre.CATEGORY and arg == sre.CATEGORY_SPACE:
            chars |= _SPACE
        else:  # negation, \w, \D, \S ...: anything
            return _ANY
    found = _chars(chars, ignore_case)
    return Chars(found.ascii, found.other or other)


def _item(op: object, arg: NodeArg, ignore_case: bool) -> _Facts:
    if op == sre.LITERAL:
        one = _chars({chr(arg)}, ignore_case)
        return _Facts(one, one, one, False)
    if op == sre.IN:
        chars = _in_class(arg, ignore_case)
        return _Facts(chars, chars, chars, False)
    if op in (sre.NOT_LITERAL, sre.ANY):
        return _Facts(_ANY, _ANY, _ANY, False)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, high, sub = arg
        if high == 0:
            return _EMPTY
        inner = _sequence(list(sub.data), ignore_case)
        return _Facts(inner.first, inner.last, inner.alphabet, inner.nullable or low == 0)
    if op == sre.SUBPATTERN:
        _group, add, remove, sub = arg
        case = (ignore_case or bool(add & re.IGNORECASE)) and not remove & re.IGNORECASE
        return _sequence(list(sub.data), case)
    if op == sre.BRANCH:
        out = [_sequence(list(b.data), ignore_case) for b in arg[1]]
        return _Facts(_union(f.first for f in out), _union(f.last for f in out), _union(f.alphabet for f in out),
                      any(f.nullable for f in out))
    if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
        return _EMPTY  # zero width
    return _UNKNOWN  # back-references, atomic groups, conditionals: anything


def _union(sets: Iterable[Chars]) -> Chars:
    out = _NONE
    for chars in sets:
        out = out | chars
    return out


def _sequence(items: list[Node], ignore_case: bool) -> _Facts:
    facts = [_item(op, arg, ignore_case) for op, arg in items]
    return _Facts(_edge([f.first for f in facts], facts), _edge([f.last for f in facts][::-1], facts[::-1]),
                  _union(f.alphabet for f in facts), all(f.nullable for f in facts))


def _edge(sets: list[Chars], facts: list[_Facts]) -> Chars:
    """What the first character can be: the items' sets up to the first item that cannot be empty."""
    out = _NONE
    for chars, f in zip(sets, facts):
        out = out | chars
        if not f.nullable:
            break
    return out


@dataclass(frozen=True)
class Alternative:
    """Necessary conditions on a whole value for one alternative of a cell pattern to match it."""

    low: int
    high: int | None = None  # None: no upper bound (not anchored at both ends)
    first: np.ndarray | None = field(default=None, compare=False)  # allowed first bytes; None: any
    last: np.ndarray | None = field(default=None, compare=False)
    alphabet: np.uint64 | None = None  # signature bits a value may hold; None: any
    needs: np.uint64 | None = None  # signature bits of which a value must hold one; None: no such set


@dataclass
class ValueFacts:
    """Each value's length (characters), first and last byte, and byte-class signature, and their summaries.

    The summaries (shortest and longest value, the classes some and all
    values hold, the first and last bytes seen) decide most tests for the
    whole batch at once: a column is usually of one shape.
    """

    lengths: np.ndarray
    first: np.ndarray
    last: np.ndarray
    signature: np.ndarray
    shortest: int = 0
    longest: int = 0
    some: np.uint64 = np.uint64(0)  # classes some value holds
    every: np.uint64 = np.uint64(0)  # classes every value holds
    first_seen: np.ndarray = field(default_factory=lambda: np.zeros(256, dtype=bool))
    last_seen: np.ndarray = field(default_factory=lambda: np.zeros(256, dtype=bool))

    def present(self) -> np.ndarray:
        """Which bytes may occur in the values (256 booleans): those of every byte class some value holds."""
        return (_BIT & self.some) != 0


def value_facts(values: pa.Array, lengths: np.ndarray) -> ValueFacts:
    """The facts of every value of a string array, read off its buffers (empty values: zeros)."""
    n = len(values)
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    _validity, offsets, data = values.buffers()
    bounds = np.frombuffer(offsets, dtype=width)[values.offset : values.offset + n + 1].astype(np.int64)
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None and n else np.zeros(1, dtype=np.uint8)
    starts, ends = bounds[:-1], bounds[1:]
    filled = ends > starts
    first = np.where(filled, raw[np.minimum(starts, len(raw) - 1)], 0).astype(np.uint8)
    last = np.where(filled, raw[np.maximum(ends - 1, 0)], 0).astype(np.uint8)
    signature = np.zeros(n, dtype=np.uint64)
    if filled.any():
        lo, hi = int(bounds[0]), int(bounds[-1])
        bits = _BIT[raw[lo:hi]]
        signature[filled] = np.bitwise_or.reduceat(bits, starts[filled] - lo)
    lengths = np.nan_to_num(np.asarray(lengths), nan=0).astype(np.int64, copy=False)  # nulls: empty
    if not n:
        return ValueFacts(lengths, first, last, signature)
    return ValueFacts(lengths, first, last, signature, int(lengths.min()), int(lengths.max()),
                      np.bitwise_or.reduce(signature), np.bitwise_and.reduce(signature),
                      np.bincount(first, minlength=256) > 0, np.bincount(last, minlength=256) > 0)


@functools.cache
def value_gate(pattern: str) -> tuple[Alternative, ...] | None:
    """The per-value conditions of a cell pattern, one per top-level alternative; None: unknown."""
    tree = _parse(pattern)
    if tree is None or tree.state.flags & re.MULTILINE:
        return None
    ignore_case = bool(tree.state.flags & re.IGNORECASE)
    out = []
    for items in _alternatives(list(tree.data)):
        try:
            low, high = sre_parser.SubPattern(tree.state, items).getwidth()
        except (re.error, OverflowError):
            return None
        begins = bool(items) and items[0] in _BEGIN
        ends = bool(items) and items[-1] in _END
        facts = _sequence(items, ignore_case)
        needs = _needs(items, ignore_case)
        out.append(Alternative(
            low=low,
            high=high if begins and ends and high < sre.MAXREPEAT - 1 else None,
            first=facts.first.bytes() if begins else None,
            last=facts.last.bytes() if ends else None,
            alphabet=facts.alphabet.bits() if begins and ends else None,
            needs=None if needs is None else _chars(needs, ignore_case).bits(),
        ))
    return tuple(out)


_BEGIN = ((sre.AT, sre.AT_BEGINNING), (sre.AT, sre.AT_BEGINNING_STRING))
_END = ((sre.AT, sre.AT_END), (sre.AT, sre.AT_END_STRING))


# Alternatives a pattern is expanded into at most (``(a|b)(c|d)`` is four).
_MAX_ALTERNATIVES = 8


def _alternatives(items: list[Node]) -> list[list[Node]]:
    """The pattern as alternatives without a top-level choice: ``^A$|^B$`` and ``^(?:A|B)$`` alike.

    Python's parser factors a common prefix out of a choice (``^\\d{3}-..$|^\\d{3} ..$``
    becomes ``^\\d{3}(?:-..$| ..$)``), so choices and plain groups are multiplied out, up
    to _MAX_ALTERNATIVES; a choice that would exceed it stays one item.
    """
    alternatives: list[list[Node]] = [[]]
    for op, arg in items:
        choices = _choices(op, arg)
        if choices is None:
            alternatives = [alt + [(op, arg)] for alt in alternatives]
            continue
        expanded = [alt + tail for alt in alternatives for choice in choices for tail in _alternatives(choice)]
        if len(expanded) > _MAX_ALTERNATIVES:  # too many: this choice stays one item
            expanded = [alt + [(op, arg)] for alt in alternatives]
        alternatives = expanded
    return alternatives


def _choices(op: object, arg: NodeArg) -> list[list[Node]] | None:
    """The item lists a choice or a plain group stands for; None for anything else."""
    if op == sre.BRANCH:
        return [list(b.data) for b in arg[1]]
    if op == sre.SUBPATTERN and arg[1] == arg[2] == 0:  # no flags of its own
        return [list(arg[3].data)]
    return None


def may_fit(gate: tuple[Alternative, ...] | None, facts: ValueFacts) -> np.ndarray:
    """Which values the gated pattern can match (a necessary condition: never excludes a match)."""
    n = len(facts.lengths)
    if gate is None:
        return np.ones(n, dtype=bool)
    out = np.zeros(n, dtype=bool)
    for alt in gate:
        tests = _open_tests(alt, facts)
        if tests is None:
            continue  # no value can match this alternative
        if not tests:
            return np.ones(n, dtype=bool)  # every value can
        ok = tests[0]()
        for test in tests[1:]:
            ok &= test()
        out |= ok
    return out


def _open_tests(alt: Alternative, facts: ValueFacts) -> list[Callable[[], np.ndarray]] | None:
    """The per-value tests the batch summaries leave open; None when they rule out every value."""
    tests: list[Callable[[], np.ndarray]] = []
    # Locals, not ``alt.`` attributes: the tests run later, and only a local keeps its None-check narrowing there.
    low, high, alphabet, needs = alt.low, alt.high, alt.alphabet, alt.needs
    if low > facts.longest or (high is not None and high < facts.shortest):
        return None
    if low > facts.shortest:
        tests.append(lambda: facts.lengths >= low)
    if high is not None and high < facts.longest:
        tests.append(lambda: facts.lengths <= high)
    for table, seen, edge in ((alt.first, facts.first_seen, facts.first), (alt.last, facts.last_seen, facts.last)):
        if table is None:
            continue
        if not (table & seen).any():
            return None
        if (seen & ~table).any():
            tests.append(_edge_test(table, edge))
    if alphabet is not None:
        if facts.every & ~alphabet:
            return None
        if facts.some & ~alphabet:
            tests.append(lambda: (facts.signature & ~alphabet) == 0)
    if needs is not None:
        if not facts.some & needs:
            return None
        if not facts.every & needs:
            tests.append(lambda: (facts.signature & needs) != 0)
    return tests


def _edge_test(table: np.ndarray, edge: np.ndarray) -> Callable[[], np.ndarray]:
    """Whether each value's first (or last) byte is allowed, bound now: the loop that asks reuses its names."""
    return lambda: table[edge]
