"""Health information (HEALTH): one entity, one file.

PIPL Art. 28 sensitive ("medical and health"): blood types (``A+``,
``AB型``, ``O型Rh阴性``), ICD-10 codes (``E11.9``, ``J45``), diseases from a
vocabulary (高血压, 糖尿病, 乙肝 …; detectors/data/health_terms.txt), and
medical record numbers, in a column whose header names them (诊断, 病史, 病历号,
过敏史, 血型, diagnosis), or near such a word in text (``确诊糖尿病``). A product
``status`` column is not health data: without a header nothing is looked at.
"""

from __future__ import annotations

import re

from detectors.entities.spec import STRONG, WEAK, EntitySpec, HeaderWords
from detectors.vocabulary import VocabularyRecognizer, alternation, context_prefilter, fold, word_list

NAME = "HEALTH"
_CONTEXT = ["诊断", "确诊", "患有", "患", "病史", "病历", "病情", "血型", "过敏", "疾病", "症状", "就诊",
            "diagnos", "blood type", "medical", "allerg", "suffer", "icd"]
BLOOD_TYPE = re.compile(r"^(?:(?:AB|A|B|O)\s*型?\s*(?:[+-]|Rh\s*[+-]|\(?Rh\s*[阴阳]性\)?|[阴阳]性)?\s*型?"
                        r"|Rh\s*[阴阳]性|Rh\s*[+-])$", re.IGNORECASE)
ICD10 = re.compile(r"^[A-Z]\d{2}(?:\.[0-9A-Z]{1,4})?(?:\s+\S.*)?$")
RECORD_NUMBER = re.compile(r"^[A-Za-z]{0,4}[-_]?\d{5,14}$")
_TERMS = word_list("health_terms.txt")
_TERM_IN = re.compile(alternation(_TERMS), re.IGNORECASE)


def is_health_value(value: str) -> bool:
    """A blood type, an ICD-10 code, a value naming a disease, or a record number (the column's header decides)."""
    v = value.strip()
    if BLOOD_TYPE.match(v) or ICD10.match(v) or RECORD_NUMBER.match(v):
        return True
    return bool(_TERM_IN.search(fold(v)))


class HealthRecognizer(VocabularyRecognizer):
    """Blood types, ICD-10 codes, diseases and record numbers under a health header or near a health word."""

    ENTITY = NAME
    VOCABULARY = ("health_terms.txt",)
    PATTERNS = [
        ("health_term", r"(?i)(?<![A-Za-z])(?:" + alternation(sorted(t for t in _TERMS if not t.isascii() or len(t) >= 4))
         + r")(?![A-Za-z])", 0.3),
        ("blood_type", r"(?<![A-Za-z])(?:AB|A|B|O)型(?:\s*Rh[阴阳]性)?|(?<![A-Za-z])Rh[阴阳]性"
                       r"|(?<![A-Za-z0-9])(?:AB|A|B|O)[+-](?![A-Za-z0-9+-])", 0.3),
        ("icd10", r"(?<![A-Za-z0-9.])[A-TV-Z]\d{2}\.\d{1,2}(?![0-9.])", 0.3),
    ]
    CELL_REGEX = r"^.{1,80}$"
    TEXT_PREFILTER = context_prefilter(_CONTEXT)
    CONTEXT = _CONTEXT

    @classmethod
    def validate_value(cls, value: str) -> bool:
        """Blood type, ICD-10 code, a disease term, or a record number."""
        return is_health_value(value)


SPEC = EntitySpec(
    name=NAME,
    level=3,
    category="sensitive",
    label_zh="健康生理信息",
    label_en="Health information",
    recognizer=HealthRecognizer,
    rank=300,
    sensitive=True,
    headers=HeaderWords(
        zh=(("诊断", STRONG), ("病史", STRONG), ("既往史", STRONG), ("病历号", STRONG), ("病历", STRONG),
            ("病案号", STRONG), ("过敏史", STRONG), ("过敏", STRONG), ("血型", STRONG), ("疾病", STRONG),
            ("病情", STRONG), ("病种", STRONG), ("症状", WEAK), ("健康状况", STRONG), ("ICD编码", STRONG)),
        en=(("diagnosis", STRONG), ("diagnoses", STRONG), ("disease", STRONG), ("allergy", STRONG),
            ("allergies", STRONG), ("icd", STRONG), ("icd10", STRONG), ("mrn", STRONG), ("illness", STRONG),
            ("symptoms", WEAK)),
        phrases=((("blood", "type"), STRONG), (("blood", "group"), STRONG), (("medical", "record"), STRONG),
                 (("medical", "history"), STRONG), (("health", "condition"), STRONG), (("icd", "code"), STRONG),
                 (("medical", "condition"), STRONG)),
        pinyin=(("blh", STRONG), ("gms", STRONG)),
    ),
    mask=(0, 0),
    whole_cell=True,
)
