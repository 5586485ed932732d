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


def find_all(patterns: list[regex.Pattern], texts: list[str]) -> Matches:
    """Every non-empty match of every pattern in every text, as Presidio's finditer per text finds them."""
    if not texts or not patterns:
        return Matches.empty()
    alone = [p for p in patterns if not joinable(p.pattern)]
    if alone:
        joined_found = find_all([p for p in patterns if joinable(p.pattern)], texts)
        each = [(i, *m.span()) for i, t in enumerate(texts) for p in alone for m in p.finditer(t) if m.end() > m.start()]
        if not each:
            return joined_found
        extra = np.asarray(each, dtype=np.int64)
        both = Matches(np.concatenate([joined_found.text, extra[:, 0]]), np.concatenate([joined_found.start, extra[:, 1]]),
                       np.concatenate([joined_found.end, extra[:, 2]]))
        return both.take(np.lexsort((both.start, both.text)))
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    offsets = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=offsets[1:])
    joined = SEP.join(texts)
    spans = [m.span() for p in patterns for m in p.finditer(joined)]
    if not spans:
        return Matches.empty()
    arr = np.asarray(spans, dtype=np.int64)
    keep = arr[:, 1] > arr[:, 0]
    arr = arr[keep]
    if not len(arr):
        return Matches.empty()
    text = np.searchsorted(offsets, arr[:, 0], side="right") - 1
    start, end = arr[:, 0] - offsets[text], arr[:, 1] - offsets[text]
    crossing = end > lengths[text]
    found = Matches(text, start, end)
    if crossing.any():
        found = _redo_crossing(patterns, texts, found, crossing, offsets, arr[:, 1])
    order = np.lexsort((found.start, found.text))
    return found.take(order)


def _redo_crossing(patterns: list[regex.Pattern], texts: list[str], found: Matches, crossing: np.ndarray,
                   offsets: np.ndarray, global_end: np.ndarray) -> Matches:
    """Drop matches that ran across a separator and match the texts they touched one by one."""
    last = np.searchsorted(offsets, global_end[crossing] - 1, side="right") - 1
    touched = sorted({i for first, stop in zip(found.text[crossing], last) for i in range(first, stop + 1)})
    kept = found.take(~np.isin(found.text, touched))
    redo = [(i, *m.span()) for i in touched for p in patterns for m in p.finditer(texts[i]) if m.end() > m.start()]
    if not redo:
        return kept
    extra = np.asarray(redo, dtype=np.int64)
    return Matches(np.concatenate([kept.text, extra[:, 0]]), np.concatenate([kept.start, extra[:, 1]]),
                   np.concatenate([kept.end, extra[:, 2]]))


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
