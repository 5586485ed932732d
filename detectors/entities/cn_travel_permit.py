"""Travel permit number (CN_TRAVEL_PERMIT): one entity, one file.

Permits for HK/Macao/Taiwan travel, both directions; need a header or context. Everything piiwarden
knows about this entity (grade, recognizer, header words, anonymization shapes) is in this file;
generic code reads it through ``detectors.entities.registry``.
"""

from __future__ import annotations

from detectors import validators as v
from detectors.entities.spec import HASH_UPPER, SHAPE_COMPACT, STRONG, WEAK, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer

NAME = "CN_TRAVEL_PERMIT"


class CnTravelPermitRecognizer(PiiRecognizer):
    """Permits for HK/Macao/Taiwan travel, both directions; need a header or context."""

    ENTITY = NAME
    PATTERNS = [("cn_permit", r"(?<![0-9A-Za-z])(?:[Cc]\d{8}|[Cc][A-HJ-NP-Za-hj-np-z]\d{7}|[HMhm]\d{8}(?:\d{2})?)"
                              r"(?![0-9A-Za-z])", 0.2)]
    CELL_REGEX = r"^(?:[Cc]\d{8}|[Cc][A-HJ-NP-Za-hj-np-z]\d{7}|[HMhm]\d{8}(?:\d{2})?)$"
    HINTED_CELL_REGEX = r"^(?:[Cc]\d{8}|[Cc][A-HJ-NP-Za-hj-np-z]\d{7}|[HMhm]\d{8}(?:\d{2})?|\d{8})$"
    TEXT_PREFILTER = r"[CHM][A-Z]?\d{7,8}"
    CONTEXT = ["通行证", "回乡证", "台胞证", "港澳", "permit", "txz"]
    CHANCE = 0.5
    STRENGTH = 0.7
    NEEDS_HINT = True

    @staticmethod
    def validate_value(value: str) -> bool:
        """C (mainland residents), H/M (HK/Macao residents), 8 digits (Taiwan residents)."""
        return v.is_valid_cn_travel_permit(value)


SPEC = EntitySpec(
    name=NAME,
    subject_kind="id",
    level=4,
    category="identity",
    label_zh="通行证号",
    label_en="Travel permit number",
    recognizer=CnTravelPermitRecognizer,
    rank=90,
    sensitive=True,
    headers=HeaderWords(
        zh=(
            ("证件号", STRONG), ("证件", WEAK), ("通行证", STRONG), ("回乡证", STRONG), ("台胞证", STRONG),
        ),
        en=(
            ("permit", STRONG),
        ),
        pinyin=(
            ("zjhm", STRONG), ("zjh", STRONG), ("txz", STRONG),
        ),
    ),
    mask=(1, 2),
    hash_norm=HASH_UPPER,
    shape=SHAPE_COMPACT,
)
