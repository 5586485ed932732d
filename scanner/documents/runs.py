"""Span replacement that keeps formatting: the text of a paragraph is spread over its runs.

Word and PowerPoint store a paragraph as runs, each with its own style, and a value such as
``张三`` is often split over two runs (a bold surname, an autocorrected digit). The caller's
``rewrite(text) -> text`` sees the whole paragraph; ``spread`` then hands each character of the
result back to the run its original character came from: an equal-length mask lands character by
character in the original runs, a longer or shorter replacement is split over the runs it covers
in proportion. Run boundaries and run properties never change, so styles stay exactly as they were.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher

Rewrite = Callable[[str], str]


def _owner(starts: Sequence[int], position: int) -> int:
    """The piece holding character ``position`` (empty pieces own nothing)."""
    return bisect_right(starts, position) - 1


def _overlaps(starts: Sequence[int], ends: Sequence[int], lo: int, hi: int) -> list[tuple[int, int, int]]:
    """(piece, start, end) for each piece overlapping [lo, hi)."""
    out: list[tuple[int, int, int]] = []
    piece = _owner(starts, lo)
    while piece < len(starts) and starts[piece] < hi:
        a, b = max(lo, starts[piece]), min(hi, ends[piece])
        if b > a:
            out.append((piece, a, b))
        piece += 1
    return out


def spread(pieces: Sequence[str], new_text: str) -> list[str]:
    """The pieces' new texts so that their concatenation is ``new_text``."""
    original = "".join(pieces)
    starts: list[int] = []
    ends: list[int] = []
    position = 0
    for text in pieces:
        starts.append(position)
        position += len(text)
        ends.append(position)
    out: list[list[str]] = [[] for _ in pieces]
    matcher = SequenceMatcher(None, original, new_text, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        replacement = new_text[j1:j2]
        if tag == "equal":
            for piece, a, b in _overlaps(starts, ends, i1, i2):
                out[piece].append(original[a:b])
        elif i1 == i2:  # pure insertion: into the run before it (or the first run)
            out[max(_owner(starts, i1 - 1), 0) if i1 else 0].append(replacement)
        else:
            covered = _overlaps(starts, ends, i1, i2)
            done = cut = 0
            for piece, a, b in covered:
                done += b - a
                end = round(len(replacement) * done / (i2 - i1))
                out[piece].append(replacement[cut:end])
                cut = end
    return ["".join(parts) for parts in out]


def rewrite_pieces(pieces: Sequence[str], rewrite: Rewrite) -> list[str] | None:
    """New texts for ``pieces`` after rewriting their concatenation, or None when nothing changed."""
    original = "".join(pieces)
    new_text = rewrite(original)
    if new_text == original:
        return None
    return spread(pieces, new_text) if pieces else None
