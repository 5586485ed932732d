"""Landline number (CN_LANDLINE_PHONE): one entity, one file.

Mainland fixed-line numbers with area code, separators and extension. Everything piiwarden knows
about this entity (grade, recognizer, header words, anonymization shapes) is in this file; generic
code reads it through ``detectors.entities.registry``.
"""

from __future__ import annotations

from detectors import validators as v
from detectors.entities.spec import STRONG, WEAK, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer

NAME = "CN_LANDLINE_PHONE"


class CnLandlineRecognizer(PiiRecognizer):
    """Mainland fixed-line numbers with area code, separators and extension."""

    ENTITY = NAME
    PATTERNS = [
        (
            "cn_landline",
            # The local number may be split as the cell pattern allows (010-8000 6000), and the
            # trunk 0 may stand in brackets before the area code ((0)10-8888 6666).
            r"(?<![\d+])(?:\(0\d{2,3}\)|（0\d{2,3}）|\(0\)\d{2,3}|0\d{2,3})[ -]?(?:\d{7,8}|\d{3,4}[ -]\d{4})"
            r"(?:(?:-|转)\d{1,5})?(?!\d)",
            0.3,
        ),
    ]
    # The trunk 0 (or +86 in front) is what makes a landline: without it every mobile would be a candidate.
    CELL_REGEX = (
        r"^(?:(?:\+|00)86[ -]?(?:\(0?\d{2,3}\)|0?\d{2,3})|\(0\d{2,3}\)|（0\d{2,3}）|\(0\)\d{2,3}|0\d{2,3})[ -]?\d{3,4}[ -]?\d{3,4}"
        r"(?:\s*(?:-|转|ext\.?|x|#)\s*\d{1,5})?$"
    )
    TEXT_PREFILTER = r"0\)?\d{2,3}[)）]?[ -]?\d{3,4}[ -]?\d{4}"
    CONTEXT = ["电话", "座机", "固话", "tel", "phone", "lxdh"]
    CHANCE = 0.5
    STRENGTH = 0.8

    @staticmethod
    def validate_value(value: str) -> bool:
        """Area code and local number lengths that exist."""
        return v.is_valid_cn_landline(value)


SPEC = EntitySpec(
    name=NAME,
    level=2,
    category="contact",
    label_zh="固定电话",
    label_en="Landline number",
    recognizer=CnLandlineRecognizer,
    rank=30,
    headers=HeaderWords(
        zh=(
            ("电话", STRONG), ("联系方式", WEAK), ("座机", STRONG), ("固话", STRONG), ("固定电话", STRONG), ("传真", WEAK),
        ),
        en=(
            ("phone", STRONG), ("telephone", STRONG), ("tel", STRONG), ("fax", WEAK), ("landline", STRONG),
        ),
        pinyin=(
            ("lxdh", STRONG), ("dh", WEAK), ("dhhm", STRONG), ("gddh", STRONG),
        ),
    ),
    mask=(4, 2),
    surrogate="landline",
    min_digits=7,
    digit_run=True,
)
