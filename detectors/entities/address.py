"""Postal address (ADDRESS): one entity, one file.

Street-level postal addresses: Chinese (structure + cpca adcode) or English (number, street,
suffix). Everything piiwarden knows about this entity (grade, recognizer, header words,
anonymization shapes) is in this file; generic code reads it through
``detectors.entities.registry``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors import validators as v
from detectors import vectorized as vz
from detectors.entities.spec import MASK_ADDRESS, STRONG, WEAK, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer

NAME = "ADDRESS"


class AddressRecognizer(PiiRecognizer):
    """Street-level postal addresses: Chinese (structure + cpca adcode) or English (number, street, suffix)."""

    ENTITY = NAME
    PATTERNS = [
        (
            "cn_address",
            r"[\p{Han}]{2,}(?:省|自治区|市|区|县|旗)[\p{Han}0-9]{0,30}?"
            r"(?:[0-9一二三四五六七八九十]+(?:号|栋|幢|单元|室|弄|组)|路|街|道|巷|胡同|村|小区|大厦)"
            r"(?:[0-9A-Za-z\-]+(?:号楼|号|栋|幢|单元|室|层|楼)?)*",
            0.3,
        ),
        # Street lines, PO boxes and military addresses (validators.EN_ADDRESS_RE2, the cells' own grammar).
        ("en_address", r"(?<![A-Za-z0-9])" + v.EN_ADDRESS_RE2, 0.3),
    ]
    CELL_REGEX = (r"(?:省|自治区|市|区|县|旗|镇|乡|街道).*(?:号|栋|幢|单元|室|路|街|道|巷|弄|村|小区|大厦)|"
                  + v.EN_STREET_RE2)
    TEXT_PREFILTER = (r"(?:省|市|区|县).*(?:号|路|街|村)|\d+\s+(?:[A-Z][A-Za-z0-9.'\-]*\s+){1,4}(?:"
                      + v.EN_CORE_SUFFIX + "|" + v.EN_OTHER_SUFFIX + r")|P\.?\s?O\.?\s?Box|Post Office Box"
                      r"|(?:APO|FPO|DPO)\s+A[AEP]\s+\d")
    CONTEXT = ["地址", "住址", "收货", "寄到", "address", "addr", "住在"]
    CHANCE = 0.2
    STRENGTH = 0.7
    MIN_DISTINCT = 0.3
    CELL_IS_TOKEN = False
    PROSE_CELLS = True

    @staticmethod
    def validate_value(value: str) -> bool:
        """One address (cpca for the Chinese administrative part)."""
        return v.is_valid_address(value)

    @staticmethod
    def prefix(value: str) -> str:
        """The part of a value whose spread MIN_PREFIXES measures."""
        return value[:3]

    def validate_values(self, values: list[str]) -> list[bool]:
        """All of a column's candidates in one cpca call."""
        return v.validate_addresses(values)

    def validate_array(self, values: pa.Array) -> np.ndarray:
        """Shapes by RE2 over the array; cpca only on the distinct administrative prefixes."""
        values = vz.plain_array(values)
        english = vz.regex_mask(values, v.EN_STREET_RE2)
        length = np.asarray(pc.fill_null(pc.utf8_length(values), 0))
        chinese = (vz.regex_mask(values, v.CN_ADMIN_RE2) & vz.regex_mask(values, v.CN_DETAIL_RE2)
                   & (length >= 6) & (length <= 120) & ~english)
        ok = english.copy()
        pos = np.flatnonzero(chinese)
        if len(pos):
            prefixes = pc.struct_field(pc.extract_regex(values.take(pa.array(pos)), r"^(?P<p>[^0-9]{1,40})"), "p")
            distinct = pc.drop_null(pc.unique(prefixes))
            resolves = pa.array(v.chinese_addresses_resolve(distinct.to_pylist()), type=pa.bool_())
            known = distinct.filter(resolves)
            ok[pos] = np.asarray(pc.fill_null(pc.is_in(prefixes, value_set=known), False))
        return ok

    def trim_span(self, text: str, start: int, end: int) -> tuple[int, int]:
        """A span starts at the address proper (not at 寄到/住在)."""
        return start + v.address_start(text[start:end]), end


SPEC = EntitySpec(
    name=NAME,
    level=3,
    category="location",
    label_zh="地址",
    label_en="Postal address",
    recognizer=AddressRecognizer,
    rank=120,
    headers=HeaderWords(
        zh=(
            ("地址", STRONG), ("住址", STRONG), ("住所", STRONG), ("籍贯", WEAK),
        ),
        en=(
            ("address", STRONG), ("addr", STRONG), ("street", STRONG),
        ),
        pinyin=(
            ("dz", STRONG), ("zz", WEAK), ("jtzz", STRONG), ("jtdz", STRONG), ("shdz", STRONG),
        ),
    ),
    mask_style=MASK_ADDRESS,
    surrogate="address",
    generalize="address",
    whole_cell=True,
    postal_address=True,
)
