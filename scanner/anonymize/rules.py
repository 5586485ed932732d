"""The anonymization rules file (CONTRACT.md "Anonymization rules (YAML)").

``entities`` gives a default rule per entity, ``columns`` overrides it for
``"dataset-glob:column"`` keys. A typo must stop the run before anything is
written (exit 2), so unknown keys, operators, entities and parameters that do
not belong to an operator are errors naming file, line and field, found the
same way as in the policy file.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from detectors.taxonomy import ENTITY_NAMES
from scanner.yamlfile import line_of, load_model

Op = Literal["mask", "hash", "encrypt", "fpe", "pseudonym", "generalize", "redact", "drop", "keep"]
KEYED_OPS = frozenset({"hash", "encrypt", "fpe", "pseudonym"})
GENERALIZE_TO = Literal["year", "month", "band", "province", "city", "district", "region_year"]

# Parameters each operator accepts (anything else is a mistake worth stopping for).
_PARAMS: dict[str, set[str]] = {
    "mask": {"keep_first", "keep_last", "char"},
    "hash": {"length"},
    "generalize": {"to", "band"},
}


class RulesError(Exception):
    """A rules file that cannot be used; the message names file, line and field."""


class Rule(BaseModel):
    """One operator with its parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    op: Op
    keep_first: int | None = Field(default=None, ge=0, le=64)
    keep_last: int | None = Field(default=None, ge=0, le=64)
    char: str | None = Field(default=None, min_length=1, max_length=1)
    length: int | None = Field(default=None, ge=8, le=64)
    to: GENERALIZE_TO | None = None
    band: int | None = Field(default=None, ge=1, le=100)

    @model_validator(mode="after")
    def _params_fit_op(self) -> Rule:
        given = {k for k in ("keep_first", "keep_last", "char", "length", "to", "band") if getattr(self, k) is not None}
        wrong = sorted(given - _PARAMS.get(self.op, set()))
        if wrong:
            raise ValueError(f"{', '.join(wrong)} does not apply to op {self.op}")
        return self

    @property
    def keyed(self) -> bool:
        """Whether the operator needs the user's key."""
        return self.op in KEYED_OPS

    def describe(self) -> dict[str, Any]:
        """The rule as recorded in anonymization.json (only the parameters that were set)."""
        return self.model_dump(exclude_none=True)


class RulesFile(BaseModel):
    """A whole rules file."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    entities: dict[str, Rule] = Field(default_factory=dict)
    columns: dict[str, Rule] = Field(default_factory=dict)


@dataclass(frozen=True)
class ChosenRule:
    """The rule for one column and where it came from (for anonymization.json)."""

    rule: Rule
    source: str  # 'columns["crm_*.csv:身份证号"]', 'entities.CN_MOBILE_PHONE' or 'default'


DEFAULT_RULE = Rule(op="mask")


class Rules:
    """Rule lookup: column overrides first (file order), then the entity's default, then a mask."""

    def __init__(self, spec: RulesFile | None = None) -> None:
        self.spec = spec or RulesFile()

    @property
    def keyed_ops(self) -> set[str]:
        """Keyed operators the file uses anywhere (checked before any data is read)."""
        rules = list(self.spec.entities.values()) + list(self.spec.columns.values())
        return {r.op for r in rules if r.keyed}

    def column_override(self, dataset_id: str, column: str) -> ChosenRule | None:
        """The first ``columns`` entry whose ``dataset-glob:column`` matches, if any.

        A key may be split at any of its colons (dataset ids and column names
        can both hold one); it matches when some split matches both halves.
        """
        for key, rule in self.spec.columns.items():
            if _key_matches(key, dataset_id, column):
                return ChosenRule(rule, f'columns["{key}"]')
        return None

    def for_entity(self, entity: str | None) -> ChosenRule:
        """The rule for values of an entity (the file's default for it, else the built-in mask)."""
        if entity is not None and entity in self.spec.entities:
            return ChosenRule(self.spec.entities[entity], f"entities.{entity}")
        return ChosenRule(DEFAULT_RULE, "default")

    def for_column(self, dataset_id: str, column: str, entity: str | None) -> ChosenRule:
        """Override for the column, else the entity's rule."""
        return self.column_override(dataset_id, column) or self.for_entity(entity)


def _key_matches(key: str, dataset_id: str, column: str) -> bool:
    names = (dataset_id, dataset_id.rsplit("/", 1)[-1])
    for i, ch in enumerate(key):
        if ch != ":":
            continue
        ds_glob, col_glob = key[:i], key[i + 1 :]
        if any(fnmatch.fnmatchcase(n, ds_glob) for n in names) and fnmatch.fnmatchcase(column, col_glob):
            return True
    return False


def load_rules(path: str | Path) -> Rules:
    """Read and validate a rules file; raise RulesError with file:line and field."""
    path = Path(path)
    root, spec = load_model(path, "rules file", RulesError, RulesFile,
                            ": a rules file must be a YAML mapping with version, entities and columns")
    for entity in spec.entities:
        if entity not in ENTITY_NAMES:
            line = line_of(root, ("entities", entity))
            raise RulesError(f"{path}:{line}: entities.{entity}: unknown entity (see ENTITIES.md for the names)")
    for key in spec.columns:
        if ":" not in key:
            line = line_of(root, ("columns", key))
            raise RulesError(f'{path}:{line}: columns.{key}: key must be "dataset-glob:column"')
    return Rules(spec)


