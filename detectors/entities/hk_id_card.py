"""Hong Kong identity card (HK_ID_CARD): one entity, one file.

One or two letters, six digits and a check character, in parentheses or not
(``A123456(3)``). The check is mod 11 (ENTITIES.md): letters count A=10 …
Z=35, a missing second letter 36, weights 9…2 over the eight positions, and
the weighted sum plus the check value (A = 10) is divisible by 11. A random
code of this shape passes 1 time in 11, so a column needs more than a few.
"""

from __future__ import annotations

import re

from detectors.entities.spec import HASH_UPPER, STRONG, CheckChar, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer

NAME = "HK_ID_CARD"

_SHAPE = re.compile(r"^([A-Z]{1,2})(\d{6})\(?([0-9A])\)?$")


def hk_check_char(body: str) -> str:
    """The check character of a body (one or two letters and six digits): ``A123456`` → ``3``."""
    letters, digits = body[:-6].upper(), body[-6:]
    values = [36] * (2 - len(letters)) + [ord(ch) - 55 for ch in letters] + [int(d) for d in digits]
    total = sum(w * v for w, v in zip(range(9, 1, -1), values))
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def is_valid_hk_id(value: str) -> bool:
    """The shape and the mod-11 check character (parentheses, spaces and case ignored)."""
    m = _SHAPE.match(value.strip().replace(" ", "").upper())
    return m is not None and hk_check_char(m.group(1) + m.group(2)) == m.group(3)


class HkIdCardRecognizer(PiiRecognizer):
    """Hong Kong identity card numbers, with or without the parenthesized check character."""

    ENTITY = NAME
    PATTERNS = [
        ("hk_id_paren", r"(?<![0-9A-Za-z])[A-Za-z]{1,2}\d{6}[(（][0-9Aa][)）]", 0.5),
        ("hk_id", r"(?<![0-9A-Za-z])[A-Za-z]{1,2}\d{6}[0-9Aa](?![0-9A-Za-z])", 0.3),
    ]
    CELL_REGEX = r"^[A-Za-z]{1,2}\d{6}\(?[0-9Aa]\)?$"
    TEXT_PREFILTER = r"[A-Za-z]\d{6}"
    CONTEXT = ["香港身份证", "身份证", "hkid", "hong kong", "identity card", "香港"]
    CHANCE = 0.1
    STRENGTH = 0.9

    @staticmethod
    def validate_value(value: str) -> bool:
        """Shape and mod-11 check character."""
        return is_valid_hk_id(value.replace("（", "(").replace("）", ")"))


def _plain_checked(value: str) -> bool:
    """The form without parentheses, whose last character is the check character."""
    return bool(re.fullmatch(r"[A-Za-z]{1,2}\d{7}|[A-Za-z]{1,2}\d{6}[Aa]", value))


SPEC = EntitySpec(
    name=NAME,
    subject_kind="id",
    level=4,
    category="identity",
    label_zh="香港身份证号",
    label_en="Hong Kong identity card number",
    recognizer=HkIdCardRecognizer,
    rank=200,
    sensitive=True,
    headers=HeaderWords(
        zh=(("香港身份证", STRONG), ("港澳身份证", STRONG), ("香港居民身份证", STRONG)),
        en=(("hkid", STRONG), ("hkic", STRONG)),
        phrases=((("hk", "id"), STRONG), (("hong", "kong", "id"), STRONG), (("hk", "identity"), STRONG),
                 (("hk", "id", "card"), STRONG)),
        pinyin=(("xgsfz", STRONG),),
    ),
    mask=(1, 1),
    hash_norm=HASH_UPPER,
    check_char=CheckChar(applies=_plain_checked, compute=hk_check_char),
)
