"""Mobile device identifier (IMEI): one entity, one file.

Fifteen digits (``49-015420-323751-8`` in its printed grouping), the last a
Luhn check digit. Luhn alone passes 1 random number in 10 (ENTITIES.md), so
the first two digits must also be an allocated GSMA reporting body (35, 86,
01, 99, ...): together about 1 in 60, and a column of 15-digit order ids
(20240315…) fails both. Every IMEI also passes a card number's Luhn check;
where the same cells are IMEIs the card reading is dropped (``OUTRANKS``).
"""

from __future__ import annotations

import re

from detectors.entities.bank_card import NAME as BANK_CARD
from detectors.entities.spec import HASH_DIGITS, STRONG, WEAK, CheckChar, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer
from detectors.validators import luhn_check_digit, luhn_ok

NAME = "IMEI"

# GSMA reporting body identifiers (the first two digits of a type allocation code).
REPORTING_BODIES = frozenset({"01", "10", "30", "33", "35", "44", "45", "49", "50", "51", "52", "53", "54", "86",
                              "91", "98", "99"})
_SHAPE = re.compile(r"^\d{15}$|^\d{2}-\d{6}-\d{6}-\d$|^\d{8} \d{6} \d$")


def is_valid_imei(value: str) -> bool:
    """Fifteen digits (plain or grouped), an allocated reporting body, Luhn."""
    v = value.strip()
    if not _SHAPE.match(v):
        return False
    digits = re.sub(r"\D", "", v)
    return digits[:2] in REPORTING_BODIES and len(set(digits)) > 2 and luhn_ok(digits)


class ImeiRecognizer(PiiRecognizer):
    """IMEI numbers: 15 digits, allocated reporting body, Luhn check digit."""

    ENTITY = NAME
    PATTERNS = [("imei", r"(?<![\d-])(?:\d{15}|\d{2}-\d{6}-\d{6}-\d)(?![\d-])", 0.3)]
    CELL_REGEX = r"^(?:\d{15}|\d{2}-\d{6}-\d{6}-\d|\d{8} \d{6} \d)$"
    TEXT_PREFILTER = r"(?:^|\D)(?:\d{15}|\d{2}-\d{6}-\d{6}-\d)(?:\D|$)"
    CONTEXT = ["imei", "串号", "设备号", "device"]
    CHANCE = 0.02
    STRENGTH = 0.9  # above a card's 0.85: a 15-digit span that is an IMEI is not read as a card
    OUTRANKS = (BANK_CARD,)

    @staticmethod
    def validate_value(value: str) -> bool:
        """Shape, reporting body and Luhn."""
        return is_valid_imei(value)


SPEC = EntitySpec(
    name=NAME,
    level=3,
    category="device",
    label_zh="IMEI 设备号",
    label_en="IMEI",
    recognizer=ImeiRecognizer,
    rank=230,
    headers=HeaderWords(
        zh=(("IMEI号", STRONG), ("串号", STRONG), ("手机串号", STRONG), ("设备号", WEAK), ("设备识别码", STRONG)),
        en=(("imei", STRONG), ("imei1", STRONG), ("imei2", STRONG), ("meid", WEAK)),
        phrases=((("device", "id"), WEAK),),
    ),
    mask=(8, 0),
    hash_norm=HASH_DIGITS,
    check_char=CheckChar(applies=lambda v: bool(re.fullmatch(r"\d{15}", v)), compute=luhn_check_digit),
)
