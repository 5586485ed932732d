"""Ethnic group (ETHNICITY): one entity, one file.

The 56 民族 with and without 族 and the English names forms use
(detectors/data/ethnic_groups.txt), under a header that names ethnicity
(民族, ethnicity) or after such a word in text (``民族：回族``). ENTITIES.md
grades it level 3 without the PIPL sensitive flag.
"""

from __future__ import annotations

from detectors.entities.spec import STRONG, WEAK, EntitySpec, HeaderWords
from detectors.vocabulary import VocabularyRecognizer, alternation, context_prefilter, word_list

NAME = "ETHNICITY"
_CONTEXT = ["民族", "族别", "ethnicity", "ethnic", "race"]
# In prose only the unambiguous forms: 回族, not 回; Uyghur, not Li.
_TEXT_WORDS = [w for w in word_list("ethnic_groups.txt") if w.endswith("族") or (w.isascii() and len(w) >= 5)]


class EthnicityRecognizer(VocabularyRecognizer):
    """Ethnic groups from the vocabulary, under an ethnicity header or near an ethnicity word."""

    ENTITY = NAME
    VOCABULARY = ("ethnic_groups.txt",)
    PATTERNS = [("ethnicity", r"(?i)(?<![A-Za-z])(?:" + alternation(_TEXT_WORDS) + r")(?![A-Za-z])", 0.3)]
    CELL_REGEX = r"^.{1,45}$"
    TEXT_PREFILTER = context_prefilter(_CONTEXT)
    CONTEXT = _CONTEXT


SPEC = EntitySpec(
    name=NAME,
    level=3,
    category="demographic",
    label_zh="民族",
    label_en="Ethnic group",
    recognizer=EthnicityRecognizer,
    rank=290,
    headers=HeaderWords(
        zh=(("民族", STRONG), ("族别", STRONG)),
        en=(("ethnicity", STRONG), ("ethnic", STRONG), ("race", WEAK)),
        phrases=((("ethnic", "group"), STRONG),),
        pinyin=(("mz", WEAK),),
    ),
    mask=(0, 0),
    whole_cell=True,
)
