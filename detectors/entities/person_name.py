"""Person name (PERSON_NAME): one entity, one file.

Person names in cells: Chinese (surname list, compound first) or English (census name lists).
Everything piiwarden knows about this entity (grade, recognizer, header words, anonymization shapes)
is in this file; generic code reads it through ``detectors.entities.registry``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from presidio_analyzer import RecognizerResult

from detectors import ennames
from detectors import validators as v
from detectors import vectorized as vz
from detectors.batchspans import Joined, Matches
from detectors.entities.spec import STRONG, WEAK, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer, TextRecognizer

NAME = "PERSON_NAME"


class PersonNameRecognizer(PiiRecognizer):
    """Person names in cells: Chinese (surname list, compound first) or English (census name lists)."""

    ENTITY = NAME
    PATTERNS = [
        ("en_name", r"(?<![A-Za-z])[A-Z][a-z'\-]+(?: [A-Z]\.)? [A-Z][a-z'\-]+(?![A-Za-z])", 0.2),
    ]
    CELL_REGEX = r"^[\p{Han}·]{2,16}$|^[A-Z][A-Za-z'\-]+(?: [A-Z]\.?)?(?: [A-Z][A-Za-z'\-]+){1,2}$|^[A-Z][A-Za-z'\-]+, [A-Z][A-Za-z'\-]+$"
    # English "First Last", or any Han text (jieba decides which words are names)
    TEXT_PREFILTER = ennames.TEXT_PREFILTER + r"|\p{Han}{2}"
    CONTEXT = ["姓名", "先生", "女士", "name", "mr", "mrs", "ms", "dear", "联系人"]
    CHANCE = 0.3
    STRENGTH = 0.6
    MIN_DISTINCT = 0.3
    name: str  # set by Presidio's EntityRecognizer.__init__
    CELL_IS_TOKEN = False

    @staticmethod
    def validate_value(value: str) -> bool:
        """A Chinese or English person name."""
        return v.is_person_name(value)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None) -> list[RecognizerResult]:
        """English names in text: capitalized runs read window by window, titles, self-introductions.

        The span pattern (PATTERNS) still says where a name could be (the
        chance test's trials); the spans are detectors/ennames.py's, which
        uses the cells' own check, so ``Yesterday John Smith called`` gives
        ``John Smith`` and ``Mr. Mayers`` gives ``Mayers``.
        """
        if self.ENTITY not in entities:
            return []
        return [RecognizerResult(self.ENTITY, start, end, self.STRENGTH,
                                 recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                                       RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id})
                for start, end in ennames.english_name_spans(text)]

    def analyze_batch(self, texts: list[str], within: Joined | None = None) -> tuple[Matches, Matches]:
        """The pattern's raw matches over all texts (the trials) and, per text, the spans ``analyze`` returns."""
        raw, _found = super().analyze_batch(texts, within)
        rows = [(i, s, e) for i, text in enumerate(texts) for s, e in ennames.english_name_spans(text)]
        found = np.asarray(rows, dtype=np.int64).reshape(-1, 3)
        return raw, Matches(found[:, 0], found[:, 1], found[:, 2])

    def validate_array(self, values: pa.Array) -> np.ndarray:
        """Chinese names vectorized; English names (ASCII values) by the per-value path."""
        values = vz.plain_array(values)
        out = vz.chinese_name_mask(values)
        ascii_pos = np.flatnonzero(vz.regex_mask(values, r"^[A-Za-z][A-Za-z .,'\-]+$"))
        if len(ascii_pos):
            out[ascii_pos] = super().validate_array(values.take(pa.array(ascii_pos)))
        return out


class ChineseNameTextRecognizer(TextRecognizer):
    """Chinese person names in free text: surname-anchored candidates read in context, and jieba's nr tags.

    detectors/cnnames.py says which: jieba alone glues names to their
    neighbours (客户王 / 洋 / 来电) and splits compound surnames (欧阳 / 娜娜).
    """

    ENTITY = NAME
    name: str  # set by Presidio's EntityRecognizer.__init__

    def __init__(self, supported_language: str = "zh") -> None:
        super().__init__(supported_entities=[self.ENTITY], name=f"ChineseNameTextRecognizer_{supported_language}",
                         supported_language=supported_language)

    def load(self) -> None:
        """Nothing to load up front: jieba loads its dictionary on first use."""

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None) -> list[RecognizerResult]:
        """Spans of validated Chinese names."""
        if self.ENTITY not in entities:
            return []
        import jieba.posseg

        from detectors.cnnames import name_spans

        v.jieba_tags()  # quiet, cached dictionary load
        tokens = [(t.word, t.flag) for t in jieba.posseg.cut(text)]
        return [RecognizerResult(self.ENTITY, start, end, 0.6,
                                 recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                                       RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id})
                for start, end in name_spans(text, tokens)]


SPEC = EntitySpec(
    name=NAME,
    level=2,
    category="identity",
    label_zh="姓名",
    label_en="Person name",
    recognizer=PersonNameRecognizer,
    rank=110,
    text_recognizers=(ChineseNameTextRecognizer,),
    headers=HeaderWords(
        zh=(
            ("姓名", STRONG), ("名字", STRONG), ("联系人", STRONG), ("监护人", STRONG), ("家长", WEAK),
            ("收件人", STRONG), ("收货人", STRONG), ("寄件人", STRONG), ("发件人", STRONG), ("法人", WEAK),
            ("客户名", WEAK), ("申请人", WEAK), ("持卡人", STRONG),
        ),
        en=(
            ("name", STRONG), ("fullname", STRONG), ("firstname", STRONG), ("lastname", STRONG),
            ("surname", STRONG), ("forename", STRONG), ("sender", WEAK), ("receiver", WEAK),
            ("recipient", WEAK), ("consignee", WEAK), ("applicant", WEAK), ("guardian", WEAK),
            ("contact", WEAK),
        ),
        phrases=(
            (("given", "name"), STRONG), (("first", "name"), STRONG), (("last", "name"), STRONG),
            (("family", "name"), STRONG), (("card", "holder"), STRONG),
        ),
        pinyin=(
            ("xm", STRONG), ("xingming", STRONG), ("lxr", STRONG),
        ),
    ),
    mask=(1, 0),
    surrogate="name",
    whole_cell=True,
    person_name=True,
)
