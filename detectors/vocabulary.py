"""Entities recognized by vocabulary and header, not by a checksum (PIPL Art. 28 sensitive categories).

Religion, ethnicity, health and financial status have no format to check:
``汉族``, ``佛教``, ``高血压`` or ``29400`` are ordinary words and numbers. What
makes them personal information is where they stand: under a header that
names the category (民族, 宗教信仰, 诊断, 月薪), or next to a word that does in a
sentence (``患有高血压``). So a column is looked at only when its header or
comment names the entity (``CELLS_NEED_HINT``), and a span in free text needs a
context word near it (``NEEDS_HINT``). The vocabularies are closed lists
(``detectors/data/*.txt``), matched after trimming and NFKC folding, English
in any case.

Because free-text spans need a context word, a text without one cannot hold
a span: the RE2 prefilter of these recognizers is their context words, which
keeps them off every other text.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.recognizers import CONTEXT_WINDOW, PiiRecognizer
from detectors.validators import DATA_DIR


@functools.cache
def word_list(name: str) -> frozenset[str]:
    """A vocabulary file of detectors/data/ (one entry a line, ``#`` comments), folded for matching."""
    words = set()
    for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.add(fold(word))
    return frozenset(words)


def fold(value: str) -> str:
    """The form vocabularies are compared in: NFKC, trimmed, lower case, inner runs of spaces as one."""
    return " ".join(unicodedata.normalize("NFKC", value).strip().lower().split())


def context_prefilter(words: list[str]) -> str:
    """An RE2 pattern any text holding one of the context words matches (case-insensitive)."""
    return "(?i)(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")"


def alternation(words: frozenset[str] | list[str]) -> str:
    """A regex alternation of words, longest first (so 维吾尔 is tried before a shorter prefix)."""
    return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))


class VocabularyRecognizer(PiiRecognizer):
    """Base of the vocabulary entities: header-gated cells, context-gated spans, repeated values expected."""

    CELLS_NEED_HINT = True
    NEEDS_HINT = True
    CELL_IS_TOKEN = False  # a value is a word, not a structured token: it may sit in prose too
    # A closed vocabulary repeats itself: a column of 10,000 people holds a handful of 民族.
    MIN_DISTINCT = 0.0
    CHANCE = 0.05
    STRENGTH = 0.6
    # The vocabulary files of detectors/data/ whose entries are values of the entity.
    VOCABULARY: ClassVar[tuple[str, ...]] = ()

    def has_context_near(self, text: str, start: int, end: int) -> bool:
        """A context word around the span, not inside it: ``无宗教信仰`` alone does not say it is someone's belief.

        A value such as ``无宗教信仰`` holds its own context word (宗教); a
        column of such values under ``category`` is a code list until
        something outside the value names the person's belief.
        """
        return self.has_context(text[max(0, start - CONTEXT_WINDOW):start] + "\n" + text[end:end + 8])

    @classmethod
    def words(cls) -> frozenset[str]:
        """Every folded vocabulary entry of the entity."""
        return frozenset().union(*(word_list(name) for name in cls.VOCABULARY))

    @classmethod
    def in_vocabulary(cls, value: str) -> bool:
        """Whether a value is one of the vocabulary's entries (after folding)."""
        return fold(value) in cls.words()

    @classmethod
    def validate_value(cls, value: str) -> bool:
        """A vocabulary entry (entities whose values are more than a word list override this)."""
        return cls.in_vocabulary(value)

    def validate_array(self, values: pa.Array) -> np.ndarray:
        """Folded values looked up in the vocabulary column-wise; the rest through ``validate_value``.

        Most cells of such a column are exact vocabulary entries (汉族, 佛教),
        so one ``is_in`` settles them; only the others (a diagnosis phrase,
        an amount) reach Python, once per distinct value.
        """
        if len(values) == 0:
            return np.zeros(0, dtype=bool)
        folded = pc.utf8_lower(pc.utf8_trim_whitespace(pc.utf8_normalize(values, "NFKC")))
        known = pa.array(sorted(self.words()), type=pa.string())
        ok = np.asarray(pc.fill_null(pc.is_in(folded, value_set=known), False))
        rest = np.flatnonzero(~ok)
        if len(rest):
            ok[rest] = super().validate_array(values.take(pa.array(rest)))
        return ok
