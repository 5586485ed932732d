"""US social security number (US_SSN): one entity, one file.

US social security numbers; bare 9 digits only under an SSN header. Everything piiwarden knows about
this entity (grade, recognizer, header words, anonymization shapes) is in this file; generic code
reads it through ``detectors.entities.registry``.
"""

from __future__ import annotations

from detectors import validators as v
from detectors.entities.spec import SHAPE_DASHED, STRONG, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer

NAME = "US_SSN"


class UsSsnRecognizer(PiiRecognizer):
    """US social security numbers; bare 9 digits only under an SSN header."""

    ENTITY = NAME
    # Dots are a separator too (078.05.1123), but only as a pair: a sentence-final dot ends the span.
    PATTERNS = [("ssn", r"(?<![\d.-])\d{3}(?:[- ]\d{2}[- ]|\.\d{2}\.)\d{4}(?![\d-]|\.\d)", 0.4)]
    # A bare dotted cell (123.45.6789) is as common for other codes as a bare 9-digit one:
    # both need an SSN header; in free text the pattern is exact enough.
    CELL_REGEX = r"^\d{3}-\d{2}-\d{4}$|^\d{3} \d{2} \d{4}$"
    HINTED_CELL_REGEX = r"^\d{3}[-. ]?\d{2}[-. ]?\d{4}$"
    TEXT_PREFILTER = r"\d{3}[-. ]\d{2}[-. ]\d{4}"
    CONTEXT = ["ssn", "social security", "社会安全号"]
    CHANCE = 0.2
    STRENGTH = 0.85

    @staticmethod
    def validate_value(value: str) -> bool:
        """Area, group and serial ranges the SSA issues."""
        return v.is_valid_us_ssn(value)


SPEC = EntitySpec(
    name=NAME,
    subject_kind="id",
    level=4,
    category="identity",
    label_zh="美国社会安全号",
    label_en="US social security number",
    recognizer=UsSsnRecognizer,
    rank=70,
    sensitive=True,
    headers=HeaderWords(
        en=(
            ("ssn", STRONG),
        ),
        phrases=(
            (("social", "security"), STRONG),
        ),
    ),
    mask=(0, 4),
    shape=SHAPE_DASHED,
    surrogate="ssn",
    min_digits=9,
    digit_run=True,
)
