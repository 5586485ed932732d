"""Vehicle plate (CN_LICENSE_PLATE): one entity, one file.

Mainland vehicle plates, ordinary and new-energy. Everything piiwarden knows about this entity
(grade, recognizer, header words, anonymization shapes) is in this file; generic code reads it
through ``detectors.entities.registry``.
"""

from __future__ import annotations

from detectors import validators as v
from detectors.entities.spec import HASH_UPPER, STRONG, WEAK, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer

NAME = "CN_LICENSE_PLATE"


class CnLicensePlateRecognizer(PiiRecognizer):
    """Mainland vehicle plates, ordinary and new-energy."""

    ENTITY = NAME
    _P = v.PLATE_PROVINCES
    PATTERNS = [
        ("cn_plate", rf"(?<![A-Za-z0-9])[{_P}][A-HJ-NP-Za-hj-np-z][·•\s\-]?[A-HJ-NP-Za-hj-np-z0-9]{{4,5}}"
                     rf"[A-HJ-NP-Za-hj-np-z0-9挂学警港澳](?![A-Za-z0-9])", 0.4)
    ]
    CELL_REGEX = rf"^[{_P}][A-HJ-NP-Za-hj-np-z][·•\s\-]?[A-HJ-NP-Za-hj-np-z0-9]{{4,5}}[A-HJ-NP-Za-hj-np-z0-9挂学警港澳]$"
    TEXT_PREFILTER = rf"[{_P}][A-Z]"
    CONTEXT = ["车牌", "车辆", "plate", "vehicle", "cph"]
    CHANCE = 0.1
    STRENGTH = 0.9

    @staticmethod
    def validate_value(value: str) -> bool:
        """Province character, issuing letter and a 5/6-character tail of the right shape."""
        return v.is_valid_cn_plate(value)


SPEC = EntitySpec(
    name=NAME,
    level=3,
    category="identity",
    label_zh="车牌号",
    label_en="Vehicle plate",
    recognizer=CnLicensePlateRecognizer,
    rank=100,
    headers=HeaderWords(
        zh=(
            ("车牌", STRONG),
        ),
        en=(
            ("plate", STRONG), ("vehicle", WEAK),
        ),
        phrases=(
            (("license", "plate"), STRONG), (("car", "no"), STRONG), (("vehicle", "no"), STRONG),
        ),
        pinyin=(
            ("cph", STRONG), ("cphm", STRONG),
        ),
    ),
    mask=(2, 1),
    hash_norm=HASH_UPPER,
    surrogate="plate",
)
