"""Vehicle identification number (VIN): one entity, one file.

Seventeen characters from ``0-9A-HJ-NPR-Z`` (no I, O, Q); position 9 is a
check digit (ISO 3779 as used in North America, and in China by GB 16735):
letters are transliterated, weighted 8 7 6 5 4 3 2 10 0 9 8 7 6 5 4 3 2,
and the sum mod 11 is the check (10 → X). A random 17-character code
passes 1 time in 11 at most, and most random SKUs hold an I, O or Q.
"""

from __future__ import annotations

import re

from detectors.entities.spec import HASH_UPPER, STRONG, WEAK, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer

NAME = "VIN"

_VALUES = {**{str(d): d for d in range(10)},
           **dict(zip("ABCDEFGH", range(1, 9))), **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9,
           **dict(zip("STUVWXYZ", range(2, 10)))}
WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_SHAPE = re.compile(r"^[0-9A-HJ-NPR-Z]{17}$")


def vin_check_char(vin: str) -> str:
    """The check character (position 9) a 17-character VIN should have."""
    total = sum(_VALUES[ch] * w for ch, w in zip(vin.upper(), WEIGHTS))
    rest = total % 11
    return "X" if rest == 10 else str(rest)


def is_valid_vin(value: str) -> bool:
    """Alphabet, check digit, a letter and a digit both present, model year (position 10) not U, Z or 0."""
    v = value.strip().upper()
    if not _SHAPE.match(v) or v[9] in "UZ0" or len(set(v)) < 4:
        return False
    if not any(ch.isalpha() for ch in v) or not any(ch.isdigit() for ch in v):
        return False
    return vin_check_char(v) == v[8]


class VinRecognizer(PiiRecognizer):
    """Vehicle identification numbers with a valid check digit."""

    ENTITY = NAME
    PATTERNS = [("vin", r"(?<![0-9A-Za-z])[0-9A-HJ-NPR-Za-hj-npr-z]{17}(?![0-9A-Za-z])", 0.3)]
    CELL_REGEX = r"^[0-9A-HJ-NPR-Za-hj-npr-z]{17}$"
    # Exactly 17 between non-alphanumerics: the 17-digit runs inside every ID and card number do not qualify.
    TEXT_PREFILTER = r"(?:^|[^0-9A-Za-z])[0-9A-HJ-NPR-Za-hj-npr-z]{17}(?:[^0-9A-Za-z]|$)"
    CONTEXT = ["vin", "车架号", "车辆识别", "chassis", "vehicle"]
    CHANCE = 0.09
    STRENGTH = 0.85

    @staticmethod
    def validate_value(value: str) -> bool:
        """Alphabet, model-year position and check digit."""
        return is_valid_vin(value)


SPEC = EntitySpec(
    name=NAME,
    level=3,
    category="identity",
    label_zh="车辆识别代号",
    label_en="Vehicle identification number",
    recognizer=VinRecognizer,
    rank=240,
    headers=HeaderWords(
        zh=(("车架号", STRONG), ("车辆识别代号", STRONG), ("车辆识别码", STRONG), ("VIN码", STRONG), ("底盘号", STRONG)),
        en=(("vin", STRONG), ("chassis", WEAK)),
        phrases=((("vehicle", "identification"), STRONG), (("vin", "no"), STRONG), (("frame", "no"), WEAK)),
        pinyin=(("cjh", STRONG),),
    ),
    mask=(3, 4),
    hash_norm=HASH_UPPER,
)
