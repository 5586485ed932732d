"""The policy file (CONTRACT.md "Policy file"), validated with pydantic.

A typo in a policy must stop a scheduled scan loudly (exit 2) rather than
silently skip a rule, so unknown keys, wrong types and unknown entity names
are errors that name the file, the line and the field.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from detectors.taxonomy import ENTITY_NAMES
from scanner.policy.roles import RolePolicy, check_role_names
from scanner.yamlfile import load_model


class PolicyError(Exception):
    """A policy file that cannot be used; the message names file, line and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Retention(_Strict):
    """How long rows may be kept, judged on one date column."""

    column: str | None = None
    max_age_days: int = Field(default=1825, gt=0)


class Defaults(_Strict):
    """Values used where a dataset entry is silent."""

    retention: Retention = Field(default_factory=Retention)
    plaintext_forbidden_level: int = Field(default=4, ge=1, le=4)
    minor_age: int = Field(default=14, ge=1, le=30)


class DatasetPolicy(_Strict):
    """What one group of datasets (a glob over dataset ids) may hold."""

    match: str
    purpose: str | None = None
    allowed_entities: list[str] = Field(default_factory=list)
    retention: Retention | None = None
    quasi_identifiers: list[str] = Field(default_factory=list)
    k_threshold: int = Field(default=5, ge=2)
    allowed_readers: list[str] = Field(default_factory=list)

    @field_validator("allowed_entities")
    @classmethod
    def _known_entities(cls, value: list[str]) -> list[str]:
        unknown = [e for e in value if e not in ENTITY_NAMES]
        if unknown:
            raise ValueError(f"unknown entity {', '.join(unknown)} (see ENTITIES.md for the names)")
        return value

    def matches(self, dataset_id: str) -> bool:
        """Glob match over the dataset id (also tried against its file name)."""
        return fnmatch.fnmatchcase(dataset_id, self.match) or fnmatch.fnmatchcase(
            dataset_id.rsplit("/", 1)[-1], self.match
        )


class Policy(_Strict):
    """A whole policy file."""

    version: int = 1
    defaults: Defaults = Field(default_factory=Defaults)
    datasets: list[DatasetPolicy] = Field(default_factory=list)
    roles: dict[str, RolePolicy] = Field(default_factory=dict)  # mask-views (scanner/policy/roles.py)

    @field_validator("roles")
    @classmethod
    def _role_names(cls, value: dict[str, RolePolicy]) -> dict[str, RolePolicy]:
        return check_role_names(value)

    @field_validator("version")
    @classmethod
    def _version(cls, value: int) -> int:
        if value != 1:
            raise ValueError("only version 1 is supported")
        return value

    def entry_for(self, dataset_id: str) -> DatasetPolicy | None:
        """The first entry whose glob matches the dataset id."""
        return next((d for d in self.datasets if d.matches(dataset_id)), None)


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; raise PolicyError with file:line and field."""
    _root, policy = load_model(Path(path), "policy file", PolicyError, Policy,
                               ": a policy must be a YAML mapping with version, defaults and datasets")
    return policy
