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
# A column of dates speaks for itself (no header) when it holds at least LIFESPAN_VALUES distinct
# dates whose middle 80% of years spans LIFESPAN_YEARS or more: people's births spread over
# generations; order, payment, shipping and log dates cover the few years a system has run.
LIFESPAN_VALUES = 20
LIFESPAN_YEARS = 20


class DateOfBirthRecognizer(PiiRecognizer):
    """Birth dates: any date could be one, so a header/comment or context must say so."""

    ENTITY = NAME
    PATTERNS = [
        ("date_iso", r"(?<!\d)(?:19|20)\d{2}[-/.年](?:0?[1-9]|1[0-2])[-/.月](?:0?[1-9]|[12]\d|3[01])日?(?!\d)", 0.1),
        # Month or day first (7/8/1991, 17/06/1976, 02.12.1979), as the cells take them; a context word decides.
        ("date_dmy", r"(?<![\d/.])\d{1,2}/\d{1,2}/(?:19|20)\d{2}(?![\d/])|(?<![\d/.])\d{1,2}\.\d{1,2}\.(?:19|20)\d{2}(?!\d|\.\d)",
         0.1),
    ]
    CELL_REGEX = (
        r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[ T]00:00(?::00(?:\.0+)?)?)?$|^\d{4}年\d{1,2}月\d{1,2}日?$"
        r"|^(?:19|20)\d{6}$|^\d{1,2}/\d{1,2}/\d{4}$|^\d{1,2}\.\d{1,2}\.\d{4}$"
    )
    TEXT_PREFILTER = r"(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}|\d{1,2}[/.]\d{1,2}[/.](?:19|20)\d{2}"
    CONTEXT = ["出生", "生日", "birth", "born", "dob", "csrq"]
    CHANCE = 0.9
    STRENGTH = 0.6
    NEEDS_HINT = True

    @staticmethod
    def validate_value(value: str) -> bool:
        """A real calendar date between 1900 and today."""
        return v.is_plausible_birth_date(value)

    def values_speak(self, distinct: set[str]) -> bool:
        """Dates spread over generations are births; business dates span the years a system has run.

        The devset's ``applied_on`` (2017-2026) and any created/updated/order
        date column stay unclassified without a header; Faker's and mimesis's
        birth dates (ages 0-115, 1950s-2000s) spread over decades.
        """
        years = sorted(d.year for d in map(v.parse_date, distinct) if d is not None)
        if len(years) < LIFESPAN_VALUES:
            return False
        low, high = years[len(years) // 10], years[(len(years) * 9) // 10]
        return high - low >= LIFESPAN_YEARS


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
