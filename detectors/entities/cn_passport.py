"""Passport number (CN_PASSPORT): one entity, one file.

PRC passport numbers: nine-character codes need a header or context. Everything piiwarden knows
about this entity (grade, recognizer, header words, anonymization shapes) is in this file; generic
code reads it through ``detectors.entities.registry``.
"""

from __future__ import annotations

from detectors import validators as v
from detectors.entities.spec import HASH_UPPER, SHAPE_COMPACT, STRONG, WEAK, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer

NAME = "CN_PASSPORT"


class CnPassportRecognizer(PiiRecognizer):
    """PRC passport numbers: nine-character codes need a header or context."""

    ENTITY = NAME
    PATTERNS = [("cn_passport", r"(?<![0-9A-Za-z])(?:[Ee]\d{8}|[Ee][A-HJ-NP-Za-hj-np-z]\d{7}|[Gg]\d{8}|[DSPdsp][Ee]?\d{7,8})"
                                r"(?![0-9A-Za-z])", 0.2)]
    CELL_REGEX = r"^(?:[EeGg]\d{8}|[Ee][A-HJ-NP-Za-hj-np-z]\d{7}|[DSPdsp][Ee]?\d{7,8})$"
    TEXT_PREFILTER = r"[EGDSP][A-Z]?\d{7,8}"
    CONTEXT = ["护照", "passport", "hzh"]
    CHANCE = 0.5
    STRENGTH = 0.7
    NEEDS_HINT = True

    @staticmethod
    def validate_value(value: str) -> bool:
        """Ordinary (E, G) and official (D, S, P) passport shapes."""
        return v.is_valid_cn_passport(value)


SPEC = EntitySpec(
    name=NAME,
    subject_kind="id",
    level=4,
    category="identity",
    label_zh="护照号",
    label_en="Passport number",
    recognizer=CnPassportRecognizer,
    rank=80,
    sensitive=True,
    headers=HeaderWords(
        zh=(
            ("证件号", STRONG), ("证件", WEAK), ("护照", STRONG),
        ),
        en=(
            ("passport", STRONG),
        ),
        pinyin=(
            ("zjhm", STRONG), ("zjh", STRONG), ("hzh", STRONG), ("hzhm", STRONG),
        ),
    ),
    mask=(1, 2),
    hash_norm=HASH_UPPER,
    shape=SHAPE_COMPACT,
)
