"""Phone number (PHONE_NUMBER): one entity, one file.

Phone numbers outside the mainland, via libphonenumber. Everything piiwarden knows about this entity
(grade, recognizer, header words, anonymization shapes) is in this file; generic code reads it
through ``detectors.entities.registry``.
"""

from __future__ import annotations

from detectors import validators as v
from detectors.entities.spec import HASH_PHONE, STRONG, WEAK, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer

NAME = "PHONE_NUMBER"


class PhoneNumberRecognizer(PiiRecognizer):
    """Phone numbers outside the mainland, via libphonenumber."""

    ENTITY = NAME
    PATTERNS = [
        # A one-digit group needs a separator before it (Athens: +30 21 0 1234567).
        ("intl_phone", r"(?<![\d+])\+(?!86)\d{1,3}[ .\-]?\(?\d{1,4}\)?(?:[ .\-]?\d{2,4}|[ .\-]\d){2,5}(?!\d)", 0.4),
        # North American shapes as exports write them: 1-/001- trunk, (286)638-4543, one
        # separator throughout (dots, dashes or spaces), an x/ext. extension.
        ("us_phone", r"(?<![\d+\-.])(?:(?:1|001)[ .\-]?)?(?:\(\d{3}\) ?\d{3}[.\-]\d{4}|\d{3}-\d{3}-\d{4}"
                     r"|\d{3}\.\d{3}\.\d{4}|\d{3} \d{3} \d{4})"
                     r"(?: ?(?:[Xx]|[Ee][Xx][Tt]\.?) ?\d{1,6})?(?![\d\-]|\.\d)", 0.4),
        # National format with the trunk 0 (09-7625400, 090-1234-5678): valid in some country, not a mainland
        # landline, and not a group inside a longer spaced number (7 468 013 928 649).
        ("national_phone", r"(?<![\d+\-.])(?<!\d[ \-])" + v.NATIONAL_PHONE_RE2 + r"(?![\d\-]|\.\d| \d)", 0.3),
    ]
    CELL_REGEX = (
        r"^\+\d{1,3}[ .\-]?\(?\d{1,4}\)?(?:[ .\-]?\d{2,4}|[ .\-]\d){2,5}$"
        r"|^(?:(?:\+?1|001)[ .\-]?)?(?:\(\d{3}\)[ .\-]?\d{3}[ .\-]\d{4}|\d{3}[.\-]\d{3}[.\-]\d{4}|\d{3} \d{3} \d{4})"
        r"(?: ?(?:[Xx]|[Ee][Xx][Tt]\.?) ?\d{1,6})?$"
        r"|^" + v.NATIONAL_PHONE_RE2 + r"$"
    )
    HINTED_CELL_REGEX = CELL_REGEX + r"|^\d{10}$"
    TEXT_PREFILTER = r"\+\d|\(\d{3}\)|\d{3}[-. ]\d{3}[-. ]\d{4}|0[1-9]\d{0,3}[ \-]\d{3}"
    CONTEXT = ["phone", "tel", "call", "电话", "mobile", "cell"]
    CHANCE = 0.3
    STRENGTH = 0.75

    @staticmethod
    def validate_value(value: str) -> bool:
        """A possible number by libphonenumber that is not a mainland one nor a business line."""
        return v.is_valid_intl_phone(value)


SPEC = EntitySpec(
    name=NAME,
    subject_kind="mobile",
    level=3,
    category="contact",
    label_zh="电话号码",
    label_en="Phone number",
    recognizer=PhoneNumberRecognizer,
    rank=140,
    headers=HeaderWords(
        zh=(
            ("电话", STRONG), ("联系方式", WEAK),
        ),
        en=(
            ("mobile", STRONG), ("cell", STRONG), ("cellphone", STRONG), ("msisdn", STRONG),
            ("phone", STRONG), ("telephone", STRONG), ("tel", STRONG), ("fax", WEAK),
        ),
        pinyin=(
            ("lxdh", STRONG), ("dh", WEAK), ("dhhm", STRONG),
        ),
    ),
    mask=(3, 2),
    hash_norm=HASH_PHONE,
    min_digits=7,
    digit_run=True,
)
