"""Taiwan national ID / resident certificate (TW_ID_CARD): one entity, one file.

A letter, then ``1``/``2`` (sex; ``8``/``9`` on resident certificates since
2021), then eight digits, the last a check digit (ENTITIES.md): the letter
maps to a two-digit number (A10 B11 … with I34, O35, W32 …), and weights
1 9 8 7 6 5 4 3 2 1 1 over its two digits and the nine that follow give a
sum divisible by 10. A random value of the shape passes 1 time in 10.
"""

from __future__ import annotations

import re

from detectors.entities.spec import HASH_UPPER, STRONG, CheckChar, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer

NAME = "TW_ID_CARD"

LETTER_CODES = {ch: code for ch, code in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                              (10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21, 22, 35, 23, 24,
                                               25, 26, 27, 28, 29, 32, 30, 31, 33))}
WEIGHTS = (1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1)
_SHAPE = re.compile(r"^[A-Z][1289]\d{8}$")


def _weighted(value: str) -> int:
    code = LETTER_CODES[value[0]]
    digits = [code // 10, code % 10] + [int(d) for d in value[1:]]
    return sum(w * d for w, d in zip(WEIGHTS, digits))


def tw_check_digit(body: str) -> str:
    """The check digit of a nine-character body (letter and eight digits)."""
    partial = _weighted(body.upper() + "0")
    return str((10 - partial % 10) % 10)


def is_valid_tw_id(value: str) -> bool:
    """The shape (sex or certificate digit included) and the weighted check digit."""
    v = value.strip().upper()
    return bool(_SHAPE.match(v)) and _weighted(v) % 10 == 0


class TwIdCardRecognizer(PiiRecognizer):
    """Taiwan ID numbers (national ID and the 2021 resident certificates)."""

    ENTITY = NAME
    PATTERNS = [("tw_id", r"(?<![0-9A-Za-z])[A-Za-z][1289]\d{8}(?![0-9A-Za-z])", 0.4)]
    CELL_REGEX = r"^[A-Za-z][1289]\d{8}$"
    TEXT_PREFILTER = r"[A-Za-z][1289]\d{8}"
    CONTEXT = ["身分證", "身份证", "台湾", "台灣", "taiwan", "居留证", "居留證", "national id"]
    CHANCE = 0.1
    STRENGTH = 0.9

    @staticmethod
    def validate_value(value: str) -> bool:
        """Shape and weighted check digit."""
        return is_valid_tw_id(value)


SPEC = EntitySpec(
    name=NAME,
    subject_kind="id",
    level=4,
    category="identity",
    label_zh="台湾身份证号",
    label_en="Taiwan ID number",
    recognizer=TwIdCardRecognizer,
    rank=210,
    sensitive=True,
    headers=HeaderWords(
        zh=(("台湾身份证", STRONG), ("台灣身分證", STRONG), ("身分證", STRONG), ("身分证", STRONG),
            ("台胞身份证", STRONG), ("居留证号", STRONG), ("统一证号", STRONG)),
        phrases=((("tw", "id"), STRONG), (("taiwan", "id"), STRONG), (("roc", "id"), STRONG),
                 (("taiwan", "national", "id"), STRONG)),
        pinyin=(("twsfz", STRONG),),
    ),
    mask=(1, 2),
    hash_norm=HASH_UPPER,
    check_char=CheckChar(applies=lambda v: bool(_SHAPE.match(v.upper())), compute=tw_check_digit),
)
