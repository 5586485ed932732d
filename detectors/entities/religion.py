"""Religious belief (RELIGION): one entity, one file.

PIPL Art. 28 sensitive: a closed vocabulary (the main religions, their
adherents and ``无宗教信仰``, Chinese and English; detectors/data/religions.txt)
under a header that names belief (宗教信仰, religion), or next to such a word
in a sentence. ``佛教`` in a tourism table's ``category`` column is not a
person's belief.
"""

from __future__ import annotations

from detectors.entities.spec import STRONG, WEAK, EntitySpec, HeaderWords
from detectors.vocabulary import VocabularyRecognizer, alternation, context_prefilter, word_list

NAME = "RELIGION"
_CONTEXT = ["宗教", "信仰", "信教", "religion", "religious", "faith", "belief"]
_TEXT_WORDS = [w for w in word_list("religions.txt") if not w.isascii() or len(w) >= 5]


class ReligionRecognizer(VocabularyRecognizer):
    """Religions and beliefs from the vocabulary, under a religion header or near a religion word."""

    ENTITY = NAME
    VOCABULARY = ("religions.txt",)
    PATTERNS = [("religion", r"(?i)(?<![A-Za-z])(?:" + alternation(_TEXT_WORDS) + r")(?![A-Za-z])", 0.3)]
    CELL_REGEX = r"^.{1,40}$"
    TEXT_PREFILTER = context_prefilter(_CONTEXT)
    CONTEXT = _CONTEXT


SPEC = EntitySpec(
    name=NAME,
    level=3,
    category="sensitive",
    label_zh="宗教信仰",
    label_en="Religious belief",
    recognizer=ReligionRecognizer,
    rank=280,
    sensitive=True,
    headers=HeaderWords(
        zh=(("宗教信仰", STRONG), ("宗教", STRONG), ("信仰", STRONG)),
        en=(("religion", STRONG), ("faith", WEAK), ("denomination", WEAK)),
        phrases=((("religious", "belief"), STRONG), (("religious", "affiliation"), STRONG)),
        pinyin=(("zjxy", STRONG),),
    ),
    mask=(0, 0),
    whole_cell=True,
)
