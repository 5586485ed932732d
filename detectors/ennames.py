"""English person names in free text, by the cells' own rule (issue 16).

A name is what ``validators.is_english_name`` accepts as a whole cell: two
or three capitalized words, a known first or last name (census lists) and a
plain capitalized word for the other part. In text, a title
(``Mr. Mayers``) or a self-introduction (``my name is Dan``) also marks the
capitalized word after it as a name, and runs of capitalized words are read
window by window, so ``Yesterday John Smith called`` still yields
``John Smith``. Cells and spans use the same check, so a title-case value
found as a whole cell is found as a span when embedded
(tests/test_detection_fixes.py); an all-capitals cell (``JOHN SMITH``) is
read as a name in a column only, since prose capitalizes whole phrases.
"""

from __future__ import annotations

import re

from detectors.validators import en_names, is_english_name, plain_name_word

# In text, capitalized words proper (``IP ADDRESS`` is no name): runs of them (an initial may stand
# between two), and the cues before a lone name: a title, a self-introduction.
_TEXT_WORD = r"[A-Z][a-z][A-Za-z'\-]*"
_RUN = re.compile(rf"(?<![A-Za-z'\-]){_TEXT_WORD}(?:(?: [A-Z]\.)? {_TEXT_WORD})+(?![A-Za-z'\-])")
_CUES = (
    re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.? ({_TEXT_WORD}(?: {_TEXT_WORD})?)(?![A-Za-z'\-])"),
    re.compile(rf"\b(?i:my name is|call me|i am called) ({_TEXT_WORD}(?: {_TEXT_WORD})?)(?![A-Za-z'\-])"),
)
# Free-text prefilter (RE2): what any span of english_name_spans needs.
TEXT_PREFILTER = (r"[A-Z][a-z]+ (?:[A-Z]\. )?[A-Z][a-z]+|(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.? [A-Z][a-z]"
                  r"|(?i:my name is|call me|i am called) [A-Z][a-z]")


def _strength(value: str) -> int:
    """2: first and last name both known; 1: a name with one known part; 0: no name."""
    if not is_english_name(value):
        return 0
    words = value.replace(".", "").split()
    first_names, last_names = en_names()
    return 2 if words[0].title() in first_names and words[-1].title() in last_names else 1


def _best_window(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The best name inside a run of capitalized words: both parts known first, then longest, then leftmost.

    ``Yesterday John Smith`` is a half-known three-word name and the fully
    known ``John Smith``: the latter wins.
    """
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    best: tuple[int, int, int, int] | None = None  # (strength, size, -start, end)
    for size in (4, 3, 2):  # 4: first, initial, middle, last
        for i in range(len(words) - size + 1):
            s, e = words[i][0], words[i + size - 1][1]
            strength = _strength(text[s:e])
            if strength and (best is None or (strength, size, -s) > best[:3]):
                best = (strength, size, -s, e)
    return None if best is None else (-best[2], best[3])


def english_name_spans(text: str) -> list[tuple[int, int]]:
    """Spans of English person names in a text: capitalized runs read window by window, and cued names."""
    spans: list[tuple[int, int]] = []
    for run in _RUN.finditer(text):
        start, end = run.start(), run.end()
        while start < end:
            found = _best_window(text, start, end)
            if found is None:
                break
            spans.append(found)
            start = found[1] + 1
    for cue in _CUES:
        for m in cue.finditer(text):
            s, e = m.span(1)
            if not any(a <= s < b for a, b in spans) and all(plain_name_word(w) for w in m.group(1).split()):
                spans.append((s, e))
    return sorted(spans)
