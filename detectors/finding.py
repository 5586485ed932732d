"""A column's finding: the typed output of detection (``detectors.classify.decide``).

Why here and not in ``scanner/model.py``: the detection wing imports nothing
from ``scanner``, and these are its results. ``scanner.model`` re-exports
them next to the dataset and scan results they are part of. ``to_json()``
gives exactly the column entry of findings.json; ``from_json()`` reads one back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class EntityEvidence:
    """One entity found in a column: how often, how sure, and what the header said."""

    entity: str
    hit_ratio: float
    matches: int
    confidence: float | None = None
    validator_pass_rate: float | None = None
    header_hint: float | None = None

    def to_json(self) -> JsonObject:
        """The entry of a column's ``entities`` list."""
        return {"entity": self.entity, "hit_ratio": self.hit_ratio, "matches": self.matches,
                "confidence": self.confidence, "validator_pass_rate": self.validator_pass_rate,
                "header_hint": self.header_hint}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EntityEvidence:
        return cls(entity=data["entity"], hit_ratio=data.get("hit_ratio", 0.0), matches=data["matches"],
                   confidence=data.get("confidence"), validator_pass_rate=data.get("validator_pass_rate"),
                   header_hint=data.get("header_hint"))


@dataclass(frozen=True)
class CellCounts:
    """Cells of a column that had an entity's format, and how many of those passed its validator."""

    format_matches: int
    validated: int = 0

    def to_json(self) -> JsonObject:
        return {"format_matches": self.format_matches, "validated": self.validated}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CellCounts:
        return cls(format_matches=data["format_matches"], validated=data.get("validated", 0))


@dataclass(frozen=True)
class ColumnEvidence:
    """The numbers behind a column's verdict, so a reviewer can see why (never a value)."""

    values: int = 0
    header_hints: Mapping[str, float] = field(default_factory=dict)
    texty_ratio: float = 0.0
    early_stop: bool = False
    cells: Mapping[str, CellCounts] = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        return {
            "values": self.values,
            "header_hints": dict(self.header_hints),
            "texty_ratio": self.texty_ratio,
            **({"early_stop": True} if self.early_stop else {}),
            "cells": {entity: counts.to_json() for entity, counts in self.cells.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ColumnEvidence:
        return cls(values=data.get("values") or 0, header_hints=dict(data.get("header_hints") or {}),
                   texty_ratio=data.get("texty_ratio") or 0.0, early_stop=bool(data.get("early_stop")),
                   cells={e: CellCounts.from_json(c) for e, c in (data.get("cells") or {}).items()})


@dataclass(frozen=True)
class ColumnFinding:
    """What detection concluded about one column (``detectors.classify.decide``)."""

    name: str
    primary_entity: str | None = None
    level: int = 0
    category: str | None = None
    confidence: float | None = None
    entities: tuple[EntityEvidence, ...] = ()
    samples_masked: tuple[str, ...] = ()
    free_text: bool = False
    evidence: ColumnEvidence = field(default_factory=ColumnEvidence)
    # PIPL Art. 28 sensitive personal information (ENTITIES.md ``sensitive``): the column holds an entity
    # that needs separate consent and an impact assessment. Written as ``sensitive`` in findings.json;
    # not the ``sensitive`` property below, which only says the column holds personal data at all.
    pipl_sensitive: bool = False

    @property
    def sensitive(self) -> bool:
        """Whether the column holds personal data at all (it has a primary entity)."""
        return self.primary_entity is not None

    def to_json(self) -> JsonObject:
        """The entry of a dataset's ``columns`` list in findings.json."""
        return {
            "name": self.name,
            "primary_entity": self.primary_entity,
            "level": self.level,
            "category": self.category,
            "confidence": self.confidence,
            "entities": [e.to_json() for e in self.entities],
            "samples_masked": list(self.samples_masked),
            "free_text": self.free_text,
            **({"sensitive": True} if self.pipl_sensitive else {}),
            "evidence": self.evidence.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ColumnFinding:
        return cls(
            name=data["name"], primary_entity=data.get("primary_entity"), level=data.get("level") or 0,
            category=data.get("category"), confidence=data.get("confidence"),
            entities=tuple(EntityEvidence.from_json(e) for e in data.get("entities") or ()),
            samples_masked=tuple(data.get("samples_masked") or ()), free_text=bool(data.get("free_text")),
            evidence=ColumnEvidence.from_json(data.get("evidence") or {}),
            pipl_sensitive=(bool(data["sensitive"]) if "sensitive" in data
                            else holds_pipl_sensitive(data.get("primary_entity"),
                                                      [e.get("entity") for e in data.get("entities") or ()])),
        )


def holds_pipl_sensitive(primary: str | None, entities: Iterable[str | None]) -> bool:
    """Whether a column's primary entity or any entity it lists is PIPL Art. 28 sensitive.

    A free-text column whose main entity is a name but which also holds card
    numbers holds sensitive information: every listed entity counts, as the
    PI inventory counts them. Findings written before the flag existed get
    it from here when read back (their entities are known; the flag is not).
    """
    from detectors.entities import registry  # entity modules load on first use only

    return any(registry.is_sensitive(e) for e in (primary, *entities) if e)
