"""Date of birth (DATE_OF_BIRTH): one entity, one file.

Birth dates: any date could be one, so a header/comment or context must say so. Everything piiwarden
knows about this entity (grade, recognizer, header words, anonymization shapes) is in this file;
generic code reads it through ``detectors.entities.registry``.
"""

from __future__ import annotations

from detectors import validators as v
from detectors.entities.spec import STRONG, WEAK, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer

NAME = "DATE_OF_BIRTH"


class DateOfBirthRecognizer(PiiRecognizer):
    """Birth dates: any date could be one, so a header/comment or context must say so."""

    ENTITY = NAME
    PATTERNS = [
        ("date_iso", r"(?<!\d)(?:19|20)\d{2}[-/.年](?:0?[1-9]|1[0-2])[-/.月](?:0?[1-9]|[12]\d|3[01])日?(?!\d)", 0.1),
    ]
    CELL_REGEX = (
        r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[ T]00:00(?::00(?:\.0+)?)?)?$|^\d{4}年\d{1,2}月\d{1,2}日?$"
        r"|^(?:19|20)\d{6}$|^\d{1,2}/\d{1,2}/\d{4}$"
    )
    TEXT_PREFILTER = r"(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}"
    CONTEXT = ["出生", "生日", "birth", "born", "dob", "csrq"]
    CHANCE = 0.9
    STRENGTH = 0.6
    NEEDS_HINT = True

    @staticmethod
    def validate_value(value: str) -> bool:
        """A real calendar date between 1900 and today."""
        return v.is_plausible_birth_date(value)


SPEC = EntitySpec(
    name=NAME,
    level=3,
    category="demographic",
    label_zh="出生日期",
    label_en="Date of birth",
    recognizer=DateOfBirthRecognizer,
    rank=130,
    headers=HeaderWords(
        zh=(
            ("出生日期", STRONG), ("出生", STRONG), ("生日", STRONG),
        ),
        en=(
            ("dob", STRONG), ("birthday", STRONG), ("birthdate", STRONG), ("birth", STRONG),
            ("born", WEAK),
        ),
        phrases=(
            (("date", "of", "birth"), STRONG),
        ),
        pinyin=(
            ("csrq", STRONG), ("sr", WEAK),
        ),
    ),
    mask=(4, 0),
    surrogate="date",
    generalize="date",
    tells_age=True,
    min_digits=6,
)
