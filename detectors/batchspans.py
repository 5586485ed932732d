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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import regex

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

    def __init__(self, texts: list[str], string: str | None = None) -> None:
        self.texts = texts
        self.lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        self.offsets = np.zeros(len(texts), dtype=np.int64)
        if len(texts):
            np.cumsum(self.lengths[:-1] + 1, out=self.offsets[1:])
        self.string = SEP.join(texts) if string is None else string

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
        string = points.tobytes().decode("utf-32-le")
        texts = [string[o : o + n] for o, n in zip(self.offsets.tolist(), self.lengths.tolist())]
        return Joined(texts, string)

    def find(self, patterns: list[regex.Pattern]) -> Matches:
        """Every non-empty match of every pattern in every text, as Presidio's finditer per text finds them."""
        if not self.texts or not patterns:
            return Matches.empty()
        alone = [p for p in patterns if not joinable(p.pattern)]
        if alone:
            return _with_alone(self, patterns, alone)
        spans = [m.span() for p in patterns for m in p.finditer(self.string)]
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

    def _redo_crossing(self, patterns: list[regex.Pattern], found: Matches, crossing: np.ndarray,
                       global_end: np.ndarray) -> Matches:
        """Drop matches that ran across a separator and match the texts they touched one by one."""
        last = np.searchsorted(self.offsets, global_end[crossing] - 1, side="right") - 1
        touched = sorted({i for first, stop in zip(found.text[crossing].tolist(), last.tolist())
                          for i in range(first, stop + 1)})
        kept = found.take(~np.isin(found.text, touched))
        return _concat(kept, _each(patterns, self.texts, touched))


def find_all(patterns: list[regex.Pattern], texts: list[str]) -> Matches:
    """Every non-empty match of every pattern in every text, as Presidio's finditer per text finds them."""
    return Joined(texts).find(patterns)


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
