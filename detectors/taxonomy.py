"""Entity names, sensitivity levels and categories, as ENTITIES.md defines them.

One table so that classification, reports and policy rules agree on what a
level means; a change here is a change of the product's grading.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EntityInfo:
    """The grade of one entity type."""

    name: str
    level: int
    category: str
    label_zh: str
    label_en: str


ENTITIES: dict[str, EntityInfo] = {
    e.name: e
    for e in [
        EntityInfo("CN_RESIDENT_ID", 4, "identity", "居民身份证号", "Resident ID number"),
        EntityInfo("CN_PASSPORT", 4, "identity", "护照号", "Passport number"),
        EntityInfo("CN_TRAVEL_PERMIT", 4, "identity", "通行证号", "Travel permit number"),
        EntityInfo("US_SSN", 4, "identity", "美国社会安全号", "US social security number"),
        EntityInfo("BANK_CARD", 4, "financial", "银行卡号", "Bank card number"),
        EntityInfo("CREDENTIAL", 4, "credential", "口令/密钥", "Password, key or token"),
        EntityInfo("CN_MOBILE_PHONE", 3, "contact", "手机号", "Mainland mobile number"),
        EntityInfo("PHONE_NUMBER", 3, "contact", "电话号码", "Phone number"),
        EntityInfo("ADDRESS", 3, "location", "地址", "Postal address"),
        EntityInfo("DATE_OF_BIRTH", 3, "demographic", "出生日期", "Date of birth"),
        EntityInfo("CN_LICENSE_PLATE", 3, "identity", "车牌号", "Vehicle plate"),
        EntityInfo("PERSON_NAME", 2, "identity", "姓名", "Person name"),
        EntityInfo("EMAIL_ADDRESS", 2, "contact", "电子邮箱", "E-mail address"),
        EntityInfo("CN_LANDLINE_PHONE", 2, "contact", "固定电话", "Landline number"),
        EntityInfo("IP_ADDRESS", 2, "network", "IP 地址", "IP address"),
        EntityInfo("CN_USCC", 1, "organization", "统一社会信用代码", "Unified social credit code"),
    ]
}

ENTITY_NAMES = frozenset(ENTITIES)

SEVERITY_BY_LEVEL = {4: "critical", 3: "high", 2: "medium", 1: "low"}
SEVERITY_ORDER = {"low": 1, "medium": 2, "high": 3, "critical": 4}


def level_of(entity: str | None, sample_value: str | None = None) -> int:
    """Level of an entity; a USCC starting with 92 (individual business) is a person's, level 2."""
    if entity is None:
        return 0
    if entity == "CN_USCC" and sample_value is not None and sample_value.startswith("92"):
        return 2
    return ENTITIES[entity].level


def category_of(entity: str | None) -> str | None:
    """Category of an entity, or None for a non-sensitive column."""
    return ENTITIES[entity].category if entity else None


def severity_for_level(level: int) -> str:
    """Violation severity that follows the highest level involved (contract table)."""
    return SEVERITY_BY_LEVEL.get(max(1, min(4, level)), "low")
