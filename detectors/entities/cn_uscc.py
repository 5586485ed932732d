"""Unified social credit code (CN_USCC): one entity, one file.

Unified social credit codes (GB 32100-2015) with their check character. Everything piiwarden knows
about this entity (grade, recognizer, header words, anonymization shapes) is in this file; generic
code reads it through ``detectors.entities.registry``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from detectors import validators as v
from detectors import vectorized as vz
from detectors.entities.spec import HASH_UPPER, SHAPE_COMPACT, STRONG, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer

NAME = "CN_USCC"


class CnUsccRecognizer(PiiRecognizer):
    """Unified social credit codes (GB 32100-2015) with their check character."""

    ENTITY = NAME
    PATTERNS = [("uscc", r"(?<![0-9A-Za-z])[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}\d{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}"
                         r"(?![0-9A-Za-z])", 0.3)]
    CELL_REGEX = r"^[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}\d{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}$"
    TEXT_PREFILTER = r"[0-9A-Y]{2}\d{6}[0-9A-Y]{10}"
    CONTEXT = ["信用代码", "统一社会信用代码", "uscc", "credit code", "营业执照", "税号"]
    CHANCE = 1 / 31
    STRENGTH = 0.95

    @staticmethod
    def validate_value(value: str) -> bool:
        """Alphabet, division code and check character."""
        return v.is_valid_uscc(value)

    def validate_array(self, values: pa.Array) -> np.ndarray:
        """The check character as numpy over an alphabet lookup."""
        return vz.uscc_mask(values)


def _individual_business(value: str) -> int | None:
    """A code starting with 92 is an individual business (个体工商户): a person's, level 2."""
    return 2 if value.startswith("92") else None


SPEC = EntitySpec(
    name=NAME,
    level=1,
    category="organization",
    label_zh="统一社会信用代码",
    label_en="Unified social credit code",
    recognizer=CnUsccRecognizer,
    rank=60,
    headers=HeaderWords(
        zh=(
            ("信用代码", STRONG), ("统一社会信用代码", STRONG),
        ),
        en=(
            ("uscc", STRONG),
        ),
        phrases=(
            (("credit", "code"), STRONG),
        ),
        pinyin=(
            ("tyshxydm", STRONG), ("xydm", STRONG),
        ),
    ),
    mask=(2, 2),
    hash_norm=HASH_UPPER,
    shape=SHAPE_COMPACT,
    level_for=_individual_business,
)
