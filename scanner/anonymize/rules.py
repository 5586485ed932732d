"""The anonymization rules file (CONTRACT.md "Anonymization rules (YAML)").

``entities`` gives a default rule per entity, ``columns`` overrides it for
``"dataset-glob:column"`` keys. A typo must stop the run before anything is
written (exit 2), so unknown keys, operators, entities and parameters that do
not belong to an operator are errors naming file, line and field, found the
same way as in the policy file.
"""

from __future__ import annotations

import fnmatch
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, ValidationError, model_validator
from pydantic_core import InitErrorDetails

from detectors.taxonomy import ENTITY_NAMES
from scanner.anonymize.operators.base import AnonymizationOperator, NoParams, OperatorParams
from scanner.anonymize.operators.context import OpContext
from scanner.anonymize.operators.registry import find as find_operator
from scanner.anonymize.operators.registry import get as get_operator
from scanner.anonymize.operators.registry import names as operator_names
from scanner.anonymize.operators.registry import operators
from scanner.errors import ValueFreeError
from scanner.yamlfile import line_of, load_model


class RulesError(ValueFreeError):
    """A rules file that cannot be used; the message names file, line and field."""


class Rule(BaseModel):
    """One operator with its parameters.

    A rules file writes parameters beside ``op`` (``{op: mask, keep_first: 3}``);
    they are checked against the parameter model of the operator the registry
    holds under that name, so neither the valid names nor the parameters of an
    operator are listed anywhere but in its own file.
    """

    model_config = ConfigDict(frozen=True)

    op: str
    params: SerializeAsAny[OperatorParams] = Field(default_factory=NoParams)

    @model_validator(mode="before")
    @classmethod
    def _validate_with_operator(cls, data: Any) -> Any:
        """``{op, **params}`` -> ``{op, params}``, with errors located as the file writes them."""
        if not isinstance(data, dict):
            return data
        op = data.get("op")
        if not isinstance(op, str):
            return {k: data[k] for k in ("op",) if k in data}  # pydantic names the missing or mistyped op
        operator = find_operator(op)
        if operator is None:
            raise _error("literal_error", ("op",), op, {"expected": _listing(operator_names())})
        built = data.get("params")
        if isinstance(built, OperatorParams) and set(data) == {"op", "params"}:  # a rule made in code
            if not isinstance(built, operator.params_model):
                raise ValueError(f"params of op {op} must be a {operator.params_model.__name__}")
            return data
        given = {k: v for k, v in data.items() if k != "op"}
        return {"op": op, "params": _params(operator, given)}

    @property
    def operator(self) -> AnonymizationOperator[Any]:
        """The registered operator this rule names."""
        return get_operator(self.op)

    @property
    def keyed(self) -> bool:
        """Whether the operator needs the user's key."""
        return self.operator.keyed

    def apply_value(self, entity: str | None, value: str, ctx: OpContext) -> str:
        """One value through this rule."""
        return self.operator.apply_value(entity, value, self.params, ctx)

    def apply_array(self, entity: str | None, values: pa.Array, ctx: OpContext) -> pa.Array:
        """A string array (no nulls) through this rule."""
        return self.operator.apply_array(entity, values, self.params, ctx)

    def describe(self) -> dict[str, Any]:
        """The rule as recorded in anonymization.json (only the parameters that were set)."""
        return {"op": self.op, **self.params.model_dump(exclude_none=True)}


def _params(operator: AnonymizationOperator[Any], given: dict[str, Any]) -> OperatorParams:
    """The operator's parameter model over what the file gave.

    A key no operator takes is an unknown key (at its own line); a key that
    belongs to another operator is worth a clearer word: it does not apply.
    """
    own = operator.params_model.model_fields
    foreign = [k for k in given if k not in own]
    owners = {k: next((o for o in operators() if k in o.params_model.model_fields), None) for k in foreign}
    unknown = [k for k in foreign if owners[k] is None]
    if unknown:
        raise _error("extra_forbidden", (unknown[0],), given[unknown[0]])
    for key, owner in owners.items():
        if owner is not None:  # its own range checks first, as when every parameter was one model
            owner.params_model.model_validate({key: given[key]})
    if foreign:
        raise ValueError(f"{', '.join(sorted(foreign))} does not apply to op {operator.name}")
    return operator.params_model.model_validate(given)


def _error(kind: str, loc: tuple[str, ...], value: Any, ctx: dict[str, Any] | None = None) -> ValidationError:
    """One of pydantic's own errors at ``loc`` inside the rule, so ``describe_validation`` words it as it
    always did ("unknown op: Input should be …", "unknown key") at the line of that key."""
    details = InitErrorDetails(type=kind, loc=loc, input=value, ctx=ctx) if ctx else \
        InitErrorDetails(type=kind, loc=loc, input=value)
    return ValidationError.from_exception_data("Rule", [details])


def _listing(names: list[str]) -> str:
    """Names as pydantic lists a Literal's values: 'a', 'b' or 'c'."""
    quoted = [f"'{n}'" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


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


DEFAULT_OP = "mask"  # what a sensitive column gets when the rules file says nothing about it


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
        return ChosenRule(_default_rule(), "default")

    def for_column(self, dataset_id: str, column: str, entity: str | None) -> ChosenRule:
        """Override for the column, else the entity's rule."""
        return self.column_override(dataset_id, column) or self.for_entity(entity)


@functools.lru_cache(maxsize=1)
def _default_rule() -> Rule:
    """Built on first use: building a rule loads the operator registry (and Presidio)."""
    return Rule(op=DEFAULT_OP)


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


