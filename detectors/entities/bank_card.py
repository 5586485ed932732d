"""Bank card number (BANK_CARD): one entity, one file.

Payment card numbers (UnionPay, Visa, Mastercard, ...), plain or grouped by four. Everything
piiwarden knows about this entity (grade, recognizer, header words, anonymization shapes) is in this
file; generic code reads it through ``detectors.entities.registry``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from detectors import validators as v
from detectors import vectorized as vz
from detectors.entities.spec import HASH_DIGITS, SHAPE_COMPACT, STRONG, WEAK, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer

NAME = "BANK_CARD"


class BankCardRecognizer(PiiRecognizer):
    """Payment card numbers (UnionPay, Visa, Mastercard, ...), plain or grouped by four."""

    ENTITY = NAME
    PATTERNS = [
        # One separator throughout a card, so a differently grouped card next to it is not
        # swallowed; "card_16" is the 16-digit card before a trailing group (an expiry year),
        # which "card_grouped" takes in and Luhn then rejects as a whole.
        # (Spelled per separator, without back-references, so the fast ``re`` twin applies.)
        ("card_grouped", r"(?<![\d-])\d{4}(?:(?: \d{4}){2,3}(?: \d{1,4})?|(?:-\d{4}){2,3}(?:-\d{1,4})?)(?![\d-])", 0.3),
        ("card_16", r"(?<![\d-])\d{4}(?:(?: \d{4}){3}|(?:-\d{4}){3})(?!\d|-\d)", 0.3),
        ("card_plain", r"(?<![0-9A-Za-z])\d{13,19}(?![0-9A-Za-z])", 0.1),
    ]
    CELL_REGEX = r"^(?:\d{13,19}|\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,4})?)$"
    TEXT_PREFILTER = r"\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d"
    CONTEXT = ["银行卡", "卡号", "账号", "card", "account", "yhk", "yhkh"]
    CHANCE = 0.1
    STRENGTH = 0.85

    @staticmethod
    def validate_value(value: str) -> bool:
        """13-19 digits passing Luhn, not an epoch timestamp."""
        return v.is_valid_bank_card(value)

    def validate_array(self, values: pa.Array) -> np.ndarray:
        """Luhn as numpy over digit matrices, one per length."""
        return vz.luhn_mask(values)


SPEC = EntitySpec(
    name=NAME,
    subject_kind="card",
    level=4,
    category="financial",
    label_zh="银行卡号",
    label_en="Bank card number",
    recognizer=BankCardRecognizer,
    rank=10,
    sensitive=True,
    headers=HeaderWords(
        zh=(
            ("银行卡", STRONG), ("卡号", STRONG), ("账号", WEAK), ("帐号", WEAK), ("开户账号", STRONG),
            ("银行账户", STRONG),
        ),
        en=(
            ("card", STRONG), ("pan", WEAK), ("iban", STRONG), ("account", WEAK), ("acct", WEAK),
        ),
        pinyin=(
            ("yhkh", STRONG), ("yhk", STRONG), ("yhzh", STRONG), ("khzh", STRONG),
        ),
    ),
    mask=(6, 4),
    hash_norm=HASH_DIGITS,
    shape=SHAPE_COMPACT,
    surrogate="card",
    min_digits=13,
    digit_run=True,
)
