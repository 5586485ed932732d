"""E-mail address (EMAIL_ADDRESS): one entity, one file.

E-mail addresses, validated offline (no public-suffix download). Everything piiwarden knows about
this entity (grade, recognizer, header words, anonymization shapes) is in this file; generic code
reads it through ``detectors.entities.registry``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from detectors import validators as v
from detectors import vectorized as vz
from detectors.entities.spec import HASH_LOWER, MASK_EMAIL, STRONG, WEAK, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer

NAME = "EMAIL_ADDRESS"


class EmailRecognizer(PiiRecognizer):
    """E-mail addresses, validated offline (no public-suffix download)."""

    ENTITY = NAME
    PATTERNS = [
        (
            "email",
            r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+(?:[Xx][Nn]--[A-Za-z0-9\-]{1,59}|[A-Za-z]{2,24})(?![A-Za-z0-9\-])",
            0.5,
        ),
    ]
    CELL_REGEX = r"^[A-Za-z0-9._%+\-!#$&'*/=?^`{|}~]+@[A-Za-z0-9.\-]+\.(?:[A-Za-z]{2,24}|xn--[A-Za-z0-9\-]{1,59})$"
    TEXT_PREFILTER = r"@[A-Za-z0-9\-]+\."
    CONTEXT = ["邮箱", "email", "mail", "yx"]
    CHANCE = 0.05
    STRENGTH = 1.0

    @staticmethod
    def validate_value(value: str) -> bool:
        """RFC-shaped local part and a real-looking domain."""
        return v.is_valid_email(value)

    def validate_array(self, values: pa.Array) -> np.ndarray:
        """The same shape as one RE2 pattern over the whole array."""
        return vz.email_mask(values)


SPEC = EntitySpec(
    name=NAME,
    subject_kind="email",
    level=2,
    category="contact",
    label_zh="电子邮箱",
    label_en="E-mail address",
    recognizer=EmailRecognizer,
    rank=40,
    headers=HeaderWords(
        zh=(
            ("邮箱", STRONG), ("电子邮件", STRONG), ("邮件", WEAK), ("邮箱地址", STRONG), ("邮件地址", STRONG),
        ),
        en=(
            ("email", STRONG), ("mail", STRONG),
        ),
        phrases=(
            (("email", "address"), STRONG), (("mail", "address"), STRONG),
        ),
        pinyin=(
            ("yx", WEAK), ("dzyx", STRONG),
        ),
    ),
    mask_style=MASK_EMAIL,
    hash_norm=HASH_LOWER,
    surrogate="email",
)
