"""Regex matches of many texts in one pass per pattern.

Presidio's PatternRecognizer runs each pattern over one text at a time: a
Python call, a ``finditer`` and a result object per text. A column of free
text has hundreds of thousands of texts, so here the texts are joined with a
NUL separator and each pattern runs once over the joined string; match
offsets are mapped back to (text, start, end) with numpy.

Why this gives Presidio's matches exactly: patterns with anchors (``^ $ \\A
\\Z``) run text by text (no piiwarden pattern has one); ``\\b`` and every lookaround tests a character class NUL is not in, so at a
separator a pattern sees what it sees at the start or end of a string. A
match that still runs across a separator (a negated class such as
``[^\\s,]`` can eat NUL) is dropped, and every text it touched is matched
again on its own.

The joined pass runs Python's ``re`` (about twice as fast here) instead of
``regex`` where both provably find the same matches (``re_twin``): the
pattern compiles in ``re``, and every character test in it (literal, class,
category, word boundary) gives the same answer in both engines on every
character of the texts. Those tests are compared once per pattern over the
whole universe of characters the texts may hold (the Basic Multilingual
Plane and the emoji planes); texts with a character outside it, or one the
engines judge differently, are matched by ``regex`` as Presidio does. A twin
also drops Presidio's case-insensitive flag where the pattern spells both
cases (folding every character costs ``re`` about half its speed); the few
letters only folding matches (ı, İ, ſ) then count among those characters.

``needed_chars`` reads which characters every match must hold, so that the
trial count can pass over blanked texts left without them.
"""

from __future__ import annotations

import functools
import re
import re._constants as sre  # the parser's node names
import re._parser as sre_parser
from dataclasses import dataclass, field

import numpy as np
import regex

from detectors.parsetree import Node, NodeArg

SEP = "\x00"
_ANCHOR = regex.compile(r"(?<!\\)(?:\^|\$)|\\[AZz]")


@dataclass
class Matches:
    """Regex matches over a list of texts: parallel arrays, sorted by (text, start)."""

    text: np.ndarray  # index into the texts
    start: np.ndarray  # offsets inside that text
    end: np.ndarray

    @classmethod
    def empty(cls) -> Matches:
        zero = np.zeros(0, dtype=np.int64)
        return cls(zero, zero.copy(), zero.copy())

    def __len__(self) -> int:
        return len(self.text)

    def take(self, keep: np.ndarray) -> Matches:
        """The matches selected by a boolean mask or index array."""
        return Matches(self.text[keep], self.start[keep], self.end[keep])


def joinable(pattern: str) -> bool:
    """Whether a pattern can run over joined texts (no anchors: NUL is not a line end)."""
    return not _ANCHOR.search(pattern.replace("[^", "[").replace("\\\\", ""))


class Joined:
    """Texts joined by NUL into one string, with each text's offset, so one regex pass covers them all."""

    def __init__(self, texts: list[str], string: str | None = None, within: Joined | None = None) -> None:
        self._texts: list[str] | None = texts
        self._within = within  # a Joined holding every character of these texts: its unsafe checks hold here
        self.lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        self.offsets = np.zeros(len(texts), dtype=np.int64)
        if len(texts):
            np.cumsum(self.lengths[:-1] + 1, out=self.offsets[1:])
        self._string = string
        self._checked: dict[re.Pattern, bool] = {}  # per unsafe-character pattern: whether the string is free of them
        self._points: np.ndarray | None = None  # the string's code points, where already at hand

    @property
    def string(self) -> str:
        """The joined string (built on first use)."""
        if self._string is None:
            self._string = SEP.join(self.texts) if self._points is None else self._points.tobytes().decode("utf-32-le")
        return self._string

    @property
    def texts(self) -> list[str]:
        """The texts (cut from the joined string on first use, for a blanked copy)."""
        if self._texts is None:
            string = self.string
            self._texts = [string[o : o + n] for o, n in zip(self.offsets.tolist(), self.lengths.tolist())]
        return self._texts

    def positions(self, found: Matches) -> np.ndarray:
        """Every position (in the joined string) covered by the given spans."""
        lengths = found.end - found.start
        starts = self.offsets[found.text] + found.start
        if not len(lengths):
            return np.zeros(0, dtype=np.int64)
        shift = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        return shift + np.arange(int(lengths.sum()), dtype=np.int64)

    def blanked(self, positions: np.ndarray) -> Joined:
        """The same texts with the characters at the given positions replaced by spaces."""
        if not len(positions):
            return self
        points = np.frombuffer(self.string.encode("utf-32-le"), dtype=np.uint32).copy()
        points[positions] = ord(" ")
        out = Joined([])  # the string and the texts are made from the points only when asked for
        out._texts, out.lengths, out.offsets, out._points = None, self.lengths, self.offsets, points
        return out

    def may_match(self, needs: Needs, index: np.ndarray) -> np.ndarray:
        """Which of the given texts hold a character of every table of some pattern (``needed_chars``)."""
        lengths = self.lengths[index]
        filled = lengths > 0
        out = np.zeros(len(index), dtype=bool)
        if not filled.any():
            return out
        points = self._points
        if points is None:
            points = np.frombuffer(self.string.encode("utf-32-le"), dtype=np.uint32)
        whole = Matches(index[filled], np.zeros(int(filled.sum()), dtype=np.int64), lengths[filled])
        chars = np.minimum(points[self.positions(whole)], _BEYOND_BMP)
        starts = np.concatenate(([0], np.cumsum(lengths[filled])[:-1]))
        held: dict[int, np.ndarray] = {}
        mine = np.zeros(int(filled.sum()), dtype=bool)
        for tables in needs:
            ok = np.ones(len(mine), dtype=bool)
            for table in tables:
                if id(table) not in held:
                    held[id(table)] = np.logical_or.reduceat(table[chars], starts)
                ok &= held[id(table)]
            mine |= ok
        out[filled] = mine
        return out

    def find(self, patterns: list[regex.Pattern]) -> Matches:
        """Every non-empty match of every pattern in every text, as Presidio's finditer per text finds them."""
        if not self.texts or not patterns:
            return Matches.empty()
        alone = [p for p in patterns if not joinable(p.pattern)]
        if alone:
            return _with_alone(self, patterns, alone)
        spans = [m.span() for p in patterns for m in self._engine(p).finditer(self.string)]
        arr = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
        arr = arr[arr[:, 1] > arr[:, 0]]
        if not len(arr):
            return Matches.empty()
        text = np.searchsorted(self.offsets, arr[:, 0], side="right") - 1
        start, end = arr[:, 0] - self.offsets[text], arr[:, 1] - self.offsets[text]
        crossing = end > self.lengths[text]
        found = Matches(text, start, end)
        if crossing.any():
            found = self._redo_crossing(patterns, found, crossing, arr[:, 1])
        return found.take(np.lexsort((found.start, found.text)))

    def _engine(self, pattern: regex.Pattern) -> regex.Pattern | re.Pattern:
        """The pattern's ``re`` twin where it matches these texts exactly as ``regex`` does, else the pattern."""
        twin = re_twin(pattern)
        if twin is None:
            return pattern
        return twin.pattern if self.free_of(twin.unsafe) else pattern

    def free_of(self, unsafe: re.Pattern) -> bool:
        """Whether no text holds a character of ``unsafe`` (asked of the enclosing batch first, once per batch)."""
        if unsafe not in self._checked:
            clean = self._within is not None and self._within.free_of(unsafe)
            self._checked[unsafe] = clean or unsafe.search(self.string) is None
        return self._checked[unsafe]

    def _redo_crossing(self, patterns: list[regex.Pattern], found: Matches, crossing: np.ndarray,
                       global_end: np.ndarray) -> Matches:
        """Drop matches that ran across a separator and match the texts they touched one by one."""
        last = np.searchsorted(self.offsets, global_end[crossing] - 1, side="right") - 1
        touched = sorted({i for first, stop in zip(found.text[crossing].tolist(), last.tolist())
                          for i in range(first, stop + 1)})
        kept = found.take(~np.isin(found.text, touched))
        return _concat(kept, _each(patterns, self.texts, touched))


def find_all(patterns: list[regex.Pattern], texts: list[str], within: Joined | None = None) -> Matches:
    """Every non-empty match of every pattern in every text, as Presidio's finditer per text finds them.

    ``within``: the joined batch these texts were taken from, whose checks for
    characters the engines judge differently then cover them too.
    """
    return Joined(texts, within=within).find(patterns)


def _each(patterns: list[regex.Pattern], texts: list[str], index: list[int]) -> Matches:
    """Matches found text by text (anchored patterns, texts touched by a crossing match)."""
    rows = [(i, *m.span()) for i in index for p in patterns for m in p.finditer(texts[i]) if m.end() > m.start()]
    arr = np.asarray(rows, dtype=np.int64).reshape(-1, 3)
    return Matches(arr[:, 0], arr[:, 1], arr[:, 2])


def _concat(a: Matches, b: Matches) -> Matches:
    return Matches(np.concatenate([a.text, b.text]), np.concatenate([a.start, b.start]),
                   np.concatenate([a.end, b.end]))


def _with_alone(joined: Joined, patterns: list[regex.Pattern], alone: list[regex.Pattern]) -> Matches:
    """Joinable patterns over the joined string, anchored ones text by text."""
    both = _concat(joined.find([p for p in patterns if p not in alone]),
                   _each(alone, joined.texts, list(range(len(joined.texts)))))
    return both.take(np.lexsort((both.start, both.text)))


def drop_contained(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans of one entity with equal scores, without duplicates and spans inside another.

    This is Presidio's ``EntityRecognizer.remove_duplicates`` for results
    of one type and one score.
    """
    kept: list[tuple[int, int]] = []
    for start, end in sorted(set(spans), key=lambda s: (s[0], s[0] - s[1])):
        if not any(start >= s and end <= e for s, e in kept):
            kept.append((start, end))
    return kept


# The characters re twins are verified on: the Basic Multilingual Plane (surrogates excluded) and the emoji planes.
_UNIVERSE_RANGES = ((0x0000, 0xD7FF), (0xE000, 0xFFFF), (0x1F000, 0x1FAFF))
_REGEX_ONLY_FLAGS = ~(re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE)
_CATEGORIES = {sre.CATEGORY_DIGIT: r"\d", sre.CATEGORY_NOT_DIGIT: r"\D", sre.CATEGORY_SPACE: r"\s",
               sre.CATEGORY_NOT_SPACE: r"\S", sre.CATEGORY_WORD: r"\w", sre.CATEGORY_NOT_WORD: r"\W"}
_BOUNDARIES = (sre.AT_BOUNDARY, sre.AT_NON_BOUNDARY)
# A twin drops the case flag when that changes the answer on at most this many characters, none ASCII.
_RARE_FOLDS = 8


@dataclass(frozen=True)
class ReTwin:
    """A ``regex`` pattern's stdlib twin, and a search for the characters on which they may differ."""

    pattern: re.Pattern
    unsafe: re.Pattern = field(compare=False)


@functools.cache
def re_twin(pattern: regex.Pattern) -> ReTwin | None:
    """The ``re`` twin of a pattern, if it has one: None for anchors, back-references or ``re`` syntax errors.

    Each character test of the pattern is run by both engines over the whole
    universe; the characters they judge differently, and every character
    beyond the universe, make up ``unsafe``.
    """
    flags = pattern.flags & ~_REGEX_ONLY_FLAGS
    try:
        re.compile(pattern.pattern, flags)
        tests = _tests(list(sre_parser.parse(pattern.pattern, flags).data), flags)
    except (re.error, ValueError, OverflowError):
        return None
    if tests is None:
        return None
    differ = _differ(tests, re.IGNORECASE)
    if flags & re.IGNORECASE:
        caseless = _differ(tests, 0)
        if _few_and_rare(caseless - differ):  # else the pattern's letters really are case-insensitive
            flags, differ = flags & ~re.IGNORECASE, caseless
    return ReTwin(re.compile(pattern.pattern, flags), re.compile(_outside_class(differ)))


def _differ(tests: set[tuple[str, int]], keep: int) -> set[int]:
    """Characters some test judges differently in ``re`` and ``regex``; ``keep=0``: ``re`` without the case flag."""
    differ: set[int] = set()
    for source, test_flags in tests:
        differ |= _disagreements(source, test_flags, test_flags & ~(re.IGNORECASE & ~keep))
    return differ


def _few_and_rare(differ: set[int]) -> bool:
    """Whether dropping the case flag costs only a few non-ASCII characters (K, ſ, İ ...), sent to ``regex``.

    Case-insensitive matching makes ``re`` fold every character it tests, about
    twice the work on digit patterns such as an ID's, whose only letters are
    ``[0-9A-Za-z]`` in lookarounds and ``[Xx]``: both cases spelled out.
    """
    return len(differ) <= _RARE_FOLDS and all(c >= 0x80 for c in differ)


def _tests(items: list[Node], flags: int) -> set[tuple[str, int]] | None:
    """Every single-character test of a parsed pattern, as (source, flags); None if it has anything else."""
    out: set[tuple[str, int]] = set()
    for op, arg in items:
        if op == sre.LITERAL:
            out.add((re.escape(chr(arg)), flags))
        elif op == sre.NOT_LITERAL:
            out.add(("[^" + re.escape(chr(arg)) + "]", flags))
        elif op == sre.IN:
            source = _class_source(arg)
            if source is None:
                return None
            out.add((source, flags))
        elif op == sre.ANY:
            out.add((".", flags))
        elif op == sre.AT and arg in _BOUNDARIES:
            out.add((r"\w", flags))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.ASSERT, sre.ASSERT_NOT, sre.SUBPATTERN, sre.BRANCH):
            inner = _inner(op, arg, flags)
            if inner is None:
                return None
            out |= inner
        else:  # anchors, back-references, conditionals, atomic groups: no twin
            return None
    return out


def _inner(op: object, arg: NodeArg, flags: int) -> set[tuple[str, int]] | None:
    """The tests inside a repeat, lookaround, group or alternation."""
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
        return _tests(list(arg[2].data), flags)
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        return _tests(list(arg[1].data), flags)
    if op == sre.SUBPATTERN:
        _group, add, remove, sub = arg
        return _tests(list(sub.data), (flags | add) & ~remove)
    out: set[tuple[str, int]] = set()
    for branch in arg[1]:
        inner = _tests(list(branch.data), flags)
        if inner is None:
            return None
        out |= inner
    return out


def _class_source(entries: list[Node]) -> str | None:
    """A character class rebuilt from its parsed entries."""
    parts = []
    negate = ""
    for op, arg in entries:
        if op == sre.NEGATE:
            negate = "^"
        elif op == sre.LITERAL:
            parts.append(re.escape(chr(arg)))
        elif op == sre.RANGE:
            parts.append(re.escape(chr(arg[0])) + "-" + re.escape(chr(arg[1])))
        elif op == sre.CATEGORY and arg in _CATEGORIES:
            parts.append(_CATEGORIES[arg])
        else:
            return None
    return "[" + negate + "".join(parts) + "]"


@functools.cache
def _universe() -> str:
    return "".join(chr(c) for low, high in _UNIVERSE_RANGES for c in range(low, high + 1))


@functools.cache
def _disagreements(source: str, flags: int, twin_flags: int) -> frozenset[int]:
    """Characters of the universe that one test accepts in ``re`` (twin_flags) and not in ``regex`` (flags), or back."""
    universe = _universe()
    mine, theirs = re.compile(source, twin_flags), regex.compile(source, flags | regex.VERSION0)
    kept_by_re, kept_by_regex = mine.sub("", universe), theirs.sub("", universe)
    if kept_by_re == kept_by_regex:
        return frozenset()
    if len(kept_by_re) > len(universe) // 2:  # a narrow test: compare what each accepts, the smaller side
        kept_by_re, kept_by_regex = "".join(mine.findall(universe)), "".join(theirs.findall(universe))
    return frozenset(map(ord, set(kept_by_re) ^ set(kept_by_regex)))


def _outside_class(differ: set[int]) -> str:
    """A class matching any character beyond the universe or among ``differ``."""
    allowed: list[tuple[int, int]] = []
    for low, high in _UNIVERSE_RANGES:
        start = low
        for c in sorted(x for x in differ if low <= x <= high):
            if c > start:
                allowed.append((start, c - 1))
            start = c + 1
        if start <= high:
            allowed.append((start, high))
    return "[^" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in allowed) + "]"


# --- Characters a match must hold -----------------------------------------------------------
_BEYOND_BMP = 0x10000  # needed_chars' last entry: every character beyond the BMP (not looked at one by one)


Needs = tuple[tuple[np.ndarray, ...], ...]  # per pattern: character tables a match holds one of each


@functools.cache
def needed_chars(patterns: tuple[regex.Pattern, ...]) -> Needs | None:
    """Per pattern, character tables (over the BMP, +1 for beyond it) of which every match holds one of each.

    Read from each pattern's mandatory elements (literals and classes) and
    evaluated by ``regex``, the engine whose matches the joined pass
    reproduces, with the pattern's flags (``\\d`` takes every Unicode digit).
    A text lacking a character of every table of every pattern cannot hold a
    match: the trial count skips it without a regex pass. None when some
    pattern has no mandatory element.
    """
    out = []
    for pattern in patterns:
        flags = pattern.flags & ~_REGEX_ONLY_FLAGS
        try:
            items = list(sre_parser.parse(pattern.pattern, flags).data)
        except (re.error, ValueError, OverflowError):
            return None
        tables = _needed(items, flags)
        if not tables:
            return None
        out.append(tuple(sorted(tables, key=lambda t: int(t.sum()))[:_MAX_NEEDS]))
    return tuple(out)


# Tables kept per pattern (the most selective ones): each costs a pass over the texts.
_MAX_NEEDS = 2


def _needed(items: list[Node], flags: int) -> list[np.ndarray]:
    """The character tables of a sequence's mandatory elements (distinct ones)."""
    out: list[np.ndarray] = []
    for op, arg in items:
        for table in _needed_by(op, arg, flags):
            if not any(table is t for t in out):
                out.append(table)
    return out


def _needed_by(op: object, arg: NodeArg, flags: int) -> list[np.ndarray]:
    if op == sre.LITERAL:
        return [_char_table(re.escape(chr(arg)), flags)]
    if op == sre.IN:
        source = _class_source(arg)
        return [] if source is None else [_char_table(source, flags)]
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        return _needed(list(arg[2].data), flags) if arg[0] >= 1 else []
    if op == sre.SUBPATTERN:
        _group, add, remove, sub = arg
        return _needed(list(sub.data), (flags | add) & ~remove)
    if op == sre.BRANCH:  # one table: the union of each branch's most selective one
        branches = [_needed(list(b.data), flags) for b in arg[1]]
        if any(not tables for tables in branches):
            return []
        return [np.logical_or.reduce([min(tables, key=lambda t: int(t.sum())) for tables in branches])]
    return []  # lookarounds and anchors consume nothing; anything else: no requirement known


@functools.cache
def _char_table(source: str, flags: int) -> np.ndarray:
    """The BMP characters a one-character test accepts in ``regex`` (and, to be safe, everything beyond)."""
    table = np.zeros(_BEYOND_BMP + 1, dtype=bool)
    accepted = regex.compile(source, flags | regex.VERSION0).findall(_bmp())
    table[np.fromiter(map(ord, accepted), dtype=np.int64, count=len(accepted))] = True
    table[_BEYOND_BMP] = True
    return table


@functools.cache
def _bmp() -> str:
    return "".join(chr(c) for c in range(_BEYOND_BMP) if not 0xD800 <= c <= 0xDFFF)
