"""Mainland mobile number (CN_MOBILE_PHONE): one entity, one file.

Mainland mobile numbers with optional +86/86/0086 and 3-4-4 separators. Everything piiwarden knows
about this entity (grade, recognizer, header words, anonymization shapes) is in this file; generic
code reads it through ``detectors.entities.registry``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors import validators as v
from detectors import vectorized as vz
from detectors.entities.spec import (
    HASH_PHONE,
    MASK_NATIONAL,
    SHAPE_COMPACT,
    STRONG,
    WEAK,
    EntitySpec,
    HeaderWords,
)
from detectors.recognizers import PiiRecognizer

NAME = "CN_MOBILE_PHONE"


class CnMobileRecognizer(PiiRecognizer):
    """Mainland mobile numbers with optional +86/86/0086 and 3-4-4 separators."""

    ENTITY = NAME
    PATTERNS = [
        ("cn_mobile", r"(?<![\d+])(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)", 0.4),
    ]
    CELL_REGEX = r"^(?:(?:\+|00)?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}$"
    TEXT_PREFILTER = r"1[3-9]\d[ -]?\d{4}[ -]?\d{4}"
    CONTEXT = ["手机", "电话", "联系", "mobile", "phone", "tel", "sjh", "sjhm"]
    # Random 11-digit numbers starting 13-19 hit an allocated prefix about half the time.
    CHANCE = 0.55
    STRENGTH = 0.95
    MIN_PREFIXES = 3

    @staticmethod
    def prefix(value: str) -> str:
        """The 1xx carrier prefix of the national number."""
        return (v.normalize_mobile(value) or "")[:3]

    @staticmethod
    def validate_value(value: str) -> bool:
        """11 digits on an allocated prefix."""
        return v.is_valid_cn_mobile(value)

    def validate_array(self, values: pa.Array) -> np.ndarray:
        """Prefix membership over the normalized numbers, vectorized."""
        return vz.mobile_mask(values)

    def prefix_array(self, values: pa.Array) -> pa.Array:
        """The 1xx carrier prefixes, vectorized."""
        return pc.utf8_slice_codeunits(vz.normalized_mobiles(values), 0, 3)


SPEC = EntitySpec(
    name=NAME,
    subject_kind="mobile",
    level=3,
    category="contact",
    label_zh="手机号",
    label_en="Mainland mobile number",
    recognizer=CnMobileRecognizer,
    rank=20,
    headers=HeaderWords(
        zh=(
            ("手机", STRONG), ("电话", STRONG), ("联系方式", WEAK),
        ),
        en=(
            ("mobile", STRONG), ("cell", STRONG), ("cellphone", STRONG), ("msisdn", STRONG),
            ("phone", STRONG), ("telephone", STRONG), ("tel", STRONG),
        ),
        pinyin=(
            ("sjh", STRONG), ("sjhm", STRONG), ("shouji", STRONG), ("lxdh", STRONG), ("dh", WEAK),
            ("dhhm", STRONG),
        ),
    ),
    mask=(3, 2),
    mask_style=MASK_NATIONAL,
    hash_norm=HASH_PHONE,
    shape=SHAPE_COMPACT,
    surrogate="mobile",
    generalize="mobile_prefix",
    min_digits=11,
    digit_run=True,
)
