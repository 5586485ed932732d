"""The administrative part of a Chinese address (province / city / district).

Masking, generalizing and pseudonymizing an address all keep that part and
replace the rest: the street, number, building and room identify a household,
the district does not. A regular expression is enough for the shapes that
occur in practice (``广东省深圳市南山区…``, ``北京市朝阳区…``,
``内蒙古自治区呼和浩特市…``); bodies exclude street words so that a
``…路…小区`` can never pass for a district.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class AdminParts:
    """Province, city and district of an address ('' where absent), and the rest."""

    province: str
    city: str
    district: str
    rest: str

    @property
    def prefix(self) -> str:
        return self.province + self.city + self.district


def split_address(value: str) -> AdminParts:
    """Split a Chinese address into its administrative parts and the rest."""
    m = _ADMIN_RE.match(value)
    if m is None:  # pragma: no cover - every group is optional
        return AdminParts("", "", "", value)
    province, city, district = (m.group(g) or "" for g in ("province", "city", "district"))
    return AdminParts(province, city, district, value[m.end():])


def has_han(value: str) -> bool:
    """Whether the value holds Chinese characters (a Chinese address or name)."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in value)


# The stdlib re has no set subtraction: spell the body as Han minus street words.
_STREET_WORDS = "路街道巷弄号栋楼室村镇乡里院幢座单元期"
_BODY_STD = "(?:(?![" + _STREET_WORDS + "])[\u4e00-\u9fff])"
# The parts, in the order the pattern tries them. A municipality comes first: ``北京省…`` is 北京, not a
# province named 北京省 (the SQL of mask-views, whose regular expressions take the longest match, asks
# for the municipality before the other provinces for the same reason).
MUNICIPALITY = r"(?:北京|天津|上海|重庆)市?"
PROVINCE = (r"内蒙古自治区|广西壮族自治区|西藏自治区|宁夏回族自治区|新疆维吾尔自治区|香港特别行政区|澳门特别行政区"
            r"|[\u4e00-\u9fff]{2,3}省")
# The city and the district end at their first suffix (lazy bodies).
CITY = rf"{_BODY_STD}{{1,8}}?(?:自治州|地区|盟|市)"
DISTRICT = rf"{_BODY_STD}{{1,8}}?(?:新区|区|县|旗|市)"
_ADMIN_RE = re.compile(
    rf"^(?P<province>{MUNICIPALITY}|{PROVINCE})?(?P<city>{CITY})?(?P<district>{DISTRICT})?"
)

# Public for the SQL masks of mask-views (scanner/maskviews/sqlmask.py), which spell the same split in SQL.
ADMIN_RE = _ADMIN_RE
STREET_WORDS = _STREET_WORDS
