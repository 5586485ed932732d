"""The operator contract: one class per anonymization operator, used column-wise and by Presidio.

An operator is a ``presidio_anonymizer.operators.Operator`` (Presidio's
``AnonymizerEngine`` rewrites free-text spans with it) that also knows how to
transform one value (``apply_value``) and a whole Arrow array
(``apply_array``, vectorized where it can be). Both paths run the same code,
so a value gets the same output whether it sits in a structured column or
inside a sentence.

Everything the rest of the program asks about an operator is a class
attribute here (which parameters it takes, whether it needs the key, whether
it drops the column, what ``verify`` may expect of its output), so adding an
operator is one file under ``operators/`` and nothing else.

Presidio creates operator instances itself, with no arguments, and hands
them a parameter dict per span: the rule's parameter model and the run's
``OpContext`` travel in that dict (``operator_config`` builds it).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar, Generic, TypeVar

import pyarrow as pa
from presidio_anonymizer.operators import Operator, OperatorType
from pydantic import BaseModel, ConfigDict

from scanner.anonymize.masks import map_distinct
from scanner.anonymize.operators.context import OpContext
from scanner.errors import ValueFreeError

PARAMS_KEY = "pw_params"  # the rule's parameter model, in the dict Presidio passes to operate()
CONTEXT_KEY = "pw_ctx"  # the run's OpContext, same dict
PRESIDIO_PREFIX = "pw_"  # our names in Presidio's registry, apart from its own redact/keep/hash/encrypt


class OperatorParams(BaseModel):
    """Base of every operator's parameter model.

    Frozen, because rules are hashable values; ``extra="forbid"``, because a
    parameter the operator does not take is a mistake worth stopping for.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(OperatorParams):
    """The parameter model of operators that take none."""


P = TypeVar("P", bound=OperatorParams)


class RevealError(ValueFreeError):
    """A token a reversible operator cannot open (wrong key, altered token); the message quotes no value."""


class AnonymizationOperator(Operator, Generic[P]):
    """One anonymization operator: parameters, value and array forms, and what it promises.

    Subclasses set ``name`` and ``params_model`` and implement
    ``apply_value``; they override ``apply_array`` where a vectorized form
    exists. The instance holds no state: parameters come with each call.
    """

    name: ClassVar[str]
    params_model: ClassVar[type[OperatorParams]] = NoParams
    keyed: ClassVar[bool] = False  # needs the user's key (checked before any data is read)
    drops_column: ClassVar[bool] = False  # the column is left out of the output; a value in text is emptied
    identity: ClassVar[bool] = False  # never changes a value: no transformer, a byte copy is fine
    # Output is a well-formed value of the entity by design (a pseudonym, an FPE'd ID): verify accepts
    # such columns when the signed anonymization.json says this operator made them.
    surrogate: ClassVar[bool] = False
    # Equal inputs must not give equal outputs (a fresh nonce per call): applied per cell, never per distinct value.
    randomized: ClassVar[bool] = False

    @abstractmethod
    def apply_value(self, entity: str | None, value: str, params: P, ctx: OpContext) -> str:
        """One value (non-empty, never null) of an entity, or of no known entity, transformed."""

    def apply_array(self, entity: str | None, values: pa.Array, params: P, ctx: OpContext) -> pa.Array:
        """A string array without nulls transformed; by default ``apply_value`` per distinct value.

        Randomized operators go cell by cell instead: two equal cells must not
        come out equal.
        """
        if self.randomized:
            return pa.array([self.apply_value(entity, v, params, ctx) for v in values.to_pylist()], type=pa.string())
        return map_distinct(values, lambda v: self.apply_value(entity, v, params, ctx))

    # ------------------------------------------------------------ Presidio ----

    def operate(self, text: str, params: dict[str, Any] | None = None) -> str:
        """Rewrite one span; Presidio adds ``entity_type`` to the params ``operator_config`` made."""
        params = params or {}
        return self.apply_value(params.get("entity_type"), text, params[PARAMS_KEY], params[CONTEXT_KEY])

    def validate(self, params: dict[str, Any] | None = None) -> None:
        """Presidio calls this before ``operate``: our parameter model and the run's context must be there."""
        if not params or not isinstance(params.get(PARAMS_KEY), self.params_model) \
                or not isinstance(params.get(CONTEXT_KEY), OpContext):
            raise ValueError(f"{self.name}: Presidio params need {PARAMS_KEY} ({self.params_model.__name__}) "
                             f"and {CONTEXT_KEY} (OpContext)")

    def operator_name(self) -> str:
        """The name Presidio registers this operator under."""
        return PRESIDIO_PREFIX + self.name

    def operator_type(self) -> OperatorType:
        """An anonymizer (reversal is ``ReversibleOperator.reveal_text``, run by ``decrypt``)."""
        return OperatorType.Anonymize


class ReversibleOperator(AnonymizationOperator[P]):
    """An operator whose output the key holder can turn back (``piiwarden decrypt``).

    Its tokens carry a marker so ``decrypt`` finds them anywhere in a cell;
    and because revealing gives back exactly what was transformed, a cell in
    an unusual shape is transformed whole, not on its normalized form.
    """

    token_marker: ClassVar[str]

    @abstractmethod
    def reveal_text(self, text: str, ctx: OpContext) -> tuple[str, int]:
        """Every token inside a text turned back, and how many; ``RevealError`` when one does not open."""
