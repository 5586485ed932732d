"""Resident ID number (CN_RESIDENT_ID): one entity, one file.

Mainland resident ID (GB 11643-1999), 18-character and legacy 15-digit. Everything piiwarden knows
about this entity (grade, recognizer, header words, anonymization shapes) is in this file; generic
code reads it through ``detectors.entities.registry``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from detectors import validators as v
from detectors import vectorized as vz
from detectors.entities.spec import (
    HASH_UPPER,
    SHAPE_COMPACT,
    STRONG,
    WEAK,
    CheckChar,
    EntitySpec,
    HeaderWords,
)
from detectors.recognizers import PiiRecognizer

NAME = "CN_RESIDENT_ID"


class CnResidentIdRecognizer(PiiRecognizer):
    """Mainland resident ID (GB 11643-1999), 18-character and legacy 15-digit."""

    ENTITY = NAME
    PATTERNS = [
        ("cn_id_18", r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])", 0.3),
        ("cn_id_15", r"(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])", 0.1),
    ]
    CELL_REGEX = r"^(?:\d{17}[\dXx]|\d{15})$"
    TEXT_PREFILTER = r"\d{15}"
    CONTEXT = ["身份证", "证件", "身份证号", "身份号", "idcard", "id", "identity", "sfz", "sfzh"]  # 身份号: 公民身份号码, the card's own label
    CHANCE = 0.01
    STRENGTH = 1.0

    @staticmethod
    def validate_value(value: str) -> bool:
        """Checksum, real birth date and province code."""
        return v.is_valid_resident_id(value)

    def validate_array(self, values: pa.Array) -> np.ndarray:
        """The checksum, date and province checks as numpy over the whole array."""
        return vz.resident_id_mask(values)


def _has_check_char(value: str) -> bool:
    """The 18-character form (17 digits and the check character); the legacy 15-digit one has none."""
    return len(value) == 18 and value[:17].isdigit()


SPEC = EntitySpec(
    name=NAME,
    subject_kind="id",
    level=4,
    category="identity",
    label_zh="居民身份证号",
    label_en="Resident ID number",
    recognizer=CnResidentIdRecognizer,
    rank=0,
    sensitive=True,
    headers=HeaderWords(
        zh=(
            ("身份证", STRONG), ("身份号", STRONG), ("证件号", STRONG), ("证件", WEAK),
        ),
        phrases=(
            (("id", "card"), STRONG), (("id", "no"), STRONG), (("id", "number"), STRONG),
            (("id", "num"), STRONG), (("idcard",), STRONG), (("national", "id"), STRONG),
            (("citizen", "id"), STRONG), (("identity",), STRONG), (("resident", "id"), STRONG),
        ),
        pinyin=(
            ("sfz", STRONG), ("sfzh", STRONG), ("sfzhm", STRONG), ("zjhm", STRONG), ("zjh", STRONG),
        ),
    ),
    mask=(6, 4),
    hash_norm=HASH_UPPER,
    shape=SHAPE_COMPACT,
    surrogate="resident_id",
    generalize="resident_id",
    check_char=CheckChar(applies=_has_check_char, compute=v.resident_id_check_char),
    tells_age=True,
    birth_date_in_value=True,
    min_digits=15,
    digit_run=True,
)
