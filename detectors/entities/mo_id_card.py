"""Macao resident identity card (MO_ID_CARD): one entity, one file.

Eight digits, the first 1, 5 or 7, the last often in parentheses
(``1234567(8)``). There is no public check rule, and eight-digit numbers are
everywhere, so a column needs a header that names the card (澳门身份证, BIR)
and a span in text a context word near it (ENTITIES.md).
"""

from __future__ import annotations

import re

from detectors.entities.spec import STRONG, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer

NAME = "MO_ID_CARD"

_SHAPE = re.compile(r"^[157]\d{6}[(（]?\d[)）]?$")


def is_valid_mo_id(value: str) -> bool:
    """Eight digits starting 1, 5 or 7, the last possibly in parentheses; not one digit repeated."""
    v = value.strip().replace(" ", "")
    digits = re.sub(r"\D", "", v)
    return bool(_SHAPE.match(v)) and len(set(digits)) > 1


class MoIdCardRecognizer(PiiRecognizer):
    """Macao identity card numbers: the shape only, so a header or context must name them."""

    ENTITY = NAME
    PATTERNS = [("mo_id", r"(?<![0-9A-Za-z/-])[157]\d{6}[(（]?\d[)）]?(?![0-9A-Za-z])", 0.3)]
    CELL_REGEX = r"^[157]\d{6}[(（]?\d[)）]?$"
    TEXT_PREFILTER = r"(?i)澳门|澳門|macao|macau|BIR"
    CONTEXT = ["澳门", "澳門", "macao", "macau", "BIR"]
    CHANCE = 0.5
    STRENGTH = 0.7
    NEEDS_HINT = True
    CELLS_NEED_HINT = True

    @staticmethod
    def validate_value(value: str) -> bool:
        """The Macao card's shape (first digit 1, 5 or 7)."""
        return is_valid_mo_id(value)


SPEC = EntitySpec(
    name=NAME,
    subject_kind="id",
    level=4,
    category="identity",
    label_zh="澳门身份证号",
    label_en="Macao identity card number",
    recognizer=MoIdCardRecognizer,
    rank=220,
    sensitive=True,
    headers=HeaderWords(
        zh=(("澳门身份证", STRONG), ("澳門身份證", STRONG), ("澳门居民身份证", STRONG), ("澳门证件", STRONG)),
        en=(("bir", STRONG),),
        phrases=((("macao", "id"), STRONG), (("macau", "id"), STRONG), (("mo", "id"), STRONG)),
        pinyin=(("amsfz", STRONG),),
    ),
    mask=(1, 1),
)
