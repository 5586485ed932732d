"""Entity grades (level, category, labels) and severities, as ENTITIES.md defines them.

Each entity's grade lives in its own file (detectors/entities/); this module
keeps the views classification, reports and policy rules have always used,
read live from the registry so custom entities are graded like built-ins.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Set

from detectors.entities import registry
from detectors.entities.spec import EntitySpec

# The grade of one entity type: the spec carries name, level, category, label_zh, label_en.
EntityInfo = EntitySpec


class _Entities(Mapping[str, EntitySpec]):
    """Entity name -> spec, in rank order, always the registry's current content."""

    def __getitem__(self, name: str) -> EntitySpec:
        return registry.get(name)

    def __iter__(self) -> Iterator[str]:
        return iter(registry.names())

    def __len__(self) -> int:
        return len(registry.all_specs())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and registry.find(name) is not None


class _EntityNames(Set[str]):
    """The set of entity names, always the registry's current content."""

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and registry.find(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(registry.names())

    def __len__(self) -> int:
        return len(registry.all_specs())


ENTITIES: Mapping[str, EntitySpec] = _Entities()
ENTITY_NAMES: Set[str] = _EntityNames()

SEVERITY_BY_LEVEL = {4: "critical", 3: "high", 2: "medium", 1: "low"}
SEVERITY_ORDER = {"low": 1, "medium": 2, "high": 3, "critical": 4}


def level_of(entity: str | None, sample_value: str | None = None) -> int:
    """Level of an entity, for one of its values when the value changes it (a USCC starting with 92)."""
    if entity is None:
        return 0
    return registry.get(entity).value_level(sample_value)


def category_of(entity: str | None) -> str | None:
    """Category of an entity, or None for a non-sensitive column."""
    return registry.get(entity).category if entity else None


def severity_for_level(level: int) -> str:
    """Violation severity that follows the highest level involved (contract table)."""
    return SEVERITY_BY_LEVEL.get(max(1, min(4, level)), "low")


def is_sensitive(entity: str | None) -> bool:
    """Whether an entity is PIPL Art. 28 sensitive personal information (ENTITIES.md; unknown: no)."""
    return registry.is_sensitive(entity)
